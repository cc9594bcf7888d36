# lib.sh — helpers for the integration tests; sourced by run.sh.
passed=0 failed=0
ok()     { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# run_drill ARGS...: runs sftpdrill run inside the session-1 window, sets rc, out, junit.
run_drill() {
  out=$("$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
        -D RRS_DOWNLOAD_DIR="$work/downloads" -D RRS_BACKUP_DIR="$work/backup" --business-date 2023-04-15 \
        --now 2023-04-15T14:45:00+08:00 "$@" 2>&1)
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
# ready FILE...: wait (at most 10 s) until each fixture has written "ready" to its output file.
ready() {
  local f deadline=$((SECONDS + 10))
  for f in "$@"; do
    until grep -q ready "$f" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || { echo "# fixture not ready: $f: $(cat "$f" 2>/dev/null)" >&2; return 1; }
      sleep 0.05
    done
  done
}

# noon_zone: sets zone, a UTC offset ("+HH:00") in which it is about noon now, and day, the date
# there: a window written in it opens hours from now and never crosses midnight, whenever the tests run.
noon_zone() {
  local off=$((12 - 10#$(date -u +%H)))
  zone=$(printf '%s%02d:00' "$([ "$off" -lt 0 ] && echo - || echo +)" "${off#-}")
  day=$(date -u -d "@$(($(date +%s) + off * 3600))" +%Y-%m-%d)
}

# node_fp STATE ADDR [TYPE]: the SHA256 fingerprint of one mirror node's host key (each node has its own).
node_fp() { ssh-keygen -lf "$1/nodes/$2/host_${3:-ed25519}.pub" | cut -d' ' -f2; }

# Write a drill into the work folder that includes the shipped profile RRS_PROFILE names (as the
# shipped drills do; the helpers pass -D RRS_PROFILE=local-mirror.profile).
mkdrill() {  # NAME BODY
  { echo "include \"$root/scenarios/hkex-rrs/\${RRS_PROFILE:-local-mirror.profile}\""; printf '%s\n' "$2"; } > "$work/$1"
  echo "$work/$1"
}

# Each fault run is wrapped in an outer `timeout`: not a timing assertion, a guard, so that a
# deadline that failed to fire shows up as exit 124 instead of a hung test suite.
guarded() { timeout 120 "$@"; }
guarded_run() { out=$(guarded "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$work/downloads" --business-date 2023-04-15 "$@" 2>&1); rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out"); }
