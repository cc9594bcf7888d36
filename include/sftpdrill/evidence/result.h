/* result.h — the results of a run: suites per (drill, endpoint), a case per step. */
#ifndef SD_RESULT_H
#define SD_RESULT_H

#include <stddef.h>
#include <time.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/err.h"

struct sd_case {
	char *name;
	enum sd_status status;
	enum sd_kind kind;      /* cause for FAIL/ERROR/SKIP; its name is JUnit's type */
	enum sd_phase phase;    /* where it happened, with the library's codes (0: none) */
	int ssh_code;
	unsigned long sftp_code;
	char *message;          /* one line for humans; never NULL once finished */
	char *detail;           /* longer text (system-out), or NULL */
	char *note;             /* on a pass: what is worth a look anyway (a swap, a first record), or NULL */
	double time;            /* seconds */
	time_t started;
};

struct sd_prop {
	char *name;
	char *value;
};

struct sd_suite {
	char *name;             /* "DRILL @ host:port": unique across a run */
	char *classname;        /* "DRILL › SET node N", no dot: what reporters group testcases by */
	char *drill;
	char *endpoint;
	time_t started;
	double time;
	struct sd_prop *props;
	size_t nprops, capprops;
	struct sd_case *cases;      /* grows: a pointer to a case is valid until the next add */
	size_t ncases, capcases;
	int attempt;                /* 0 or 1: the first; N: the N-th attempt at this drill and endpoint */
	int superseded;             /* a later attempt of the same drill and endpoint took its place */
};

struct sd_downloaded {
	char *path;             /* local path as written */
	char *endpoint;         /* where it came from, "host:port" */
	char sha256[65];
};

/* What RUN-INFO attests of one drill: every file it read, with the SHA-256 of the bytes parsed; its window. */
struct sd_drill_record {
	char *name;
	struct sd_strv files;       /* the drill first, then what it included */
	struct sd_strv sha256;      /* one per file */
	char *window;               /* as written, or NULL */
	char *window_status;        /* "inside", "before: ...", "after: ...", or NULL */
};

/* Who ran it, where, with what: the facts of a run that are not steps. Strings may be NULL. */
struct sd_run_facts {
	char *tool;                 /* "sftpdrill 0.2.0" */
	char *libraries;            /* libssh2 and OpenSSL, as running */
	char *operator_name, *hostname;
	char *business_date;        /* YYYY-MM-DD */
	time_t clock;               /* the machine's clock when the run started */
	char *now_override;         /* --now as given */
};

struct sd_run {
	time_t started;
	double time;
	char *title;            /* what the bundle is: its drills' names, a roster's, a merge's */
	char *mode;             /* NULL: the session itself; else why it is a rehearsal, shown in every verdict */
	char *account;          /* a roster account's name, or NULL: leads every suite's name and classname */
	struct sd_run_facts facts;
	struct sd_drill_record *drills;
	size_t ndrills, capdrills;
	struct sd_strv definitions; /* "-D NAME=VALUE" as given on the command line, secrets masked */
	struct sd_suite **suites;
	size_t nsuites, capsuites;
	struct sd_downloaded *files;
	size_t nfiles, capfiles;
};

/*
 * Add a suite (owned by run) for drill on endpoint, the index-th node of
 * endpoint set `set`; returns it. Its classname names drill and node and holds
 * no dot (JUnit reporters split classnames at dots: an address would split).
 */
struct sd_suite *sd_run_add_suite(struct sd_run *run, const char *drill, const char *endpoint, const char *set,
    size_t index);

/*
 * Make s the attempt-th attempt at its drill and endpoint (attempt > 1): its
 * name and classname say so ("... (attempt 2)"), and the property attempt.
 */
void sd_suite_attempt(struct sd_suite *s, int attempt);

/*
 * The suites [from, nsuites) are later attempts: each earlier suite of the
 * same drill and endpoint (and account) is marked superseded, with the
 * property superseded.by. Superseded suites stay in every report, as the
 * evidence of what happened, but no longer decide the verdict or exit status.
 */
void sd_run_supersede(struct sd_run *run, size_t from);

/* Set (or replace) a suite property; value NULL or "" leaves it out. */
void sd_suite_prop(struct sd_suite *s, const char *name, const char *value);

/* Value of a property or NULL. */
const char *sd_suite_get_prop(const struct sd_suite *s, const char *name);

/* Append a case (fields copied); returns it. */
struct sd_case *sd_suite_add_case(struct sd_suite *s, const char *name);

/* Add a drill's record (name copied); returns it, to be filled. */
struct sd_drill_record *sd_run_add_drill(struct sd_run *run, const char *name);

/* Set a string fact: *field = a copy of value (NULL or "" leaves NULL); an earlier value is freed. */
void sd_run_set(char **field, const char *value);

/* Record a downloaded file for checksums and the evidence bundle. */
void sd_run_add_file(struct sd_run *run, const char *path, const char *endpoint, const char *sha256);

/* Count cases of a status in a suite, or in the whole run (suite NULL). */
size_t sd_count(const struct sd_run *run, const struct sd_suite *suite, enum sd_status st);

/* Total cases in a suite or run. */
size_t sd_count_all(const struct sd_run *run, const struct sd_suite *suite);

/*
 * "ALL STEPS PASSED", "NOT ALL STEPS PASSED", "INCOMPLETE" when the run was
 * interrupted, or "NOTHING TO DO (NOT A BUSINESS DAY)" when every step is a
 * neutral skip. Neutral skips (SD_KIND_NEUTRAL) count as passed.
 */
const char *sd_run_verdict(const struct sd_run *run);

/* Move every suite (and downloaded file) of from into into; from is left empty. */
void sd_run_take(struct sd_run *into, struct sd_run *from);

/* Exit status of a run: 0 all passed (or neutral skips), 1 a check failed, 3 a step could not be evaluated. */
int sd_run_exit_status(const struct sd_run *run);

/* Free everything the run owns (not the struct itself). */
void sd_run_release(struct sd_run *run);

#endif
