/* kind.h — what a step's outcome can be: its status, and the kind of failure, as one table. */
#ifndef SD_KIND_H
#define SD_KIND_H

/* A step's status; JUnit's testcase outcomes. */
enum sd_status { SD_PASS, SD_FAIL, SD_ERROR, SD_SKIP };

/*
 * Every cause a step can end with, from the one list in kinds.def: the
 * name each reports (JUnit's `type`), whether it is a failure (the check
 * ran and is false) or an error (it could not be evaluated), and what it
 * does to the connection live there, nowhere else.
 */
enum sd_kind {
#define KIND(id, name, status, flags, meaning, hint) SD_KIND_##id,
#include "sftpdrill/base/kinds.def"
#undef KIND
	SD_KIND__COUNT
};

/* Effects a kind has beyond its step. */
enum {
	/* libssh2's state is unknown afterwards: the connection is closed, never reused. */
	SD_KIND_DROPS_CONNECTION = 1 << 0,
	/* A skip that is the right outcome, not a lost check: it does not make the exit status non-zero. */
	SD_KIND_NEUTRAL = 1 << 1,
	/* The cause may be on the service's side: the recap says whom to call (the drill's service-desk). */
	SD_KIND_ASK_SERVICE = 1 << 2,
	/* What was given cannot be run as written (a roster row, a refused run): exit status 2, whatever else happened. */
	SD_KIND_USAGE = 1 << 3,
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

/*
 * Append k's row of the documentation table to out, as Markdown:
 * "| `Name` | failure | meaning |\n" (README's failure-type table is made of these).
 */
struct sd_buf;
void sd_kind_doc_row(enum sd_kind k, struct sd_buf *out);

/* "passed", "failed", "error", "skipped". */
const char *sd_status_name(enum sd_status st);

#endif
