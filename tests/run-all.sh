#!/usr/bin/env bash
# run-all.sh [check|interop] — what `make check` runs after building: unit tests (plain and with
# AddressSanitizer/UndefinedBehaviorSanitizer) and the integration tests (plain and sanitized);
# or what `make interop` runs: the interoperability suite with the plain binary (which writes
# docs/interop.md) and the sanitized one. Prints each stage's result, then one closing line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
total_pass=0 total_fail=0

stage() {  # NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]} p f
  if line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1); [ -n "$line" ]; then
    local checks failures errors
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    failures=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    f=$((failures + errors)); p=$((checks - f))
  elif line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1); [ -n "$line" ]; then
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
  else
    p=0; f=1
    echo "=== $name: no result line (exit $status)"
  fi
  # A crash or sanitizer report after the counts still fails the stage.
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "=== $name: exit status $status"; fi
  echo "=== $name: $p passed, $f failed"
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

# The precise unwinder walks through libssh2 (no frame pointers), so suppressions can name it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CK_FORK=${CK_FORK:-yes}
# Which build: `make check` says (build/ and harness/sftpdrill, or build/system/ with LIBSSH2=system).
B=${SFTPDRILL_BUILD:-build}
prog=${SFTPDRILL_PROG:-harness/sftpdrill}
export SFTPDRILL_BUILD=$B
echo "=== testing $("$prog" version)"
if [ "${1:-check}" = interop ]; then
  stage "interoperability" env SFTPDRILL="$prog" tests/interop/run.sh
  stage "interoperability (asan+ubsan)" env SFTPDRILL="$B/asan/sftpdrill" tests/interop/run.sh --matrix -
  echo "$total_pass passed, $total_fail failed"
  [ "$total_fail" -eq 0 ]
  exit
fi
stage "layers: each lib/ folder includes only the folders below it" tests/tools/layers.sh
stage "unit" "$B/unit-tests"
stage "unit (asan+ubsan)" "$B/asan/unit-tests"
stage "fuzz corpus and regressions replayed (asan+ubsan)" \
  "$B/asan/fuzz-replay" $(find tests/fuzz/corpus tests/fuzz/regressions -type f ! -name '.*' | sort)
stage "integration" env SFTPDRILL="$prog" tests/integration/run.sh
stage "integration (asan+ubsan)" env SFTPDRILL="$B/asan/sftpdrill" tests/integration/run.sh

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
