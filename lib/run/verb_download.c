/* verb_download.c — download DIR/PATTERN [to DIR]: verification copies, or a backup kept with SHA256SUMS. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/domain/backup.h"
#include "sftpdrill/domain/baseline.h"
#include "verbs.h"

#define MAX_SHOWN 20

/* A file to fetch, as the listing announced it. */
struct wanted {
	char *name;                 /* the server's bytes (a NUL inside shows as a shorter string) */
	size_t name_len;
	uint64_t size;
	int has_size;
	int regular;                /* the listing said so (not merely "type unknown") */
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
wanted_add(struct wanted_list *w, const struct sd_dirent *e)
{
	SD_GROW(w->v, w->n + 1, w->cap);
	w->v[w->n++] = (struct wanted){ .name = sd_xstrndup(e->name, e->name_len), .name_len = e->name_len,
		.size = e->size, .has_size = e->has_size, .regular = e->type == SD_ENTRY_FILE,
		.refused = refusal(e->name, e->name_len, w->backup) };
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

	if (sd_dirent_maybe_file(e) && fnmatch(w->pattern, e->name, FNM_PERIOD) == 0)
		wanted_add(w, e);
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
		/* One file named: nothing listed it, so its open handle is asked for its size and type. */
		wanted_add(w, &(struct sd_dirent){ .name = pattern, .name_len = strlen(pattern) });
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
	char *copy_dir;             /* the run's evidence folder for this endpoint and remote folder, or NULL */
	char *evidence_dir;         /* the same under downloads/: "HOST_PORT/REMOTE-FOLDER" */
	struct sd_backup backup;    /* with `to DIR` */
	int is_backup;
	size_t fetched, kept, sized, refused;
	uint64_t total, fetched_bytes;
	struct sd_buf lines;        /* one line per file: SHA-256, path, size; or why it was refused */
	struct sd_buf refusals;     /* the refused names, shown escaped */
	struct sd_buf adapted;      /* what the server would not allow, and what the step did about it */
	enum got *got;              /* per wanted file */
	struct sd_download *dl;     /* per wanted file, once got */
	size_t *which;              /* per download of the batch: its wanted file */
	struct sd_fetch_stats stats;
};

/* What became of a wanted file. */
enum got { GOT_NOTHING, GOT_FETCHED, GOT_UNCHANGED };

/* One file's line and its hash recorded: fetched, already backed up unchanged, or identical already there. */
static void
record_one(struct fetch *f, const struct wanted *w, enum got got, const struct sd_download *dl)
{
	char *path = sd_xasprintf("%s/%s", f->local_dir, w->name), *evidence = sd_xasprintf("%s/%s", f->evidence_dir, w->name);
	const char *note = "";

	if (got == GOT_UNCHANGED || dl->already_present) {
		note = got == GOT_UNCHANGED ? " (already backed up unchanged; not fetched)" : " (identical file already present)";
		f->kept++;
	} else {
		f->fetched++;
		f->fetched_bytes += dl->bytes;
	}
	if (f->is_backup)
		sd_backup_record(&f->backup, w->name, dl->sha256);
	sd_step_add_file(f->s, path, evidence, dl->sha256);
	free(evidence);
	sd_buf_addf(&f->lines, "%s  %s  %llu bytes%s%s\n", dl->sha256, path, (unsigned long long)dl->bytes,
	    dl->size_known ? "" : " (size not announced by the server)", note);
	f->total += dl->bytes;
	f->sized += dl->size_known != 0;
	free(path);
}

/* A download of the batch finished: kept by the wanted file's place, reported in the listing's order. */
static void
fetched(void *ctx, size_t i, const struct sd_download *dl)
{
	struct fetch *f = ctx;

	f->got[f->which[i]] = GOT_FETCHED;
	f->dl[f->which[i]] = *dl;
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

/* A remote folder's place under an endpoint's: "HOST_PORT" or "HOST_PORT/REMOTE/FOLDER". Caller frees. */
static char *
endpoint_folder(const struct sd_step_ctx *s, const char *remote_dir)
{
	char folder[300], *rel = sd_remote_folder_path(remote_dir), *out;

	sd_endpoint_dirname(s->ep->label, folder, sizeof(folder));
	out = rel[0] ? sd_xasprintf("%s/%s", folder, rel) : sd_xstrdup(folder);
	free(rel);
	return out;
}

/*
 * Where the files go: the backup folder, or download-dir/HOST_PORT/REMOTE-FOLDER/ for a verification
 * (two remote folders' reports of one name never meet).
 */
static char *
local_folder(const struct sd_step_ctx *s, const char *evidence_dir)
{
	if (s->step->dest)
		return sd_xstrdup(s->step->dest);
	return sd_xasprintf("%s/%s", s->d->download_dir, evidence_dir);
}

/* Where the evidence copies go as the data streams: EVIDENCE/downloads/HOST_PORT/REMOTE-FOLDER/, or NULL. */
static char *
copy_folder(const struct sd_step_ctx *s, const char *evidence_dir)
{
	if (s->o->evidence_dir == NULL)
		return NULL;
	return sd_xasprintf("%s/downloads/%s", s->o->evidence_dir, evidence_dir);
}

static int
record_backup(struct fetch *f, const struct wanted_list *w, struct sd_err *err)
{
	char *account = sd_step_account(f->s), *note, n[32];
	int rc;

	/* What the backup fetched from this endpoint, for monitoring (--metrics). */
	snprintf(n, sizeof(n), "%zu", f->fetched);
	sd_step_prop(f->s, "backup.fetched", n);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)f->fetched_bytes);
	sd_step_prop(f->s, "backup.bytes", n);

	note = sd_xasprintf("%zu files in %s (%zu fetched, %zu already there)", w->n, f->local_dir, f->fetched, f->kept);
	rc = sd_ledger_add(account, f->s->o->business_day, f->s->ep->label, note, err);
	free(note);
	free(account);
	return rc;
}

/*
 * The files not fetched yet, moved to the front of req (and their places in
 * which); how many.
 */
static size_t
still_wanted(struct fetch *f, struct sd_fetch *req, size_t k)
{
	size_t left = 0;

	for (size_t j = 0; j < k; j++)
		if (f->got[f->which[j]] == GOT_NOTHING) {
			struct sd_fetch keep = req[left];
			req[left] = req[j];
			req[j] = keep;
			f->which[left++] = f->which[j];
		}
	return left;
}

/* What the server would not allow, in the step's note (shown on a pass) and detail. */
static void
say_adapted(struct fetch *f, const struct sd_fetch_stats *st)
{
	if (st->channel_refused && !st->channel_dropped)
		sd_buf_addf(&f->adapted, "%sthe server refused SFTP channel %zu: went on on %zu", f->adapted.len ? "; " : "",
		    st->channel_refused, st->channel_refused - 1);
	if (st->handles_allowed)
		sd_buf_addf(&f->adapted, "%sthe server refused an open with %zu file%s open: kept at most %zu open "
		    "(`limit inflight %zu` says so)", f->adapted.len ? "; " : "", st->handles_allowed,
		    st->handles_allowed == 1 ? "" : "s", st->handles_allowed, st->handles_allowed);
}

/* The n files of req as one batch on the connection, on at most max_channels (0: its `limit channels`). */
static int
one_batch(struct fetch *f, struct sd_fetch *req, size_t n, size_t max_channels, struct sd_err *err)
{
	struct sd_batch b = { .files = req, .n = n, .step_deadline = f->s->deadline, .max_channels = max_channels,
		.done = fetched, .ctx = f };
	int rc = f->s->t->download(f->s->conn, &b, err);

	say_adapted(f, &b.stats);
	/* The transfer line tells what the batch that finished the step did. */
	f->stats = b.stats;
	return rc;
}

/*
 * The files of req as one batch on the connection. A server that closes the
 * connection when an extra SFTP channel opens (some allow one or two) gets a
 * new connection and login, once, and the files not fetched yet on one
 * channel: our own parallelism never fails a file.
 */
static int
batch(struct fetch *f, struct sd_fetch *req, size_t k, struct sd_err *err)
{
	struct sd_step_ctx *s = f->s;
	int rc = one_batch(f, req, k, 0, err);

	if (rc == 0 || f->stats.channel_dropped == 0 || sd_cancelled(s->o->cancel))
		return rc;
	sd_buf_addf(&f->adapted, "%sthe server closed the connection when SFTP channel %zu opened: reconnected and "
	    "went on on one channel", f->adapted.len ? "; " : "", f->stats.channel_dropped);
	sd_step_emit(s, SD_EV_NOTE, sd_buf_str(&f->adapted));
	sd_step_drop(s);
	sd_err_clear(err);
	if (sd_step_connect(s, err) < 0 || sd_step_login(s, err) < 0)
		return -1;
	return one_batch(f, req, still_wanted(f, req, k), 1, err);
}

/*
 * Every wanted file: the refused are noted, the unchanged backed-up ones kept
 * without a transfer, the rest fetched as one batch (several at once on the
 * connection). After the first other failure no new file starts. The lines
 * come in the listing's order whatever order the files arrived in.
 */
static int
fetch_all(struct fetch *f, const struct wanted_list *w, struct sd_err *err)
{
	struct sd_step_ctx *s = f->s;
	struct sd_fetch *req = sd_xcalloc(w->n ? w->n : 1, sizeof(*req));
	size_t k = 0;
	int rc;

	f->got = sd_xcalloc(w->n ? w->n : 1, sizeof(*f->got));
	f->dl = sd_xcalloc(w->n ? w->n : 1, sizeof(*f->dl));
	f->which = sd_xcalloc(w->n ? w->n : 1, sizeof(*f->which));
	for (size_t i = 0; i < w->n; i++) {
		const struct wanted *x = &w->v[i];
		if (x->refused)
			continue;
		/* A size from the listing lets an unchanged backup be skipped without a transfer. */
		if (f->is_backup && x->has_size && sd_backup_unchanged(&f->backup, x->name, x->size, f->dl[i].sha256)) {
			f->got[i] = GOT_UNCHANGED;
			f->dl[i].bytes = x->size;
			f->dl[i].size_known = 1;
			continue;
		}
		req[k] = (struct sd_fetch){ .remote = sd_xasprintf("%s%s%s", f->dir, strcmp(f->dir, "/") ? "/" : "", x->name),
			.local_dir = f->local_dir, .local_name = x->name, .copy_dir = f->copy_dir, .progress = sd_step_progress,
			.pctx = s, .listed = x->has_size && x->regular, .listed_size = x->size };
		f->which[k++] = i;
	}
	rc = k ? batch(f, req, k, err) : 0;
	for (size_t i = 0; i < k; i++)
		free((char *)req[i].remote);
	free(req);
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].refused)
			refuse(f, &w->v[i]);
		else if (f->got[i] != GOT_NOTHING)
			record_one(f, &w->v[i], f->got[i], &f->dl[i]);
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
	char *where = endpoint_folder(s, dir);
	struct fetch f = { .s = s, .dir = dir, .local_dir = local_folder(s, where), .copy_dir = copy_folder(s, where),
		.evidence_dir = where, .is_backup = s->step->dest != NULL, .lines = SD_BUF_INIT(0), .refusals = SD_BUF_INIT(0),
		.adapted = SD_BUF_INIT(0) };
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
	if (f.adapted.len > 0) {
		sd_buf_addf(&out->note, "%s%s", out->note.len ? "; " : "", sd_buf_str(&f.adapted));
		sd_buf_addf(&out->detail, "server: %s\n", sd_buf_str(&f.adapted));
	}
	sd_buf_add(&out->detail, sd_buf_str(&f.lines), f.lines.len);
	/* How the transfer went over this line: what the next tuning would start from. */
	if (f.stats.most_in_flight > 0)
		sd_buf_addf(&out->detail, "transfer: at most %zu file%s in flight (limit inflight %llu) on %zu SFTP channel%s, "
		    "round trip %lld ms, read-ahead buffer up to %zu KiB\n", f.stats.most_in_flight,
		    f.stats.most_in_flight == 1 ? "" : "s", (unsigned long long)s->d->limits.max_inflight, f.stats.channels,
		    f.stats.channels == 1 ? "" : "s", (long long)f.stats.rtt_ms, f.stats.largest_buffer / 1024);
out:
	wanted_release(&w);
	free(f.got);
	free(f.dl);
	free(f.which);
	if (f.is_backup)
		sd_backup_release(&f.backup);
	sd_buf_release(&f.lines);
	sd_buf_release(&f.refusals);
	sd_buf_release(&f.adapted);
	free(f.local_dir);
	free(f.copy_dir);
	free(where);
	free(dir);
	return rc;
}
