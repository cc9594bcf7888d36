/* runner.c — endpoints × steps: what each step needs, retries and skips; the verbs do the work. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/base/version.h"
#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/language/verb.h"
#include "sftpdrill/run/runner.h"
#include "step.h"
#include "verbs.h"

#define DEFAULT_BACKOFF_MS 1000
#define MAX_BACKOFF_MS 60000

/* One attempt at the current step: what its verb needs first, then the verb itself. */
static int
attempt(struct sd_step_ctx *s, const struct sd_verb_desc *v, struct sd_outcome *out, struct sd_err *err)
{
	if ((v->flags & SD_VERB_CONNECTS) && sd_step_connect(s, err) < 0)
		return -1;
	if ((v->flags & SD_VERB_LOGS_IN) && sd_step_login(s, err) < 0)
		return -1;
	return sd_verb_handler(s->step->verb)(s, out, err);
}

/* Why this step cannot run now, or NULL if it can. */
static const char *
why_skipped(const struct sd_step_ctx *s, const struct sd_verb_desc *v)
{
	if (sd_cancelled(s->o->cancel))
		return "the run was interrupted";
	if ((v->flags & SD_VERB_NETWORK) && s->unusable)
		return s->unusable_why;
	if ((v->flags & SD_VERB_NEEDS_OPEN) && s->conn == NULL)
		return "there is no open connection";
	return NULL;
}

static void
record_pass(struct sd_step_ctx *s, struct sd_case *c, struct sd_outcome *out, int tries)
{
	if (out->message.len == 0)
		sd_buf_adds(&out->message, "ok");
	if (tries > 0)
		sd_buf_addf(&out->message, " (after %d retr%s)", tries, tries == 1 ? "y" : "ies");
	c->status = SD_PASS;
	c->kind = SD_KIND_NONE;
	free(c->message);
	free(c->detail);
	c->message = sd_step_text(s, sd_buf_str(&out->message), 0);
	c->detail = out->detail.len ? sd_step_text(s, sd_buf_str(&out->detail), 1) : NULL;
	c->note = out->note.len ? sd_step_text(s, sd_buf_str(&out->note), 0) : NULL;
}

static void
record_fail(struct sd_step_ctx *s, struct sd_case *c, struct sd_outcome *out, const struct sd_err *err)
{
	c->kind = err->kind;
	c->status = sd_kind(err->kind)->status;
	c->phase = err->phase;
	c->ssh_code = err->ssh_code;
	c->sftp_code = err->sftp_code;
	free(c->message);
	free(c->detail);
	c->message = sd_step_text(s, err->msg[0] ? err->msg : "failed", 0);
	c->detail = out->detail.len ? sd_step_text(s, sd_buf_str(&out->detail), 1) : NULL;
}

/* Wait before a retry, in slices, so a stop request is not held up; -1 when one came. */
static int
wait_backoff(const struct sd_step_ctx *s, int64_t ms)
{
	int64_t until = sd_now_ms() + ms;

	while (!sd_cancelled(s->o->cancel) && sd_remaining_ms(until) > 0) {
		int64_t slice = sd_remaining_ms(until) < 200 ? sd_remaining_ms(until) : 200;
		usleep((useconds_t)(slice * 1000));
	}
	return sd_cancelled(s->o->cancel) ? -1 : 0;
}

/* Try the step until it passes, errs, or its retries are spent. */
static void
run_attempts(struct sd_step_ctx *s, const struct sd_verb_desc *v, struct sd_case *c)
{
	const struct sd_step *st = s->step;
	int64_t timeout = st->timeout_ms ? st->timeout_ms : s->d->timeouts.step;
	int64_t backoff = st->backoff_ms ? st->backoff_ms : DEFAULT_BACKOFF_MS;

	for (int tries = 0;; tries++) {
		struct sd_outcome out = { SD_BUF_INIT(0), SD_BUF_INIT(0), SD_BUF_INIT(0) };
		struct sd_err err = { 0 };
		time_t started = time(NULL);
		int64_t t0 = sd_now_ms();
		int rc;

		c->attempts = tries + 1;
		s->deadline = t0 + timeout;
		rc = attempt(s, v, &out, &err);
		if (rc == 0)
			record_pass(s, c, &out, tries);
		else
			record_fail(s, c, &out, &err);
		sd_buf_release(&out.message);
		sd_buf_release(&out.detail);
		sd_buf_release(&out.note);
		if (rc == 0 || c->status != SD_FAIL || tries >= st->retries)
			return;
		/* Kept as an earlier attempt (JUnit's flakyFailure or rerunFailure), whatever the next one does. */
		sd_case_add_rerun(c, c->status, c->kind, c->message, c->detail, (double)(sd_now_ms() - t0) / 1000.0, started);
		sd_step_emit(s, SD_EV_WARNING, c->message);
		/* The next attempt starts from a fresh connection where this one broke or never finished. */
		if ((v->flags & SD_VERB_OPENS) || (sd_kind(c->kind)->flags & SD_KIND_DROPS_CONNECTION))
			sd_step_drop(s);
		if (wait_backoff(s, backoff) < 0)
			return;
		if (backoff < MAX_BACKOFF_MS)
			backoff *= 2;
	}
}

/* After a failed step: a connection in an unknown state is dropped; without the session it needed, the endpoint is unusable. */
static void
after_failure(struct sd_step_ctx *s, const struct sd_verb_desc *v, const struct sd_case *c)
{
	int lost;

	if (s->conn != NULL && (sd_kind(c->kind)->flags & SD_KIND_DROPS_CONNECTION))
		sd_step_drop(s);
	lost = ((v->flags & SD_VERB_CONNECTS) && s->conn == NULL) ||
	    ((v->flags & SD_VERB_LOGS_IN) && (s->conn == NULL || !s->t->logged_in(s->conn)));
	if (lost && !s->unusable) {
		s->unusable = 1;
		snprintf(s->unusable_why, sizeof(s->unusable_why), "step \"%s\" failed (%s)", s->step->name,
		    sd_kind_name(c->kind));
	}
}

static void
run_step(struct sd_step_ctx *s, const struct sd_step *st)
{
	const struct sd_verb_desc *v = sd_verb(st->verb);
	struct sd_case *c = sd_suite_add_case(s->suite, st->name);
	int64_t t0 = sd_now_ms();
	const char *why;

	s->step = st;
	sd_step_emit_result(s, SD_EV_STEP_BEGIN, NULL);
	why = why_skipped(s, v);
	if (why != NULL && sd_cancelled(s->o->cancel) && !s->began) {
		/* Stopped before this endpoint began: an error every reader counts, not a quiet skip. */
		c->status = SD_ERROR;
		c->kind = SD_KIND_INTERRUPTED;
		c->message = sd_xasprintf("not run: the run was stopped (signal %d) before %s was drilled",
		    sd_cancelled(s->o->cancel), s->ep->label);
		s->began = 1;
	} else if (why != NULL) {
		c->status = SD_SKIP;
		c->kind = SD_KIND_SKIPPED;
		c->message = sd_xasprintf("not run: %s", why);
	} else {
		s->began = 1;
		run_attempts(s, v, c);
		if (c->status != SD_PASS)
			after_failure(s, v, c);
	}
	c->time = (double)(sd_now_ms() - t0) / 1000.0;
	sd_step_emit_result(s, SD_EV_STEP_END, c);
}

/* Everything one endpoint does, from its first step to its last; one thread each in parallel runs. */
static void
run_endpoint(struct sd_step_ctx *s)
{
	int64_t t0 = sd_now_ms();

	sd_step_emit_result(s, SD_EV_SUITE_BEGIN, NULL);
	for (size_t k = 0; k < s->d->nsteps; k++)
		run_step(s, &s->d->steps[k]);
	if (s->conn != NULL)
		s->t->close(s->conn, sd_now_ms() + s->d->timeouts.sftp_op, NULL);
	s->conn = NULL;
	s->suite->time = (double)(sd_now_ms() - t0) / 1000.0;
	s->step = NULL;
	sd_step_emit_result(s, SD_EV_SUITE_END, NULL);
}

/* A bounded pool: each worker takes the next endpoint until none is left. */
struct pool {
	struct sd_step_ctx *states;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *
pool_worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		run_endpoint(&p->states[i]);
	}
}

/* Run the endpoints: in this thread alone, or with up to jobs workers beside it. */
static void
run_pool(struct sd_step_ctx *states, size_t n, const struct sd_run_opts *o)
{
	struct pool pool = { .states = states, .n = n, .next = 0 };
	size_t workers = !o->parallel ? 0 : o->jobs > 0 && (size_t)o->jobs < n ? (size_t)o->jobs : n;
	pthread_t *threads = sd_xcalloc(workers ? workers : 1, sizeof(*threads));
	int *started = sd_xcalloc(workers ? workers : 1, sizeof(*started));

	pthread_mutex_init(&pool.lock, NULL);
	for (size_t i = 0; i < workers; i++)
		started[i] = pthread_create(&threads[i], NULL, pool_worker, &pool) == 0;
	/* This thread works too: serial runs, and whatever no thread could be started for. */
	pool_worker(&pool);
	for (size_t i = 0; i < workers; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&pool.lock);
	free(threads);
	free(started);
}

/* The business calendar: the drill's holiday files and the run's closures. */
static void
load_calendar(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_calendar *cal)
{
	struct sd_err err;

	/* Without its calendar the baseline day would be guessed: say so, loudly. */
	if (sd_drill_calendar(d, &o->calendar, cal, &err) < 0 && o->on_event)
		o->on_event(o->ctx, &(struct sd_event){ .kind = SD_EV_WARNING, .drill = d->name, .message = err.msg,
			.phase = SD_PHASE_CONFIG });
}

/* The suite of one endpoint with the facts known before it runs; made in the set's order. */
static void
begin_suite(struct sd_step_ctx *s, const char *bdate, const char *host)
{
	const struct sd_drill *d = s->d;

	s->suite = sd_run_add_suite(s->run, d->name, s->ep->label, d->target, (size_t)(s->ep - sd_drill_set(d, d->target)->v));
	sd_step_prop(s, "drill", d->name);
	sd_step_prop(s, "drill.file", d->path);
	sd_step_prop(s, "endpoint", s->ep->label);
	sd_step_prop(s, "target", d->target);
	sd_step_prop(s, "window", d->window);
	sd_step_prop(s, "service.desk", d->service_desk);
	sd_step_prop(s, "business.date", bdate);
	sd_step_prop(s, "tool", sd_tool());
	sd_step_prop(s, "libraries", sd_library_versions());
	sd_step_prop(s, "operator", s->o->operator_name);
	sd_step_prop(s, "hostname", host);
}

/*
 * A business-days-only drill on a closed day: one suite, one neutral skip
 * that says which day and why, nothing contacted, nothing recorded.
 */
static void
closed_day(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run, const char *why,
    pthread_mutex_t *lock)
{
	struct sd_endpoint none = { .host = d->target };
	struct sd_step day = { .name = "Business day", .verb = SD_VERB_CONNECT, .arg = d->target };
	struct sd_step_ctx s = { .d = d, .o = o, .ep = &none, .run = run, .step = &day, .lock = lock };
	struct sd_case *c;
	char host[256] = "";

	snprintf(none.label, sizeof(none.label), "%s (not contacted)", d->target);
	gethostname(host, sizeof(host) - 1);
	s.suite = sd_run_add_suite(run, d->name, none.label, d->target, 0);
	sd_step_prop(&s, "drill", d->name);
	sd_step_prop(&s, "drill.file", d->path);
	sd_step_prop(&s, "target", d->target);
	sd_step_prop(&s, "business.date.closed", why);
	sd_step_prop(&s, "operator", o->operator_name);
	sd_step_prop(&s, "hostname", host);
	/* No STEP_BEGIN: no step of the drill began, and none should be logged as if it had. */
	sd_step_emit_result(&s, SD_EV_SUITE_BEGIN, NULL);
	c = sd_suite_add_case(s.suite, day.name);
	c->status = SD_SKIP;
	c->kind = SD_KIND_NOT_A_BUSINESS_DAY;
	c->message = sd_xasprintf("not a business day: %s; this drill runs on business days only, so nothing was "
	    "contacted and nothing recorded", why);
	sd_step_emit_result(&s, SD_EV_STEP_END, c);
	sd_step_emit_result(&s, SD_EV_SUITE_END, NULL);
}

int
sd_run_drill(const struct sd_drill *d, const struct sd_run_opts *o, struct sd_run *run)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct sd_calendar cal = { 0 };
	size_t n = set ? set->n : 0;
	struct sd_step_ctx *states = sd_xcalloc(n ? n : 1, sizeof(*states));
	char host[256] = "", bdate[16], why[300];
	const char *passphrase = o->passphrase;

	gethostname(host, sizeof(host) - 1);
	if (run->started == 0)
		run->started = time(NULL);
	sd_date_format(o->business_day, 0, bdate, sizeof(bdate));
	load_calendar(d, o, &cal);
	if (d->business_days_only && sd_calendar_why(&cal, o->business_day, why, sizeof(why))) {
		closed_day(d, o, run, why, &lock);
		n = 0;
	}
	/* A shard takes every shard_n-th endpoint of the set, by its place: N machines cover it once. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (o->shard_n > 1 && (int)(i % (size_t)o->shard_n) != o->shard_k - 1)
			continue;
		if (o->only && !sd_strv_has(o->only, set->v[i].label))
			continue;
		states[k] = (struct sd_step_ctx){ .d = d, .o = o, .t = o->transport ? o->transport : &sd_transport_ssh,
			.ep = &set->v[i], .cal = &cal, .run = run, .lock = &lock, .passphrase = &passphrase };
		begin_suite(&states[k++], bdate, host);
	}
	run_pool(states, k, o);
	free(states);
	sd_calendar_release(&cal);
	pthread_mutex_destroy(&lock);
	return 0;
}
