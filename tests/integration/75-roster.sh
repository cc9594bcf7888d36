# 75-roster.sh — many accounts: a roster drilled a few at a time, each with its own key and bundle,
# bad rows named and the rest run; shards that cover the roster once; merge, which refuses a tampered
# input. Sourced by run.sh (its helpers and mirror).
rdir=$work/roster
mkdir -p "$rdir/keys"
roster=$rdir/vendor.csv
{
  echo "# accounts of a system vendor"
  echo "name,user,key,passphrase"
  for i in $(seq -w 1 12); do
    case $i in
      03) ssh-keygen -q -t ed25519 -N "pp-env-$i-secret" -f "$rdir/keys/cp$i" -C "cp$i"; echo "cp$i,root,$rdir/keys/cp$i,env:CP${i}_PP" ;;
      07) ssh-keygen -q -t ed25519 -N "pp-file-$i-secret" -f "$rdir/keys/cp$i" -C "cp$i"
          printf 'pp-file-%s-secret\n' "$i" > "$rdir/keys/cp$i.pp"; chmod 600 "$rdir/keys/cp$i.pp"
          echo "cp$i,root,$rdir/keys/cp$i,file:$rdir/keys/cp$i.pp" ;;
      *)  ssh-keygen -q -t ed25519 -N '' -f "$rdir/keys/cp$i" -C "cp$i"; echo "cp$i,root,$rdir/keys/cp$i," ;;
    esac
    cat "$rdir/keys/cp$i.pub" >> "$state/authorized_keys"
  done
  # An account whose key the service does not know: it fails (AuthRejected), the others pass.
  ssh-keygen -q -t ed25519 -N '' -f "$rdir/keys/cp13" -C "cp13"; echo "cp13,root,$rdir/keys/cp13,"
  echo "bad1,root,,"
  echo "cp05,root,$rdir/keys/cp05,"
  echo "bad2,root,$rdir/keys/cp01,the-passphrase-itself"
  echo "cp14,root,$rdir/keys/no-such-key,"
} > "$roster"
export CP03_PP=pp-env-03-secret
out=$(guarded "$bin" run --roster "$roster" --jobs 4 --report-dir "$rdir/reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$rdir/dl" --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 "$S1" 2>&1); rc=$?
rrun=$(ls -d "$rdir"/reports/*-roster-vendor | tail -n 1)
expect "a roster of 14 accounts, 4 of them bad rows: each named by line, the 13 others run; exit 2 whatever they did" \
  bash -c '[ "$1" = 2 ] && grep -q "vendor.csv:16: error: a row needs a name, a user and a key (key is empty)" <<<"$2" &&
    grep -q "vendor.csv:17: error: account .cp05. is already on line 7" <<<"$2" &&
    grep -q "vendor.csv:18: error: account .bad2.: the passphrase column" <<<"$2" &&
    grep -q "vendor.csv:19: error: account .cp14.: private key .*/no-such-key: No such file or directory" <<<"$2" &&
    [ "$(grep -c "^  ✓ cp[0-9]* (root): 14 passed" <<<"$2")" = 12 ] && grep -q "^  ✗ cp13 (root)" <<<"$2"' _ "$rc" "$out"
expect "... each account has its own bundle, named by the account, which verifies alone, with its own key's fingerprint" \
  bash -c 'n=0; for b in "$1"/accounts/*-cp*/; do "$2" verify "$b" >/dev/null || exit 1; n=$((n + 1)); done; [ "$n" = 13 ] &&
    ls -d "$1"/accounts/*-cp07 >/dev/null &&
    [ "$(grep -h "name=\"userkey.sha256\"" "$1"/accounts/*/junit.xml | sort -u | wc -l)" = 13 ]' _ "$rrun" "$bin"
expect "... one merged junit.xml: the accounts' suites by name, and each bad row a RosterRowInvalid error at FILE:LINE" \
  bash -c '"$2" verify "$1/merged" >/dev/null && [ "$(xmllint --xpath "count(//testsuite)" "$1/merged/junit.xml")" = 30 ] &&
    [ "$(xmllint --xpath "count(//testsuite[starts-with(@name, \"cp07: \")])" "$1/merged/junit.xml")" = 2 ] &&
    [ "$(xmllint --xpath "count(//error[@type=\"RosterRowInvalid\"])" "$1/merged/junit.xml")" = 4 ] &&
    xmllint --xpath "string(//testsuite[@name=\"roster vendor.csv:19\"]//error/@message)" "$1/merged/junit.xml" |
      grep -q "^vendor.csv:19: not drilled: account .cp14.: private key" &&
    [ "$(grep -c "^[0-9a-f]\{64\}  " "$1/merged/BUNDLES")" = 13 ] && [ "$(grep -c "^not-drilled  vendor.csv:" "$1/merged/BUNDLES")" = 4 ] &&
    grep -q "^NOT ALL STEPS PASSED" <(sed -n "s/^verdict: //p" "$1"/accounts/*-cp13/RUN-INFO)' _ "$rrun" "$bin"
expect "... roster-summary.txt: each account's verdict as its bundle tells it, and every bad row at FILE:LINE" \
  bash -c 'f=$1/roster-summary.txt; grep -q "^cp12 *root .*ALL STEPS PASSED (REHEARSAL)" "$f" &&
    grep -q "^cp13 *root .*NOT ALL STEPS PASSED (REHEARSAL) (4 of 14)" "$f" &&
    grep -q "^cp14 *- *vendor.csv:19 *NOT RUN (RosterRowInvalid): account .cp14.: private key" "$f" &&
    grep -q "^bad1 *- *vendor.csv:16 *NOT RUN (RosterRowInvalid): a row needs" "$f"' _ "$rrun"
expect "... the merged summary is a rehearsal too, and names each account on its first page" \
  bash -c 'grep -q "class=\"verdict failed rehearsal\"" "$1/merged/summary.html" && grep -q "<th>cp07: RRS post-release" "$1/merged/summary.html" &&
    grep -q "<th>Accounts</th><td class=\"mono\">cp01; cp02" "$1/merged/summary.html" &&
    grep -q ">cp07: 127.152.14.121:10022</text>" "$1/merged/summary.html" && grep -q "cp07: 127.152.14.121:10022: 7 steps from" "$1/merged/summary.html"' _ "$rrun"
expect "... each account's downloads in a folder of its own (two participants' TP001 never meet)" \
  bash -c '[ "$(ls "$1" | tr "\n" " ")" = "$(seq -f "cp%02g" 1 12 | tr "\n" " ")" ] &&
    [ "$(ls "$1"/cp*/*/*/TP001* | wc -l)" -ge 24 ] && [ -z "$(find "$1" -maxdepth 1 -type f)" ]' _ "$rdir/dl"
expect "... no passphrase in any output, log or bundle" \
  bash -c '! grep -rq "pp-env-03-secret\|pp-file-07-secret\|the-passphrase-itself" "$1" && ! grep -q "pp-env-03-secret\|pp-file-07-secret\|the-passphrase-itself" <<<"$2"' _ "$rrun" "$out"

# Four shards, as four CI jobs would run them, then merged: every account exactly once.
for k in 1 2 3 4; do
  guarded "$bin" run --roster "$roster" --shard "$k/4" --jobs 2 --report-dir "$rdir/shards" -D RRS_PROFILE=local-mirror.profile \
    -D RRS_DOWNLOAD_DIR="$rdir/dl" --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 "$S1" > "$rdir/shard-$k.out" 2>&1
done
out=$("$bin" merge "$rdir/all-shards" "$rdir"/shards/*-shard-*-of-4/merged 2>&1); rc=$?
expect "roster in 4 shards, merged: every account and bad row exactly once, the counts adding up, exit 2" \
  bash -c '[ "$1" = 2 ] && [ "$(xmllint --xpath "count(//testsuite)" "$2/junit.xml")" = 30 ] &&
    [ "$(xmllint --xpath "//property[@name=\"account\"]/@value" "$2/junit.xml" | grep -o "value=\"[^\"]*\"" | sort | uniq -c | awk "\$1 != 2" | wc -l)" = 0 ] &&
    [ "$(xmllint --xpath "//property[@name=\"account\"]/@value" "$2/junit.xml" | grep -o "value=\"[^\"]*\"" | sort -u | wc -l)" = 13 ] &&
    [ "$(xmllint --xpath "count(//error[@type=\"RosterRowInvalid\"])" "$2/junit.xml")" = 4 ] &&
    grep -q "^4 bundles, 30 suites: 172 passed, 2 failed, 4 errors, 8 skipped" <<<"$3"' _ "$rc" "$rdir/all-shards" "$out"
out=$("$bin" merge "$rdir/three" "$rdir"/shards/*-shard-[124]-of-4/merged 2>&1); rc=$?
expect "... three of the four shards: refused (exit 2, not a step's 1), naming the one missing" \
  bash -c '[ "$1" = 2 ] && grep -q "roster vendor.csv: shard 3 of 4 is missing" <<<"$2" && [ "$(grep -c "is missing" <<<"$2")" = 1 ] &&
    [ ! -e "$3" ]' _ "$rc" "$out" "$rdir/three"
out=$("$bin" merge "$rdir/twice" "$rdir"/shards/*-shard-1-of-4/merged "$rdir"/shards/*-shard-1-of-4/merged 2>&1); rc=$?
expect "... the same shard given twice: refused (exit 2), naming the suite counted twice" \
  bash -c '[ "$1" = 2 ] && grep -q "would count twice" <<<"$2" && [ ! -e "$3" ]' _ "$rc" "$out" "$rdir/twice"
tb=$(ls -d "$rdir"/shards/*-shard-2-of-4/accounts/*/ | head -n 1)
printf 'X' | dd of="$tb/transcript.log" bs=1 seek=3 conv=notrunc 2>/dev/null
out=$("$bin" merge "$rdir/tampered" "$rdir"/shards/*-shard-1-of-4/accounts/*/ "$tb" 2>&1); rc=$?
expect "... a tampered input: refused (exit 2) and named" \
  bash -c '[ "$1" = 2 ] && grep -q "transcript.log: changed" <<<"$2" && grep -q "is not intact; nothing was merged" <<<"$2" && [ ! -e "$3" ]' \
  _ "$rc" "$out" "$rdir/tampered"
# A SHARD that claims a billion shards: refused at once, nothing printed per shard.
fake=$rdir/fake-shard
cp -r "$(ls -d "$rdir"/shards/*-shard-1-of-4/merged)" "$fake"
printf 'roster vendor.csv\nrows 17\nshard 1 of 1000000000\n' > "$fake/SHARD"
( cd "$fake" && grep -v "  SHARD$" MANIFEST > M && sha256sum SHARD >> M && sort -k2 M > MANIFEST && rm M )
out=$("$bin" merge "$rdir/huge" "$fake" 2>&1); rc=$?
expect "... a SHARD claiming 1000000000 shards: refused (exit 2) in one line, not counted through" \
  bash -c '[ "$1" = 2 ] && [ "$(wc -l <<<"$2")" -le 2 ] && grep -q "which no roster run writes" <<<"$2" && [ ! -e "$3" ]' \
  _ "$rc" "$out" "$rdir/huge"
unset CP03_PP
