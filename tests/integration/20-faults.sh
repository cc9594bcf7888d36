# 20-faults.sh — integration tests: faults. Sourced by run.sh (its helpers and mirror).
run_drill -D RRS_TARGET_HOST=127.151.14.121,127.151.14.122 "$S1"
expect "forgotten switch to secondary: TargetMismatch, exit 1" eq "$rc/$(xval '(//failure/@type)[1]')" 1/TargetMismatch
expect "... and the connection steps still ran" eq "$(xcount '//testcase[not(failure|error|skipped)]')" 12

run_drill -D RRS_SECONDARY=127.152.14.121:10099,127.152.14.122 "$S1"
expect "nothing listening: ConnectRefused" eq "$(xval '(//failure/@type)[1]')" ConnectRefused
expect "... the steps after it are skipped" eq "$(xcount '//testsuite[1]//skipped')" 5
expect "... the next endpoint still runs and passes" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 7

ssh-keygen -q -t ed25519 -N '' -f "$work/other_host" -C other
for a in 127.152.14.121 127.152.14.122; do echo "[$a]:10022 $(cut -d' ' -f1,2 "$work/other_host.pub")"; done > "$work/changed_known_hosts"
run_drill -D RRS_KNOWN_HOSTS="$work/changed_known_hosts" "$S1"
expect "changed host key: HostKeyMismatch" eq "$(xval '(//failure/@type)[1]')" HostKeyMismatch
expect "... the message names both fingerprints" grep -q "$(ssh-keygen -lf "$work/other_host.pub" | cut -d' ' -f2)" "$junit"
expect "... no login attempted after it (login skipped)" eq "$(xval "//testsuite[1]/testcase[@name='Login with User ID and SSH key']/skipped/@message" | cut -c1-8)" "not run:"

: > "$work/empty_known_hosts"
run_drill -D RRS_KNOWN_HOSTS="$work/empty_known_hosts" "$S1"
expect "unknown host key: HostKeyUnknown (fail closed)" eq "$(xval '(//failure/@type)[1]')" HostKeyUnknown

ssh-keygen -q -t ed25519 -N '' -f "$work/stranger" -C stranger
run_drill -D RRS_KEY="$work/stranger" "$S1"
expect "key not authorised: AuthRejected" eq "$(xval '(//failure/@type)[1]')" AuthRejected
expect "... names what the server accepts" grep -q "server accepts: publickey" "$junit"

d=$(mkdrill missing.drill 'target secondary
step "Missing by pattern" download "/reports/NOPE*"
step "Missing by name" download "/reports/NOPE.csv"
step "Missing folder" count "/nope" == 1')
run_drill "$d"
expect "missing files and folders: FileMissing ×3 per endpoint" eq "$(xcount "//failure[@type='FileMissing']")" 6

tests/mirror/mirror.sh add-file "$state" secondary "TP999_CP0001_EXTRA.csv" 500
run_drill "$S1"
expect "a file added on the server: CountMismatch, exit 1" eq "$rc/$(xval '(//failure/@type)[1]')" 1/CountMismatch
expect "... naming the added file" grep -q "added: TP999_CP0001_EXTRA.csv; removed: none" "$junit"
rm -f "$state/secondary/root/reports/TP999_CP0001_EXTRA.csv"

run_drill --non-business-day 2023-04-14 "$S1"
expect "a typhoon closure on Friday moves the baseline to Thursday (none recorded: NoBaseline)" \
  grep -q "last business day, 2023-04-13" "$junit"
