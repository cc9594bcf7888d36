/* verbs.h — private to lib/run/: the verbs' handlers, and the table that finds them. */
#ifndef SD_VERBS_H
#define SD_VERBS_H

#include "step.h"

/*
 * A verb's handler: runs one attempt of the step once the runner has done
 * what the verb's flags ask (connected, logged in). Fills out (message,
 * detail, note) on success and returns 0; returns -1 with err on failure.
 */
typedef int (*sd_verb_fn)(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

/* The handler of v. */
sd_verb_fn sd_verb_handler(enum sd_verb v);

/* count DIR OP N, or OP baseline(last-business-day) (verb_baseline.c). */
int sd_verb_count(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

/* snapshot [DIR]: record the folder's listing as the business date's manifest (verb_baseline.c). */
int sd_verb_snapshot(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

/* key-unchanged: the user key and host key equal the recorded reference (verb_baseline.c). */
int sd_verb_key_unchanged(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

/* no-missed-days: the backup ledger has every business day since its first (verb_baseline.c). */
int sd_verb_no_missed_days(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

/* download DIR/PATTERN [to DIR] (verb_download.c). */
int sd_verb_download(struct sd_step_ctx *s, struct sd_outcome *out, struct sd_err *err);

#endif
