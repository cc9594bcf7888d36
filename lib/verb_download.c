/* verb_download.c — download DIR/PATTERN [to DIR]: verification copies, or a backup kept with SHA256SUMS. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/backup.h"
#include "verbs.h"

#define MAX_MATCHES 100000

/* A file to fetch, as the listing announced it. */
struct wanted {
	char *name;
	uint64_t size;
	int has_size;
};

struct wanted_list {
	struct wanted *v;
	size_t n, cap;
	const char *pattern;
};

static void
wanted_add(struct wanted_list *w, const char *name, uint64_t size, int has_size)
{
	SD_GROW(w->v, w->n + 1, w->cap);
	w->v[w->n++] = (struct wanted){ .name = sd_xstrdup(name), .size = size, .has_size = has_size };
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

	if (e->is_regular && !e->is_dir && w->n < MAX_MATCHES && fnmatch(w->pattern, e->name, FNM_PERIOD) == 0)
		wanted_add(w, e->name, e->size, e->has_size);
	return 0;
}

static int
cmp_wanted(const void *a, const void *b)
{
	return strcmp(((const struct wanted *)a)->name, ((const struct wanted *)b)->name);
}

/* The files to fetch: every regular file in dir matching a pattern, in name order, or the one named. */
static int
find_files(struct sd_step_ctx *s, const char *dir, const char *pattern, struct wanted_list *w, struct sd_err *err)
{
	if (strpbrk(pattern, "*?[") == NULL) {
		wanted_add(w, pattern, 0, 0);
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
	struct sd_backup backup;    /* with `to DIR` */
	int is_backup;
	size_t fetched, kept;
	uint64_t total;
	struct sd_buf lines;        /* one line per file: SHA-256, path, size */
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
	if (f->is_backup && w->has_size && sd_safe_local_name(w->name) &&
	    sd_backup_unchanged(&f->backup, w->name, w->size, dl.sha256)) {
		dl.bytes = w->size;
		note = " (already backed up unchanged; not fetched)";
		f->kept++;
	} else {
		remote = sd_xasprintf("%s%s%s", f->dir, strcmp(f->dir, "/") ? "/" : "", w->name);
		rc = s->t->download(s->conn, remote, f->local_dir, w->name, sd_step_progress, s, s->deadline, &dl, err);
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
		sd_buf_addf(&f->lines, "%s  %s  %llu bytes%s\n", dl.sha256, path, (unsigned long long)dl.bytes, note);
		f->total += dl.bytes;
	}
	free(path);
	return rc;
}

static void
summarise(const struct fetch *f, const struct wanted_list *w, struct sd_outcome *out)
{
	if (f->is_backup)
		sd_buf_addf(&out->message, "%zu files, %llu bytes in %s: %zu fetched, %zu already backed up unchanged",
		    w->n, (unsigned long long)f->total, f->local_dir, f->fetched, f->kept);
	else if (w->n == 1)
		sd_buf_addf(&out->message, "%s: %llu bytes, size matches, sha256 recorded", w->v[0].name,
		    (unsigned long long)f->total);
	else
		sd_buf_addf(&out->message, "%zu files, %llu bytes, sizes match, sha256 recorded", w->n,
		    (unsigned long long)f->total);
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

int
sd_verb_download(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err)
{
	const char *arg = s->step->arg, *slash = strrchr(arg, '/');
	char *dir = slash == arg ? sd_xstrdup("/") : slash ? sd_xstrndup(arg, (size_t)(slash - arg)) : sd_xstrdup(".");
	struct fetch f = { .s = s, .dir = dir, .local_dir = local_folder(s), .is_backup = s->step->dest != NULL,
		.lines = SD_BUF_INIT(0) };
	struct wanted_list w = { 0 };
	int rc = -1;

	if (f.is_backup && sd_backup_open(&f.backup, f.local_dir, err) < 0)
		goto out;
	if (find_files(s, dir, slash ? slash + 1 : arg, &w, err) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < w.n && rc == 0; i++)
		rc = fetch_one(&f, &w.v[i], err);
	/* Whatever was fetched before a failure is recorded too, so the next run does not fetch it again. */
	if (f.is_backup && f.backup.added.n > 0) {
		struct sd_err ignore;
		if (sd_backup_commit(&f.backup, rc == 0 ? err : &ignore) < 0)
			rc = -1;
	}
	if (rc == 0)
		summarise(&f, &w, out);
	sd_buf_add(&out->detail, sd_buf_str(&f.lines), f.lines.len);
out:
	wanted_release(&w);
	if (f.is_backup)
		sd_backup_release(&f.backup);
	sd_buf_release(&f.lines);
	free(f.local_dir);
	free(dir);
	return rc;
}
