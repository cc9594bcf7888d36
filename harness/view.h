/* view.h — what the operator sees: a live terminal view, or plain line-per-event output. */
#ifndef SD_VIEW_H
#define SD_VIEW_H

#include "sftpdrill/base/redact.h"
#include "sftpdrill/evidence/result.h"
#include "sftpdrill/run/runner.h"
#include "sftpdrill/evidence/transcript.h"

struct view;

/*
 * A view on stdout. Live (lines updated in place, progress bars) when stdout
 * is a terminal and not quiet; colour when a terminal and NO_COLOR is unset;
 * otherwise one stable line per event. verbose adds each connection phase.
 * parallel holds each endpoint's lines and prints them in the set's order
 * (plain mode), so the output reads as a serial run's.
 */
struct view *view_new(int quiet, int verbose, int parallel, const struct sd_run *run,
    const struct sd_redactor *redact);

/* Also log every event to this transcript (may be NULL). */
void view_transcript(struct view *v, struct sd_transcript *t);

/* The runner's event callback (ctx is the view). */
void view_event(void *ctx, const struct sd_event *ev);

/* A warning for the operator (stderr), masked. */
void view_warn(struct view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The closing summary: a table of endpoints × steps per drill, the totals
 * with the verdict (and why it is a rehearsal, if it is), the report path.
 * Once stdout is closed (EPIPE) the view writes nothing more; the run and
 * its transcript go on.
 */
void view_summary(struct view *v, const struct sd_run *run, const char *report);

/* Hand the terminal to a prompt (status lines erased, none drawn) and take it back. */
void view_pause(struct view *v, int pause);

/* Stop the live view's updates and free. NULL is fine. */
void view_free(struct view *v);

#endif
