/* diag.c — diagnostics with their location, formatted in one place. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/alloc.h"
#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/diag.h"

static void
push(struct sd_diag *diag, int warning, char *text)
{
	SD_GROW(diag->v, diag->n + 1, diag->cap);
	diag->v[diag->n++] = (struct sd_diag_entry){ .text = text, .warning = warning };
	if (warning)
		diag->nwarnings++;
	else
		diag->nerrors++;
}

void
sd_diag_vreport(struct sd_diag *diag, int warning, const struct sd_loc *loc, const char *context, const char *fmt,
    va_list ap)
{
	struct sd_buf msg = SD_BUF_INIT(0);
	const char *file = loc && loc->file ? loc->file : "?";

	if (loc == NULL || loc->line <= 0)
		sd_buf_adds(&msg, file);
	else if (loc->col <= 0)
		sd_buf_addf(&msg, "%s:%d", file, loc->line);
	else
		sd_buf_addf(&msg, "%s:%d:%d", file, loc->line, loc->col);
	sd_buf_adds(&msg, warning ? ": warning: " : ": error: ");
	sd_buf_vaddf(&msg, fmt, ap);
	if (context != NULL)
		sd_buf_adds(&msg, context);
	push(diag, warning, sd_buf_detach(&msg));
}

void
sd_diag_report(struct sd_diag *diag, int warning, const struct sd_loc *loc, const char *context, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_diag_vreport(diag, warning, loc, context, fmt, ap);
	va_end(ap);
}

void
sd_diag_copy(struct sd_diag *to, const struct sd_diag_entry *e)
{
	push(to, e->warning, sd_xstrdup(e->text));
}

void
sd_diag_release(struct sd_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++)
		free(diag->v[i].text);
	free(diag->v);
	memset(diag, 0, sizeof(*diag));
}
