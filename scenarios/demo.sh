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

state=$(mktemp -d /run/sftpdrill-demo.XXXXXX)
export SFTPDRILL_MIRROR_DIR=$state
cleanup() { tests/mirror/mirror.sh stop "$state" || true; rm -rf "$state"; }
trap cleanup EXIT
tests/mirror/mirror.sh start "$state"

echo
echo "Session 1 (secondary data centre) then session 2 (primary), as in circular CD/OEC/SEOCH/073/2023."
echo "On the mirror the SFTP configuration switch is simulated by each session's RRS_SESSION."
echo
set +e
harness/sftpdrill run -D RRS_PROFILE=local-mirror.profile --operator "${SFTPDRILL_OPERATOR:-demo}" \
  scenarios/hkex-rrs/session-1-secondary.drill scenarios/hkex-rrs/session-2-primary.drill
status=$?
set -e
exit $status
