# 62-interrupted.sh — integration tests: Ctrl-C, SIGTERM, a closed pipe, a second signal and a crash.
# Sourced by run.sh (its helpers and mirror). An interrupted run is evidence too: sealed, INCOMPLETE.

hostfp=$(node_fp "$state" 127.152.14.121)

# until_true CMD...: wait (at most 30 s) until CMD succeeds; a guard, not a timing assertion.
until_true() {
  local deadline=$((SECONDS + 30))
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}
# start_run OUT ARGS...: a run in the background, its output in OUT, its pid in run_pid.
start_run() {
  local o=$1; shift
  "$bin" run --report-dir "$work/kills" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-15 \
    --now 2023-04-15T14:45:00+08:00 "$@" > "$o" 2>&1 &
  run_pid=$!
}
# finish_run: wait for the background run; its status in rc, its output in out, its bundle in kb.
finish_run() {
  local deadline=$((SECONDS + 60))
  while kill -0 "$run_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  kill -0 "$run_pid" 2>/dev/null && { kill -9 "$run_pid"; echo "# a run did not stop within 60 s" >&2; }
  wait "$run_pid"; rc=$?
  out=$(cat "$1")
  kb=$(ls -d "$work"/kills/*/ 2>/dev/null | sort | tail -n 1); kb=${kb%/}
}
started() { compgen -G "$work/kills/*/transcript.log" >/dev/null; }
partials() { find "$@" -name '.*.sftpdrill-*' 2>/dev/null | wc -l; }
temp_in() { [ "$(partials "$1")" -gt 0 ]; }

# A closed pipe: `| head -1` ends the output, never the session.
rm -rf "$work/kills"
d=$(mkdrill piped.drill 'target secondary
step "Login" login
step "Download TP001" download "/reports/TP001*"
step "Download TP002" download "/reports/TP002*"
step "Logout" logout')
"$bin" run --report-dir "$work/kills" -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR="$work/downloads" \
  --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 "$d" 2>"$work/pipe.err" | head -n 1 > "$work/pipe.out"
rc=${PIPESTATUS[0]}; kb=$(ls -d "$work"/kills/*/ | tail -n 1); kb=${kb%/}
expect "sftpdrill run | head -1: the run goes on to the end (exit 0, not 141) and seals its bundle" \
  bash -c '[ "$1" = 0 ] && [ "$(wc -l < "$2")" = 1 ] && "$3" verify "$4" >/dev/null && grep -q "^verdict: ALL STEPS PASSED$" "$4/RUN-INFO" &&
    grep -q "run finished: exit status 0" "$4/transcript.log"' _ "$rc" "$work/pipe.out" "$bin" "$kb"

head -c 40000000 /dev/urandom > "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
"$BUILD/cut-proxy" 127.152.14.121 10091 127.152.14.121 10022 240 rate=2000000 > "$work/slowk.out" & fixture_pids+=($!)
ready "$work/slowk.out"
kd=$(mkdrill kill.drill "host-key-pin \"*\" $hostfp
endpoints slowk \"127.152.14.121:10091,127.152.14.122\"
target slowk
step \"Login\" login
step \"Download the big report\" download \"/reports/BIG*\" timeout 90s
step \"Download TP001\" download \"/reports/TP001*\"
step \"Logout\" logout")
kdl=$work/kill-dl/127.152.14.121_10091/reports

# (2 MB/s: slow enough to stop mid-file, fast enough that the reads libssh2 has in flight drain within
# the 2 s a stopped run gives a handle to close, so nothing is leaked.)
# SIGINT in the middle of a download: the step ends Interrupted, the rest are skipped, all sealed.
rm -rf "$work/kills"
start_run "$work/k1.out" -D RRS_DOWNLOAD_DIR="$work/kill-dl" "$kd"
until_true temp_in "$kdl"
kill -INT "$run_pid"; finish_run "$work/k1.out"
junit=$kb/junit.xml
expect "Ctrl-C during a download: exit 130, the step an Interrupted error, the rest skipped" \
  bash -c '[ "$1" = 130 ] && [ "$(xmllint --xpath "string(//testcase[@name=\"Download the big report\"]/error/@type)" "$2")" = Interrupted ] &&
    [ "$(xmllint --xpath "string(//testcase[@name=\"Logout\"]/skipped/@message)" "$2")" = "not run: the run was interrupted" ]' _ "$rc" "$junit"
expect "... the endpoint not drilled yet says so: its first step an Interrupted error, the others skipped" \
  bash -c '[ "$(xmllint --xpath "string(//testsuite[2]/testcase[1]/error/@type)" "$1")" = Interrupted ] &&
    xmllint --xpath "string(//testsuite[2]/testcase[1]/error/@message)" "$1" | grep -q "before 127.152.14.122:10022 was drilled" &&
    [ "$(xmllint --xpath "count(//testsuite[2]//skipped)" "$1")" = 3 ]' _ "$junit"
expect "... the partial download is gone, from the download folder and the bundle" eq "$(partials "$work/kill-dl" "$kb")" 0
out_v=$("$bin" verify "$kb" 2>&1); rc_v=$?
expect "... the bundle is sealed and verifies, recording INCOMPLETE" \
  bash -c '[ "$1" = 0 ] && grep -q "^recorded verdict: INCOMPLETE" <<<"$2" && grep -q "^verdict: INCOMPLETE$" "$3/RUN-INFO" &&
    grep -q ">INCOMPLETE: " "$3/summary.html" && grep -q "skipped — INCOMPLETE (REHEARSAL)$" <<<"$4"' _ "$rc_v" "$out_v" "$kb" "$out"
[ -n "$schemas" ] && expect "... and its junit.xml validates" "$BUILD/junit-check" "$junit" "$schemas"

# SIGTERM and SIGINT at random points of a session (connect, login, download, the next endpoint).
for sig in TERM INT TERM INT; do
  rm -rf "$work/kills"
  start_run "$work/k2.out" -D RRS_DOWNLOAD_DIR="$work/kill-dl" "$kd"
  until_true started
  delay=$(printf '0.%03d' $((RANDOM % 1000))); sleep "$((RANDOM % 3)).${delay#0.}"
  kill -"$sig" "$run_pid" 2>/dev/null; finish_run "$work/k2.out"
  want=$([ $sig = INT ] && echo 130 || echo 143)
  expect "SIG$sig at a random point: exit $want, a sealed INCOMPLETE bundle, nothing partial" \
    bash -c '[ "$1" = "$2" ] && "$3" verify "$4" >/dev/null && grep -q "^verdict: INCOMPLETE$" "$4/RUN-INFO" &&
      [ "$(find "$5" "$4" -name ".*.sftpdrill-*" | wc -l)" = 0 ] && [ ! -e "$4/.unsealed" ]' \
    _ "$rc" "$want" "$bin" "$kb" "$work/kill-dl"
done

# A second signal ends the process at once: nothing is sealed, and nothing claims a verdict. (Two
# SIGINTs sent together merge into one pending signal, so the second is a SIGTERM.)
rm -rf "$work/kills"
start_run "$work/k3.out" -D RRS_DOWNLOAD_DIR="$work/kill-dl" "$kd"
until_true temp_in "$kdl"
kill -INT "$run_pid"; kill -TERM "$run_pid"; finish_run "$work/k3.out"
out_v=$("$bin" verify "$kb" 2>&1); rc_v=$?
expect "a second signal aborts at once: the folder holds no junit.xml or summary, and verify calls it unsealed" \
  bash -c '{ [ "$1" = 130 ] || [ "$1" = 143 ]; } && [ ! -e "$3/junit.xml" ] && [ ! -e "$3/summary.html" ] && [ ! -e "$3/RUN-INFO" ] &&
    [ "$2" = 1 ] && grep -q "never sealed" <<<"$4"' _ "$rc" "$rc_v" "$kb" "$out_v"

# A crash (SIGKILL) leaves a hidden partial file; the next run in that folder removes it.
rm -rf "$work/kills"
start_run "$work/k4.out" -D RRS_DOWNLOAD_DIR="$work/kill-dl" "$kd"
# Killed once data is in it: an empty temporary file a minute old or less may be another run's, being born.
until_true bash -c '[ -n "$(find "$1" -name ".*.sftpdrill-*" -size +0 2>/dev/null)" ]' _ "$kdl"
kill -KILL "$run_pid"; finish_run "$work/k4.out"
left=$(find "$kdl" -name '.*' -type f -printf '%f %s bytes\n' 2>/dev/null)
expect "kill -9 during a download leaves a hidden partial file (nothing under the final name)" \
  bash -c '[ "$(grep -c "^\.BIG.*\.sftpdrill-.* [1-9][0-9]* bytes$" <<<"$2")" = 1 ] && [ ! -e "$1/BIG_CP0001_20230414.bin" ]' _ "$kdl" "$left"
d=$(mkdrill after-crash.drill "host-key-pin \"*\" $hostfp
endpoints slowk \"127.152.14.121:10091\"
target slowk
step \"Download TP001\" download \"/reports/TP001*\"")
run_drill -D RRS_DOWNLOAD_DIR="$work/kill-dl" "$d"
# (An empty one a minute old or less is spared: it may be another run's, being born.)
expect "... and the next run in that folder removes it" \
  bash -c '[ "$1" = 0 ] && [ "$(find "$2" -name ".*.sftpdrill-*" -size +0 | wc -l)" = 0 ] && [ -s "$2/TP001_CP0001_20230414.csv" ]' _ "$rc" "$kdl"
rm -f "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
rm -rf "$work/kills" "$work/kill-dl"
