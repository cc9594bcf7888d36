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
	SD_GROW(run->suites, run->nsuites + 1, run->capsuites);
	run->suites[run->nsuites++] = s;
	return s;
}

void
sd_suite_attempt(struct sd_suite *s, int attempt)
{
	char *name = sd_xasprintf("%s (attempt %d)", s->name, attempt);
	char *classname = sd_xasprintf("%s attempt %d", s->classname, attempt);
	char n[16];

	free(s->name);
	free(s->classname);
	s->name = name;
	s->classname = classname;
	s->attempt = attempt;
	snprintf(n, sizeof(n), "%d", attempt);
	sd_suite_prop(s, "attempt", n);
}

void
sd_run_supersede(struct sd_run *run, size_t from)
{
	for (size_t k = from; k < run->nsuites; k++) {
		const struct sd_suite *later = run->suites[k];
		char by[32];
		snprintf(by, sizeof(by), "attempt %d", later->attempt > 1 ? later->attempt : 1);
		for (size_t i = 0; i < from; i++) {
			struct sd_suite *s = run->suites[i];
			if (!s->superseded && strcmp(s->drill, later->drill) == 0 && strcmp(s->endpoint, later->endpoint) == 0) {
				s->superseded = 1;
				sd_suite_prop(s, "superseded.by", by);
			}
		}
	}
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
sd_run_add_file(struct sd_run *run, const char *path, const char *endpoint, const char *sha256)
{
	SD_GROW(run->files, run->nfiles + 1, run->capfiles);
	run->files[run->nfiles].path = sd_xstrdup(path);
	run->files[run->nfiles].endpoint = sd_xstrdup(endpoint);
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

/* Steps that ended as a neutral skip (a business-days-only drill on a closed day). */
static size_t
count_neutral(const struct sd_run *run)
{
	size_t n = 0;

	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases && !run->suites[i]->superseded; k++)
			n += (sd_kind(run->suites[i]->cases[k].kind)->flags & SD_KIND_NEUTRAL) != 0;
	return n;
}

/* What decides: the steps of suites no later attempt took the place of. */
static size_t
count_live(const struct sd_run *run, int all, enum sd_status st)
{
	size_t n = 0;

	for (size_t i = 0; i < run->nsuites; i++)
		if (!run->suites[i]->superseded)
			n += all ? run->suites[i]->ncases : sd_count(run, run->suites[i], st);
	return n;
}

const char *
sd_run_verdict(const struct sd_run *run)
{
	size_t all = count_live(run, 1, SD_PASS), neutral = count_neutral(run);

	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++)
			if (run->suites[i]->cases[k].kind == SD_KIND_INTERRUPTED)
				return "INCOMPLETE";
	if (all > 0 && neutral == all)
		return "NOTHING TO DO (NOT A BUSINESS DAY)";
	return count_live(run, 0, SD_PASS) + neutral == all ? "ALL STEPS PASSED" : "NOT ALL STEPS PASSED";
}

int
sd_run_exit_status(const struct sd_run *run)
{
	if (count_live(run, 0, SD_ERROR) > 0)
		return 3;
	if (count_live(run, 0, SD_FAIL) > 0 || count_live(run, 0, SD_SKIP) > count_neutral(run))
		return 1;
	return 0;
}

void
sd_run_release(struct sd_run *run)
{
	for (size_t i = 0; i < run->nsuites; i++) {
		struct sd_suite *s = run->suites[i];
		for (size_t k = 0; k < s->nprops; k++) {
			free(s->props[k].name);
			free(s->props[k].value);
		}
		for (size_t k = 0; k < s->ncases; k++) {
			free(s->cases[k].name);
			free(s->cases[k].message);
			free(s->cases[k].detail);
			free(s->cases[k].note);
		}
		free(s->props);
		free(s->cases);
		free(s->name);
		free(s->classname);
		free(s->drill);
		free(s->endpoint);
		free(s);
	}
	free(run->suites);
	for (size_t i = 0; i < run->nfiles; i++) {
		free(run->files[i].path);
		free(run->files[i].endpoint);
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
	into->time += from->time;
	free(from->suites);
	free(from->files);
	from->suites = NULL;
	from->files = NULL;
	from->nsuites = from->capsuites = from->nfiles = from->capfiles = 0;
}
