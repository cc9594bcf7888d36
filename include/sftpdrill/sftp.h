/* sftp.h — read-only SFTP v3 operations on a logged-in connection: list, stat, download. */
#ifndef SD_SFTP_H
#define SD_SFTP_H

#include <stdint.h>

#include "sftpdrill/err.h"
#include "sftpdrill/session.h"

struct sd_dirent {
	const char *name;           /* raw bytes from the server; never a local path as is */
	size_t name_len;            /* bytes the server sent: more than strlen(name) when it holds a NUL */
	uint64_t size;
	uint64_t mtime;
	unsigned long perm;
	int has_size, has_mtime, has_perm;
	int is_regular;             /* regular file, or type unknown (no permissions sent) */
	int is_dir;
};

/* Called per entry ("." and ".." are left out); return non-zero to stop listing. */
typedef int (*sd_list_fn)(void *ctx, const struct sd_dirent *e);

/*
 * Stream the listing of dir to fn, entry by entry, in server order: memory
 * stays bounded whatever the folder size (a name may be up to 256 KiB; the
 * connection's limits cap the entries and name bytes of one listing).
 * Kinds: FileMissing, PermissionDenied, SftpError, ListingTooLarge,
 * SftpTimeout, StepTimeout, ConnectionClosed.
 */
int sd_sftp_list(struct sd_conn *c, const char *dir, sd_list_fn fn, void *ctx,
    int64_t step_deadline, struct sd_err *err);

/* Progress of a download: bytes so far and expected total. */
typedef void (*sd_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* What to download and where to. */
struct sd_fetch {
	const char *remote;         /* the remote path */
	const char *local_dir;      /* the working copy goes to local_dir/local_name */
	const char *local_name;
	const char *copy_dir;       /* NULL, or the evidence copy goes to copy_dir/local_name too */
	sd_progress_fn progress;    /* may be NULL */
	void *pctx;
};

struct sd_download {
	char sha256[65];
	uint64_t bytes;
	uint64_t remote_size;
	int size_known;             /* the server announced remote_size */
	int already_present;        /* an identical local file existed; nothing was written */
};

/*
 * Download f->remote into local_dir/local_name: streamed to a temporary file
 * in local_dir with SHA-256 computed on the way, size checked against the
 * remote size, fsync'd, then published under the final name only if no file
 * is there. An identical existing file counts as success (already_present);
 * a different one is kept and reported (LocalFileConflict). Nothing partial
 * is ever left under the final name. The transfer stops the moment more
 * bytes arrive than announced (SizeMismatch), or, with no size announced,
 * more than the connection's max_size (FileTooLarge).
 *
 * With copy_dir, a second, independent file copy_dir/local_name is made
 * from the same bytes: a reflink of the finished temporary file where the
 * file system can (tried once, on the empty files), else written as the
 * data streams. Never a hard link, never a second read of the working copy;
 * published the same way, after the working copy.
 *
 * Kinds: FileMissing, PermissionDenied, NotAFile, UnsafeName, SizeMismatch,
 * FileTooLarge, TransferInterrupted, SftpTimeout, StepTimeout, LocalIOError,
 * LocalFileConflict, Interrupted.
 */
int sd_sftp_download(struct sd_conn *c, const struct sd_fetch *f, int64_t step_deadline, struct sd_download *out,
    struct sd_err *err);

#endif
