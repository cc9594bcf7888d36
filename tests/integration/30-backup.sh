# 30-backup.sh — integration tests: the daily backup. Sourced by run.sh (its helpers and mirror).
B=scenarios/hkex-rrs/daily-backup.drill
run_drill --business-date 2023-04-14 "$B"
expect "daily backup passes" eq "$rc" 0
expect "... every report of the day backed up with SHA256SUMS that sha256sum accepts" \
  bash -c 'cd "$1/backup/2023-04-14" && [ "$(wc -l < SHA256SUMS)" = 14 ] && sha256sum --quiet -c SHA256SUMS' _ "$work"
expect "... the first endpoint fetched 14, the second found them backed up" \
  grep -q "14 fetched, 0 already.*0 fetched, 14 already" <<<"$(tr '\n' ' ' < "$junit")"
run_drill --business-date 2023-04-14 "$B"
expect "backup twice: the second run fetches nothing" \
  eq "$(grep -c '0 fetched, 14 already backed up unchanged' "$junit")" 2
expect "... and the key reference was recorded, then confirmed" grep -q "unchanged since the reference" "$junit"
run_drill --business-date 2023-04-14 --parallel -D RRS_BACKUP_DIR="$work/pbackup" "$B"
expect "daily backup with --parallel: both endpoints into one folder, SHA256SUMS whole and true" \
  bash -c '[ "$1" = 0 ] && cd "$2/pbackup/2023-04-14" && [ "$(wc -l < SHA256SUMS)" = 14 ] && sha256sum --quiet -c SHA256SUMS && [ -z "$(ls -A | grep sftpdrill-)" ]' _ "$rc" "$work"
run_drill --business-date 2023-04-14 --parallel -D RRS_BACKUP_DIR="$work/pbackup" "$B"
expect "... and a second parallel run fetches nothing" eq "$(grep -c '0 fetched, 14 already backed up unchanged' "$junit")" 2
echo "tampered" > "$work/backup/2023-04-14/$(basename "$state"/primary/root/reports/CL001_*)"
run_drill --business-date 2023-04-14 "$B"
expect "a backed-up file changed locally is never overwritten: LocalFileConflict" eq "$(xval '(//error/@type)[1]')" LocalFileConflict
expect "... and stays as it was" eq "$(cat "$work/backup/2023-04-14/"CL001_*)" tampered
ssh-keygen -q -t ed25519 -N '' -f "$work/renewed" -C renewed
cat "$work/renewed.pub" >> "$state/authorized_keys"
run_drill --business-date 2023-04-14 -D RRS_KEY="$work/renewed" "$B"
expect "a renewed SSH key is caught by key-unchanged: KeyChanged" eq "$(xval '(//failure/@type)[1]')" KeyChanged

"$BUILD/silent-listener" 127.152.14.121 10098 60 > "$work/silent.out" & fixture_pids+=($!)
ready "$work/silent.out"
d=$(mkdrill banner.drill 'timeout banner 1s
endpoints silent "127.152.14.121:10098,127.152.14.122"
target silent
step "Reachable" connect
step "Login" login')
run_drill "$d"
expect "a listener that never speaks: BannerTimeout" eq "$(xval '(//failure/@type)[1]')" BannerTimeout
expect "... the next endpoint still passes" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 2

mkdir -p "$work/conflict/127.152.14.121_10022/reports"
f=$(basename "$state"/secondary/root/reports/TP001_*)
echo "my own precious file" > "$work/conflict/127.152.14.121_10022/reports/$f"
run_drill -D RRS_DOWNLOAD_DIR="$work/conflict" "$S1"
expect "a different local file is never overwritten: LocalFileConflict, exit 3" eq "$rc/$(xval '(//error/@type)[1]')" 3/LocalFileConflict
expect "... the user's file is intact" eq "$(cat "$work/conflict/127.152.14.121_10022/reports/$f")" "my own precious file"
expect "... no temporary file left" eq "$(find "$work/conflict" -name '.*sftpdrill-*' | wc -l)" 0

# The same report name in two remote folders: each keeps its own, in the working copies and the bundle.
mkdir -p "$state/secondary/root/reports/other"
printf 'another TP001, in another folder\n' > "$state/secondary/root/reports/other/TP001_CP0001_20230414.csv"
d=$(mkdrill two-folders.drill 'target secondary
step "TP001 of the report folder" download "${RRS_REPORT_DIR}/TP001*"
step "TP001 of another folder" download "${RRS_REPORT_DIR}/other/TP001*"')
run_drill -D RRS_DOWNLOAD_DIR="$work/two-dl" "$d"
expect "one report name in two remote folders: both downloaded, each under its folder (exit 0)" \
  bash -c '[ "$1" = 0 ] && cmp -s "$2/127.152.14.121_10022/reports/other/TP001_CP0001_20230414.csv" "$3/other/TP001_CP0001_20230414.csv" &&
    cmp -s "$2/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv" "$3/TP001_CP0001_20230414.csv"' \
  _ "$rc" "$work/two-dl" "$state/secondary/root/reports"
expect "... and the bundle keeps both apart too, each in its SHA256SUMS and MANIFEST" \
  bash -c 'b=$(dirname "$1"); grep -q "  127.152.14.121_10022/reports/other/TP001_CP0001_20230414.csv$" "$b/downloads/SHA256SUMS" &&
    grep -q "  downloads/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv$" "$b/MANIFEST" && "$2" verify "$b" >/dev/null' _ "$junit" "$bin"
rm -rf "$state/secondary/root/reports/other"
# One data home: the backups land in one place whatever folder the job starts in (cron, systemd,
# a shell in another folder), and backups an earlier version left under ./reports/backup are named.
home_a=$work/home-a
mkdir -p "$home_a" "$work/cwd1" "$work/cwd2/reports/backup/2023-04-13"
for d in cwd1 cwd2; do
  out=$(cd "$work/$d" && env -u XDG_DATA_HOME -u SFTPDRILL_DATA HOME="$home_a" "$root/$bin" run \
    --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 \
    --state-dir "$work/home-state" "$root/$B" 2>&1); rc=$?
  eval "rc_$d=$rc"; eval "out_$d=\$out"
done
expect "the daily backup from two folders: both runs pass, the backups in one place (~/.local/share/sftpdrill/backup)" \
  bash -c '[ "$1" = 0 ] && [ "$2" = 0 ] && cd "$3/.local/share/sftpdrill/backup/2023-04-14" && sha256sum --quiet -c SHA256SUMS &&
    [ ! -e "$4/cwd1/reports/backup" ] && grep -q "0 fetched, 14 already backed up unchanged" <<<"$5"' \
  _ "$rc_cwd1" "$rc_cwd2" "$home_a" "$work" "$out_cwd2"
expect "... backups left in ./reports/backup by an earlier version are named, with the command that moves them" \
  bash -c 'grep -q "backups from an earlier version are in $2/cwd2/reports/backup" <<<"$1" &&
    grep -q "^ *mkdir -p .* && cp -a $2/cwd2/reports/backup/. " <<<"$1" && ! grep -q "earlier version" <<<"$3"' \
  _ "$out_cwd2" "$work" "$out_cwd1"
out=$(SFTPDRILL_DATA="$work/data-home" "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
  --business-date 2023-04-14 --state-dir "$work/data-state" "$B" 2>&1); rc=$?
out2=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 \
  --state-dir "$work/data-state2" --backup-dir "$work/flag-backup" "$B" 2>&1); rc2=$?
expect "... \$SFTPDRILL_DATA/backup, and --backup-dir, are where they say" \
  bash -c '[ "$1" = 0 ] && [ "$2" = 0 ] && [ -s "$3/data-home/backup/2023-04-14/SHA256SUMS" ] &&
    [ -s "$3/flag-backup/2023-04-14/SHA256SUMS" ]' _ "$rc" "$rc2" "$work"
