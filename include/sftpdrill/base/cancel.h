/* cancel.h — a request to stop, made asynchronously (a signal handler) and honoured by every wait. */
#ifndef SD_CANCEL_H
#define SD_CANCEL_H

#include <stdatomic.h>

/*
 * Set once, by whoever wants the run to stop (the front end's signal
 * handler stores the signal number); read by every wait in lib/, which then
 * ends its step with the kind Interrupted. Waits wake at least once a
 * second, so a request is honoured within about a second.
 */
struct sd_cancel {
	atomic_int requested;       /* 0, or why: the signal number */
};

/* Has c (which may be NULL) been asked to stop? Returns the reason (a signal number) or 0. */
static inline int
sd_cancelled(const struct sd_cancel *c)
{
	return c ? atomic_load(&((struct sd_cancel *)c)->requested) : 0;
}

#endif
