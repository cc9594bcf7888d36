/* runner.h — run a parsed drill against every endpoint of its target set. */
#ifndef SD_RUNNER_H
#define SD_RUNNER_H

#include <stdint.h>

#include "sftpdrill/drill.h"
#include "sftpdrill/err.h"
#include "sftpdrill/result.h"

enum sd_event_kind {
	SD_EV_SUITE_BEGIN,      /* suite, endpoint */
	SD_EV_STEP_BEGIN,       /* suite, step */
	SD_EV_STEP_END,         /* suite, step, result */
	SD_EV_SUITE_END,        /* suite */
	SD_EV_WARNING,          /* suite (may be NULL), message */
	SD_EV_PROGRESS,         /* suite, step, done, total */
	SD_EV_PHASE             /* suite, step, phase, message: what a connection is doing */
};

/* What the runner tells its caller as it goes; pointers valid during the callback only. */
struct sd_event {
	enum sd_event_kind kind;
	const struct sd_drill *drill;
	const struct sd_endpoint *endpoint;
	const struct sd_suite *suite;
	const struct sd_step *step;
	const struct sd_case *result;
	const char *message;
	uint64_t done, total;
	enum sd_phase phase;
};

typedef void (*sd_event_fn)(void *ctx, const struct sd_event *ev);

struct sd_run_opts {
	const char *passphrase;     /* private key passphrase or NULL; never recorded */
	const char *operator_name;  /* recorded as a property */
	sd_event_fn on_event;       /* may be NULL */
	void *ctx;
	long business_day;          /* the run's business date (day number, see calendar.h) */
	const long *closures;       /* extra non-business days (typhoon, rainstorm), or NULL */
	size_t nclosures;
	int trust_on_first_use;     /* write unknown host keys to known_hosts (explicit option only) */
	int parallel;               /* run the endpoints of the set at once, a thread and a session each */
	int jobs;                   /* with parallel: at most this many at a time (0: all of them) */
};

/*
 * Run every step of d against each endpoint of its target set, in turn or
 * (o->parallel) at once, appending one suite per endpoint to run in the
 * set's order either way. Callbacks are never made from two threads at once.
 * Returns 0 (results are in run, whatever they are).
 */
int sd_run_drill(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run);

#endif
