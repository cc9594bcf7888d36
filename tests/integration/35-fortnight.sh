# 35-fortnight.sh — the stabilisation period, day by day, as cron or the systemd timer would run it:
# the daily backup on every calendar day from Friday 2023-04-14 to Tuesday 2023-05-02 (--now at 19:30
# Hong Kong), against a mirror of its own whose folder gains each business day's reports. Weekends,
# Labour Day and a declared typhoon closure end as "nothing to do"; one missed day is named the
# next day and caught up with the command printed; a key renewed on 25 April fails the key guard.
# Each day runs from one of two folders, with the state found by the default rule (~/.local/state),
# never by the folder: the count of false alarms and false baselines must be 0.
# Sourced by run.sh (its helpers).

fn=$(mktemp -d /run/sftpdrill-fn.XXXXXX)
fport=10031
SFTPDRILL_MIRROR_PORT=$fport SFTPDRILL_MIRROR_DATE=20230413 tests/mirror/mirror.sh start "$fn" >/dev/null 2>&1 ||
  not_ok "the fortnight's mirror starts"
fbin=$(cd "$root" && realpath "$bin")
fhome=$work/fn-home
mkdir -p "$fhome" "$work/fn-cwd1" "$work/fn-cwd2"
printf '# declared market closures\n2023-04-27 Typhoon signal No. 8\n' > "$work/fn-closures.txt"
: > "$work/fn-hooks.log"
fargs=(--report-dir "$work/fn-reports" -D RRS_PROFILE=local-mirror.profile -D RRS_PORT=$fport
  -D RRS_BACKUP_DIR="$work/fn-backup" -D RRS_CLOSURES="$work/fn-closures.txt"
  --on-failure "echo \"failure \$SFTPDRILL_BUSINESS_DATE \$SFTPDRILL_EXIT_STATUS \$SFTPDRILL_VERDICT\" >> $work/fn-hooks.log"
  --on-success "echo \"success \$SFTPDRILL_BUSINESS_DATE \$SFTPDRILL_VERDICT\" >> $work/fn-hooks.log")
# fn_sftpdrill CWD ARGS...: sftpdrill as cron would start it: its own HOME, no state variables
# (with the outer guard: a hang shows as exit 124, not as a stuck suite).
fn_sftpdrill() {
  local cwd=$1; shift
  (cd "$cwd" && timeout 120 env -u SFTPDRILL_STATE -u XDG_STATE_HOME HOME="$fhome" SFTPDRILL_MIRROR_DIR="$fn" "$fbin" "$@")
}
fstate=$fhome/.local/state/sftpdrill/rrs-local-mirror/root
# fn_day DAY [ARGS...]: the evening backup of DAY; rc, out, junit.
fn_day() {
  local day=$1; shift
  out=$(fn_sftpdrill "$work/fn-cwd$((n % 2 + 1))" run "${fargs[@]}" --now "${day}T19:30:00+08:00" "$@" \
    "$root/scenarios/hkex-rrs/daily-backup.drill" 2>&1); rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
  n=$((n + 1))
}

ssh-keygen -q -t ed25519 -N '' -f "$fn/renewed" -C renewed
cat "$fn/renewed.pub" >> "$fn/authorized_keys"
n=0 false_alarms=0 false_baselines=0 misses=0
for d in 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 01 02; do
  month=04; [ "$d" -le 2 ] && month=05
  day=2023-$month-$d
  wd=$(date -d "$day" +%u)
  closed=0
  { [ "$wd" -ge 6 ] || [ "$day" = 2023-05-01 ] || [ "$day" = 2023-04-27 ]; } && closed=1
  # The exchange publishes each business day's reports that evening.
  [ $closed = 0 ] && SFTPDRILL_MIRROR_PORT=$fport tests/mirror/mirror.sh publish "$fn" "${day//-/}"
  case "$day" in
    2023-04-19) continue ;;                             # the job did not run that day
    2023-04-25) fn_day "$day" -D RRS_KEY="$fn/renewed" ;; # someone renewed the key
    *) fn_day "$day" ;;
  esac
  if [ $closed = 1 ]; then
    expect "$day ($(date -d "$day" +%a)): not a business day: one NotABusinessDay skip, exit 0, nothing contacted" \
      bash -c '[ "$1" = 0 ] && grep -q "^0 passed, 0 failed, 0 errors, 1 skipped — NOTHING TO DO (NOT A BUSINESS DAY)" <<<"$2" &&
        [ "$(xmllint --xpath "count(//testcase)" "$3")" = 1 ] &&
        xmllint --xpath "string(//testcase/skipped/@message)" "$3" | grep -q "^not a business day: $4" && ! grep -q "connect: TCP" "${3%/*}/transcript.log"' \
      _ "$rc" "$out" "$junit" "$(date -d "$day" +%A) $day"
    [ "$rc" = 0 ] || false_alarms=$((false_alarms + 1))
    [ -z "$(find "$fstate/baselines" -path "*/$day/*" 2>/dev/null)" ] || false_baselines=$((false_baselines + 1))
    continue
  fi
  case "$day" in
    2023-04-20)
      expect "$day: the day missed before is named, with the command that catches it up" \
        bash -c '[ "$1" = 1 ] && grep -q "MissedBackup: .*1 business day since the first backup (2023-04-14) has no backup: 2023-04-19" <<<"$2" &&
          grep -q "^  sftpdrill run .*--business-date 2023-04-19 .*daily-backup.drill$" <<<"$2" &&
          [ "$(xmllint --xpath "count(//testcase[not(failure|error|skipped)])" "$3")" = 10 ]' _ "$rc" "$out" "$junit"
      misses=$((misses + 1))
      catchup=$(grep -m1 "^  sftpdrill run .*--business-date 2023-04-19" <<<"$out" | sed 's/^  sftpdrill //')
      out=$(eval "fn_sftpdrill \"$work/fn-cwd2\" $catchup" 2>&1); rc=$?
      junit=$(sed -n 's/^report: //p' <<<"$out")
      m=$(find "$fstate/baselines" -path "*/2023-04-19/127.151.14.121*.manifest")
      expect "... the printed catch-up, run the next day, backs up 2023-04-19's reports and reconstructs its baseline" \
        bash -c '[ "$1" = 0 ] && [ "$(ls "$2"/2023-04-19 | grep -c _20230419)" = 14 ] && (cd "$2/2023-04-19" && sha256sum --quiet -c SHA256SUMS) &&
          grep -q "^# source reconstructed" "$3" && [ "$(grep -vc "^#" "$3")" = 70 ] &&
          grep -q "70 files (70 entries) in /reports recorded for 2023-04-19; RECONSTRUCTED from today.s listing (a catch-up): 14 entries changed after 2023-04-19 left out" "$4"' \
        _ "$rc" "$work/fn-backup" "$m" "$junit"
      ;;
    2023-04-25)
      expect "$day: a renewed key fails the key guard, whichever folder the job runs from" \
        bash -c '[ "$1" = 1 ] && [ "$(xmllint --xpath "string(//testcase[@name=\"SSH keys unchanged (no renewal)\"]/failure/@type)" "$2")" = KeyChanged ]' \
        _ "$rc" "$junit"
      ;;
    *)
      expect "$day: the backup passes, its reports backed up, its baseline recorded" \
        bash -c '[ "$1" = 0 ] && [ "$(ls "$2/$3" | grep -c "_${3//-/}")" = 14 ] && [ -n "$(find "$4/baselines" -path "*/$3/*.manifest")" ]' \
        _ "$rc" "$work/fn-backup" "$day" "$fstate"
      [ "$rc" = 0 ] || false_alarms=$((false_alarms + 1))
      ;;
  esac
done
expect "the fortnight: 0 false alarms, 0 false baselines, the one missed day found once" \
  eq "$false_alarms/$false_baselines/$misses" 0/0/1
expect "... the business days' baselines are the listings of their own evening (14 more reports each day)" \
  bash -c 'a=$(find "$1/baselines" -path "*/2023-04-17/127.151.14.121*.manifest"); b=$(find "$1/baselines" -path "*/2023-04-18/127.151.14.121*.manifest");
    [ "$(grep -vc "^#" "$a")" = 42 ] && [ "$(grep -vc "^#" "$b")" = 56 ] && grep -q "^# source listed that day" "$b"' _ "$fstate"
expect "... one state folder, found by the default rule from both working folders (none in either)" \
  bash -c '[ -s "$1/key-reference" ] && [ -s "$1/backup-ledger" ] && [ -z "$(find "$2" "$3" -mindepth 1)" ]' _ "$fstate" "$work/fn-cwd1" "$work/fn-cwd2"
expect "... --on-failure ran on the two failing days, --on-success on every other run, each told date and verdict" \
  bash -c '[ "$(grep -c ^failure "$1")" = 2 ] && grep -q "^failure 2023-04-20 1 NOT ALL STEPS PASSED$" "$1" &&
    grep -q "^failure 2023-04-25 1 NOT ALL STEPS PASSED$" "$1" && grep -q "^success 2023-04-22 NOTHING TO DO (NOT A BUSINESS DAY)$" "$1" &&
    [ "$(grep -c ^success "$1")" = 17 ]' _ "$work/fn-hooks.log"
out=$(fn_sftpdrill "$work/fn-cwd1" business-day --drill "$root/scenarios/hkex-rrs/daily-backup.drill" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_CLOSURES="$work/fn-closures.txt" 2023-04-28 2>&1)
expect "business-day --drill reads the drill's closures (the typhoon on the 27th)" eq "$out" 2023-04-26

# The key reference gone after the account's first backup: a failure, unless told to record anew.
mv "$fstate/key-reference" "$work/fn-keyref.bak"
fn_day 2023-05-02
expect "a key reference gone missing after the first backup: KeyReferenceMissing, nothing recorded" \
  bash -c '[ "$1" = 1 ] && grep -q "KeyReferenceMissing: no userkey reference in .*--accept-new-key-reference" <<<"$2" && [ ! -e "$3/key-reference" ]' \
  _ "$rc" "$out" "$fstate"
fn_day 2023-05-02 --accept-new-key-reference
expect "... --accept-new-key-reference records it anew" bash -c '[ "$1" = 0 ] && [ -s "$2/key-reference" ]' _ "$rc" "$fstate"

# State of before 0.2: reports/baselines/PROFILE/USER of the folder the job ran in, copied in once.
mkdir -p "$work/fn-old/reports/baselines/local-mirror/root" && cp "$work/fn-keyref.bak" "$work/fn-old/reports/baselines/local-mirror/root/key-reference"
rm -rf "$fhome/.local/state"
out=$(fn_sftpdrill "$work/fn-old" run "${fargs[@]}" --now 2023-05-02T19:30:00+08:00 -D RRS_KEY="$fn/renewed" \
  "$root/scenarios/hkex-rrs/daily-backup.drill" 2>&1); rc=$?
expect "state kept by sftpdrill before 0.2 is found, copied in (said so), and guards the key as before" \
  bash -c '[ "$1" = 1 ] && grep -q "was found in .*fn-old/reports/baselines/local-mirror/root .* and copied to" <<<"$2" && grep -q "KeyChanged" <<<"$2" &&
    [ -s "$3/MIGRATED-FROM" ] && [ -s "$4/reports/baselines/local-mirror/root/key-reference" ]' _ "$rc" "$out" "$fstate" "$work/fn-old"

if command -v systemd-analyze >/dev/null; then
  make -s install PREFIX="$work/fn-prefix" >/dev/null
  mkdir -p "$work/fn-units"
  cp "$work/fn-prefix/lib/systemd/system/sftpdrill-backup@.service" "$work/fn-units/sftpdrill-backup@hkex-rrs.service"
  cp "$work/fn-prefix/lib/systemd/system/sftpdrill-backup@.timer" "$work/fn-units/sftpdrill-backup@hkex-rrs.timer"
  out=$(cd "$work/fn-units" && systemd-analyze verify --man=no sftpdrill-backup@hkex-rrs.service sftpdrill-backup@hkex-rrs.timer 2>&1); rc=$?
  expect "make install's systemd service and timer pass systemd-analyze verify" bash -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$rc" "$out"
  expect "... the timer fires on weekday evenings, Hong Kong time" \
    bash -c 'systemd-analyze calendar "$(sed -n "s/^OnCalendar=//p" "$1")" >/dev/null' _ "$work/fn-units/sftpdrill-backup@hkex-rrs.timer"
else
  echo "# note: no systemd-analyze here: the unit files were not verified" >&2
fi
SFTPDRILL_MIRROR_PORT=$fport tests/mirror/mirror.sh stop "$fn" >/dev/null 2>&1
rm -rf "$fn"
# The calendar says when it runs out: hk-holidays.txt covers 2023-2027, and Lunar New Year 2028 is
# not in it. A date past it is an error everywhere, or with --allow-unknown-holidays a warning that
# every output carries.
out=$("$bin" business-day 2028-01-29 2>&1); rc=$?
out2=$("$bin" business-day --allow-unknown-holidays 2028-01-29 2>&1); rc2=$?
expect "business-day past the holiday list: exit 2 naming the last day it covers; allowed, the answer and a warning" \
  bash -c '[ "$1" = 2 ] && grep -q "2028-01-28 is after the last day the holiday list covers (2027-12-31, hk-holidays.txt)" <<<"$2" &&
    [ "$3" = 0 ] && grep -qx 2028-01-28 <<<"$4" && grep -q "warning: .*its holidays are unknown" <<<"$4"' _ "$rc" "$out" "$rc2" "$out2"
for cmd in plan check; do
  out=$("$bin" $cmd --business-date 2028-01-31 -D RRS_PROFILE=local-mirror.profile scenarios/hkex-rrs/daily-backup.drill 2>&1)
  eval "rc_$cmd=$?"
done
run_drill --business-date 2028-01-31 scenarios/hkex-rrs/daily-backup.drill
expect "... plan, check and run refuse it too (exit 2; the run's refusal recorded)" \
  bash -c '[ "$1" = 2 ] && [ "$2" = 2 ] && [ "$3" = 2 ] && grep -q "its holidays are unknown" "${4%/*}/transcript.log"' \
  _ "$rc_plan" "$rc_check" "$rc" "$junit"
run_drill --business-date 2028-01-31 --allow-unknown-holidays scenarios/hkex-rrs/daily-backup.drill
expect "... with --allow-unknown-holidays the run goes on, and the evidence says the calendar did not know the day" \
  bash -c 'grep -q "warning: .*2028-01-31 is after the last day the holiday list covers" <<<"$1" &&
    grep -q "name=\"calendar.unknown\" value=\"2028-01-31 is after" "$2" && grep -q "its holidays are unknown" "${2%/*}/transcript.log"' \
  _ "$out" "$junit"
