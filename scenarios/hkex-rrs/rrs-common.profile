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
baseline-dir  "${RRS_BASELINE_DIR:-reports/baselines}"
target-host   "${RRS_TARGET_HOST}"
# RRS_TARGET_HOST may name OpenSSH client config aliases as ssh-config:ALIAS, looked up here:
ssh-config    "${RRS_SSH_CONFIG:-${HOME:-.}/.ssh/config}"
# Business days: weekdays that are not Hong Kong general holidays. Add market closures
# (typhoon signal No. 8, black rainstorm) with --non-business-day DATE or a second file:
#   -D RRS_CLOSURES=closures.txt
holidays      "hk-holidays.txt"
holidays      "${RRS_CLOSURES:-no-closures.txt}"
