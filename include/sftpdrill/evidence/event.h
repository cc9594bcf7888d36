/* event.h — what a run tells its caller as it goes: the runner emits, the view and transcript listen. */
#ifndef SD_EVENT_H
#define SD_EVENT_H

#include <stdint.h>

#include "sftpdrill/base/err.h"

struct sd_suite;
struct sd_case;

enum sd_event_kind {
	SD_EV_SUITE_BEGIN,      /* suite, endpoint */
	SD_EV_STEP_BEGIN,       /* suite, step */
	SD_EV_STEP_END,         /* suite, step, result */
	SD_EV_SUITE_END,        /* suite */
	SD_EV_WARNING,          /* suite (may be NULL), message */
	SD_EV_NOTE,             /* message: a line for the record (the transcript), not a warning */
	SD_EV_PROGRESS,         /* suite, step, done, total */
	SD_EV_PHASE             /* suite, step, phase, message: what a connection is doing */
};

/* One event, in plain words: who listens needs no drill. Pointers are valid during the callback only. */
struct sd_event {
	enum sd_event_kind kind;
	const char *drill;          /* the drill's name */
	const char *endpoint;       /* "host:port", or NULL */
	const struct sd_suite *suite;
	const char *step;           /* the step's name, or NULL */
	const char *verb;           /* the step's verb and its first argument as written, or NULL */
	const char *arg;
	const struct sd_case *result;
	const char *message;
	uint64_t done, total;
	enum sd_phase phase;
};

typedef void (*sd_event_fn)(void *ctx, const struct sd_event *ev);

#endif
