# hkex-rrs.profile — HKEX Report Retrieval Solution (RRS) for listed derivatives (DCASS reports).
# Source: HKEX circular CD/OEC/SEOCH/073/2023, attachment: SFTP at port 10022,
#   primary data centre   10.151.14.121, 10.151.14.122
#   secondary data centre 10.152.14.121, 10.152.14.122
# These are the production addresses: only a participant's own network (HSN or SDNET) reaches them.
#
# Site facts you must set for your firm (here, in the environment, or with -D NAME=VALUE):
#   RRS_USER         your RRS User ID
#   RRS_KEY          your private key file (ed25519 or ECDSA recommended; see README on RSA)
#   RRS_KNOWN_HOSTS  known_hosts file holding the RRS host keys (host keys are always checked)
#   RRS_REPORT_DIR   the remote report folder of your User ID
#   RRS_TARGET_HOST  the host name(s) or addresses your production SFTP configuration points to
# `set NAME "${NAME:-default}"` lets the environment override the default; -D overrides both.

# The account's state (baselines, key reference, backup ledger) is keyed by this name and the
# User ID, so a copy of this profile under another name finds the same state.
service hkex-rrs
# Whom to call when a failure may be on the exchange's side (the circular's enquiry line).
service-desk "HKEX DCASS Hotline 2979 7222, clearingpsd@hkex.com.hk"

set RRS_PORT          "${RRS_PORT:-10022}"
set RRS_PRIMARY       "${RRS_PRIMARY:-10.151.14.121,10.151.14.122}"
set RRS_SECONDARY     "${RRS_SECONDARY:-10.152.14.121,10.152.14.122}"
set RRS_USER          "${RRS_USER:-CHANGE-ME-USER-ID}"
set RRS_KEY           "${RRS_KEY:-${HOME:-.}/.ssh/id_ed25519}"
set RRS_KNOWN_HOSTS   "${RRS_KNOWN_HOSTS:-${HOME:-.}/.ssh/known_hosts}"
set RRS_REPORT_DIR    "${RRS_REPORT_DIR:-/}"
set RRS_DOWNLOAD_DIR  "${RRS_DOWNLOAD_DIR:-reports/downloads}"
set RRS_BACKUP_DIR    "${RRS_BACKUP_DIR:-${BACKUP_DIR}}"
# After session 2 production stays on the primary addresses.
set RRS_TARGET_HOST   "${RRS_TARGET_HOST:-${RRS_PRIMARY}}"

include "rrs-common.profile"
