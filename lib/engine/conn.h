/* conn.h — private to lib/: the connection struct shared by session.c and sftp.c. */
#ifndef SD_CONN_H
#define SD_CONN_H

#include <limits.h>
#include <libssh2.h>
#include <libssh2_sftp.h>

#include "kexinit.h"
#include "sftpdrill/engine/negotiate.h"
#include "sftpdrill/engine/session.h"
#include "sftpdrill/engine/sftp.h"

struct sd_conn {
	int fd;
	LIBSSH2_SESSION *ssh;
	LIBSSH2_SFTP *sftp;
	struct sd_kexinit kexinit;  /* what the server offered, read as it arrived */
	char *offer[SD_ALG__COUNT]; /* what this side offered, per category (negotiate.h) */
	int hostkeys_known;         /* the host-key offer is the types known_hosts has, not the policy's */
	struct sd_conn_info info;
	struct sd_timeouts to;
	struct sd_limits limits;
	const struct sd_cancel *cancel;
	int cleaning;               /* closing something: a stop request does not cut the wait short */
	/*
	 * While authenticating, every allocation libssh2 makes gets this many bytes more: libssh2 1.11.1
	 * (userauth.c, _libssh2_key_sign_algorithm) writes the server's server-sig-algs names it knows into
	 * a buffer the size of its own list, past its end when the server names one twice (asyncssh does),
	 * by at most one packet's payload. With the room there, nothing is overwritten. See login in auth.c.
	 */
	size_t alloc_slack;
	struct sd_buf out;          /* what libssh2 sent and the socket has not taken yet (wire.h) */
	size_t out_done;            /* bytes of out already written */
	int wire_error;             /* errno of a failed write, for libssh2's next call to hear */
	char label[300];
	sd_note_fn note;
	void *note_ctx;
};

/* How to wait while libssh2 answers EAGAIN: the deadlines, and what a timeout is called. */
struct sd_wait {
	int64_t phase_deadline, step_deadline;  /* 0: none */
	enum sd_phase phase;
	enum sd_kind timeout;       /* the kind when the phase deadline passes (the step's is StepTimeout) */
};

/* The wait for one operation of phase (auth, sftp-init, sftp, transfer...) starting now, under the step's deadline. */
struct sd_wait sd_conn_phase_wait(const struct sd_conn *c, enum sd_phase phase, int64_t step_deadline);

/*
 * Closing (a file handle, the SFTP channel, the session) is done even after
 * a stop request, so nothing is left half-open or leaked; but then for at
 * most SD_CLEANUP_AFTER_STOP_MS, so Ctrl-C never waits on a hung server.
 * Repeat op like sd_conn_repeat, up to deadline, with c marked as cleaning.
 */
#define SD_CLEANUP_AFTER_STOP_MS 2000
int sd_conn_cleanup(struct sd_conn *c, int (*op)(struct sd_conn *c, void *arg), void *arg, int64_t deadline,
    enum sd_kind timeout, struct sd_err *err);

/* sd_conn_repeat's answer when a deadline passed first (err says which). */
#define SD_WAIT_FAILED INT_MIN

/*
 * Call op(c, arg) until it answers anything but LIBSSH2_ERROR_EAGAIN,
 * waiting on the socket in between (sd_conn_wait). Returns op's answer, or
 * SD_WAIT_FAILED with err. The one place a non-blocking call is repeated.
 */
int sd_conn_repeat(struct sd_conn *c, int (*op)(struct sd_conn *c, void *arg), void *arg, const struct sd_wait *w,
    struct sd_err *err);

/* Tell the caller about progress (printf-like); nothing if no one listens. */
void sd_conn_note(struct sd_conn *c, enum sd_note_kind kind, enum sd_phase phase, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Wait for the socket in the directions libssh2 is blocked on, until
 * phase_deadline or step_deadline (whichever first). Sends keepalives while
 * waiting. Returns 0 to retry the call, or -1 with err (kind timeout for the
 * phase deadline, StepTimeout for the step's).
 */
int sd_conn_wait(struct sd_conn *c, int64_t phase_deadline, int64_t step_deadline,
    enum sd_phase phase, enum sd_kind timeout, struct sd_err *err);

/* Is this libssh2 error the connection going away (not a verdict by the server)? */
int sd_ssh_is_disconnect(int rc);

/* libssh2's message for its last error (never NULL). */
const char *sd_ssh_message(LIBSSH2_SESSION *s);

/* Translate a libssh2 error code after an SFTP call on path into err. */
int sd_conn_sftp_error(struct sd_conn *c, int rc, const char *what, const char *path,
    struct sd_err *err);

/* The same for a call made on the SFTP channel sftp (a batch of downloads uses several). */
int sd_conn_channel_error(struct sd_conn *c, LIBSSH2_SFTP *sftp, int rc, const char *what, const char *path,
    struct sd_err *err);

/* Close an SFTP handle, bounded; failures to close are not interesting after the work is done. */
void sd_conn_close_handle(struct sd_conn *c, LIBSSH2_SFTP_HANDLE *h);

/* A directory entry (or a stat's answer) as the callers see it. */
void sd_conn_dirent(struct sd_dirent *e, const char *name, size_t len, const LIBSSH2_SFTP_ATTRIBUTES *a);

#endif
