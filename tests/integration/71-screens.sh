# 71-screens.sh — every screen at 80x24 in a real terminal (tmux, its own server socket): help,
# help types, check, plan, a run's live view, a roster, record, errors, -q, a refusal, the known_hosts line to copy, the
# countdown. Nothing may run past 80 columns or wrap, except text meant to be copied (a known_hosts
# line, a command), which stands whole on a line of its own. Sourced by run.sh.
if command -v tmux >/dev/null; then
  sock=$work/tmux-screens.sock
  # shot NAME CMD: run CMD at 80x24 (TERM set, from the work folder), capture everything it printed.
  shot() {
    tmux -S "$sock" new-session -d -x 80 -y 24 -s "$1" "cd $work && TERM=xterm $2; echo SHOT-DONE; sleep 60"
    local deadline=$((SECONDS + 60))
    until tmux -S "$sock" capture-pane -p -S - -E - -t "$1" | grep -q SHOT-DONE || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
    tmux -S "$sock" capture-pane -p -S - -E - -t "$1" > "$work/shot-$1.txt"
    tmux -S "$sock" capture-pane -p -J -S - -E - -t "$1" > "$work/shot-$1.joined"
    tmux -S "$sock" kill-session -t "$1"
  }
  # fits NAME [COPYABLE-REGEX]: no captured line past 80 columns, no wrap, but the copyable lines.
  fits() {
    /usr/bin/python3 - "$work/shot-$1.txt" "$work/shot-$1.joined" "${2:-^\$NOTHING}" <<'PY'
import re, sys
screen = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
joined = [l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8")]
copy = re.compile(sys.argv[3])
wide = [l for l in joined if len(l.rstrip()) > 80 and not copy.search(l)]
wrapped = len(screen) - len(joined) - sum((len(l.rstrip()) - 1) // 80 for l in joined if copy.search(l))
if wide or wrapped:
    print("too wide: %r; lines wrapped: %d" % (wide[:3], wrapped))
    sys.exit(1)
PY
  }
  export -f fits; export work
  shot help "$root/$bin help; $root/$bin help run; $root/$bin help types"
  expect "80x24: help, help run and help types fit (types as a list on a terminal)" \
    bash -c 'fits help && grep -q "^KexFailed (failed): key exchange failed" "$1" && ! grep -q "^| " "$1"' _ "$work/shot-help.txt"
  shot check "$root/$bin check -D RRS_PROFILE=local-mirror.profile -D RRS_KEY=$work/no/such/key/in/a/long/folder/name/user_ed25519 $root/$S1"
  expect "80x24: check with warnings" fits check
  shot plan "$root/$bin plan -D RRS_PROFILE=local-mirror.profile -D RRS_TARGET_HOST=127.151.14.121,127.151.14.122 $root/$S1"
  expect "80x24: plan (the window line and the forgotten switch wrapped under their labels)" \
    bash -c 'fits plan && grep -q "^configured 127.151.14.121,127.151.14.122$" "$1"' _ "$work/shot-plan.txt"
  shot live "$root/$bin run --report-dir r -D RRS_PROFILE=local-mirror.profile --now 2023-04-15T14:45:00+08:00 $root/$S1"
  expect "80x24: a run's live view and recap" bash -c 'fits live && grep -q "passed, .* failed, .* — " "$1"' _ "$work/shot-live.txt"
  # A roster: the accounts' progress lines and a bad row's error with a long key path.
  printf 'name,user,key,passphrase\ncp01,root,%s,\ncp02,root,%s,\ncp03-whose-name-is-long-enough,root,%s,\n' \
    "$state/user_ed25519" "$state/user_ed25519" "$work/no/such/key/in/a/folder/whose/name/is/long/user_ed25519" > "$work/screens80.csv"
  shot roster "$root/$bin run --roster $work/screens80.csv --jobs 2 --report-dir r -D RRS_PROFILE=local-mirror.profile --now 2023-04-15T14:45:00+08:00 $root/$S1"
  expect "80x24: a roster's progress, its bad row and its summary" \
    bash -c 'fits roster && grep -q "cp02 (root): [0-9]* passed" "$1" && grep -q "screens80.csv:4: error" "$1"' _ "$work/shot-roster.txt"
  run_drill "$S1"; rec=$(dirname "$junit")
  shot record "$root/$bin record $rec"
  expect "80x24: record" fits record
  cp "$state/user_ed25519" "$work/loose80"; chmod 644 "$work/loose80"
  shot refused "$root/$bin run --report-dir r -D RRS_PROFILE=local-mirror.profile -D RRS_KEY=$work/loose80 -D RRS_USER=CHANGE-ME-USER-ID $root/$S1"
  expect "80x24: a refused run's errors, word-wrapped" \
    bash -c 'fits refused && grep -q "^refused: nothing was sent" "$1"' _ "$work/shot-refused.txt"
  : > "$work/empty80"
  shot unknown "$root/$bin run -q --report-dir r -D RRS_PROFILE=local-mirror.profile -D RRS_KNOWN_HOSTS=$work/empty80 --now 2023-04-15T14:45:00+08:00 $root/$S1"
  kh=$(sed -n 's/^\[127.152.14.121\]:10022 \(ssh-ed25519 [^ ]*\).*/[127.152.14.121]:10022 \1/p' "$state/known_hosts")
  expect "80x24: -q with HostKeyUnknown: the recap fits, the known_hosts line to add whole on a line of its own" \
    bash -c 'fits unknown "^\\[127\\.152\\.14\\." && grep -qxF "$2" "$1"' _ "$work/shot-unknown.joined" "$kh"
  # The countdown: one line redrawn in place, never a line per tick.
  noon_zone   # a window about three hours ahead that never crosses midnight
  d=$(mkdrill countdown-with-a-rather-long-name-for-the-line.drill "window $day 15:00 15:10 $zone
target secondary
step \"Login\" login")
  tmux -S "$sock" new-session -d -x 80 -y 24 -s cd "cd $work && TERM=xterm $root/$bin run --wait-for-window --report-dir r -D RRS_PROFILE=local-mirror.profile $d; echo EXIT=\$?; sleep 60"
  deadline=$((SECONDS + 30))
  until tmux -S "$sock" capture-pane -p -t cd | grep -q "waiting for the window" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  sleep 2.5
  tmux -S "$sock" capture-pane -p -S - -E - -t cd > "$work/shot-cd.txt"
  tmux -S "$sock" capture-pane -p -J -S - -E - -t cd > "$work/shot-cd.joined"
  tmux -S "$sock" send-keys -t cd C-c
  deadline=$((SECONDS + 30))
  until tmux -S "$sock" capture-pane -p -t cd | grep -q "EXIT=" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  tmux -S "$sock" capture-pane -p -S - -E - -t cd > "$work/shot-cd-end.txt"
  tmux -S "$sock" kill-server
  expect "80x24: the countdown is one line redrawn in place, within 80 columns; Ctrl-C ends the wait (exit 130)" \
    bash -c 'fits cd && [ "$(grep -c "to [0-9:]* HKT: waiting for the window" "$1")" = 1 ] && grep -q "^EXIT=130$" "$2"' \
    _ "$work/shot-cd.txt" "$work/shot-cd-end.txt"
else
  echo "# note: tmux missing: the screens were not checked in a terminal" >&2
fi
