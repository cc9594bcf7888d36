/* verb_download.c — download DIR/PATTERN [to DIR]: verification copies, or a backup kept with SHA256SUMS. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/backup.h"
#include "sftpdrill/baseline.h"
#include "verbs.h"

#define MAX_SHOWN 20

/* A file to fetch, as the listing announced it. */
struct wanted {
	char *name;                 /* the server's bytes (a NUL inside shows as a shorter string) */
	size_t name_len;
	uint64_t size;
	int has_size;
	const char *refused;        /* why it cannot become a local file, or NULL */
};

struct wanted_list {
	struct wanted *v;
	size_t n, cap;
	const char *pattern;
	int backup;                 /* a backup folder: its SHA256SUMS is the tool's own */
};

/* Why a remote name cannot be a local file here, or NULL when it can. */
static const char *
refusal(const char *name, size_t len, int backup)
{
	if (memchr(name, '\0', len) != NULL)
		return "a NUL byte inside the name";
	if (len > SD_NAME_MAX)
		return "longer than a local file name may be";
	if (backup && strcmp(name, SD_BACKUP_SUMS) == 0)
		return "the name of the backup folder's own checksum file";
	if (!sd_safe_local_name(name))
		return "/, .., invalid UTF-8 or control characters";
	return NULL;
}

static void
wanted_add(struct wanted_list *w, const char *name, size_t len, uint64_t size, int has_size)
{
	SD_GROW(w->v, w->n + 1, w->cap);
	w->v[w->n++] = (struct wanted){ .name = sd_xstrndup(name, len), .name_len = len, .size = size,
		.has_size = has_size, .refused = refusal(name, len, w->backup) };
}

static void
wanted_release(struct wanted_list *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].name);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

static int
match_entry(void *ctx, const struct sd_dirent *e)
{
	struct wanted_list *w = ctx;

	if (e->is_regular && !e->is_dir && fnmatch(w->pattern, e->name, FNM_PERIOD) == 0)
		wanted_add(w, e->name, e->name_len, e->size, e->has_size);
	return 0;
}

static int
cmp_wanted(const void *a, const void *b)
{
	const struct wanted *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The files to fetch: every regular file in dir matching a pattern, in name order, or the one named. */
static int
find_files(struct sd_step_ctx *s, const char *dir, const char *pattern, struct wanted_list *w, struct sd_err *err)
{
	if (strpbrk(pattern, "*?[") == NULL) {
		wanted_add(w, pattern, strlen(pattern), 0, 0);
		return 0;
	}
	w->pattern = pattern;
	if (s->t->list(s->conn, dir, match_entry, w, s->deadline, err) < 0)
		return -1;
	if (w->n == 0)
		return sd_fail(err, SD_KIND_FILE_MISSING, SD_PHASE_CHECK, "no file in %s matches %s", dir, pattern);
	qsort(w->v, w->n, sizeof(*w->v), cmp_wanted);
	return 0;
}

/* The running state of one download step. */
struct fetch {
	struct sd_step_ctx *s;
	const char *dir;            /* remote folder */
	char *local_dir;
	char *copy_dir;             /* the run's evidence folder for this endpoint, or NULL */
	struct sd_backup backup;    /* with `to DIR` */
	int is_backup;
	size_t fetched, kept, sized, refused;
	uint64_t total;
	struct sd_buf lines;        /* one line per file: SHA-256, path, size; or why it was refused */
	struct sd_buf refusals;     /* the refused names, shown escaped */
};

/* Fetch one file, or find it already backed up unchanged; adds its line. */
static int
fetch_one(struct fetch *f, const struct wanted *w, struct sd_err *err)
{
	struct sd_step_ctx *s = f->s;
	struct sd_download dl = { 0 };
	char *path = sd_xasprintf("%s/%s", f->local_dir, w->name), *remote;
	const char *note = "";
	int rc = 0;

	/* A size from the listing lets an unchanged backup be skipped without a transfer. */
	if (f->is_backup && w->has_size && sd_backup_unchanged(&f->backup, w->name, w->size, dl.sha256)) {
		dl.bytes = w->size;
		dl.size_known = 1;
		note = " (already backed up unchanged; not fetched)";
		f->kept++;
	} else {
		remote = sd_xasprintf("%s%s%s", f->dir, strcmp(f->dir, "/") ? "/" : "", w->name);
		struct sd_fetch req = { .remote = remote, .local_dir = f->local_dir, .local_name = w->name,
			.copy_dir = f->copy_dir, .progress = sd_step_progress, .pctx = s };
		rc = s->t->download(s->conn, &req, s->deadline, &dl, err);
		free(remote);
		if (rc == 0 && dl.already_present) {
			note = " (identical file already present)";
			f->kept++;
		} else if (rc == 0)
			f->fetched++;
	}
	if (rc == 0) {
		if (f->is_backup)
			sd_backup_record(&f->backup, w->name, dl.sha256);
		sd_step_add_file(s, path, dl.sha256);
		sd_buf_addf(&f->lines, "%s  %s  %llu bytes%s%s\n", dl.sha256, path, (unsigned long long)dl.bytes,
		    dl.size_known ? "" : " (size not announced by the server)", note);
		f->total += dl.bytes;
		f->sized += dl.size_known != 0;
	}
	free(path);
	return rc;
}

/* A name that cannot be a local file: noted, and the step goes on with the others. */
static void
refuse(struct fetch *f, const struct wanted *w)
{
	char *shown = sd_printable(w->name, w->name_len);

	if (f->refused < MAX_SHOWN)
		sd_buf_addf(&f->refusals, "%s\"%s\" (%s)", f->refused ? ", " : "", shown, w->refused);
	f->refused++;
	sd_buf_addf(&f->lines, "refused  \"%s\"  %s; not downloaded\n", shown, w->refused);
	free(shown);
}

static void
summarise(const struct fetch *f, const struct wanted_list *w, struct sd_outcome *out)
{
	const char *sizes = f->sized == w->n ? "sizes match" : f->sized == 0 ? "sizes not announced by the server" :
	    "sizes match where announced";

	if (f->is_backup) {
		sd_buf_addf(&out->message, "%zu files, %llu bytes in %s: %zu fetched, %zu already backed up unchanged",
		    w->n, (unsigned long long)f->total, f->local_dir, f->fetched, f->kept);
		sd_buf_addf(&out->note, "%zu fetched, %zu already backed up unchanged", f->fetched, f->kept);
	} else {
		/* Which files a pattern chose is worth seeing on a pass: the date in their names says which day. */
		sd_buf_adds(&out->note, "took ");
		for (size_t i = 0; i < w->n && i < 3; i++)
			if (!w->v[i].refused)
				sd_buf_addf(&out->note, "%s%s", i ? ", " : "", w->v[i].name);
		if (w->n > 3)
			sd_buf_addf(&out->note, " and %zu more", w->n - 3);
	}
	if (!f->is_backup && w->n == 1)
		sd_buf_addf(&out->message, "%s: %llu bytes, %s, sha256 recorded", w->v[0].name, (unsigned long long)f->total,
		    f->sized ? "size matches" : "size not announced by the server");
	else if (!f->is_backup)
		sd_buf_addf(&out->message, "%zu files, %llu bytes, %s, sha256 recorded", w->n, (unsigned long long)f->total,
		    sizes);
}

/* Where the files go: the backup folder, or download-dir/<host>_<port>/ for a verification. */
static char *
local_folder(const struct sd_step_ctx *s)
{
	char folder[300];

	if (s->step->dest)
		return sd_xstrdup(s->step->dest);
	sd_endpoint_dirname(s->ep->label, folder, sizeof(folder));
	return sd_xasprintf("%s/%s", s->d->download_dir, folder);
}

/* Where the evidence copies go as the data streams: EVIDENCE/downloads/<host>_<port>/, or NULL. */
static char *
copy_folder(const struct sd_step_ctx *s)
{
	char folder[300];

	if (s->o->evidence_dir == NULL)
		return NULL;
	sd_endpoint_dirname(s->ep->label, folder, sizeof(folder));
	return sd_xasprintf("%s/downloads/%s", s->o->evidence_dir, folder);
}

static int
record_backup(struct fetch *f, const struct wanted_list *w, struct sd_err *err)
{
	char *account = sd_step_account(f->s), *note;
	int rc;

	note = sd_xasprintf("%zu files in %s (%zu fetched, %zu already there)", w->n, f->local_dir, f->fetched, f->kept);
	rc = sd_ledger_add(account, f->s->o->business_day, f->s->ep->label, note, err);
	free(note);
	free(account);
	return rc;
}

/* Every wanted file in order; the refused are noted, the rest fetched. Stops at the first other failure. */
static int
fetch_all(struct fetch *f, const struct wanted_list *w, struct sd_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < w->n && rc == 0; i++) {
		if (w->v[i].refused)
			refuse(f, &w->v[i]);
		else
			rc = fetch_one(f, &w->v[i], err);
	}
	/* Whatever was fetched before a failure is recorded too, so the next run does not fetch it again. */
	if (f->is_backup && f->backup.added.n > 0) {
		struct sd_err ignore;
		if (sd_backup_commit(&f->backup, rc == 0 ? err : &ignore) < 0)
			rc = -1;
	}
	if (rc == 0 && f->refused > 0)
		rc = sd_fail(err, SD_KIND_UNSAFE_NAME, SD_PHASE_CHECK,
		    "%zu of %zu files refused: their names cannot be local file names: %s%s; the other %zu were %s",
		    f->refused, w->n, sd_buf_str(&f->refusals), f->refused > MAX_SHOWN ? " and more" : "",
		    w->n - f->refused, f->is_backup ? "backed up" : "downloaded");
	/* The business date is backed up: the ledger says so, for `no-missed-days` on the days to come. */
	if (rc == 0 && f->is_backup)
		rc = record_backup(f, w, err);
	return rc;
}

int
sd_verb_download(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const char *arg = s->step->arg, *slash = strrchr(arg, '/');
	char *dir = slash == arg ? sd_xstrdup("/") : slash ? sd_xstrndup(arg, (size_t)(slash - arg)) : sd_xstrdup(".");
	struct fetch f = { .s = s, .dir = dir, .local_dir = local_folder(s), .copy_dir = copy_folder(s), .is_backup = s->step->dest != NULL,
		.lines = SD_BUF_INIT(0), .refusals = SD_BUF_INIT(0) };
	struct wanted_list w = { .backup = f.is_backup };
	int rc = -1;

	if (f.is_backup && sd_backup_open(&f.backup, f.local_dir, err) < 0)
		goto out;
	/* What a crashed or killed run left half-written here goes now. */
	sd_remove_stale_temps(f.local_dir);
	if (find_files(s, dir, slash ? slash + 1 : arg, &w, err) < 0)
		goto out;
	rc = fetch_all(&f, &w, err);
	if (rc == 0)
		summarise(&f, &w, out);
	sd_buf_add(&out->detail, sd_buf_str(&f.lines), f.lines.len);
out:
	wanted_release(&w);
	if (f.is_backup)
		sd_backup_release(&f.backup);
	sd_buf_release(&f.lines);
	sd_buf_release(&f.refusals);
	free(f.local_dir);
	free(f.copy_dir);
	free(dir);
	return rc;
}
