# 36-monitoring.sh — what a monitoring system sees of the unattended duty: --metrics (Prometheus text
# exposition, checked with promtool) and `status --plugin` (the Monitoring Plugins format, exit 0-3,
# read beside a reference plugin's output) for runs that pass, fail, are refused, stopped, and never
# ran, and a backup that has grown old. Sourced by run.sh.
B=scenarios/hkex-rrs/daily-backup.drill
mst=$work/mon-state
mon=(-D RRS_PROFILE=local-mirror.profile -D RRS_BACKUP_DIR="$work/mon-backup" --state-dir "$mst")
out=$("$bin" status --plugin --state-dir "$mst" -D RRS_PROFILE=local-mirror.profile --warning 26h --critical 50h "$B" 2>&1); rc=$?
expect "status --plugin before any run: UNKNOWN, exit 3" \
  bash -c '[ "$1" = 3 ] && grep -q "^SFTPDRILL UNKNOWN: RRS daily backup of DCASS reports: no run of this account is recorded" <<<"$2"' _ "$rc" "$out"
out=$("$bin" run --report-dir "$work/reports" "${mon[@]}" --business-date 2023-04-14 --metrics "$work/mon.prom" "$B" 2>&1); rc=$?
expect "a backup with --metrics: the text file promtool accepts, with the run, each step and the backup" \
  bash -c '[ "$1" = 0 ] && { ! command -v promtool >/dev/null || promtool check metrics < "$2" 2>&1; } &&
    grep -q "^sftpdrill_run_success 1$" "$2" && grep -q "^sftpdrill_run_exit_status 0$" "$2" &&
    grep -q "^sftpdrill_run_info{verdict=\"ALL STEPS PASSED\",mode=\"session\",business_date=\"2023-04-14\"} 1$" "$2" &&
    grep -q "^sftpdrill_step_success{drill=\"RRS daily backup of DCASS reports\",endpoint=\"127.151.14.121:10022\",step=\"Logout\"} 1$" "$2" &&
    grep -q "^sftpdrill_step_duration_seconds{.*step=\"Login with User ID and SSH key\"} [0-9.]*$" "$2" &&
    grep -q "^sftpdrill_backup_files_fetched{drill=\"RRS daily backup of DCASS reports\",endpoint=\"127.151.14.121:10022\"} 14$" "$2" &&
    grep -q "^sftpdrill_backup_bytes_fetched{.*} [1-9][0-9]*$" "$2" && grep -q "^sftpdrill_backup_missed{.*} 0$" "$2" &&
    grep -q "^sftpdrill_backup_last_success_timestamp_seconds{drill=\"RRS daily backup of DCASS reports\",user=\"root\",business_date=\"2023-04-14\"} [0-9]*$" "$2" &&
    ! ls "$(dirname "$2")"/.mon.prom* >/dev/null 2>&1' _ "$rc" "$work/mon.prom"
command -v promtool >/dev/null || echo "# note: promtool missing (Debian's prometheus): the metrics format was not checked by it" >&2
plug() { out=$("$bin" status --plugin --state-dir "$mst" -D RRS_PROFILE=local-mirror.profile --warning 26h --critical 50h "$B" 2>&1); rc=$?; }
# The format of a reference plugin (Debian's monitoring-plugins-basic): "NAME STATE: text | label=value[UOM];warn;crit;min;max".
ref=$(/usr/lib/nagios/plugins/check_file_age -w 60 -c 120 -f "$work/mon.prom" 2>&1)
format='^[A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN): [^|]+ \| [a-z_]+=[0-9.]+[a-zA-Z%]*(;[0-9.]*){0,4}( [a-z_]+=[0-9.]+[a-zA-Z%]*(;[0-9.]*){0,4})*$'
plug
expect "status --plugin after it passed: OK, exit 0, in the reference plugins' format (perfdata with thresholds)" \
  bash -c '[ "$1" = 0 ] && grep -qE "$3" <<<"$2" && grep -q "^SFTPDRILL OK: .*last backup 2023-04-14 (0 min ago)" <<<"$2" &&
    grep -q " last_backup_age=[0-9]*s;93600;180000;0;" <<<"$2" && { [ -z "$4" ] || grep -qE "$3" <<<"$4"; }' _ "$rc" "$out" "$format" "$ref"
wrapped=$(SFTPDRILL="$root/$bin" contrib/monitoring/check_sftpdrill -w 26h -c 50h --state-dir "$mst" -D RRS_PROFILE=local-mirror.profile "$B" 2>&1); wrc=$?
expect "... the check_sftpdrill wrapper (-w/-c, as plugins take them) says the same" \
  bash -c '[ "$1" = "$3" ] && [ "${2%% |*}" = "${4%% |*}" ]' _ "$wrc" "$wrapped" "$rc" "$out"
touch -d '-3 days' "$mst"/rrs-local-mirror/root/backup-ledger
plug
expect "... a backup three days old: CRITICAL, exit 2 (the nightly job did not run)" \
  bash -c '[ "$1" = 2 ] && grep -q "^SFTPDRILL CRITICAL: .*last backup 2023-04-14 (3 days" <<<"$2"' _ "$rc" "$out"
touch -d '-30 hours' "$mst"/rrs-local-mirror/root/backup-ledger
plug
expect "... thirty hours old: WARNING, exit 1" bash -c '[ "$1" = 1 ] && grep -q "^SFTPDRILL WARNING: " <<<"$2"' _ "$rc" "$out"
touch "$mst"/rrs-local-mirror/root/backup-ledger
"$bin" run --report-dir "$work/reports" "${mon[@]}" --business-date 2023-04-14 -D RRS_KEY="$work/no-such-key" \
  --metrics "$work/mon.prom" "$B" > /dev/null 2>&1
plug
expect "... after a refused run (a missing key): CRITICAL, exit 2; its metrics say exit status 2" \
  bash -c '[ "$1" = 2 ] && grep -q "^SFTPDRILL CRITICAL: .*(exit 2)" <<<"$2" && grep -q "^sftpdrill_run_exit_status 2$" "$3" &&
    { ! command -v promtool >/dev/null || promtool check metrics < "$3" 2>&1; }' _ "$rc" "$out" "$work/mon.prom"
"$BUILD/silent-listener" 127.152.14.121 10087 60 > "$work/mon-silent.out" & fixture_pids+=($!)
"$bin" run --report-dir "$work/reports" "${mon[@]}" --business-date 2023-04-14 -D RRS_PRIMARY=127.152.14.121:10087 \
  --metrics "$work/mon.prom" "$B" > "$work/mon-int.out" 2>&1 &
mpid=$!
for _ in $(seq 100); do grep -q "No business day missed" "$work/mon-int.out" 2>/dev/null && break; sleep 0.1; done
sleep 1; kill -INT "$mpid"; wait "$mpid"; mrc=$?
plug
expect "... after a run stopped by Ctrl-C: WARNING, exit 1; its metrics say 130" \
  bash -c '[ "$3" = 130 ] && [ "$1" = 1 ] && grep -q "^SFTPDRILL WARNING: .*INCOMPLETE (exit 130)" <<<"$2" &&
    grep -q "^sftpdrill_run_exit_status 130$" "$4"' _ "$rc" "$out" "$mrc" "$work/mon.prom"
out=$("$bin" status --state-dir "$mst" -D RRS_PROFILE=local-mirror.profile "$B" 2>&1); rc=$?
expect "status for a person: the last run, its bundle, the last backup" \
  bash -c '[ "$1" = 0 ] && grep -q "^last run .*INCOMPLETE, exit status 130, business date 2023-04-14" <<<"$2" &&
    grep -q "^last backup  business date 2023-04-14" <<<"$2"' _ "$rc" "$out"
