/* verb_baseline.c — the verbs that compare with what was recorded: count, snapshot, key-unchanged. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libssh2_sftp.h>

#include "sftpdrill/baseline.h"
#include "verbs.h"

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
list_manifest(struct sd_step_ctx *s, const char *dir, struct sd_manifest *m, struct sd_err *err)
{
	if (s->t->list(s->conn, dir, manifest_entry, m, s->deadline, err) < 0)
		return -1;
	sd_manifest_sort(m);
	return 0;
}

/* "a, b, c (and N more; M in all)" of at most 20 names, shown safely. */
static void
name_list(const struct sd_strv *names, struct sd_buf *out)
{
	if (names->n == 0)
		sd_buf_adds(out, "none");
	for (size_t i = 0; i < names->n && i < 20; i++) {
		char *shown = sd_printable(names->v[i], strlen(names->v[i]));
		sd_buf_join(out, ", ", shown);
		free(shown);
	}
	if (names->n > 20)
		sd_buf_addf(out, " (and %zu more; %zu in all)", names->n - 20, names->n);
}

static int
compare(enum sd_cmp cmp, long long have, long long want)
{
	return cmp == SD_CMP_EQ ? have == want : cmp == SD_CMP_GE ? have >= want : have <= want;
}

/* The manifest of the last business day to compare with; NULL with err NoBaseline. Caller frees. */
static char *
find_baseline(struct sd_step_ctx *s, const char *date, long last, struct sd_err *err)
{
	char *dir = sd_baseline_dir(s->d->baseline_dir, s->d->profile_name, s->d->user, s->step->arg, last);
	char *path = sd_baseline_find(dir, s->ep->label);

	if (path == NULL)
		sd_fail(err, SD_KIND_NO_BASELINE, SD_PHASE_CHECK,
		    "no manifest of %s was recorded for the last business day, %s (looked in %s): record one on that day "
		    "with `sftpdrill snapshot DRILL` or the daily backup drill, or, if %s was not a business day, say so "
		    "with --non-business-day %s",
		    s->step->arg, date, dir, date, date);
	free(dir);
	return path;
}

/* count DIR OP baseline(last-business-day): the names matter, what was added and removed is the answer. */
static int
count_against_baseline(struct sd_step_ctx *s, const struct sd_manifest *now, struct sd_outcome *out,
    struct sd_err *err)
{
	const struct sd_step *st = s->step;
	long last = sd_calendar_last_business(s->cal, s->o->business_day);
	char date[16], *path;
	struct sd_manifest old = { 0 };
	struct sd_strv added = { 0 }, removed = { 0 };
	struct sd_buf a = SD_BUF_INIT(0), r = SD_BUF_INIT(0);
	long long have = (long long)sd_manifest_files(now), want = 0;
	int rc = -1;

	sd_date_format(last, 0, date, sizeof(date));
	sd_step_prop(s, "baseline.date", date);
	path = find_baseline(s, date, last, err);
	if (path == NULL)
		return -1;
	sd_step_prop(s, "baseline.manifest", path);
	if (sd_manifest_read(path, &old, err) < 0)
		goto out;
	want = (long long)sd_manifest_files(&old);
	sd_manifest_diff(&old, now, &added, &removed);
	name_list(&added, &a);
	name_list(&removed, &r);
	if (added.n || removed.n)
		sd_buf_addf(&out->detail, "added since %s: %s\nremoved since %s: %s\n", date, sd_buf_str(&a), date,
		    sd_buf_str(&r));
	if (!compare(st->cmp, have, want)) {
		sd_fail(err, SD_KIND_COUNT_MISMATCH, SD_PHASE_CHECK,
		    "%lld files in %s, %lld on %s (expected %s); added: %s; removed: %s", have, st->arg, want, date,
		    sd_cmp_name(st->cmp), sd_buf_str(&a), sd_buf_str(&r));
		goto out;
	}
	sd_buf_addf(&out->message, "%lld files in %s, %lld on %s (%s)%s", have, st->arg, want, date,
	    sd_cmp_name(st->cmp), added.n || removed.n ? "; names differ, see output" : "; same names");
	rc = 0;
out:
	sd_manifest_release(&old);
	sd_strv_release(&added);
	sd_strv_release(&removed);
	sd_buf_release(&a);
	sd_buf_release(&r);
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

int
sd_verb_count(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_step *st = s->step;
	struct sd_manifest now = { 0 };
	long long have = 0;
	int rc = -1;

	if (st->expect_baseline) {
		if (list_manifest(s, st->arg, &now, err) == 0)
			rc = count_against_baseline(s, &now, out, err);
		sd_manifest_release(&now);
		return rc;
	}
	if (s->t->list(s->conn, st->arg, count_entry, &have, s->deadline, err) < 0)
		return -1;
	if (!compare(st->cmp, have, st->expect))
		return sd_fail(err, SD_KIND_COUNT_MISMATCH, SD_PHASE_CHECK, "%lld files in %s, expected %s %lld",
		    have, st->arg, sd_cmp_name(st->cmp), st->expect);
	sd_buf_addf(&out->message, "%lld files in %s (expected %s %lld)", have, st->arg, sd_cmp_name(st->cmp),
	    st->expect);
	return 0;
}

int
sd_verb_snapshot(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const char *folder = s->step->arg ? s->step->arg : s->d->report_dir;
	struct sd_manifest m = { 0 };
	char date[16], recorded[32], *dir = NULL, *path = NULL;
	const char *header[] = { "profile", s->d->profile_name, "user", s->d->user, "folder", folder,
		"endpoint", s->ep->label, "business-date", date, "recorded", recorded, NULL };
	int rc = -1;

	sd_date_format(s->o->business_day, 0, date, sizeof(date));
	sd_utc_iso(time(NULL), recorded, sizeof(recorded));
	if (list_manifest(s, folder, &m, err) < 0)
		goto out;
	dir = sd_baseline_dir(s->d->baseline_dir, s->d->profile_name, s->d->user, folder, s->o->business_day);
	path = sd_baseline_file(dir, s->ep->label);
	if (sd_manifest_write(&m, path, header, err) < 0)
		goto out;
	sd_step_prop(s, "snapshot.manifest", path);
	sd_buf_addf(&out->message, "%zu files (%zu entries) in %s recorded for %s", sd_manifest_files(&m), m.n,
	    folder, date);
	rc = 0;
out:
	sd_manifest_release(&m);
	free(dir);
	free(path);
	return rc;
}

int
sd_verb_key_unchanged(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_conn_info *i = s->t->info(s->conn);
	char *path = sd_keyref_path(s->d->baseline_dir, s->d->profile_name, s->d->user);
	char *hostname = sd_xasprintf("hostkey@%s", s->ep->label);
	int rec_user = 0, rec_host = 0, rc = -1;

	if (sd_keyref_check(path, "userkey", i->userkey_fp, &rec_user, err) < 0 ||
	    sd_keyref_check(path, hostname, i->hostkey_fp, &rec_host, err) < 0)
		goto out;
	sd_step_prop(s, "key.reference", path);
	if (rec_user || rec_host)
		sd_buf_addf(&out->message, "reference recorded now in %s (user key %s, host key %s)", path,
		    i->userkey_fp, i->hostkey_fp);
	else
		sd_buf_addf(&out->message, "user key %s and host key %s unchanged since the reference", i->userkey_fp,
		    i->hostkey_fp);
	rc = 0;
out:
	free(path);
	free(hostname);
	return rc;
}
