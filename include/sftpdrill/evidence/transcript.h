/* transcript.h — the run's log file: every step and phase, UTC and Hong Kong timestamps, secrets masked. */
#ifndef SD_TRANSCRIPT_H
#define SD_TRANSCRIPT_H

#include "sftpdrill/base/err.h"
#include "sftpdrill/evidence/event.h"

struct sd_transcript;

struct sd_redactor;

/* How transcript lines are stamped and cleaned. Pointers are borrowed for the transcript's life. */
struct sd_transcript_opts {
	const struct sd_redactor *redact;   /* applied to every line before anything else; may be NULL */
	long utc_offset;                    /* each line carries UTC and this zone's local time */
	const char *zone_label;             /* e.g. "HKT" */
};

/* Create the transcript file (mode 0644, must not exist). NULL with err on failure. */
struct sd_transcript *sd_transcript_open(const char *path, const struct sd_transcript_opts *o, struct sd_err *err);

/* Log a runner event (progress events are left out; the step's end carries the totals). */
void sd_transcript_event(struct sd_transcript *t, const struct sd_event *ev);

/* Log a free-form line. */
void sd_transcript_line(struct sd_transcript *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flush, fsync and close; returns 0, or -1 with err if any write failed. NULL is fine. */
int sd_transcript_close(struct sd_transcript *t, struct sd_err *err);

#endif
