/* verbs.c — each verb's handler, and the handlers of the verbs that need no files of their own. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/engine/sshconfig.h"
#include "sftpdrill/language/verb.h"
#include "step.h"
#include "verbs.h"

#define SSH_CONFIG_PREFIX "ssh-config:"

/* The addresses target-host names, through the client config where an entry says ssh-config:ALIAS. */
static int
resolve_configured(struct sd_step_ctx *s, struct sd_strv *found, struct sd_err *err)
{
	for (size_t i = 0; i < s->d->target_hosts.n; i++) {
		const char *name = s->d->target_hosts.v[i].host;
		char *alias = NULL;
		int rc;

		if (strncmp(name, SSH_CONFIG_PREFIX, strlen(SSH_CONFIG_PREFIX)) == 0) {
			if (s->d->ssh_config == NULL)
				return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG,
				    "target-host %s, but no `ssh-config` file is named", name);
			alias = sd_ssh_config_hostname(s->d->ssh_config, name + strlen(SSH_CONFIG_PREFIX), err);
			if (alias == NULL)
				return -1;
			name = alias;
		}
		rc = s->t->resolve(name, s->deadline, s->o->cancel, found, err);
		free(alias);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Do two address lists hold the same addresses (order aside)? */
static int
same_addresses(const struct sd_strv *a, const struct sd_strv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		int hit = 0;
		for (size_t k = 0; k < b->n && !hit; k++)
			hit = strcmp(a->v[i], b->v[k]) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

/* expect-target SET: the names production uses resolve to exactly SET's addresses. */
static int
run_expect_target(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_endpoint_set *set = sd_drill_set(s->d, s->step->arg);
	struct sd_strv found = { 0 }, want = { 0 };
	struct sd_buf found_s = SD_BUF_INIT(0), want_s = SD_BUF_INIT(0);
	int rc = resolve_configured(s, &found, err);

	for (size_t i = 0; rc == 0 && i < set->n; i++)
		rc = s->t->resolve(set->v[i].host, s->deadline, s->o->cancel, &want, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < found.n; i++)
		sd_buf_join(&found_s, ", ", found.v[i]);
	for (size_t i = 0; i < want.n; i++)
		sd_buf_join(&want_s, ", ", want.v[i]);
	sd_step_prop(s, "target.configured", sd_buf_str(&found_s));
	if (!same_addresses(&found, &want))
		rc = sd_fail(err, SD_KIND_TARGET_MISMATCH, SD_PHASE_CHECK,
		    "%s resolves to %s, but the %s set is %s: switch the SFTP configuration to the %s addresses",
		    s->d->target_host, sd_buf_str(&found_s), set->name, sd_buf_str(&want_s), set->name);
	else
		sd_buf_addf(&out->message, "%s resolves to %s = %s set", s->d->target_host, sd_buf_str(&found_s),
		    set->name);
out:
	sd_strv_release(&found);
	sd_strv_release(&want);
	sd_buf_release(&found_s);
	sd_buf_release(&want_s);
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
