# 73-retry.sh — --retry-until-window-end: a node that comes up late in the window passes on a later
# attempt, every attempt kept; no attempt is started that cannot finish inside the window.
# Sourced by run.sh (its helpers and mirror).
hostfp=$(node_fp "$state" 127.152.14.121)
# A window around now in a zone where it is about noon, so that it never crosses midnight.
off=$((12 - 10#$(date -u +%H)))
zone=$(printf '%s%02d:00' "$([ "$off" -lt 0 ] && echo - || echo +)" "${off#-}")
day=$(date -u -d "@$(($(date +%s) + off * 3600))" +%Y-%m-%d)
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
  bash -c '[ "$1" = 0 ] && grep -q "ALL STEPS PASSED" <<<"$2" && grep -q "↻ 127.152.14.121:10103, Reachable (retried, see attempt 2)" <<<"$2"' \
  _ "$rc" "$out"
expect "... every attempt in the evidence: the failed one superseded, the later one its own suite" \
  bash -c '[ "$(xmllint --xpath "count(//testsuite)" "$1")" = 3 ] &&
    [ "$(xmllint --xpath "string(//testsuite[1]/properties/property[@name=\"superseded.by\"]/@value)" "$1")" = "attempt 2" ] &&
    [ "$(xmllint --xpath "count(//testsuite[1]//failure)" "$1")" -ge 1 ] &&
    [ "$(xmllint --xpath "string(//testsuite[3]/@name)" "$1")" = "late.drill @ 127.152.14.121:10103 (attempt 2)" ] &&
    [ "$(xmllint --xpath "count(//testsuite[3]//testcase[not(failure|error|skipped)])" "$1")" = 3 ] &&
    [ "$(xmllint --xpath "count(//testsuite[2]/properties/property[@name=\"superseded.by\"])" "$1")" = 0 ] &&
    grep -q "attempt 2 of late.drill on 127.152.14.121:10103, in 10 s" "$(dirname "$1")/transcript.log" &&
    "$2" verify "$(dirname "$1")" >/dev/null' _ "$junit" "$bin"
d=$(late_drill short.drill 10104 12:59)
guarded_run --retry-until-window-end 120m "$d"
expect "... an attempt that cannot finish before the window closes is not started: exit 1 at once, said why" \
  bash -c '[ "$1" = 1 ] && grep -q "no time for attempt 2 on 127.152.14.121:10104 before the window closes at 12:59" <<<"$2" &&
    [ "$(xmllint --xpath "count(//testsuite)" "$3")" = 2 ]' _ "$rc" "$out" "$junit"
guarded_run --retry-until-window-end 5m --now "${day}T12:00:00$zone" "$d"
expect "... with --now (not the machine's clock) refused, nothing run" \
  bash -c '[ "$1" = 2 ] && grep -q "cannot wait with --now" <<<"$2"' _ "$rc" "$out"
out=$("$bin" run --retry-until-window-end 5s "$d" 2>&1); rc=$?
expect "... an interval under 10 s refused with an example" \
  bash -c '[ "$1" = 2 ] && grep -q "wants a duration from 10s to 2h (e.g. 5m)" <<<"$2"' _ "$rc" "$out"
