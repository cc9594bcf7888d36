#!/usr/bin/env bash
# trixie.sh — `make check-trixie`: the test suite on Debian 13 (trixie), in a chroot built with
# debootstrap from the Debian archive this machine's apt already uses (tests/archive-uri.sh).
#
#   tests/trixie.sh [TARGET...]     make TARGET... inside (default: check)
#
# The chroot is BUILD/trixie/root, made once and reused (delete it to start again); each run copies
# the working tree (what git tracks, as it is now) and ../shared into it, then runs `make check`
# there as a fresh Debian 13 machine would (as .ci/run does: make first, then need.sh installs what
# is missing with apt). Everything
# is mounted inside a private mount namespace, so nothing stays mounted after the run, whatever
# ends it; the chroot's root is a mount point of its own, so the tests' own `unshare -m` works.
# Ends with the inner run's closing line; exit status is the inner run's.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
B=${SFTPDRILL_BUILD:-build}
top=$here/$B/trixie
root=$top/root
targets=("${@:-check}")

[ "$(id -u)" -eq 0 ] || { echo "check-trixie: needs root (debootstrap, chroot)"; echo "0 passed, 1 failed"; exit 1; }
uri=$(tests/archive-uri.sh) || { echo "check-trixie: no Debian archive in this machine's apt configuration"; echo "0 passed, 1 failed"; exit 1; }

if [ ! -f "$root/.complete" ]; then
  rm -rf "$root"
  mkdir -p "$top"
  echo "check-trixie: debootstrap trixie from $uri into $root (log: $top/debootstrap.log)"
  if ! debootstrap --variant=minbase --include=ca-certificates,git trixie "$root" "$uri" > "$top/debootstrap.log" 2>&1; then
    tail -n 20 "$top/debootstrap.log"
    echo "0 passed, 1 failed"
    exit 1
  fi
  # The suites of a Debian 13 machine: the release, its updates and its security fixes.
  security=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null | awk '$1 ~ /-security$/ { print $2; exit }')
  {
    echo "deb $uri trixie main"
    echo "deb $uri trixie-updates main"
    [ -n "$security" ] && echo "deb $security trixie-security main"
  } > "$root/etc/apt/sources.list"
  touch "$root/.complete"
fi

# The tree as it is now (tracked files, with their uncommitted changes), and ../shared beside it.
rm -rf "$root/src/sftpdrill"
mkdir -p "$root/src/sftpdrill"
git ls-files -z --cached --others --exclude-standard | (cd "$here" && xargs -0 cp --parents -t "$root/src/sftpdrill" 2>/dev/null || true)
if [ -d "$here/../shared" ]; then rm -rf "$root/src/shared"; cp -rL "$here/../shared" "$root/src/shared"; fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's own trust: certificate authorities it added locally (a proxy's, say) are trusted in the
# chroot too, so npm and apt reach what they reach from the machine itself.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || true
fi
# As Debian's installer writes it: the machine's own name resolves (ProFTPD 1.3.8c's mod_sftp
# crashes at start-up when it does not, which a debootstrap chroot alone would cause).
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" > "$root/etc/hosts"

echo "check-trixie: make ${targets[*]} in Debian $(cat "$root/etc/debian_version")"
# shellcheck disable=SC2016
exec unshare -m --propagation private bash -c '
  set -e
  root=$1; shift
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t sysfs sys "$root/sys"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    bash -c "cd /src/sftpdrill && { command -v make >/dev/null || { apt-get update -qq && apt-get install -y -qq make >/dev/null; }; } && make $*"
' _ "$root" "${targets[@]}"
