/* event.h — what a run tells its caller as it goes: the runner emits, the view and transcript listen. */
#ifndef SD_EVENT_H
#define SD_EVENT_H

#include <stdint.h>

#include "sftpdrill/base/err.h"

struct sd_drill;
struct sd_endpoint;
struct sd_suite;
struct sd_step;
struct sd_case;

enum sd_event_kind {
	SD_EV_SUITE_BEGIN,      /* suite, endpoint */
	SD_EV_STEP_BEGIN,       /* suite, step */
	SD_EV_STEP_END,         /* suite, step, result */
	SD_EV_SUITE_END,        /* suite */
	SD_EV_WARNING,          /* suite (may be NULL), message */
	SD_EV_PROGRESS,         /* suite, step, done, total */
	SD_EV_PHASE             /* suite, step, phase, message: what a connection is doing */
};

/* One event; pointers are valid during the callback only. */
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

#endif
