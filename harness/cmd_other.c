/* cmd_other.c — the commands that never connect: check, plan, verify, business-day, version. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/engine/net.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/engine/session.h"
#include "sftpdrill/evidence/sign.h"
#include "sftpdrill/run/target.h"
#include "cli.h"
#include "term.h"

struct sd_calendar_sources
cli_calendar(const struct cli *c)
{
	return (struct sd_calendar_sources){ .holidays = &c->holidays, .closures = c->closures, .nclosures = c->nclosures };
}

void
cli_secrets(const struct cli *c, struct sd_redactor *r)
{
	const char *pp = c->site.passphrase_env ? getenv(c->site.passphrase_env) : NULL;

	sd_vars_secrets(&c->defs, r);
	sd_redact_add(r, pp);
}

/* A line to stderr, masked, and kept while c->said is set. */
static void
say(const struct cli *c, const char *text)
{
	struct sd_redactor r = { 0 };
	char *masked;

	cli_secrets(c, &r);
	masked = sd_redact(&r, text);
	term_say(stderr, masked, 4);
	if (c->said != NULL)
		sd_buf_addf(c->said, "%s\n", masked);
	free(masked);
	sd_redact_release(&r);
}

void
cli_say(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = sd_xvasprintf(fmt, ap);
	va_end(ap);
	say(c, text);
	free(text);
}

void
cli_print_diag(const struct cli *c, const struct sd_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++)
		say(c, diag->v[i].text);
}

/* LAST_BUSINESS_DATE and LAST_BUSINESS_DATE_YMD, unless -D gave them. */
static void
define_last_business(struct sd_vars *defs, long last)
{
	static const char *const names[] = { "LAST_BUSINESS_DATE", "LAST_BUSINESS_DATE_YMD" };
	char date[16];

	for (int compact = 0; compact < 2; compact++) {
		const struct sd_var *v = sd_vars_find(defs, names[compact], strlen(names[compact]));
		sd_date_format(last, compact, date, sizeof(date));
		if (v == NULL || v->origin != SD_VAR_CMDLINE)
			sd_vars_set(defs, names[compact], date, SD_VAR_BUILTIN);
	}
}

/*
 * Parse one drill. LAST_BUSINESS_DATE is the last business day before the
 * business date by the drill's own calendar (its holiday files, the
 * closures), which is known only once it is parsed: a first parse assumes
 * weekends only, and when the drill's holidays move the day, a second parse
 * uses the right one. The diagnostics are the final parse's.
 */
static struct sd_drill *
parse_one(const struct cli *c, const char *file)
{
	struct sd_vars defs = { 0 };
	struct sd_calendar cal = { 0 };
	struct sd_calendar_sources src = cli_calendar(c);
	struct sd_diag diag = { 0 };
	struct sd_err err;
	long guess = sd_calendar_last_business(NULL, c->business_day), last;
	struct sd_drill *d;

	sd_vars_copy(&defs, &c->defs);
	define_last_business(&defs, guess);
	d = sd_drill_parse(file, &defs, &c->site, &diag);
	if (d != NULL) {
		/* A holiday file that cannot be read is reported by the run; here it only leaves days open. */
		sd_drill_calendar(d, &src, &cal, &err);
		last = sd_calendar_last_business(&cal, c->business_day);
		if (last >= 0 && last != guess) {
			sd_drill_free(d);
			sd_diag_release(&diag);
			define_last_business(&defs, last);
			d = sd_drill_parse(file, &defs, &c->site, &diag);
		}
	}
	cli_print_diag(c, &diag);
	sd_diag_release(&diag);
	sd_calendar_release(&cal);
	sd_vars_release(&defs);
	return d;
}

/* Every -D name some drill or profile uses; a name none uses is an error, with the closest name they do. */
static int
check_definitions(const struct cli *c, int n, struct sd_drill **drills)
{
	struct sd_strv names = { 0 };
	int bad = 0;

	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < drills[i]->vars.n; k++)
			if (drills[i]->vars.v[k].origin != SD_VAR_CMDLINE || drills[i]->vars.v[k].used)
				sd_strv_push(&names, drills[i]->vars.v[k].name);
		for (size_t k = 0; k < drills[i]->refs.n; k++)
			sd_strv_push(&names, drills[i]->refs.v[k]);
	}
	sd_strv_push(&names, "");
	free(names.v[names.n - 1]);
	names.v[names.n - 1] = NULL;     /* sd_suggest wants a NULL-terminated list */
	for (size_t k = 0; k < c->defs.n; k++) {
		const struct sd_var *def = &c->defs.v[k];
		const char *near;
		int used = 0;

		if (def->origin != SD_VAR_CMDLINE)
			continue;
		for (int i = 0; i < n && !used; i++) {
			const struct sd_var *v = sd_vars_find(&drills[i]->vars, def->name, strlen(def->name));
			used = v != NULL && v->used;
		}
		if (used)
			continue;
		near = sd_suggest(def->name, (const char *const *)names.v);
		cli_say(c, "sftpdrill: -D %s: no drill or profile uses this name%s%s%s", def->name,
		    near ? "; did you mean " : " (a typo would otherwise go unnoticed)", near ? near : "", near ? "?" : "");
		bad++;
	}
	sd_strv_release(&names);
	return bad;
}

int
cli_parse_drills(const struct cli *c, int n, char **files, struct sd_drill **out)
{
	int bad = 0;

	for (int i = 0; i < n; i++)
		if ((out[i] = parse_one(c, files[i])) == NULL)
			bad++;
	/* A -D nobody uses is an error like any other: nothing runs on a mistyped name. */
	if (bad == 0 && check_definitions(c, n, out) > 0) {
		for (int i = 0; i < n; i++) {
			sd_drill_free(out[i]);
			out[i] = NULL;
		}
		bad = n;
	}
	return bad;
}

int
cli_calendar_coverage(const struct cli *c, const struct sd_calendar *cal, long day, const char *what, char *warn,
    size_t len)
{
	char why[640];

	warn[0] = '\0';
	if (!sd_calendar_uncovered(cal, day, why, sizeof(why)))
		return 0;
	if (c->allow_unknown_holidays) {
		snprintf(warn, len, "%s; --allow-unknown-holidays: counted as a business day unless a weekend or a listed "
		    "closure", why);
		return 0;
	}
	cli_say(c, "sftpdrill: %s: %s (--allow-unknown-holidays goes on with weekends and closures only)", what, why);
	return -1;
}

int
cli_check_coverage(const struct cli *c, const struct sd_drill *d, long day, char *warn, size_t len)
{
	struct sd_calendar cal = { 0 };
	struct sd_calendar_sources src = cli_calendar(c);
	struct sd_err err;
	int rc;

	/* A holiday file that cannot be read is reported where the calendar is used. */
	sd_drill_calendar(d, &src, &cal, &err);
	rc = cli_calendar_coverage(c, &cal, day, d->path, warn, len);
	sd_calendar_release(&cal);
	return rc;
}

int
cmd_check(struct cli *c, int n, char **files)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	int bad = cli_parse_drills(c, n, files, drills);
	size_t warnings = 0;

	for (int i = 0; i < n; i++) {
		struct sd_diag diag = { 0 };
		size_t w;

		char unknown[768];

		if (drills[i] == NULL)
			continue;
		w = sd_drill_check_files(drills[i], &c->site, 0, &diag);
		cli_print_diag(c, &diag);
		sd_diag_release(&diag);
		if (cli_check_coverage(c, drills[i], c->business_day, unknown, sizeof(unknown)) < 0)
			bad++;
		else if (unknown[0] && ++w)
			fprintf(stderr, "%s: warning: %s\n", files[i], unknown);
		warnings += w;
		{
			char *line = sd_xasprintf("%s: %s (%zu steps, %zu endpoints in `%s`%s)", files[i], w ? "parsed" : "ok",
			    drills[i]->nsteps, sd_drill_set(drills[i], drills[i]->target)->n, drills[i]->target,
			    w ? ", with warnings" : "");
			term_say(stdout, line, 4);
			free(line);
		}
		sd_drill_free(drills[i]);
	}
	free(drills);
	return bad || (c->strict && warnings) ? EXIT_USAGE : EXIT_PASS;
}

/* A step's verb and arguments as written. Caller frees. */
static char *
step_args(const struct sd_step *st)
{
	if (st->verb == SD_VERB_COUNT)
		return st->expect_baseline ?
		    sd_xasprintf("%s %s baseline(last-business-day)", st->arg, sd_cmp_name(st->cmp)) :
		    sd_xasprintf("%s %s %lld", st->arg, sd_cmp_name(st->cmp), st->expect);
	if (st->dest)
		return sd_xasprintf("%s to %s", st->arg, st->dest);
	return sd_xstrdup(st->arg ? st->arg : "");
}

/*
 * Where the participant's own configuration points (`target-host`) and what
 * it resolves to, against the session's data centre: what `expect-target`
 * will check when the session starts, seen while there is time to switch.
 */
static void
plan_configured(const struct sd_drill *d, struct sd_buf *out)
{
	const char *set = sd_target_session_set(d);
	struct sd_target_check tc;
	struct sd_err err;

	if (d->target_host == NULL || d->target_hosts.n == 0)
		return;
	sd_buf_addf(out, "configured %s\n", d->target_host);
	if (sd_target_check(d, set, &sd_transport_ssh, sd_now_ms() + 10000, NULL, &tc, &err) < 0)
		sd_buf_addf(out, "         cannot tell where it points: %s\n", err.msg);
	else if (tc.matches)
		sd_buf_addf(out, "         resolves to %s: the %s set, as the session needs\n", sd_buf_str(&tc.configured), set);
	else
		sd_buf_addf(out, "         resolves to %s, but the %s set is %s: switch the SFTP configuration to the %s "
		    "addresses before the session (expect-target will fail)\n", sd_buf_str(&tc.configured), set,
		    sd_buf_str(&tc.expected), set);
	sd_target_check_release(&tc);
}

static void
plan_steps(const struct sd_drill *d, struct sd_buf *out)
{
	for (size_t k = 0; k < d->nsteps; k++) {
		const struct sd_step *st = &d->steps[k];
		char *args = step_args(st);

		sd_buf_addf(out, "  %2zu. %-45s %s %s  [timeout %llds%s]\n", k + 1, st->name, sd_verb_name(st->verb), args,
		    (long long)(st->timeout_ms ? st->timeout_ms : d->timeouts.step) / 1000,
		    st->retries ? ", with retries" : "");
		if (st->retries)
			sd_buf_addf(out, "      retry %d, backoff %lldms doubling\n", st->retries,
			    (long long)(st->backoff_ms ? st->backoff_ms : 1000));
		free(args);
	}
}

/* "10 min", "3 h 5 min", "12 days". */
static void
span_text(long mins, char *buf, size_t len)
{
	if (mins < 120)
		snprintf(buf, len, "%ld min", mins);
	else if (mins < 48 * 60)
		snprintf(buf, len, "%ld h %ld min", mins / 60, mins % 60);
	else
		snprintf(buf, len, "%ld days", mins / (24 * 60));
}

int
cli_window(const struct cli *c, const struct sd_drill *d, struct window_fact *w, struct sd_err *err)
{
	long offset, mins;
	char a[32], b[32], span[32], zone[48];
	const char *name;

	memset(w, 0, sizeof(*w));
	if (d->window == NULL)
		return 0;
	(void)err;
	w->start = d->win.start;
	w->end = d->win.end;
	offset = d->win.offset;
	name = strrchr(d->window, ' ') + 1;
	snprintf(zone, sizeof(zone), "%c%02ld:%02ld", offset < 0 ? '-' : '+', labs(offset) / 3600, labs(offset) % 3600 / 60);
	sd_utc_iso(c->now + offset, a, sizeof(a));
	snprintf(w->now, sizeof(w->now), "%s%s %s", a, zone, name);
	if (c->now >= w->start && c->now < w->end) {
		w->state = WINDOW_INSIDE;
		mins = (long)(w->end - c->now + 59) / 60;
		span_text(mins, span, sizeof(span));
		snprintf(w->status, sizeof(w->status), "inside");
		snprintf(w->when, sizeof(w->when), "inside the drill's window %s (it closes in %s)", d->window, span);
		return 0;
	}
	w->state = c->now < w->start ? WINDOW_BEFORE : WINDOW_AFTER;
	sd_utc_iso(w->start + offset, a, sizeof(a));
	sd_utc_iso(w->end + offset, b, sizeof(b));
	snprintf(w->status, sizeof(w->status), "%s: run at %.19s, window %s to %s (%s)",
	    w->state == WINDOW_BEFORE ? "before" : "after", w->now, a, b + 11, name);
	mins = (long)((w->state == WINDOW_BEFORE ? w->start - c->now : c->now - w->end) + 59) / 60;
	span_text(mins, span, sizeof(span));
	snprintf(w->when, sizeof(w->when), w->state == WINDOW_BEFORE ? "before the drill's window %s (it opens in %s)" :
	    "after the drill's window %s (it closed %s ago)", d->window, span);
	return 0;
}

/* Each endpoint with the addresses its name resolves to now (an address stands for itself). */
static void
plan_endpoints(const struct sd_endpoint_set *set, struct sd_buf *out)
{
	for (size_t k = 0; k < set->n; k++) {
		struct sd_strv addrs = { 0 };
		struct sd_buf list = SD_BUF_INIT(0);
		struct sd_err err;

		if (sd_net_resolve(set->v[k].host, sd_now_ms() + 5000, NULL, &addrs, &err) < 0)
			sd_buf_adds(&list, err.msg);
		for (size_t i = 0; i < addrs.n; i++)
			sd_buf_join(&list, ", ", addrs.v[i]);
		sd_buf_addf(out, "  endpoint %zu  %s  (%s)\n", k + 1, set->v[k].label, sd_buf_str(&list));
		sd_buf_release(&list);
		sd_strv_release(&addrs);
	}
}

/* The calendar facts: business date, last business day, and whether the drill runs today. */
static void
plan_calendar(const struct cli *c, const struct sd_drill *d, struct sd_buf *out)
{
	struct sd_calendar cal = { 0 };
	struct sd_calendar_sources src = cli_calendar(c);
	struct sd_err err;
	char date[16], last[16], why[300];

	sd_drill_calendar(d, &src, &cal, &err);
	sd_date_format(c->business_day, 0, date, sizeof(date));
	sd_date_format(sd_calendar_last_business(&cal, c->business_day), 0, last, sizeof(last));
	sd_buf_addf(out, "business date %s (%s), last business day %s\n", date, sd_date_weekday_name(c->business_day),
	    last);
	if (d->business_days_only && sd_calendar_why(&cal, c->business_day, why, sizeof(why)))
		sd_buf_addf(out, "  runs on business days only: not one: %s (a run records NotABusinessDay, exit 0)\n", why);
	sd_calendar_release(&cal);
}

/* For each count against the baseline: the manifest it will read, or that none is there yet. */
static void
plan_baselines(const struct cli *c, const struct sd_drill *d, struct sd_buf *out)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	struct sd_calendar cal = { 0 };
	struct sd_calendar_sources src = cli_calendar(c);
	struct sd_err err;
	char *account = sd_account_dir(d->baseline_dir, d->service, d->user ? d->user : "");

	sd_buf_addf(out, "state    %s\n", account);
	sd_drill_calendar(d, &src, &cal, &err);
	for (size_t k = 0; k < d->nsteps; k++) {
		const struct sd_step *st = &d->steps[k];
		long last = sd_calendar_last_business(&cal, c->business_day);
		char date[16], *dir;

		if (st->verb != SD_VERB_COUNT || !st->expect_baseline)
			continue;
		sd_date_format(last, 0, date, sizeof(date));
		dir = sd_baseline_dir(account, st->arg, last);
		for (size_t i = 0; set && i < set->n; i++) {
			char *path = sd_baseline_find(dir, set->v[i].label);
			sd_buf_addf(out, "  baseline of %s for %s on %s: %s\n", st->arg, set->v[i].label, date,
			    path ? path : "none recorded yet (record one that day with `sftpdrill snapshot`)");
			free(path);
		}
		free(dir);
	}
	sd_calendar_release(&cal);
	free(account);
}

/* The resolved run of one drill, as text. */
static void
plan_one(const struct cli *c, const struct sd_drill *d, struct sd_buf *out)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	const struct sd_timeouts *to = &d->timeouts;
	struct window_fact w;
	struct sd_err err;

	sd_buf_addf(out, "drill    %s\nfile     %s\n", d->name, d->path);
	for (size_t k = 1; k < d->nfiles; k++)
		sd_buf_addf(out, "include  %s\n", d->files[k]);
	if (d->window && cli_window(c, d, &w, &err) == 0)
		sd_buf_addf(out, "window   %s: now (%s) is %s\n", d->window, w.now, w.when);
	else if (d->window)
		sd_buf_addf(out, "window   %s: %s\n", d->window, err.msg);
	plan_calendar(c, d, out);
	sd_buf_addf(out, "target   %s\n", d->target);
	plan_endpoints(set, out);
	plan_configured(d, out);
	sd_buf_addf(out, "user     %s\nkey      %s\nknown    %s\ndownload %s\n", d->user ? d->user : "(not set)",
	    d->identity ? d->identity : "(not set)", d->known_hosts ? d->known_hosts : "(not set)",
	    d->download_dir ? d->download_dir : "(not set)");
	sd_buf_addf(out, "deadlines connect %llds, banner %llds, kex %llds, auth %llds, sftp-init %llds, sftp %llds, "
	    "step %llds\n", (long long)to->connect / 1000, (long long)to->banner / 1000, (long long)to->kex / 1000,
	    (long long)to->auth / 1000, (long long)to->sftp_init / 1000, (long long)to->sftp_op / 1000,
	    (long long)to->step / 1000);
	plan_baselines(c, d, out);
	plan_steps(d, out);
}

int
cmd_plan(struct cli *c, int n, char **files)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	int bad = cli_parse_drills(c, n, files, drills);

	for (int i = 0; i < n && !bad; i++) {
		struct sd_redactor r = { 0 };
		struct sd_buf text = SD_BUF_INIT(0);
		char *masked, unknown[768];

		if (cli_check_coverage(c, drills[i], c->business_day, unknown, sizeof(unknown)) < 0) {
			bad++;
			break;
		}
		if (unknown[0])
			sd_buf_addf(&text, "warning: %s\n", unknown);
		plan_one(c, drills[i], &text);
		sd_vars_secrets(&drills[i]->vars, &r);
		masked = sd_redact(&r, sd_buf_str(&text));
		term_print(stdout, masked, 9);
		if (i + 1 < n)
			fputs("\n", stdout);
		free(masked);
		sd_buf_release(&text);
		sd_redact_release(&r);
	}
	for (int i = 0; i < n; i++)
		sd_drill_free(drills[i]);
	free(drills);
	return bad ? EXIT_USAGE : EXIT_PASS;
}

int
cmd_verify(struct cli *c, int n, char **args)
{
	struct sd_bundle_check check = { 0 };
	struct sd_err err;
	int rc;

	if (n != 1) {
		fprintf(stderr, "usage: sftpdrill verify [--pub PUBLIC-KEY.pem]... RUN-FOLDER\n");
		return EXIT_USAGE;
	}
	rc = sd_bundle_verify(args[0], &c->pubs, &check, &err);
	if (rc < 0) {
		fprintf(stderr, "sftpdrill verify: %s\n", err.msg);
		return EXIT_USAGE;
	}
	/* Intact is the files' word alone; each signature is reported on its own line. */
	for (size_t i = 0; i < check.problems.n; i++)
		printf("%s\n", check.problems.v[i]);
	if (check.problems.n == 0)
		printf("%s: intact (every file matches MANIFEST; %zu signature%s)\n", args[0], check.nsignatures,
		    check.nsignatures == 1 ? "" : "s");
	else
		printf("%s: NOT intact%s (%zu problem%s)\n", args[0], check.sealed ? "" : ", never sealed",
		    check.problems.n, check.problems.n == 1 ? "" : "s");
	for (size_t i = 0; i < check.signatures.n; i++)
		printf("signature %s\n", check.signatures.v[i]);
	for (size_t i = 0; i < check.signer_problems.n; i++)
		if (strncmp(check.signer_problems.v[i], "MANIFEST.sig", 12) != 0)
			printf("key %s\n", check.signer_problems.v[i]);
	if (check.problems.n == 0 && check.verdict[0]) {
		char *verdict = sd_printable(check.verdict, strlen(check.verdict));
		char *mode = sd_printable(check.mode, strlen(check.mode));
		printf("recorded verdict: %s%s%s%s\n", verdict, mode[0] && strcmp(mode, "session") ? " (" : "",
		    strcmp(mode, "session") ? mode : "", mode[0] && strcmp(mode, "session") ? ")" : "");
		free(verdict);
		free(mode);
	}
	sd_bundle_check_release(&check);
	return rc == 0 ? EXIT_PASS : EXIT_CHECK_FAILED;
}

int
cmd_sign(struct cli *c, int n, char **args)
{
	struct sd_signer *signer;
	struct sd_err err;
	int rc;

	if (n != 1 || c->sign_key == NULL) {
		fprintf(stderr, "usage: sftpdrill sign --key KEY.pem RUN-FOLDER\n");
		return EXIT_USAGE;
	}
	signer = sd_signer_load(c->sign_key, getenv("SFTPDRILL_SIGN_PASSPHRASE"), &err);
	if (signer == NULL) {
		fprintf(stderr, "sftpdrill sign: %s\n", err.msg);
		return EXIT_USAGE;
	}
	rc = sd_bundle_sign(args[0], signer, &err);
	sd_signer_free(signer);
	if (rc < 0) {
		fprintf(stderr, "sftpdrill sign: %s\n", err.msg);
		return sd_err_is(&err, SD_KIND_EVIDENCE_CHANGED) ? EXIT_CHECK_FAILED : EXIT_INTERNAL;
	}
	printf("%s: signed with %s\n", args[0], c->sign_key);
	return EXIT_PASS;
}

/* A file shipped with the scenarios (scenarios/hkex-rrs/NAME), wherever sftpdrill is run from; NULL if none. */
static char *
shipped(const char *argv0, const char *name)
{
	static const char *const candidates[] = {
		"scenarios/hkex-rrs/%2$s",
		"%1$s/../scenarios/hkex-rrs/%2$s",                 /* harness/sftpdrill in the source tree */
		"%1$s/../share/sftpdrill/scenarios/hkex-rrs/%2$s", /* installed */
	};
	char self[PATH_MAX], *dir;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *slash;

	/* Where the program itself is (run from PATH, argv0 says nothing): its tree's or its prefix's share. */
	if (len > 0) {
		self[len] = '\0';
		argv0 = self;
	}
	slash = strrchr(argv0, '/');
	dir = slash ? sd_xstrndup(argv0, (size_t)(slash - argv0)) : sd_xstrdup(".");

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char *p = sd_xasprintf(candidates[i], dir, name);
		if (access(p, R_OK) == 0) {
			free(dir);
			return p;
		}
		free(p);
	}
	free(dir);
	return NULL;
}

/*
 * The calendar business-day uses: a drill's, as a run of it reads it (its
 * holiday files, RRS_CLOSURES from -D or the environment): --drill DRILL,
 * else the shipped daily backup's; then --holidays and --non-business-day.
 */
static int
load_calendar(struct cli *c, struct sd_calendar *cal)
{
	char *fallback = c->drill_for_calendar ? NULL : shipped(c->argv0, "daily-backup.drill");
	char *file = c->drill_for_calendar ? (char *)c->drill_for_calendar : fallback;
	struct sd_calendar_sources src = cli_calendar(c);
	struct sd_drill *d = NULL;
	struct sd_err err;
	int rc = 0;

	if (file == NULL && c->holidays.n == 0) {
		fprintf(stderr, "sftpdrill business-day: the shipped drills were not found; give --drill DRILL or "
		    "--holidays FILE\n");
		return -1;
	}
	if (file != NULL && cli_parse_drills(c, 1, &file, &d) > 0)
		rc = -1;
	else if (sd_drill_calendar(d, &src, cal, &err) < 0) {
		fprintf(stderr, "sftpdrill business-day: %s\n", err.msg);
		rc = -1;
	}
	sd_drill_free(d);
	free(fallback);
	return rc;
}

int
cmd_business_day(struct cli *c, int n, char **args)
{
	struct sd_calendar cal = { 0 };
	char out[16];
	long day;
	int status = EXIT_USAGE;

	if (n != 1) {
		fprintf(stderr, "usage: sftpdrill business-day [--drill DRILL] [--holidays FILE]... [--non-business-day DATE]... "
		    "DATE|today\n");
		return EXIT_USAGE;
	}
	if (strcmp(args[0], "today") == 0)
		day = sd_date_at(c->now, c->zone_offset);
	else if (sd_date_parse(args[0], &day) < 0) {
		fprintf(stderr, "sftpdrill business-day: `%s` is not a date (YYYY-MM-DD)\n", args[0]);
		return EXIT_USAGE;
	}
	if (load_calendar(c, &cal) == 0) {
		long last = sd_calendar_last_business(&cal, day);
		char warn[768];
		/* The days looked at, from the day before back to the answer: each must be one the list knows. */
		if (cli_calendar_coverage(c, &cal, day - 1, "business-day", warn, sizeof(warn)) == 0 &&
		    (warn[0] || cli_calendar_coverage(c, &cal, last, "business-day", warn, sizeof(warn)) == 0)) {
			sd_date_format(last, 0, out, sizeof(out));
			printf("%s\n", out);
			if (warn[0])
				fprintf(stderr, "sftpdrill business-day: warning: %s\n", warn);
			status = EXIT_PASS;
		}
	}
	sd_calendar_release(&cal);
	return status;
}

int
cmd_version(struct cli *c, int n, char **args)
{
	(void)c;
	(void)n;
	(void)args;
	printf("%s (%s)\n", sd_tool(), sd_library_versions());
	return EXIT_PASS;
}
