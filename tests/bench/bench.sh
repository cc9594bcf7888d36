#!/usr/bin/env bash
# bench.sh — `make bench`: sftpdrill against OpenSSH's sftp and curl on the same files, in the
# same run, on this machine's loopback (inside a private network namespace when possible).
# Reports the median of repeated runs and the ratio sftpdrill/peer for each, peak resident memory,
# and writes docs/performance.md. Timings live here, never in tests.
#
#   BENCH_REPS=3 BENCH_BIG_MB=1024 BENCH_FILES=100000 BENCH_BACKUP_FILES=500 tests/bench/bench.sh
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
nbackup=${BENCH_BACKUP_FILES:-500}
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
sd=("$bin" run --quiet --report-dir "$work/reports" --business-date 2023-04-15
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
negotiated=$(grep -ho 'cipher [^,]*, mac [^ ]*' "$work"/reports/*/transcript.log | head -1 || true)
[ "$(sha256sum $(find "$work/dl" -name BIG.bin) | cut -c1-64)" = "$sha_expected" ] || { echo "bench: sftpdrill's copy differs" >&2; exit 1; }
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

# (f) a vendor's roster: 50 accounts, each its own key and process, 8 at a time; then the same
# roster as 4 shards (as 4 CI jobs would run them, here one after another) and their merge.
mkdir -p "$work/keys"
{
  echo "name,user,key"
  for i in $(seq -w 1 50); do
    ssh-keygen -q -t ed25519 -N '' -C "cp$i" -f "$work/keys/cp$i"
    cat "$work/keys/cp$i.pub" >> "$state/authorized_keys"
    echo "cp$i,root,$work/keys/cp$i"
  done
} > "$work/vendor.csv"
d=$one
measure "(f) roster of 50 accounts, --jobs 8: sftpdrill" "rm -rf $work/dl $work/reports" \
  "${sd[@]}" --roster "$work/vendor.csv" --jobs 8 -D RRS_DOWNLOAD_DIR="$work/dl" "$d"
T[f_sd]=$m_time R[f_sd]=$m_rss
peer_one="sftp -q -b - -i $work/keys/cp{} -o UserKnownHostsFile=$kh -o StrictHostKeyChecking=yes -o BatchMode=yes -P $port root@$host"
measure "(f) 50 accounts, 8 at a time: sftp -b" "rm -rf $work/sftpdl; mkdir -p $work/sftpdl" \
  bash -c "seq -w 1 50 | xargs -P 8 -I{} sh -c \"printf 'ls -1 /reports\\nget /reports/TP001* $work/sftpdl/cp{}\\n' | $peer_one > /dev/null\""
T[f_sftp]=$m_time
measure "(f) the roster as 4 shards, one after another" "rm -rf $work/dl $work/reports" \
  bash -c 'for k in 1 2 3 4; do "$@" --shard $k/4 || exit 1; done' _ \
  "${sd[@]}" --roster "$work/vendor.csv" --jobs 8 -D RRS_DOWNLOAD_DIR="$work/dl" "$d"
T[f_shards]=$m_time
measure "(f) merge of the 4 shards" "rm -rf $work/merged" \
  bash -c '"$1" merge "$2" "$3"/*-shard-*-of-4/merged' _ "$bin" "$work/merged" "$work/reports"
T[f_merge]=$m_time R[f_merge]=$m_rss

# (g) the daily backup over a line to the exchange: 500 reports (1 KiB to 4 MiB, about 150 MiB)
# through the link emulator at 20 ms round trip and 100 Mbit/s, checked first to deliver both
# within 10%: sftpdrill vs sftp -b (one get per file) vs lftp mirror --parallel=8.
emu=${SFTPDRILL_BUILD:-build}/link-emu
emu_check=$("$emu" 127.0.0.1 0 127.0.0.1 0 0 rtt=20 rate=100 check) || { echo "bench: $emu_check" >&2; exit 1; }
emu_check=${emu_check%%$'\n'*}
echo "  $emu_check" >&2
emu_pids=()
trap 'kill "${emu_pids[@]}" 2>/dev/null; cleanup' EXIT
"$emu" 127.152.14.121 10120 127.152.14.121 10022 7200 rtt=20 rate=100 > "$work/emu.out" & emu_pids+=($!)
until grep -q ready "$work/emu.out" 2>/dev/null; do sleep 0.05; done
mkdir -p "$state/secondary/root/bench500"
head -c 4194304 /dev/urandom > "$work/pool"
awk -v n="$nbackup" 'BEGIN { srand(17); for (i = 1; i <= n; i++) printf "%d\n", 1024 * exp(rand() ^ 1.5 * log(4096)) }' |
  { i=0; while read -r size; do i=$((i + 1)); head -c "$size" "$work/pool" > "$state/secondary/root/bench500/R$(printf %03d $i)_CP0001_20230414.csv"; done; }
backup_mib=$(du -sm --apparent-size "$state/secondary/root/bench500" | cut -f1)
line_fp=$(ssh-keygen -lf "$state/nodes/127.152.14.121/host_ed25519.pub" | cut -d' ' -f2)
d=$(drill backup500.drill "host-key-pin \"*\" $line_fp
endpoints line \"127.152.14.121:10120\"
target line
step \"Login\" login
step \"Back up the reports\" download \"/bench500/*\" to \"$work/bk\"
step \"Logout\" logout")
measure "(g) backup of $nbackup reports, 20 ms/100 Mbit/s: sftpdrill" "rm -rf $work/bk $work/reports" "${sd[@]}" "$d"
T[g_sd]=$m_time R[g_sd]=$m_rss
ls "$state/secondary/root/bench500" | sed "s|^|get /bench500/|; s|\$| $work/sftpbk/|" > "$work/get500"
# OpenSSH looks a non-standard port up as [host]:port: the line's own known_hosts.
for p in 10120 10121; do echo "[127.152.14.121]:$p $(cut -d' ' -f1-2 "$state/nodes/127.152.14.121/host_ed25519.pub")"; done > "$work/kh_line"
line_ssh=(-i "$key" -o UserKnownHostsFile="$work/kh_line" -o StrictHostKeyChecking=yes -o BatchMode=yes)
measure "(g) backup of $nbackup reports: sftp -b, one get per file" "rm -rf $work/sftpbk; mkdir -p $work/sftpbk" \
  sftp -q -b "$work/get500" "${line_ssh[@]}" -P 10120 root@127.152.14.121
T[g_sftp]=$m_time R[g_sftp]=$m_rss
measure "(g) backup of $nbackup reports: lftp mirror --parallel=8" "rm -rf $work/lftpbk" \
  lftp -c "set sftp:connect-program 'ssh -a -x ${line_ssh[*]}'; open -u root, sftp://127.152.14.121:10120; mirror --parallel=8 /bench500 $work/lftpbk"
T[g_lftp]=$m_time R[g_lftp]=$m_rss
[ "$(ls "$work/lftpbk" | wc -l)" = "$nbackup" ] && [ "$(ls "$work/sftpbk" | wc -l)" = "$nbackup" ] ||
  { echo "bench: a peer did not fetch all $nbackup reports" >&2; exit 1; }

# (b') one 256 MiB file over a fast long line: 30 ms round trip, 1 Gbit/s (a single stream filling
# the pipe): sftpdrill vs OpenSSH sftp vs curl.
head -c 268435456 /dev/urandom > "$reports/B256.bin"
"$emu" 127.152.14.121 10121 127.152.14.121 10022 7200 rtt=30 rate=1000 > "$work/emu2.out" & emu_pids+=($!)
until grep -q ready "$work/emu2.out" 2>/dev/null; do sleep 0.05; done
emu_check2=$("$emu" 127.0.0.1 0 127.0.0.1 0 0 rtt=30 rate=1000 check) || true
emu_check2=${emu_check2%%$'\n'*}
echo "  $emu_check2" >&2
d=$(drill b256.drill "host-key-pin \"*\" $line_fp
endpoints fast \"127.152.14.121:10121\"
target fast
step \"256 MiB over 30 ms, 1 Gbit/s\" download \"/reports/B256*\"")
measure "(h) 256 MiB at 30 ms/1 Gbit/s: sftpdrill" "rm -rf $work/dl $work/reports" "${sd[@]}" -D RRS_DOWNLOAD_DIR="$work/dl" "$d"
T[h_sd]=$m_time R[h_sd]=$m_rss
measure "(h) 256 MiB at 30 ms/1 Gbit/s: OpenSSH sftp" "rm -f $work/b256.sftp" \
  sftp -q "${line_ssh[@]}" -P 10121 "root@127.152.14.121:/reports/B256.bin" "$work/b256.sftp"
T[h_sftp]=$m_time R[h_sftp]=$m_rss
measure "(h) 256 MiB at 30 ms/1 Gbit/s: curl" "rm -f $work/b256.curl" \
  "${curl_cmd[@]}" -o "$work/b256.curl" "sftp://127.152.14.121:10121/reports/B256.bin"
T[h_curl]=$m_time R[h_curl]=$m_rss
rm -f "$reports/B256.bin"

# (i) both circular sessions, the shipped drills on the four nodes, each behind a 5 ms line: start to
# sealed bundle; against a sftp -b script doing the same steps on each node in turn.
ports=(10131 10132 10133 10134) nodes=(127.151.14.121 127.151.14.122 127.152.14.121 127.152.14.122)
: > "$work/kh5"
for k in 0 1 2 3; do
  "$emu" "${nodes[k]}" "${ports[k]}" "${nodes[k]}" 10022 7200 rtt=5 rate=0 > "$work/emu5-$k.out" & emu_pids+=($!)
  echo "[${nodes[k]}]:${ports[k]} $(cut -d' ' -f1-2 "$state/nodes/${nodes[k]}/host_ed25519.pub")" >> "$work/kh5"
done
for k in 0 1 2 3; do until grep -q ready "$work/emu5-$k.out" 2>/dev/null; do sleep 0.05; done; done
five=(-D RRS_PROFILE=local-mirror.profile -D RRS_KNOWN_HOSTS="$work/kh5" -D RRS_DOWNLOAD_DIR="$work/dl"
      -D RRS_PRIMARY="127.151.14.121:10131,127.151.14.122:10132" -D RRS_SECONDARY="127.152.14.121:10133,127.152.14.122:10134")
sessions=("$root/scenarios/hkex-rrs/session-1-secondary.drill" "$root/scenarios/hkex-rrs/session-2-primary.drill")
"$bin" snapshot --quiet --report-dir "$work/snap" "${five[@]}" --now 2023-04-14T19:30:00+08:00 "${sessions[@]}" >/dev/null
measure "(i) both sessions, 4 nodes at 5 ms: sftpdrill" "rm -rf $work/dl $work/reports" "${sd[@]}" "${five[@]}" "${sessions[@]}"
T[i_sd]=$m_time R[i_sd]=$m_rss
measure "(i) both sessions, 4 nodes at 5 ms: sftpdrill --parallel" "rm -rf $work/dl $work/reports" "${sd[@]}" --parallel "${five[@]}" "${sessions[@]}"
T[i_par]=$m_time R[i_par]=$m_rss
grep -q "ALL STEPS PASSED" <<<"$("${sd[@]}" "${five[@]}" "${sessions[@]}" 2>&1)" || { echo "bench: (i) sessions did not pass" >&2; exit 1; }
printf 'ls -1 /reports\nget /reports/TP001*20230414* %s/\nget /reports/TP002*20230414* %s/\n' "$work/sftp5" "$work/sftp5" > "$work/session.batch"
measure "(i) the same steps, node by node: sftp -b" "rm -rf $work/sftp5; mkdir -p $work/sftp5" \
  bash -c 'for k in 0 1 2 3; do sftp -q -b "$1" -i "$2" -o UserKnownHostsFile="$3" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -P "${4:k*6:5}" "root@${5:k*15:14}" >/dev/null || exit 1; done' _ "$work/session.batch" "$key" "$work/kh5" \
  "10131 10132 10133 10134 " "127.151.14.121 127.151.14.122 127.152.14.121 127.152.14.122 "
T[i_sftp]=$m_time

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
| (f) roster of 50 accounts, --jobs 8, each its own bundle, then merged (vs sftp -b, 8 at a time) | ${T[f_sd]} s | ${T[f_sftp]} s | $(ratio ${T[f_sd]} ${T[f_sftp]}) | |
| (f) the same roster as 4 shards run one after another (vs one roster run) | ${T[f_shards]} s | ${T[f_sd]} s | $(ratio ${T[f_shards]} ${T[f_sd]}) | |
| (f) merge of the 4 shards' bundles (50 accounts) | ${T[f_merge]} s | | | |
| (g) daily backup, $nbackup reports ($backup_mib MiB), 20 ms RTT, 100 Mbit/s (vs sftp -b, one get per file) | ${T[g_sd]} s | ${T[g_sftp]} s | $(ratio ${T[g_sd]} ${T[g_sftp]}) | |
| (g) the same (vs lftp mirror --parallel=8) | ${T[g_sd]} s | ${T[g_lftp]} s | $(ratio ${T[g_sd]} ${T[g_lftp]}) | ≤ 1.0 |
| (h) 256 MiB, 30 ms RTT, 1 Gbit/s (vs OpenSSH sftp) | ${T[h_sd]} s | ${T[h_sftp]} s | $(ratio ${T[h_sd]} ${T[h_sftp]}) | ≤ 1.0 |
| (h) the same (vs curl) | ${T[h_sd]} s | ${T[h_curl]} s | $(ratio ${T[h_sd]} ${T[h_curl]}) | |
| (i) both circular sessions, 4 nodes at 5 ms, start to sealed bundle (vs sftp -b, node by node) | ${T[i_sd]} s | ${T[i_sftp]} s | $(ratio ${T[i_sd]} ${T[i_sftp]}) | |
| (i) the same with --parallel (each session's two nodes at once) | ${T[i_par]} s | ${T[i_sftp]} s | $(ratio ${T[i_par]} ${T[i_sftp]}) | ≤ 0.35 |

| peak resident memory | sftpdrill | OpenSSH sftp | curl | target |
|---|---|---|---|---|
| (a) ${big_mb} MiB download | $((R[a_sd] / 1024)) MiB | $((R[a_sftp] / 1024)) MiB | $((R[a_curl] / 1024)) MiB | ≤ 16 MiB |
| (b) list $nfiles files | $((R[b_sd] / 1024)) MiB | $((R[b_sftp] / 1024)) MiB | $((R[b_curl] / 1024)) MiB | ≤ 32 MiB |
| (d) four endpoints --parallel | $((R[d_par] / 1024)) MiB | | | |
| (e) 200 sessions, --jobs 8 | $((R[e_sd] / 1024)) MiB | | | |
| (f) roster of 50 accounts, --jobs 8 (the largest process; 8 run at once) | $((R[f_sd] / 1024)) MiB | | | |
| (f) merge of 4 shards | $((R[f_merge] / 1024)) MiB | | | |
| (g) backup of $nbackup reports over the line | $((R[g_sd] / 1024)) MiB | $((R[g_sftp] / 1024)) MiB | (lftp) $((R[g_lftp] / 1024)) MiB | ≤ 16 MiB |
| (h) 256 MiB at 30 ms, 1 Gbit/s | $((R[h_sd] / 1024)) MiB | $((R[h_sftp] / 1024)) MiB | $((R[h_curl] / 1024)) MiB | ≤ 16 MiB |
| (i) both sessions at 5 ms | $((R[i_sd] / 1024)) MiB | | | ≤ 16 MiB |
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
  echo "Negotiated by sftpdrill in (a): $negotiated."
  echo "OpenSSH sftp negotiates chacha20-poly1305@openssh.com by default; curl uses the system's libssh2 ($(curl -V | grep -o 'libssh2/[0-9.]*'))."
  echo "The lines of (g), (h) and (i) are tests/tools/link-emu, which measured itself first: ${emu_check#link-emu: }"
  echo "(20 ms, 100 Mbit/s); ${emu_check2#link-emu: } (30 ms, 1 Gbit/s)."
  echo
  cat docs/performance-notes.md 2>/dev/null || true
} > docs/performance.md
echo
echo "written: docs/performance.md" >&2
