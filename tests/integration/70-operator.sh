# 70-operator.sh — integration tests: what the operator sees. Sourced by run.sh (its helpers and mirror).
out=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR="$work/downloads" \
  --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 -D RRS_SECONDARY=127.152.14.121,127.152.14.122:10099 "$S1" 2>/dev/null | sed -E 's/\([0-9]+\.[0-9]{3}s\)/(Ts)/; s/^report: .*/report: R/')
expected='== RRS post-release connectivity - Secondary Data Centre (Session 1) @ 127.152.14.121:10022
  ✓  Secondary addresses configured (Ts)
  ✓  Secondary addresses reachable (Ts)
  ✓  Login with User ID and SSH key (Ts)
  ✓  File count unchanged since last business day (Ts)
  ✓  Download TP001 (Ts)
  ✓  Download TP002 (Ts)
  ✓  Logout (Ts)
== RRS post-release connectivity - Secondary Data Centre (Session 1) @ 127.152.14.122:10099
  ✓  Secondary addresses configured (Ts)
  ✗  Secondary addresses reachable (Ts)
       ConnectRefused: connection to 127.152.14.122 port 10099 refused: nothing is listening there
  –  Login with User ID and SSH key (Ts)
  –  File count unchanged since last business day (Ts)
  –  Download TP001 (Ts)
  –  Download TP002 (Ts)
  –  Logout (Ts)

RRS post-release connectivity - Secondary Data Centre (Session 1)
                                                127.152.14.121:10022    127.152.14.122:10099    
  Secondary addresses configured                ✓                       ✓                       
  Secondary addresses reachable                 ✓                       ✗ ConnectRefused        
  Login with User ID and SSH key                ✓                       – Skipped               
  File count unchanged since last business day  ✓                       – Skipped               
  Download TP001                                ✓                       – Skipped               
  Download TP002                                ✓                       – Skipped               
  Logout                                        ✓                       – Skipped               

8 passed, 1 failed, 0 errors, 5 skipped — NOT ALL STEPS PASSED (REHEARSAL)
REHEARSAL — clock overridden (--now 2023-04-15T14:45:00+08:00)
report: R'
expect "piped output: one stable line per event, the reason under the failure, a summary table" eq "$out" "$expected"

out=$("$bin" run -v --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR="$work/downloads" \
  --business-date 2023-04-15 "$S1" 2>&1)
expect "--verbose shows each phase" bash -c 'for p in connect banner kex host-key auth sftp-init; do grep -q "       · $p: " <<<"$1" || exit 1; done' _ "$out"

script -q -c "env COLUMNS=120 TERM=xterm $bin run --report-dir $work/reports -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR=$work/downloads --business-date 2023-04-15 -D RRS_SECONDARY=127.152.14.121,127.152.14.122:10099 $S1" \
  "$work/typescript" >/dev/null 2>&1 </dev/null
screen=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r/\n/g' "$work/typescript" | grep -v '^\s*$')
expect "live view on a terminal: colour, in-place status lines, the final table and report path" \
  bash -c 'grep -q $'"'"'\x1b\[32m✓'"'"' "$1" && grep -q $'"'"'\x1b\[1A'"'"' "$1" && grep -q "Secondary addresses reachable  *✓  *✗ ConnectRefused" <<<"$2" && grep -q "^report: " <<<"$2" && grep -q "ConnectRefused: connection to 127.152.14.122 port 10099 refused" <<<"$2"' \
  _ "$work/typescript" "$screen"
script -q -c "env NO_COLOR=1 TERM=xterm $bin run --report-dir $work/reports -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR=$work/downloads --business-date 2023-04-15 $S1" \
  "$work/typescript2" >/dev/null 2>&1 </dev/null
expect "... NO_COLOR keeps the live view without colour" bash -c '! grep -q $'"'"'\x1b\[3[0-9]m'"'"' "$1" && grep -q "28\|14 passed" "$1"' _ "$work/typescript2"

for c in run check plan snapshot business-day verify sign version help; do
  h1=$("$bin" help "$c" 2>&1); r1=$?; h2=$("$bin" "$c" --help 2>&1); r2=$?
  expect "help $c and $c --help" bash -c '[ "$1$2" = 00 ] && [[ "$3" == "usage: sftpdrill $4"* ]] && [ "$3" = "$5" ]' _ "$r1" "$r2" "$h1" "$c" "$h2"
done
out=$("$bin" --help); expect "--help lists every command" bash -c 'for c in run check plan snapshot business-day verify sign; do grep -q "^  $c" <<<"$1" || exit 1; done' _ "$out"

run_drill --now 2023-04-15T14:45:00+08:00 "$S1"
expect "inside the window: no warning, recorded as inside" \
  bash -c '! grep -q "outside the drill.s window" <<<"$1" && grep -q "name=\"window.status\" value=\"inside\"" "$2"' _ "$out" "$junit"
run_drill --now 2023-04-15T16:45:00+08:00 "$S1"
expect "after the window: a warning, recorded, and it still runs" \
  bash -c '[ "$3" = 0 ] && grep -q "is after the drill.s window 2023-04-15 14:30 15:30 Asia/Hong_Kong (it closed 75 min ago); running anyway as a rehearsal" <<<"$1" && grep -q "name=\"window.status\" value=\"after: run at 2023-04-15T16:45:00" "$2"' _ "$out" "$junit" "$rc"
expect "... a rehearsal in the verdict itself: terminal, JUnit, summary.html and RUN-INFO" \
  bash -c 'grep -A1 "^14 passed, 0 failed, 0 errors, 0 skipped — ALL STEPS PASSED (REHEARSAL)$" <<<"$1" | grep -q "^REHEARSAL — outside the window$" &&
    grep -q "name=\"run.mode\" value=\"REHEARSAL — outside the window\"" "$2" && grep -q "name=\"clock.now\" value=\"2023-04-15T16:45:00+08:00\"" "$2" &&
    grep -q "class=\"mode\">REHEARSAL — outside the window</span>ALL STEPS PASSED" "${2%/*}/summary.html" &&
    grep -q "^mode: REHEARSAL — outside the window$" "${2%/*}/RUN-INFO" && grep -q "^now: 2023-04-15T16:45:00+08:00 " "${2%/*}/RUN-INFO" &&
    grep -q "^clock: $(date -u +%Y-%m-%d)" "${2%/*}/RUN-INFO"' _ "$out" "$junit"
run_drill --now 2023-04-15T08:45:00Z --enforce-window "$S1"
expect "--enforce-window refuses outside the window (exit 2, nothing run)" \
  bash -c '[ "$1" = 2 ] && grep -q "is after the drill.s window" <<<"$2" && [ -z "$3" ]' _ "$rc" "$out" "$junit"
run_drill --now 2023-04-15T06:45:00Z "$S1"
expect "... and --now in UTC is the same instant as 14:45 in Hong Kong" grep -q 'value="inside"' "$junit"
out=$("$bin" run --now yesterday "$S1" 2>&1); rc=$?
expect "a malformed --now: exit 2 with an example" bash -c '[ "$1" = 2 ] && grep -q "2023-04-15T14:45:00+08:00" <<<"$2"' _ "$rc" "$out"
