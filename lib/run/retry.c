/* retry.c — attempts at the failing endpoints until they pass or the window closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/run/retry.h"

/* Tell the caller (a warning, or a note for the record). */
static void
tell(const struct sd_drill *d, const struct sd_run_opts *o, enum sd_event_kind kind, const char *msg)
{
	if (o->on_event)
		o->on_event(o->ctx, &(struct sd_event){ .kind = kind, .drill = d->name, .message = msg });
}

/* The endpoints of d whose latest attempt (the last suite of its name from `first` on) did not pass. */
static void
failing(const struct sd_run *run, size_t first, struct sd_strv *labels, struct sd_buf *names)
{
	for (size_t k = first; k < run->nsuites; k++) {
		const struct sd_suite *s = run->suites[k];
		int later = 0;
		for (size_t j = k + 1; j < run->nsuites && !later; j++)
			later = strcmp(run->suites[j]->name, s->name) == 0;
		if (!later && sd_count(run, s, SD_FAIL) + sd_count(run, s, SD_ERROR) > 0) {
			sd_strv_push(labels, s->endpoint);
			sd_buf_join(names, ", ", s->endpoint);
		}
	}
}

/* One more attempt, if one fits: 1 when it ran, 0 when there is nothing (more) to do. */
static int
one_more(const struct sd_drill *d, struct sd_run_opts *o, struct sd_run *run, size_t first,
    const struct sd_retry_policy *p, int attempt)
{
	struct sd_strv labels = { 0 };
	struct sd_buf names = SD_BUF_INIT(0);
	time_t next = time(NULL) + p->every_s;
	char end[32], *msg;
	int ran = 0;

	failing(run, first, &labels, &names);
	/* The window's own clock, as the drill wrote it. */
	sd_utc_iso(d->win.end + d->win.offset, end, sizeof(end));
	if (labels.n > 0 && next >= d->win.end) {
		msg = sd_xasprintf("no time for attempt %d on %s before the window closes at %.5s %s", attempt,
		    sd_buf_str(&names), end + 11, d->win.zone);
		tell(d, o, SD_EV_WARNING, msg);
		free(msg);
	} else if (labels.n > 0) {
		msg = sd_xasprintf("attempt %d of %s on %s, in %d s (--retry-until-window-end; the window closes at %s)",
		    attempt, d->name, sd_buf_str(&names), p->every_s, end);
		tell(d, o, SD_EV_NOTE, msg);
		free(msg);
		msg = sd_xasprintf("%s: attempt %d on %s", d->name, attempt, sd_buf_str(&names));
		if (p->sleep_until(p->ctx, next, msg) == 0 && !sd_cancelled(o->cancel)) {
			o->only = &labels;
			sd_run_drill(d, o, run);
			ran = 1;
		}
		free(msg);
	}
	o->only = NULL;
	sd_strv_release(&labels);
	sd_buf_release(&names);
	return ran;
}

void
sd_run_retrying(const struct sd_drill *d, struct sd_run_opts *o, struct sd_run *run, size_t first,
    const struct sd_retry_policy *p)
{
	if (d->window == NULL || p->every_s <= 0)
		return;
	for (int attempt = 2; !sd_cancelled(o->cancel) && one_more(d, o, run, first, p, attempt); attempt++)
		;
}
