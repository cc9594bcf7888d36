#!/usr/bin/env bash
# layers.sh — lib/'s folders are layers: each may include only its own and those its README allows
# (lib/LAYER/README: a line "may include: A B ..."). Checks every #include of lib/ and
# include/sftpdrill/ against that, and that no folder includes harness/. Prints each arrow that breaks
# the rule and ends with "N passed, N failed" (one check per folder).
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
for dir in lib/*/; do
  layer=$(basename "$dir")
  readme=$dir/README
  if [ ! -f "$readme" ]; then
    echo "not ok - lib/$layer has a README saying what it may include"; failed=$((failed + 1)); continue
  fi
  allowed=" $layer $(sed -n 's/^may include: *//p' "$readme") "
  bad=$(grep -Hn '#include "' "$dir"*.[ch] "include/sftpdrill/$layer/"* 2>/dev/null |
    while IFS= read -r line; do
      inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
      case "$inc" in
        sftpdrill/*/*) to=${inc#sftpdrill/}; to=${to%%/*} ;;
        *.h|*.def) to=$layer ;;     # a private header beside the file
        *) to=? ;;
      esac
      [[ "$allowed" == *" $to "* ]] || echo "$line  (lib/$layer may not include $to)"
    done)
  if [ -z "$bad" ]; then
    echo "ok - lib/$layer includes only:$allowed"; passed=$((passed + 1))
  else
    echo "not ok - lib/$layer includes only:$allowed"; echo "$bad" | sed 's/^/#   /'; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
