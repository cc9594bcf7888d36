/* sftp.c — read-only SFTP v3 operations: streamed listing and safe, hashed downloads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include <openssl/evp.h>

#include "conn.h"
#include "sftpdrill/sftp.h"

/*
 * libssh2 keeps about four times the read buffer in flight, in requests of
 * at most 30000 bytes: the buffer size sets the pipeline depth.
 */
#define READ_BUFFER (256 * 1024)
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
sd_conn_sftp_error(struct sd_conn *c, int rc, const char *what, const char *path, struct sd_err *err)
{
	char *shown = sd_printable(path, strlen(path));
	unsigned long fx = 0;

	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		/* The SFTP status means something only after an SFTP protocol error. */
		fx = libssh2_sftp_last_error(c->sftp);
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

/* One SFTP request: what it works on, and what it brought back. */
struct request {
	const char *path;
	int type;                   /* LIBSSH2_SFTP_OPENFILE or _OPENDIR */
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
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

static int
op_fstat(struct sd_conn *c, void *arg)
{
	struct request *r = arg;

	(void)c;
	return libssh2_sftp_fstat_ex(r->h, &r->attrs, 0);
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

/* Close a handle, bounded; failures to close are not interesting after the work is done. */
static void
close_handle(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h)
{
	struct request r = { .h = h };
	struct sd_err ignore;

	sd_conn_cleanup(c, op_close, &r, sd_now_ms() + c->to.sftp_op, SD_KIND_SFTP_TIMEOUT, &ignore);
}

/* A directory entry as the listing callback sees it. */
static void
fill_dirent(struct sd_dirent *e, const char *name, size_t len, const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	*e = (struct sd_dirent){ .name = name, .name_len = len, .size = a->filesize, .mtime = a->mtime, .perm = a->permissions,
		.has_size = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) != 0,
		.has_mtime = (a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME) != 0,
		.has_perm = (a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0 };
	e->is_dir = e->has_perm && LIBSSH2_SFTP_S_ISDIR(a->permissions);
	e->is_regular = !e->has_perm || LIBSSH2_SFTP_S_ISREG(a->permissions);
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
		fill_dirent(&e, l.name, (size_t)n, &attrs);
		if (fn(ctx, &e) != 0) {
			n = 0;
			break;
		}
	}
	if (n == 0)
		rc = 0;
	if (l.h)
		close_handle(c, l.h);
	free(l.name);
	return rc;
}

/* Write all of buf; 0 or -1 with errno. */
static int
write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Stat the open file for its size, within the deadlines; a path that is not a regular file is refused. */
static int
remote_size(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h, const char *path, int64_t step_deadline, uint64_t *size,
    int *known, struct sd_err *err)
{
	struct request r = { .path = path, .h = h };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_SFTP, step_deadline);
	const LIBSSH2_SFTP_ATTRIBUTES *a = &r.attrs;
	int rc = sd_conn_repeat(c, op_fstat, &r, &w, err);

	if (rc == SD_WAIT_FAILED)
		return -1;
	if (rc < 0)
		return sd_conn_sftp_error(c, rc, "stat", path, err);
	*known = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) != 0;
	*size = a->filesize;
	if ((a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISREG(a->permissions)) {
		char *shown = sd_printable(path, strlen(path));
		sd_fail(err, SD_KIND_NOT_A_FILE, SD_PHASE_SFTP, "%s: %s is not a regular file", c->label, shown);
		free(shown);
		return -1;
	}
	return 0;
}

/* Publish tmp as final without ever replacing an existing file. */
static int
publish(const char *tmp, const char *final, const char *sha, struct sd_download *out, struct sd_err *err)
{
	char existing[65];
	struct stat st;

	if (link(tmp, final) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno != EEXIST)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create %s: %s", final, strerror(errno));
	/* A link, FIFO or device in the way is never read, followed or replaced. */
	if (lstat(final, &st) == 0 && !S_ISREG(st.st_mode)) {
		unlink(tmp);
		return sd_fail(err, SD_KIND_LOCAL_FILE_CONFLICT, SD_PHASE_LOCAL,
		    "%s is already there and is not a regular file (a link, FIFO or device); it was left as it is", final);
	}
	if (sd_sha256_file(final, existing) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "%s exists and cannot be read: %s", final,
		    strerror(errno));
	unlink(tmp);
	if (strcmp(existing, sha) == 0) {
		out->already_present = 1;
		return 0;
	}
	return sd_fail(err, SD_KIND_LOCAL_FILE_CONFLICT, SD_PHASE_LOCAL,
	    "%s already exists with different content (local sha256 %s, downloaded %s); it was kept as it is — move it "
	    "away to download again", final, existing, sha);
}

/* One download in progress: the remote handle, the temporary files, the running hash. */
struct transfer {
	struct sd_conn *c;
	const struct sd_fetch *f;
	LIBSSH2_SFTP_HANDLE *h;
	const char *name;
	int fd;
	char *tmp;
	int copy_fd;                /* the evidence copy's temporary file, or -1 */
	char *copy_tmp;
	int reflink;                /* the copy is a reflink made at the end, not written as data streams */
	EVP_MD_CTX *md;
	struct sd_download *out;
};

/* Would n more bytes pass what the server announced, or (nothing announced) the size limit? */
static int
over_limit(struct transfer *x, uint64_t n, struct sd_err *err)
{
	const struct sd_download *out = x->out;

	if (out->size_known && out->bytes + n > out->remote_size) {
		sd_fail(err, SD_KIND_SIZE_MISMATCH, SD_PHASE_TRANSFER,
		    "%s: the server announced %llu bytes of %s but sent more; stopped at once, nothing was kept", x->c->label,
		    (unsigned long long)out->remote_size, x->name);
		return 1;
	}
	if (!out->size_known && out->bytes + n > x->c->limits.max_size) {
		sd_fail(err, SD_KIND_FILE_TOO_LARGE, SD_PHASE_TRANSFER,
		    "%s: the server announced no size for %s and sent more than %llu bytes (`limit size`); stopped, nothing "
		    "was kept", x->c->label, x->name, (unsigned long long)x->c->limits.max_size);
		return 1;
	}
	return 0;
}

/* Read the whole file into the temporary file, hashing on the way. */
static int
stream(struct transfer *x, int64_t step_deadline, struct sd_err *err)
{
	struct sd_conn *c = x->c;
	char *buf = sd_xmalloc(READ_BUFFER);
	int64_t deadline = sd_now_ms() + c->to.sftp_op;
	ssize_t n;
	int rc = 0;

	while (rc == 0) {
		n = libssh2_sftp_read(x->h, buf, READ_BUFFER);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			rc = sd_conn_wait(c, deadline, step_deadline, SD_PHASE_TRANSFER, SD_KIND_TRANSFER_TIMEOUT, err);
			continue;
		}
		if (n == 0)
			break;
		if (n < 0 && sd_ssh_is_disconnect((int)n)) {
			rc = sd_fail(err, SD_KIND_TRANSFER_INTERRUPTED, SD_PHASE_TRANSFER,
			    "%s: the connection was cut after %llu of %llu bytes of %s; nothing was kept", c->label,
			    (unsigned long long)x->out->bytes, (unsigned long long)x->out->remote_size, x->name);
			err->ssh_code = (int)n;
		} else if (n < 0)
			rc = sd_conn_sftp_error(c, (int)n, "download", x->f->remote, err);
		else if (over_limit(x, (uint64_t)n, err))
			rc = -1;
		else if (write_all(x->fd, buf, (size_t)n) < 0)
			rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", x->tmp, strerror(errno));
		else if (x->copy_fd >= 0 && !x->reflink && write_all(x->copy_fd, buf, (size_t)n) < 0)
			rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", x->copy_tmp,
			    strerror(errno));
		else {
			/* Data is progress: the per-operation deadline restarts, the step's does not. */
			deadline = sd_now_ms() + c->to.sftp_op;
			EVP_DigestUpdate(x->md, buf, (size_t)n);
			x->out->bytes += (uint64_t)n;
			if (x->f->progress)
				x->f->progress(x->f->pctx, x->out->bytes, x->out->remote_size);
		}
	}
	free(buf);
	return rc;
}

/* Make a new name durable. */
static void
sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* The evidence copy: its data (a reflink, or already written) on disk, then its final name. */
static int
complete_copy(struct transfer *x, struct sd_err *err)
{
	struct sd_download scratch = { 0 };
	char *final;
	int rc;

	if ((x->reflink && ioctl(x->copy_fd, FICLONE, x->fd) < 0) || fsync(x->copy_fd) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write the evidence copy %s: %s",
		    x->copy_tmp, strerror(errno));
	final = sd_xasprintf("%s/%s", x->f->copy_dir, x->name);
	rc = publish(x->copy_tmp, final, x->out->sha256, &scratch, err);
	free(final);
	if (rc == 0) {
		close(x->copy_fd);
		x->copy_fd = -1;
		free(x->copy_tmp);
		x->copy_tmp = NULL;
		sync_dir(x->f->copy_dir);
	}
	return rc;
}

/* Size checked, hash finished, data on disk, then the final name (never over another file). */
static int
complete(struct transfer *x, const char *final, struct sd_err *err)
{
	struct sd_download *out = x->out;
	unsigned char digest[32];
	unsigned int dlen = 0;

	if (out->size_known && out->bytes != out->remote_size)
		return sd_fail(err, out->bytes < out->remote_size ? SD_KIND_TRANSFER_INTERRUPTED : SD_KIND_SIZE_MISMATCH,
		    SD_PHASE_TRANSFER, "%s: received %llu bytes of %s but the server reported %llu; nothing was kept",
		    x->c->label, (unsigned long long)out->bytes, x->name, (unsigned long long)out->remote_size);
	EVP_DigestFinal_ex(x->md, digest, &dlen);
	sd_hex(digest, dlen, out->sha256);
	if (fsync(x->fd) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot flush %s: %s", x->tmp, strerror(errno));
	/* Published while still open (and locked): a concurrent run never takes it for a crash's leftover. */
	if (publish(x->tmp, final, out->sha256, out, err) < 0)
		return -1;
	sync_dir(x->f->local_dir);
	if (x->copy_fd >= 0 && complete_copy(x, err) < 0)
		return -1;
	close(x->fd);
	x->fd = -1;
	free(x->tmp);
	x->tmp = NULL;
	return 0;
}

/* The temporary file(s) of a download; the copy's folder is made here. */
static int
create_temps(struct transfer *x, struct sd_err *err)
{
	const char *dir = x->f->local_dir;

	x->fd = sd_create_temp(dir, x->name, &x->tmp);
	if (x->fd >= 0 && x->f->copy_dir != NULL) {
		dir = x->f->copy_dir;
		if (sd_mkdirs(dir) == 0)
			x->copy_fd = sd_create_temp(dir, x->name, &x->copy_tmp);
		if (x->copy_fd < 0)
			goto fail;
		/* Can this file system share blocks between the two? Asked once, on the empty files. */
		x->reflink = ioctl(x->copy_fd, FICLONE, x->fd) == 0;
	}
	if (x->fd >= 0)
		return 0;
fail:
	return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create a temporary file in %s: %s", dir,
	    strerror(errno));
}

/* The remote name as a local file name, or an UnsafeName failure. */
static int
check_local_name(struct sd_conn *c, const char *name, struct sd_err *err)
{
	char *shown;

	if (sd_safe_local_name(name))
		return 0;
	shown = sd_printable(name, strlen(name));
	sd_fail(err, SD_KIND_UNSAFE_NAME, SD_PHASE_CHECK,
	    "%s: remote name \"%s\" cannot be used as a local file name (/, .., or control characters); not downloaded",
	    c->label, shown);
	free(shown);
	return -1;
}

int
sd_sftp_download(struct sd_conn *c, const struct sd_fetch *f, int64_t step_deadline, struct sd_download *out,
    struct sd_err *err)
{
	struct transfer x = { .c = c, .f = f, .name = f->local_name, .fd = -1, .copy_fd = -1, .out = out };
	char *final = sd_xasprintf("%s/%s", f->local_dir, f->local_name);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_local_name(c, f->local_name, err) < 0)
		goto out;
	if (sd_mkdirs(f->local_dir) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create folder %s: %s", f->local_dir,
		    strerror(errno));
		goto out;
	}
	x.h = open_handle(c, f->remote, LIBSSH2_SFTP_OPENFILE, step_deadline, err);
	if (x.h == NULL || remote_size(c, x.h, f->remote, step_deadline, &out->remote_size, &out->size_known, err) < 0 ||
	    create_temps(&x, err) < 0)
		goto out;
	x.md = EVP_MD_CTX_new();
	if (x.md == NULL || !EVP_DigestInit_ex(x.md, EVP_sha256(), NULL))
		sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "cannot start SHA-256");
	else if (stream(&x, step_deadline, err) == 0)
		rc = complete(&x, final, err);
out:
	/* Whatever did not complete goes: no partial file stays behind. */
	if (x.fd >= 0)
		close(x.fd);
	if (x.tmp != NULL)
		unlink(x.tmp);
	if (x.copy_fd >= 0)
		close(x.copy_fd);
	if (x.copy_tmp != NULL)
		unlink(x.copy_tmp);
	free(x.copy_tmp);
	if (x.h != NULL)
		close_handle(c, x.h);
	EVP_MD_CTX_free(x.md);
	free(x.tmp);
	free(final);
	return rc;
}
