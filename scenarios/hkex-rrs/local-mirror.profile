# local-mirror.profile — the loopback mirror of RRS started by tests/mirror/mirror.sh.
# 127.151.14.x mirrors the primary data centre, 127.152.14.x the secondary; keys and known_hosts
# are generated per run in the mirror's state folder ($SFTPDRILL_MIRROR_DIR).

set MIRROR            "${SFTPDRILL_MIRROR_DIR:-/run/sftpdrill-mirror}"
# The mirror's keys are made per run: give each mirror its own state folder
# (SFTPDRILL_STATE=..., as make demo and the tests do), or its key reference outlives its keys.
service rrs-local-mirror
service-desk "whoever started the local mirror (tests/mirror/mirror.sh; sshd logs in STATE/nodes/ADDR/sshd.log)"
set RRS_PORT          "${RRS_PORT:-10022}"
set RRS_PRIMARY       "${RRS_PRIMARY:-127.151.14.121,127.151.14.122}"
set RRS_SECONDARY     "${RRS_SECONDARY:-127.152.14.121,127.152.14.122}"
set RRS_USER          "${RRS_USER:-${SFTPDRILL_MIRROR_USER:-root}}"
set RRS_KEY           "${RRS_KEY:-${MIRROR}/user_ed25519}"
set RRS_KNOWN_HOSTS   "${RRS_KNOWN_HOSTS:-${MIRROR}/known_hosts}"
set RRS_REPORT_DIR    "${RRS_REPORT_DIR:-/reports}"
set RRS_DOWNLOAD_DIR  "${RRS_DOWNLOAD_DIR:-reports/downloads}"
set RRS_BACKUP_DIR    "${RRS_BACKUP_DIR:-${BACKUP_DIR}}"

# The mirror has no production systems whose configuration could be checked. It simulates an
# operator who switched correctly: the configured addresses follow the session's data centre
# (RRS_SESSION, set by each session drill). -D RRS_TARGET_HOST=... simulates a forgotten switch.
set RRS_SESSION_HOSTS_primary   "${RRS_PRIMARY}"
set RRS_SESSION_HOSTS_secondary "${RRS_SECONDARY}"
set RRS_TARGET_HOST   "${RRS_TARGET_HOST:-${RRS_SESSION_HOSTS_${RRS_SESSION:-primary}}}"

include "rrs-common.profile"
