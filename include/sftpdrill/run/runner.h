/* runner.h — run a parsed drill against every endpoint of its target set. */
#ifndef SD_RUNNER_H
#define SD_RUNNER_H

#include <stddef.h>

#include "sftpdrill/base/cancel.h"
#include "sftpdrill/language/drill.h"
#include "sftpdrill/run/preflight.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/evidence/event.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/evidence/result.h"

struct sd_transport;

struct sd_run_opts {
	const struct sd_transport *transport; /* NULL: SSH (sd_transport_ssh); tests pass a fake */
	const char *passphrase;     /* private key passphrase or NULL; never recorded */
	/*
	 * When the passphrase is wrong: ask for it again (attempt 2, 3), or NULL
	 * to give up. Called only in serial runs, under the run's lock; what it
	 * returns stays valid for the run and is used from then on. May be NULL.
	 */
	const char *(*ask_passphrase)(void *ctx, const char *keyfile, int attempt);
	void *ask_ctx;
	const char *operator_name;  /* recorded as a property */
	const struct sd_redactor *redact; /* masks every message and property before it is recorded; may be NULL */
	const struct sd_cancel *cancel; /* once set: the running step ends Interrupted, the rest are skipped */
	const char *evidence_dir;   /* the run folder: downloads are copied to its downloads/<host>_<port>/<folder>/
	                               as they stream (see sd_sftp_download); NULL: no copies */
	sd_event_fn on_event;       /* may be NULL */
	void *ctx;
	long business_day;          /* the run's business date (day number, see calendar.h) */
	long today;                 /* the date now in the site's zone: a business date before it is a catch-up */
	long utc_offset;            /* the site's zone (seconds east of UTC), where a business day ends */
	int accept_new_key_reference; /* record a key reference even though the account has run before */
	struct sd_calendar_sources calendar; /* holiday files and closures besides the drill's own */
	int trust_on_first_use;     /* write unknown host keys to known_hosts (explicit option only) */
	int parallel;               /* run the endpoints of the set at once, a thread and a session each */
	int jobs;                   /* with parallel: at most this many at a time (0: all of them) */
	int shard_k, shard_n;       /* only the endpoints i of the set with i % shard_n == shard_k - 1 (0: all) */
	const struct sd_strv *only; /* if not NULL: only the endpoints with these labels */
};

/*
 * Run every step of d against each endpoint of its target set, in turn or
 * (o->parallel) at once, appending one suite per endpoint to run in the
 * set's order either way. A step runs when what its verb needs (verb.h)
 * is there: a failed connection or login skips the endpoint's later
 * network steps. A step with `retry N` is tried again after a failure (not
 * an error), waiting its backoff, doubled each time; a connection left in
 * an unknown state is never reused. Callbacks are never made from two
 * threads at once. Returns 0 (results are in run, whatever they are).
 */
int sd_run_drill(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run);

#endif
