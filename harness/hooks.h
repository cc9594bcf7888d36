/* hooks.h — --on-failure and --on-success: tell mail, a chat webhook or a monitor how a run ended. */
#ifndef SD_HOOKS_H
#define SD_HOOKS_H

#include "sftpdrill/base/util.h"

/* How long a hook may run before it is stopped (SIGTERM to its process group, then SIGKILL). */
#define HOOK_TIMEOUT_MS 60000

/* What the command is told, as SFTPDRILL_* environment variables (README lists them). */
struct hook_facts {
	const char *run_dir;        /* SFTPDRILL_RUN_DIR: the sealed bundle (empty when none was made) */
	const char *report;         /* SFTPDRILL_REPORT: its junit.xml */
	const char *verdict;        /* SFTPDRILL_VERDICT: ALL STEPS PASSED, NOT ALL STEPS PASSED, INCOMPLETE... */
	int exit_status;            /* SFTPDRILL_EXIT_STATUS: sftpdrill's own */
	const char *summary;        /* SFTPDRILL_SUMMARY: "13 passed, 1 failed, 0 errors, 0 skipped" */
	const char *drills;         /* SFTPDRILL_DRILLS: the drills' names */
	const char *business_date;  /* SFTPDRILL_BUSINESS_DATE */
	const char *mode;           /* SFTPDRILL_MODE: "session", or why it is a rehearsal */
};

/*
 * Run cmd with /bin/sh, the facts in its environment, stdin from /dev/null,
 * output to sftpdrill's own; wait at most HOOK_TIMEOUT_MS. option names it
 * in messages. Returns 0 when it exited 0; -1 otherwise, having said why on
 * stderr. The run's own exit status never changes because of a hook.
 */
int run_hook(const char *option, const char *cmd, const struct hook_facts *f);

#endif
