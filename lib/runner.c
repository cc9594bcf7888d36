/* runner.c — endpoints × steps, with dependencies between steps, deadlines and retries. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/net.h"
#include "sftpdrill/runner.h"
#include "sftpdrill/session.h"
#include "sftpdrill/sftp.h"
#include "sftpdrill/util.h"

#ifndef SFTPDRILL_VERSION
#define SFTPDRILL_VERSION "0.1.0"
#endif

/* Per-endpoint state carried from step to step. */
struct ep_state {
	const struct sd_drill *d;
	const struct sd_run_opts *o;
	const struct sd_endpoint *ep;
	struct sd_suite *suite;
	struct sd_run *run;
	const struct sd_step *step;
	struct sd_conn *conn;
	int connect_failed;         /* no usable session: later steps are skipped */
	char dead_step[256];        /* name of the step that made the endpoint unusable */
};

static void
emit(struct ep_state *s, enum sd_event_kind kind, const struct sd_case *res, const char *msg)
{
	struct sd_event ev = { kind, s->d, s->ep, s->suite, s->step, res, msg, 0, 0 };

	if (s->o->on_event)
		s->o->on_event(s->o->ctx, &ev);
}

static void
on_warning(void *ctx, const char *msg)
{
	emit(ctx, SD_EV_WARNING, NULL, msg);
}

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct ep_state *s = ctx;
	struct sd_event ev = { SD_EV_PROGRESS, s->d, s->ep, s->suite, s->step, NULL, NULL, done, total };

	if (s->o->on_event)
		s->o->on_event(s->o->ctx, &ev);
}

/* Record what the connection taught us as suite properties. */
static void
record_conn(struct ep_state *s, const struct sd_conn_info *i)
{
	char buf[64];

	sd_suite_prop(s->suite, "peer.address", i->peer);
	sd_suite_prop(s->suite, "server.banner", i->banner);
	sd_suite_prop(s->suite, "hostkey.type", i->hostkey_type);
	sd_suite_prop(s->suite, "hostkey.sha256", i->hostkey_fp);
	sd_suite_prop(s->suite, "kex", i->kex);
	sd_suite_prop(s->suite, "hostkey.algorithm", i->hostkey_alg);
	sd_suite_prop(s->suite, "cipher.client-to-server", i->cipher_cs);
	sd_suite_prop(s->suite, "cipher.server-to-client", i->cipher_sc);
	sd_suite_prop(s->suite, "mac.client-to-server", i->mac_cs);
	sd_suite_prop(s->suite, "mac.server-to-client", i->mac_sc);
	sd_suite_prop(s->suite, "userkey.type", i->userkey_type);
	sd_suite_prop(s->suite, "userkey.sha256", i->userkey_fp);
	if (i->peer[0]) {
		snprintf(buf, sizeof(buf), "%.3f", i->connect_s);
		sd_suite_prop(s->suite, "time.connect", buf);
	}
	if (i->banner[0]) {
		snprintf(buf, sizeof(buf), "%.3f", i->banner_s);
		sd_suite_prop(s->suite, "time.banner", buf);
	}
}

static int
do_connect(struct ep_state *s, int64_t deadline, struct sd_err *err)
{
	struct sd_conn_opts co = { s->ep->host, s->ep->port, s->ep->label, s->d->known_hosts, NULL,
		&s->d->timeouts };
	struct sd_conn_info info = { 0 };

	if (s->conn != NULL)
		return 0;
	s->conn = sd_conn_open(&co, deadline, &info, on_warning, s, err);
	record_conn(s, &info);
	return s->conn ? 0 : -1;
}

static int
do_login(struct ep_state *s, int64_t deadline, struct sd_err *err)
{
	if (sd_conn_logged_in(s->conn))
		return 0;
	if (do_connect(s, deadline, err) < 0)
		return -1;
	sd_suite_prop(s->suite, "user", s->d->user);
	if (sd_conn_login(s->conn, s->d->user, s->d->identity, s->o->passphrase, deadline, err) < 0) {
		record_conn(s, sd_conn_get_info(s->conn));
		return -1;
	}
	record_conn(s, sd_conn_get_info(s->conn));
	return 0;
}

/* expect-target SET: the names production uses resolve to exactly SET's addresses. */
static int
do_expect_target(struct ep_state *s, char **message, struct sd_err *err)
{
	const struct sd_endpoint_set *set = sd_drill_set(s->d, s->step->arg);
	struct sd_strv found = { 0 }, want = { 0 };
	char *found_s = sd_xstrdup(""), *want_s = sd_xstrdup("");
	int rc = 0, same;

	for (size_t i = 0; i < s->d->target_hosts.n; i++)
		if (sd_net_resolve(s->d->target_hosts.v[i].host, &found, err) < 0) {
			rc = -1;
			goto out;
		}
	for (size_t i = 0; i < set->n; i++)
		if (sd_net_resolve(set->v[i].host, &want, err) < 0) {
			rc = -1;
			goto out;
		}
	same = found.n == want.n;
	for (size_t i = 0; same && i < found.n; i++) {
		int hit = 0;
		for (size_t k = 0; k < want.n; k++)
			hit |= strcmp(found.v[i], want.v[k]) == 0;
		same = hit;
	}
	for (size_t i = 0; i < found.n; i++) {
		char *next = sd_xasprintf("%s%s%s", found_s, i ? ", " : "", found.v[i]);
		free(found_s);
		found_s = next;
	}
	for (size_t i = 0; i < want.n; i++) {
		char *next = sd_xasprintf("%s%s%s", want_s, i ? ", " : "", want.v[i]);
		free(want_s);
		want_s = next;
	}
	sd_suite_prop(s->suite, "target.configured", found_s);
	if (!same)
		rc = sd_fail(err, SD_PHASE_CHECK, "TargetMismatch",
		    "%s resolves to %s, but the %s set is %s: switch the SFTP configuration to the %s addresses",
		    s->d->target_host, found_s, set->name, want_s, set->name);
	else
		*message = sd_xasprintf("%s resolves to %s = %s set", s->d->target_host, found_s, set->name);
out:
	sd_strv_free(&found);
	sd_strv_free(&want);
	free(found_s);
	free(want_s);
	return rc;
}

struct counter {
	long long files;
};

static int
count_entry(void *ctx, const struct sd_dirent *e)
{
	struct counter *c = ctx;

	if (e->is_regular && !e->is_dir)
		c->files++;
	return 0;
}

static int
do_count(struct ep_state *s, int64_t deadline, char **message, struct sd_err *err)
{
	const struct sd_step *st = s->step;
	struct counter c = { 0 };
	int ok;

	if (st->expect_baseline)
		return sd_error(err, SD_PHASE_CONFIG, "NoBaseline",
		    "baseline comparisons need a recorded manifest; none is kept by this version: use `count DIR == N`");
	if (sd_sftp_list(s->conn, st->arg, count_entry, &c, deadline, err) < 0)
		return -1;
	ok = st->cmp == SD_CMP_EQ ? c.files == st->expect :
	    st->cmp == SD_CMP_GE ? c.files >= st->expect : c.files <= st->expect;
	if (!ok)
		return sd_fail(err, SD_PHASE_CHECK, "CountMismatch", "%lld files in %s, expected %s %lld",
		    c.files, st->arg, sd_cmp_name(st->cmp), st->expect);
	*message = sd_xasprintf("%lld files in %s (expected %s %lld)", c.files, st->arg,
	    sd_cmp_name(st->cmp), st->expect);
	return 0;
}

struct matches {
	const char *pattern;
	struct sd_strv names;
	size_t limit;
};

static int
match_entry(void *ctx, const struct sd_dirent *e)
{
	struct matches *m = ctx;

	if (e->is_regular && !e->is_dir && fnmatch(m->pattern, e->name, FNM_PERIOD) == 0 &&
	    m->names.n < m->limit)
		sd_strv_push(&m->names, e->name);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder name for an endpoint that is safe on any file system: "host_port". */
static void
endpoint_folder(const struct sd_endpoint *ep, char *out, size_t len)
{
	size_t i = 0;

	for (const char *p = ep->label; *p && i + 1 < len; p++)
		out[i++] = (*p == ':' || *p == '/' || *p == '[' || *p == ']') ? '_' : *p;
	out[i] = '\0';
}

static int
do_download(struct ep_state *s, int64_t deadline, char **message, char **detail, struct sd_err *err)
{
	const char *arg = s->step->arg, *slash = strrchr(arg, '/');
	char *dir = slash ? sd_xstrndup(arg, (size_t)(slash - arg)) : sd_xstrdup(".");
	const char *pattern = slash ? slash + 1 : arg;
	char folder[300], *local_dir;
	struct matches m = { pattern, { 0 }, 10000 };
	int rc = -1;
	uint64_t total = 0;

	if (dir[0] == '\0') {
		free(dir);
		dir = sd_xstrdup("/");
	}
	endpoint_folder(s->ep, folder, sizeof(folder));
	local_dir = sd_xasprintf("%s/%s", s->d->download_dir ? s->d->download_dir : "reports/downloads", folder);
	if (strpbrk(pattern, "*?[") != NULL) {
		if (sd_sftp_list(s->conn, dir, match_entry, &m, deadline, err) < 0)
			goto out;
		if (m.names.n == 0) {
			sd_fail(err, SD_PHASE_CHECK, "FileMissing", "no file in %s matches %s", dir, pattern);
			goto out;
		}
		qsort(m.names.v, m.names.n, sizeof(*m.names.v), cmp_str);
	} else
		sd_strv_push(&m.names, pattern);
	*detail = sd_xstrdup("");
	for (size_t i = 0; i < m.names.n; i++) {
		struct sd_download dl;
		char *remote = sd_xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", m.names.v[i]);
		char *line, *path;
		int r = sd_sftp_download(s->conn, remote, local_dir, m.names.v[i], on_progress, s,
		    deadline, &dl, err);
		free(remote);
		if (r < 0)
			goto out;
		path = sd_xasprintf("%s/%s", local_dir, m.names.v[i]);
		sd_run_add_file(s->run, path, dl.sha256);
		line = sd_xasprintf("%s%s  %s  %llu bytes%s\n", *detail, dl.sha256, path,
		    (unsigned long long)dl.bytes, dl.already_present ? " (identical file already present)" : "");
		free(*detail);
		*detail = line;
		free(path);
		total += dl.bytes;
	}
	*message = m.names.n == 1 ?
	    sd_xasprintf("%s: %llu bytes, size matches, sha256 recorded", m.names.v[0], (unsigned long long)total) :
	    sd_xasprintf("%zu files, %llu bytes, sizes match, sha256 recorded", m.names.n, (unsigned long long)total);
	rc = 0;
out:
	sd_strv_free(&m.names);
	free(dir);
	free(local_dir);
	return rc;
}

static int
do_logout(struct ep_state *s, char **message, struct sd_err *err)
{
	int rc = sd_conn_close(s->conn, sd_now_ms() + s->d->timeouts.sftp_op, err);

	s->conn = NULL;
	if (rc == 0)
		*message = sd_xstrdup("logged out and disconnected");
	return rc;
}

/* Why this step cannot run now, or NULL if it can. */
static const char *
needs(struct ep_state *s, enum sd_verb v)
{
	if (v == SD_VERB_EXPECT_TARGET)
		return NULL;
	if (s->connect_failed)
		return s->dead_step;
	if (v == SD_VERB_LOGOUT && s->conn == NULL)
		return "there is no open connection";
	return NULL;
}

/* One attempt at the current step. */
static int
attempt(struct ep_state *s, int64_t deadline, char **message, char **detail, struct sd_err *err)
{
	switch (s->step->verb) {
	case SD_VERB_EXPECT_TARGET:
		return do_expect_target(s, message, err);
	case SD_VERB_CONNECT:
		if (do_connect(s, deadline, err) < 0)
			return -1;
		*message = sd_xasprintf("connected to %s, host key %s %s verified",
		    sd_conn_get_info(s->conn)->peer, sd_conn_get_info(s->conn)->hostkey_type,
		    sd_conn_get_info(s->conn)->hostkey_fp);
		return 0;
	case SD_VERB_LOGIN:
		if (do_login(s, deadline, err) < 0)
			return -1;
		*message = sd_xasprintf("logged in as %s with %s key %s; SFTP ready", s->d->user,
		    sd_conn_get_info(s->conn)->userkey_type, sd_conn_get_info(s->conn)->userkey_fp);
		return 0;
	case SD_VERB_COUNT:
		if (do_login(s, deadline, err) < 0)
			return -1;
		return do_count(s, deadline, message, err);
	case SD_VERB_DOWNLOAD:
		if (do_login(s, deadline, err) < 0)
			return -1;
		return do_download(s, deadline, message, detail, err);
	case SD_VERB_LOGOUT:
		return do_logout(s, message, err);
	}
	return -1;
}

static void
run_step(struct ep_state *s, const struct sd_step *st)
{
	struct sd_case *c = sd_suite_add_case(s->suite, st->name);
	int64_t t0 = sd_now_ms(), timeout = st->timeout_ms ? st->timeout_ms : s->d->timeouts.step;
	int64_t backoff = st->backoff_ms ? st->backoff_ms : 1000;
	const char *why;
	struct sd_err err;

	s->step = st;
	emit(s, SD_EV_STEP_BEGIN, NULL, NULL);
	if ((why = needs(s, st->verb)) != NULL) {
		c->status = SD_SKIP;
		snprintf(c->type, sizeof(c->type), "Skipped");
		c->message = sd_xasprintf("not run: %s", why);
		goto done;
	}
	for (int tries = 0; ; tries++) {
		char *message = NULL, *detail = NULL;
		int64_t deadline = sd_now_ms() + timeout;

		sd_err_clear(&err);
		if (attempt(s, deadline, &message, &detail, &err) == 0) {
			c->status = SD_PASS;
			c->message = message ? message : sd_xstrdup("ok");
			free(c->detail);
			c->detail = detail;
			if (tries > 0) {
				char *m = sd_xasprintf("%s (after %d retr%s)", c->message, tries, tries == 1 ? "y" : "ies");
				free(c->message);
				c->message = m;
			}
			break;
		}
		free(message);
		free(c->detail);
		c->detail = detail;
		c->status = err.is_failure ? SD_FAIL : SD_ERROR;
		snprintf(c->type, sizeof(c->type), "%s", err.type[0] ? err.type : "Error");
		free(c->message);
		c->message = sd_xstrdup(err.msg[0] ? err.msg : "failed");
		if (!err.is_failure || tries >= st->retries)
			break;
		emit(s, SD_EV_WARNING, NULL, c->message);
		/* A broken connection is not reused by the next attempt. */
		if (st->verb == SD_VERB_CONNECT || st->verb == SD_VERB_LOGIN) {
			sd_conn_close(s->conn, sd_now_ms() + 1000, NULL);
			s->conn = NULL;
		}
		usleep((useconds_t)(backoff * 1000));
		if (backoff < 60000)
			backoff *= 2;
	}
	if (c->status != SD_PASS && st->verb != SD_VERB_EXPECT_TARGET) {
		/* After a cut or an abandoned operation libssh2's state is unknown: never reuse it. */
		static const char *const lost[] = { "ConnectionClosed", "TransferInterrupted", "StepTimeout",
			"SftpTimeout", "TransferTimeout", NULL };
		for (size_t k = 0; lost[k] != NULL; k++)
			if (strcmp(c->type, lost[k]) == 0 && s->conn != NULL) {
				sd_conn_close(s->conn, sd_now_ms() + 1000, NULL);
				s->conn = NULL;
			}
		if (s->conn == NULL || (st->verb != SD_VERB_CONNECT && !sd_conn_logged_in(s->conn))) {
			s->connect_failed = 1;
			snprintf(s->dead_step, sizeof(s->dead_step), "step \"%s\" failed (%s)", st->name, c->type);
		}
	}
done:
	c->time = (double)(sd_now_ms() - t0) / 1000.0;
	emit(s, SD_EV_STEP_END, c, NULL);
}

int
sd_run_drill(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	if (run->started == 0)
		run->started = time(NULL);
	for (size_t i = 0; set && i < set->n; i++) {
		struct ep_state s = { d, o, &set->v[i], NULL, run, NULL, NULL, 0, "" };
		int64_t t0 = sd_now_ms();

		s.suite = sd_run_add_suite(run, d->name, set->v[i].label);
		sd_suite_prop(s.suite, "drill", d->name);
		sd_suite_prop(s.suite, "drill.file", d->path);
		sd_suite_prop(s.suite, "endpoint", set->v[i].label);
		sd_suite_prop(s.suite, "target", d->target);
		sd_suite_prop(s.suite, "window", d->window);
		sd_suite_prop(s.suite, "tool", "sftpdrill " SFTPDRILL_VERSION);
		sd_suite_prop(s.suite, "libraries", sd_library_versions());
		sd_suite_prop(s.suite, "operator", o->operator_name);
		sd_suite_prop(s.suite, "hostname", host);
		emit(&s, SD_EV_SUITE_BEGIN, NULL, NULL);
		for (size_t k = 0; k < d->nsteps; k++)
			run_step(&s, &d->steps[k]);
		if (s.conn != NULL)
			sd_conn_close(s.conn, sd_now_ms() + d->timeouts.sftp_op, NULL);
		s.suite->time = (double)(sd_now_ms() - t0) / 1000.0;
		s.step = NULL;
		emit(&s, SD_EV_SUITE_END, NULL, NULL);
	}
	return 0;
}
