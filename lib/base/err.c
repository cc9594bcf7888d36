/* err.c — filling the error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sftpdrill/base/err.h"

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
	/* In enum sd_phase's order. */
	static const char *const names[] = { "none", "config", "local", "resolve", "connect", "banner", "kex",
		"host-key", "auth", "sftp-init", "sftp", "transfer", "check" };
	_Static_assert(sizeof(names) / sizeof(names[0]) == SD_PHASE_CHECK + 1, "a phase without a name");

	if ((unsigned)phase >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[phase];
}
