#!/usr/bin/env bash
# mirror.sh — the local mirror of the RRS SFTP service, for tests and the demo.
#
#   tests/mirror/mirror.sh start [STATE]   generate keys and report trees, start sshd, wait until ready
#   tests/mirror/mirror.sh stop  [STATE]   stop exactly the sshd processes that `start` recorded
#   tests/mirror/mirror.sh add-file STATE DC NAME [BYTES]   put an extra report file on a data centre
#   tests/mirror/mirror.sh publish STATE YYYYMMDD  both data centres gain that business day's reports
#
# Environment: SFTPDRILL_MIRROR_PORT (10022), SFTPDRILL_MIRROR_DATE (YYYYMMDD in report names),
# SFTPDRILL_MIRROR_ADDENDUM (text sshd appends to its banner, for hostile-banner tests),
# SFTPDRILL_MIRROR_SFTP_FLAGS (extra internal-sftp flags, e.g. "-P open" to refuse every download),
# SFTPDRILL_MIRROR_HOSTKEYS (host key types, first one in known_hosts; default "ed25519 ecdsa"; "rsa"
# gives an RSA-only server that, as OpenSSH does by default, refuses SHA-1 signatures).
#
# Four OpenSSH sshd processes, one per node, SFTP only (internal-sftp -R: read-only), public key only,
# port 10022, admitting one user (AllowUsers):
#   primary   127.151.14.121, 127.151.14.122   (the primary data centre's two nodes)
#   secondary 127.152.14.121, 127.152.14.122   (the secondary data centre's two nodes)
# Keys are generated per run: each node its own host keys, ed25519 and ECDSA, in STATE/nodes/ADDR/
# (known_hosts lists only each node's ed25519 one, so the client must ask for it), a user key ed25519.
# SFTPDRILL_MIRROR_USER (or MIRROR_USER) names the User ID to admit, e.g. the one registered with
# HKEX (default root); an account of that name is created if missing and removed by stop. Each data centre's chroot holds /reports
# with TP001, TP002 and a dozen other DCASS-like reports named for the last business day and dated
# 18:00 Hong Kong time that day, as published.
#
# STATE defaults to $SFTPDRILL_MIRROR_DIR or /run/sftpdrill-mirror. sshd's ChrootDirectory needs every
# component of the path to be root-owned and not writable by others, which is why it is not under /tmp.
# Needs root (sshd with chroot and a login as root).
set -euo pipefail

cmd=${1:-}
state=${2:-${SFTPDRILL_MIRROR_DIR:-/run/sftpdrill-mirror}}
port=${SFTPDRILL_MIRROR_PORT:-10022}
user=${SFTPDRILL_MIRROR_USER:-${MIRROR_USER:-root}}
sshd=/usr/sbin/sshd
declare -A addrs=([primary]="127.151.14.121 127.151.14.122" [secondary]="127.152.14.121 127.152.14.122")

die() { echo "mirror: $*" >&2; exit 1; }

# The last business day before today (Hong Kong calendar), as YYYYMMDD: report names carry the
# business date they cover. Uses sftpdrill's own calendar when it is built, else weekdays only.
last_business_day() {
  local here; here=$(cd "$(dirname "$0")/../.." && pwd)
  if [ -x "$here/harness/sftpdrill" ] && day=$("$here/harness/sftpdrill" business-day today 2>/dev/null); then
    echo "${day//-/}"; return
  fi
  local d=1
  while :; do
    local dow; dow=$(date -u -d "-$d day" +%u)
    if [ "$dow" -le 5 ]; then date -u -d "-$d day" +%Y%m%d; return; fi
    d=$((d + 1))
  done
}

# Reproducible content: the same bytes in both data centres, as replication would give.
make_report() {  # path bytes seed
  head -c "$2" < <(yes "$3 DCASS report line for clearing participant CP0001" | tr -d '\n') > "$1"
}

banner_ok() {  # addr: does an SSH server answer there?
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$port && head -c 4 <&3" 2>/dev/null | grep -q '^SSH-'
}

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (sshd ChrootDirectory and login as root); run with sudo"
  [ -x "$sshd" ] || die "no $sshd: apt-get install -y openssh-server"
  for pidf in "$state"/nodes/*/sshd.pid; do
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
      die "already running in $state; stop it first: $0 stop $state"
    fi
  done
  mkdir -p "$state" /run/sshd
  chmod 755 "$state"
  rm -rf "$state"/nodes "$state"/user_* "$state"/known_hosts "$state"/authorized_keys
  local hostkeys=(${SFTPDRILL_MIRROR_HOSTKEYS:-ed25519 ecdsa}) t
  ssh-keygen -q -t ed25519 -N '' -C mirror-user -f "$state/user_ed25519"
  cp "$state/user_ed25519.pub" "$state/authorized_keys"
  : > "$state/known_hosts"
  add_user
  local day; day=${SFTPDRILL_MIRROR_DATE:-$(last_business_day)}
  for dc in primary secondary; do
    local root="$state/$dc/root"
    rm -rf "$root"
    mkdir -p "$root/reports"
    chmod 755 "$state/$dc" "$root" "$root/reports"
    publish_reports "$root/reports" "$day"
    # One sshd per node, each with host keys of its own, as two real servers have.
    for a in ${addrs[$dc]}; do
      local node="$state/nodes/$a" hostkey_lines=""
      mkdir -p "$node"
      for t in "${hostkeys[@]}"; do
        case "$t" in
          rsa) ssh-keygen -q -t rsa -b 3072 -N '' -C "mirror-$a" -f "$node/host_rsa" ;;
          ecdsa) ssh-keygen -q -t ecdsa -b 256 -N '' -C "mirror-$a" -f "$node/host_ecdsa" ;;
          *) ssh-keygen -q -t "$t" -N '' -C "mirror-$a" -f "$node/host_$t" ;;
        esac
        hostkey_lines+="HostKey $node/host_$t"$'\n'
      done
      echo "[$a]:$port $(cut -d' ' -f1,2 "$node/host_${hostkeys[0]}.pub")" >> "$state/known_hosts"
      cat > "$node/sshd_config" <<CONF
ListenAddress $a:$port
${hostkey_lines}PidFile none
AuthorizedKeysFile $state/authorized_keys
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
MaxStartups 300:30:600
MaxSessions 10
LoginGraceTime 30
ClientAliveInterval 0
Subsystem sftp internal-sftp
ForceCommand internal-sftp -R ${SFTPDRILL_MIRROR_SFTP_FLAGS:-}
ChrootDirectory $root
LogLevel VERBOSE
${SFTPDRILL_MIRROR_ADDENDUM:+VersionAddendum $SFTPDRILL_MIRROR_ADDENDUM}
CONF
      # OpenSSH 9.8 and later (Debian 13) penalise a source whose connections end before
      # authentication (a `connect` step's do): not for the mirror, which every test connects to
      # from 127.0.0.1 hundreds of times. Older sshd has no such option.
      if "$sshd" -t -f "$node/sshd_config" -o PerSourcePenalties=no 2>/dev/null; then
        echo "PerSourcePenalties no" >> "$node/sshd_config"
      fi
      "$sshd" -t -f "$node/sshd_config" || die "sshd rejected $node/sshd_config"
      "$sshd" -D -e -f "$node/sshd_config" 2> "$node/sshd.log" &
      echo $! > "$node/sshd.pid"
    done
  done
  # Ready means each endpoint really answers with an SSH banner, not just that a process exists.
  local deadline=$((SECONDS + 15))
  for dc in primary secondary; do
    for a in ${addrs[$dc]}; do
      until banner_ok "$a"; do
        kill -0 "$(cat "$state/nodes/$a/sshd.pid")" 2>/dev/null || { cat "$state/nodes/$a/sshd.log" >&2; die "sshd for $a exited"; }
        [ $SECONDS -lt $deadline ] || die "$a:$port did not answer within 15 s"
        sleep 0.1
      done
    done
  done
  echo "mirror: running in $state (business date $day, user $user); stop with: $0 stop $state" >&2
}

# The User ID the mirror admits (and no other): SFTPDRILL_MIRROR_USER, e.g. the one registered with
# HKEX, made as a system account without a shell or home when it is not there (and removed by stop).
add_user() {
  if [ "$user" != root ] && ! id "$user" >/dev/null 2>&1; then
    # Password '*': no password login, but not a locked account (sshd refuses those even to keys).
    useradd --badname -M -N -p '*' -d /nonexistent -s /usr/sbin/nologin -c "sftpdrill mirror" "$user" 2>/dev/null ||
      useradd -M -N -p '*' -d /nonexistent -s /usr/sbin/nologin -c "sftpdrill mirror" "$user" ||
      die "cannot create the mirror's user $user"
    echo "$user" > "$state/created-user"
  fi
}

running() {  # PID: alive and not a zombie?
  local st
  st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

stop() {
  local rc=0 pidf
  for pidf in "$state"/nodes/*/sshd.pid; do
    [ -f "$pidf" ] || continue
    local pid conf; pid=$(cat "$pidf"); conf="$(dirname "$pidf")/sshd_config"
    # Only a process whose command line names our config is ours to stop.
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$conf"; then
      # Its sessions too (sshd forks one per connection, and OpenSSH 10's sshd-session): taken now, while
      # they are still its children, then stopped after it, each only if it is still an sshd.
      local kids; kids=$(pgrep -P "$pid" 2>/dev/null || true)
      kill -TERM "$pid"
      # Stopped once it is gone or a zombie (init reaps those when it gets to it).
      for _ in $(seq 50); do running "$pid" || break; sleep 0.05; done
      running "$pid" && { kill -KILL "$pid"; rc=1; }
      wait "$pid" 2>/dev/null || true
      for k in $kids; do
        tr '\0' ' ' < "/proc/$k/cmdline" 2>/dev/null | grep -q "sshd" && kill -TERM "$k" 2>/dev/null
      done
      for k in $kids; do
        for _ in $(seq 50); do running "$k" || break; sleep 0.05; done
        running "$k" && kill -KILL "$k" 2>/dev/null
      done
    fi
    rm -f "$pidf"
  done
  # The account start made, and only that one.
  if [ -f "$state/created-user" ]; then
    userdel "$(cat "$state/created-user")" 2>/dev/null || rc=1
    rm -f "$state/created-user"
  fi
  return $rc
}

# publish_reports DIR YYYYMMDD: one business day's 14 DCASS-like reports, dated as published
# that evening (18:00 Hong Kong), as the exchange's folder gains them day by day.
publish_reports() {
  local dir=$1 day=$2 n=0 r
  make_report "$dir/TP001_CP0001_${day}.csv" 307200 TP001
  make_report "$dir/TP002_CP0001_${day}.csv" 296000 TP002
  for r in CL001 CL002 CL003 MG001 MG002 PS001 PS002 DA001 TR001 TR002 FE001 IM001; do
    n=$((n + 1))
    make_report "$dir/${r}_CP0001_${day}.csv" $((4096 * n + 123)) "$r"
  done
  chmod 644 "$dir"/*_"${day}".csv
  touch -d "${day:0:4}-${day:4:2}-${day:6:2} 18:00:00 +0800" "$dir"/*_"${day}".csv
}

publish() {  # STATE YYYYMMDD: both data centres gain that business day's reports
  local dc
  for dc in primary secondary; do publish_reports "$state/$dc/root/reports" "$1"; done
}

add_file() {  # STATE DC NAME [BYTES]
  local dc=$1 name=$2 bytes=${3:-1000}
  make_report "$state/$dc/root/reports/$name" "$bytes" extra
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  add-file) shift 2; add_file "$@" ;;
  publish) shift 2; publish "$@" ;;
  *) echo "usage: $0 start|stop [STATE] | add-file STATE DC NAME [BYTES] | publish STATE YYYYMMDD" >&2; exit 2 ;;
esac
