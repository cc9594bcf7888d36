/* err.h — the error record every library call fills on failure. */
#ifndef SD_ERR_H
#define SD_ERR_H

#include "sftpdrill/base/kind.h"

/* Where in a run an error happened; recorded with the result for diagnosis. */
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
 * An error: its kind (which says failure or error, see kind.h), the phase,
 * the libssh2 code and SFTP status where there was one (0 otherwise), and a
 * human message. Set once, where the failure is detected. Plain data: copy
 * it freely, nothing to release.
 */
struct sd_err {
	enum sd_kind kind;
	enum sd_phase phase;
	int ssh_code;
	unsigned long sftp_code;
	char msg[1024];
};

/* Fill *e (if not NULL) with kind, phase and a message; returns -1. */
int sd_fail(struct sd_err *e, enum sd_kind kind, enum sd_phase phase, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reset *e to "no error". */
void sd_err_clear(struct sd_err *e);

/* Is e set to kind? */
int sd_err_is(const struct sd_err *e, enum sd_kind kind);

/* Name of a phase, e.g. "connect". */
const char *sd_phase_name(enum sd_phase phase);

#endif
