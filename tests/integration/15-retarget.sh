# 15-retarget.sh — integration tests: the production profile aimed at another server with -D only. Sourced by run.sh (its helpers and mirror).
SFTPDRILL_MIRROR_PORT=10023 tests/mirror/mirror.sh start "$state2" 2>/dev/null
other=(-D RRS_SECONDARY=127.152.14.121:10023,127.152.14.122:10023 -D RRS_USER=root
  -D RRS_KEY="$state2/user_ed25519" -D RRS_KNOWN_HOSTS="$state2/known_hosts" -D RRS_REPORT_DIR=/reports
  --state-dir "$state2/sftpdrill-state" -D RRS_TARGET_HOST=127.152.14.121,127.152.14.122 -D RRS_DOWNLOAD_DIR="$work/dl2")
"$bin" snapshot --report-dir "$work/reports" "${other[@]}" --business-date 2023-04-14 "$S1" >/dev/null 2>&1
out=$("$bin" run --report-dir "$work/reports" "${other[@]}" --business-date 2023-04-15 "$S1" 2>&1)
rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out")
expect "production profile retargeted by -D alone passes" eq "$rc" 0
expect "... and really talked to the other server" \
  eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.sha256']/@value")" \
  "$(node_fp "$state2" 127.152.14.121)"
SFTPDRILL_MIRROR_PORT=10023 tests/mirror/mirror.sh stop "$state2"
# plan shows where the participant's own configuration points, before the session: a forgotten
# switch is visible while there is time to fix it.
out=$("$bin" plan -D RRS_PROFILE=local-mirror.profile "$S1" 2>&1); rc=$?
out2=$("$bin" plan -D RRS_PROFILE=local-mirror.profile -D RRS_TARGET_HOST=127.151.14.121,127.151.14.122 "$S1" 2>&1); rc2=$?
expect "plan: the configured target hosts, what they resolve to, and whether that is the session's data centre" \
  bash -c '[ "$1" = 0 ] && [ "$3" = 0 ] && grep -q "^configured 127.152.14.121,127.152.14.122$" <<<"$2" &&
    grep -q "resolves to 127.152.14.121, 127.152.14.122: the secondary set, as the session needs" <<<"$2" &&
    grep -q "resolves to 127.151.14.121, 127.151.14.122, but the secondary set is 127.152.14.121, 127.152.14.122: switch" <<<"$4"' \
  _ "$rc" "$out" "$rc2" "$out2"
