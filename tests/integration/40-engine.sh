# 40-engine.sh — integration tests: the SSH engine: faults, keys, host-key policies. Sourced by run.sh (its helpers and mirror).
hostfp=$(node_fp "$state" 127.152.14.121)

"$BUILD/silent-listener" 127.0.0.53 53 90 udp > "$work/dns.out" & fixture_pids+=($!)
ready "$work/dns.out"
echo "nameserver 127.0.0.53" > "$work/resolv.conf"
d=$(mkdrill resolve.drill 'timeout connect 2s
endpoints named "rrs-sftp.drill.test:10022,127.152.14.122"
target named
step "Reachable" connect')
# Only this run sees the silent name server: a private mount namespace over /etc/resolv.conf.
out=$(unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' _ "$work/resolv.conf" \
  timeout 120 "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile "$d" 2>&1); rc=$?
junit=$(sed -n 's/^report: //p' <<<"$out")
expect "a name server that never answers: ResolveTimeout at the connect deadline" \
  eq "$rc/$(xval '(//failure/@type)[1]')" 1/ResolveTimeout
expect "... the next endpoint still passes" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 1

"$BUILD/silent-listener" 127.152.14.121 10097 90 noaccept > "$work/noaccept.out" & fixture_pids+=($!)
ready "$work/noaccept.out"
d=$(mkdrill connect-timeout.drill 'timeout connect 1s
endpoints dropped "127.152.14.121:10097,127.152.14.122"
target dropped
step "Reachable" connect
step "Login" login')
guarded_run "$d"
expect "packets dropped: ConnectTimeout (ended by its deadline, not the guard)" \
  eq "$rc/$(xval '(//failure/@type)[1]')" 1/ConnectTimeout
expect "... the next endpoint still runs" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 2

head -c 8000000 /dev/urandom > "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
"$BUILD/cut-proxy" 127.152.14.121 10096 127.152.14.121 10022 90 cut=1500000 > "$work/cut.out" & fixture_pids+=($!)
"$BUILD/cut-proxy" 127.152.14.121 10095 127.152.14.121 10022 90 rate=300000 > "$work/slow.out" & fixture_pids+=($!)
ready "$work/cut.out" "$work/slow.out"
d=$(mkdrill cut.drill "host-key-pin \"*\" $hostfp
endpoints cut \"127.152.14.121:10096,127.152.14.122\"
target cut
step \"Download the big report\" download \"/reports/BIG*\"
step \"Logout\" logout")
guarded_run -D RRS_DOWNLOAD_DIR="$work/cut-dl" "$d"
expect "a connection cut during a download: TransferInterrupted" eq "$(xval '(//failure/@type)[1]')" TransferInterrupted
expect "... nothing partial under the final name or a temporary one" \
  eq "$(find "$work/cut-dl/127.152.14.121_10096" -type f 2>/dev/null | wc -l)" 0
expect "... the next endpoint downloads the whole file" \
  cmp -s "$work/cut-dl/127.152.14.122_10022/reports/BIG_CP0001_20230414.bin" "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
expect "... a host key pin accepted the proxied endpoint (no known_hosts entry for it)" \
  grep -q "host key ssh-ed25519 $hostfp verified" "$(dirname "$junit")/transcript.log"
d=$(mkdrill retry.drill "host-key-pin \"*\" $hostfp
endpoints cut \"127.152.14.121:10096\"
target cut
step \"Download, retried once\" download \"/reports/BIG*\" retry 1 backoff 100ms")
guarded_run -D RRS_DOWNLOAD_DIR="$work/retry-dl" "$d"
expect "a retried download after a cut reconnects for its second attempt (still TransferInterrupted)" \
  bash -c '[ "$(xmllint --xpath "string((//failure/@type)[1])" "$1")" = TransferInterrupted ] && [ "$(grep -c "connect: TCP connected" "$2")" = 2 ]' \
  _ "$junit" "$(dirname "$junit")/transcript.log"
d=$(mkdrill slow.drill "host-key-pin \"*\" $hostfp
endpoints slow \"127.152.14.121:10095\"
target slow
step \"Download over a slow link\" download \"/reports/BIG*\" timeout 3s
step \"Logout\" logout")
guarded_run -D RRS_DOWNLOAD_DIR="$work/slow-dl" "$d"
expect "a slow link: StepTimeout at the step's deadline" eq "$(xval '(//failure/@type)[1]')" StepTimeout
expect "... and nothing left on disk" eq "$(find "$work/slow-dl" -type f 2>/dev/null | wc -l)" 0
rm -f "$state/secondary/root/reports/BIG_CP0001_20230414.bin"

state3=$(mktemp -d /run/sftpdrill-it3.XXXXXX)
SFTPDRILL_MIRROR_PORT=10024 SFTPDRILL_MIRROR_SFTP_FLAGS="-P open" tests/mirror/mirror.sh start "$state3" 2>/dev/null
d=$(mkdrill denied.drill 'target secondary
step "List" count "/reports" >= 1
step "Download" download "/reports/TP001*"')
guarded_run -D RRS_KEY="$state3/user_ed25519" -D RRS_KNOWN_HOSTS="$state3/known_hosts" \
  -D RRS_SECONDARY=127.152.14.121:10024 "$d"
expect "a file the server refuses: PermissionDenied (listing still passes)" \
  eq "$(xval "//testcase[@name='List']/failure/@type")/$(xval '(//failure/@type)[1]')" /PermissionDenied
SFTPDRILL_MIRROR_PORT=10024 tests/mirror/mirror.sh stop "$state3"; rm -rf "$state3"

d=$(mkdrill login.drill 'target secondary
step "Login" login
step "Logout" logout')
for kt in "ecdsa 256" "ecdsa 384" "ecdsa 521" "ed25519 0" "ecdsa-pem 384"; do
  set -- $kt
  if [ "$1" = ecdsa-pem ]; then ssh-keygen -q -t ecdsa -b "$2" -m PEM -N '' -f "$work/key-$1-$2" -C "$1"
  elif [ "$1" = ed25519 ]; then ssh-keygen -q -t ed25519 -N '' -f "$work/key-$1-$2" -C "$1"
  else ssh-keygen -q -t ecdsa -b "$2" -N '' -f "$work/key-$1-$2" -C "$1"; fi
  cat "$work/key-$1-$2.pub" >> "$state/authorized_keys"
  guarded_run -D RRS_KEY="$work/key-$1-$2" "$d"
  expect "login with a $1 $2 key" bash -c '[ "$1" = 0 ] && grep -q "$2" "$3"' _ "$rc" \
    "$(ssh-keygen -lf "$work/key-$1-$2.pub" | cut -d' ' -f2)" "$junit"
done

ssh-agent -a "$work/agent.sock" > "$work/agent.env"; agent_pid=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\).*/\1/p' "$work/agent.env")
fixture_pids+=("$agent_pid")
SSH_AUTH_SOCK="$work/agent.sock" ssh-add -q "$state/user_ed25519" 2>/dev/null
out=$(SSH_AUTH_SOCK="$work/agent.sock" guarded "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
  --business-date 2023-04-15 -D RRS_KEY=ssh-agent "$d" 2>&1); rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out")
expect "login with a key held by ssh-agent" bash -c '[ "$1" = 0 ] && grep -q "$2" "$3"' _ "$rc" \
  "$(ssh-keygen -lf "$state/user_ed25519.pub" | cut -d' ' -f2)" "$junit"

d=$(mkdrill pinned.drill 'target secondary
step "Reachable" connect')
guarded_run -D RRS_KNOWN_HOSTS="$work/empty_known_hosts" "$d" 
expect "(baseline for pins) unknown without known_hosts or pins" eq "$(xval '(//failure/@type)[1]')" HostKeyUnknown
printf 'host-key-pin "127.152.14.121:10022" SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nhost-key-pin "127.152.14.121" %s\n' "$hostfp" > "$work/pins.profile"
printf 'include "%s/scenarios/hkex-rrs/${RRS_PROFILE:-local-mirror.profile}"\ninclude "%s"\ntarget secondary\nstep "Reachable" connect\n' "$root" "$work/pins.profile" > "$work/pins.drill"
guarded_run -D RRS_KNOWN_HOSTS="$work/empty_known_hosts" "$work/pins.drill"
expect "two pins for one endpoint (rotation): either matching key is accepted" \
  eq "$(xval '//testsuite[1]//testcase/failure/@type')/$(xval '(//failure/@type)[1]')" /HostKeyUnknown
cp "$work/empty_known_hosts" "$work/tofu_known_hosts"
guarded_run --trust-on-first-use -D RRS_KNOWN_HOSTS="$work/tofu_known_hosts" "$S1"
expect "--trust-on-first-use accepts unknown keys and writes them to known_hosts" \
  bash -c '[ "$1" = 0 ] && [ "$(wc -l < "$2")" = 2 ] && grep -q "^\[127.152.14.122\]:10022 ssh-ed25519 " "$2"' _ "$rc" "$work/tofu_known_hosts"
expect "... and says so loudly" grep -q "TRUSTED ON FIRST USE" <<<"$out"
guarded_run --trust-on-first-use -D RRS_KNOWN_HOSTS="$work/changed_known_hosts" "$S1"
expect "... but never accepts a changed key" eq "$(xval '(//failure/@type)[1]')" HostKeyMismatch

printf 'Host rrs-a\n  HostName 127.152.14.121\nHost rrs-b\n  HostName=127.152.14.122\nHost *\n  HostName 127.151.14.121\n' > "$work/ssh_config"
guarded_run -D RRS_SSH_CONFIG="$work/ssh_config" -D RRS_TARGET_HOST=ssh-config:rrs-a,ssh-config:rrs-b "$S1"
expect "expect-target through an OpenSSH client config Host entry" eq "$rc" 0
guarded_run -D RRS_SSH_CONFIG="$work/ssh_config" -D RRS_TARGET_HOST=ssh-config:rrs-old "$S1"
expect "... and a config still on the primary: TargetMismatch naming what it found" \
  grep -q "resolves to 127.151.14.121, but the secondary set is 127.152.14.121, 127.152.14.122" "$junit"
