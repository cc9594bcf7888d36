/* err.c — filling the error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sftpdrill/err.h"

int
sd_fail(struct sd_err *e, enum sd_kind kind, enum sd_phase phase, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->kind = kind;
	e->phase = phase;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
sd_err_clear(struct sd_err *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

int
sd_err_is(const struct sd_err *e, enum sd_kind kind)
{
	return e != NULL && e->kind == kind;
}

const char *
sd_phase_name(enum sd_phase phase)
{
	static const char *const names[] = {
		[SD_PHASE_NONE] = "none",
		[SD_PHASE_CONFIG] = "config",
		[SD_PHASE_LOCAL] = "local",
		[SD_PHASE_RESOLVE] = "resolve",
		[SD_PHASE_CONNECT] = "connect",
		[SD_PHASE_BANNER] = "banner",
		[SD_PHASE_KEX] = "kex",
		[SD_PHASE_HOSTKEY] = "host-key",
		[SD_PHASE_AUTH] = "auth",
		[SD_PHASE_SFTP_INIT] = "sftp-init",
		[SD_PHASE_SFTP] = "sftp",
		[SD_PHASE_TRANSFER] = "transfer",
		[SD_PHASE_CHECK] = "check",
	};

	if ((unsigned)phase >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[phase];
}
