#!/usr/bin/env bash
# libssh2.sh — choose the libssh2 sftpdrill is built with, and print the make variables for it.
#
#   tests/libssh2.sh auto|system BUILD-DIR > BUILD-DIR/libssh2.mk
#
# auto:   the system libssh2 when pkg-config finds >= 1.11.0 (Debian 13, Ubuntu 24.04, RHEL 9);
#         otherwise Debian's own libssh2 source package from trixie (1.11.1), fetched with the ordinary
#         apt client from the Debian archive this machine already uses (its URI is read from the
#         machine's apt configuration, never written here), checked by apt against the archive's
#         signed index, built once into BUILD-DIR/deps/ with OpenSSL and linked statically, so the
#         program cannot load another libssh2 at run time (both versions are libssh2.so.1).
#         Offline: one line says so, and the system library is used.
# system: the system libssh2 whatever its version (`make LIBSSH2=system`).
#
# Prints SSH2_CFLAGS, SSH2_LIBS and SSH2_ORIGIN (what `sftpdrill version` and RUN-INFO report).
set -euo pipefail

mode=${1:-auto}
build=${2:-build}
pc=${PKG_CONFIG:-pkg-config}
deps=$build/deps
prefix=$PWD/$deps/libssh2
suite=trixie
log=$deps/libssh2-build.log

system() {
  local v; v=$($pc --modversion libssh2 2>/dev/null || echo unknown)
  echo "SSH2_CFLAGS := $($pc --cflags libssh2 2>/dev/null)"
  echo "SSH2_LIBS := $($pc --libs libssh2 2>/dev/null)"
  # The runtime package is libssh2-1 on Debian 12, libssh2-1t64 on Debian 13: whichever is installed.
  local pkg; pkg=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' 'libssh2-1*' 2>/dev/null |
    awk '$1 == "ii" && $2 !~ /-(dev|doc)$/ { print $2, $3; exit }')
  echo "SSH2_ORIGIN := system libssh2 $v (${pkg:-pkg-config})"
}

built() {
  local ver; ver=$(cat "$prefix/.debian-version")
  echo "SSH2_CFLAGS := -I$prefix/include"
  # Static: the Debian 12 libssh2.so.1 (1.10) can never be loaded in its place.
  echo "SSH2_LIBS := $prefix/lib/libssh2.a $($pc --libs openssl)"
  echo "SSH2_ORIGIN := Debian source package libssh2 $ver, built by make and linked statically"
}

fetch_and_build() {
  local uri apt src
  uri=$(tests/archive-uri.sh || true)
  [ -n "$uri" ] || { echo "no Debian archive in this machine's apt configuration" >&2; return 1; }
  apt=$PWD/$deps/apt
  rm -rf "$apt" "$deps/src"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$deps/src"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" > "$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User=root -o Acquire::Retries=2)
  apt-get "${opts[@]}" -qq update
  (cd "$deps/src" && apt-get "${opts[@]}" -qq source --download-only libssh2 && dpkg-source -x ./libssh2_*.dsc libssh2)
  src=$deps/src/libssh2
  (cd "$src" && dpkg-parsechangelog -S Version) > "$deps/version.tmp"
  (cd "$src" && ./configure --prefix="$prefix" --disable-shared --enable-static --with-crypto=openssl \
      --without-libz --disable-examples-build --disable-docker-tests --disable-sshd-tests \
      CFLAGS="-O2 -g -fPIC" && make -j"$(nproc)" && make install)
  mv "$deps/version.tmp" "$prefix/.debian-version"
}

case "$mode" in
  system) system; exit 0 ;;
  auto) ;;
  *) echo "libssh2.sh: LIBSSH2 must be auto or system, not '$mode'" >&2; exit 2 ;;
esac
if $pc --atleast-version=1.11.0 libssh2 2>/dev/null; then system; exit 0; fi
if [ -f "$prefix/.debian-version" ] && [ -f "$prefix/lib/libssh2.a" ]; then built; exit 0; fi
mkdir -p "$deps"
echo "libssh2: the system's is $($pc --modversion libssh2 2>/dev/null || echo missing) (< 1.11): building Debian's libssh2 source from $suite into $deps (log: $log)" >&2
if fetch_and_build > "$log" 2>&1; then
  built
else
  echo "libssh2: could not fetch or build Debian's libssh2 source (offline?): using the system libssh2 $($pc --modversion libssh2 2>/dev/null); RSA keys will not log in to OpenSSH >= 8.8 (see $log)" >&2
  system
fi
