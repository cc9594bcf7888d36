/* sftp.c — read-only SFTP v3 operations: the errors, streamed listings, stat (downloads: fetch.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "sftpdrill/engine/sftp.h"

/* libssh2 1.10 skips entries with name buffers under 4 KiB; a longer name grows it up to NAME_BUFFER_MAX. */
#define NAME_BUFFER 8192
#define NAME_BUFFER_MAX (256 * 1024)

static const char *
fx_name(unsigned long code)
{
	static const char *const names[] = {
		"OK", "EOF", "NO_SUCH_FILE", "PERMISSION_DENIED", "FAILURE", "BAD_MESSAGE",
		"NO_CONNECTION", "CONNECTION_LOST", "OP_UNSUPPORTED", "INVALID_HANDLE",
		"NO_SUCH_PATH", "FILE_ALREADY_EXISTS", "WRITE_PROTECT", "NO_MEDIA",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "UNKNOWN";
}

int
sd_conn_channel_error(struct sd_conn *c, LIBSSH2_SFTP *sftp, int rc, const char *what, const char *path, struct sd_err *err)
{
	char *shown = sd_printable(path, strlen(path));
	unsigned long fx = 0;

	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		/* The SFTP status means something only after an SFTP protocol error. */
		fx = libssh2_sftp_last_error(sftp);
		if (fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH)
			sd_fail(err, SD_KIND_FILE_MISSING, SD_PHASE_SFTP, "%s: %s %s: no such file or folder on the server",
			    c->label, what, shown);
		else if (fx == LIBSSH2_FX_PERMISSION_DENIED)
			sd_fail(err, SD_KIND_PERMISSION_DENIED, SD_PHASE_SFTP, "%s: %s %s: permission denied by the server",
			    c->label, what, shown);
		else
			sd_fail(err, SD_KIND_SFTP_ERROR, SD_PHASE_SFTP, "%s: %s %s: server answered %s (%lu)", c->label, what,
			    shown, fx_name(fx), fx);
	} else if (sd_ssh_is_disconnect(rc))
		sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_SFTP, "%s: connection lost during %s %s", c->label, what,
		    shown);
	else
		sd_fail(err, SD_KIND_SFTP_ERROR, SD_PHASE_SFTP, "%s: %s %s failed: %s (libssh2 %d)", c->label, what, shown,
		    sd_ssh_message(c->ssh), rc);
	if (err) {
		err->ssh_code = rc;
		err->sftp_code = fx;
	}
	free(shown);
	return -1;
}

int
sd_conn_sftp_error(struct sd_conn *c, int rc, const char *what, const char *path, struct sd_err *err)
{
	return sd_conn_channel_error(c, c->sftp, rc, what, path, err);
}

/* One SFTP request: what it works on, and what it brought back. */
struct request {
	const char *path;
	int type;                   /* LIBSSH2_SFTP_OPENFILE or _OPENDIR */
	LIBSSH2_SFTP_HANDLE *h;
};

static int
op_open(struct sd_conn *c, void *arg)
{
	struct request *r = arg;

	r->h = libssh2_sftp_open_ex(c->sftp, r->path, (unsigned)strlen(r->path), LIBSSH2_FXF_READ, 0, r->type);
	return r->h ? 0 : libssh2_session_last_errno(c->ssh);
}

static int
op_close(struct sd_conn *c, void *arg)
{
	(void)c;
	return libssh2_sftp_close_handle(((struct request *)arg)->h);
}

/* Open path (file or folder) within the deadlines; NULL with err on failure. */
static LIBSSH2_SFTP_HANDLE *
open_handle(struct sd_conn *c, const char *path, int type, int64_t step_deadline, struct sd_err *err)
{
	struct request r = { .path = path, .type = type };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_SFTP, step_deadline);
	int rc = sd_conn_repeat(c, op_open, &r, &w, err);

	if (rc != 0 && rc != SD_WAIT_FAILED)
		sd_conn_sftp_error(c, rc, type == LIBSSH2_SFTP_OPENDIR ? "open folder" : "open", path, err);
	return r.h;
}

void
sd_conn_close_handle(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h)
{
	struct request r = { .h = h };
	struct sd_err ignore;

	sd_conn_cleanup(c, op_close, &r, sd_now_ms() + c->to.sftp_op, SD_KIND_SFTP_TIMEOUT, &ignore);
}

void
sd_conn_dirent(struct sd_dirent *e, const char *name, size_t len, const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	unsigned long mode = a->permissions & LIBSSH2_SFTP_S_IFMT;

	*e = (struct sd_dirent){ .name = name, .name_len = len, .size = a->filesize, .mtime = a->mtime,
		.has_size = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) != 0,
		.has_mtime = (a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME) != 0 };
	if (!(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		e->type = SD_ENTRY_UNKNOWN;
	else
		e->type = mode == LIBSSH2_SFTP_S_IFREG ? SD_ENTRY_FILE : mode == LIBSSH2_SFTP_S_IFDIR ? SD_ENTRY_DIR :
		    mode == LIBSSH2_SFTP_S_IFLNK ? SD_ENTRY_LINK : SD_ENTRY_OTHER;
}

int
sd_dirent_maybe_file(const struct sd_dirent *e)
{
	return e->type == SD_ENTRY_FILE || e->type == SD_ENTRY_UNKNOWN;
}

/* A listing in progress: the name buffer (grown for long names) and what the limits allow. */
struct listing {
	struct sd_conn *c;
	LIBSSH2_SFTP_HANDLE *h;
	const char *dir;
	char *name;
	size_t size;
	uint64_t entries, name_bytes;
};

/* One entry: its length (0 at the end), or -1 with err. EAGAIN and short buffers are handled here. */
static int
next_entry(struct listing *l, LIBSSH2_SFTP_ATTRIBUTES *attrs, int64_t *deadline, int64_t step_deadline,
    struct sd_err *err)
{
	for (;;) {
		/* No long entry: that "ls -l" text is never used, and copying it costs per entry. */
		int n = libssh2_sftp_readdir_ex(l->h, l->name, l->size, NULL, 0, attrs);

		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sd_conn_wait(l->c, *deadline, step_deadline, SD_PHASE_SFTP, SD_KIND_SFTP_TIMEOUT, err) < 0)
				return -1;
			continue;
		}
		/* libssh2 keeps the entry for the next call: a bigger buffer gets it. */
		if (n == LIBSSH2_ERROR_BUFFER_TOO_SMALL && l->size < NAME_BUFFER_MAX) {
			l->size *= 2;
			l->name = sd_xrealloc(l->name, l->size);
			continue;
		}
		if (n < 0)
			return sd_conn_sftp_error(l->c, n, "list", l->dir, err);
		return n;
	}
}

/* Count an entry against the limits; -1 with ListingTooLarge past them. */
static int
within_limits(struct listing *l, size_t len, struct sd_err *err)
{
	const struct sd_limits *lim = &l->c->limits;
	char *shown;

	l->entries++;
	l->name_bytes += len;
	if (l->entries <= lim->max_entries && l->name_bytes <= lim->max_names)
		return 0;
	shown = sd_printable(l->dir, strlen(l->dir));
	sd_fail(err, SD_KIND_LISTING_TOO_LARGE, SD_PHASE_SFTP,
	    "%s: the listing of %s passed %llu entries or %llu bytes of names (`limit entries`, `limit names`); stopped "
	    "there", l->c->label, shown, (unsigned long long)lim->max_entries, (unsigned long long)lim->max_names);
	free(shown);
	return -1;
}

int
sd_sftp_list(struct sd_conn *c, const char *dir, sd_list_fn fn, void *ctx, int64_t step_deadline, struct sd_err *err)
{
	struct listing l = { .c = c, .dir = dir, .name = sd_xmalloc(NAME_BUFFER), .size = NAME_BUFFER };
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	int64_t deadline = sd_now_ms() + c->to.sftp_op;
	int rc = -1, n;

	l.h = open_handle(c, dir, LIBSSH2_SFTP_OPENDIR, step_deadline, err);
	for (n = l.h ? next_entry(&l, &attrs, &deadline, step_deadline, err) : -1; n > 0;
	    n = next_entry(&l, &attrs, &deadline, step_deadline, err)) {
		struct sd_dirent e;

		/* Each entry is progress: the operation deadline restarts. */
		deadline = sd_now_ms() + c->to.sftp_op;
		l.name[(size_t)n < l.size ? (size_t)n : l.size - 1] = '\0';
		if (within_limits(&l, (size_t)n, err) < 0)
			break;
		if (strcmp(l.name, ".") == 0 || strcmp(l.name, "..") == 0)
			continue;
		sd_conn_dirent(&e, l.name, (size_t)n, &attrs);
		if (fn(ctx, &e) != 0) {
			n = 0;
			break;
		}
	}
	if (n == 0)
		rc = 0;
	if (l.h)
		sd_conn_close_handle(c, l.h);
	free(l.name);
	return rc;
}

/* One stat request: what it asks about and what it brought back. */
struct stat_request {
	const char *path;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
};

static int
op_stat(struct sd_conn *c, void *arg)
{
	struct stat_request *r = arg;

	return libssh2_sftp_stat_ex(c->sftp, r->path, (unsigned)strlen(r->path), LIBSSH2_SFTP_STAT, &r->attrs);
}

int
sd_sftp_stat(struct sd_conn *c, const char *path, struct sd_dirent *e, int64_t step_deadline, struct sd_err *err)
{
	struct stat_request r = { .path = path };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_SFTP, step_deadline);
	int rc = sd_conn_repeat(c, op_stat, &r, &w, err);

	if (rc == SD_WAIT_FAILED)
		return -1;
	if (rc != 0)
		return sd_conn_sftp_error(c, rc, "stat", path, err);
	sd_conn_dirent(e, path, strlen(path), &r.attrs);
	return 0;
}
