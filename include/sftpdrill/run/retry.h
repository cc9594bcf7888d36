/* retry.h — --retry-until-window-end: a drill's failing endpoints run again until they pass or its window closes. */
#ifndef SD_RETRY_H
#define SD_RETRY_H

#include <stddef.h>
#include <time.h>

#include "sftpdrill/run/runner.h"

struct sd_retry_policy {
	int every_s;                /* the wait between attempts */
	/*
	 * The front end waits (a countdown on a terminal) until `until`, saying
	 * what; returns 0, or -1 once the run was asked to stop.
	 */
	int (*sleep_until)(void *ctx, time_t until, const char *what);
	void *ctx;
};

/*
 * After d ran (its suites are run's from `first` on): while the latest
 * attempt of an endpoint failed and another can start before d's window
 * closes, wait p->every_s and run d again on the failing endpoints only,
 * each attempt a suite of the same name appended to run (sd_run_fold_attempts
 * makes them one suite per endpoint once all have run). What it
 * decides is told through o->on_event (a note per attempt, a warning when
 * no attempt fits). A drill without a window is left as it ran.
 */
void sd_run_retrying(const struct sd_drill *d, struct sd_run_opts *o, struct sd_run *run, size_t first,
    const struct sd_retry_policy *p);

#endif
