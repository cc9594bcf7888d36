/* err.h — the error record every library call fills on failure. */
#ifndef SD_ERR_H
#define SD_ERR_H

#include <stdarg.h>

/* Where in a run an error happened; the runner maps it to a result type. */
enum sd_phase {
	SD_PHASE_NONE = 0,
	SD_PHASE_CONFIG,    /* drill, profile, arguments */
	SD_PHASE_LOCAL,     /* local file system */
	SD_PHASE_RESOLVE,
	SD_PHASE_CONNECT,
	SD_PHASE_BANNER,
	SD_PHASE_KEX,
	SD_PHASE_HOSTKEY,
	SD_PHASE_AUTH,
	SD_PHASE_SFTP_INIT,
	SD_PHASE_SFTP,
	SD_PHASE_TRANSFER,
	SD_PHASE_CHECK      /* the check ran and what it checks is false */
};

/*
 * An error: the phase, the libssh2 code (0 if none), the SFTP status (0 if
 * none), a result type naming the cause for reports (e.g. "HostKeyMismatch")
 * and a human message. Plain data: copy it freely, nothing to free.
 */
struct sd_err {
	enum sd_phase phase;
	int ssh_code;
	unsigned long sftp_code;
	int is_failure;     /* 1: a check is false (JUnit failure); 0: could not evaluate (error) */
	char type[40];
	char msg[1024];
};

/* Fill *e (if not NULL) with a failure of the given type; returns -1. */
int sd_fail(struct sd_err *e, enum sd_phase phase, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill *e (if not NULL) with an error (the harness could not evaluate); returns -1. */
int sd_error(struct sd_err *e, enum sd_phase phase, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reset *e to "no error". */
void sd_err_clear(struct sd_err *e);

/* Name of a phase, e.g. "connect". */
const char *sd_phase_name(enum sd_phase phase);

#endif
