/* sftp.c — read-only SFTP v3 operations: streamed listing and safe, hashed downloads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conn.h"
#include "sftpdrill/sftp.h"

/*
 * libssh2 keeps about four times the read buffer in flight, in requests of
 * at most 30000 bytes: the buffer size sets the pipeline depth.
 */
#define READ_BUFFER (256 * 1024)
/* libssh2 1.10 skips entries with name buffers under 4 KiB. */
#define NAME_BUFFER 8192

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
sd_conn_sftp_error(struct sd_conn *c, int rc, const char *what, const char *path,
    struct sd_err *err)
{
	char *shown = sd_printable(path, strlen(path));
	unsigned long fx;

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
			sd_fail(err, SD_KIND_SFTP_ERROR, SD_PHASE_SFTP, "%s: %s %s: server answered %s (%lu)",
			    c->label, what, shown, fx_name(fx), fx);
		err->sftp_code = fx;
	} else if (sd_ssh_is_disconnect(rc)) {
		sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_SFTP, "%s: connection lost during %s %s",
		    c->label, what, shown);
	} else {
		char *msg = NULL;
		libssh2_session_last_error(c->ssh, &msg, NULL, 0);
		sd_fail(err, SD_KIND_SFTP_ERROR, SD_PHASE_SFTP, "%s: %s %s failed: %s (libssh2 %d)",
		    c->label, what, shown, msg ? msg : "unknown", rc);
	}
	if (err)
		err->ssh_code = rc;
	free(shown);
	return -1;
}

/* Open path (file or folder) within the deadlines; NULL with err on failure. */
static LIBSSH2_SFTP_HANDLE *
open_handle(struct sd_conn *c, const char *path, int type, int64_t step_deadline, struct sd_err *err)
{
	int64_t deadline = sd_now_ms() + c->to.sftp_op;
	LIBSSH2_SFTP_HANDLE *h;

	while ((h = libssh2_sftp_open_ex(c->sftp, path, (unsigned)strlen(path), LIBSSH2_FXF_READ, 0, type)) == NULL) {
		int rc = libssh2_session_last_errno(c->ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN) {
			sd_conn_sftp_error(c, rc, type == LIBSSH2_SFTP_OPENDIR ? "open folder" : "open", path, err);
			return NULL;
		}
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_SFTP, SD_KIND_SFTP_TIMEOUT, err) < 0)
			return NULL;
	}
	return h;
}

/* Close a handle, bounded; failures to close are not interesting after the work is done. */
static void
close_handle(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h)
{
	int64_t deadline = sd_now_ms() + c->to.sftp_op;
	struct sd_err ignore;

	while (libssh2_sftp_close_handle(h) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, 0, SD_PHASE_SFTP, SD_KIND_SFTP_TIMEOUT, &ignore) < 0)
			break;
}

int
sd_sftp_list(struct sd_conn *c, const char *dir, sd_list_fn fn, void *ctx,
    int64_t step_deadline, struct sd_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	char *name = sd_xmalloc(NAME_BUFFER);
	int64_t deadline;
	int rc = -1, n;

	if ((h = open_handle(c, dir, LIBSSH2_SFTP_OPENDIR, step_deadline, err)) == NULL)
		goto out;
	deadline = sd_now_ms() + c->to.sftp_op;
	for (;;) {
		struct sd_dirent e = { 0 };

		/* No long entry: that "ls -l" text is never used, and copying it costs per entry. */
		n = libssh2_sftp_readdir_ex(h, name, NAME_BUFFER, NULL, 0, &attrs);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_SFTP, SD_KIND_SFTP_TIMEOUT, err) < 0)
				goto close;
			continue;
		}
		if (n < 0) {
			sd_conn_sftp_error(c, n, "list", dir, err);
			goto close;
		}
		if (n == 0)
			break;
		/* Each entry is progress: the operation deadline restarts. */
		deadline = sd_now_ms() + c->to.sftp_op;
		name[n < NAME_BUFFER ? n : NAME_BUFFER - 1] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		e.name = name;
		e.has_size = (attrs.flags & LIBSSH2_SFTP_ATTR_SIZE) != 0;
		e.size = attrs.filesize;
		e.has_mtime = (attrs.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) != 0;
		e.mtime = attrs.mtime;
		e.has_perm = (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0;
		e.perm = attrs.permissions;
		e.is_dir = e.has_perm && LIBSSH2_SFTP_S_ISDIR(attrs.permissions);
		e.is_regular = !e.has_perm || LIBSSH2_SFTP_S_ISREG(attrs.permissions);
		if (fn(ctx, &e) != 0)
			break;
	}
	rc = 0;
close:
	close_handle(c, h);
out:
	free(name);
	return rc;
}

/* Write all of buf; 0 or -1 with errno. */
static int
write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Stat remote for its size, within the deadlines. */
static int
remote_size(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h, const char *path, int64_t step_deadline,
    uint64_t *size, int *known, struct sd_err *err)
{
	int64_t deadline = sd_now_ms() + c->to.sftp_op;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	while ((rc = libssh2_sftp_fstat_ex(h, &a, 0)) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_SFTP, SD_KIND_SFTP_TIMEOUT, err) < 0)
			return -1;
	if (rc < 0)
		return sd_conn_sftp_error(c, rc, "stat", path, err);
	*known = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) != 0;
	*size = a.filesize;
	if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISREG(a.permissions)) {
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

	if (link(tmp, final) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno != EEXIST)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create %s: %s", final, strerror(errno));
	if (sd_sha256_file(final, existing) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "%s exists and cannot be read: %s",
		    final, strerror(errno));
	unlink(tmp);
	if (strcmp(existing, sha) == 0) {
		out->already_present = 1;
		return 0;
	}
	return sd_fail(err, SD_KIND_LOCAL_FILE_CONFLICT, SD_PHASE_LOCAL,
	    "%s already exists with different content (local sha256 %s, downloaded %s); it was kept as it is — move it away to download again",
	    final, existing, sha);
}

int
sd_sftp_download(struct sd_conn *c, const char *remote, const char *local_dir,
    const char *local_name, sd_progress_fn progress, void *pctx, int64_t step_deadline,
    struct sd_download *out, struct sd_err *err)
{
	LIBSSH2_SFTP_HANDLE *h = NULL;
	EVP_MD_CTX *md = NULL;
	char *buf = NULL, *tmp = NULL, *final = NULL;
	unsigned char digest[32];
	unsigned int dlen = 0;
	int64_t deadline;
	int fd = -1, rc = -1, size_known = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (!sd_safe_local_name(local_name)) {
		char *shown = sd_printable(local_name, strlen(local_name));
		sd_fail(err, SD_KIND_UNSAFE_NAME, SD_PHASE_CHECK,
		    "%s: remote name \"%s\" cannot be used as a local file name (/, .., or control characters); not downloaded",
		    c->label, shown);
		free(shown);
		return -1;
	}
	if (sd_mkdirs(local_dir) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create folder %s: %s",
		    local_dir, strerror(errno));
	if ((h = open_handle(c, remote, LIBSSH2_SFTP_OPENFILE, step_deadline, err)) == NULL)
		return -1;
	if (remote_size(c, h, remote, step_deadline, &out->remote_size, &size_known, err) < 0)
		goto out;
	final = sd_xasprintf("%s/%s", local_dir, local_name);
	if ((fd = sd_create_temp(local_dir, local_name, &tmp)) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create a temporary file in %s: %s",
		    local_dir, strerror(errno));
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "cannot start SHA-256");
		goto out;
	}
	buf = sd_xmalloc(READ_BUFFER);
	deadline = sd_now_ms() + c->to.sftp_op;
	for (;;) {
		n = libssh2_sftp_read(h, buf, READ_BUFFER);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_TRANSFER, SD_KIND_TRANSFER_TIMEOUT, err) < 0)
				goto out;
			continue;
		}
		if (n < 0 && sd_ssh_is_disconnect((int)n)) {
			sd_fail(err, SD_KIND_TRANSFER_INTERRUPTED, SD_PHASE_TRANSFER,
			    "%s: the connection was cut after %llu of %llu bytes of %s; nothing was kept",
			    c->label, (unsigned long long)out->bytes, (unsigned long long)out->remote_size, local_name);
			err->ssh_code = (int)n;
			goto out;
		}
		if (n < 0) {
			sd_conn_sftp_error(c, (int)n, "download", remote, err);
			goto out;
		}
		if (n == 0)
			break;
		/* Data is progress: the per-operation deadline restarts, the step's does not. */
		deadline = sd_now_ms() + c->to.sftp_op;
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (write_all(fd, buf, (size_t)n) < 0) {
			sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		out->bytes += (uint64_t)n;
		if (progress)
			progress(pctx, out->bytes, out->remote_size);
	}
	if (size_known && out->bytes != out->remote_size) {
		sd_fail(err, out->bytes < out->remote_size ? SD_KIND_TRANSFER_INTERRUPTED : SD_KIND_SIZE_MISMATCH, SD_PHASE_TRANSFER,
		    "%s: received %llu bytes of %s but the server reported %llu; nothing was kept",
		    c->label, (unsigned long long)out->bytes, local_name, (unsigned long long)out->remote_size);
		goto out;
	}
	EVP_DigestFinal_ex(md, digest, &dlen);
	sd_hex(digest, dlen, out->sha256);
	if (fsync(fd) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot flush %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (publish(tmp, final, out->sha256, out, err) < 0)
		goto out;
	free(tmp);
	tmp = NULL;
	{
		/* Make the new name durable too. */
		int dfd = open(local_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	if (h != NULL)
		close_handle(c, h);
	EVP_MD_CTX_free(md);
	free(buf);
	free(tmp);
	free(final);
	return rc;
}
