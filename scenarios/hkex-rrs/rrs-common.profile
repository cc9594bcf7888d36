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
target-host   "${RRS_TARGET_HOST}"
