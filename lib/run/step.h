/* step.h — private to lib/run/: what a verb's handler and the runner see of the endpoint they work on (step.c). */
#ifndef SD_STEP_H
#define SD_STEP_H

#include <pthread.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/language/drill.h"
#include "sftpdrill/run/runner.h"
#include "sftpdrill/engine/transport.h"

/* One endpoint's state, carried from step to step; one thread owns it. */
struct sd_step_ctx {
	const struct sd_drill *d;
	const struct sd_run_opts *o;
	const struct sd_transport *t;
	const struct sd_endpoint *ep;
	const struct sd_calendar *cal;
	struct sd_suite *suite;
	struct sd_run *run;
	pthread_mutex_t *lock;      /* guards callbacks and the run's shared lists */
	const struct sd_step *step; /* the step running now */
	struct sd_conn *conn;       /* NULL when not connected */
	int64_t deadline;           /* the current attempt's deadline (monotonic ms) */
	const char **passphrase;    /* the key's passphrase as it stands (shared; changed only in serial runs) */
	int began;                  /* a step of this endpoint ran (or was reported as stopped) */
	int unusable;               /* no usable session: later network steps are skipped */
	char unusable_why[256];     /* the step that made it so */
};

/* What a successful attempt says: one line, longer output (system-out), and a note worth showing on a pass. */
struct sd_outcome {
	struct sd_buf message, detail, note;
};

/*
 * Every text recorded or shown: secrets masked first (a secret may hold a
 * control character), then the one sanitiser (multiline keeps line breaks).
 * Caller frees.
 */
char *sd_step_text(const struct sd_step_ctx *s, const char *text, int multiline);

/* Tell the caller a step began or ended (result c, or NULL). */
void sd_step_emit_result(struct sd_step_ctx *s, enum sd_event_kind kind, const struct sd_case *c);

/* A connection's phase or warning as an event: the engine's note callback (ctx is the step context). */
void sd_step_note(void *ctx, enum sd_note_kind kind, enum sd_phase phase, const char *msg);

/* Record a suite property, secrets masked. */
void sd_step_prop(struct sd_step_ctx *s, const char *name, const char *value);

/* Tell the caller something (an event of kind with message), under the run's lock. */
void sd_step_emit(struct sd_step_ctx *s, enum sd_event_kind kind, const char *message);

/* Progress of a download, for the live view. */
void sd_step_progress(void *ctx, uint64_t done, uint64_t total);

/* Record a downloaded file for the evidence bundle, its name there under downloads/ (shared list: taken under the lock). */
void sd_step_add_file(struct sd_step_ctx *s, const char *path, const char *evidence, const char *sha256);

/* The folder of this drill's account in the state folder (see baseline.h). Caller frees. */
char *sd_step_account(const struct sd_step_ctx *s);

/* The connection's evidence as suite properties. */
void sd_step_record_conn(struct sd_step_ctx *s, const struct sd_conn_info *i);

/* Connect to the endpoint unless connected: its pins, timeouts and limits; the connection's evidence recorded. */
int sd_step_connect(struct sd_step_ctx *s, struct sd_err *err);

/* Log in unless logged in (a wrong passphrase typed on a terminal is asked for again, three tries in all). */
int sd_step_login(struct sd_step_ctx *s, struct sd_err *err);

/* Drop the connection (bounded: one second), whatever state it is in. */
void sd_step_drop(struct sd_step_ctx *s);

#endif
