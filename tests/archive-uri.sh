#!/usr/bin/env bash
# archive-uri.sh — the URI of the Debian archive this machine's apt installs its own release from
# (e.g. what deb.debian.org or a local mirror is here), read from the apt configuration, never
# written in the repository. Used to fetch Debian's libssh2 source (tests/libssh2.sh) and to
# build the Debian 13 chroot (tests/trixie.sh). Prints nothing and exits 1 when there is none.
set -euo pipefail
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
uri=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null | awk -v c="$codename" '$1 == c { print $2; exit }')
[ -n "$uri" ] || exit 1
echo "$uri"
