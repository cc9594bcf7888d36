#!/usr/bin/env bash
# deb.sh — the Debian package.
#
#   tests/deb.sh build    `make deb`: build/deb/sftpdrill_VERSION_ARCH.deb with debhelper, from a copy
#                         of the tree as git has it, then lintian (only the overrides in debian/ allowed)
#   tests/deb.sh check    `make check-deb`: install that .deb in a clean Debian 12 and a clean Debian 13
#                         chroot (debootstrap minbase from the archive this machine's apt uses), run
#                         `sftpdrill --version` and `sftpdrill check` on the shipped drills there,
#                         then `dpkg -r`: the program goes, /etc/sftpdrill and the state stay.
#
# Ends with "N passed, N failed" (check) and exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
here=$PWD
out=$here/build/deb
version=$(sed -n '1s/^sftpdrill (\([^)]*\)).*/\1/p' debian/changelog)
arch=$(dpkg --print-architecture)
deb=$out/sftpdrill_${version}_${arch}.deb

build() {
  local src=$out/src/sftpdrill-${version%-*}
  rm -rf "$out" && mkdir -p "$src"
  # What git tracks, as it is now (a release is built from its tag's tree the same way).
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src" 2>/dev/null || true
  # Debian 12's libssh2 1.11.1 build (tests/libssh2.sh), if this tree made it already: not fetched twice.
  [ -d build/deps/libssh2 ] && mkdir -p "$src/build" && cp -a build/deps "$src/build/"
  echo "deb: dpkg-buildpackage in $src (log: $out/build.log)"
  if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
    tail -n 30 "$out/build.log"
    echo "deb: the package did not build"
    return 1
  fi
  mv "$out"/src/sftpdrill_*.deb "$out/" 2>/dev/null
  [ -f "$deb" ] || { echo "deb: no $deb"; return 1; }
  echo "deb: $deb"
  # lintian's verdict: no error and no warning but the overrides debian/ justifies.
  lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$deb" 2>&1 | tee "$out/lintian.txt"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] && echo "deb: lintian passes ($(grep -c . "$out/lintian.txt") notes)" || echo "deb: lintian fails"
  return "$rc"
}

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -n 20; }

# A clean chroot of a release, made once under build/deb-chroots/ (deleted to start again).
chroot_for() {  # CODENAME
  local root=$here/build/deb-chroots/$1 uri
  if [ ! -f "$root/.complete" ]; then
    uri=$(tests/archive-uri.sh) || return 1
    rm -rf "$root" && mkdir -p "$root"
    debootstrap --variant=minbase "$1" "$root" "$uri" > "$root.log" 2>&1 || { tail -n 5 "$root.log"; return 1; }
    echo "deb $uri $1 main" > "$root/etc/apt/sources.list"
    touch "$root/.complete"
  fi
  echo "$root"
}

# Run a script as root inside the chroot, its mounts in a private namespace (gone when it ends).
in_chroot() {  # ROOT SCRIPT
  unshare -m --propagation private bash -c '
    root=$1; script=$2
    mount --bind "$root" "$root"; mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive bash -c "$script"' _ "$1" "$2"
}

check_in() {  # CODENAME
  local name=$1 root log
  root=$(chroot_for "$name") || { not_ok "$name: a clean chroot (debootstrap)"; return; }
  cp "$deb" "$root/root/"
  log=$(in_chroot "$root" "
    set -e
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends /root/$(basename "$deb") >/dev/null
    echo VERSION: \$(sftpdrill --version)
    for d in /usr/share/sftpdrill/scenarios/hkex-rrs/*.drill; do
      sftpdrill check -D RRS_USER=CP0001 \"\$d\" || echo CHECK-FAILED \$d
    done
    echo UNITS: \$(readlink -f /usr/lib/systemd/system/sftpdrill-backup@.* /lib/systemd/system/sftpdrill-backup@.* 2>/dev/null | sort -u | grep -c .)
    mkdir -p /var/lib/sftpdrill/hkex-rrs/CP0001 && echo kept > /var/lib/sftpdrill/hkex-rrs/CP0001/backup-ledger
    echo 'RRS_USER=CP0001' >> /etc/sftpdrill/hkex-rrs.env.example
    dpkg -r sftpdrill >/dev/null
    [ -e /usr/bin/sftpdrill ] && echo STILL-INSTALLED || echo REMOVED
    [ -f /etc/sftpdrill/hkex-rrs.env.example ] && echo ETC-KEPT
    [ -f /var/lib/sftpdrill/hkex-rrs/CP0001/backup-ledger ] && echo STATE-KEPT
    dpkg -S /usr/bin/sftpdrill 2>/dev/null || echo NOT-OWNED
    dpkg --purge sftpdrill >/dev/null; [ -e /etc/sftpdrill/hkex-rrs.env.example ] || echo PURGED
  " 2>&1)
  if grep -q "^VERSION: sftpdrill ${version%-*} " <<<"$log" && ! grep -q CHECK-FAILED <<<"$log" &&
     grep -q "^UNITS: 2$" <<<"$log"; then
    ok "$name: the package installs, sftpdrill --version and check on every shipped drill work, its units are there"
  else
    not_ok "$name: the package installs, sftpdrill --version and check on every shipped drill work, its units are there" "$log"
  fi
  if grep -q "^REMOVED$" <<<"$log" && grep -q "^ETC-KEPT$" <<<"$log" && grep -q "^STATE-KEPT$" <<<"$log" &&
     grep -q "^NOT-OWNED$" <<<"$log" && grep -q "^PURGED$" <<<"$log"; then
    ok "$name: dpkg -r removes it and keeps /etc/sftpdrill and the state; purge removes the configuration"
  else
    not_ok "$name: dpkg -r removes it and keeps /etc/sftpdrill and the state; purge removes the configuration" "$log"
  fi
}

case "${1:-}" in
  build) build ;;
  check)
    [ "$(id -u)" -eq 0 ] || { echo "check-deb: needs root (debootstrap, chroot)"; echo "0 passed, 1 failed"; exit 1; }
    [ -f "$deb" ] || build >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
    for r in bookworm trixie; do check_in "$r"; done
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ] ;;
  *) echo "usage: tests/deb.sh build|check" >&2; exit 2 ;;
esac
