#!/usr/bin/env bash
# bench.sh — `make bench`: sftpdrill against OpenSSH's sftp and curl on the same files, in the
# same run, on this machine's loopback (inside a private network namespace when possible).
# Reports the median of repeated runs and the ratio sftpdrill/peer for each, peak resident memory,
# and writes docs/performance.md. Timings live here, never in tests.
#
#   BENCH_REPS=3 BENCH_BIG_MB=1024 BENCH_FILES=100000 tests/bench/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ -z "${SFTPDRILL_NETNS:-}" ] && unshare -n true 2>/dev/null; then
  exec unshare -n env SFTPDRILL_NETNS=1 "$0" "$@"
fi
[ -n "${SFTPDRILL_NETNS:-}" ] && ip link set lo up

reps=${BENCH_REPS:-3}
big_mb=${BENCH_BIG_MB:-1024}
nfiles=${BENCH_FILES:-100000}
bin=$root/harness/sftpdrill
state=$(mktemp -d /run/sftpdrill-bench.XXXXXX)
work=$(mktemp -d /run/sftpdrill-bench-work.XXXXXX)   # tmpfs: the disk is not what we measure
export SFTPDRILL_MIRROR_DIR=$state SFTPDRILL_MIRROR_DATE=20230414 SFTPDRILL_STATE=$state/sftpdrill-state
cleanup() { tests/mirror/mirror.sh stop "$state" >/dev/null 2>&1 || true; rm -rf "$state" "$work"; }
trap cleanup EXIT
tests/mirror/mirror.sh start "$state" 2>/dev/null

reports=$state/secondary/root/reports
echo "bench: making a ${big_mb} MiB file and a folder of $nfiles files..." >&2
head -c $((big_mb * 1048576)) /dev/urandom > "$reports/BIG.bin"
mkdir -p "$state/secondary/root/many"
(cd "$state/secondary/root/many" && seq -f 'R%06g_CP0001.csv' 1 "$nfiles" | xargs touch)
sha_expected=$(sha256sum "$reports/BIG.bin" | cut -c1-64)

key=$state/user_ed25519 kh=$state/known_hosts host=127.152.14.121 port=10022
# curl (libssh2 1.10 too) takes the server's ECDSA host key, so its pin is that key's fingerprint.
ecdsafp=$(ssh-keygen -lf "$state/nodes/127.152.14.121/host_ecdsa.pub" | cut -d' ' -f2)
sftp_cmd=(sftp -q -b - -i "$key" -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o BatchMode=yes
          -P "$port" "root@$host")
curl_cmd=(curl -sS --fail --key "$key" --pubkey "$key.pub" --hostpubsha256 "${ecdsafp#SHA256:}=" -u root:)
drill() {  # NAME BODY -> path
  { echo "include \"$root/scenarios/hkex-rrs/local-mirror.profile\""; printf '%s\n' "$2"; } > "$work/$1"
  echo "$work/$1"
}
sd=("$bin" run --quiet --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-15
    --now 2023-04-15T14:45:00+08:00)

# measure LABEL PREP COMMAND...: runs COMMAND reps times (PREP before each, untimed); sets
# m_time (median seconds) and m_rss (largest peak RSS, KiB).
measure() {
  local label=$1 prep=$2; shift 2
  local times=() rss=0 out
  for _ in $(seq "$reps"); do
    eval "$prep"
    local t0=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$work/time" "$@" > /dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "bench: $label failed" >&2; exit 1; }
    local t1=$EPOCHREALTIME
    out=$(tail -n 1 "$work/time")
    times+=("$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}")"); [ "$out" -gt "$rss" ] && rss=$out
  done
  m_time=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  m_rss=$rss
  printf '  %-46s %8.3f s  %7.1f MiB peak RSS\n' "$label" "$m_time" "$(awk "BEGIN {print $m_rss/1024}")" >&2
}
ratio() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"n/a\" }"; }

declare -A T R
echo "bench: $reps runs each, median wall time" >&2

# (a) one large download, SHA-256 computed by sftpdrill on the way (sftp and curl compute none).
d=$(drill big.drill 'target secondary
step "Download" download "/reports/BIG.bin" timeout 30min')
measure "(a) ${big_mb} MiB download: sftpdrill" "rm -rf $work/dl $work/reports" \
  "${sd[@]}" -D RRS_DOWNLOAD_DIR="$work/dl" -D RRS_SECONDARY=$host "$d"
T[a_sd]=$m_time R[a_sd]=$m_rss
[ "$(sha256sum "$work"/dl/*/BIG.bin | cut -c1-64)" = "$sha_expected" ] || { echo "bench: sftpdrill's copy differs" >&2; exit 1; }
measure "(a) ${big_mb} MiB download: OpenSSH sftp" "rm -f $work/big.sftp" \
  bash -c "echo 'get /reports/BIG.bin $work/big.sftp' | ${sftp_cmd[*]}"
T[a_sftp]=$m_time R[a_sftp]=$m_rss
measure "(a) ${big_mb} MiB download: curl" "rm -f $work/big.curl" \
  "${curl_cmd[@]}" -o "$work/big.curl" "sftp://$host:$port/reports/BIG.bin"
T[a_curl]=$m_time R[a_curl]=$m_rss
rm -f "$work/big.sftp" "$work/big.curl"; rm -rf "$work/dl"

# (b) listing and counting a folder of many files.
d=$(drill many.drill "target secondary
step \"Count\" count \"/many\" == $nfiles timeout 30min")
measure "(b) list+count $nfiles files: sftpdrill" "rm -rf $work/reports" "${sd[@]}" -D RRS_SECONDARY=$host "$d"
T[b_sd]=$m_time R[b_sd]=$m_rss
measure "(b) list+count $nfiles files: OpenSSH sftp" ":" \
  bash -c "[ \$(echo 'ls -1 /many' | ${sftp_cmd[*]} | grep -c CP0001) = $nfiles ]"
T[b_sftp]=$m_time R[b_sftp]=$m_rss
measure "(b) list+count $nfiles files: curl" ":" \
  bash -c "[ \$(${curl_cmd[*]} -l sftp://$host:$port/many/ | grep -c CP0001) = $nfiles ]"
T[b_curl]=$m_time R[b_curl]=$m_rss

# (c) the whole session rundown on one endpoint.
"$bin" snapshot --quiet --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 \
  -D RRS_SECONDARY=$host scenarios/hkex-rrs/session-1-secondary.drill >/dev/null
rm -f "$reports/BIG.bin"   # the rundown lists the real report folder
"$bin" snapshot --quiet --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 \
  -D RRS_SECONDARY=$host scenarios/hkex-rrs/session-1-secondary.drill >/dev/null
d=$(drill rundown.drill 'target secondary
step "Reachable" connect
step "Login" login
step "Count" count "/reports" == baseline(last-business-day)
step "TP001" download "/reports/TP001*"
step "TP002" download "/reports/TP002*"
step "Logout" logout')
measure "(c) session rundown: sftpdrill" "rm -rf $work/dl $work/reports" \
  "${sd[@]}" -D RRS_DOWNLOAD_DIR="$work/dl" -D RRS_SECONDARY=$host "$d"
T[c_sd]=$m_time R[c_sd]=$m_rss
mkdir -p "$work/sftpdl"
measure "(c) session rundown: sftp -b" "rm -f $work/sftpdl/*" \
  bash -c "printf 'ls -1 /reports\nget /reports/TP001* $work/sftpdl/\nget /reports/TP002* $work/sftpdl/\n' | ${sftp_cmd[*]}"
T[c_sftp]=$m_time R[c_sftp]=$m_rss

# (d) four endpoints: one alone, four in turn, four in parallel.
d=$(drill four.drill 'endpoints four "127.151.14.121,127.151.14.122,127.152.14.121,127.152.14.122"
target four
step "Reachable" connect
step "Login" login
step "Count" count "/reports" >= 1
step "TP001" download "/reports/TP001*"
step "Logout" logout')
one=$(drill one.drill 'endpoints one "127.152.14.121"
target one
step "Reachable" connect
step "Login" login
step "Count" count "/reports" >= 1
step "TP001" download "/reports/TP001*"
step "Logout" logout')
measure "(d) one endpoint" "rm -rf $work/dl $work/reports" "${sd[@]}" -D RRS_DOWNLOAD_DIR="$work/dl" "$one"
T[d_one]=$m_time
measure "(d) four endpoints in turn" "rm -rf $work/dl $work/reports" "${sd[@]}" -D RRS_DOWNLOAD_DIR="$work/dl" "$d"
T[d_serial]=$m_time
measure "(d) four endpoints --parallel" "rm -rf $work/dl $work/reports" "${sd[@]}" --parallel -D RRS_DOWNLOAD_DIR="$work/dl" "$d"
T[d_par]=$m_time R[d_par]=$m_rss

# (e) 200 sessions against one server, at most 8 at a time.
eps=$(printf '127.152.14.121:10022,%.0s' $(seq 200)); eps=${eps%,}
d=$(drill many-sessions.drill "endpoints crowd \"$eps\"
target crowd
step \"Login\" login
step \"Count\" count \"/reports\" >= 1
step \"Logout\" logout")
measure "(e) 200 sessions, --jobs 8: sftpdrill" "rm -rf $work/reports" "${sd[@]}" --jobs 8 "$d"
T[e_sd]=$m_time R[e_sd]=$m_rss
measure "(e) 200 sessions, 8 at a time: sftp -b" ":" \
  bash -c "seq 200 | xargs -P 8 -I{} sh -c \"echo 'ls -1 /reports' | ${sftp_cmd[*]} > /dev/null\""
T[e_sftp]=$m_time

faster_ab=$(awk "BEGIN {print (${T[b_sftp]} < ${T[b_curl]}) ? ${T[b_sftp]} : ${T[b_curl]}}")
summary=$(cat <<TXT
| measure | sftpdrill | peer | ratio | target |
|---|---|---|---|---|
| (a) ${big_mb} MiB download, SHA-256 on the fly (vs OpenSSH sftp) | ${T[a_sd]} s | ${T[a_sftp]} s | $(ratio ${T[a_sd]} ${T[a_sftp]}) | ≤ 0.9 |
| (a) ${big_mb} MiB download (vs curl) | ${T[a_sd]} s | ${T[a_curl]} s | $(ratio ${T[a_sd]} ${T[a_curl]}) | |
| (b) list and count $nfiles files (vs the faster of sftp ${T[b_sftp]} s, curl ${T[b_curl]} s) | ${T[b_sd]} s | $faster_ab s | $(ratio ${T[b_sd]} $faster_ab) | ≤ 1.0 |
| (c) session rundown (vs sftp -b) | ${T[c_sd]} s | ${T[c_sftp]} s | $(ratio ${T[c_sd]} ${T[c_sftp]}) | ≤ 1.0 |
| (d) four endpoints --parallel (vs one endpoint) | ${T[d_par]} s | ${T[d_one]} s | $(ratio ${T[d_par]} ${T[d_one]}) | ≤ 1.5 |
| (d) four endpoints in turn (vs one endpoint) | ${T[d_serial]} s | ${T[d_one]} s | $(ratio ${T[d_serial]} ${T[d_one]}) | |
| (e) 200 sessions, 8 at a time (vs sftp -b, 8 at a time) | ${T[e_sd]} s | ${T[e_sftp]} s | $(ratio ${T[e_sd]} ${T[e_sftp]}) | |

| peak resident memory | sftpdrill | OpenSSH sftp | curl | target |
|---|---|---|---|---|
| (a) ${big_mb} MiB download | $((R[a_sd] / 1024)) MiB | $((R[a_sftp] / 1024)) MiB | $((R[a_curl] / 1024)) MiB | ≤ 16 MiB |
| (b) list $nfiles files | $((R[b_sd] / 1024)) MiB | $((R[b_sftp] / 1024)) MiB | $((R[b_curl] / 1024)) MiB | ≤ 32 MiB |
| (d) four endpoints --parallel | $((R[d_par] / 1024)) MiB | | | |
| (e) 200 sessions, --jobs 8 | $((R[e_sd] / 1024)) MiB | | | |
TXT
)
echo
echo "$summary"
{
  echo "# Performance"
  echo
  echo "Measured by \`make bench\` (tests/bench/bench.sh) on $(date -u +%Y-%m-%d): median of $reps runs,"
  echo "loopback inside a private network namespace, files on tmpfs. Ratios are sftpdrill / peer"
  echo "(below 1 is faster). sftpdrill's times are whole runs: parsing, the evidence bundle and its"
  echo "MANIFEST included; it also computes each download's SHA-256, which sftp and curl do not."
  echo
  echo "$summary"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/ {print $2}') GiB;"
  echo "$(uname -sr); $("$bin" version); $(ssh -V 2>&1); $(curl -V | head -1)."
  echo "Negotiated by sftpdrill (libssh2 1.10): $(grep -ho 'kex [^,]*, host key [^,]*, cipher [^,]*, mac [^ ]*' "$work"/reports/*/transcript.log | head -1)."
  echo "OpenSSH sftp negotiates chacha20-poly1305@openssh.com by default; curl uses libssh2 1.10 like sftpdrill."
  echo
  cat docs/performance-notes.md 2>/dev/null || true
} > docs/performance.md
echo
echo "written: docs/performance.md" >&2
