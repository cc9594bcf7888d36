/* result.h — the results of a run: suites per (drill, endpoint), a case per step. */
#ifndef SD_RESULT_H
#define SD_RESULT_H

#include <stddef.h>
#include <time.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/err.h"

/*
 * An earlier attempt at a step that did not pass (a `retry` of the step, or
 * --retry-until-window-end's attempt at its endpoint): JUnit's flakyFailure
 * or flakyError when the step passed in the end, rerunFailure or rerunError
 * when it did not (Surefire's rerun convention, which every CI reader takes
 * for one test).
 */
struct sd_rerun {
	enum sd_status status;      /* SD_FAIL or SD_ERROR */
	enum sd_kind kind;
	char *message;
	char *detail;               /* or NULL */
	double time;
	time_t started;
	int attempt;                /* 1: the first */
};

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
	struct sd_rerun *reruns;    /* the attempts before this outcome that did not pass, oldest first */
	size_t nreruns, capreruns;
	int attempts;               /* attempts in all: 0 or 1 unless it was tried again */
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
	int attempts;               /* --retry-until-window-end: attempts at this endpoint in all (0 or 1: one) */
};

struct sd_downloaded {
	char *path;             /* local path as written */
	char *endpoint;         /* where it came from, "host:port" */
	char *evidence;         /* its name under the bundle's downloads/: "HOST_PORT/REMOTE-FOLDER/NAME" */
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
	int interrupted;        /* the signal that stopped the run (waiting included), 0 if none */
	char *interrupted_while; /* what it was doing then ("running", "waiting for the window", ...), or NULL */
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
 * A suite of the same name as an earlier one is a later attempt at that
 * drill and endpoint (--retry-until-window-end): it takes the earlier one's
 * place, which keeps its name and start and counts one more attempt; the
 * earlier cases that did not pass become the reruns of the later ones
 * (matched by step). Called once every attempt has run.
 */
void sd_run_fold_attempts(struct sd_run *run);

/* Record an earlier attempt of c that did not pass (its outcome copied; attempt numbered in turn). */
void sd_case_add_rerun(struct sd_case *c, enum sd_status status, enum sd_kind kind, const char *message,
    const char *detail, double time, time_t started);

/*
 * Do a and b belong in one table (one session of a record): the same drill
 * of the same account? Writers group consecutive suites by it.
 */
int sd_suite_same_group(const struct sd_suite *a, const struct sd_suite *b);

/* The title of a's group: "DRILL", or "ACCOUNT: DRILL" for an account of a roster. Caller frees. */
char *sd_suite_group_title(const struct sd_suite *a);

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

/* Record a downloaded file for checksums and the evidence bundle (evidence: its name under downloads/). */
void sd_run_add_file(struct sd_run *run, const char *path, const char *endpoint, const char *evidence,
    const char *sha256);

/* Count cases of a status in a suite, or in the whole run (suite NULL). */
size_t sd_count(const struct sd_run *run, const struct sd_suite *suite, enum sd_status st);

/* Total cases in a suite or run. */
size_t sd_count_all(const struct sd_run *run, const struct sd_suite *suite);

/* What a run comes to: told the same by every writer (terminal, JUnit, HTML, RUN-INFO, roster, merge, record). */
enum sd_verdict_kind {
	SD_VERDICT_PASSED,          /* every step passed (or was a neutral skip) */
	SD_VERDICT_FAILED,          /* a step failed, erred or was skipped after one */
	SD_VERDICT_INCOMPLETE,      /* a signal stopped the run (while waiting too) */
	SD_VERDICT_NOTHING_TO_DO,   /* every step was a neutral skip: not a business day */
};

struct sd_verdict {
	enum sd_verdict_kind kind;
	const char *text;           /* "ALL STEPS PASSED", "NOT ALL STEPS PASSED", "INCOMPLETE", "NOTHING TO DO (NOT A BUSINESS DAY)" */
	const char *mode;           /* NULL: the session itself; else why it is a rehearsal */
	size_t passed, failed, errors, skipped, total;  /* the steps, as every CI reader counts them */
	size_t retried;             /* steps that passed after more than one attempt */
	int most_attempts;          /* the most attempts one of those needed */
	int exit_status;            /* 0; 1 a check failed; 2 something given cannot run as written (a roster row, a
	                               refused run), whatever else happened; 3 an error; 128+N stopped by signal N */
};

/* The verdict of run: the one model every writer reads. */
void sd_run_verdict_of(const struct sd_run *run, struct sd_verdict *v);

/* The verdict's text alone (sd_verdict's .text). */
const char *sd_run_verdict(const struct sd_run *run);

/*
 * The closing line every writer shows: "13 passed, 1 failed, 0 errors, 0 skipped —
 * NOT ALL STEPS PASSED", with " (REHEARSAL)" for a rehearsal and "; 2 passed after
 * 2 attempts" when steps were retried.
 */
void sd_verdict_line(const struct sd_verdict *v, struct sd_buf *out);

/*
 * Move every suite (and downloaded file) of from into into; from is left empty. A
 * rehearsal's mode and a stop go with them: a merge of rehearsals is a rehearsal.
 */
void sd_run_take(struct sd_run *into, struct sd_run *from);

/* Exit status of a run (sd_verdict's): 0 passed, 1 a check failed, 3 a step could not be evaluated, 128+N stopped. */
int sd_run_exit_status(const struct sd_run *run);

/* Free everything the run owns (not the struct itself). */
void sd_run_release(struct sd_run *run);

#endif
