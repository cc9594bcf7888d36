# servers.sh — the SFTP servers of the interoperability suite, each started on ADDR:PORT from a
# folder of its own and stopped by the pid it recorded. Sourced by tests/interop/run.sh.
#
#   server_start NAME DIR ADDR PORT [SETTING...]   start; ready when it returns (0) or failed (1)
#   server_stop DIR                                stop exactly the process server_start recorded
#   server_version NAME                            the Debian package and version it runs
#
# Every server gets the same things: DIR/known_hosts (its host key for [ADDR]:PORT), the users'
# public keys in $keys/*.pub, the report tree $tree (its reports/ folder), the user $user. Where
# the server reads users from the system (Dropbear, tinysshd), $user is an entry of the passwd file
# run.sh mounts in its private mount namespace, with its home in $home; nothing on the host changes.
# A server that ends its sessions in a chroot shows the tree's reports/ as /reports, the others as
# reports/ under the user's home: server_dir says which.
#
# SETTINGs are the limits real services set, for the server that can set them:
#   max-sessions=N   OpenSSH MaxSessions (channels per connection)
#   max-channels=N   ProFTPD SFTPMaxChannels
#   rekey=SIZE       OpenSSH RekeyLimit (the server renews the session keys every SIZE)
#   max-handles=N    asyncssh: an open refused while N handles are open (SSH_FX_FAILURE)
#   stall=GLOB       asyncssh: reads of matching files after the first block are never answered

# Field 22 of /proc/PID/stat: when the process started (ticks since boot); empty once it is gone.
proc_start() {
  local st; st=$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "${st%% *}" = Z ] || cut -d' ' -f20 <<<"$st"
}

# The pid and its start time: a pid reused by another process never matches.
record_pid() {  # DIR PID
  echo "$2 $(proc_start "$2")" > "$1/pid"
}

# Each server runs in a session of its own (setsid): its pid is its process group, which holds the
# session processes it forked (ProFTPD, sshd, tcpserver's tinysshd) and nothing else.
server_stop() {  # DIR
  local dir=$1 pid started
  [ -f "$dir/pid" ] || return 0
  read -r pid started < "$dir/pid"
  if [ -n "$started" ] && [ "$(proc_start "$pid")" = "$started" ]; then
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  rm -f "$dir/pid"
  return 0
}

# Is the server still the process we started (and not a zombie)?
server_alive() {  # DIR
  local pid started
  [ -f "$1/pid" ] && read -r pid started < "$1/pid" && [ "$(proc_start "$pid")" = "$started" ]
}

# Ready means the port answers with an SSH banner, not just that a process exists.
wait_banner() {  # DIR ADDR PORT
  local deadline=$((SECONDS + 20))
  until timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3 && head -c 4 <&3" 2>/dev/null | grep -q '^SSH-'; do
    server_alive "$1" || { echo "# the server exited: $(tail -n 5 "$1/server.log" 2>/dev/null)" >&2; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "# $2:$3 did not answer within 20 s" >&2; return 1; }
    sleep 0.1
  done
}

# The folder a participant counts and downloads from, as the server shows it.
server_dir() {  # NAME
  case $1 in
    dropbear*|tinysshd) echo reports ;;
    *) echo /reports ;;
  esac
}

server_version() {  # NAME
  local pkg
  case $1 in
    openssh|openssh-*|perl-sftp) pkg=openssh-server ;;
    proftpd*) pkg=proftpd-mod-crypto ;;
    dropbear) pkg=dropbear-bin ;;
    dropbear-gesftpserver) pkg=gesftpserver ;;
    asyncssh*) pkg=python3-asyncssh ;;
    rclone) pkg=rclone ;;
    tinysshd) pkg=tinysshd ;;
    paramiko) pkg=python3-paramiko ;;
  esac
  local v; v=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null) || v=unknown
  case $1 in
    perl-sftp) echo "libnet-sftp-sftpserver-perl $(dpkg-query -W -f '${Version}' libnet-sftp-sftpserver-perl 2>/dev/null) (as OpenSSH $v's sftp subsystem)" ;;
    dropbear-gesftpserver) echo "gesftpserver $v (behind dropbear-bin $(dpkg-query -W -f '${Version}' dropbear-bin 2>/dev/null))" ;;
    dropbear) echo "dropbear-bin $v (with OpenSSH's sftp-server)" ;;
    *) echo "$pkg $v" ;;
  esac
}

# Is what the server needs installed here?
server_available() {  # NAME
  case $1 in
    openssh*) [ -x /usr/sbin/sshd ] ;;
    perl-sftp) [ -x /usr/sbin/sshd ] && [ -f /usr/share/perl5/Net/SFTP/SftpServer.pm ] ;;
    proftpd*) command -v proftpd >/dev/null ;;
    dropbear) command -v dropbear >/dev/null && [ -x /usr/lib/openssh/sftp-server ] ;;
    dropbear-gesftpserver) command -v dropbear >/dev/null && [ -x /usr/libexec/gesftpserver ] ;;
    asyncssh*) /usr/bin/python3 -c 'import asyncssh' 2>/dev/null ;;
    rclone) command -v rclone >/dev/null ;;
    tinysshd) command -v tinysshd >/dev/null && command -v tcpserver >/dev/null ;;
    paramiko) /usr/bin/python3 -c 'import paramiko' 2>/dev/null ;;
    *) return 1 ;;
  esac
}

known_host() {  # DIR ADDR PORT PUBLIC-KEY-FILE
  echo "[$2]:$3 $(cut -d' ' -f1,2 "$4")" > "$1/known_hosts"
}

# The value of SETTING=VALUE among the arguments, or empty.
setting() {  # NAME ARGS...
  local name=$1 a; shift
  for a in "$@"; do [ "${a%%=*}" = "$name" ] && { echo "${a#*=}"; return; }; done
}

# An ed25519 host key (DIR/host_ed25519), its known_hosts line, and the users' keys in DIR/authorized_keys.
host_and_users() {  # DIR ADDR PORT
  ssh-keygen -q -t ed25519 -N '' -C interop-host -f "$1/host_ed25519"
  known_host "$1" "$2" "$3" "$1/host_ed25519.pub"
  cat "$keys"/*.pub > "$1/authorized_keys"
}

start_openssh() {  # DIR ADDR PORT SETTINGS... (server_start's $name perl-sftp: Net::SFTP::SftpServer as its subsystem)
  local dir=$1 addr=$2 port=$3 subsystem="internal-sftp -R" chroot="ChrootDirectory $tree" sessions rekey; shift 3
  sessions=$(setting max-sessions "$@") rekey=$(setting rekey "$@")
  host_and_users "$dir" "$addr" "$port"
  if [ "${name:-}" = perl-sftp ]; then
    # Its own virtual chroot: HOME/USER, where USER is the name of the process's uid (root).
    mkdir -p "$dir/perl-home"
    ln -sfn "$tree" "$dir/perl-home/root"
    printf '#!/usr/bin/perl\nuse Net::SFTP::SftpServer;\nNet::SFTP::SftpServer->new(home => "%s")->run();\n' \
      "$dir/perl-home" > "$dir/perl-sftp-server"
    chmod 755 "$dir/perl-sftp-server"
    subsystem="$dir/perl-sftp-server" chroot=""
  fi
  mkdir -p /run/sshd
  cat > "$dir/sshd_config" <<CONF
ListenAddress $addr:$port
HostKey $dir/host_ed25519
PidFile none
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
Subsystem sftp $subsystem
ForceCommand $subsystem
$chroot
${sessions:+MaxSessions $sessions}
${rekey:+RekeyLimit $rekey}
LogLevel VERBOSE
CONF
  # OpenSSH 9.8 and later penalise sources whose connections end before authentication; the suite
  # connects from 127.0.0.1 many times (older sshd has no such option).
  if /usr/sbin/sshd -t -f "$dir/sshd_config" -o PerSourcePenalties=no 2>/dev/null; then
    echo "PerSourcePenalties no" >> "$dir/sshd_config"
  fi
  /usr/sbin/sshd -t -f "$dir/sshd_config" || return 1
  setsid /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2> "$dir/server.log" &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

start_proftpd() {  # DIR ADDR PORT SETTINGS...
  local dir=$1 addr=$2 port=$3 channels; shift 3
  channels=$(setting max-channels "$@")
  ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C interop-host -f "$dir/host_ecdsa"    # mod_sftp reads PEM
  known_host "$dir" "$addr" "$port" "$dir/host_ecdsa.pub"
  : > "$dir/authorized"
  for k in "$keys"/*.pub; do ssh-keygen -e -f "$k" >> "$dir/authorized"; done     # RFC 4716, as mod_sftp wants
  cat > "$dir/proftpd.conf" <<CONF
ServerType standalone
DefaultServer on
Port 0
PidFile $dir/proftpd.pid
ScoreboardFile $dir/scoreboard
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
  SFTPLog $dir/sftp.log
  SFTPHostKey $dir/host_ecdsa
  SFTPAuthMethods publickey
  SFTPAuthorizedUserKeys file:$dir/authorized
  ${channels:+SFTPMaxChannels $channels}
  DefaultRoot $tree
  RequireValidShell off
  RootLogin on
  UseFtpUsers off
  <Limit WRITE>
    DenyAll
  </Limit>
</VirtualHost>
CONF
  setsid proftpd -n -c "$dir/proftpd.conf" > "$dir/server.log" 2>&1 &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

# Dropbear logs the user in to $home (the passwd entry run.sh mounted), where reports/ is the tree's.
start_dropbear() {  # DIR ADDR PORT [sftp server command]
  local dir=$1 addr=$2 port=$3 command=${4:-}
  dropbearkey -t ed25519 -f "$dir/host_ed25519" > /dev/null 2>&1 || return 1
  dropbearkey -y -f "$dir/host_ed25519" | grep '^ssh-' > "$dir/host_ed25519.pub"
  known_host "$dir" "$addr" "$port" "$dir/host_ed25519.pub"
  home_keys
  setsid dropbear -F -E -s -r "$dir/host_ed25519" -p "$addr:$port" -P "$dir/dropbear.pid" ${command:+-c "$command"} \
    2> "$dir/server.log" &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

# The users' keys as $home/.ssh/authorized_keys, for the servers that read the system's users.
home_keys() {
  mkdir -p "$home/.ssh"
  chmod 755 "$home"; chmod 700 "$home/.ssh"
  cat "$keys"/*.pub > "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
  ln -sfn "$tree/reports" "$home/reports"
}

start_asyncssh() {  # DIR ADDR PORT SETTINGS...
  local dir=$1 addr=$2 port=$3; shift 3
  host_and_users "$dir" "$addr" "$port"
  setsid /usr/bin/python3 "$here/tests/interop/asyncssh_server.py" --addr "$addr" --port "$port" \
    --host-key "$dir/host_ed25519" --authorized-keys "$dir/authorized_keys" --root "$tree" \
    --max-handles "$(setting max-handles "$@")" --stall "$(setting stall "$@")" > "$dir/server.log" 2>&1 &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

start_rclone() {  # DIR ADDR PORT
  local dir=$1 addr=$2 port=$3
  host_and_users "$dir" "$addr" "$port"
  # rclone's own configuration file would go to the user's home: an empty one of the run's instead.
  : > "$dir/rclone.conf"
  setsid rclone serve sftp "$tree" --config "$dir/rclone.conf" --addr "$addr:$port" --key "$dir/host_ed25519" \
    --authorized-keys "$dir/authorized_keys" --read-only > "$dir/server.log" 2>&1 &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

# tinysshd is started per connection by a super-server (ucspi-tcp's tcpserver), as it is meant to be.
start_tinysshd() {  # DIR ADDR PORT
  local dir=$1 addr=$2 port=$3
  tinysshd-makekey "$dir/keys" > /dev/null 2>&1 || return 1
  tinysshd-printkey "$dir/keys" > "$dir/host.pub" 2>/dev/null || return 1
  known_host "$dir" "$addr" "$port" "$dir/host.pub"
  home_keys
  setsid tcpserver -HRl0 "$addr" "$port" tinysshd -x sftp=/usr/lib/openssh/sftp-server "$dir/keys" > "$dir/server.log" 2>&1 &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

start_paramiko() {  # DIR ADDR PORT
  local dir=$1 addr=$2 port=$3
  host_and_users "$dir" "$addr" "$port"
  setsid /usr/bin/python3 "$here/tests/interop/paramiko_server.py" --addr "$addr" --port "$port" \
    --host-key "$dir/host_ed25519" --authorized-keys "$dir/authorized_keys" --root "$tree" > "$dir/server.log" 2>&1 &
  record_pid "$dir" $!
  wait_banner "$dir" "$addr" "$port"
}

# Is anything listening on ADDR:PORT? (what the previous server's processes may still hold)
port_busy() {  # ADDR PORT
  ss -Hltn "src $1:$2" 2>/dev/null | grep -q .
}

server_start() {  # NAME DIR ADDR PORT SETTINGS...
  local name=$1; shift
  mkdir -p "$1"
  for _ in $(seq 100); do port_busy "$2" "$3" || break; sleep 0.1; done
  if port_busy "$2" "$3"; then
    echo "# $2:$3 is still taken: $(ss -Hltnp "src $2:$3" 2>/dev/null)" >&2
    return 1
  fi
  case $name in
    openssh*|perl-sftp) start_openssh "$@" ;;
    proftpd*) start_proftpd "$@" ;;
    dropbear) start_dropbear "$@" ;;
    dropbear-gesftpserver) start_dropbear "$1" "$2" "$3" /usr/libexec/gesftpserver ;;
    asyncssh*) start_asyncssh "$@" ;;
    rclone) start_rclone "$@" ;;
    tinysshd) start_tinysshd "$@" ;;
    paramiko) start_paramiko "$@" ;;
    *) echo "# no such server: $name" >&2; return 1 ;;
  esac
}
