#!/usr/bin/env bash
# run.sh — integration tests: the real sftpdrill binary against the local mirror (real sshd).
#
#   tests/integration/run.sh            uses harness/sftpdrill
#   SFTPDRILL=build/asan/sftpdrill tests/integration/run.sh
#
# Runs inside a private network namespace when the machine allows it (nothing can leave the
# machine). Starts its own mirror and fault fixtures and stops exactly those, by pid.
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ -z "${SFTPDRILL_NETNS:-}" ] && unshare -n true 2>/dev/null; then
  exec unshare -n env SFTPDRILL_NETNS=1 "$0" "$@"
fi
if [ -n "${SFTPDRILL_NETNS:-}" ]; then
  ip link set lo up
else
  echo "# note: no private network namespace here; using loopback addresses on the host" >&2
fi

if [ "$(id -u)" -ne 0 ]; then
  # The mirror's sshd chroots its sessions, which only root can do: say so rather than fail obscurely.
  echo "integration tests need root (the local mirror's sshd uses ChrootDirectory); run: sudo make check"
  echo "0 passed, 1 failed"
  exit 1
fi
bin=${SFTPDRILL:-harness/sftpdrill}
schemas=$root/../shared/junit-schemas
[ -d "$schemas" ] || { echo "# note: $schemas absent: schema validation skipped" >&2; schemas=""; }
S1=scenarios/hkex-rrs/session-1-secondary.drill
S2=scenarios/hkex-rrs/session-2-primary.drill

state=$(mktemp -d /run/sftpdrill-it.XXXXXX)
state2=$(mktemp -d /run/sftpdrill-it2.XXXXXX)
work=$(mktemp -d "${TMPDIR:-/tmp}/sftpdrill-it.XXXXXX")
fixture_pids=()
cleanup() {
  for p in "${fixture_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  tests/mirror/mirror.sh stop "$state" >/dev/null 2>&1
  SFTPDRILL_MIRROR_PORT=10023 tests/mirror/mirror.sh stop "$state2" >/dev/null 2>&1
  rm -rf "$state" "$state2" "$work"
}
trap cleanup EXIT
export SFTPDRILL_MIRROR_DIR=$state
# The circular's own dates: reports of Friday 14 April 2023, sessions on Saturday 15 April.
export SFTPDRILL_MIRROR_DATE=20230414
tests/mirror/mirror.sh start "$state" 2>/dev/null || { echo "could not start the mirror"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
ok()     { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# run_drill ARGS...: runs sftpdrill run, sets rc, out, junit.
run_drill() {
  out=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
        -D RRS_DOWNLOAD_DIR="$work/downloads" -D RRS_BACKUP_DIR="$work/backup" --business-date 2023-04-15 "$@" 2>&1)
  rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
}
xcount() { xmllint --xpath "count($1)" "$junit" 2>/dev/null; }
xval()   { xmllint --xpath "string($1)" "$junit" 2>/dev/null; }

# expect NAME CONDITION...: the condition is a command; on failure show the run's output.
expect() {
  local name=$1; shift
  if "$@"; then ok "$name"; else not_ok "$name" "condition: $*" "exit status: ${rc:-?}" "$(tail -n 15 <<<"${out:-}")"; fi
}
eq() { [ "$1" = "$2" ] || { echo "#   expected '$2', got '$1'" >&2; return 1; }; }

# Write a drill into the work folder that includes the shipped local-mirror profile.
mkdrill() {  # NAME BODY
  { echo "include \"$root/scenarios/hkex-rrs/local-mirror.profile\""; printf '%s\n' "$2"; } > "$work/$1"
  echo "$work/$1"
}

# --- the circular's two sessions, as shipped ---------------------------------------------
run_drill() {
  out=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
        -D RRS_DOWNLOAD_DIR="$work/downloads" -D RRS_BACKUP_DIR="$work/backup" --business-date 2023-04-15 \
        --now 2023-04-15T14:45:00+08:00 "$@" 2>&1)
  rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
}
run_drill --business-date 2023-04-18 "$S1"
expect "no manifest for the last business day: NoBaseline" eq "$(xval '(//failure/@type)[1]')" NoBaseline
expect "... saying which day and how to record one" grep -q "2023-04-17.*sftpdrill snapshot" "$junit"

out=$("$bin" snapshot --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 "$S1" "$S2" 2>&1); rc=$?
expect "snapshot on Friday 2023-04-14 records a manifest per endpoint" \
  eq "$rc/$(find "$state/baselines" -path '*2023-04-14*' -name '*.manifest' | wc -l)" 0/4
expect "... plain text, stable order, with its key in the header" \
  bash -c 'f=$(find "$1/baselines" -name "127.152.14.121*.manifest"); grep -q "^# business-date 2023-04-14" "$f" && grep -q "^# folder /reports" "$f" && [ "$(grep -v "^#" "$f" | cut -d" " -f4 | sort -c && echo sorted)" = sorted ]' _ "$state"

run_drill "$S1" "$S2"
expect "both sessions pass on the mirror (exit 0)" eq "$rc" 0
expect "4 suites, one per (drill, endpoint)" eq "$(xcount '//testsuite')" 4
expect "28 testcases, all passed" eq "$(xcount '//testcase[not(failure|error|skipped)]')" 28
expect "suite names are unique" eq "$(xmllint --xpath '//testsuite/@name' "$junit" | sort | uniq -d | wc -l)" 0
expect "host-key fingerprint recorded" eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.sha256']/@value")" \
  "$(ssh-keygen -lf "$state/host_ed25519.pub" | cut -d' ' -f2)"
expect "ed25519 host key chosen although the server also offers ECDSA" \
  eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.type']/@value")" ssh-ed25519
expect "user-key fingerprint recorded" eq "$(xval "//testsuite[1]/properties/property[@name='userkey.sha256']/@value")" \
  "$(ssh-keygen -lf "$state/user_ed25519.pub" | cut -d' ' -f2)"
expect "TP001 downloaded intact" cmp -s "$work/downloads/127.152.14.121_10022/"TP001_* "$state/secondary/root/reports/"TP001_*
expect "no temporary files left" eq "$(find "$work/downloads" -name '.*sftpdrill-*' | wc -l)" 0
if [ -n "$schemas" ]; then
  expect "junit.xml validates (junit-10, Surefire per suite) with consistent counts" build/junit-check "$junit" "$schemas"
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

# --- the production profile aimed at another server with -D only ---------------------------
SFTPDRILL_MIRROR_PORT=10023 tests/mirror/mirror.sh start "$state2" 2>/dev/null
other=(-D RRS_SECONDARY=127.152.14.121:10023,127.152.14.122:10023 -D RRS_USER=root
  -D RRS_KEY="$state2/user_ed25519" -D RRS_KNOWN_HOSTS="$state2/known_hosts" -D RRS_REPORT_DIR=/reports
  -D RRS_BASELINE_DIR="$state2/baselines" -D RRS_TARGET_HOST=127.152.14.121,127.152.14.122 -D RRS_DOWNLOAD_DIR="$work/dl2")
"$bin" snapshot --report-dir "$work/reports" "${other[@]}" --business-date 2023-04-14 "$S1" >/dev/null 2>&1
out=$("$bin" run --report-dir "$work/reports" "${other[@]}" --business-date 2023-04-15 "$S1" 2>&1)
rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out")
expect "production profile retargeted by -D alone passes" eq "$rc" 0
expect "... and really talked to the other server" \
  eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.sha256']/@value")" \
  "$(ssh-keygen -lf "$state2/host_ed25519.pub" | cut -d' ' -f2)"
SFTPDRILL_MIRROR_PORT=10023 tests/mirror/mirror.sh stop "$state2"

# --- faults --------------------------------------------------------------------------------
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

# --- the daily backup --------------------------------------------------------------------------
B=scenarios/hkex-rrs/daily-backup.drill
run_drill --business-date 2023-04-14 "$B"
expect "daily backup passes" eq "$rc" 0
expect "... every report of the day backed up with SHA256SUMS that sha256sum accepts" \
  bash -c 'cd "$1/backup/2023-04-14" && [ "$(wc -l < SHA256SUMS)" = 14 ] && sha256sum --quiet -c SHA256SUMS' _ "$work"
expect "... the first endpoint fetched 14, the second found them backed up" \
  grep -q "14 fetched, 0 already.*0 fetched, 14 already" <<<"$(tr '\n' ' ' < "$junit")"
run_drill --business-date 2023-04-14 "$B"
expect "backup twice: the second run fetches nothing" \
  eq "$(grep -c '0 fetched, 14 already backed up unchanged' "$junit")" 2
expect "... and the key reference was recorded, then confirmed" grep -q "unchanged since the reference" "$junit"
run_drill --business-date 2023-04-14 --parallel -D RRS_BACKUP_DIR="$work/pbackup" "$B"
expect "daily backup with --parallel: both endpoints into one folder, SHA256SUMS whole and true" \
  bash -c '[ "$1" = 0 ] && cd "$2/pbackup/2023-04-14" && [ "$(wc -l < SHA256SUMS)" = 14 ] && sha256sum --quiet -c SHA256SUMS && [ -z "$(ls -A | grep sftpdrill-)" ]' _ "$rc" "$work"
run_drill --business-date 2023-04-14 --parallel -D RRS_BACKUP_DIR="$work/pbackup" "$B"
expect "... and a second parallel run fetches nothing" eq "$(grep -c '0 fetched, 14 already backed up unchanged' "$junit")" 2
echo "tampered" > "$work/backup/2023-04-14/$(basename "$state"/primary/root/reports/CL001_*)"
run_drill --business-date 2023-04-14 "$B"
expect "a backed-up file changed locally is never overwritten: LocalFileConflict" eq "$(xval '(//error/@type)[1]')" LocalFileConflict
expect "... and stays as it was" eq "$(cat "$work/backup/2023-04-14/"CL001_*)" tampered
ssh-keygen -q -t ed25519 -N '' -f "$work/renewed" -C renewed
cat "$work/renewed.pub" >> "$state/authorized_keys"
run_drill --business-date 2023-04-14 -D RRS_KEY="$work/renewed" "$B"
expect "a renewed SSH key is caught by key-unchanged: KeyChanged" eq "$(xval '(//failure/@type)[1]')" KeyChanged

build/silent-listener 127.152.14.121 10098 60 > "$work/silent.out" & fixture_pids+=($!)
until grep -q ready "$work/silent.out" 2>/dev/null; do sleep 0.05; done
d=$(mkdrill banner.drill 'timeout banner 1s
endpoints silent "127.152.14.121:10098,127.152.14.122"
target silent
step "Reachable" connect
step "Login" login')
run_drill "$d"
expect "a listener that never speaks: BannerTimeout" eq "$(xval '(//failure/@type)[1]')" BannerTimeout
expect "... the next endpoint still passes" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 2

mkdir -p "$work/conflict/127.152.14.121_10022"
f=$(basename "$state"/secondary/root/reports/TP001_*)
echo "my own precious file" > "$work/conflict/127.152.14.121_10022/$f"
run_drill -D RRS_DOWNLOAD_DIR="$work/conflict" "$S1"
expect "a different local file is never overwritten: LocalFileConflict, exit 3" eq "$rc/$(xval '(//error/@type)[1]')" 3/LocalFileConflict
expect "... the user's file is intact" eq "$(cat "$work/conflict/127.152.14.121_10022/$f")" "my own precious file"
expect "... no temporary file left" eq "$(find "$work/conflict" -name '.*sftpdrill-*' | wc -l)" 0

# --- the SSH engine: faults, keys, host-key policies ---------------------------------------------
# Each fault run is wrapped in an outer `timeout`: not a timing assertion, a guard, so that a
# deadline that failed to fire shows up as exit 124 instead of a hung test suite.
guarded() { timeout 120 "$@"; }
hostfp=$(ssh-keygen -lf "$state/host_ed25519.pub" | cut -d' ' -f2)

build/silent-listener 127.0.0.53 53 90 udp > "$work/dns.out" & fixture_pids+=($!)
until grep -q ready "$work/dns.out" 2>/dev/null; do sleep 0.05; done
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

build/silent-listener 127.152.14.121 10097 90 noaccept > "$work/noaccept.out" & fixture_pids+=($!)
until grep -q ready "$work/noaccept.out" 2>/dev/null; do sleep 0.05; done
d=$(mkdrill connect-timeout.drill 'timeout connect 1s
endpoints dropped "127.152.14.121:10097,127.152.14.122"
target dropped
step "Reachable" connect
step "Login" login')
guarded_run() { out=$(guarded "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$work/downloads" --business-date 2023-04-15 "$@" 2>&1); rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out"); }
guarded_run "$d"
expect "packets dropped: ConnectTimeout (ended by its deadline, not the guard)" \
  eq "$rc/$(xval '(//failure/@type)[1]')" 1/ConnectTimeout
expect "... the next endpoint still runs" eq "$(xcount '//testsuite[2]//testcase[not(failure|error|skipped)]')" 2

head -c 8000000 /dev/urandom > "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
build/cut-proxy 127.152.14.121 10096 127.152.14.121 10022 90 cut=1500000 > "$work/cut.out" & fixture_pids+=($!)
build/cut-proxy 127.152.14.121 10095 127.152.14.121 10022 90 rate=300000 > "$work/slow.out" & fixture_pids+=($!)
until grep -q ready "$work/cut.out" 2>/dev/null && grep -q ready "$work/slow.out" 2>/dev/null; do sleep 0.05; done
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
  cmp -s "$work/cut-dl/127.152.14.122_10022/BIG_CP0001_20230414.bin" "$state/secondary/root/reports/BIG_CP0001_20230414.bin"
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
ssh-keygen -q -t rsa -b 3072 -N '' -f "$work/key-rsa" -C rsa
cat "$work/key-rsa.pub" >> "$state/authorized_keys"
guarded_run -D RRS_KEY="$work/key-rsa" "$d"
expect "an RSA key refused by OpenSSH 9: AuthRejected that explains SHA-1 and what to do" \
  bash -c '[ "$(xmllint --xpath "string((//failure/@type)[1])" "$1")" = AuthRejected ] && grep -q "signs RSA keys only with SHA-1" "$1" && grep -q "libssh2 1.11 or later" "$1"' _ "$junit"

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
printf 'include "%s/scenarios/hkex-rrs/local-mirror.profile"\ninclude "%s"\ntarget secondary\nstep "Reachable" connect\n' "$root" "$work/pins.profile" > "$work/pins.drill"
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

# --- another SFTP server implementation: ProFTPD mod_sftp ------------------------------------------
if command -v proftpd >/dev/null; then
  pf=$(mktemp -d /run/sftpdrill-pf.XXXXXX)
  if tests/mirror/proftpd.sh start "$pf" 127.152.14.121 10027; then
    pfargs=(-D RRS_SECONDARY=127.152.14.121:10027 -D RRS_USER=root -D RRS_KEY="$pf/user"
      -D RRS_KNOWN_HOSTS="$pf/known_hosts" -D RRS_REPORT_DIR=/reports -D RRS_BASELINE_DIR="$pf/baselines"
      -D RRS_TARGET_HOST=127.152.14.121 -D RRS_DOWNLOAD_DIR="$pf/dl" -D RRS_BACKUP_DIR="$pf/backup"
      -D RRS_BACKUP_TARGET=secondary)
    out=$(guarded "$bin" snapshot --report-dir "$work/reports" --business-date 2023-04-14 "${pfargs[@]}" "$S1" 2>&1); rc=$?
    expect "ProFTPD mod_sftp: snapshot through the shipped drill and -D only" eq "$rc" 0
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-15 "${pfargs[@]}" "$S1" 2>&1); rc=$?
    junit=$(sed -n 's/^report: //p' <<<"$out")
    expect "ProFTPD mod_sftp: the whole session passes (ECDSA host key, SFTP v3)" eq "$rc" 0
    expect "... recording the other server's banner" grep -q 'name="server.banner" value="SSH-2.0-mod_sftp' "$junit"
    echo new > "$pf/root/reports/NEW.csv"
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-15 "${pfargs[@]}" "$S1" 2>&1)
    expect "ProFTPD mod_sftp: a new file gives CountMismatch naming it" grep -q "added: NEW.csv; removed: none" <<<"$out"
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-14 "${pfargs[@]}" scenarios/hkex-rrs/daily-backup.drill 2>&1); rc=$?
    expect "ProFTPD mod_sftp: the daily backup passes" eq "$rc" 0
  else
    not_ok "ProFTPD mod_sftp fixture started" "$(cat "$pf/proftpd.log" 2>/dev/null)"
  fi
  pfpid=$(cut -d' ' -f1 "$pf/pid" 2>/dev/null)
  tests/mirror/proftpd.sh stop "$pf"
  expect "the ProFTPD fixture stops exactly the process it started" \
    bash -c '[ -n "$1" ] && ! grep -qsv "^[^)]*) Z" "/proc/$1/stat"' _ "$pfpid"
  rm -rf "$pf"
else
  echo "# note: proftpd not installed: interoperability test skipped" >&2
fi

# --- endpoints in parallel ---------------------------------------------------------------------
strip() { sed -E 's/\([0-9]+\.[0-9]+s\)//; /^report: /d' <<<"$1"; }
cases() { xmllint --xpath '//testcase' "$1" | sed -E 's/ time="[0-9.]+"//g; s/after [0-9.]+s//g'; }
run_drill "$S1" "$S2"; serial_out=$(strip "$out"); serial_junit=$junit
run_drill --parallel "$S1" "$S2"; parallel_out=$(strip "$out")
expect "--parallel: the same terminal output as a serial run (durations aside)" eq "$parallel_out" "$serial_out"
expect "... the same suites, testcases, statuses and messages in the same order" \
  eq "$(cases "$junit")" "$(cases "$serial_junit")"
expect "... and the endpoints really overlapped (second began before the first ended)" \
  bash -c 'a=$(grep -n "\[127.152.14.122:10022\] begin drill" "$1" | head -1 | cut -d: -f1); b=$(grep -n "\[127.152.14.121:10022\] end drill" "$1" | head -1 | cut -d: -f1); [ "$a" -lt "$b" ]' _ "$(dirname "$junit")/transcript.log"

# --- the evidence bundle -----------------------------------------------------------------------
bundle=$(dirname "$first_report")
expect "the run folder is a bundle: junit.xml, summary.html, transcript.log, RUN-INFO, downloads/, MANIFEST" \
  bash -c 'cd "$1" && ls junit.xml summary.html transcript.log RUN-INFO MANIFEST downloads/SHA256SUMS >/dev/null' _ "$bundle"
expect "... downloads/SHA256SUMS checks with sha256sum -c" bash -c 'cd "$1/downloads" && sha256sum --quiet -c SHA256SUMS' _ "$bundle"
expect "... MANIFEST checks with sha256sum -c" bash -c 'cd "$1" && sha256sum --quiet -c MANIFEST' _ "$bundle"
expect "... the transcript has UTC and Hong Kong times for each phase" \
  bash -c 'grep -qE "^[0-9T:.-]+Z  [0-9 :.-]+ HKT  \[127.152.14.121:10022\] step .* host-key: host key ssh-ed25519 SHA256:" "$1/transcript.log"' _ "$bundle"
expect "... RUN-INFO names the operator, versions and each drill file's SHA-256" \
  bash -c 'grep -q "^operator: " "$1/RUN-INFO" && grep -q "^libraries: libssh2" "$1/RUN-INFO" && grep -q "^drill-file: $(sha256sum "$2" | cut -c1-64)  $2" "$1/RUN-INFO"' _ "$bundle" "$S1"
out=$("$bin" verify "$bundle" 2>&1); rc=$?
expect "verify passes on a fresh bundle" eq "$rc" 0
cp -r "$bundle" "$work/tampered"
printf 'X' | dd of="$work/tampered/junit.xml" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$("$bin" verify "$work/tampered" 2>&1); rc=$?
expect "verify names a one-byte change" bash -c '[ "$1" = 1 ] && grep -q "^junit.xml: changed" <<<"$2"' _ "$rc" "$out"
rm -rf "$work/tampered"; cp -r "$bundle" "$work/tampered"
rm "$work/tampered/transcript.log"; echo extra > "$work/tampered/downloads/note.txt"
out=$("$bin" verify "$work/tampered" 2>&1); rc=$?
expect "verify names a missing and an extra file" \
  bash -c '[ "$1" = 1 ] && grep -q "^transcript.log: missing" <<<"$2" && grep -q "^downloads/note.txt: extra" <<<"$2"' _ "$rc" "$out"

openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null && openssl pkey -in "$work/ed.pem" -pubout -out "$work/ed.pub"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ec.pem" && openssl pkey -in "$work/ec.pem" -pubout -out "$work/ec.pub"
run_drill --sign-key "$work/ed.pem" "$S1"; signed=$(dirname "$junit")
expect "an Ed25519-signed bundle verifies with stock openssl pkeyutl" \
  openssl pkeyutl -verify -pubin -inkey "$work/ed.pub" -rawin -in "$signed/MANIFEST" -sigfile "$signed/MANIFEST.sig"
out=$("$bin" verify --pub "$work/ed.pub" "$signed" 2>&1); rc=$?
expect "... and with sftpdrill verify --pub" eq "$rc" 0
out=$("$bin" verify --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... but not with another key" bash -c '[ "$1" = 1 ] && grep -q "does not verify" <<<"$2"' _ "$rc" "$out"
run_drill --sign-key "$work/ec.pem" "$S1"; signed=$(dirname "$junit")
expect "an ECDSA-signed bundle verifies with stock openssl dgst" \
  openssl dgst -sha256 -verify "$work/ec.pub" -signature "$signed/MANIFEST.sig" "$signed/MANIFEST"
printf 'X' | dd of="$signed/MANIFEST" bs=1 seek=10 conv=notrunc 2>/dev/null
out=$("$bin" verify --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... and a changed MANIFEST breaks the signature" bash -c '[ "$1" = 1 ] && grep -q "MANIFEST.sig: the signature does not verify" <<<"$2"' _ "$rc" "$out"

# A passphrase-protected key: the passphrase must appear in no output at all.
secret_pp='Pp-9f2c-NEVER-PRINT-ME'
ssh-keygen -q -t ed25519 -N "$secret_pp" -f "$work/encrypted" -C encrypted
cat "$work/encrypted.pub" >> "$state/authorized_keys"
out=$(RRS_KEY_PASSPHRASE=$secret_pp "$bin" run --report-dir "$work/secret-reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$work/downloads" --business-date 2023-04-15 -D RRS_KEY="$work/encrypted" \
  -D EXTRA_TOKEN="$secret_pp" "$S1" 2>&1); rc=$?
expect "an encrypted key logs in with RRS_KEY_PASSPHRASE" eq "$rc" 0
expect "... and the passphrase is in no file of the bundle nor on the terminal" \
  bash -c '! grep -rqF "$1" "$2" "$3/baselines" && ! grep -qF "$1" <<<"$4"' _ "$secret_pp" "$work/secret-reports" "$state" "$out"
expect "... while the masked -D value is recorded as ***" grep -q "^definition: -D EXTRA_TOKEN=\*\*\*" "$work"/secret-reports/*/RUN-INFO

# Hostile names on the server: XML stays well-formed, HTML stays inert, nothing unsafe touches disk.
for n in '<img src=x onerror=alert(1)>.csv' 'a]]>b&amp;c.csv' $'tab\there.csv' $'new\nline.csv' $'bad\xff\xfeutf8.csv' \
         $'\x1b[31mred.csv' "$(printf 'L%.0s' {1..240}).csv"; do
  printf 'x' > "$state/secondary/root/reports/$n"
done
run_drill "$S1"
expect "hostile names are counted and listed (CountMismatch)" eq "$(xval '(//failure/@type)[1]')" CountMismatch
[ -n "$schemas" ] && expect "... the JUnit stays valid" build/junit-check "$junit" "$schemas"
expect "... the HTML has no live markup from the server" \
  bash -c 'grep -q "&lt;img src=x onerror=alert(1)&gt;" "$1" && ! grep -q "<img" "$1" && xmllint --html --noout "$1" 2>/dev/null' _ "$(dirname "$junit")/summary.html"
d=$(mkdrill hostile.drill 'target secondary
step "Download everything" download "/reports/*"')
run_drill -D RRS_DOWNLOAD_DIR="$work/hostile-dl" "$d"
expect "... a name that cannot be a local file is refused: UnsafeName" eq "$(xval '(//failure/@type)[1]')" UnsafeName
expect "... and nothing was written outside the download folder" eq "$(find "$work" -maxdepth 1 -name '*script*' | wc -l)" 0
rm -f "$state"/secondary/root/reports/{'<img'*,'a]]>'*,tab*,new*,bad*,$'\x1b'*,LLLL*}

if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then
  html=$(dirname "$first_report")/summary.html
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium" --print-to-pdf="$work/summary.pdf" "file://$html" >/dev/null 2>&1
  pdftotext -layout "$work/summary.pdf" "$work/summary.txt" 2>/dev/null
  expect "summary.html printed to PDF by headless Chromium shows every step's status" \
    bash -c '[ "$(grep -ow passed "$1" | wc -l)" -ge 29 ] && grep -q "ALL STEPS PASSED: 28 of 28" "$1" && grep -q "File count" "$1"' _ "$work/summary.txt"
else
  echo "# note: chromium or pdftotext missing: summary rendering test skipped" >&2
fi

# --- what the operator sees -------------------------------------------------------------------
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

8 passed, 1 failed, 0 errors, 5 skipped — NOT all steps passed
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

for c in run check plan snapshot business-day verify version help; do
  h1=$("$bin" help "$c" 2>&1); r1=$?; h2=$("$bin" "$c" --help 2>&1); r2=$?
  expect "help $c and $c --help" bash -c '[ "$1$2" = 00 ] && [[ "$3" == "usage: sftpdrill $4"* ]] && [ "$3" = "$5" ]' _ "$r1" "$r2" "$h1" "$c" "$h2"
done
out=$("$bin" --help); expect "--help lists every command" bash -c 'for c in run check plan snapshot business-day verify; do grep -q "^  $c" <<<"$1" || exit 1; done' _ "$out"

run_drill --now 2023-04-15T14:45:00+08:00 "$S1"
expect "inside the window: no warning, recorded as inside" \
  bash -c '! grep -q "outside the drill.s window" <<<"$1" && grep -q "name=\"window.status\" value=\"inside\"" "$2"' _ "$out" "$junit"
run_drill --now 2023-04-15T16:45:00+08:00 "$S1"
expect "outside the window: a warning, recorded, and it still runs" \
  bash -c '[ "$3" = 0 ] && grep -q "outside the drill.s window 2023-04-15 14:30 15:30 Asia/Hong_Kong; running anyway" <<<"$1" && grep -q "name=\"window.status\" value=\"outside" "$2"' _ "$out" "$junit" "$rc"
run_drill --now 2023-04-15T08:45:00Z --enforce-window "$S1"
expect "--enforce-window refuses outside the window (exit 2, nothing run)" \
  bash -c '[ "$1" = 2 ] && grep -q "is outside the drill.s window" <<<"$2" && [ -z "$3" ]' _ "$rc" "$out" "$junit"
run_drill --now 2023-04-15T06:45:00Z "$S1"
expect "... and --now in UTC is the same instant as 14:45 in Hong Kong" grep -q 'value="inside"' "$junit"
out=$("$bin" run --now yesterday "$S1" 2>&1); rc=$?
expect "a malformed --now: exit 2 with an example" bash -c '[ "$1" = 2 ] && grep -q "2023-04-15T14:45:00+08:00" <<<"$2"' _ "$rc" "$out"

# --- usage and drill errors ------------------------------------------------------------------
printf 'include "%s/scenarios/hkex-rrs/local-mirror.profile"\ntarget secondary\nstep "a" donwload x\n' "$root" > "$work/bad.drill"
out=$("$bin" run --report-dir "$work/reports" "$work/bad.drill" 2>&1); rc=$?
expect "a broken drill: exit 2 with FILE:LINE:COL and a suggestion" \
  grep -q "bad.drill:3:10: error: unknown step verb \`donwload\`; did you mean \`download\`?" <<<"$out"
expect "... exit status 2" eq "$rc" 2
# Broken drills: each gets exit 2 and a FILE:LINE:COL: message, never a crash.
mkdir -p "$work/broken"
head -c 3000 /dev/urandom > "$work/broken/garbage.drill"
printf 'target x\nstep "a\0" login\n' > "$work/broken/nul.drill"
printf 'drill "unterminated\n' > "$work/broken/quote.drill"
printf 'step "a" upload x\n' > "$work/broken/verb.drill"
printf 'user ${SD_SURELY_UNDEFINED_VAR}\n' > "$work/broken/undefined.drill"
printf 'include "cycle.drill"\n' > "$work/broken/cycle.drill"
printf 'include "not-there.profile"\n' > "$work/broken/missing-include.drill"
head -c 2000000 /dev/zero | tr '\0' 'x' > "$work/broken/huge-line.drill"
for f in "$work"/broken/*.drill; do
  out=$("$bin" check "$f" 2>&1); rc=$?
  expect "broken drill $(basename "$f"): exit 2 with FILE:LINE:COL" \
    bash -c '[ "$1" = 2 ] && grep -qE "^$2:[0-9]+:[0-9]+: error: " <<<"$3"' _ "$rc" "$f" "$out"
done

cp "$state/user_ed25519" "$work/loose_key"; chmod 644 "$work/loose_key"
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="$work/loose_key" "$S1" 2>&1); rc=$?
expect "check warns about a key readable by others, at the profile line" \
  grep -qE "rrs-common.profile:[0-9]+:[0-9]+: warning: private key .* readable by group or others" <<<"$out"
expect "... exit 0 without --strict" eq "$rc" 0
out=$("$bin" check --strict -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="$work/loose_key" "$S1" 2>&1); rc=$?
expect "... exit 2 with --strict" eq "$rc" 2
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile -D RRS_KNOWN_HOSTS="$work/empty_known_hosts" "$S1" 2>&1)
expect "check warns when known_hosts has no key for an endpoint" grep -q "no host key for 127.152.14.121:10022" <<<"$out"

d=$(mkdrill secret.drill 'target secondary
step "uses a secret" download "/reports/${RRS_KEY_PASSPHRASE}/x"')
out=$("$bin" plan -D RRS_KEY_PASSPHRASE=Sup3r-S3cret "$d" 2>&1); rc=$?
expect "plan masks secrets" bash -c '[ "$1" = 0 ] && ! grep -q Sup3r-S3cret <<<"$2" && grep -q "/reports/\*\*\*/x" <<<"$2"' _ "$rc" "$out"

out=$("$bin" 2>&1); rc=$?
expect "no arguments: usage, exit 2" eq "$rc" 2
out=$("$bin" run --no-such-option x 2>&1); rc=$?
expect "unknown option: exit 2" eq "$rc" 2

if [ -n "$schemas" ]; then
  bad=0
  for j in $(find "$work" -name junit.xml); do build/junit-check "$j" "$schemas" >/dev/null 2>&1 || { bad=1; echo "# invalid: $j"; }; done
  expect "every junit.xml of this suite (passes, failures, errors, skips) validates" eq "$bad" 0
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
