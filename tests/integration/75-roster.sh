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
  echo "bad1,root,,"
  echo "cp05,root,$rdir/keys/cp05,"
  echo "bad2,root,$rdir/keys/cp01,the-passphrase-itself"
} > "$roster"
export CP03_PP=pp-env-03-secret
out=$(guarded "$bin" run --roster "$roster" --jobs 4 --report-dir "$rdir/reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$rdir/dl" --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 "$S1" 2>&1); rc=$?
rrun=$(ls -d "$rdir"/reports/*-roster-vendor | tail -n 1)
expect "a roster of 12 accounts and 3 bad rows: the bad rows named by line, the 12 run; exit 2 (the roster needs fixing)" \
  bash -c '[ "$1" = 2 ] && grep -q "vendor.csv:15: error: a row needs a name, a user and a key (key is empty)" <<<"$2" &&
    grep -q "vendor.csv:16: error: account .cp05. is already on line 7" <<<"$2" &&
    grep -q "vendor.csv:17: error: account .bad2.: the passphrase column" <<<"$2" &&
    [ "$(grep -c "^  ✓ cp[0-9]* (root): 14 passed" <<<"$2")" = 12 ]' _ "$rc" "$out"
expect "... each account has its own bundle, which verifies alone, with its own key's fingerprint" \
  bash -c 'n=0; for b in "$1"/accounts/*/; do "$2" verify "$b" >/dev/null || exit 1; n=$((n + 1)); done; [ "$n" = 12 ] &&
    [ "$(grep -h "name=\"userkey.sha256\"" "$1"/accounts/*/junit.xml | sort -u | wc -l)" = 12 ]' _ "$rrun" "$bin"
expect "... one merged junit.xml whose suites name the account (24 suites, 168 steps), sealed, listing each bundle's MANIFEST hash" \
  bash -c '"$2" verify "$1/merged" >/dev/null && [ "$(xmllint --xpath "count(//testsuite)" "$1/merged/junit.xml")" = 24 ] &&
    [ "$(xmllint --xpath "count(//testcase[not(failure|error|skipped)])" "$1/merged/junit.xml")" = 168 ] &&
    [ "$(xmllint --xpath "count(//testsuite[starts-with(@name, \"cp07: \")])" "$1/merged/junit.xml")" = 2 ] &&
    [ "$(wc -l < "$1/merged/BUNDLES")" = 12 ] && grep -q "^cp12 *root" "$1/roster-summary.txt"' _ "$rrun" "$bin"
expect "... each account's downloads in a folder of its own (two participants' TP001 never meet)" \
  bash -c '[ "$(ls "$1" | tr "\n" " ")" = "$(seq -f "cp%02g" 1 12 | tr "\n" " ")" ] &&
    [ "$(ls "$1"/cp*/*/TP001* | wc -l)" -ge 24 ] && [ -z "$(find "$1" -maxdepth 1 -type f)" ]' _ "$rdir/dl"
expect "... no passphrase in any output, log or bundle" \
  bash -c '! grep -rq "pp-env-03-secret\|pp-file-07-secret\|the-passphrase-itself" "$1" && ! grep -q "pp-env-03-secret\|pp-file-07-secret\|the-passphrase-itself" <<<"$2"' _ "$rrun" "$out"

# Four shards, as four CI jobs would run them, then merged: every account exactly once.
for k in 1 2 3 4; do
  guarded "$bin" run --roster "$roster" --shard "$k/4" --jobs 2 --report-dir "$rdir/shards" -D RRS_PROFILE=local-mirror.profile \
    -D RRS_DOWNLOAD_DIR="$rdir/dl" --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 "$S1" > "$rdir/shard-$k.out" 2>&1
done
out=$("$bin" merge "$rdir/all-shards" "$rdir"/shards/*-shard-*-of-4/merged 2>&1); rc=$?
expect "roster in 4 shards, merged: every account exactly once, the counts adding up" \
  bash -c '[ "$1" = 0 ] && [ "$(xmllint --xpath "count(//testsuite)" "$2/junit.xml")" = 24 ] &&
    [ "$(xmllint --xpath "//property[@name=\"account\"]/@value" "$2/junit.xml" | grep -o "value=\"[^\"]*\"" | sort | uniq -c | awk "\$1 != 2" | wc -l)" = 0 ] &&
    [ "$(xmllint --xpath "//property[@name=\"account\"]/@value" "$2/junit.xml" | grep -o "value=\"[^\"]*\"" | sort -u | wc -l)" = 12 ] &&
    grep -q "^4 bundles, 24 suites: 168 passed" <<<"$3"' _ "$rc" "$rdir/all-shards" "$out"
out=$("$bin" merge "$rdir/three" "$rdir"/shards/*-shard-[124]-of-4/merged 2>&1); rc=$?
expect "... three of the four shards: refused, naming the one missing (its accounts would look never drilled)" \
  bash -c '[ "$1" = 1 ] && grep -q "roster vendor.csv: shard 3 of 4 is missing" <<<"$2" && [ "$(grep -c "is missing" <<<"$2")" = 1 ] &&
    [ ! -e "$3" ]' _ "$rc" "$out" "$rdir/three"
out=$("$bin" merge "$rdir/twice" "$rdir"/shards/*-shard-1-of-4/merged "$rdir"/shards/*-shard-1-of-4/merged 2>&1); rc=$?
expect "... the same shard given twice: refused, naming the suite counted twice" \
  bash -c '[ "$1" = 1 ] && grep -q "would count twice" <<<"$2" && [ ! -e "$3" ]' _ "$rc" "$out" "$rdir/twice"
tb=$(ls -d "$rdir"/shards/*-shard-2-of-4/accounts/*/ | head -n 1)
printf 'X' | dd of="$tb/transcript.log" bs=1 seek=3 conv=notrunc 2>/dev/null
out=$("$bin" merge "$rdir/tampered" "$rdir"/shards/*-shard-1-of-4/accounts/*/ "$tb" 2>&1); rc=$?
expect "... a tampered input: merge fails and names it" \
  bash -c '[ "$1" = 1 ] && grep -q "transcript.log: changed" <<<"$2" && grep -q "is not intact; nothing was merged" <<<"$2" && [ ! -e "$3" ]' \
  _ "$rc" "$out" "$rdir/tampered"
unset CP03_PP
