/* kind.h — what a step's outcome can be: its status, and the kind of failure, as one table. */
#ifndef SD_KIND_H
#define SD_KIND_H

/* A step's status; JUnit's testcase outcomes. */
enum sd_status { SD_PASS, SD_FAIL, SD_ERROR, SD_SKIP };

/*
 * Every cause a step can end with. The name each one reports (JUnit's
 * `type`), whether it is a failure (the check ran and is false) or an error
 * (it could not be evaluated), and what it does to the connection live in
 * kind.c's table, nowhere else. To add one: a constant here, a row there,
 * a row in README's table (a test compares them).
 */
enum sd_kind {
	SD_KIND_NONE = 0,
	SD_KIND_SKIPPED,
	SD_KIND_TARGET_MISMATCH,
	SD_KIND_RESOLVE_FAILED,
	SD_KIND_RESOLVE_TIMEOUT,
	SD_KIND_CONNECT_REFUSED,
	SD_KIND_CONNECT_TIMEOUT,
	SD_KIND_CONNECT_UNREACHABLE,
	SD_KIND_CONNECT_FAILED,
	SD_KIND_BANNER_TIMEOUT,
	SD_KIND_CONNECTION_CLOSED,
	SD_KIND_KEX_FAILED,
	SD_KIND_KEX_TIMEOUT,
	SD_KIND_HANDSHAKE_FAILED,
	SD_KIND_HOSTKEY_MISMATCH,
	SD_KIND_HOSTKEY_UNKNOWN,
	SD_KIND_HOSTKEY_UNSUPPORTED,
	SD_KIND_HOSTKEY_UNAVAILABLE,
	SD_KIND_KNOWN_HOSTS_UNREADABLE,
	SD_KIND_AUTH_REJECTED,
	SD_KIND_AUTH_FAILED,
	SD_KIND_AUTH_TIMEOUT,
	SD_KIND_KEY_UNREADABLE,
	SD_KIND_AGENT_UNAVAILABLE,
	SD_KIND_SFTP_INIT_FAILED,
	SD_KIND_SFTP_INIT_TIMEOUT,
	SD_KIND_COUNT_MISMATCH,
	SD_KIND_NO_BASELINE,
	SD_KIND_BASELINE_INVALID,
	SD_KIND_KEY_CHANGED,
	SD_KIND_FILE_MISSING,
	SD_KIND_PERMISSION_DENIED,
	SD_KIND_NOT_A_FILE,
	SD_KIND_SFTP_ERROR,
	SD_KIND_SFTP_TIMEOUT,
	SD_KIND_TRANSFER_TIMEOUT,
	SD_KIND_STEP_TIMEOUT,
	SD_KIND_TRANSFER_INTERRUPTED,
	SD_KIND_SIZE_MISMATCH,
	SD_KIND_UNSAFE_NAME,
	SD_KIND_LOGOUT_FAILED,
	SD_KIND_LOGOUT_TIMEOUT,
	SD_KIND_LOCAL_FILE_CONFLICT,
	SD_KIND_LOCAL_IO_ERROR,
	SD_KIND_LOCAL_ERROR,
	SD_KIND_EVIDENCE_CHANGED,
	SD_KIND_SSH_CONFIG_UNREADABLE,
	SD_KIND_CONFIG_ERROR,
	SD_KIND_SIGN_KEY_INVALID,
	SD_KIND__COUNT
};

/* Effects a kind has beyond its step. */
enum {
	/* libssh2's state is unknown afterwards: the connection is closed, never reused. */
	SD_KIND_DROPS_CONNECTION = 1 << 0,
};

struct sd_kind_desc {
	const char *name;           /* reported as JUnit's `type`; documented in README */
	enum sd_status status;      /* SD_FAIL, SD_ERROR or SD_SKIP */
	unsigned flags;             /* SD_KIND_* effects */
	const char *meaning;        /* one line for the documentation table */
	const char *hint;           /* what to do about it, or NULL */
};

/* The descriptor of k (SD_KIND_NONE's for a value out of range). */
const struct sd_kind_desc *sd_kind(enum sd_kind k);

/* Shorthand for sd_kind(k)->name. */
const char *sd_kind_name(enum sd_kind k);

/* The kind named name; 0, or -1 when no kind has that name. */
int sd_kind_lookup(const char *name, enum sd_kind *out);

/*
 * Append k's row of the documentation table to out, as Markdown:
 * "| `Name` | failure | meaning |\n" (README's failure-type table is made of these).
 */
struct sd_buf;
void sd_kind_doc_row(enum sd_kind k, struct sd_buf *out);

/* "passed", "failed", "error", "skipped". */
const char *sd_status_name(enum sd_status st);

#endif
