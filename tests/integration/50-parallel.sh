# 50-parallel.sh — integration tests: endpoints in parallel. Sourced by run.sh (its helpers and mirror).
strip() { sed -E 's/\([0-9]+\.[0-9]+s\)//; /^report: /d' <<<"$1"; }
cases() { xmllint --xpath '//testcase' "$1" | sed -E 's/ time="[0-9.]+"//g; s/after [0-9.]+s//g; s/round trip [0-9]+ ms/round trip N ms/g; s/buffer up to [0-9]+ KiB/buffer up to N KiB/g'; }
run_drill "$S1" "$S2"; serial_out=$(strip "$out"); serial_junit=$junit
run_drill --parallel "$S1" "$S2"; parallel_out=$(strip "$out")
expect "--parallel: the same terminal output as a serial run (durations aside)" eq "$parallel_out" "$serial_out"
expect "... the same suites, testcases, statuses and messages in the same order" \
  eq "$(cases "$junit")" "$(cases "$serial_junit")"
expect "... and the endpoints really overlapped (second began before the first ended)" \
  bash -c 'a=$(grep -n "\[127.152.14.122:10022\] begin drill" "$1" | head -1 | cut -d: -f1); b=$(grep -n "\[127.152.14.121:10022\] end drill" "$1" | head -1 | cut -d: -f1); [ "$a" -lt "$b" ]' _ "$(dirname "$junit")/transcript.log"
