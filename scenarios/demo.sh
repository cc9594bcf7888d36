#!/usr/bin/env bash
# demo.sh — `make demo`: start the local mirror, run the circular's two sessions on it, stop it.
# Runs inside a private network namespace when the machine allows it, so that nothing can leave
# the machine even by mistake. Exit status is the drill run's (0 when every step passed).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SFTPDRILL_NETNS:-}" ] && unshare -n true 2>/dev/null; then
  exec unshare -n env SFTPDRILL_NETNS=1 "$0" "$@"
fi
if [ -n "${SFTPDRILL_NETNS:-}" ]; then
  ip link set lo up
  echo "demo: running in a private network namespace (loopback only)"
else
  echo "demo: cannot create a network namespace here; using the host's loopback addresses only"
fi

# The mirror's reports are named for the last business day (Hong Kong calendar); the demo records
# that day's baseline first, as the daily backup would have, so the sessions' count check has one.
last=$(harness/sftpdrill business-day today)
export SFTPDRILL_MIRROR_DATE=${last//-/}
state=$(mktemp -d /run/sftpdrill-demo.XXXXXX)
export SFTPDRILL_MIRROR_DIR=$state
# The mirror's keys are made per run: so is the state (baselines, key reference, ledger).
export SFTPDRILL_STATE=$state/sftpdrill-state
# Rehearse with the User ID registered with HKEX: make demo MIRROR_USER=CP0042 (the mirror admits
# only that user; the local-mirror profile logs in as it).
export SFTPDRILL_MIRROR_USER=${MIRROR_USER:-${SFTPDRILL_MIRROR_USER:-root}}
cleanup() { tests/mirror/mirror.sh stop "$state" || true; rm -rf "$state"; }
trap cleanup EXIT
tests/mirror/mirror.sh start "$state"

mirror=(-D RRS_PROFILE=local-mirror.profile --operator "${SFTPDRILL_OPERATOR:-demo}")
echo
echo "1. The daily backup of the last business day ($last), as its evening job ran it (--now):"
echo "   reports backed up, manifests recorded (the primary by the backup, the secondary by a snapshot)."
evening=(--now "${last}T19:30:00+08:00")
harness/sftpdrill run "${mirror[@]}" "${evening[@]}" --quiet scenarios/hkex-rrs/daily-backup.drill
harness/sftpdrill snapshot "${mirror[@]}" "${evening[@]}" --quiet scenarios/hkex-rrs/session-1-secondary.drill

echo
echo "2. Session 1 (secondary data centre) then session 2 (primary), as in circular CD/OEC/SEOCH/073/2023."
echo "   On the mirror the SFTP configuration switch is simulated by each session's RRS_SESSION."
echo
set +e
harness/sftpdrill run "${mirror[@]}" \
  scenarios/hkex-rrs/session-1-secondary.drill scenarios/hkex-rrs/session-2-primary.drill
status=$?
set -e
exit $status
