/* view.c — what the operator sees while a drill runs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/base/util.h"
#include "term.h"
#include "view.h"

#define MAX_SLOTS 64

/* One endpoint's step in progress, for the live status area. */
struct slot {
	const struct sd_suite *suite;
	const char *endpoint;
	const char *step;
	int64_t started, first_byte_at;
	uint64_t done, total, first_byte_done;
	char phase[200];
};

struct view {
	int quiet, verbose, parallel, live, color;
	const struct sd_run *run;
	const struct sd_redactor *redact;   /* borrowed */
	struct sd_transcript *transcript;
	pthread_mutex_t lock;
	/* live mode */
	struct slot slots[MAX_SLOTS];
	int drawn;                      /* status lines currently on screen */
	int gone;                       /* stdout was closed (`| head`): the view stops, the run goes on */
	int paused;                     /* a prompt has the terminal: no status lines drawn */
	int spin;
	pthread_t ticker;
	int ticking, stop;
	/* plain parallel mode: held text per suite index, released in order */
	struct sd_buf *held;
	int *done;
	size_t nheld, capheld, capdone, next;
};

static const char *const spinner[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };

static const char *
mark(const struct view *v, enum sd_status st)
{
	static const char *const plain[] = { "✓", "✗", "!", "–" };
	static const char *const color[] = { "\033[32m✓\033[0m", "\033[31m✗\033[0m", "\033[31m!\033[0m", "\033[33m–\033[0m" };

	return v->color ? color[st] : plain[st];
}

static char *
masked(const struct view *v, char *text)
{
	return sd_redact_own(v->redact, text);
}

/* printf into a new string with every secret masked. */
static char *
vformat(const struct view *v, const char *fmt, va_list ap)
{
	return masked(v, sd_xvasprintf(fmt, ap));
}

/* The terminal's width, or a stable 100 columns when stdout is not one. */
static int
columns(void)
{
	int cols = term_columns(STDOUT_FILENO);

	return cols ? cols : 100;
}

/* Erase the status area so permanent lines can be printed where it was. */
static void
clear_status(struct view *v)
{
	if (v->drawn > 0) {
		printf("\033[%dA\r\033[J", v->drawn);
		v->drawn = 0;
	}
}

static void
human_bytes(uint64_t n, char *buf, size_t len)
{
	if (n >= 10u << 20)
		snprintf(buf, len, "%.1f MB", (double)n / 1048576.0);
	else if (n >= 10u << 10)
		snprintf(buf, len, "%.1f KB", (double)n / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)n);
}

/* Cut s to at most width columns (counting UTF-8 characters, not bytes). */
static void
fit(char *s, int width)
{
	int cols = 0;

	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++cols > width) {
			*p = '\0';
			return;
		}
	}
}

/* Has stdout gone away (EPIPE, a full disk)? Then nothing more is written to it. */
static int
gone(struct view *v)
{
	if (!v->gone && ferror(stdout))
		v->gone = 1;
	return v->gone;
}

static void
draw_status(struct view *v)
{
	int width = columns() - 1;
	int64_t now = sd_now_ms();

	if (gone(v) || v->paused)
		return;
	clear_status(v);
	for (int i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &v->slots[i];
		char line[1024], extra[400] = "";

		if (s->suite == NULL || s->step == NULL)
			continue;
		if (s->total > 0 && s->done > 0) {
			char a[32], b[32], r[32] = "", eta[32] = "";
			int barw = width >= 100 ? 20 : 10, filled = (int)((uint64_t)barw * s->done / s->total);
			double secs = (double)(now - s->first_byte_at) / 1000.0;
			char bar[64];

			for (int k = 0; k < barw; k++)
				bar[k] = k < filled ? '#' : '-';
			bar[barw] = '\0';
			human_bytes(s->done, a, sizeof(a));
			human_bytes(s->total, b, sizeof(b));
			if (secs > 0.2 && s->done > s->first_byte_done) {
				double rate = (double)(s->done - s->first_byte_done) / secs;
				human_bytes((uint64_t)rate, r, sizeof(r));
				strcat(r, "/s");
				if (rate > 0)
					snprintf(eta, sizeof(eta), "ETA %.0fs", (double)(s->total - s->done) / rate);
			}
			snprintf(extra, sizeof(extra), "[%s] %s / %s  %s  %s", bar, a, b, r, eta);
		} else
			snprintf(extra, sizeof(extra), "%s", s->phase);
		snprintf(line, sizeof(line), " %s %s  %s  %.1fs  ", spinner[v->spin % 10], s->endpoint, s->step,
		    (double)(now - s->started) / 1000.0);
		/* The progress keeps its rate and ETA: the endpoint and step give way first. */
		char *m = masked(v, sd_xstrdup(line)), *x = masked(v, sd_xstrdup(extra));
		int room = width - term_width_of(x);
		if (room >= 20 && term_width_of(m) > room)
			term_pad_cut(stdout, m, room);
		else
			fputs(m, stdout);
		fit(x, width - (room >= 20 && term_width_of(m) > room ? room : term_width_of(m)));
		printf("%s\033[K\n", x);
		free(m);
		free(x);
		v->drawn++;
	}
	fflush(stdout);
}

static void *
tick(void *arg)
{
	struct view *v = arg;

	for (;;) {
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&v->lock);
		if (v->stop) {
			pthread_mutex_unlock(&v->lock);
			return NULL;
		}
		v->spin++;
		draw_status(v);
		pthread_mutex_unlock(&v->lock);
	}
}

struct view *
view_new(int quiet, int verbose, int parallel, const struct sd_run *run, const struct sd_redactor *redact)
{
	struct view *v = sd_xcalloc(1, sizeof(*v));
	int tty = isatty(STDOUT_FILENO);
	const char *term = getenv("TERM");

	v->quiet = quiet;
	v->verbose = verbose;
	v->parallel = parallel;
	v->run = run;
	v->redact = redact;
	v->live = tty && !quiet && !(term && strcmp(term, "dumb") == 0);
	v->color = tty && getenv("NO_COLOR") == NULL;
	pthread_mutex_init(&v->lock, NULL);
	if (v->live && pthread_create(&v->ticker, NULL, tick, v) == 0)
		v->ticking = 1;
	return v;
}

void
view_transcript(struct view *v, struct sd_transcript *t)
{
	v->transcript = t;
}

static size_t
suite_index(const struct view *v, const struct sd_suite *s)
{
	for (size_t i = 0; i < v->run->nsuites; i++)
		if (v->run->suites[i] == s)
			return i;
	return 0;
}


/*
 * A warning on stderr, whole: the status lines (stdout) are erased and that
 * erasure reaches the terminal before the warning does, so a redraw never
 * lands on top of it. Call with the lock held.
 */
static void
say_warning(struct view *v, const char *text)
{
	if (v->live)
		clear_status(v);
	fflush(stdout);
	/* On a terminal within its width (live: so the status lines' arithmetic holds); piped, one line. */
	/* A diagnostic that says "FILE:LINE:COL: warning: ..." already is labelled. */
	const char *label = strstr(text, ": warning: ") ? "" : "warning: ";

	if (term_columns(STDERR_FILENO))
		term_wrap(stderr, label, text, 9, term_columns(STDERR_FILENO) - 1, 40);
	else
		fprintf(stderr, "%s%s\n", label, text);
	fflush(stderr);
}

static void emit(struct view *v, const struct sd_suite *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A reason or note under a step: live, word-wrapped to the terminal; otherwise one line. */
static void
emit_under(struct view *v, const struct sd_suite *s, const char *lead, const char *text)
{
	if (!v->live) {
		emit(v, s, "%s%s\n", lead, text);
		return;
	}
	clear_status(v);
	term_wrap(stdout, lead, text, 9, columns() - 1, 40);
}

/* Emit permanent text for suite s: straight out, or held (plain parallel) until its turn. */
static void __attribute__((format(printf, 3, 4)))
emit(struct view *v, const struct sd_suite *s, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vformat(v, fmt, ap);
	va_end(ap);
	/* On a terminal (-q, or no live view) the lines fit it too; piped, they stay whole for grep. */
	if (!v->live && term_columns(STDOUT_FILENO)) {
		char *fitted = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&fitted, &len);
		term_print_to(m, text, 2, term_columns(STDOUT_FILENO));
		fclose(m);
		free(text);
		text = fitted;
	}
	if (!v->live && v->parallel && s != NULL) {
		size_t k = suite_index(v, s);
		if (k >= v->nheld) {
			SD_GROW(v->held, k + 1, v->capheld);
			SD_GROW(v->done, k + 1, v->capdone);
			for (size_t i = v->nheld; i <= k; i++) {
				v->held[i] = (struct sd_buf)SD_BUF_INIT(0);
				v->done[i] = 0;
			}
			v->nheld = k + 1;
		}
		sd_buf_adds(&v->held[k], text);
	} else {
		if (v->live)
			clear_status(v);
		fputs(text, stdout);
	}
	free(text);
}

static void
release(struct view *v, const struct sd_suite *s)
{
	if (v->live || !v->parallel)
		return;
	emit(v, s, "%s", "");
	v->done[suite_index(v, s)] = 1;
	while (v->next < v->nheld && v->done[v->next]) {
		fputs(sd_buf_str(&v->held[v->next]), stdout);
		sd_buf_release(&v->held[v->next]);
		v->next++;
	}
}

static struct slot *
slot_for(struct view *v, const struct sd_suite *s)
{
	struct slot *free_slot = NULL;

	for (int i = 0; i < MAX_SLOTS; i++) {
		if (v->slots[i].suite == s)
			return &v->slots[i];
		if (free_slot == NULL && v->slots[i].suite == NULL)
			free_slot = &v->slots[i];
	}
	return free_slot;
}

/* A step's line, and under it its reason (a failure) or its note (a pass worth one). */
static void
step_ended(struct view *v, const struct sd_event *ev, const char *ep, int tag)
{
	const struct sd_case *c = ev->result;

	if (v->quiet && c->status == SD_PASS)
		return;
	if (v->quiet)
		emit(v, ev->suite, "%s  %s @ %s: %s (%.3fs)\n", mark(v, c->status), ev->drill, ep,
		    c->name, c->time);
	else if (tag)
		emit(v, ev->suite, "  %s  %s  %s (%.3fs)\n", mark(v, c->status), ep, c->name, c->time);
	else
		emit(v, ev->suite, "  %s  %s (%.3fs)\n", mark(v, c->status), c->name, c->time);
	/* The reason goes under a failure; a skip's reason is the failure just above it. */
	if (c->status == SD_FAIL || c->status == SD_ERROR) {
		char *lead = sd_xasprintf("       %s: ", sd_kind_name(c->kind));
		emit_under(v, ev->suite, lead, c->message);
		free(lead);
	} else if (c->status == SD_PASS && c->note != NULL && !v->quiet)
		emit_under(v, ev->suite, "       note: ", c->note);
}

void
view_event(void *ctx, const struct sd_event *ev)
{
	struct view *v = ctx;
	struct slot *sl;
	const char *ep = ev->endpoint ? ev->endpoint : "";
	/* Live parallel lines interleave: each names its endpoint. */
	int tag = v->live && v->parallel;

	sd_transcript_event(v->transcript, ev);
	pthread_mutex_lock(&v->lock);
	if (gone(v)) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	sl = v->live ? slot_for(v, ev->suite) : NULL;
	switch (ev->kind) {
	case SD_EV_SUITE_BEGIN:
		if (!v->quiet && !tag && v->live) {
			char *title = sd_xasprintf("%s @ %s", ev->drill, ep);
			emit_under(v, ev->suite, "== ", title);
			free(title);
		} else if (!v->quiet && !tag)
			emit(v, ev->suite, "== %s @ %s\n", ev->drill, ep);
		break;
	case SD_EV_STEP_BEGIN:
		if (v->live && sl != NULL)
			*sl = (struct slot){ ev->suite, ep, ev->step, sd_now_ms(), 0, 0, 0, 0, "" };
		break;
	case SD_EV_PHASE:
		if (v->live && sl != NULL)
			snprintf(sl->phase, sizeof(sl->phase), "%s: %s", sd_phase_name(ev->phase), ev->message);
		if (v->verbose)
			emit(v, ev->suite, "       · %s%s%s: %s\n", tag ? ep : "", tag ? " " : "",
			    sd_phase_name(ev->phase), ev->message);
		break;
	case SD_EV_PROGRESS:
		if (v->live && sl != NULL) {
			if (sl->first_byte_at == 0) {
				sl->first_byte_at = sd_now_ms();
				sl->first_byte_done = ev->done;
			}
			sl->done = ev->done;
			sl->total = ev->total;
		}
		break;
	case SD_EV_STEP_END:
		if (v->live && sl != NULL)
			memset(sl, 0, sizeof(*sl));
		step_ended(v, ev, ep, tag);
		break;
	case SD_EV_SUITE_END:
		release(v, ev->suite);
		break;
	case SD_EV_NOTE:
		break;          /* the transcript's; the countdown that follows shows it on the terminal */
	case SD_EV_WARNING: {
		char *m = masked(v, sd_xstrdup(ev->message));
		say_warning(v, m);
		free(m);
		break;
	}
	}
	/* Progress and phases only change the status area: the ticker redraws it five times a second. */
	if (v->live && ev->kind != SD_EV_PROGRESS && ev->kind != SD_EV_PHASE)
		draw_status(v);
	fflush(stdout);
	pthread_mutex_unlock(&v->lock);
}

void
view_warn(struct view *v, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vformat(v, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&v->lock);
	say_warning(v, text);
	pthread_mutex_unlock(&v->lock);
	free(text);
}

/* How one drill's table is laid out: step names, then a cell per endpoint, within the width. */
struct layout {
	int namew, cellw;
	int nodes;                  /* endpoints too wide for a cell: headed "node N", with a legend */
};

static struct layout
lay_out(const struct sd_run *run, size_t i, size_t j, int width)
{
	struct layout l = { 4, 24, 0 };
	int n = (int)(j - i), longest_ep = 0, longest_kind = 0;

	for (size_t k = 0; k < run->suites[i]->ncases; k++)
		if (term_width_of(run->suites[i]->cases[k].name) > l.namew)
			l.namew = term_width_of(run->suites[i]->cases[k].name);
	for (size_t s = i; s < j; s++) {
		if (term_width_of(run->suites[s]->endpoint) > longest_ep)
			longest_ep = term_width_of(run->suites[s]->endpoint);
		for (size_t k = 0; k < run->suites[s]->ncases; k++)
			if (run->suites[s]->cases[k].status != SD_PASS &&
			    term_width_of(sd_kind_name(run->suites[s]->cases[k].kind)) > longest_kind)
				longest_kind = term_width_of(sd_kind_name(run->suites[s]->cases[k].kind));
	}
	if (l.namew + 4 + n * l.cellw <= width)
		return l;
	/* Narrower: cells as wide as their content, endpoints as "node N" when they do not fit. */
	l.cellw = longest_kind + 3 > longest_ep + 1 ? longest_kind + 3 : longest_ep + 1;
	if (l.namew + 4 + n * l.cellw > width) {
		l.nodes = 1;
		l.cellw = longest_kind + 3 > 8 ? longest_kind + 3 : 8;
	}
	/* Still too wide: step names and failure types are cut, marked with "…". */
	if (l.namew + 4 + n * l.cellw > width) {
		int room = width - 4 - l.namew;
		if (room / n >= 8)
			l.cellw = room / n;
		else {
			l.cellw = 8;
			l.namew = width - 4 - n * l.cellw > 12 ? width - 4 - n * l.cellw : 12;
		}
	}
	return l;
}

static void
print_table(struct view *v, const struct sd_run *run, size_t i, size_t j, int width)
{
	struct layout l = lay_out(run, i, j, width);
	char *group = sd_suite_group_title(run->suites[i]), *title = masked(v, sd_xasprintf("\n%s\n", group));

	fputs(title, stdout);
	free(title);
	free(group);
	term_pad(stdout, "", l.namew + 4);
	for (size_t s = i; s < j; s++) {
		char node[32];
		snprintf(node, sizeof(node), "node %zu", s - i + 1);
		term_pad_cut(stdout, l.nodes ? node : run->suites[s]->endpoint, l.cellw);
	}
	fputc('\n', stdout);
	for (size_t k = 0; k < run->suites[i]->ncases; k++) {
		fputs("  ", stdout);
		term_pad_cut(stdout, run->suites[i]->cases[k].name, l.namew + 2);
		for (size_t s = i; s < j; s++) {
			const struct sd_case *c = k < run->suites[s]->ncases ? &run->suites[s]->cases[k] : NULL;
			fputs(c ? mark(v, c->status) : " ", stdout);
			fputc(' ', stdout);
			term_pad_cut(stdout, c && c->status != SD_PASS ? sd_kind_name(c->kind) : "", l.cellw - 2);
		}
		fputc('\n', stdout);
	}
	for (size_t s = i; l.nodes && s < j; s++) {
		char attempts[32] = "";
		if (run->suites[s]->attempts > 1)
			snprintf(attempts, sizeof(attempts), " (%d attempts)", run->suites[s]->attempts);
		printf("  node %zu = %s%s\n", s - i + 1, run->suites[s]->endpoint, attempts);
	}
}

/* A step that passed only after earlier attempts failed: said once, with the first failure. */
static void
print_retried(struct view *v, const struct sd_suite *s, const struct sd_case *c, int width)
{
	char *lead = sd_xasprintf("  ↻ %s, %s: ", s->endpoint, c->name);
	char *what = masked(v, sd_xasprintf("passed after %d attempts (attempt 1: %s: %s)", c->attempts,
	    sd_kind_name(c->reruns[0].kind), c->reruns[0].message));

	term_wrap(stdout, lead, what, 6, width, 3);
	free(lead);
	free(what);
}

/* After the tables: each failure again, with its reason, what to do, and whom to call; then what passed only when retried. */
static void
print_recap(struct view *v, const struct sd_run *run, int width)
{
	size_t shown = 0, failed = sd_count(run, NULL, SD_FAIL) + sd_count(run, NULL, SD_ERROR);

	if (failed > 0)
		printf("What failed, and what to do:\n");
	for (size_t i = 0; i < run->nsuites && failed > 0; i++) {
		const struct sd_suite *s = run->suites[i];
		const char *desk = sd_suite_get_prop(s, "service.desk");
		for (size_t k = 0; k < s->ncases; k++) {
			const struct sd_case *c = &s->cases[k];
			const struct sd_kind_desc *kd = sd_kind(c->kind);
			char *lead, *what;

			if (c->status != SD_FAIL && c->status != SD_ERROR)
				continue;
			if (++shown > 20) {
				printf("  ... and %zu more: see the report\n", failed - 20);
				return;
			}
			lead = sd_xasprintf("  %s %s, %s: ", mark(v, c->status), s->endpoint, c->name);
			what = masked(v, sd_xasprintf("%s: %s%s", kd->name, c->message ? c->message : "",
			    c->attempts > 1 ? " (the last of its attempts)" : ""));
			term_wrap(stdout, lead, what, 6, width, 8);
			if (kd->hint)
				term_wrap(stdout, "      fix: ", kd->hint, 11, width, 3);
			if ((kd->flags & SD_KIND_ASK_SERVICE) && desk)
				term_wrap(stdout, "      if it persists, call: ", desk, 11, width, 2);
			free(lead);
			free(what);
		}
	}
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++)
			if (run->suites[i]->cases[k].status == SD_PASS && run->suites[i]->cases[k].nreruns > 0)
				print_retried(v, run->suites[i], &run->suites[i]->cases[k], width);
}

void
view_summary(struct view *v, const struct sd_run *run, const char *report)
{
	/* On a terminal its width (one column spare: no line ever wraps), -q too; piped: a stable 100 columns. */
	int width = columns() - 1;

	pthread_mutex_lock(&v->lock);
	if (gone(v)) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	if (v->live)
		clear_status(v);
	if (!v->quiet) {
		/* One table per drill: rows are steps, columns the drill's endpoints. */
		for (size_t i = 0, j; i < run->nsuites; i = j) {
			for (j = i; j < run->nsuites && sd_suite_same_group(run->suites[j], run->suites[i]); j++)
				;
			print_table(v, run, i, j, width);
		}
		fputc('\n', stdout);
	}
	print_recap(v, run, width);
	/* The verdict every writer tells; a rehearsal says so, and why on the next line. */
	{
		struct sd_verdict vd;
		struct sd_buf line = SD_BUF_INIT(0);
		sd_run_verdict_of(run, &vd);
		sd_verdict_line(&vd, &line);
		printf("%s\n", sd_buf_str(&line));
		sd_buf_release(&line);
	}
	if (run->mode)
		printf("%s\n", run->mode);
	if (report)
		printf("report: %s\n", report);
	fflush(stdout);
	pthread_mutex_unlock(&v->lock);
}

void
view_free(struct view *v)
{
	if (v == NULL)
		return;
	pthread_mutex_lock(&v->lock);
	v->stop = 1;
	if (v->live)
		clear_status(v);
	pthread_mutex_unlock(&v->lock);
	if (v->ticking)
		pthread_join(v->ticker, NULL);
	for (size_t i = 0; i < v->nheld; i++)
		sd_buf_release(&v->held[i]);
	free(v->held);
	free(v->done);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void
view_pause(struct view *v, int pause)
{
	pthread_mutex_lock(&v->lock);
	v->paused = pause;
	if (pause && v->live)
		clear_status(v);
	fflush(stdout);
	pthread_mutex_unlock(&v->lock);
}
