/* verb_baseline.c — the verbs that compare with what was recorded: count, snapshot, key-unchanged. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sftpdrill/domain/baseline.h"
#include "verbs.h"

/* Collect a folder's listing as a manifest. */
static int
manifest_entry(void *ctx, const struct sd_dirent *e)
{
	static const char letter[] = { [SD_ENTRY_UNKNOWN] = '?', [SD_ENTRY_FILE] = 'f', [SD_ENTRY_DIR] = 'd',
		[SD_ENTRY_LINK] = 'l', [SD_ENTRY_OTHER] = 'o' };
	char type = letter[e->type];

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
	char *account = sd_step_account(s), *dir = sd_baseline_dir(account, s->step->arg, last);
	char *path = sd_baseline_find(dir, s->ep->label);

	free(account);
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
	if (added.n || removed.n)
		sd_buf_addf(&out->note, "the count holds but the names changed since %s: added %s; removed %s", date,
		    sd_buf_str(&a), sd_buf_str(&r));
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
	if (sd_dirent_maybe_file(e))
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

/*
 * A past business date's listing, rebuilt from today's: only the entries
 * changed by the end of that day (in the site's zone) are kept, entries
 * with no time are kept and counted. What was deleted since cannot come
 * back; the manifest and the result say it was reconstructed.
 */
static void
reconstruct(struct sd_step_ctx *s, struct sd_manifest *m, size_t *later, size_t *untimed)
{
	int64_t end = (int64_t)(s->o->business_day + 1) * 86400 - s->o->utc_offset;
	size_t k = 0;

	*later = *untimed = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].mtime >= end) {
			free(m->v[i].name);
			(*later)++;
			continue;
		}
		*untimed += m->v[i].mtime < 0;
		m->v[k++] = m->v[i];
	}
	m->n = k;
}

int
sd_verb_snapshot(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const char *folder = s->step->arg ? s->step->arg : s->d->report_dir;
	struct sd_manifest m = { 0 };
	char date[16], recorded[32], how[200] = "listed that day", *account = sd_step_account(s), *dir = NULL,
	    *path = NULL;
	const char *header[] = { "service", s->d->service, "user", s->d->user, "folder", folder,
		"endpoint", s->ep->label, "business-date", date, "recorded", recorded, "source", how, NULL };
	/* A catch-up for a past date must not record today's listing as that date's. */
	int past = s->o->today > s->o->business_day, rc = -1;
	size_t later = 0, untimed = 0;

	sd_date_format(s->o->business_day, 0, date, sizeof(date));
	sd_utc_iso(time(NULL), recorded, sizeof(recorded));
	if (list_manifest(s, folder, &m, err) < 0)
		goto out;
	if (past) {
		reconstruct(s, &m, &later, &untimed);
		snprintf(how, sizeof(how), "reconstructed on %sZ from a later listing: %zu entries changed after %s left "
		    "out, %zu without a time kept, deletions since cannot be seen", recorded, later, date, untimed);
	}
	dir = sd_baseline_dir(account, folder, s->o->business_day);
	path = sd_baseline_file(dir, s->ep->label);
	if (sd_manifest_write(&m, path, header, err) < 0)
		goto out;
	sd_step_prop(s, "snapshot.manifest", path);
	sd_step_prop(s, "snapshot.source", past ? "reconstructed" : "listed that day");
	sd_buf_addf(&out->message, "%zu files (%zu entries) in %s recorded for %s%s", sd_manifest_files(&m), m.n,
	    folder, date, past ? "; RECONSTRUCTED from today's listing (a catch-up): " : "");
	if (past) {
		sd_buf_addf(&out->message, "%zu entries changed after %s left out, %zu without a time kept", later, date,
		    untimed);
		sd_buf_addf(&out->note, "a catch-up: %s's baseline was reconstructed from today's listing", date);
	}
	rc = 0;
out:
	sd_manifest_release(&m);
	free(account);
	free(dir);
	free(path);
	return rc;
}

/* The business days from first to before up (exclusive) that the ledger lacks, at most max of them. */
static size_t
missing_days(const struct sd_calendar *cal, const long *days, size_t n, long first, long up, long *out, size_t max)
{
	size_t k = 0, j = 0;

	for (long d = first; d < up; d++) {
		while (j < n && days[j] < d)
			j++;
		if (sd_calendar_is_business(cal, d) && !(j < n && days[j] == d)) {
			if (k < max)
				out[k] = d;
			k++;
		}
	}
	return k;
}

int
sd_verb_no_missed_days(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	char *account = sd_step_account(s), first_s[16], date[16];
	long *days = NULL, missed[30], first;
	size_t n = 0, k;
	struct sd_buf list = SD_BUF_INIT(0);
	int rc = -1;

	if (sd_ledger_days(account, &days, &n, err) < 0)
		goto out;
	if (n == 0 || days[0] >= s->o->business_day) {
		sd_step_prop(s, "backup.missed.count", "0");
		sd_buf_adds(&out->message, "no backup recorded before this business date: nothing can have been missed");
		rc = 0;
		goto out;
	}
	/* A year at most: an account drilled once long ago does not raise a year of alarms. */
	first = days[0] > s->o->business_day - 366 ? days[0] : s->o->business_day - 366;
	sd_date_format(first, 0, first_s, sizeof(first_s));
	k = missing_days(s->cal, days, n, first, s->o->business_day, missed, 30);
	{
		char count[32];
		snprintf(count, sizeof(count), "%zu", k);
		sd_step_prop(s, "backup.missed.count", count);
	}
	if (k == 0) {
		sd_buf_addf(&out->message, "every business day from %s has a backup", first_s);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < k && i < 30; i++) {
		sd_date_format(missed[i], 0, date, sizeof(date));
		sd_buf_join(&list, " ", date);
	}
	sd_step_prop(s, "backup.missed", sd_buf_str(&list));
	sd_date_format(missed[0], 0, date, sizeof(date));
	sd_fail(err, SD_KIND_MISSED_BACKUP, SD_PHASE_CHECK,
	    "%zu business day%s since the first backup (%s) ha%s no backup: %s%s; catch each up with "
	    "`sftpdrill run --business-date DATE %s` (the oldest first: --business-date %s)", k, k == 1 ? "" : "s",
	    first_s, k == 1 ? "s" : "ve", sd_buf_str(&list), k > 30 ? " and more" : "", s->d->path, date);
out:
	sd_buf_release(&list);
	free(days);
	free(account);
	return rc;
}

int
sd_verb_key_unchanged(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const struct sd_conn_info *i = s->t->info(s->conn);
	char *account = sd_step_account(s), *path = sd_keyref_path(account);
	char *hostname = sd_xasprintf("hostkey@%s", s->ep->label);
	/* Once an account has a history, a missing reference is a warning sign, not a first run. */
	int first = !sd_account_has_history(account) || s->o->accept_new_key_reference;
	int rec_user = 0, rec_host = 0, rc = -1;

	/* A new endpoint's host key may be recorded once the user key matched its reference. */
	if (sd_keyref_check(path, "userkey", i->userkey_fp, first, &rec_user, err) < 0 ||
	    sd_keyref_check(path, hostname, i->hostkey_fp, 1, &rec_host, err) < 0)
		goto out;
	sd_step_prop(s, "key.reference", path);
	if (rec_user || rec_host) {
		sd_buf_addf(&out->message, "reference recorded now in %s (user key %s, host key %s)", path,
		    i->userkey_fp, i->hostkey_fp);
		sd_buf_addf(&out->note, "first sight: the %s fingerprint was recorded as the reference; from now on a "
		    "different key fails", rec_user ? "user key's" : "host key's");
	}
	else
		sd_buf_addf(&out->message, "user key %s and host key %s unchanged since the reference", i->userkey_fp,
		    i->hostkey_fp);
	rc = 0;
out:
	free(account);
	free(path);
	free(hostname);
	return rc;
}
