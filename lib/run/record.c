/* record.c — the drills' part of the results model, for RUN-INFO. */
#include <stdlib.h>

#include "sftpdrill/run/record.h"

void
sd_run_record_drill(struct sd_run *run, const struct sd_drill *d, const char *window_status)
{
	struct sd_drill_record *r = sd_run_add_drill(run, d->name);

	for (size_t k = 0; k < d->nfiles; k++) {
		sd_strv_push(&r->files, d->files[k]);
		sd_strv_push(&r->sha256, d->file_sha256[k]);
	}
	sd_run_set(&r->window, d->window);
	sd_run_set(&r->window_status, window_status);
}

void
sd_run_record_definitions(struct sd_run *run, const struct sd_drill *d, const struct sd_redactor *r)
{
	for (size_t i = 0; i < d->vars.n; i++) {
		const struct sd_var *var = &d->vars.v[i];
		char *shown;

		if (var->origin != SD_VAR_CMDLINE)
			continue;
		shown = sd_redact_own(r, sd_xasprintf("-D %s=%s", var->name, var->secret ? SD_REDACTED : var->value));
		sd_strv_push(&run->definitions, shown);
		free(shown);
	}
}
