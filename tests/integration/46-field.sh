# 46-field.sh — regression tests from the field: the interoperability suite's cases that once crashed
# or failed files (tests/interop/run.sh), so that `make check` meets them too. Sourced by run.sh.
#   asyncssh + RSA key    libssh2 1.11.1 wrote past a buffer when the server names a signature twice
#   openssh-rekey         key renewal with files in flight: libssh2's per-channel write state trampled
#   proftpd-one-channel   a server that drops the connection when a second channel opens
#   asyncssh-two-handles  a server that refuses a third open handle
#   asyncssh-stall        a stalled transfer ends at the step's deadline, not one timeout per handle
if /usr/bin/python3 -c 'import asyncssh' 2>/dev/null && command -v proftpd >/dev/null; then
  field=$(SFTPDRILL="$bin" SFTPDRILL_BUILD="$BUILD" tests/interop/run.sh --matrix - \
    asyncssh openssh-rekey proftpd-one-channel asyncssh-two-handles asyncssh-stall 2>&1)
  while IFS= read -r l; do
    case $l in
      "ok - "*) ok "field: ${l#ok - }" ;;
      "not ok - "*) not_ok "field: ${l#not ok - }" ;;
      "#   "*) echo "$l" ;;
    esac
  done <<<"$field"
  expect "field: the interoperability cases ran and ended with a count" grep -qE '^[0-9]+ passed, 0 failed$' <<<"$field"
else
  echo "# note: python3-asyncssh or proftpd not installed: field regressions skipped" >&2
fi
