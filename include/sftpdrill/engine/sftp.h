/* sftp.h — read-only SFTP v3 operations on a logged-in connection: list, stat, download. */
#ifndef SD_SFTP_H
#define SD_SFTP_H

#include <stdint.h>

#include "sftpdrill/base/err.h"
#include "sftpdrill/engine/session.h"

/* What a listing says an entry is; UNKNOWN when the server sent no permissions. */
enum sd_entry_type { SD_ENTRY_UNKNOWN, SD_ENTRY_FILE, SD_ENTRY_DIR, SD_ENTRY_LINK, SD_ENTRY_OTHER };

struct sd_dirent {
	const char *name;           /* raw bytes from the server; never a local path as is */
	size_t name_len;            /* bytes the server sent: more than strlen(name) when it holds a NUL */
	enum sd_entry_type type;
	uint64_t size;
	uint64_t mtime;
	int has_size, has_mtime;
};

/* Could the entry be a report file: a regular file, or one of unknown type (a server that sends no permissions)? */
int sd_dirent_maybe_file(const struct sd_dirent *e);

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

/*
 * What the server says of path (following a link, as a download would):
 * e's type, size and time (e->name is path). Kinds: FileMissing,
 * PermissionDenied, SftpError, SftpTimeout, StepTimeout, ConnectionClosed.
 */
int sd_sftp_stat(struct sd_conn *c, const char *path, struct sd_dirent *e, int64_t step_deadline, struct sd_err *err);

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
	/*
	 * The listing just said it is a regular file of listed_size bytes: that
	 * is the size announced, and no stat round trip is spent on it (a file
	 * that then sends more still stops at once: SizeMismatch).
	 */
	int listed;
	uint64_t listed_size;
};

struct sd_download {
	char sha256[65];
	uint64_t bytes;
	uint64_t remote_size;
	int size_known;             /* the server announced remote_size */
	int already_present;        /* an identical local file existed; nothing was written */
};

/* How a batch of downloads went, for the report: what the line and the server allowed. */
struct sd_fetch_stats {
	size_t most_in_flight;      /* the most files in flight at once */
	int64_t rtt_ms;             /* the round trip measured (the quickest open); 0 if none */
	size_t largest_buffer;      /* the largest read buffer the read-ahead grew to */
	size_t channels;            /* SFTP channels used on the connection */
	size_t channel_refused;     /* the server refused SFTP channel N (0: none refused) */
	size_t channel_dropped;     /* the server closed the connection when SFTP channel N opened (0: it did not) */
	size_t handles_allowed;     /* the server refused an open with this many handles open (0: it never did) */
};

/* One download of a batch finished well: the i-th of the caller's list. */
typedef void (*sd_fetch_done_fn)(void *ctx, size_t i, const struct sd_download *dl);

/* A batch of downloads on one connection. */
struct sd_batch {
	const struct sd_fetch *files;
	size_t n;
	int64_t step_deadline;
	size_t max_channels;        /* SFTP channels it may use: 1 to 10; 0: the connection's `limit channels` */
	sd_fetch_done_fn done;      /* called for each file as it completes; may be NULL */
	void *ctx;
	struct sd_fetch_stats stats; /* filled in */
};

/*
 * Download the files of b, several at once on this one connection (one SFTP
 * handle each, their requests interleaved, so that the round trips of one
 * overlap the others' data): one until the first open has measured the
 * round trip, then one more per 2 ms of it, at most the connection's `limit
 * inflight`. Each file in flight has an SFTP channel to itself (libssh2
 * keeps one half-done write per channel, which another handle's call would
 * trample): at most 8 files transfer at once, and up to 10 channels (`limit
 * channels`, b->max_channels; two for files closing) are opened for the
 * batch and closed after it. What the server allows, the batch adapts to: a
 * channel it refuses leaves the batch on those it has; an open it refuses
 * while others are open lowers the handles kept open to that many and the
 * file is tried again when one closes (it fails only when refused with no
 * other open); the server closing the connection as an extra channel opens
 * is returned as such (stats.channel_dropped, ConnectionClosed), for the
 * caller to reconnect once and go on on one channel. No file ever fails
 * because of sftpdrill's own parallelism. A file the listing showed as
 * regular with a size needs no stat. Each file's read-ahead (libssh2 keeps
 * about four read buffers in flight) grows from 256 KiB while the measured
 * rate x round trip does not fit twice in flight, up to 4 MiB, the
 * connection's buffers together under 16 MiB. After the first failure no new
 * file starts (those in flight finish), and that failure is returned. A
 * deadline or a stop ends every transfer at once, leaving handles and
 * channels to the connection's end (the caller drops it): nothing waits on a
 * server that stalls.
 *
 * Each file goes into local_dir/local_name: streamed to a temporary file
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
 * FileTooLarge, TransferInterrupted, ConnectionClosed, SftpTimeout,
 * TransferTimeout, StepTimeout, LocalIOError, LocalFileConflict, Interrupted.
 */
int sd_sftp_download(struct sd_conn *c, struct sd_batch *b, struct sd_err *err);

#endif
