# 10-sessions.sh — integration tests: the circular's two sessions, as shipped. Sourced by run.sh (its helpers and mirror).
run_drill --business-date 2023-04-18 "$S1"
expect "no manifest for the last business day: NoBaseline" eq "$(xval '(//failure/@type)[1]')" NoBaseline
expect "... saying which day and how to record one" grep -q "2023-04-17.*sftpdrill snapshot" "$junit"

out=$("$bin" snapshot --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 "$S1" "$S2" 2>&1); rc=$?
expect "snapshot on Friday 2023-04-14 records a manifest per endpoint" \
  eq "$rc/$(find "$SFTPDRILL_STATE" -path '*2023-04-14*' -name '*.manifest' | wc -l)" 0/4
expect "... plain text, stable order, with its key in the header" \
  bash -c 'f=$(find "$1" -name "127.152.14.121*.manifest"); grep -q "^# business-date 2023-04-14" "$f" && grep -q "^# folder /reports" "$f" && [ "$(grep -v "^#" "$f" | cut -d" " -f4 | sort -c && echo sorted)" = sorted ]' _ "$state"

run_drill "$S1" "$S2"
expect "both sessions pass on the mirror (exit 0)" eq "$rc" 0
expect "4 suites, one per (drill, endpoint)" eq "$(xcount '//testsuite')" 4
expect "28 testcases, all passed" eq "$(xcount '//testcase[not(failure|error|skipped)]')" 28
expect "suite names are unique" eq "$(xmllint --xpath '//testsuite/@name' "$junit" | sort | uniq -d | wc -l)" 0
expect "host-key fingerprint recorded" eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.sha256']/@value")" \
  "$(node_fp "$state" 127.152.14.121)"
expect "ed25519 host key chosen although the server also offers ECDSA" \
  eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.type']/@value")" ssh-ed25519
expect "user-key fingerprint recorded" eq "$(xval "//testsuite[1]/properties/property[@name='userkey.sha256']/@value")" \
  "$(ssh-keygen -lf "$state/user_ed25519.pub" | cut -d' ' -f2)"
expect "TP001 downloaded intact" cmp -s "$work/downloads/127.152.14.121_10022/reports/"TP001_* "$state/secondary/root/reports/"TP001_*
expect "no temporary files left" eq "$(find "$work/downloads" -name '.*sftpdrill-*' | wc -l)" 0
if [ -n "$schemas" ]; then
  expect "junit.xml validates (junit-10, Surefire per suite) with consistent counts" "$BUILD/junit-check" "$junit" "$schemas"
fi
first_report=$junit

expect "the count compared with Friday's manifest" \
  eq "$(xval "//testsuite[1]/properties/property[@name='baseline.date']/@value")" 2023-04-14

run_drill "$S1"
expect "second run passes; identical files already present are not overwritten" eq "$rc" 0
expect "a new run folder each time" test "$(dirname "$junit")" != "$(dirname "$first_report")"
expect "the download says the identical file was already there" grep -q "identical file already present" "$junit"

out=$("$bin" check "$S1" "$S2" 2>&1); rc=$?
expect "shipped drills pass check (production profile)" eq "$rc" 0
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile "$S1" "$S2" scenarios/hkex-rrs/daily-backup.drill 2>&1); rc=$?
expect "shipped drills pass check (local mirror profile)" eq "$rc" 0

d=$(mkdrill stat.drill 'target secondary
step "TP001 is there" stat "${RRS_REPORT_DIR}/TP001_CP0001_20230414.csv"
step "The folder is not a file" stat "${RRS_REPORT_DIR}"
step "A report that is not there" stat "${RRS_REPORT_DIR}/NOPE.csv"')
run_drill "$d"
expect "stat: a report is a regular file, its size and time recorded" \
  grep -q "TP001_CP0001_20230414.csv: a regular file of 307200 bytes, modified 2023-04-14T10:00:00Z" "$junit"
expect "... a folder is NotAFile, a missing report FileMissing (exit 1)" \
  eq "$rc/$(xval '//testsuite[1]/testcase[2]/failure/@type')/$(xval '//testsuite[1]/testcase[3]/failure/@type')" 1/NotAFile/FileMissing
