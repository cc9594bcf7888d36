# rrs-common.profile — maps the RRS_* site variables onto drill settings.
# Included by hkex-rrs.profile and local-mirror.profile after they set the variables;
# any variable can be overridden on the command line with -D NAME=VALUE.

port          ${RRS_PORT}
endpoints     primary   "${RRS_PRIMARY}"
endpoints     secondary "${RRS_SECONDARY}"
user          "${RRS_USER}"
identity      "${RRS_KEY}"
known-hosts   "${RRS_KNOWN_HOSTS}"
download-dir  "${RRS_DOWNLOAD_DIR}"
report-dir    "${RRS_REPORT_DIR}"
# Baselines, the key reference and the backup ledger live in sftpdrill's state folder
# (--state-dir, $SFTPDRILL_STATE, else ~/.local/state/sftpdrill), keyed by this service
# and the User ID: the same wherever sftpdrill runs from and whatever this file is called.
target-host   "${RRS_TARGET_HOST}"
# RRS_TARGET_HOST may name OpenSSH client config aliases as ssh-config:ALIAS, looked up here:
ssh-config    "${RRS_SSH_CONFIG:-${HOME:-.}/.ssh/config}"
# Business days: weekdays that are not Hong Kong general holidays. Add market closures
# (typhoon signal No. 8, black rainstorm) with --non-business-day DATE or a second file:
#   -D RRS_CLOSURES=closures.txt
holidays      "hk-holidays.txt"
holidays      "${RRS_CLOSURES:-no-closures.txt}"

# Which files are whose: DCASS reports carry their business date as YYYYMMDD in the name
# (TP001_CP0001_20230414.csv). The daily backup takes the business date's reports; the
# sessions download the last business day's TP001 and TP002 (the last reports published before
# the session). A profile that knows other names sets these before including this file.
set RRS_DAILY_PATTERN "${RRS_DAILY_PATTERN:-*${BUSINESS_DATE_YMD}*}"
set RRS_TP001_PATTERN "${RRS_TP001_PATTERN:-TP001*${LAST_BUSINESS_DATE_YMD}*}"
set RRS_TP002_PATTERN "${RRS_TP002_PATTERN:-TP002*${LAST_BUSINESS_DATE_YMD}*}"
