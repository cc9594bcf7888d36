#!/usr/bin/env bash
# need.sh — make sure the Debian packages sftpdrill needs are installed.
# Usage: tests/need.sh build|test|interop|trixie|deb|demo|bench|fuzz
# As root, missing packages are installed (apt-get update, then apt-get install -y);
# otherwise the script stops and prints the exact command to run.
set -euo pipefail

# dpkg-dev unpacks Debian's libssh2 source package where the system's libssh2 is older than 1.11.
want=(gcc make pkg-config libssh2-1-dev libssl-dev libxml2-dev dpkg-dev)
case "${1:-build}" in
  build) ;;
  test)  want+=(check openssh-server openssh-client libxml2-utils iproute2 util-linux openssl chromium poppler-utils
                proftpd-core proftpd-mod-crypto python3-asyncssh python3-junitparser python3-yaml groovy tmux time
                prometheus monitoring-plugins-basic curl) ;;
  # Every SFTP server Debian packages that the interoperability suite starts (tests/interop/servers.sh).
  interop) want+=(openssh-server openssh-client iproute2 util-linux proftpd-core proftpd-mod-crypto dropbear-bin
                  gesftpserver python3-asyncssh python3-paramiko rclone tinysshd ucspi-tcp libnet-sftp-sftpserver-perl) ;;
  trixie) want=(debootstrap debian-archive-keyring git util-linux) ;;
  deb)   want+=(debhelper lintian fakeroot git debootstrap debian-archive-keyring util-linux) ;;
  demo)  want+=(openssh-server openssh-client iproute2 util-linux) ;;
  bench) want+=(openssh-server openssh-client curl lftp iproute2 util-linux time) ;;
  fuzz)  want+=(clang libclang-rt-14-dev) ;;
  *) echo "need.sh: unknown set '$1'" >&2; exit 2 ;;
esac

# The JavaScript JUnit readers need node and npm: Debian's, unless the machine has its own (NodeSource's
# nodejs provides npm and conflicts with Debian's npm package).
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null; then
  want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  # dpkg-query reports "install ok installed" only for packages that are really there.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
# npm packages: the readers' pinned versions (tests/tools/js/package-lock.json) into build/js, once.
js_readers() {
  [ "${1:-build}" = test ] && command -v npm >/dev/null || return 0
  local here js; here=$(cd "$(dirname "$0")/.." && pwd); js=$here/build/js
  cmp -s "$here/tests/tools/js/package-lock.json" "$js/package-lock.json" && [ -d "$js/node_modules" ] && return 0
  mkdir -p "$js" && cp "$here/tests/tools/js/package.json" "$here/tests/tools/js/package-lock.json" "$js/" &&
    (cd "$js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) ||
    echo "need.sh: the JavaScript JUnit readers could not be installed (npm); make check will say it skipped them" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  js_readers "${1:-build}"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "sftpdrill needs these Debian packages: ${missing[*]}" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages such as proftpd would start a system daemon of their own; the tests start their own
# servers, so ask Debian's policy-rc.d mechanism to start none while installing (only if the
# machine has no policy of its own).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
js_readers "${1:-build}"
# Debian starts sshd when openssh-server is installed where it can; the project never uses
# the system daemon, and in containers it is not running anyway.
