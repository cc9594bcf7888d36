/* drill_step.c — the `step` line: its name, its verb's arguments (by the verb table's shape), its options. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/units.h"
#include "parse.h"

/* Verbs a drill may never have: it is read-only by construction. */
static const char *const write_verbs[] = {
	"put", "rm", "rename", "mkdir", "rmdir", "chmod", "chown", "ln", "symlink", "upload", NULL
};

static const char *const step_options[] = { "timeout", "retry", "backoff", NULL };

static int
is_option(const char *word)
{
	for (size_t i = 0; step_options[i] != NULL; i++)
		if (strcmp(word, step_options[i]) == 0)
			return 1;
	return 0;
}

static int
bad_duration(struct parser *p, const struct tok *t)
{
	sd_parse_report(p, 0, t->col, "bad duration `%s` (e.g. 500ms, 30s, 2m, 1h)", t->text);
	return -1;
}

/* The unknown, misplaced or valueless option at t. */
static int
bad_option(struct parser *p, const struct tok *t, int has_value)
{
	if (!is_option(t->text))
		sd_parse_unknown(p, t->col, "step option", t->text, step_options);
	else if (!has_value)
		sd_parse_report(p, 0, t->col, "`%s` needs a value", t->text);
	else
		sd_parse_report(p, 0, t->col, "`backoff` goes right after `retry N`");
	return -1;
}

/* [timeout DUR] [retry N [backoff DUR]] from t[i] on. */
static int
parse_options(struct parser *p, struct sd_step *st, struct tok *t, int i, int n)
{
	int after_retry = 0;

	for (; i < n; i += 2) {
		const char *w = t[i].text;
		char *end;
		long v;

		if (i + 1 >= n)
			return bad_option(p, &t[i], 0);
		if (strcmp(w, "timeout") == 0) {
			st->timeout_ms = sd_duration_parse(t[i + 1].text);
			if (st->timeout_ms <= 0)
				return bad_duration(p, &t[i + 1]);
		} else if (strcmp(w, "retry") == 0) {
			v = strtol(t[i + 1].text, &end, 10);
			if (*end || end == t[i + 1].text || v < 0 || v > 100) {
				sd_parse_report(p, 0, t[i + 1].col, "bad retry count `%s` (0-100)", t[i + 1].text);
				return -1;
			}
			st->retries = (int)v;
		} else if (strcmp(w, "backoff") == 0 && after_retry) {
			st->backoff_ms = sd_duration_parse(t[i + 1].text);
			if (st->backoff_ms < 0)
				return bad_duration(p, &t[i + 1]);
		} else
			return bad_option(p, &t[i], 1);
		after_retry = strcmp(w, "retry") == 0;
	}
	return 0;
}

/* count DIR (==|>=|<=) (N|baseline(last-business-day)); returns the index after it, or -1. */
static int
parse_count(struct parser *p, struct sd_step *st, struct tok *t, int n)
{
	static const char *const ops[] = { [SD_CMP_EQ] = "==", [SD_CMP_GE] = ">=", [SD_CMP_LE] = "<=" };
	char *end;
	int op = -1;

	if (n < 6) {
		sd_parse_report(p, 0, t[2].col, "usage: %s", sd_verb(st->verb)->usage);
		return -1;
	}
	for (int k = 0; k < 3; k++)
		if (strcmp(t[4].text, ops[k]) == 0)
			op = k;
	if (op < 0) {
		sd_parse_report(p, 0, t[4].col, "unknown comparison `%s` (use ==, >= or <=)", t[4].text);
		return -1;
	}
	st->cmp = (enum sd_cmp)op;
	if (strcmp(t[5].text, "baseline(last-business-day)") == 0)
		st->expect_baseline = 1;
	else {
		errno = 0;
		st->expect = strtoll(t[5].text, &end, 10);
		if (errno || *end || end == t[5].text || st->expect < 0) {
			sd_parse_report(p, 0, t[5].col, "expected a count or baseline(last-business-day), got `%s`",
			    t[5].text);
			return -1;
		}
	}
	st->arg = sd_xstrdup(t[3].text);
	return 6;
}

/* A remote path or pattern, then optionally `to LOCAL-DIR`. */
static int
parse_remote_to(struct parser *p, struct sd_step *st, struct tok *t, int n)
{
	if (n < 4 || t[3].text[0] == '\0') {
		sd_parse_report(p, 0, t[2].col, "`%s` needs a remote path or pattern", t[2].text);
		return -1;
	}
	if (n > 4 && strcmp(t[4].text, "to") == 0) {
		if (n < 6 || t[5].text[0] == '\0') {
			sd_parse_report(p, 0, t[4].col, "`to` needs a local folder");
			return -1;
		}
		st->dest = sd_xstrdup(t[5].text);
	}
	st->arg = sd_xstrdup(t[3].text);
	return st->dest ? 6 : 4;
}

/* The verb's arguments, by the shape its descriptor names; returns the index of the first option, or -1. */
static int
parse_arguments(struct parser *p, struct sd_step *st, struct tok *t, int n)
{
	switch (sd_verb(st->verb)->args) {
	case SD_ARGS_NONE:
		return 3;
	case SD_ARGS_OPTIONAL_DIR:
		if (n > 3 && !is_option(t[3].text)) {
			st->arg = sd_xstrdup(t[3].text);
			return 4;
		}
		return 3;
	case SD_ARGS_SET:
	case SD_ARGS_PATH:
		if (n < 4 || t[3].text[0] == '\0' || is_option(t[3].text)) {
			sd_parse_report(p, 0, t[2].col, "`%s` needs %s", t[2].text,
			    sd_verb(st->verb)->args == SD_ARGS_SET ? "an endpoint set name" : "a remote path");
			return -1;
		}
		st->arg = sd_xstrdup(t[3].text);
		return 4;
	case SD_ARGS_REMOTE_TO:
		return parse_remote_to(p, st, t, n);
	case SD_ARGS_COUNT:
		return parse_count(p, st, t, n);
	}
	return -1;
}

/* The verb of a step, with the read-only rule and a suggestion for a typo. */
static int
parse_verb(struct parser *p, const struct tok *t, enum sd_verb *v)
{
	const char *names[SD_VERB__COUNT + 1];

	int found = sd_verb_lookup(t->text);

	if (found >= 0) {
		*v = (enum sd_verb)found;
		return 0;
	}
	sd_verb_names(names);
	for (size_t k = 0; write_verbs[k] != NULL; k++)
		if (strcmp(t->text, write_verbs[k]) == 0) {
			sd_parse_report(p, 0, t->col, "`%s` would change the server; drills are read-only and have no write verbs",
			    t->text);
			return -1;
		}
	sd_parse_unknown(p, t->col, "step verb", t->text, names);
	return -1;
}

/* A step's name: not empty, unique in the drill. */
static int
check_name(struct parser *p, const struct tok *t)
{
	const struct sd_drill *d = p->d;

	if (t->text[0] == '\0') {
		sd_parse_report(p, 0, t->col, "empty step name");
		return -1;
	}
	for (size_t k = 0; k < d->nsteps; k++)
		if (strcmp(d->steps[k].name, t->text) == 0) {
			sd_parse_report(p, 0, t->col, "duplicate step name \"%s\" (first at %s:%d:%d)", t->text,
			    d->steps[k].loc.file, d->steps[k].loc.line, d->steps[k].loc.col);
			return -1;
		}
	if (d->nsteps >= MAX_STEPS) {
		sd_parse_report(p, 0, t->col, "too many steps (limit %d)", MAX_STEPS);
		return -1;
	}
	return 0;
}

void
sd_parse_step(struct parser *p, struct tok *t, int n)
{
	struct sd_drill *d = p->d;
	struct sd_step st = { .loc = { p->file, p->line, t[0].col } };
	int i;

	if (n < 3) {
		sd_parse_report(p, 0, t[0].col, "usage: step \"NAME\" VERB [ARGS] [timeout DUR] [retry N [backoff DUR]]");
		return;
	}
	if (check_name(p, &t[1]) < 0 || parse_verb(p, &t[2], &st.verb) < 0)
		return;
	i = parse_arguments(p, &st, t, n);
	if (i < 0 || parse_options(p, &st, t, i, n) < 0) {
		free(st.arg);
		free(st.dest);
		return;
	}
	st.name = sd_xstrdup(t[1].text);
	SD_GROW(d->steps, d->nsteps + 1, d->capsteps);
	d->steps[d->nsteps++] = st;
}
