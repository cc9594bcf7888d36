/* runner.c — endpoints × steps, with dependencies between steps, deadlines and retries. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <errno.h>
#include <libssh2_sftp.h>

#include "sftpdrill/baseline.h"
#include "sftpdrill/calendar.h"
#include "sftpdrill/evidence.h"
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
	const struct sd_calendar *cal;
	pthread_mutex_t *lock;      /* guards callbacks and the run's shared lists */
	int connect_failed;         /* no usable session: later steps are skipped */
	char dead_step[256];        /* name of the step that made the endpoint unusable */
};

static void
emit_full(struct ep_state *s, enum sd_event_kind kind, const struct sd_case *res, const char *msg,
    uint64_t done, uint64_t total, enum sd_phase phase)
{
	struct sd_event ev = { kind, s->d, s->ep, s->suite, s->step, res, msg, done, total, phase };

	if (s->o->on_event) {
		pthread_mutex_lock(s->lock);
		s->o->on_event(s->o->ctx, &ev);
		pthread_mutex_unlock(s->lock);
	}
}

static void
emit(struct ep_state *s, enum sd_event_kind kind, const struct sd_case *res, const char *msg)
{
	emit_full(s, kind, res, msg, 0, 0, SD_PHASE_NONE);
}

static void
on_note(void *ctx, enum sd_note_kind kind, enum sd_phase phase, const char *msg)
{
	emit_full(ctx, kind == SD_NOTE_WARNING ? SD_EV_WARNING : SD_EV_PHASE, NULL, msg, 0, 0, phase);
}

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	emit_full(ctx, SD_EV_PROGRESS, NULL, NULL, done, total, SD_PHASE_TRANSFER);
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
	struct sd_strv pins = { 0 };
	struct sd_conn_opts co = { s->ep->host, s->ep->port, s->ep->label, s->d->known_hosts, &pins,
		&s->d->timeouts, s->o->trust_on_first_use, on_note, s };
	struct sd_conn_info info = { 0 };

	if (s->conn != NULL)
		return 0;
	sd_drill_pins_for(s->d, s->ep, &pins);
	s->conn = sd_conn_open(&co, deadline, &info, err);
	sd_strv_free(&pins);
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

/* "a, b, c": a list for a message; caller frees. */
static char *
join(const struct sd_strv *sv)
{
	struct sd_buf out = SD_BUF_INIT(0);

	for (size_t i = 0; i < sv->n; i++)
		sd_buf_join(&out, ", ", sv->v[i]);
	return sd_buf_detach(&out);
}

/* expect-target SET: the names production uses resolve to exactly SET's addresses. */
static int
do_expect_target(struct ep_state *s, int64_t deadline, char **message, struct sd_err *err)
{
	const struct sd_endpoint_set *set = sd_drill_set(s->d, s->step->arg);
	struct sd_strv found = { 0 }, want = { 0 };
	char *found_s = sd_xstrdup(""), *want_s = sd_xstrdup("");
	int rc = 0, same;

	for (size_t i = 0; i < s->d->target_hosts.n; i++) {
		const char *name = s->d->target_hosts.v[i].host;
		char *resolved = NULL;
		int r;

		/* "ssh-config:ALIAS": what the participant's ssh/sftp configuration points ALIAS to. */
		if (strncmp(name, "ssh-config:", 11) == 0) {
			char *home = sd_xasprintf("%s/.ssh/config", getenv("HOME") ? getenv("HOME") : "");
			resolved = sd_ssh_config_hostname(s->d->ssh_config ? s->d->ssh_config : home, name + 11, err);
			free(home);
			if (resolved == NULL) {
				rc = -1;
				goto out;
			}
			name = resolved;
		}
		r = sd_net_resolve(name, deadline, &found, err);
		free(resolved);
		if (r < 0) {
			rc = -1;
			goto out;
		}
	}
	for (size_t i = 0; i < set->n; i++)
		if (sd_net_resolve(set->v[i].host, deadline, &want, err) < 0) {
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
	free(found_s);
	free(want_s);
	found_s = join(&found);
	want_s = join(&want);
	sd_suite_prop(s->suite, "target.configured", found_s);
	if (!same)
		rc = sd_fail(err, SD_KIND_TARGET_MISMATCH, SD_PHASE_CHECK,
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

/* Collect a folder's listing as a manifest. */
static int
manifest_entry(void *ctx, const struct sd_dirent *e)
{
	char type = !e->has_perm ? '?' : e->is_dir ? 'd' : e->is_regular ? 'f' :
	    (e->perm & LIBSSH2_SFTP_S_IFMT) == LIBSSH2_SFTP_S_IFLNK ? 'l' : 'o';

	sd_manifest_add(ctx, e->name, type, e->has_size ? e->size : 0, e->has_mtime ? (int64_t)e->mtime : -1);
	return 0;
}

static int
list_manifest(struct ep_state *s, const char *dir, int64_t deadline, struct sd_manifest *m, struct sd_err *err)
{
	if (sd_sftp_list(s->conn, dir, manifest_entry, m, deadline, err) < 0)
		return -1;
	sd_manifest_sort(m);
	return 0;
}

/* "a, b, c (and N more)" of at most 20 names, shown safely. */
static char *
name_list(const struct sd_strv *names)
{
	struct sd_buf out = SD_BUF_INIT(0);

	for (size_t i = 0; i < names->n && i < 20; i++) {
		char *shown = sd_printable(names->v[i], strlen(names->v[i]));
		sd_buf_join(&out, ", ", shown);
		free(shown);
	}
	if (names->n > 20)
		sd_buf_addf(&out, " (and %zu more; %zu in all)", names->n - 20, names->n);
	return sd_buf_detach(&out);
}

static int
compare(enum sd_cmp cmp, long long have, long long want)
{
	return cmp == SD_CMP_EQ ? have == want : cmp == SD_CMP_GE ? have >= want : have <= want;
}

/* count DIR OP baseline(last-business-day) */
static int
count_against_baseline(struct ep_state *s, const struct sd_manifest *now, char **message, char **detail,
    struct sd_err *err)
{
	const struct sd_step *st = s->step;
	long last = sd_calendar_last_business(s->cal, s->o->business_day);
	char date[16], *dir, *path;
	struct sd_manifest old = { 0 };
	struct sd_strv added = { 0 }, removed = { 0 };
	long long have = (long long)sd_manifest_files(now), want;
	int rc = -1;

	sd_date_format(last, 0, date, sizeof(date));
	sd_suite_prop(s->suite, "baseline.date", date);
	dir = sd_baseline_dir(s->d->baseline_dir, s->d->profile_name, s->d->user, st->arg, last);
	path = sd_baseline_find(dir, s->ep->label);
	if (path == NULL) {
		sd_fail(err, SD_KIND_NO_BASELINE, SD_PHASE_CHECK,
		    "no manifest of %s was recorded for the last business day, %s (looked in %s): record one on that day with "
		    "`sftpdrill snapshot DRILL` or the daily backup drill, or, if %s was not a business day, say so with "
		    "--non-business-day %s",
		    st->arg, date, dir, date, date);
		goto out;
	}
	sd_suite_prop(s->suite, "baseline.manifest", path);
	if (sd_manifest_read(path, &old, err) < 0)
		goto out;
	want = (long long)sd_manifest_files(&old);
	sd_manifest_diff(&old, now, &added, &removed);
	if (added.n || removed.n) {
		char *a = name_list(&added), *r = name_list(&removed);
		*detail = sd_xasprintf("added since %s: %s\nremoved since %s: %s\n", date, added.n ? a : "none",
		    date, removed.n ? r : "none");
		if (!compare(st->cmp, have, want))
			sd_fail(err, SD_KIND_COUNT_MISMATCH, SD_PHASE_CHECK,
			    "%lld files in %s, %lld on %s (expected %s); added: %s; removed: %s", have, st->arg, want,
			    date, sd_cmp_name(st->cmp), added.n ? a : "none", removed.n ? r : "none");
		free(a);
		free(r);
		if (!compare(st->cmp, have, want))
			goto out;
	}
	*message = sd_xasprintf("%lld files in %s, %lld on %s (%s)%s", have, st->arg, want, date,
	    sd_cmp_name(st->cmp), added.n || removed.n ? "; names differ, see output" : "; same names");
	rc = 0;
out:
	sd_manifest_free(&old);
	sd_strv_free(&added);
	sd_strv_free(&removed);
	free(dir);
	free(path);
	return rc;
}

/* Counting alone keeps no names: memory stays flat whatever the folder's size. */
static int
count_entry(void *ctx, const struct sd_dirent *e)
{
	if (e->is_regular && !e->is_dir)
		(*(long long *)ctx)++;
	return 0;
}

static int
do_count(struct ep_state *s, int64_t deadline, char **message, char **detail, struct sd_err *err)
{
	const struct sd_step *st = s->step;
	struct sd_manifest now = { 0 };
	long long have = 0;
	int rc = -1;

	if (st->expect_baseline) {
		/* Against a baseline the names matter: what was added and removed is the answer. */
		if (list_manifest(s, st->arg, deadline, &now, err) == 0)
			rc = count_against_baseline(s, &now, message, detail, err);
		sd_manifest_free(&now);
		return rc;
	}
	if (sd_sftp_list(s->conn, st->arg, count_entry, &have, deadline, err) < 0)
		return -1;
	if (!compare(st->cmp, have, st->expect))
		return sd_fail(err, SD_KIND_COUNT_MISMATCH, SD_PHASE_CHECK, "%lld files in %s, expected %s %lld",
		    have, st->arg, sd_cmp_name(st->cmp), st->expect);
	*message = sd_xasprintf("%lld files in %s (expected %s %lld)", have, st->arg, sd_cmp_name(st->cmp), st->expect);
	return 0;
}

/* snapshot [DIR]: record the listing as the business date's manifest for this endpoint. */
static int
do_snapshot(struct ep_state *s, int64_t deadline, char **message, struct sd_err *err)
{
	const char *folder = s->step->arg ? s->step->arg : s->d->report_dir;
	struct sd_manifest m = { 0 };
	char date[16], recorded[32], *dir = NULL, *path = NULL;
	const char *header[] = { "profile", s->d->profile_name, "user", s->d->user, "folder", folder,
		"endpoint", s->ep->label, "business-date", date, "recorded", recorded, NULL };
	int rc = -1;

	sd_date_format(s->o->business_day, 0, date, sizeof(date));
	sd_utc_iso(time(NULL), recorded, sizeof(recorded));
	if (list_manifest(s, folder, deadline, &m, err) < 0)
		goto out;
	dir = sd_baseline_dir(s->d->baseline_dir, s->d->profile_name, s->d->user, folder, s->o->business_day);
	path = sd_baseline_file(dir, s->ep->label);
	if (sd_manifest_write(&m, path, header, err) < 0)
		goto out;
	sd_suite_prop(s->suite, "snapshot.manifest", path);
	*message = sd_xasprintf("%zu files (%zu entries) in %s recorded for %s", sd_manifest_files(&m), m.n,
	    folder, date);
	rc = 0;
out:
	sd_manifest_free(&m);
	free(dir);
	free(path);
	return rc;
}

/* key-unchanged: the user key and this endpoint's host key equal the recorded reference. */
static int
do_key_unchanged(struct ep_state *s, char **message, struct sd_err *err)
{
	const struct sd_conn_info *i = sd_conn_get_info(s->conn);
	char *dir = sd_baseline_dir(s->d->baseline_dir, s->d->profile_name, s->d->user, "keys", 0);
	char *slash = strrchr(dir, '/'), *path, *hostname;
	int rec_user = 0, rec_host = 0, rc = -1;

	/* One reference file per profile and user, beside the dated manifest folders. */
	*slash = '\0';
	path = sd_xasprintf("%s/key-reference", dir);
	hostname = sd_xasprintf("hostkey@%s", s->ep->label);
	if (sd_keyref_check(path, "userkey", i->userkey_fp, &rec_user, err) < 0 ||
	    sd_keyref_check(path, hostname, i->hostkey_fp, &rec_host, err) < 0)
		goto out;
	sd_suite_prop(s->suite, "key.reference", path);
	*message = rec_user || rec_host ?
	    sd_xasprintf("reference recorded now in %s (user key %s, host key %s)", path, i->userkey_fp, i->hostkey_fp) :
	    sd_xasprintf("user key %s and host key %s unchanged since the reference", i->userkey_fp, i->hostkey_fp);
	rc = 0;
out:
	free(dir);
	free(path);
	free(hostname);
	return rc;
}

struct matches {
	const char *pattern;
	struct sd_manifest found;
	size_t limit;
};

static int
match_entry(void *ctx, const struct sd_dirent *e)
{
	struct matches *m = ctx;

	if (e->is_regular && !e->is_dir && fnmatch(m->pattern, e->name, FNM_PERIOD) == 0 &&
	    m->found.n < m->limit)
		sd_manifest_add(&m->found, e->name, 'f', e->size, e->has_size ? 0 : -1);
	return 0;
}

/*
 * Is local/name already the file we backed up, unchanged? Same size as the
 * remote and the SHA-256 recorded in SHA256SUMS: then it is not fetched again.
 */
static int
already_backed_up(const char *local, uint64_t remote_size, const char *recorded)
{
	struct stat st;
	char hex[65];

	return recorded != NULL && stat(local, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == remote_size && sd_sha256_file(local, hex) == 0 &&
	    strcmp(hex, recorded) == 0;
}

/*
 * download DIR/PATTERN [to DEST]. Without `to`, a verification: every match
 * is transferred into download-dir/<endpoint>/. With `to`, a backup: into
 * DEST, skipping files already backed up unchanged, keeping DEST/SHA256SUMS.
 */
static int
do_download(struct ep_state *s, int64_t deadline, char **message, char **detail, struct sd_err *err)
{
	const struct sd_step *st = s->step;
	const char *arg = st->arg, *slash = strrchr(arg, '/');
	char *dir = slash ? sd_xstrndup(arg, (size_t)(slash - arg)) : sd_xstrdup(".");
	const char *pattern = slash ? slash + 1 : arg;
	char folder[300], *local_dir, *sums_path = NULL;
	struct matches m = { pattern, { 0 }, 100000 };
	struct sd_sums sums = { 0 };
	struct sd_buf lines = SD_BUF_INIT(0);
	size_t fetched = 0, kept = 0;
	int rc = -1;
	uint64_t total = 0;

	if (dir[0] == '\0') {
		free(dir);
		dir = sd_xstrdup("/");
	}
	sd_endpoint_dirname(s->ep->label, folder, sizeof(folder));
	local_dir = st->dest ? sd_xstrdup(st->dest) :
	    sd_xasprintf("%s/%s", s->d->download_dir ? s->d->download_dir : "reports/downloads", folder);
	if (st->dest) {
		sums_path = sd_xasprintf("%s/SHA256SUMS", local_dir);
		sd_sums_read(&sums, sums_path);
	}
	if (strpbrk(pattern, "*?[") != NULL) {
		if (sd_sftp_list(s->conn, dir, match_entry, &m, deadline, err) < 0)
			goto out;
		if (m.found.n == 0) {
			sd_fail(err, SD_KIND_FILE_MISSING, SD_PHASE_CHECK, "no file in %s matches %s", dir, pattern);
			goto out;
		}
		sd_manifest_sort(&m.found);
	} else
		sd_manifest_add(&m.found, pattern, 'f', 0, -1);
	for (size_t i = 0; i < m.found.n; i++) {
		const struct sd_manifest_entry *e = &m.found.v[i];
		char *path = sd_xasprintf("%s/%s", local_dir, e->name), *remote;
		struct sd_download dl = { 0 };
		int r = 0, skipped = 0;

		/* A size from the listing lets an unchanged backup be skipped without a transfer. */
		if (st->dest && e->mtime == 0 && sd_safe_local_name(e->name) &&
		    already_backed_up(path, e->size, sd_sums_get(&sums, e->name))) {
			snprintf(dl.sha256, sizeof(dl.sha256), "%s", sd_sums_get(&sums, e->name));
			dl.bytes = e->size;
			skipped = 1;
			kept++;
		} else {
			remote = sd_xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", e->name);
			r = sd_sftp_download(s->conn, remote, local_dir, e->name, on_progress, s, deadline, &dl, err);
			free(remote);
			if (r == 0 && dl.already_present)
				kept++;
			else if (r == 0)
				fetched++;
		}
		if (r < 0) {
			free(path);
			goto out;
		}
		if (st->dest)
			sd_sums_set(&sums, e->name, dl.sha256);
		pthread_mutex_lock(s->lock);
		sd_run_add_file(s->run, path, s->ep->label, dl.sha256);
		pthread_mutex_unlock(s->lock);
		sd_buf_addf(&lines, "%s  %s  %llu bytes%s\n", dl.sha256, path, (unsigned long long)dl.bytes,
		    skipped ? " (already backed up unchanged; not fetched)" :
		    dl.already_present ? " (identical file already present)" : "");
		free(path);
		total += dl.bytes;
	}
	if (st->dest && sd_sums_write(&sums, sums_path, err) < 0)
		goto out;
	if (st->dest)
		*message = sd_xasprintf("%zu files, %llu bytes in %s: %zu fetched, %zu already backed up unchanged",
		    m.found.n, (unsigned long long)total, local_dir, fetched, kept);
	else if (m.found.n == 1)
		*message = sd_xasprintf("%s: %llu bytes, size matches, sha256 recorded", m.found.v[0].name,
		    (unsigned long long)total);
	else
		*message = sd_xasprintf("%zu files, %llu bytes, sizes match, sha256 recorded", m.found.n,
		    (unsigned long long)total);
	rc = 0;
out:
	/* Whatever was fetched before a failure is recorded, so the next run does not fetch it again. */
	if (rc < 0 && st->dest && sums.entries.n > 0) {
		struct sd_err ignore;
		sd_sums_write(&sums, sums_path, &ignore);
	}
	if (lines.len > 0)
		*detail = sd_buf_detach(&lines);
	sd_buf_release(&lines);
	sd_manifest_free(&m.found);
	sd_sums_free(&sums);
	free(sums_path);
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

static void
drop_connection(struct ep_state *s)
{
	sd_conn_close(s->conn, sd_now_ms() + 1000, NULL);
	s->conn = NULL;
}

/* After a cut or an abandoned operation libssh2's state is unknown: that connection is never reused. */
static void
drop_if_lost(struct ep_state *s, enum sd_kind kind)
{
	if (s->conn != NULL && (sd_kind(kind)->flags & SD_KIND_DROPS_CONNECTION))
		drop_connection(s);
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
		return do_expect_target(s, deadline, message, err);
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
		return do_count(s, deadline, message, detail, err);
	case SD_VERB_DOWNLOAD:
		if (do_login(s, deadline, err) < 0)
			return -1;
		return do_download(s, deadline, message, detail, err);
	case SD_VERB_LOGOUT:
		return do_logout(s, message, err);
	case SD_VERB_SNAPSHOT:
		if (do_login(s, deadline, err) < 0)
			return -1;
		return do_snapshot(s, deadline, message, err);
	case SD_VERB_KEY_UNCHANGED:
		if (do_login(s, deadline, err) < 0)
			return -1;
		return do_key_unchanged(s, message, err);
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
		c->kind = SD_KIND_SKIPPED;
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
		c->kind = err.kind;
		c->status = sd_kind(err.kind)->status;
		c->phase = err.phase;
		c->ssh_code = err.ssh_code;
		c->sftp_code = err.sftp_code;
		free(c->message);
		c->message = sd_xstrdup(err.msg[0] ? err.msg : "failed");
		if (c->status != SD_FAIL || tries >= st->retries)
			break;
		emit(s, SD_EV_WARNING, NULL, c->message);
		/* The next attempt starts from a fresh connection where this one broke or never finished. */
		if (st->verb == SD_VERB_CONNECT || st->verb == SD_VERB_LOGIN)
			drop_connection(s);
		else
			drop_if_lost(s, c->kind);
		usleep((useconds_t)(backoff * 1000));
		if (backoff < 60000)
			backoff *= 2;
	}
	if (c->status != SD_PASS && st->verb != SD_VERB_EXPECT_TARGET) {
		drop_if_lost(s, c->kind);
		if (s->conn == NULL || (st->verb != SD_VERB_CONNECT && !sd_conn_logged_in(s->conn))) {
			s->connect_failed = 1;
			snprintf(s->dead_step, sizeof(s->dead_step), "step \"%s\" failed (%s)", st->name, sd_kind_name(c->kind));
		}
	}
done:
	c->time = (double)(sd_now_ms() - t0) / 1000.0;
	emit(s, SD_EV_STEP_END, c, NULL);
}

/* Everything one endpoint does, from its first step to its last; one thread each in parallel runs. */
static void *
run_endpoint(void *arg)
{
	struct ep_state *s = arg;
	int64_t t0 = sd_now_ms();

	emit(s, SD_EV_SUITE_BEGIN, NULL, NULL);
	for (size_t k = 0; k < s->d->nsteps; k++)
		run_step(s, &s->d->steps[k]);
	if (s->conn != NULL)
		sd_conn_close(s->conn, sd_now_ms() + s->d->timeouts.sftp_op, NULL);
	s->conn = NULL;
	s->suite->time = (double)(sd_now_ms() - t0) / 1000.0;
	s->step = NULL;
	emit(s, SD_EV_SUITE_END, NULL, NULL);
	return NULL;
}

/* A bounded pool: each worker takes the next endpoint until none is left. */
struct pool {
	struct ep_state *states;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *
pool_worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		run_endpoint(&p->states[i]);
	}
}

int
sd_run_drill(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct sd_calendar cal = { 0 };
	struct ep_state *states;
	pthread_t *threads;
	int *started;
	char host[256] = "", bdate[16];
	size_t n = set ? set->n : 0;

	gethostname(host, sizeof(host) - 1);
	if (run->started == 0)
		run->started = time(NULL);
	sd_date_format(o->business_day, 0, bdate, sizeof(bdate));
	for (size_t i = 0; i < o->nclosures; i++)
		sd_calendar_close(&cal, o->closures[i]);
	for (size_t i = 0; i < d->holidays.n; i++) {
		struct sd_err err;
		if (sd_calendar_load(&cal, d->holidays.v[i], &err) < 0) {
			/* Without its calendar the baseline day would be guessed: say so, loudly. */
			struct sd_event ev = { SD_EV_WARNING, d, NULL, NULL, NULL, NULL, err.msg, 0, 0, SD_PHASE_CONFIG };
			if (o->on_event)
				o->on_event(o->ctx, &ev);
		}
	}
	states = sd_xcalloc(n ? n : 1, sizeof(*states));
	threads = sd_xcalloc(n ? n : 1, sizeof(*threads));
	started = sd_xcalloc(n ? n : 1, sizeof(*started));
	/* Suites are made here, in the set's order, so results read the same serial or parallel. */
	for (size_t i = 0; i < n; i++) {
		struct ep_state *s = &states[i];

		*s = (struct ep_state){ d, o, &set->v[i], NULL, run, NULL, NULL, &cal, &lock, 0, "" };
		s->suite = sd_run_add_suite(run, d->name, set->v[i].label);
		sd_suite_prop(s->suite, "drill", d->name);
		sd_suite_prop(s->suite, "drill.file", d->path);
		sd_suite_prop(s->suite, "endpoint", set->v[i].label);
		sd_suite_prop(s->suite, "target", d->target);
		sd_suite_prop(s->suite, "window", d->window);
		sd_suite_prop(s->suite, "business.date", bdate);
		sd_suite_prop(s->suite, "tool", "sftpdrill " SFTPDRILL_VERSION);
		sd_suite_prop(s->suite, "libraries", sd_library_versions());
		sd_suite_prop(s->suite, "operator", o->operator_name);
		sd_suite_prop(s->suite, "hostname", host);
	}
	{
		struct pool pool = { states, n, 0, PTHREAD_MUTEX_INITIALIZER };
		size_t workers = !o->parallel ? 0 : o->jobs > 0 && (size_t)o->jobs < n ? (size_t)o->jobs : n;

		for (size_t i = 0; i < workers; i++)
			started[i] = pthread_create(&threads[i], NULL, pool_worker, &pool) == 0;
		/* This thread works too: serial runs, and whatever no thread could be started for. */
		pool_worker(&pool);
		for (size_t i = 0; i < workers; i++)
			if (started[i])
				pthread_join(threads[i], NULL);
		pthread_mutex_destroy(&pool.lock);
	}
	free(states);
	free(threads);
	free(started);
	sd_calendar_free(&cal);
	pthread_mutex_destroy(&lock);
	return 0;
}
