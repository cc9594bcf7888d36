# 72-rehearsal-mirror.sh — a mirror to rehearse on: the User ID registered with HKEX, admitted alone,
# and each node with a host key of its own. Sourced by run.sh (its helpers).
rm_state=$(mktemp -d /run/sftpdrill-rm.XXXXXX)
rport=10032
if id CP0042 >/dev/null 2>&1; then
  echo "# note: an account CP0042 exists already: the rehearsal-mirror tests were skipped" >&2
else
  SFTPDRILL_MIRROR_PORT=$rport MIRROR_USER=CP0042 tests/mirror/mirror.sh start "$rm_state" 2>/dev/null
  rargs=(run --report-dir "$work/rm-reports" -D RRS_PROFILE=local-mirror.profile -D RRS_PORT=$rport
    -D RRS_DOWNLOAD_DIR="$work/rm-dl" --state-dir "$rm_state/state" --business-date 2023-04-15
    --now 2023-04-15T14:45:00+08:00)
  d=$(mkdrill rehearse.drill 'target secondary
step "Login" login
step "Download TP001" download "${RRS_REPORT_DIR}/${RRS_TP001_PATTERN}"
step "Logout" logout')
  out=$(SFTPDRILL_MIRROR_DIR=$rm_state SFTPDRILL_MIRROR_USER=CP0042 guarded "$bin" "${rargs[@]}" "$d" 2>&1); rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
  expect "MIRROR_USER=CP0042: the mirror admits the User ID registered with HKEX (the profile logs in as it)" \
    bash -c '[ "$1" = 0 ] && [ "$(xmllint --xpath "string(//testsuite[1]/properties/property[@name=\"user\"]/@value)" "$2")" = CP0042 ]' \
    _ "$rc" "$junit"
  expect "... each node presents a host key of its own" \
    bash -c 'a=$(xmllint --xpath "string(//testsuite[1]/properties/property[@name=\"hostkey.sha256\"]/@value)" "$1");
      b=$(xmllint --xpath "string(//testsuite[2]/properties/property[@name=\"hostkey.sha256\"]/@value)" "$1");
      [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && [ "$a" = "$2" ] && [ "$b" = "$3" ]' \
    _ "$junit" "$(node_fp "$rm_state" 127.152.14.121)" "$(node_fp "$rm_state" 127.152.14.122)"
  out=$(SFTPDRILL_MIRROR_DIR=$rm_state guarded "$bin" "${rargs[@]}" -D RRS_USER=root "$d" 2>&1); rc=$?
  junit=$(sed -n 's/^report: //p' <<<"$out")
  expect "... and no other user, not even root with the same key: AuthRejected" \
    eq "$rc/$(xval '(//failure/@type)[1]')" 1/AuthRejected
  SFTPDRILL_MIRROR_PORT=$rport tests/mirror/mirror.sh stop "$rm_state"
  expect "... stop removes the account start made, and only that" bash -c '! id CP0042 >/dev/null 2>&1'
fi
rm -rf "$rm_state"
