#!/usr/bin/env bash
# run.sh — the interoperability suite (`make interop`): sftpdrill drilled, as a participant would,
# against every SFTP server Debian packages that starts here, then against the limits real services
# set, each over a line with a round trip. Writes the matrix (docs/interop.md by default).
#
#   tests/interop/run.sh [--matrix FILE|-] [CASE...]   CASE: a case name below (default: all);
#                                                      the matrix goes to FILE ("-": none)
#   SFTPDRILL=build/asan/sftpdrill tests/interop/run.sh
#
# Runs in private network and mount namespaces (nothing leaves the machine; the passwd entry that
# Dropbear and tinysshd log the user in with exists only there). Each server is started on
# 127.151.14.121, port 10022 + the case's number, from a folder of its own, and stopped by pid
# before the next; the line (tests/tools/link-emu) listens on 127.151.14.122, the same port.
# Every case checks: the exit status is the one expected (every step passes, or the one kind the
# case expects, at its step), sftpdrill did not die on a signal or a sanitizer's report, every
# report backed up is whole (SHA-256 of the tree), nothing half-written is left, the server was
# still running and was stopped by its pid.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
here=$PWD
matrix=$here/docs/interop.md
if [ "${1:-}" = --matrix ]; then matrix=$2; shift 2; fi
only=" $* "

if [ -z "${SFTPDRILL_INTEROP_NS:-}" ] && unshare -n -m --propagation private true 2>/dev/null; then
  exec unshare -n -m --propagation private env SFTPDRILL_INTEROP_NS=1 "$0" --matrix "$matrix" "$@"
fi
if [ -z "${SFTPDRILL_INTEROP_NS:-}" ]; then
  # Without its own namespaces the suite would change the host's passwd view and listen on its loopback.
  echo "# interop: needs private network and mount namespaces (unshare -n -m), which this machine refuses"
  echo "0 passed, 1 failed"
  exit 1
fi
ip link set lo up
[ "$(id -u)" -eq 0 ] || { echo "interop: needs root (servers log users in as uid 0)"; echo "0 passed, 1 failed"; exit 1; }

bin=${SFTPDRILL:-harness/sftpdrill}
BUILD=${SFTPDRILL_BUILD:-build}
# A libssh2 before 1.11 signs RSA keys only with SHA-1, which OpenSSH 8.8 and later refuse by default:
# with such a build (`make check LIBSSH2=system` on Debian 12), an RSA login to an OpenSSH server is
# expected to end RsaSha1Refused at Login, the precise diagnosis, rather than pass.
sha1_rsa_only=0
case $("$bin" version | head -n 1) in
  *"(libssh2 1.10."*|*"(libssh2 1."[0-9]"."*) sha1_rsa_only=1 ;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d /run/sftpdrill-interop.XXXXXX)
chmod 755 "$work"
line_pid=""
cleanup() {
  [ -n "$line_pid" ] && kill "$line_pid" 2>/dev/null
  for d in "$work"/cases/*/server; do server_stop "$d"; done
  [ -n "${SFTPDRILL_KEEP_WORK:-}" ] && echo "# kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
. tests/interop/servers.sh

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -n 30; }

# The user: uid 0 under a name of its own, its home in the run's folder, seen only in this namespace.
user=cp0001 home=$work/home
mkdir -p "$home"
cp /etc/passwd "$work/passwd"
echo "$user:x:0:0:sftpdrill interop:$home:/bin/sh" >> "$work/passwd"
mount --bind "$work/passwd" /etc/passwd

# The users' keys: one of each type a participant may have registered.
keys=$work/keys
mkdir -p "$keys"
ssh-keygen -q -t ed25519 -N '' -C interop-ed25519 -f "$keys/ed25519"
ssh-keygen -q -t ecdsa -b 256 -N '' -C interop-ecdsa -f "$keys/ecdsa"
ssh-keygen -q -t rsa -b 3072 -N '' -C interop-rsa -f "$keys/rsa"

# The report folder: TP001, TP002 and 51 more (53), 7.5 MiB together, dated the business day.
tree=$work/tree
mkdir -p "$tree/reports"
head -c 1500000 /dev/urandom > "$tree/reports/TP001_CP0001_20230414.csv"
head -c 1200000 /dev/urandom > "$tree/reports/TP002_CP0001_20230414.csv"
for i in $(seq -w 1 51); do head -c $((20000 + 10#$i * 3731)) /dev/urandom > "$tree/reports/DR0${i}_CP0001_20230414.csv"; done
chmod 755 "$tree" "$tree/reports"; chmod 644 "$tree"/reports/*
touch -d "2023-04-14 18:00:00 +0800" "$tree"/reports/*
reports=$(ls "$tree/reports" | wc -l)
(cd "$tree/reports" && sha256sum * | sort) > "$work/tree.sha256"

# Each case its own port (10022, 10023, ...): connections a stopped server's processes are still
# closing never hold the next server's.
addr=127.151.14.121 port=10022 line_addr=127.151.14.122

# The cases: NAME SERVER LINE KEYS EXPECT SERVER-SETTINGS... -- DRILL-SETTINGS (lines of the drill)
#   LINE: "-" (plain loopback) or rtt=MS (the link emulator between, 100 Mbit/s)
#   KEYS: the user key types drilled, comma-separated
#   EXPECT: "pass", or KIND@STEP for a case whose server refuses something by design
cases=(
  "openssh        openssh   - ed25519,ecdsa,rsa pass"
  "proftpd        proftpd   - ed25519,ecdsa,rsa pass"
  "dropbear       dropbear  - ed25519,ecdsa,rsa pass"
  "dropbear-gesftpserver dropbear-gesftpserver - ed25519,ecdsa,rsa pass"
  "asyncssh       asyncssh  - ed25519,ecdsa,rsa pass"
  "rclone         rclone    - ed25519,ecdsa,rsa pass"
  "tinysshd       tinysshd  - ed25519 pass"
  "tinysshd-other-keys tinysshd - ecdsa,rsa AuthRejected@Login"
  "paramiko       paramiko  - ed25519,ecdsa,rsa pass"
  "perl-sftp      perl-sftp - ed25519,ecdsa,rsa pass"
  "openssh-one-channel  openssh  rtt=20 ed25519 pass max-sessions=1"
  "openssh-rekey        openssh  rtt=20 ed25519,rsa pass rekey=1M"
  "proftpd-one-channel  proftpd  rtt=20 ed25519 pass max-channels=1"
  "proftpd-two-channels proftpd  rtt=20 ed25519 pass max-channels=2"
  "asyncssh-two-handles asyncssh rtt=20 ed25519 pass max-handles=2"
  "asyncssh-stall       asyncssh rtt=20 ed25519 StepTimeout@Back-up-every-report stall=DR025_* -- timeout:step:6s"
)

# What the case's steps said, for the matrix: "STEP<TAB>✓|KIND: message" per line, from junit.xml.
steps_of() {  # JUNIT
  /usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    bad = tc.find("failure")
    if bad is None:
        bad = tc.find("error")
    skip = tc.find("skipped")
    if bad is not None:
        cell = "%s: %s" % (bad.get("type", "?"), (bad.get("message") or "").splitlines()[0] if bad.get("message") else "")
    elif skip is not None:
        cell = "skipped: %s" % (skip.get("message") or "")
    else:
        cell = "✓"
    out = tc.find("system-out")
    note = ""
    if out is not None and out.text:
        for l in out.text.splitlines():
            if l.startswith("server: "):
                note = l[len("server: "):]
    print("%s\t%s\t%s\t%s" % (tc.get("name"), cell.replace("\t", " "), tc.get("time", ""), note))
PY
}

run_case() {  # NAME SERVER LINE KEYS EXPECT SETTINGS...
  local name=$1 server=$2 line=$3 keylist=$4 expect=$5; shift 5
  local server_settings=() drill_settings=() a in_drill=0
  for a in "$@"; do
    if [ "$a" = -- ]; then in_drill=1; continue; fi
    if [ $in_drill = 1 ]; then drill_settings+=("${a//:/ }"); else server_settings+=("$a"); fi
  done
  if [[ "$only" != "  " && "$only" != *" $name "* ]]; then return; fi
  if ! server_available "$server"; then
    echo "# $name: $(server_version "$server") is not installed here: skipped"
    echo -e "$name\t$(server_version "$server")\t-\t-\tnot installed\t\t\t" >> "$work/results.tsv"
    return
  fi
  local c=$work/cases/$name target=$addr
  mkdir -p "$c"
  echo "# $name: $(server_version "$server")${line#-}${server_settings[*]:+ (${server_settings[*]})}"
  if ! server_start "$server" "$c/server" "$addr" "$port" "${server_settings[@]}"; then
    not_ok "$name: the server starts" "$(tail -n 20 "$c/server/server.log" 2>/dev/null)"
    server_stop "$c/server"
    return
  fi
  if [ "$line" != - ]; then
    "$BUILD/link-emu" "$line_addr" "$port" "$addr" "$port" 600 "$line" rate=100 > "$c/line.out" 2>&1 &
    line_pid=$!
    for _ in $(seq 50); do grep -q ready "$c/line.out" 2>/dev/null && break; sleep 0.1; done
    if ! grep -q ready "$c/line.out"; then
      not_ok "$name: the line ($line) listens on $line_addr:$port" "$(cat "$c/line.out")"
      kill "$line_pid" 2>/dev/null; line_pid=""
      server_stop "$c/server"
      return
    fi
    target=$line_addr
  fi
  printf '%s\n' "${drill_settings[@]}" > "$c/settings.profile"
  local key IFS_=$IFS
  IFS=, read -ra keytypes <<<"$keylist"
  # What the matrix says of the case's line and settings: "rtt=20, max-sessions=1".
  local how=$line; [ "$how" = - ] && how=""
  for a in "${server_settings[@]}" "${drill_settings[@]}"; do how+="${how:+, }$a"; done
  for key in "${keytypes[@]}"; do drill_one "$name" "$server" "$key" "$expect" "$target" "${how:--}"; done
  [ -n "$line_pid" ] && { kill "$line_pid" 2>/dev/null; wait "$line_pid" 2>/dev/null; line_pid=""; }
  local spid; spid=$(cut -d' ' -f1 "$c/server/pid" 2>/dev/null)
  if server_alive "$c/server"; then ok "$name: the server was still running after the drills"
  else not_ok "$name: the server was still running after the drills" "$(tail -n 20 "$c/server/server.log")"; fi
  server_stop "$c/server"
  if [ -n "$spid" ] && ! grep -qsv '^[^)]*) Z' "/proc/$spid/stat"; then ok "$name: stopped by its pid"
  else not_ok "$name: stopped by its pid"; fi
}

drill_one() {  # NAME SERVER KEY EXPECT TARGET HOW (the line and settings, for the matrix; "-": none)
  local name=$1 server=$2 key=$3 expect=$4 target=$5 line=$6 c=$work/cases/$1 out rc junit
  local k=$c/$key dir; dir=$(server_dir "$server")
  case $sha1_rsa_only:$key:$server in 1:rsa:openssh*|1:rsa:perl-sftp) [ "$expect" = pass ] && expect=RsaSha1Refused@Login ;; esac
  mkdir -p "$k"
  # Known hosts name the address drilled: the line's when there is one.
  sed "s/^\[$addr\]/[$target]/" "$c/server/known_hosts" > "$k/known_hosts"
  out=$("$bin" run --report-dir "$k/reports" --state-dir "$k/state" --business-date 2023-04-14 \
    -D SERVER="interop: $name ($key key)" -D ADDR="$target:$port" -D USER_ID=$user -D KEY="$keys/$key" \
    -D KNOWN_HOSTS="$k/known_hosts" -D DL="$k/dl" -D DIR="$dir" -D REPORTS="$reports" -D BACKUP="$k/backup" \
    -D CASE_SETTINGS="$c/settings.profile" tests/interop/participant.drill 2>&1); rc=$?
  echo "$out" > "$k/output.txt"
  junit=$(sed -n 's/^report: //p' <<<"$out" | head -n 1)
  local what="$name with an $key key"
  if [ $rc -ge 128 ] || grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' <<<"$out"; then
    not_ok "$what: sftpdrill ends without a signal or sanitizer report (exit $rc)" "$(tail -n 40 <<<"$out")"
  else
    ok "$what: sftpdrill ends without a signal or sanitizer report"
  fi
  if [ -z "$junit" ] || [ ! -f "$junit" ]; then
    not_ok "$what: a junit.xml is written" "$(tail -n 20 <<<"$out")"
    return
  fi
  steps_of "$junit" > "$k/steps.tsv"
  if [ "$expect" = pass ]; then
    [ $rc -eq 0 ] && ok "$what: every step passes" || not_ok "$what: every step passes (exit $rc)" "$(grep -v $'\t✓\t' "$k/steps.tsv")"
    if (cd "$k/backup" 2>/dev/null && sha256sum $(ls | grep -vx SHA256SUMS) | sort) | cmp -s - "$work/tree.sha256"; then
      ok "$what: all $reports reports backed up whole"
    else
      not_ok "$what: all $reports reports backed up whole" "$(ls "$k/backup" 2>/dev/null | wc -l) files in the backup"
    fi
  else
    local kind=${expect%@*} step=${expect#*@}
    step=${step//-/ }
    if grep -q "^$step"$'\t'"$kind:" "$k/steps.tsv" && [ $rc -ne 0 ]; then
      ok "$what: $kind at \"$step\", as this server allows"
    else
      not_ok "$what: $kind at \"$step\" (exit $rc)" "$(cat "$k/steps.tsv")"
    fi
  fi
  local left; left=$(find "$k/backup" "$k/dl" -name '.*' -type f 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] && ok "$what: nothing half-written left" || not_ok "$what: nothing half-written left ($left hidden files)"
  while IFS=$'\t' read -r step cell time note; do
    echo -e "$name\t$(server_version "$server")\t$key\t$line\t$step\t$cell\t$time\t$note" >> "$work/results.tsv"
  done < "$k/steps.tsv"
}

: > "$work/results.tsv"
for spec in "${cases[@]}"; do
  # shellcheck disable=SC2086
  run_case $spec
  port=$((port + 1))
done

# The matrix: every case, key and step, from what the drills recorded.
if [ -s "$work/results.tsv" ] && [[ "$only" == "  " ]] && [ "$matrix" != - ]; then
  /usr/bin/python3 tests/interop/matrix.py "$work/results.tsv" "$("$bin" version | head -n 1)" > "$matrix.tmp" &&
    mv "$matrix.tmp" "$matrix" && echo "# matrix: $matrix"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
