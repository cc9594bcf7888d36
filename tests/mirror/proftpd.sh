#!/usr/bin/env bash
# proftpd.sh — a second, unrelated SFTP server for interoperability tests: ProFTPD's mod_sftp
# (its own SSH and SFTP code), public key only, one report folder, on one loopback address.
#
#   tests/mirror/proftpd.sh start STATE ADDR PORT    prints nothing; ready when it returns
#   tests/mirror/proftpd.sh stop STATE               stops exactly the process it started
#
# STATE gets: host_ecdsa (PEM, as mod_sftp wants), user / user.pub (ed25519), known_hosts,
# root/reports/ with three reports. Needs root and the packages proftpd-core proftpd-mod-crypto.
set -euo pipefail
cmd=$1 state=$2

# Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot; empty when the
# process is gone or only a zombie waiting to be reaped.
starttime() {
  local st; st=$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "${st%% *}" = Z ] || cut -d' ' -f20 <<<"$st"
}

start() {
  local addr=$3 port=$4
  command -v proftpd >/dev/null || { echo "proftpd.sh: proftpd is not installed" >&2; exit 1; }
  mkdir -p "$state/root/reports"
  rm -f "$state"/host_ecdsa* "$state"/user*
  ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C proftpd-host -f "$state/host_ecdsa"
  ssh-keygen -q -t ed25519 -N '' -C proftpd-user -f "$state/user"
  ssh-keygen -e -f "$state/user.pub" > "$state/authorized"     # mod_sftp reads RFC 4716 keys
  for r in TP001 TP002 CL001; do head -c 5000 /dev/urandom > "$state/root/reports/${r}_CP0001_20230414.csv"; done
  echo "[$addr]:$port $(cut -d' ' -f1,2 "$state/host_ecdsa.pub")" > "$state/known_hosts"
  cat > "$state/proftpd.conf" <<CONF
ServerType standalone
DefaultServer on
Port 0
PidFile $state/proftpd.pid
ScoreboardFile $state/scoreboard
WtmpLog off
UseIPv6 off
UseReverseDNS off
SocketBindTight on
User root
Group root
LoadModule mod_sftp.c
<VirtualHost $addr>
  Port $port
  SFTPEngine on
  SFTPLog $state/sftp.log
  SFTPHostKey $state/host_ecdsa
  SFTPAuthMethods publickey
  SFTPAuthorizedUserKeys file:$state/authorized
  DefaultRoot $state/root
  RequireValidShell off
  RootLogin on
  UseFtpUsers off
  <Limit WRITE>
    DenyAll
  </Limit>
</VirtualHost>
CONF
  proftpd -n -c "$state/proftpd.conf" > "$state/proftpd.log" 2>&1 &
  # proftpd rewrites its process title, so its command line cannot identify it later: the pid with
  # the kernel's start time for it can, and never matches a process that reused the pid.
  echo "$! $(starttime $!)" > "$state/pid"
  local deadline=$((SECONDS + 15))
  until timeout 2 bash -c "exec 3<>/dev/tcp/$addr/$port && head -c 4 <&3" 2>/dev/null | grep -q '^SSH-'; do
    kill -0 "$(cut -d' ' -f1 "$state/pid")" 2>/dev/null || { cat "$state/proftpd.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "proftpd.sh: $addr:$port did not answer" >&2; exit 1; }
    sleep 0.1
  done
}

stop() {
  [ -f "$state/pid" ] || return 0
  local pid started
  read -r pid started < "$state/pid"
  if [ -n "$started" ] && [ "$(starttime "$pid")" = "$started" ]; then
    kill -TERM "$pid"
    for _ in $(seq 50); do [ "$(starttime "$pid")" = "$started" ] || break; sleep 0.1; done
    [ "$(starttime "$pid")" = "$started" ] && kill -KILL "$pid"
  fi
  rm -f "$state/pid"
}

case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start STATE ADDR PORT | stop STATE" >&2; exit 2 ;;
esac
