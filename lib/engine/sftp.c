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
#include "sftpdrill/engine/sftp.h"

/*
 * libssh2 keeps about four times the read buffer in flight, in requests of
 * at most 30000 bytes: the buffer size sets the pipeline depth.
 */
#define READ_BUFFER (256 * 1024)
#define READ_BUFFER_MIN (4 * 1024)
#define READ_BUFFER_MAX (4 * 1024 * 1024)
/* All read buffers of one connection together (several files in flight, each its buffer). */
#define READ_MEMORY (16 * 1024 * 1024)
/* SFTP channels one batch of downloads uses at most on its connection (OpenSSH allows 10 per connection). */
#define MAX_CHANNELS 8
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

/* As sd_conn_sftp_error, for a call made on the SFTP channel sftp (the connection has several during a batch). */
static int
channel_error(struct sd_conn *c, LIBSSH2_SFTP *sftp, int rc, const char *what, const char *path, struct sd_err *err)
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
	return channel_error(c, c->sftp, rc, what, path, err);
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
	fill_dirent(e, path, strlen(path), &r.attrs);
	return 0;
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

/*
 * One download in progress on a connection it may share with others: its
 * remote handle, temporary files and running hash, and where it stands.
 */
enum xstate { X_OPEN, X_STAT, X_READ, X_CLOSE, X_DONE };

struct transfer {
	struct sd_conn *c;
	struct chan *ch;            /* the SFTP channel it runs on */
	const struct sd_fetch *f;
	enum xstate state;
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	const char *name;
	char *final;
	int fd;
	char *tmp;
	int copy_fd;                /* the evidence copy's temporary file, or -1 */
	char *copy_tmp;
	int reflink;                /* the copy is a reflink made at the end, not written as data streams */
	EVP_MD_CTX *md;
	struct sd_download out;
	struct sd_err err;
	int failed;                 /* err holds why; the handle is still closed */
	size_t index;               /* its place in the caller's list */
	char *buf;
	size_t bufsize;             /* the read buffer: libssh2 keeps about four times it in flight */
	int64_t op_deadline;        /* the operation's deadline: each answer restarts it */
	int64_t started;            /* when the open was sent, for the round trip */
	int64_t window_t0;          /* the rate measured since then ... */
	uint64_t window_b0;         /* ... over the bytes since these */
};

/*
 * An SFTP channel. libssh2 keeps the state of an interrupted open, fstat and
 * read per SFTP channel, not per handle: at most one transfer may be in the
 * middle of each at a time (it holds the slot until its call completes); the
 * others' requests stay in flight meanwhile.
 */
struct chan {
	LIBSSH2_SFTP *sftp;
	struct transfer *opening, *statting, *reading;
	size_t active;              /* transfers on it */
};

/*
 * Several transfers share one SSH connection (one login): on the connection's
 * SFTP channel and, once the round trip says it pays, a few more channels
 * opened for the batch, so that opens and stats do not wait for each other.
 */
struct engine {
	struct sd_conn *c;
	struct chan ch[MAX_CHANNELS];
	size_t nch;
	int channels_done;          /* no more channels: enough, or the server would not give one */
	int64_t channel_deadline;   /* for the channel being opened */
	int64_t rtt_ms;             /* the quickest open seen: about one round trip */
	size_t buffers;             /* bytes of read buffers held, capped at READ_MEMORY */
};

/* Would n more bytes pass what the server announced, or (nothing announced) the size limit? */
static int
over_limit(struct transfer *x, uint64_t n, struct sd_err *err)
{
	const struct sd_download *out = &x->out;

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
	rc = publish(x->copy_tmp, final, x->out.sha256, &scratch, err);
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
	struct sd_download *out = &x->out;
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

/*
 * The read-ahead fills the pipe: the line holds rate x round trip (the
 * bandwidth-delay product), libssh2 keeps about four buffers in flight. The
 * rate is measured every 100 ms of data; while two BDPs would not fit in
 * flight the buffer doubles, up to READ_BUFFER_MAX, all the connection's
 * buffers together staying under READ_MEMORY.
 */
static void
size_readahead(struct engine *e, struct transfer *x)
{
	int64_t now = sd_now_ms(), dt = now - x->window_t0;
	double rate, bdp;

	if (dt < 100 || e->rtt_ms <= 0)
		return;
	rate = (double)(x->out.bytes - x->window_b0) * 1000.0 / (double)dt;
	bdp = rate * (double)e->rtt_ms / 1000.0;
	x->window_t0 = now;
	x->window_b0 = x->out.bytes;
	if (4.0 * (double)x->bufsize < 2.0 * bdp && x->bufsize < READ_BUFFER_MAX &&
	    e->buffers + x->bufsize <= READ_MEMORY) {
		x->buf = sd_xrealloc(x->buf, x->bufsize * 2);
		e->buffers += x->bufsize;
		x->bufsize *= 2;
	}
}

/* The remote file is open and its size known: the temporary files, the hash, the buffer. */
static int
begin_read(struct engine *e, struct transfer *x)
{
	const LIBSSH2_SFTP_ATTRIBUTES *a = &x->attrs;
	struct sd_download *out = &x->out;

	out->size_known = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) != 0;
	out->remote_size = a->filesize;
	if ((a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISREG(a->permissions)) {
		char *shown = sd_printable(x->f->remote, strlen(x->f->remote));
		sd_fail(&x->err, SD_KIND_NOT_A_FILE, SD_PHASE_SFTP, "%s: %s is not a regular file", x->c->label, shown);
		free(shown);
		return -1;
	}
	if (create_temps(x, &x->err) < 0)
		return -1;
	x->md = EVP_MD_CTX_new();
	if (x->md == NULL || !EVP_DigestInit_ex(x->md, EVP_sha256(), NULL))
		return sd_fail(&x->err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "cannot start SHA-256");
	/* A small file needs no more read-ahead than itself (libssh2 asks for four buffers ahead). */
	x->bufsize = READ_BUFFER;
	while (out->size_known && x->bufsize > READ_BUFFER_MIN && x->bufsize / 2 >= out->remote_size)
		x->bufsize /= 2;
	x->buf = sd_xmalloc(x->bufsize);
	e->buffers += x->bufsize;
	x->window_t0 = sd_now_ms();
	return 0;
}

/* What one read brought: checked against the limits, written, hashed. 0, or -1 with x->err. */
static int
got_data(struct transfer *x, ssize_t n)
{
	struct sd_conn *c = x->c;

	if (n < 0 && sd_ssh_is_disconnect((int)n)) {
		sd_fail(&x->err, SD_KIND_TRANSFER_INTERRUPTED, SD_PHASE_TRANSFER,
		    "%s: the connection was cut after %llu of %llu bytes of %s; nothing was kept", c->label,
		    (unsigned long long)x->out.bytes, (unsigned long long)x->out.remote_size, x->name);
		x->err.ssh_code = (int)n;
		return -1;
	}
	if (n < 0)
		return channel_error(c, x->ch->sftp, (int)n, "download", x->f->remote, &x->err);
	if (over_limit(x, (uint64_t)n, &x->err))
		return -1;
	if (write_all(x->fd, x->buf, (size_t)n) < 0)
		return sd_fail(&x->err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", x->tmp, strerror(errno));
	if (x->copy_fd >= 0 && !x->reflink && write_all(x->copy_fd, x->buf, (size_t)n) < 0)
		return sd_fail(&x->err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", x->copy_tmp,
		    strerror(errno));
	EVP_DigestUpdate(x->md, x->buf, (size_t)n);
	x->out.bytes += (uint64_t)n;
	if (x->f->progress)
		x->f->progress(x->f->pctx, x->out.bytes, x->out.remote_size);
	return 0;
}

/* Take the slot of an operation libssh2 can have only one of in the middle at a time. */
static int
take(struct transfer **slot, struct transfer *x)
{
	if (*slot != NULL && *slot != x)
		return 0;
	*slot = x;
	return 1;
}

static int
failed(struct transfer *x)
{
	x->failed = 1;
	x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
	x->state = x->h ? X_CLOSE : X_DONE;
	return 1;
}

/* The file is open: the round trip measured; a stat next, unless the listing said what it would. */
static int
opened(struct engine *e, struct transfer *x)
{
	int64_t took = sd_now_ms() - x->started;

	if (e->rtt_ms == 0 || took < e->rtt_ms)
		e->rtt_ms = took > 0 ? took : 1;
	x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
	x->state = X_STAT;
	if (x->f->listed) {
		/* A regular file of the listed size: what a stat would say. */
		x->attrs.flags = LIBSSH2_SFTP_ATTR_SIZE;
		x->attrs.filesize = x->f->listed_size;
		if (begin_read(e, x) < 0)
			return failed(x);
		x->state = X_READ;
	}
	return 1;
}

/*
 * Move x on by one call, never blocking. 1 when something happened, 0 when
 * it waits for the server (or for a slot another transfer holds).
 */
static int
advance(struct engine *e, struct transfer *x)
{
	struct sd_conn *c = x->c;
	ssize_t n;
	int rc;

	switch (x->state) {
	case X_OPEN:
		if (!take(&x->ch->opening, x))
			return 0;
		if (x->started == 0) {
			x->started = sd_now_ms();
			x->op_deadline = x->started + c->to.sftp_op;
		}
		x->h = libssh2_sftp_open_ex(x->ch->sftp, x->f->remote, (unsigned)strlen(x->f->remote), LIBSSH2_FXF_READ, 0,
		    LIBSSH2_SFTP_OPENFILE);
		rc = x->h ? 0 : libssh2_session_last_errno(c->ssh);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		x->ch->opening = NULL;
		if (rc != 0)
			return channel_error(c, x->ch->sftp, rc, "open", x->f->remote, &x->err), failed(x);
		return opened(e, x);
	case X_STAT:
		if (!take(&x->ch->statting, x))
			return 0;
		rc = libssh2_sftp_fstat_ex(x->h, &x->attrs, 0);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		x->ch->statting = NULL;
		if (rc < 0)
			return channel_error(c, x->ch->sftp, rc, "stat", x->f->remote, &x->err), failed(x);
		if (begin_read(e, x) < 0)
			return failed(x);
		x->op_deadline = sd_now_ms() + c->to.sftp_op;
		x->state = X_READ;
		return 1;
	case X_READ:
		if (!take(&x->ch->reading, x))
			return 0;
		n = libssh2_sftp_read(x->h, x->buf, x->bufsize);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		x->ch->reading = NULL;
		if (n == 0) {
			if (complete(x, x->final, &x->err) < 0)
				return failed(x);
			x->op_deadline = sd_now_ms() + c->to.sftp_op;
			x->state = X_CLOSE;
			return 1;
		}
		if (got_data(x, n) < 0)
			return failed(x);
		/* Data is progress: the operation's deadline restarts, the step's does not. */
		x->op_deadline = sd_now_ms() + c->to.sftp_op;
		size_readahead(e, x);
		return 1;
	case X_CLOSE:
		/* Closing a handle resets libssh2's read state: never while another read is in the middle. */
		if (x->ch->reading != NULL)
			return 0;
		rc = libssh2_sftp_close_handle(x->h);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		/* Failures to close are not interesting after the work is done. */
		x->h = NULL;
		x->state = X_DONE;
		return 1;
	case X_DONE:
		break;
	}
	return 0;
}

/* A transfer of f, its local name checked and its folder made; NULL with err when it cannot start. */
static struct transfer *
transfer_new(struct sd_conn *c, const struct sd_fetch *f, struct sd_err *err)
{
	struct transfer *x;

	if (check_local_name(c, f->local_name, err) < 0)
		return NULL;
	if (sd_mkdirs(f->local_dir) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create folder %s: %s", f->local_dir,
		    strerror(errno));
		return NULL;
	}
	x = sd_xcalloc(1, sizeof(*x));
	*x = (struct transfer){ .c = c, .f = f, .state = X_OPEN, .name = f->local_name, .fd = -1, .copy_fd = -1,
		.final = sd_xasprintf("%s/%s", f->local_dir, f->local_name) };
	return x;
}

/* Whatever did not complete goes: no partial file stays behind. */
static void
transfer_free(struct engine *e, struct transfer *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->tmp != NULL)
		unlink(x->tmp);
	if (x->copy_fd >= 0)
		close(x->copy_fd);
	if (x->copy_tmp != NULL)
		unlink(x->copy_tmp);
	if (x->h != NULL)
		close_handle(x->c, x->h);
	if (x->ch)
		x->ch->active--;
	e->buffers -= x->buf ? x->bufsize : 0;
	EVP_MD_CTX_free(x->md);
	free(x->buf);
	free(x->copy_tmp);
	free(x->tmp);
	free(x->final);
	free(x);
}

/* Nothing could move: wait for the server until the soonest deadline of what is waiting. 0, or -1 with err. */
static int
wait_any(struct engine *e, struct transfer **slots, size_t n, int64_t step_deadline, struct sd_err *err)
{
	int64_t soonest = 0, now = sd_now_ms();
	enum xstate state = X_OPEN;

	for (size_t i = 0; i < n; i++)
		if (slots[i] && slots[i]->state == X_CLOSE && slots[i]->op_deadline <= now) {
			/*
			 * A close the server does not answer: failures to close are not interesting after the
			 * work is done. The handle is left to the session's end (libssh2 cannot drop one unanswered).
			 */
			slots[i]->h = NULL;
			slots[i]->state = X_DONE;
			return 0;
		}
	for (size_t i = 0; i < n; i++)
		if (slots[i] && slots[i]->op_deadline && (soonest == 0 || slots[i]->op_deadline < soonest)) {
			soonest = slots[i]->op_deadline;
			state = slots[i]->state;
		}
	return sd_conn_wait(e->c, soonest, step_deadline, state == X_READ ? SD_PHASE_TRANSFER : SD_PHASE_SFTP,
	    state == X_READ ? SD_KIND_TRANSFER_TIMEOUT : SD_KIND_SFTP_TIMEOUT, err);
}

/*
 * How many files in flight: one until the first open has measured the round
 * trip, then enough that the round trips of opening, sizing and closing one
 * file overlap the others' data: one more per 2 ms, up to the cap.
 */
static size_t
files_in_flight(const struct engine *e, size_t cap)
{
	size_t want = e->rtt_ms == 0 ? 1 : 1 + (size_t)e->rtt_ms / 2;

	want = want < MAX_CHANNELS ? want : MAX_CHANNELS;
	return want < cap ? want : cap;
}

static int
op_channel_shutdown(struct sd_conn *c, void *arg)
{
	(void)c;
	return libssh2_sftp_shutdown(arg);
}

/*
 * Once the round trip says several files should be in flight: more SFTP
 * channels on the same connection (the same login), one per file in flight,
 * so that one file's open or read does not wait for another's. Opened one
 * call at a time between the transfers' own calls (never waiting for them);
 * a server that refuses one, or takes longer than `timeout sftp-init`,
 * leaves the batch on the channels it has. 1 when a channel was added.
 */
static int
add_channel(struct engine *e, size_t want)
{
	LIBSSH2_SFTP *s;

	if (e->channels_done || e->nch >= want || e->nch >= MAX_CHANNELS)
		return 0;
	if (e->channel_deadline == 0)
		e->channel_deadline = sd_now_ms() + e->c->to.sftp_init;
	s = libssh2_sftp_init(e->c->ssh);
	if (s != NULL) {
		e->ch[e->nch++] = (struct chan){ .sftp = s };
		e->channel_deadline = 0;
		return 1;
	}
	if (libssh2_session_last_errno(e->c->ssh) != LIBSSH2_ERROR_EAGAIN || sd_now_ms() > e->channel_deadline)
		e->channels_done = 1;
	return 0;
}

/* The batch's own channels closed, bounded; one that does not close is left to the session's end. */
static void
close_channels(struct engine *e)
{
	for (size_t i = 1; i < e->nch; i++) {
		struct sd_err ignore;
		sd_conn_cleanup(e->c, op_channel_shutdown, e->ch[i].sftp, sd_now_ms() + e->c->to.sftp_op,
		    SD_KIND_SFTP_TIMEOUT, &ignore);
	}
}

/*
 * May another file start? Files in flight (started, not yet closing) stay
 * under what the round trip asks for, and open handles (closing ones too)
 * under the connection's `limit inflight`.
 */
static int
may_start(const struct engine *e, struct transfer *const *slots, size_t cap)
{
	size_t flying = 0, handles = 0;

	for (size_t i = 0; i < cap; i++)
		if (slots[i] != NULL) {
			handles++;
			flying += slots[i]->state != X_CLOSE;
		}
	/* While channels are still being opened, one file per channel: a file keeps its channel to the end. */
	if (!e->channels_done && e->nch < files_in_flight(e, cap) && flying >= e->nch)
		return 0;
	return flying < files_in_flight(e, cap) && handles < cap;
}

/* The channel with the fewest transfers on it. */
static struct chan *
least_busy(struct engine *e)
{
	struct chan *best = &e->ch[0];

	for (size_t i = 1; i < e->nch; i++)
		if (e->ch[i].active < best->active)
			best = &e->ch[i];
	return best;
}

int
sd_sftp_download(struct sd_conn *c, const struct sd_fetch *f, size_t n, int64_t step_deadline, sd_fetch_done_fn done,
    void *ctx, struct sd_fetch_stats *stats, struct sd_err *err)
{
	struct engine e = { .c = c, .ch = { { .sftp = c->sftp } }, .nch = 1 };
	struct transfer **slots;
	size_t next = 0, active = 0, most = 0, largest = 0;
	size_t inflight = c->limits.max_inflight >= 1 && c->limits.max_inflight <= 64 ? (size_t)c->limits.max_inflight : 1;
	int stop = 0;

	slots = sd_xcalloc(inflight, sizeof(*slots));
	while ((next < n && !stop) || active > 0) {
		int moved = 0;

		if (e.rtt_ms > 0 && next < n && !stop)
			moved |= add_channel(&e, files_in_flight(&e, inflight));
		/* After the first failure nothing new starts; what is in flight finishes. Closing is not in flight. */
		for (size_t i = 0; i < inflight && next < n && !stop && may_start(&e, slots, inflight); i++)
			if (slots[i] == NULL) {
				slots[i] = transfer_new(c, &f[next], err);
				if (slots[i] == NULL)
					stop = 1;
				else {
					slots[i]->index = next;
					slots[i]->ch = least_busy(&e);
					slots[i]->ch->active++;
					active++;
				}
				next++;
			}
		for (size_t i = 0, k = 0; i < inflight; i++)
			if ((k += slots[i] != NULL && slots[i]->state != X_CLOSE) > most)
				most = k;
		for (size_t i = 0; i < inflight; i++) {
			struct transfer *x = slots[i];
			if (x == NULL)
				continue;
			moved |= advance(&e, x);
			largest = x->bufsize > largest ? x->bufsize : largest;
			if (x->state != X_DONE)
				continue;
			if (!x->failed && done)
				done(ctx, x->index, &x->out);
			else if (x->failed && !stop)
				*err = x->err;
			stop |= x->failed;
			transfer_free(&e, x);
			slots[i] = NULL;
			active--;
		}
		if (active > 0 && (!moved || sd_cancelled(c->cancel) || (step_deadline && sd_remaining_ms(step_deadline) == 0))) {
			struct sd_err why;
			if (wait_any(&e, slots, inflight, step_deadline, stop ? &why : err) < 0) {
				/* A deadline or a stop: every transfer ends here, its handle closed (bounded), nothing kept. */
				for (size_t i = 0; i < inflight; i++)
					if (slots[i]) {
						transfer_free(&e, slots[i]);
						slots[i] = NULL;
					}
				stop = 1;
				active = 0;
			}
		}
	}
	free(slots);
	close_channels(&e);
	if (stats)
		*stats = (struct sd_fetch_stats){ .most_in_flight = most, .rtt_ms = e.rtt_ms, .largest_buffer = largest,
			.channels = e.nch };
	return stop ? -1 : 0;
}
