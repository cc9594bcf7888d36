/* result.c — the result model. */
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/evidence/result.h"
#include "sftpdrill/base/util.h"

/* text with every '.' shown as a middle dot, so no reporter splits it. Caller frees. */
static char *
undotted(const char *text)
{
	struct sd_buf b = SD_BUF_INIT(0);

	for (const char *p = text; *p; p++)
		if (*p == '.')
			sd_buf_adds(&b, "\u00b7");
		else
			sd_buf_add(&b, p, 1);
	return sd_buf_detach(&b);
}

struct sd_suite *
sd_run_add_suite(struct sd_run *run, const char *drill, const char *endpoint, const char *set, size_t index)
{
	struct sd_suite *s = sd_xcalloc(1, sizeof(*s));
	char *d = undotted(drill), *st = undotted(set);

	s->drill = sd_xstrdup(drill);
	s->endpoint = sd_xstrdup(endpoint);
	/* One account of a roster: its name leads, so a merged file keeps every suite apart. */
	if (run->account != NULL) {
		char *a = undotted(run->account);
		s->name = sd_xasprintf("%s: %s @ %s", run->account, drill, endpoint);
		s->classname = sd_xasprintf("%s \u203a %s \u203a %s node %zu", a, d, st, index + 1);
		free(a);
		sd_suite_prop(s, "account", run->account);
	} else {
		s->name = sd_xasprintf("%s @ %s", drill, endpoint);
		s->classname = sd_xasprintf("%s \u203a %s node %zu", d, st, index + 1);
	}
	free(d);
	free(st);
	s->started = time(NULL);
	/* When, to the millisecond: the timeline places endpoints drilled in the same second one after another. */
	{
		struct timespec ts;
		char ms[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(ms, sizeof(ms), "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
		sd_suite_prop(s, "started.precise", ms);
	}
	SD_GROW(run->suites, run->nsuites + 1, run->capsuites);
	run->suites[run->nsuites++] = s;
	return s;
}

void
sd_case_add_rerun(struct sd_case *c, enum sd_status status, enum sd_kind kind, const char *message, const char *detail,
    double time, time_t started)
{
	SD_GROW(c->reruns, c->nreruns + 1, c->capreruns);
	c->reruns[c->nreruns] = (struct sd_rerun){ .status = status, .kind = kind, .message = sd_xstrdup(message ? message : ""),
		.detail = detail ? sd_xstrdup(detail) : NULL, .time = time, .started = started, .attempt = (int)c->nreruns + 1 };
	c->nreruns++;
}

static void
release_case(struct sd_case *c)
{
	free(c->name);
	free(c->message);
	free(c->detail);
	free(c->note);
	for (size_t r = 0; r < c->nreruns; r++) {
		free(c->reruns[r].message);
		free(c->reruns[r].detail);
	}
	free(c->reruns);
}

static void
release_suite(struct sd_suite *s)
{
	for (size_t k = 0; k < s->nprops; k++) {
		free(s->props[k].name);
		free(s->props[k].value);
	}
	for (size_t k = 0; k < s->ncases; k++)
		release_case(&s->cases[k]);
	free(s->props);
	free(s->cases);
	free(s->name);
	free(s->classname);
	free(s->drill);
	free(s->endpoint);
	free(s);
}

/* The earlier attempt's case (its reruns, and itself when it did not pass) goes before the later one's reruns. */
static void
fold_case(struct sd_case *later, struct sd_case *earlier)
{
	struct sd_case old = *later;

	later->reruns = NULL;
	later->nreruns = later->capreruns = 0;
	for (size_t r = 0; r < earlier->nreruns; r++)
		sd_case_add_rerun(later, earlier->reruns[r].status, earlier->reruns[r].kind, earlier->reruns[r].message,
		    earlier->reruns[r].detail, earlier->reruns[r].time, earlier->reruns[r].started);
	if (earlier->status == SD_FAIL || earlier->status == SD_ERROR)
		sd_case_add_rerun(later, earlier->status, earlier->kind, earlier->message, earlier->detail, earlier->time,
		    earlier->started);
	for (size_t r = 0; r < old.nreruns; r++)
		sd_case_add_rerun(later, old.reruns[r].status, old.reruns[r].kind, old.reruns[r].message, old.reruns[r].detail,
		    old.reruns[r].time, old.reruns[r].started);
	later->attempts = (earlier->attempts > 0 ? earlier->attempts : 1) + (old.attempts > 0 ? old.attempts : 1);
	for (size_t r = 0; r < old.nreruns; r++) {
		free(old.reruns[r].message);
		free(old.reruns[r].detail);
	}
	free(old.reruns);
}

/* The later suite's cases and facts into the earlier one (which keeps its place, name and start). */
static void
fold_suite(struct sd_suite *earlier, struct sd_suite *later)
{
	char n[16];

	for (size_t k = 0; k < later->ncases; k++)
		for (size_t j = 0; j < earlier->ncases; j++)
			if (strcmp(earlier->cases[j].name, later->cases[k].name) == 0) {
				fold_case(&later->cases[k], &earlier->cases[j]);
				break;
			}
	for (size_t k = 0; k < later->nprops; k++)
		sd_suite_prop(earlier, later->props[k].name, later->props[k].value);
	for (size_t k = 0; k < earlier->ncases; k++)
		release_case(&earlier->cases[k]);
	free(earlier->cases);
	earlier->cases = later->cases;
	earlier->ncases = later->ncases;
	earlier->capcases = later->capcases;
	later->cases = NULL;
	later->ncases = later->capcases = 0;
	earlier->time += later->time;
	earlier->attempts = (earlier->attempts > 0 ? earlier->attempts : 1) + 1;
	snprintf(n, sizeof(n), "%d", earlier->attempts);
	sd_suite_prop(earlier, "attempts", n);
}

void
sd_run_fold_attempts(struct sd_run *run)
{
	size_t kept = 0;

	for (size_t i = 0; i < run->nsuites; i++) {
		struct sd_suite *later = run->suites[i], *earlier = NULL;

		for (size_t k = 0; k < kept && earlier == NULL; k++)
			if (strcmp(run->suites[k]->name, later->name) == 0)
				earlier = run->suites[k];
		if (earlier == NULL) {
			run->suites[kept++] = later;
			continue;
		}
		fold_suite(earlier, later);
		release_suite(later);
	}
	run->nsuites = kept;
}

void
sd_suite_prop(struct sd_suite *s, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	for (size_t i = 0; i < s->nprops; i++)
		if (strcmp(s->props[i].name, name) == 0) {
			free(s->props[i].value);
			s->props[i].value = sd_xstrdup(value);
			return;
		}
	SD_GROW(s->props, s->nprops + 1, s->capprops);
	s->props[s->nprops].name = sd_xstrdup(name);
	s->props[s->nprops].value = sd_xstrdup(value);
	s->nprops++;
}

int
sd_suite_same_group(const struct sd_suite *a, const struct sd_suite *b)
{
	const char *x = sd_suite_get_prop(a, "account"), *y = sd_suite_get_prop(b, "account");

	return strcmp(a->drill, b->drill) == 0 && (x == y || (x && y && strcmp(x, y) == 0));
}

char *
sd_suite_group_title(const struct sd_suite *a)
{
	const char *account = sd_suite_get_prop(a, "account");

	return account ? sd_xasprintf("%s: %s", account, a->drill) : sd_xstrdup(a->drill);
}

const char *
sd_suite_get_prop(const struct sd_suite *s, const char *name)
{
	for (size_t i = 0; i < s->nprops; i++)
		if (strcmp(s->props[i].name, name) == 0)
			return s->props[i].value;
	return NULL;
}

struct sd_case *
sd_suite_add_case(struct sd_suite *s, const char *name)
{
	struct sd_case *c;

	SD_GROW(s->cases, s->ncases + 1, s->capcases);
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof(*c));
	c->name = sd_xstrdup(name);
	c->started = time(NULL);
	return c;
}

struct sd_drill_record *
sd_run_add_drill(struct sd_run *run, const char *name)
{
	struct sd_drill_record *r;

	SD_GROW(run->drills, run->ndrills + 1, run->capdrills);
	r = &run->drills[run->ndrills++];
	*r = (struct sd_drill_record){ .name = sd_xstrdup(name) };
	return r;
}

void
sd_run_set(char **field, const char *value)
{
	free(*field);
	*field = value && value[0] ? sd_xstrdup(value) : NULL;
}

void
sd_run_add_file(struct sd_run *run, const char *path, const char *endpoint, const char *evidence, const char *sha256)
{
	SD_GROW(run->files, run->nfiles + 1, run->capfiles);
	run->files[run->nfiles].path = sd_xstrdup(path);
	run->files[run->nfiles].endpoint = sd_xstrdup(endpoint);
	run->files[run->nfiles].evidence = sd_xstrdup(evidence);
	memcpy(run->files[run->nfiles].sha256, sha256, 65);
	run->nfiles++;
}

size_t
sd_count(const struct sd_run *run, const struct sd_suite *suite, enum sd_status st)
{
	size_t n = 0;

	if (suite != NULL) {
		for (size_t i = 0; i < suite->ncases; i++)
			n += suite->cases[i].status == st;
		return n;
	}
	for (size_t i = 0; i < run->nsuites; i++)
		n += sd_count(run, run->suites[i], st);
	return n;
}

size_t
sd_count_all(const struct sd_run *run, const struct sd_suite *suite)
{
	size_t n = 0;

	if (suite != NULL)
		return suite->ncases;
	for (size_t i = 0; i < run->nsuites; i++)
		n += run->suites[i]->ncases;
	return n;
}

/* The signal number a run's "run.interrupted" property or field holds, else whether a step was interrupted. */
static int
stopped_by(const struct sd_run *run)
{
	if (run->interrupted)
		return run->interrupted;
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++)
			if (run->suites[i]->cases[k].kind == SD_KIND_INTERRUPTED)
				return 2;   /* a step says so but not by which signal: SIGINT's number, as Ctrl-C's */
	return 0;
}

void
sd_run_verdict_of(const struct sd_run *run, struct sd_verdict *v)
{
	size_t neutral = 0, usage = 0;
	int sig = stopped_by(run);

	memset(v, 0, sizeof(*v));
	v->mode = run->mode;
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++) {
			const struct sd_case *c = &run->suites[i]->cases[k];
			v->total++;
			v->passed += c->status == SD_PASS;
			v->failed += c->status == SD_FAIL;
			v->errors += c->status == SD_ERROR;
			v->skipped += c->status == SD_SKIP;
			neutral += (sd_kind(c->kind)->flags & SD_KIND_NEUTRAL) != 0;
			usage += c->status == SD_ERROR && (sd_kind(c->kind)->flags & SD_KIND_USAGE) != 0;
			if (c->status == SD_PASS && c->nreruns > 0) {
				v->retried++;
				if (c->attempts > v->most_attempts)
					v->most_attempts = c->attempts;
			}
		}
	if (sig) {
		v->kind = SD_VERDICT_INCOMPLETE;
		v->exit_status = 128 + sig;
	} else if (v->total > 0 && neutral == v->total)
		v->kind = SD_VERDICT_NOTHING_TO_DO;
	else if (v->errors > 0 || v->failed > 0 || v->skipped > neutral) {
		v->kind = SD_VERDICT_FAILED;
		v->exit_status = usage > 0 ? 2 : v->errors > 0 ? 3 : 1;
	} else
		v->kind = SD_VERDICT_PASSED;
	v->text = v->kind == SD_VERDICT_PASSED ? "ALL STEPS PASSED" : v->kind == SD_VERDICT_FAILED ?
	    "NOT ALL STEPS PASSED" : v->kind == SD_VERDICT_INCOMPLETE ? "INCOMPLETE" : "NOTHING TO DO (NOT A BUSINESS DAY)";
}

const char *
sd_run_verdict(const struct sd_run *run)
{
	struct sd_verdict v;

	sd_run_verdict_of(run, &v);
	return v.text;
}

int
sd_run_exit_status(const struct sd_run *run)
{
	struct sd_verdict v;

	sd_run_verdict_of(run, &v);
	return v.exit_status;
}

void
sd_verdict_line(const struct sd_verdict *v, struct sd_buf *out)
{
	sd_buf_addf(out, "%zu passed, %zu failed, %zu errors, %zu skipped — %s%s", v->passed, v->failed, v->errors,
	    v->skipped, v->text, v->mode ? " (REHEARSAL)" : "");
	if (v->retried > 0)
		sd_buf_addf(out, "; %zu passed after %s%d attempts", v->retried, v->retried > 1 ? "up to " : "",
		    v->most_attempts);
}

void
sd_run_release(struct sd_run *run)
{
	for (size_t i = 0; i < run->nsuites; i++)
		release_suite(run->suites[i]);
	free(run->suites);
	for (size_t i = 0; i < run->nfiles; i++) {
		free(run->files[i].path);
		free(run->files[i].endpoint);
		free(run->files[i].evidence);
	}
	free(run->files);
	for (size_t i = 0; i < run->ndrills; i++) {
		struct sd_drill_record *r = &run->drills[i];
		free(r->name);
		sd_strv_release(&r->files);
		sd_strv_release(&r->sha256);
		free(r->window);
		free(r->window_status);
	}
	free(run->drills);
	sd_strv_release(&run->definitions);
	free(run->facts.tool);
	free(run->facts.libraries);
	free(run->facts.operator_name);
	free(run->facts.hostname);
	free(run->facts.business_date);
	free(run->facts.now_override);
	free(run->title);
	free(run->mode);
	free(run->account);
	free(run->interrupted_while);
	memset(run, 0, sizeof(*run));
}

void
sd_run_take(struct sd_run *into, struct sd_run *from)
{
	for (size_t i = 0; i < from->nsuites; i++) {
		SD_GROW(into->suites, into->nsuites + 1, into->capsuites);
		into->suites[into->nsuites++] = from->suites[i];
	}
	for (size_t i = 0; i < from->nfiles; i++) {
		SD_GROW(into->files, into->nfiles + 1, into->capfiles);
		into->files[into->nfiles++] = from->files[i];
	}
	if (into->started == 0 || (from->started != 0 && from->started < into->started))
		into->started = from->started;
	/* A run that takes a rehearsal or a stopped run is one too. */
	if (into->mode == NULL && from->mode != NULL) {
		into->mode = from->mode;
		from->mode = NULL;
	}
	if (into->interrupted == 0 && from->interrupted != 0) {
		into->interrupted = from->interrupted;
		sd_run_set(&into->interrupted_while, from->interrupted_while ? from->interrupted_while : "running");
	}
	into->time += from->time;
	free(from->suites);
	free(from->files);
	from->suites = NULL;
	from->files = NULL;
	from->nsuites = from->capsuites = from->nfiles = from->capfiles = 0;
}
