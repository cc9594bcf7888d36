#!/usr/bin/env bash
# run.sh — integration tests: the real sftpdrill binary against the local mirror (real sshd).
#
#   tests/integration/run.sh            uses harness/sftpdrill
#   SFTPDRILL=build/asan/sftpdrill tests/integration/run.sh
#   tests/integration/run.sh 40 60      only those sections (while debugging: later sections
#                                       use what earlier ones recorded, so some may fail alone)
#
# Runs inside a private network namespace when the machine allows it (nothing can leave the
# machine). Starts its own mirror and fault fixtures and stops exactly those, by pid.
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
only=" $* "     # the sections asked for (sections may `set --`, so kept here)

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
BUILD=${SFTPDRILL_BUILD:-build}
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
  [ -n "${SFTPDRILL_KEEP_WORK:-}" ] && echo "# kept: $work" >&2 || rm -rf "$state" "$state2" "$work"
}
trap cleanup EXIT
export SFTPDRILL_MIRROR_DIR=$state
# The mirror's keys are made per run: so is the state (baselines, key reference, ledger).
export SFTPDRILL_STATE=$state/sftpdrill-state
# The circular's own dates: reports of Friday 14 April 2023, sessions on Saturday 15 April.
export SFTPDRILL_MIRROR_DATE=20230414
tests/mirror/mirror.sh start "$state" 2>/dev/null || { echo "could not start the mirror"; echo "0 passed, 1 failed"; exit 1; }

. tests/integration/lib.sh
# The sections, in order: later ones use what earlier ones recorded (baselines, reports).
for section in tests/integration/[0-9][0-9]-*.sh; do
  if [ "$only" != "  " ] && [[ "$only" != *" $(basename "$section" | cut -c1-2) "* ]]; then continue; fi
  echo "# ${section##*/}"
  # A section bash cannot parse would otherwise vanish without a failure.
  if ! bash -n "$section" 2>"$work/syntax.err"; then
    not_ok "${section##*/} parses" "$(cat "$work/syntax.err")"
    continue
  fi
  . "$section"
done
# Last: every junit.xml any section wrote.
if [ -n "$schemas" ]; then
  bad=0
  for j in $(find "$work" -name junit.xml); do "$BUILD/junit-check" "$j" "$schemas" >/dev/null 2>&1 || { bad=1; echo "# invalid: $j"; }; done
  expect "every junit.xml of this suite (passes, failures, errors, skips) validates" eq "$bad" 0
fi
if /usr/bin/python3 -c 'import junitparser' 2>/dev/null; then
  readers=$(find "$work" -name junit.xml -print0 | xargs -0 /usr/bin/python3 tests/tools/junit-readers.py 2>&1); rc=$?
  expect "every junit.xml reads alike in junitparser, a root-totals reader and an element counter ($(grep -c agree <<<"$readers") files)" \
    bash -c '[ "$1" = 0 ] && [ "$(grep -c "all readers agree" <<<"$2")" -ge 10 ]' _ "$rc" "$readers"
  [ "$rc" = 0 ] || grep -v "all readers agree" <<<"$readers" | head -n 20
else
  echo "# note: python3-junitparser missing: the readers' comparison skipped" >&2
fi
# The JavaScript readers (tests/tools/js, installed by tests/need.sh into build/js).
if command -v node >/dev/null && [ -d "$root/build/js/node_modules/test-results-parser" ]; then
  readers=$(find "$work" -name junit.xml -print0 | NODE_PATH="$root/build/js/node_modules" xargs -0 node tests/tools/junit-readers.js 2>&1); rc=$?
  expect "every junit.xml reads in test-results-parser and junit2json as sftpdrill's exit status says ($(grep -c "readers agree" <<<"$readers") files)" \
    bash -c '[ "$1" = 0 ] && [ "$(grep -c "readers agree" <<<"$2")" -ge 10 ]' _ "$rc" "$readers"
  [ "$rc" = 0 ] || grep -v "readers agree" <<<"$readers" | head -n 20
else
  echo "# note: the JavaScript JUnit readers are not installed (node, build/js): their comparison skipped" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

