/* fetch.c — downloads: a batch of files several at once on one connection, each hashed as it streams. */
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
#define READ_BUFFER_MAX (1024 * 1024)
/*
 * What the reads of one connection may hold together: each file's buffer and
 * the data libssh2 asks for ahead of it (four buffers), which it keeps when
 * it arrives before the file's next read: five buffers a file.
 */
#define READ_MEMORY (6 * 1024 * 1024)
#define READ_HELD(bytes) ((bytes) * 5)
/*
 * SFTP channels one batch of downloads uses at most on its connection (OpenSSH's
 * MaxSessions and ProFTPD's SFTPMaxChannels both default to 10), and files
 * transferring at once: the channels beyond those let a file start while
 * others are still closing.
 */
#define MAX_CHANNELS 10
#define MAX_FLYING 8
/* File handles a batch keeps open at most (`limit inflight`). */
#define MAX_HANDLES 64


/*
 * One download in progress on a connection it may share with others: its
 * remote handle, temporary files and running hash, and where it stands.
 */
enum xstate { X_OPEN, X_STAT, X_READ, X_CLOSE, X_DONE };

struct transfer {
	struct sd_conn *c;
	struct chan *ch;            /* the SFTP channel it has to itself */
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
	int refused;                /* the server refused the open while other handles were open: try again later */
	size_t index;               /* its place in the caller's list */
	char *buf;
	size_t bufsize;             /* the read buffer: libssh2 keeps about four times it in flight */
	size_t start_size;          /* the buffer it began with, or would have had memory allowed: its share */
	int64_t op_deadline;        /* the operation's deadline: each answer restarts it */
	int64_t started;            /* when the open was sent, for the round trip */
	int64_t window_t0;          /* the rate measured since then ... */
	uint64_t window_b0;         /* ... over the bytes since these */
};

/*
 * An SFTP channel, and the one transfer on it. libssh2 keeps the state of an
 * interrupted write per channel (channel.c: write_state, write_bufwrite): a
 * call on another handle of the same channel while one waits — for the
 * socket, or for a key re-exchange the server began — would send with the
 * first call's lengths and the second's buffer (read past it, corrupt the
 * stream). So a channel carries one transfer at a time, from its open to its
 * close. A channel whose close never finished is retired.
 */
struct chan {
	LIBSSH2_SFTP *sftp;
	struct transfer *owner;
	int retired;
};

/*
 * A batch on one SSH connection (one login): the connection's SFTP channel
 * and, once the round trip says it pays, a few more channels opened for the
 * batch; the files not yet started (a refused open goes back first).
 */
struct engine {
	struct sd_conn *c;
	struct sd_batch *b;
	struct chan ch[MAX_CHANNELS];
	size_t nch, max_channels;
	int channels_done;          /* no more channels: enough, or the server would not give one */
	size_t channel_trying;      /* the channel being opened (its number), 0 when none */
	int64_t channel_deadline;   /* for the channel being opened */
	int64_t rtt_ms;             /* the quickest open seen: about one round trip */
	size_t buffers;             /* bytes of read buffers held, capped at READ_MEMORY */
	size_t cap;                 /* handles open at once: `limit inflight`, lowered to what the server allows */
	struct transfer **slots;    /* cap of them at first; the transfers in flight */
	size_t nslots;
	size_t *todo;               /* the caller's files not started yet, next first */
	size_t ntodo;
	size_t finished;            /* ... of them done, whatever the outcome */
	int stop;                   /* a failure: nothing new starts */
	uint64_t received;          /* bytes read so far, all files */
	uint64_t received_at_channel; /* ... when the last channel opened */
};


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

static size_t files_in_flight(const struct engine *e);

/*
 * A file's share of the connection's read memory: READ_MEMORY over the files
 * meant to be in flight (or left, when fewer), so that a file started while others hold much is
 * never left with a buffer too small to catch up (its rate, measured through
 * that small buffer, would never ask for more).
 */
static size_t
fair_share(const struct engine *e)
{
	size_t left = e->ntodo - e->finished, n = files_in_flight(e) < left ? files_in_flight(e) : left;
	size_t share = READ_MEMORY / READ_HELD(1) / (n ? n : 1);

	return share < READ_BUFFER_MAX ? share : READ_BUFFER_MAX;
}

/* Double x's buffer (at most to its share), 1, if the connection's reads stay within READ_MEMORY. */
static int
grow_buffer(struct engine *e, struct transfer *x)
{
	size_t share = fair_share(e), to = x->bufsize * 2 < share ? x->bufsize * 2 : share;

	if (to <= x->bufsize || READ_HELD(e->buffers - x->bufsize + to) > READ_MEMORY)
		return 0;
	x->buf = sd_xrealloc(x->buf, to);
	e->buffers += to - x->bufsize;
	x->bufsize = to;
	return 1;
}

/*
 * The read-ahead fills the pipe: the line holds rate x round trip (the
 * bandwidth-delay product), libssh2 keeps about four buffers in flight. The
 * rate is measured every 100 ms of data; while two BDPs would not fit in
 * flight the buffer doubles. A buffer below the size a file starts with (what
 * memory allowed when it began) grows back to it as others' memory frees.
 */
static void
size_readahead(struct engine *e, struct transfer *x)
{
	int64_t now = sd_now_ms(), dt = now - x->window_t0;
	double rate, bdp;

	if (x->bufsize < x->start_size && grow_buffer(e, x))
		return;
	if (dt < 100 || e->rtt_ms <= 0)
		return;
	rate = (double)(x->out.bytes - x->window_b0) * 1000.0 / (double)dt;
	bdp = rate * (double)e->rtt_ms / 1000.0;
	x->window_t0 = now;
	x->window_b0 = x->out.bytes;
	if (4.0 * (double)x->bufsize < 2.0 * bdp)
		grow_buffer(e, x);
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
	/*
	 * A small file needs no more read-ahead than itself (libssh2 asks for four buffers ahead), no file
	 * more than its share, and the connection's files together stay within READ_MEMORY: one that gets
	 * less than its share grows back to it (size_readahead).
	 */
	x->bufsize = READ_BUFFER;
	while (out->size_known && x->bufsize > READ_BUFFER_MIN && x->bufsize / 2 >= out->remote_size)
		x->bufsize /= 2;
	if (x->bufsize > fair_share(e))
		x->bufsize = fair_share(e) > READ_BUFFER_MIN ? fair_share(e) : READ_BUFFER_MIN;
	x->start_size = x->bufsize;
	while (x->bufsize > READ_BUFFER_MIN && READ_HELD(e->buffers + x->bufsize) > READ_MEMORY)
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
		return sd_conn_channel_error(c, x->ch->sftp, (int)n, "download", x->f->remote, &x->err);
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


/* A transfer that failed: its handle is closed (bounded) before it is done. */
static int
failed(struct transfer *x)
{
	x->failed = 1;
	x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
	x->state = x->h ? X_CLOSE : X_DONE;
	return 1;
}

/* Handles open now (or being closed), x's aside. */
static size_t
open_handles(const struct engine *e, const struct transfer *x)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nslots; i++)
		n += e->slots[i] != NULL && e->slots[i] != x && e->slots[i]->h != NULL;
	return n;
}

/*
 * An open the server refused while others are open, with no word about the
 * file itself (not NO_SUCH_FILE, NO_SUCH_PATH, PERMISSION_DENIED): a cap on
 * open handles. From then on no more are kept open than were; the file goes
 * back to be tried when one closes. 1 when that is so.
 */
static int
open_refused(struct engine *e, struct transfer *x, int rc)
{
	size_t others = open_handles(e, x);
	unsigned long fx;

	if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL || others == 0)
		return 0;
	fx = libssh2_sftp_last_error(x->ch->sftp);
	if (fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH || fx == LIBSSH2_FX_PERMISSION_DENIED)
		return 0;
	if (e->cap > others)
		e->cap = others;
	if (e->b->stats.handles_allowed == 0 || others < e->b->stats.handles_allowed)
		e->b->stats.handles_allowed = others;
	x->refused = 1;
	x->state = X_DONE;
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

static int
step_open(struct engine *e, struct transfer *x)
{
	int rc;

	if (x->started == 0) {
		x->started = sd_now_ms();
		x->op_deadline = x->started + x->c->to.sftp_op;
	}
	x->h = libssh2_sftp_open_ex(x->ch->sftp, x->f->remote, (unsigned)strlen(x->f->remote), LIBSSH2_FXF_READ, 0,
	    LIBSSH2_SFTP_OPENFILE);
	rc = x->h ? 0 : libssh2_session_last_errno(x->c->ssh);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc != 0 && open_refused(e, x, rc))
		return 1;
	if (rc != 0)
		return sd_conn_channel_error(x->c, x->ch->sftp, rc, "open", x->f->remote, &x->err), failed(x);
	return opened(e, x);
}

static int
step_stat(struct engine *e, struct transfer *x)
{
	int rc = libssh2_sftp_fstat_ex(x->h, &x->attrs, 0);

	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc < 0)
		return sd_conn_channel_error(x->c, x->ch->sftp, rc, "stat", x->f->remote, &x->err), failed(x);
	if (begin_read(e, x) < 0)
		return failed(x);
	x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
	x->state = X_READ;
	return 1;
}

static int
step_read(struct engine *e, struct transfer *x)
{
	ssize_t n = libssh2_sftp_read(x->h, x->buf, x->bufsize);

	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n == 0) {
		if (complete(x, x->final, &x->err) < 0)
			return failed(x);
		x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
		x->state = X_CLOSE;
		return 1;
	}
	if (got_data(x, n) < 0)
		return failed(x);
	e->received += (uint64_t)n;
	/* Data is progress: the operation's deadline restarts, the step's does not. */
	x->op_deadline = sd_now_ms() + x->c->to.sftp_op;
	size_readahead(e, x);
	return 1;
}

/*
 * Move x on by one call, never blocking. 1 when something happened, 0 when
 * it waits for the server. Its channel is its own: its calls follow each
 * other, each repeated until it completes.
 */
static int
advance(struct engine *e, struct transfer *x)
{
	int rc;

	switch (x->state) {
	case X_OPEN:
		return step_open(e, x);
	case X_STAT:
		return step_stat(e, x);
	case X_READ:
		return step_read(e, x);
	case X_CLOSE:
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

/* Channels a transfer may still use. */
static size_t
usable(const struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nch; i++)
		n += !e->ch[i].retired;
	return n;
}

/* A channel no transfer holds, or NULL. */
static struct chan *
free_channel(struct engine *e)
{
	for (size_t i = 0; i < e->nch; i++)
		if (e->ch[i].owner == NULL && !e->ch[i].retired)
			return &e->ch[i];
	return NULL;
}

/* A transfer of the i-th file on channel ch, its local name checked and its folder made; NULL with err. */
static struct transfer *
transfer_new(struct engine *e, size_t i, struct chan *ch, struct sd_err *err)
{
	const struct sd_fetch *f = &e->b->files[i];
	struct transfer *x;

	if (check_local_name(e->c, f->local_name, err) < 0)
		return NULL;
	if (sd_mkdirs(f->local_dir) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create folder %s: %s", f->local_dir,
		    strerror(errno));
		return NULL;
	}
	x = sd_xcalloc(1, sizeof(*x));
	*x = (struct transfer){ .c = e->c, .ch = ch, .f = f, .state = X_OPEN, .name = f->local_name, .fd = -1,
		.copy_fd = -1, .index = i, .final = sd_xasprintf("%s/%s", f->local_dir, f->local_name) };
	ch->owner = x;
	return x;
}

/*
 * Whatever did not complete goes: no partial file stays behind. A transfer
 * abandoned (a deadline, a stop) leaves its handle to the connection's end
 * and retires its channel: nothing more is said to a server that stalls.
 */
static void
transfer_free(struct engine *e, struct transfer *x, int abandon)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->tmp != NULL)
		unlink(x->tmp);
	if (x->copy_fd >= 0)
		close(x->copy_fd);
	if (x->copy_tmp != NULL)
		unlink(x->copy_tmp);
	if (x->h != NULL && !abandon)
		sd_conn_close_handle(x->c, x->h);
	if (x->h != NULL)
		x->ch->retired = 1;
	x->ch->owner = NULL;
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
wait_any(struct engine *e, struct sd_err *err)
{
	int64_t soonest = 0, now = sd_now_ms();
	enum xstate state = X_OPEN;

	for (size_t i = 0; i < e->nslots; i++) {
		struct transfer *x = e->slots[i];
		if (x && x->state == X_CLOSE && x->op_deadline <= now) {
			/* A close the server does not answer: its handle is left to the session's end, its channel retired. */
			x->ch->retired = 1;
			x->h = NULL;
			x->state = X_DONE;
			return 0;
		}
	}
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i] && e->slots[i]->op_deadline && (soonest == 0 || e->slots[i]->op_deadline < soonest)) {
			soonest = e->slots[i]->op_deadline;
			state = e->slots[i]->state;
		}
	return sd_conn_wait(e->c, soonest, e->b->step_deadline, state == X_READ ? SD_PHASE_TRANSFER : SD_PHASE_SFTP,
	    state == X_READ ? SD_KIND_TRANSFER_TIMEOUT : SD_KIND_SFTP_TIMEOUT, err);
}

/*
 * How many files in flight: one until the first open has measured the round
 * trip, then enough that the round trips of opening, sizing and closing one
 * file overlap the others' data: one more per 2 ms of it, within the
 * channels and the handles allowed.
 */
static size_t
files_in_flight(const struct engine *e)
{
	size_t want = e->rtt_ms == 0 ? 1 : 1 + (size_t)e->rtt_ms / 2;

	want = want < MAX_FLYING ? want : MAX_FLYING;
	want = want < e->max_channels ? want : e->max_channels;
	return want < e->cap ? want : e->cap;
}

/* Channels worth opening: one per file in flight, and two for files closing while the next ones start. */
static size_t
channels_wanted(const struct engine *e)
{
	size_t want = files_in_flight(e) + (files_in_flight(e) > 1 ? 2 : 0);

	return want < e->max_channels ? want : e->max_channels;
}

static int
op_channel_shutdown(struct sd_conn *c, void *arg)
{
	(void)c;
	return libssh2_sftp_shutdown(arg);
}

/*
 * Once the round trip says several files should be in flight: more SFTP
 * channels on the same connection (the same login), one per file in flight.
 * Opened one call at a time between the transfers' own calls (never waiting
 * for them); a server that refuses one, or takes longer than `timeout
 * sftp-init`, leaves the batch on the channels it has. 1 when one was added.
 */
static int
add_channel(struct engine *e)
{
	LIBSSH2_SFTP *s;
	int rc;

	if (e->channels_done || e->nch >= e->max_channels || (usable(e) >= channels_wanted(e) && usable(e) > 0))
		return 0;
	if (e->channel_trying == 0) {
		e->channel_trying = e->nch + 1;
		e->channel_deadline = sd_now_ms() + e->c->to.sftp_init;
	}
	s = libssh2_sftp_init(e->c->ssh);
	if (s != NULL) {
		e->ch[e->nch++] = (struct chan){ .sftp = s };
		e->channel_trying = 0;
		e->received_at_channel = e->received;
		return 1;
	}
	rc = libssh2_session_last_errno(e->c->ssh);
	if (rc == LIBSSH2_ERROR_EAGAIN && sd_now_ms() <= e->channel_deadline)
		return 0;
	/* Refused (or too slow): the batch goes on on the channels it has; a cut connection is seen by its transfers. */
	if (!sd_ssh_is_disconnect(rc))
		e->b->stats.channel_refused = e->channel_trying;
	e->channels_done = 1;
	return 0;
}

/* The batch's own channels closed, all within one deadline; one that does not close is left to the session's end. */
static void
close_channels(struct engine *e)
{
	int64_t deadline = sd_deadline_min(sd_now_ms() + e->c->to.sftp_op, e->b->step_deadline);

	for (size_t i = 1; i < e->nch; i++) {
		struct sd_err ignore;
		if (!e->ch[i].retired)
			sd_conn_cleanup(e->c, op_channel_shutdown, e->ch[i].sftp, deadline, SD_KIND_SFTP_TIMEOUT, &ignore);
	}
}

/* Files in flight (started, not closing) and handles held (closing ones too). */
static void
count(const struct engine *e, size_t *flying, size_t *held)
{
	*flying = *held = 0;
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i] != NULL) {
			(*held)++;
			*flying += e->slots[i]->state != X_CLOSE;
		}
}

/*
 * Start what may start: files in flight under what the round trip asks for,
 * handles under what the server allows, each on a channel of its own; while
 * channels are still being opened, one file per channel. 1 when one started.
 */
static int
start_files(struct engine *e, size_t next_max, size_t *next, struct sd_err *err)
{
	int started = 0;
	size_t flying, held;

	count(e, &flying, &held);
	for (size_t i = 0; i < e->nslots && *next < next_max && !e->stop; i++) {
		struct chan *ch = free_channel(e);

		if (e->slots[i] != NULL || ch == NULL || flying >= files_in_flight(e) || held >= e->cap)
			continue;
		if (!e->channels_done && e->nch < e->max_channels && usable(e) < files_in_flight(e) && flying >= usable(e))
			break;
		e->slots[i] = transfer_new(e, e->todo[*next], ch, err);
		(*next)++;
		if (e->slots[i] == NULL)
			e->stop = 1;
		else
			flying++, held++;
		started = 1;
	}
	return started;
}

/* A transfer done: told to the caller, or its failure kept (the first), or (refused) back to be tried again. */
static void
finish(struct engine *e, size_t slot, size_t *next, struct sd_err *err)
{
	struct transfer *x = e->slots[slot];

	e->finished += !x->refused;
	if (x->refused)
		e->todo[--*next] = x->index;
	else if (!x->failed && e->b->done)
		e->b->done(e->b->ctx, x->index, &x->out);
	else if (x->failed && !e->stop) {
		*err = x->err;
		e->stop = 1;
	}
	transfer_free(e, x, 0);
	e->slots[slot] = NULL;
}

/* A deadline or a stop: every transfer ends here, nothing kept, handles and channels left to the connection's end. */
static void
abandon_all(struct engine *e)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i]) {
			transfer_free(e, e->slots[i], 1);
			e->slots[i] = NULL;
		}
	for (size_t i = 1; i < e->nch; i++)
		e->ch[i].retired = 1;
	e->stop = 1;
}

/*
 * The connection went away while an extra channel was being opened, or
 * before any data arrived after one opened: the channel is the likely cause
 * (servers that allow one or two close the connection instead of refusing
 * it). Said in stats.channel_dropped.
 */
static void
blame_channel(struct engine *e, const struct sd_err *err)
{
	size_t n = e->channel_trying ? e->channel_trying : e->nch;

	if (n < 2 || (!sd_err_is(err, SD_KIND_TRANSFER_INTERRUPTED) && !sd_err_is(err, SD_KIND_CONNECTION_CLOSED)))
		return;
	if (e->channel_trying == 0 && e->received > e->received_at_channel)
		return;
	e->b->stats.channel_dropped = n;
}

/* Nothing is held and nothing could start: wait for the channel being opened, or say no channel is left. */
static int
no_channel(struct engine *e, struct sd_err *err)
{
	if (e->channel_trying)
		return sd_conn_wait(e->c, e->channel_deadline, e->b->step_deadline, SD_PHASE_SFTP_INIT,
		    SD_KIND_SFTP_TIMEOUT, err);
	return sd_fail(err, SD_KIND_SFTP_TIMEOUT, SD_PHASE_SFTP,
	    "%s: the server did not answer the closing of files on every SFTP channel this batch had; %zu file(s) were "
	    "not started", e->c->label, e->ntodo);
}

/* One turn: channels, starts, every transfer moved by one call, finished ones told. 1 when something moved. */
static int
turn(struct engine *e, size_t *next, struct sd_err *err)
{
	int moved = 0;
	size_t flying, held;

	if ((e->rtt_ms > 0 || usable(e) == 0) && *next < e->ntodo && !e->stop)
		moved |= add_channel(e);
	moved |= start_files(e, e->ntodo, next, err);
	count(e, &flying, &held);
	if (flying > e->b->stats.most_in_flight)
		e->b->stats.most_in_flight = flying;
	for (size_t i = 0; i < e->nslots; i++) {
		struct transfer *x = e->slots[i];
		if (x == NULL)
			continue;
		moved |= advance(e, x);
		if (x->bufsize > e->b->stats.largest_buffer)
			e->b->stats.largest_buffer = x->bufsize;
		if (x->state == X_DONE)
			finish(e, i, next, err);
	}
	return moved;
}

int
sd_sftp_download(struct sd_conn *c, struct sd_batch *b, struct sd_err *err)
{
	struct engine e = { .c = c, .b = b, .ch = { { .sftp = c->sftp } }, .nch = 1, .ntodo = b->n };
	size_t next = 0, flying, held;
	uint64_t inflight = c->limits.max_inflight;
	uint64_t channels = b->max_channels ? b->max_channels : c->limits.max_channels;

	b->stats = (struct sd_fetch_stats){ 0 };
	e.cap = inflight >= 1 && inflight <= MAX_HANDLES ? (size_t)inflight : 1;
	e.max_channels = channels >= 1 && channels <= MAX_CHANNELS ? channels : 1;
	e.nslots = e.cap;
	e.slots = sd_xcalloc(e.nslots, sizeof(*e.slots));
	e.todo = sd_xcalloc(b->n ? b->n : 1, sizeof(*e.todo));
	for (size_t i = 0; i < b->n; i++)
		e.todo[i] = i;
	for (;;) {
		int moved = turn(&e, &next, err);

		count(&e, &flying, &held);
		if (held == 0 && (next >= e.ntodo || e.stop))
			break;
		if (held == 0 && !moved) {
			if (no_channel(&e, err) < 0)
				e.stop = 1;
			continue;
		}
		if (held > 0 && (!moved || sd_cancelled(c->cancel) || (b->step_deadline && sd_remaining_ms(b->step_deadline) == 0))) {
			struct sd_err why;
			if (wait_any(&e, e.stop ? &why : err) < 0) {
				blame_channel(&e, e.stop ? &why : err);
				abandon_all(&e);
			}
		}
	}
	if (e.stop)
		blame_channel(&e, err);
	close_channels(&e);
	b->stats.rtt_ms = e.rtt_ms;
	b->stats.channels = e.nch;
	free(e.slots);
	free(e.todo);
	return e.stop ? -1 : 0;
}
