/* verbs.c — each verb's handler, and the handlers of the verbs that need no files of their own. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/run/target.h"
#include "sftpdrill/language/verb.h"
#include "step.h"
#include "verbs.h"

/* expect-target SET: the names production uses resolve to exactly SET's addresses. */
static int
run_expect_target(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	struct sd_target_check c;
	int rc = sd_target_check(s->d, s->step->arg, s->t, s->deadline, s->o->cancel, &c, err);

	if (rc == 0) {
		sd_step_prop(s, "target.configured", sd_buf_str(&c.configured));
		if (!c.matches)
			rc = sd_fail(err, SD_KIND_TARGET_MISMATCH, SD_PHASE_CHECK,
			    "%s resolves to %s, but the %s set is %s: switch the SFTP configuration to the %s addresses",
			    s->d->target_host, sd_buf_str(&c.configured), s->step->arg, sd_buf_str(&c.expected), s->step->arg);
		else
			sd_buf_addf(&out->message, "%s resolves to %s = %s set", s->d->target_host, sd_buf_str(&c.configured),
			    s->step->arg);
	}
	sd_target_check_release(&c);
	return rc;
}

/* connect: the runner connected (the verb's flags); say what was verified. */
static int
run_connect(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_conn_info *i = s->t->info(s->conn);

	(void)err;
	sd_buf_addf(&out->message, "connected to %s, host key %s %s verified", i->peer, i->hostkey_type,
	    i->hostkey_fp);
	return 0;
}

/* login: the runner logged in (the verb's flags); say as whom. */
static int
run_login(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_conn_info *i = s->t->info(s->conn);

	(void)err;
	sd_buf_addf(&out->message, "logged in as %s with %s key %s; SFTP ready", s->d->user, i->userkey_type,
	    i->userkey_fp);
	return 0;
}

static int
run_logout(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	int rc = s->t->close(s->conn, sd_now_ms() + s->d->timeouts.sftp_op, err);

	s->conn = NULL;
	if (rc == 0)
		sd_buf_adds(&out->message, "logged out and disconnected");
	return rc;
}

/* stat PATH: a regular file is there; what the server says of its size and time is recorded. */
static int
run_stat(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	static const char *const what[] = { [SD_ENTRY_DIR] = "a folder", [SD_ENTRY_LINK] = "a link",
		[SD_ENTRY_OTHER] = "neither a file nor a folder" };
	struct sd_dirent e;
	char when[32] = "", *shown = sd_printable(s->step->arg, strlen(s->step->arg));
	int rc = s->t->stat(s->conn, s->step->arg, &e, s->deadline, err);

	if (rc == 0 && e.type != SD_ENTRY_FILE && e.type != SD_ENTRY_UNKNOWN)
		rc = sd_fail(err, SD_KIND_NOT_A_FILE, SD_PHASE_CHECK, "%s is %s, not a regular file", shown, what[e.type]);
	if (rc == 0) {
		if (e.has_mtime)
			sd_utc_iso((time_t)e.mtime, when, sizeof(when));
		sd_buf_addf(&out->message, "%s: a regular file", shown);
		if (e.has_size)
			sd_buf_addf(&out->message, " of %llu bytes", (unsigned long long)e.size);
		if (e.has_mtime)
			sd_buf_addf(&out->message, ", modified %sZ", when);
		if (e.type == SD_ENTRY_UNKNOWN)
			sd_buf_adds(&out->note, "the server did not say what kind of entry it is; taken as a file");
	}
	free(shown);
	return rc;
}

/* The handler of each verb (verb.h gives its syntax and what the runner does before calling it). */
static const sd_verb_fn handlers[SD_VERB__COUNT] = {
	[SD_VERB_EXPECT_TARGET] = run_expect_target,
	[SD_VERB_CONNECT] = run_connect,
	[SD_VERB_LOGIN] = run_login,
	[SD_VERB_COUNT] = sd_verb_count,
	[SD_VERB_DOWNLOAD] = sd_verb_download,
	[SD_VERB_LOGOUT] = run_logout,
	[SD_VERB_SNAPSHOT] = sd_verb_snapshot,
	[SD_VERB_KEY_UNCHANGED] = sd_verb_key_unchanged,
	[SD_VERB_NO_MISSED_DAYS] = sd_verb_no_missed_days,
	[SD_VERB_STAT] = run_stat,
};

sd_verb_fn
sd_verb_handler(enum sd_verb v)
{
	return handlers[(unsigned)v < SD_VERB__COUNT ? v : SD_VERB_CONNECT];
}
