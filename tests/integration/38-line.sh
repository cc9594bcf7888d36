# 38-line.sh — downloads over a line with a round trip (tests/tools/link-emu, 20 ms): several files
# in flight on one connection, each whole and hashed, nothing partial after a failure or a stop.
# Functional checks only; how fast is for `make bench`. Sourced by run.sh (its helpers and mirror).
hostfp=$(node_fp "$state" 127.152.14.121)
line=$state/secondary/root/line
mkdir -p "$line"
head -c 3000000 /dev/urandom > "$work/line-pool"
for i in $(seq -w 1 60); do head -c $(( (10#$i * 7919) % 400000 + 1 )) "$work/line-pool" > "$line/R${i}_CP0001_20230414.csv"; done
"$BUILD/link-emu" 127.152.14.121 10101 127.152.14.121 10022 300 rtt=20 rate=0 > "$work/line.out" & fixture_pids+=($!)
ready "$work/line.out"
line_drill() {  # NAME EXTRA-LINES DEST
  mkdrill "$1" "host-key-pin \"*\" $hostfp
endpoints line \"127.152.14.121:10101\"
target line
$2
step \"Login\" login
step \"Back up the line's reports\" download \"/line/*\" to \"$3\"
step \"Logout\" logout"
}
d=$(line_drill line.drill "" "$work/line-bk")
guarded_run "$d"
tr=$(dirname "$junit")/transcript.log
expect "a backup of 60 files over a 20 ms line: several in flight on one connection, every file whole" \
  bash -c '[ "$1" = 0 ] && grep -q "transfer: at most [2-8] files in flight (limit inflight 16) on \([2-9]\|10\) SFTP channels, round trip [0-9]* ms" "$2" &&
    [ "$(grep -c "connect: TCP connected" "$2")" = 1 ] && diff -r "$3" "$4" -x SHA256SUMS >/dev/null &&
    [ "$(grep -c "CP0001_20230414.csv" "$4/SHA256SUMS")" = 60 ] && (cd "$4" && sha256sum --quiet -c SHA256SUMS)' \
  _ "$rc" "$tr" "$line" "$work/line-bk"
expect "... the lines of the step and the evidence in the listing's order, not the order files arrived in" \
  bash -c 'grep -o "line-bk/R[0-9]*_" "$1" | sort -c && "$2" verify "$(dirname "$3")" >/dev/null' _ "$tr" "$bin" "$junit"
d=$(line_drill line1.drill "limit inflight 1" "$work/line-bk1")
guarded_run "$d"
expect "... limit inflight 1 (a server that allows one open handle): one file at a time, the same files" \
  bash -c '[ "$1" = 0 ] && grep -q "transfer: at most 1 file in flight (limit inflight 1)" "$(dirname "$2")/transcript.log" &&
    diff -r "$3" "$4" >/dev/null' _ "$rc" "$junit" "$work/line-bk" "$work/line-bk1"
# A file that fails in the middle of the batch (a different local file is in the way): the user's
# file is kept, the files already in flight finish whole, nothing partial is left.
mkdir -p "$work/line-bk2"; echo "the operator's own notes" > "$work/line-bk2/R30_CP0001_20230414.csv"
d=$(line_drill line2.drill "" "$work/line-bk2")
guarded_run "$d"
expect "... a file failing in the middle: LocalFileConflict names it, the user's file kept, the files in flight whole" \
  bash -c 'say() { echo "#   $*" >&2; exit 1; }
    [ "$1" = 3 ] || say "exit status $1, not 3"
    [ "$(xmllint --xpath "string(//error/@type)" "$2")" = LocalFileConflict ] || say "the JUnit error is not LocalFileConflict"
    grep -q "R30_CP0001_20230414.csv already exists with different content" "$2" || say "the JUnit does not name R30"
    [ "$(cat "$3/R30_CP0001_20230414.csv")" = "the operator'"'"'s own notes" ] || say "the operator'"'"'s file changed"
    [ -z "$(find "$3" -name ".*.sftpdrill-*")" ] || say "partial files left: $(find "$3" -name ".*.sftpdrill-*")"
    for f in "$3"/R*.csv; do [ "${f##*/}" = R30_CP0001_20230414.csv ] || cmp -s "$f" "$4/${f##*/}" || say "${f##*/} differs"; done
    n=$(ls "$3" | grep -c "^R"); [ "$n" -ge 30 ] && [ "$n" -lt 60 ] || say "$n files there: $(ls "$3" | tr "\n" " ")"' \
  _ "$rc" "$junit" "$work/line-bk2" "$line"
# Stopped in the middle of the batch: every file in flight ends, none is left half-written.
rm -rf "$work/line-bk3"
"$bin" run --report-dir "$work/line-kill" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-15 \
  "$(line_drill line3.drill "" "$work/line-bk3")" > "$work/line3.out" 2>&1 & kpid=$!
deadline=$((SECONDS + 30))
until [ "$(ls "$work/line-bk3" 2>/dev/null | grep -c "^R")" -ge 10 ] || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
kill -INT "$kpid"; wait "$kpid"; rc=$?
expect "... Ctrl-C in the middle of the batch: exit 130, every file there whole, no partial file" \
  bash -c '[ "$1" = 130 ] && [ -z "$(find "$2" "$3" -name ".*.sftpdrill-*")" ] &&
    for f in "$2"/R*.csv; do cmp -s "$f" "$4/${f##*/}" || exit 1; done' _ "$rc" "$work/line-bk3" "$work/line-kill" "$line"

# One large file over a long line: the read-ahead grows with the bandwidth-delay product it measures.
head -c 24000000 /dev/urandom > "$line/BIG_CP0001_20230414.bin"
"$BUILD/link-emu" 127.152.14.121 10102 127.152.14.121 10022 300 rtt=60 rate=0 > "$work/line60.out" & fixture_pids+=($!)
ready "$work/line60.out"
d=$(mkdrill line60.drill "host-key-pin \"*\" $hostfp
endpoints long \"127.152.14.121:10102\"
target long
step \"Download the big file over a 60 ms line\" download \"/line/BIG*\"
step \"Logout\" logout")
guarded_run -D RRS_DOWNLOAD_DIR="$work/line60-dl" "$d"
expect "a large file over a 60 ms line: the read-ahead grew past 256 KiB, the file whole" \
  bash -c '[ "$1" = 0 ] && n=$(sed -n "s/.*read-ahead buffer up to \([0-9]*\) KiB.*/\1/p" "$2") && [ "$n" -gt 256 ] && [ "$n" -le 4096 ] &&
    cmp -s "$3" "$4"/*/*/BIG_CP0001_20230414.bin' _ "$rc" "$(dirname "$junit")/transcript.log" "$line/BIG_CP0001_20230414.bin" "$work/line60-dl"
rm -f "$line/BIG_CP0001_20230414.bin"
