#!/usr/bin/env bash
# sftpdrill-ci.sh — what each job of the CI recipes in this folder runs (GitLab CI, GitHub Actions,
# Jenkins): the recipes only say which job runs which line, so all three behave alike.
#
#   docs/ci/sftpdrill-ci.sh shard K N   drill shard K of N of the roster (a job of the matrix)
#   docs/ci/sftpdrill-ci.sh merge       verify every shard's bundle and merge them (the last job)
#
# Environment:
#   SFTPDRILL_CI_ROSTER  the roster of real accounts (see README, "Many accounts"). Unset: a rehearsal
#                        on the local mirror (tests/mirror/mirror.sh, needs root) with
#                        SFTPDRILL_CI_ACCOUNTS (default 12) accounts made up on the spot, one key each.
#   SFTPDRILL_CI_DRILLS  the drills (default: the circular's two sessions)
#   SFTPDRILL_CI_ARGS    more options for `sftpdrill run`, e.g. "-D RRS_PROFILE=my-site.profile"
#   SFTPDRILL_CI_JOBS    accounts at a time within a shard (default 4)
#   SFTPDRILL_CI_OUT     where the results go, the artifact folder (default: sftpdrill-out)
#   SFTPDRILL            an sftpdrill already built; unset: the packages are installed and it is built
#
# Results: OUT/snapshots/ (a rehearsal's baseline, recorded first), OUT/shards/TIME-roster-NAME-shard-K-of-N/ (each account's bundle and log, a roster summary,
# merged/), and after `merge` OUT/merged/ with one junit.xml for the CI's test report. Exit status is
# sftpdrill's: 0 every step passed, 1 a step failed or an input was refused, 2 a bad roster row.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
out=${SFTPDRILL_CI_OUT:-sftpdrill-out}
drills=${SFTPDRILL_CI_DRILLS:-scenarios/hkex-rrs/session-1-secondary.drill scenarios/hkex-rrs/session-2-primary.drill}

die() { echo "sftpdrill-ci: $*" >&2; exit 2; }

# The program: the one given, or built here with the packages it needs.
build() {
  if [ -n "${SFTPDRILL:-}" ]; then
    [ -x "$SFTPDRILL" ] || die "SFTPDRILL=$SFTPDRILL is not an executable"
    bin=$SFTPDRILL
    return
  fi
  tests/need.sh demo
  make --no-print-directory
  bin=$here/harness/sftpdrill
}

# A rehearsal's accounts: keys made here, admitted by the mirror, the same rows on every machine
# (a shard is a place in the file, so every job must see the same file).
mirror_roster() {  # STATE ROSTER
  local user=${SFTPDRILL_MIRROR_USER:-${MIRROR_USER:-root}} i name
  mkdir -p "$1/keys"
  echo "# a rehearsal's accounts on the local mirror, made by sftpdrill-ci.sh" > "$2"
  echo "name,user,key,passphrase" >> "$2"
  for i in $(seq -w 1 "${SFTPDRILL_CI_ACCOUNTS:-12}"); do
    name=cp$i
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$1/keys/$name"
    cat "$1/keys/$name.pub" >> "$1/authorized_keys"
    echo "$name,$user,$1/keys/$name," >> "$2"
  done
}

# Drill shard K of N on the mirror, in a private network namespace where the machine allows one.
shard_on_mirror() {  # K N
  if [ -z "${SFTPDRILL_NETNS:-}" ] && unshare -n true 2>/dev/null; then
    exec unshare -n env SFTPDRILL_NETNS=1 SFTPDRILL="$bin" "$0" shard "$1" "$2"
  fi
  [ -n "${SFTPDRILL_NETNS:-}" ] && ip link set lo up
  local last status
  last=$("$bin" business-day today)
  # Global: the EXIT trap stops this mirror, after the function has returned.
  state=$(mktemp -d /run/sftpdrill-ci.XXXXXX)
  export SFTPDRILL_MIRROR_DATE=${last//-/} SFTPDRILL_MIRROR_DIR=$state SFTPDRILL_STATE=$state/sftpdrill-state
  trap 'tests/mirror/mirror.sh stop "$state" || true; rm -rf "$state"' EXIT
  tests/mirror/mirror.sh start "$state"
  mirror_roster "$state" "$state/mirror.csv"
  # The sessions compare the file count with the last business day's: record it, as that
  # evening's backup would have.
  "$bin" snapshot -D RRS_PROFILE=local-mirror.profile --now "${last}T19:30:00+08:00" --quiet \
    --report-dir "$out/snapshots" $drills
  set +e
  # shellcheck disable=SC2086 # the drills and extra options are lists of words
  "$bin" run --roster "$state/mirror.csv" --shard "$1/$2" --jobs "${SFTPDRILL_CI_JOBS:-4}" \
    --report-dir "$out/shards" -D RRS_PROFILE=local-mirror.profile ${SFTPDRILL_CI_ARGS:-} $drills
  status=$?
  set -e
  return $status
}

case "${1:-}" in
  shard)
    [[ "${2:-}" =~ ^[0-9]+$ && "${3:-}" =~ ^[0-9]+$ ]] || die "usage: $0 shard K N"
    build
    mkdir -p "$out/shards"
    if [ -z "${SFTPDRILL_CI_ROSTER:-}" ]; then
      shard_on_mirror "$2" "$3"
    else
      # shellcheck disable=SC2086
      "$bin" run --roster "$SFTPDRILL_CI_ROSTER" --shard "$2/$3" --jobs "${SFTPDRILL_CI_JOBS:-4}" \
        --report-dir "$out/shards" ${SFTPDRILL_CI_ARGS:-} $drills
    fi
    ;;
  merge)
    build
    shopt -s nullglob
    bundles=("$out"/shards/*/merged)
    [ ${#bundles[@]} -gt 0 ] || die "no shard results under $out/shards (did the shard jobs hand over their artifacts?)"
    "$bin" merge "$out/merged" "${bundles[@]}"
    ;;
  *) die "usage: $0 shard K N | merge" ;;
esac
