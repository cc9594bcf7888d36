# 73-retry.sh — --retry-until-window-end: a node that comes up late in the window passes on a later
# attempt, every attempt kept (Surefire's rerun convention: one testcase per step and endpoint, the
# earlier failures as flakyFailure); no attempt is started that cannot finish inside the window.
# Sourced by run.sh (its helpers and mirror).
hostfp=$(node_fp "$state" 127.152.14.121)
# A window around now in a zone where it is about noon, so that it never crosses midnight.
noon_zone
late_drill() {  # NAME PORT WINDOW-END
  mkdrill "$1" "host-key-pin \"*\" $hostfp
endpoints late \"127.152.14.121:$2,127.152.14.121\"
target late
window $day 11:00 $3 $zone
step \"Reachable\" connect
step \"Login\" login
step \"Logout\" logout"
}
d=$(late_drill late.drill 10103 13:59)
( guarded "$bin" run --report-dir "$work/retry-reports" -D RRS_PROFILE=local-mirror.profile --retry-until-window-end 10s \
    "$d" > "$work/retry.out" 2>&1; echo $? > "$work/retry.rc" ) &
retry_pid=$!
# The first attempt fails (nothing listens there yet); while the run waits, the node comes up.
deadline=$((SECONDS + 60))
until grep -q "attempt 2 on 127.152.14.121:10103 at" "$work/retry.out" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
"$BUILD/cut-proxy" 127.152.14.121 10103 127.152.14.121 10022 90 > "$work/late.out" & fixture_pids+=($!)
wait "$retry_pid"
out=$(cat "$work/retry.out"); rc=$(cat "$work/retry.rc"); junit=$(sed -n 's/^report: //p' <<<"$out")
expect "a node down at first, up before the next attempt: exit 0, the latest attempt decides" \
  bash -c '[ "$1" = 0 ] && grep -q "ALL STEPS PASSED; 1 passed after 2 attempts" <<<"$2" &&
    grep -q "↻ 127.152.14.121:10103, Reachable: passed after 2 attempts (attempt 1: ConnectRefused" <<<"$2"' \
  _ "$rc" "$out"
expect "... one suite per endpoint, the earlier failure a flakyFailure of the step that passed at last" \
  bash -c '[ "$(xmllint --xpath "count(//testsuite)" "$1")" = 2 ] &&
    [ "$(xmllint --xpath "string(//testsuite[1]/@name)" "$1")" = "late.drill @ 127.152.14.121:10103" ] &&
    [ "$(xmllint --xpath "string(//testsuite[1]/properties/property[@name=\"attempts\"]/@value)" "$1")" = 2 ] &&
    [ "$(xmllint --xpath "string(//testsuite[1]/testcase[1]/flakyFailure/@type)" "$1")" = ConnectRefused ] &&
    [ "$(xmllint --xpath "count(//testsuite[1]/testcase[1]/flakyFailure/stackTrace)" "$1")" = 1 ] &&
    [ "$(xmllint --xpath "count(//failure|//error)" "$1")" = 0 ] &&
    [ "$(xmllint --xpath "count(//testsuite[1]//testcase[not(failure|error|skipped)])" "$1")" = 3 ] &&
    grep -q "attempt 2 of late.drill on 127.152.14.121:10103, in 10 s" "$(dirname "$1")/transcript.log" &&
    grep -q "^result: 6 passed, 0 failed, 0 errors, 0 skipped — ALL STEPS PASSED; 1 passed after 2 attempts$" "$(dirname "$1")/RUN-INFO" &&
    grep -q "1 passed after 2 attempts" "$(dirname "$1")/summary.html" &&
    "$2" verify "$(dirname "$1")" >/dev/null' _ "$junit" "$bin"
if [ -n "$schemas" ]; then
  expect "... which both Jenkins' junit-10 and Surefire's schema accept" "$BUILD/junit-check" "$junit" "$schemas"
fi
d=$(late_drill short.drill 10104 12:59)
guarded_run --retry-until-window-end 120m "$d"
expect "... an attempt that cannot finish before the window closes is not started: exit 1 at once, said why" \
  bash -c '[ "$1" = 1 ] && grep -q "no time for attempt 2 on 127.152.14.121:10104 before the window closes at 12:59" <<<"$2" &&
    [ "$(xmllint --xpath "count(//testsuite)" "$3")" = 2 ]' _ "$rc" "$out" "$junit"

# Ctrl-C while waiting for the window: exit 130, a sealed bundle that says INCOMPLETE and a rehearsal,
# and a JUnit every CI reader sees red (each endpoint's first step an Interrupted error).
d=$(late_drill waiting.drill 10105 23:59)
sed -i "s/^window .*/window $day 23:00 23:59 $zone/" "$d"
"$bin" run --report-dir "$work/wait-reports" -D RRS_PROFILE=local-mirror.profile --wait-for-window "$d" > "$work/wait.out" 2>&1 &
wait_pid=$!
deadline=$((SECONDS + 30))
until grep -q "waiting for the window of" "$work/wait.out" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
kill -INT "$wait_pid"; wait "$wait_pid"; rc=$?
out=$(cat "$work/wait.out"); junit=$(sed -n 's/^report: //p' <<<"$out")
expect "Ctrl-C while waiting for the window: exit 130, INCOMPLETE and a rehearsal on the terminal" \
  bash -c '[ "$1" = 130 ] && grep -q "— INCOMPLETE (REHEARSAL)" <<<"$2"' _ "$rc" "$out"
expect "... the sealed bundle agrees (RUN-INFO, mode, JUnit errors) and says it was stopped while waiting" \
  bash -c '"$3" verify "$(dirname "$1")" >/dev/null && grep -q "^verdict: INCOMPLETE$" "$(dirname "$1")/RUN-INFO" &&
    grep -q "^mode: REHEARSAL" "$(dirname "$1")/RUN-INFO" && grep -q "^interrupted: signal 2 while waiting for the window" "$(dirname "$1")/RUN-INFO" &&
    [ "$(xmllint --xpath "count(//testcase/error[@type=\"Interrupted\"])" "$1")" = 2 ] &&
    xmllint --xpath "string(//property[@name=\"run.interrupted\"]/@value)" "$1" | grep -q "while waiting for the window"' \
  _ "$junit" "$rc" "$bin"
guarded_run --retry-until-window-end 5m --now "${day}T12:00:00$zone" "$d"
expect "... with --now (not the machine's clock) refused, nothing run" \
  bash -c '[ "$1" = 2 ] && grep -q "cannot wait with --now" <<<"$2"' _ "$rc" "$out"
out=$("$bin" run --retry-until-window-end 5s "$d" 2>&1); rc=$?
expect "... an interval under 10 s refused with an example" \
  bash -c '[ "$1" = 2 ] && grep -q "wants a duration from 10s to 2h (e.g. 5m)" <<<"$2"' _ "$rc" "$out"
