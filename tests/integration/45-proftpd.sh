# 45-proftpd.sh — integration tests: another SFTP server implementation: ProFTPD mod_sftp. Sourced by run.sh (its helpers and mirror).
if command -v proftpd >/dev/null; then
  pf=$(mktemp -d /run/sftpdrill-pf.XXXXXX)
  if tests/mirror/proftpd.sh start "$pf" 127.152.14.121 10027; then
    pfargs=(-D RRS_SECONDARY=127.152.14.121:10027 -D RRS_USER=root -D RRS_KEY="$pf/user"
      -D RRS_KNOWN_HOSTS="$pf/known_hosts" -D RRS_REPORT_DIR=/reports --state-dir "$pf/sftpdrill-state"
      -D RRS_TARGET_HOST=127.152.14.121 -D RRS_DOWNLOAD_DIR="$pf/dl" -D RRS_BACKUP_DIR="$pf/backup")
    out=$(guarded "$bin" snapshot --report-dir "$work/reports" --now 2023-04-14T19:30:00+08:00 "${pfargs[@]}" "$S1" 2>&1); rc=$?
    expect "ProFTPD mod_sftp: snapshot through the shipped drill and -D only" eq "$rc" 0
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-15 "${pfargs[@]}" "$S1" 2>&1); rc=$?
    junit=$(sed -n 's/^report: //p' <<<"$out")
    expect "ProFTPD mod_sftp: the whole session passes (ECDSA host key, SFTP v3)" eq "$rc" 0
    expect "... recording the other server's banner" grep -q 'name="server.banner" value="SSH-2.0-mod_sftp' "$junit"
    echo new > "$pf/root/reports/NEW.csv"
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-15 "${pfargs[@]}" "$S1" 2>&1)
    expect "ProFTPD mod_sftp: a new file gives CountMismatch naming it" grep -q "added: NEW.csv; removed: none" <<<"$out"
    out=$(guarded "$bin" run --report-dir "$work/reports" --business-date 2023-04-14 "${pfargs[@]}" -D RRS_BACKUP_TARGET=secondary scenarios/hkex-rrs/daily-backup.drill 2>&1); rc=$?
    expect "ProFTPD mod_sftp: the daily backup passes" eq "$rc" 0
  else
    not_ok "ProFTPD mod_sftp fixture started" "$(cat "$pf/proftpd.log" 2>/dev/null)"
  fi
  pfpid=$(cut -d' ' -f1 "$pf/pid" 2>/dev/null)
  tests/mirror/proftpd.sh stop "$pf"
  expect "the ProFTPD fixture stops exactly the process it started" \
    bash -c '[ -n "$1" ] && ! grep -qsv "^[^)]*) Z" "/proc/$1/stat"' _ "$pfpid"
  rm -rf "$pf"
else
  echo "# note: proftpd not installed: interoperability test skipped" >&2
fi
