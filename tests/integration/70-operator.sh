# 70-operator.sh — integration tests: what the operator sees. Sourced by run.sh (its helpers and mirror).
out=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR="$work/downloads" \
  --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00 -D RRS_SECONDARY=127.152.14.121,127.152.14.122:10099 "$S1" 2>/dev/null | sed -E 's/\([0-9]+\.[0-9]{3}s\)/(Ts)/; s/^report: .*/report: R/')
expected='== RRS post-release connectivity - Secondary Data Centre (Session 1) @ 127.152.14.121:10022
  ✓  Secondary addresses configured (Ts)
  ✓  Secondary addresses reachable (Ts)
  ✓  Login with User ID and SSH key (Ts)
  ✓  File count unchanged since last business day (Ts)
  ✓  Download TP001 (Ts)
       note: took TP001_CP0001_20230414.csv
  ✓  Download TP002 (Ts)
       note: took TP002_CP0001_20230414.csv
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

What failed, and what to do:
  ✗ 127.152.14.122:10099, Secondary addresses reachable: ConnectRefused: connection to
      127.152.14.122 port 10099 refused: nothing is listening there
      fix: check the port; the address answered but no service listens there
      if it persists, call: whoever started the local mirror (tests/mirror/mirror.sh; sshd logs in
           STATE/nodes/ADDR/sshd.log)
8 passed, 1 failed, 0 errors, 5 skipped — NOT ALL STEPS PASSED (REHEARSAL)
REHEARSAL — clock overridden (--now 2023-04-15T14:45:00+08:00)
report: R'
expect "piped output: one stable line per event, the reason under the failure, a note under a pass worth one, a summary table, the failures recapped with the fix" eq "$out" "$expected"

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
expect "every help text fits an 80-column terminal (the types table aside)" \
  bash -c 'for c in "" run check plan snapshot business-day verify sign record merge version help; do
    "$1" help $c | awk -v c="$c" '"'"'length > 80 { print "help " c ": " $0; bad = 1 } END { exit bad }'"'"' || exit 1; done' _ "$bin"
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
expect "--enforce-window refuses outside the window (exit 2, nothing run, the refusal recorded)" \
  bash -c '[ "$1" = 2 ] && grep -q "is after the drill.s window" <<<"$2" &&
    [ "$(xmllint --xpath "count(//testcase/error[@type=\"PreflightRefused\"])" "$3")" = 1 ] &&
    [ "$(xmllint --xpath "count(//testcase)" "$3")" = 1 ] && grep -q "^exit-status: 2$" "${3%/*}/RUN-INFO"' _ "$rc" "$out" "$junit"
# A refused run tells the hook too, and leaves a sealed bundle for it to attach (a cron job that nobody
# watches would otherwise fail silently every night): a key that became readable by others, a -D
# nobody uses, and a bad option given after --on-failure.
cp "$state/user_ed25519" "$work/loose_key"; chmod 644 "$work/loose_key"
: > "$work/refused-hooks.log"
hook="echo \"\$SFTPDRILL_EXIT_STATUS|\$SFTPDRILL_REPORT\" >> $work/refused-hooks.log"
run_drill --on-failure "$hook" -D RRS_KEY="$work/loose_key" "$S1"
expect "a key open to others: exit 2, --on-failure told, the refusal a sealed bundle it can attach" \
  bash -c '[ "$1" = 2 ] && [ "$(sed -n 1p "$3")" = "2|$2" ] && "$4" verify "${2%/*}" >/dev/null &&
    xmllint --xpath "string(//testcase/error[@type=\"PreflightRefused\"]/@message)" "$2" | grep -q "open to group or others"' \
  _ "$rc" "$junit" "$work/refused-hooks.log" "$bin"
run_drill --on-failure "$hook" -D RRS_NO_SUCH_NAME=1 "$S1"
expect "... a -D no drill uses: the same" \
  bash -c '[ "$1" = 2 ] && [ "$(sed -n 2p "$3")" = "2|$2" ] && grep -q "RRS_NO_SUCH_NAME" "${2%/*}/transcript.log"' \
  _ "$rc" "$junit" "$work/refused-hooks.log"
out=$("$bin" run --on-failure "$hook" --no-such-option "$S1" 2>&1); rc=$?
expect "... an unknown option after --on-failure: exit 2, the hook told (no bundle: nothing was read)" \
  bash -c '[ "$1" = 2 ] && [ "$(sed -n 3p "$2")" = "2|" ]' _ "$rc" "$work/refused-hooks.log"
run_drill --now 2023-04-15T06:45:00Z "$S1"
expect "... and --now in UTC is the same instant as 14:45 in Hong Kong" grep -q 'value="inside"' "$junit"
out=$("$bin" run --now yesterday "$S1" 2>&1); rc=$?
expect "a malformed --now: exit 2 with an example" bash -c '[ "$1" = 2 ] && grep -q "2023-04-15T14:45:00+08:00" <<<"$2"' _ "$rc" "$out"

# --wait-for-window: before the window, wait (on the machine's clock) until it opens, then run inside it.
now_s=$(date -u +%s); start=$(( (now_s / 60 + 1) * 60 ))
if [ "$(date -u -d "@$start" +%H:%M)" \< "23:58" ]; then
  d=$(mkdrill waiting.drill "window $(date -u -d "@$start" '+%Y-%m-%d %H:%M') $(date -u -d "@$((start + 600))" +%H:%M) UTC
target secondary
step \"Login\" login
step \"Logout\" logout")
  out=$(guarded "$bin" run --wait-for-window --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile "$d" 2>&1); rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
  expect "--wait-for-window: waits for the window to open, then runs inside it (the session, not a rehearsal)" \
    bash -c '[ "$1" = 0 ] && grep -q "waiting for the window of waiting.drill: it opens at" <<<"$2" &&
      grep -q "name=\"window.status\" value=\"inside\"" "$3" && grep -q "name=\"run.mode\" value=\"session\"" "$3" &&
      grep -q "waited [0-9]* s for the window" "${3%/*}/transcript.log" && [ "$(date -u +%s)" -ge "$4" ]' _ "$rc" "$out" "$junit" "$start"
else
  echo "# note: too close to midnight UTC for a window in the next minute: --wait-for-window not run" >&2
fi
noon_zone   # tomorrow at 08:00 where it is about noon now: about 20 hours ahead, never across midnight
d=$(mkdrill far.drill "window $(date -u -d "$day + 1 day" +%Y-%m-%d) 08:00 08:10 $zone
target secondary
step \"Login\" login")
out=$("$bin" run --wait-for-window --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile "$d" 2>&1); rc=$?
expect "... refuses to wait 20 hours (exit 2, nothing run, the refusal recorded)" \
  bash -c '[ "$1" = 2 ] && grep -q "waits at most 12 h" <<<"$2" && j=$(sed -n "s/^report: //p" <<<"$2") &&
    grep -q "waits at most 12 h" "${j%/*}/transcript.log"' _ "$rc" "$out"
out=$("$bin" run --wait-for-window --now 2023-04-15T14:00:00+08:00 --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile "$S1" 2>&1); rc=$?
expect "... and cannot wait for a --now clock (exit 2)" bash -c '[ "$1" = 2 ] && grep -q "cannot wait for --now" <<<"$2"' _ "$rc" "$out"

# The live view in a real terminal (tmux, its own server socket), at 80x24 and 120x40: a first-use host
# key warning, a node down, a failure recap. Nothing the terminal shows may wrap or be overwritten.
if command -v tmux >/dev/null; then
  for size in 80x24 120x40; do
    cols=${size%x*} rows=${size#*x} sock=$work/tmux-$size.sock
    cp "$work/empty_known_hosts" "$work/tofu-$size" 2>/dev/null || : > "$work/tofu-$size"
    # From the work folder with a short --report-dir, as an operator would: the report's path fits the line.
    cmd="cd $work && env TERM=xterm-256color $root/$bin run --trust-on-first-use --report-dir r -D RRS_PROFILE=local-mirror.profile"
    cmd+=" -D RRS_DOWNLOAD_DIR=$work/downloads -D RRS_KNOWN_HOSTS=$work/tofu-$size --business-date 2023-04-15"
    cmd+=" --now 2023-04-15T14:45:00+08:00 -D RRS_SECONDARY=127.152.14.121,127.152.14.122:10099 $root/$S1; echo SHOT-DONE; sleep 60"
    tmux -S "$sock" new-session -d -x "$cols" -y "$rows" -s shot "$cmd"
    deadline=$((SECONDS + 60))
    until tmux -S "$sock" capture-pane -p -t shot | grep -q SHOT-DONE || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
    tmux -S "$sock" capture-pane -p -S - -E - -t shot > "$work/screen-$size.txt"
    tmux -S "$sock" capture-pane -p -J -S - -E - -t shot > "$work/screen-$size.joined"
    tmux -S "$sock" kill-server
    expect "live view at $size: no line wraps (the joined capture has as many lines), every line within $cols columns" \
      bash -c '[ "$(wc -l < "$1")" = "$(wc -l < "$2")" ] && /usr/bin/python3 -c "import sys; sys.exit(max(len(l.rstrip(chr(10))) for l in open(sys.argv[1], encoding=\"utf-8\")) > int(sys.argv[2]))" "$1" "$3"' \
      _ "$work/screen-$size.txt" "$work/screen-$size.joined" "$cols"
    expect "... the first-use warning whole, no stale status line left, the table, the recap with the fix, the report" \
      bash -c 'tr "\n" " " < "$1" | tr -s " " | grep -q "TRUSTED ON FIRST USE: .* confirm this fingerprint with the service.s operator" &&
        ! grep -q "[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]" "$1" && grep -q "^  Secondary addresses reachable" "$1" &&
        grep -q "^What failed, and what to do:" "$1" && grep -q "^      fix: check the port" "$1" && grep -q "^report: " "$1"' \
      _ "$work/screen-$size.txt"
  done
  expect "... at 80 columns the table names the nodes and lists them below; at 120 it shows the endpoints" \
    bash -c 'grep -q "^  node 2 = 127.152.14.122:10099$" "$1" && ! grep -q "node 2 = " "$2" && grep -q "127.152.14.121:10022  *127.152.14.122:10099" "$2"' \
    _ "$work/screen-80x24.txt" "$work/screen-120x40.txt"
else
  echo "# note: tmux missing: the live view was not checked in a terminal" >&2
fi

# A wrong passphrase typed on the terminal is asked for again (three tries in all), as ssh does.
if command -v tmux >/dev/null && [ -f "$work/encrypted" ]; then
  sock=$work/tmux-pp.sock
  d=$(mkdrill passphrase.drill 'target secondary
step "Login" login
step "Logout" logout')
  tmux -S "$sock" new-session -d -x 120 -y 40 -s pp "env -u RRS_KEY_PASSPHRASE TERM=xterm $root/$bin run --report-dir $work/reports -D RRS_PROFILE=local-mirror.profile -D RRS_KEY=$work/encrypted --now 2023-04-15T14:45:00+08:00 $d; echo EXIT=\$?; sleep 60"
  wait_for() { local deadline=$((SECONDS + 30)); until tmux -S "$sock" capture-pane -p -t pp | grep -q "$1" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done; }
  wait_for "Passphrase for"; tmux -S "$sock" send-keys -t pp "not-the-passphrase" Enter
  wait_for "was wrong (try 2 of 3)"; tmux -S "$sock" send-keys -t pp "$secret_pp" Enter
  wait_for "EXIT="
  tmux -S "$sock" capture-pane -p -S - -E - -t pp > "$work/screen-pp.txt"
  tmux -S "$sock" kill-server
  expect "a wrong passphrase on the terminal: asked again, then the login passes (and neither passphrase is shown)" \
    bash -c 'grep -q "was wrong (try 2 of 3)" "$1" && grep -q "^EXIT=0$" "$1" && ! grep -q "not-the-passphrase\|$2" "$1"' \
    _ "$work/screen-pp.txt" "$secret_pp"
fi
