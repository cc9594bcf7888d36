/* sftpdrill — run SFTP connectivity drills and write JUnit XML. Front end only: the work is in lib/. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/calendar.h"
#include "sftpdrill/drill.h"
#include "sftpdrill/evidence.h"
#include "sftpdrill/html.h"
#include "sftpdrill/junit.h"
#include "sftpdrill/transcript.h"
#include "sftpdrill/runner.h"
#include "sftpdrill/session.h"
#include "sftpdrill/util.h"

#ifndef SFTPDRILL_VERSION
#define SFTPDRILL_VERSION "0.1.0"
#endif

enum { EXIT_PASS = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

static const char usage_text[] =
"usage: sftpdrill COMMAND [OPTIONS] DRILL...\n"
"\n"
"Commands:\n"
"  run DRILL...     run each drill against every endpoint of its target set\n"
"  check DRILL...   validate drills and their profiles without touching the network\n"
"  plan DRILL...    print the resolved endpoints and steps (secrets masked)\n"
"  snapshot DRILL...  record the report folder's manifest on each endpoint for the business date\n"
"  business-day [--holidays FILE]... [--non-business-day DATE]... DATE|today\n"
"                   print the last business day strictly before DATE\n"
"  verify [--pub KEY.pem] RUN-FOLDER\n"
"                   check a run folder against its MANIFEST (and signature)\n"
"  version          print the version and library versions\n"
"  help             print this help\n"
"\n"
"Options:\n"
"  -D NAME=VALUE        define a variable; overrides `set` in drill and profile files\n"
"  --report-dir DIR     parent folder for run folders (default: reports)\n"
"  --operator NAME      who ran the drill, recorded in the report (default: login name)\n"
"  --business-date DATE the run's business date (default: today in Hong Kong, UTC+8)\n"
"  --non-business-day DATE  a closure (typhoon, rainstorm) on top of the holiday files; repeatable\n"
"  --holidays FILE      business-day: holiday file (default: the shipped Hong Kong list); repeatable\n"
"  --sign-key KEY.pem   run: sign the bundle's MANIFEST with this Ed25519 or ECDSA private key\n"
"                       (its passphrase, if any, from SFTPDRILL_SIGN_PASSPHRASE)\n"
"  --pub KEY.pem        verify: check the signature with this public key\n"
"  --trust-on-first-use run: accept a host key that known_hosts does not know yet and add it\n"
"                       there (never a changed one); confirm the fingerprint afterwards\n"
"  --parallel           run: the endpoints of a set at once (a thread and a session each);\n"
"                       output and results read exactly as in a serial run\n"
"  -q, --quiet          print only failures and the closing summary\n"
"  --strict             check: treat warnings (missing key, no host key...) as errors\n"
"  -h, --help           print this help\n"
"\n"
"The key passphrase, if any, is read from the environment variable RRS_KEY_PASSPHRASE (the\n"
"profile's passphrase-env may name another); on a terminal sftpdrill asks for it instead.\n"
"\n"
"Exit status: 0 every step passed; 1 a check failed (or was skipped after a failure);\n"
"2 usage, drill or profile error; 3 internal or local I/O error.\n";

struct opts {
	struct sd_vars defs;
	const char *report_dir;
	const char *operator_name;
	int quiet;
	int strict;
	int tofu;
	int parallel;
	const char *sign_key;
	const char *pub_key;
	long business_day;
	long *closures;
	size_t nclosures;
	struct sd_strv holidays;
};

struct view {
	int quiet;
	int color;
	struct sd_strv secrets;         /* values never printed */
	struct sd_transcript *transcript;
	/* Parallel runs: each suite's lines are held and printed in the set's order. */
	const struct sd_run *run;
	int buffered;
	char **held;                    /* per suite index: text not printed yet */
	int *done;
	size_t nheld, next;
};

/* Index of a suite in the run, for ordering parallel output. */
static size_t
suite_index(const struct view *v, const struct sd_suite *s)
{
	for (size_t i = 0; i < v->run->nsuites; i++)
		if (v->run->suites[i] == s)
			return i;
	return 0;
}

/* Print to stdout (or hold for suite s) with every secret value masked. */
static void __attribute__((format(printf, 3, 4)))
say_for(struct view *v, const struct sd_suite *s, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	for (size_t i = 0; i < v->secrets.n; i++)
		text = sd_replace_all(text, v->secrets.v[i], "***");
	if (v->buffered && s != NULL) {
		size_t k = suite_index(v, s);
		if (k >= v->nheld) {
			v->held = sd_xrealloc(v->held, (k + 1) * sizeof(*v->held));
			v->done = sd_xrealloc(v->done, (k + 1) * sizeof(*v->done));
			for (size_t i = v->nheld; i <= k; i++) {
				v->held[i] = sd_xstrdup("");
				v->done[i] = 0;
			}
			v->nheld = k + 1;
		}
		char *joined = sd_xasprintf("%s%s", v->held[k], text);
		free(v->held[k]);
		v->held[k] = joined;
	} else
		fputs(text, stdout);
	free(text);
}

#define say(v, ...) say_for((v), NULL, __VA_ARGS__)

/* A suite finished: print every finished suite whose turn has come. */
static void
release(struct view *v, const struct sd_suite *s)
{
	if (!v->buffered)
		return;
	say_for(v, s, "%s", "");
	v->done[suite_index(v, s)] = 1;
	while (v->next < v->nheld && v->done[v->next]) {
		fputs(v->held[v->next], stdout);
		free(v->held[v->next]);
		v->held[v->next] = NULL;
		v->next++;
	}
}

static void
print_diag(const struct sd_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++)
		fprintf(stderr, "%s\n", diag->msgs[i]);
}

/* Parse every drill; returns the number of drills with errors (all are reported). */
static int
parse_all(int n, char **files, const struct opts *o, struct sd_drill **out)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct sd_diag diag = { 0 };

		out[i] = sd_drill_parse(files[i], &o->defs, &diag);
		print_diag(&diag);
		if (out[i] == NULL)
			bad++;
		sd_diag_free(&diag);
	}
	return bad;
}

struct view;
static const char *
mark(const struct view *v, enum sd_status st)
{
	static const char *const plain[] = { "✓", "✗", "!", "–" };
	static const char *const color[] = { "\033[32m✓\033[0m", "\033[31m✗\033[0m", "\033[31m!\033[0m", "\033[33m–\033[0m" };

	return v->color ? color[st] : plain[st];
}

static void
on_event(void *ctx, const struct sd_event *ev)
{
	struct view *v = ctx;

	sd_transcript_event(v->transcript, ev);
	switch (ev->kind) {
	case SD_EV_SUITE_BEGIN:
		if (!v->quiet)
			say_for(v, ev->suite, "== %s @ %s\n", ev->drill->name, ev->endpoint->label);
		break;
	case SD_EV_STEP_END: {
		const struct sd_case *c = ev->result;
		if (v->quiet && c->status == SD_PASS)
			break;
		if (v->quiet)
			say_for(v, ev->suite, "%s  %s @ %s: %s (%.3fs)\n", mark(v, c->status), ev->drill->name,
			    ev->endpoint->label, c->name, c->time);
		else
			say_for(v, ev->suite, "  %s  %s (%.3fs)\n", mark(v, c->status), c->name, c->time);
		if (c->status != SD_PASS)
			say_for(v, ev->suite, "       %s: %s\n", c->type, c->message);
		break;
	}
	case SD_EV_SUITE_END:
		release(v, ev->suite);
		break;
	case SD_EV_WARNING: {
		char *m = sd_xstrdup(ev->message);
		for (size_t i = 0; i < v->secrets.n; i++)
			m = sd_replace_all(m, v->secrets.v[i], "***");
		fprintf(stderr, "warning: %s\n", m);
		free(m);
		break;
	}
	default:
		break;
	}
	fflush(stdout);
}

/* Make a new run folder under parent, named by UTC time and drill; never reuses one. */
static char *
make_run_dir(const char *parent, const char *drill_name, time_t t)
{
	char ts[32], slug[64];
	size_t k = 0;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	for (const char *p = drill_name; *p && k + 1 < sizeof(slug); p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
			slug[k++] = c;
		else if (c >= 'A' && c <= 'Z')
			slug[k++] = (char)(c - 'A' + 'a');
		else if (k > 0)
			slug[k++] = '-';
		else
			continue;
		/* Runs of anything else become one '-'. */
		if (k > 1 && slug[k - 1] == '-' && slug[k - 2] == '-')
			k--;
	}
	while (k > 0 && slug[k - 1] == '-')
		k--;
	slug[k] = '\0';
	if (sd_mkdirs(parent) < 0)
		return NULL;
	for (int n = 1; n < 1000; n++) {
		char *dir = n == 1 ? sd_xasprintf("%s/%s-%s", parent, ts, slug[0] ? slug : "drill") :
		    sd_xasprintf("%s/%s-%s-%d", parent, ts, slug[0] ? slug : "drill", n);
		if (mkdir(dir, 0755) == 0)
			return dir;
		free(dir);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "unknown";
}

/* RUN-INFO: who ran what, where, with which files; part of the sealed bundle. */
static int
write_run_info(const char *dir, struct sd_drill **drills, int n, const struct sd_run *run, int status,
    const char *operator_name, const char *business_date, const struct view *v, struct sd_err *err)
{
	char *path = sd_xasprintf("%s/RUN-INFO", dir), *tmp;
	char host[256] = "", start[32], end[32];
	FILE *f = sd_atomic_open(path, &tmp);
	int ok;

	gethostname(host, sizeof(host) - 1);
	sd_utc_iso(run->started, start, sizeof(start));
	sd_utc_iso(run->started + (time_t)run->time, end, sizeof(end));
	if (f != NULL) {
		fprintf(f, "tool: sftpdrill %s\nlibraries: %s\noperator: %s\nhostname: %s\n", SFTPDRILL_VERSION,
		    sd_library_versions(), operator_name, host);
		fprintf(f, "started: %sZ\nfinished: %sZ\nbusiness-date: %s\n", start, end, business_date);
		for (int i = 0; i < n; i++) {
			fprintf(f, "drill: %s\n", drills[i]->name);
			for (size_t k = 0; k < drills[i]->nfiles; k++) {
				char hex[65];
				if (sd_sha256_file(drills[i]->files[k], hex) < 0)
					snprintf(hex, sizeof(hex), "unreadable");
				fprintf(f, "drill-file: %s  %s\n", hex, drills[i]->files[k]);
			}
		}
		{
			char *masked = NULL;
			for (size_t i = 0; i < drills[0]->vars.n; i++) {
				const struct sd_var *var = &drills[0]->vars.v[i];
				if (var->origin != SD_VAR_CMDLINE)
					continue;
				masked = sd_xasprintf("-D %s=%s", var->name, var->secret ? "***" : var->value);
				for (size_t s = 0; s < v->secrets.n; s++)
					masked = sd_replace_all(masked, v->secrets.v[s], "***");
				fprintf(f, "definition: %s\n", masked);
				free(masked);
			}
		}
		fprintf(f, "result: %zu passed, %zu failed, %zu errors, %zu skipped\nexit-status: %d\n",
		    sd_count(run, NULL, SD_PASS), sd_count(run, NULL, SD_FAIL), sd_count(run, NULL, SD_ERROR),
		    sd_count(run, NULL, SD_SKIP), status);
	}
	ok = sd_atomic_commit(f, tmp, path) == 0;
	if (!ok)
		sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot write %s: %s", path, strerror(errno));
	free(path);
	return ok ? 0 : -1;
}

/* Ask for a passphrase on the terminal without echo; NULL if there is no terminal. Caller frees. */
static char *
ask_passphrase(const char *keyfile)
{
	FILE *tty = fopen("/dev/tty", "r+e");
	struct termios old, quiet;
	char buf[1024];
	char *answer = NULL;

	if (tty == NULL)
		return NULL;
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		fprintf(tty, "Passphrase for %s: ", keyfile);
		fflush(tty);
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		if (fgets(buf, sizeof(buf), tty) != NULL) {
			buf[strcspn(buf, "\r\n")] = '\0';
			answer = sd_xstrdup(buf);
		}
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
		explicit_bzero(buf, sizeof(buf));
	}
	fclose(tty);
	return answer;
}

static int
cmd_run(int n, char **files, const struct opts *o, int snapshot)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	struct view v = { o->quiet, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL, { 0 }, NULL,
		NULL, o->parallel, NULL, NULL, 0, 0 };
	char **passphrases = sd_xcalloc((size_t)n, sizeof(*passphrases));
	const char *operator_name = o->operator_name ? o->operator_name : login_name();
	struct sd_run_opts ro = { NULL, operator_name, on_event, &v, o->business_day, o->closures, o->nclosures,
		o->tofu, o->parallel };
	struct sd_run run = { 0 };
	struct sd_err err = { 0 };
	char *dir = NULL, *path = NULL, host[256] = "", date[16], tool[64];
	int64_t t0 = sd_now_ms();
	int status;

	if (parse_all(n, files, o, drills) > 0) {
		status = EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (snapshot && sd_drill_make_snapshot(drills[i]) < 0) {
			fprintf(stderr, "%s: no report folder to record: set `report-dir` in the profile\n", files[i]);
			status = EXIT_USAGE;
			goto out;
		}
		for (size_t k = 0; k < drills[i]->vars.n; k++)
			if (drills[i]->vars.v[k].secret && drills[i]->vars.v[k].value[0])
				sd_strv_push(&v.secrets, drills[i]->vars.v[k].value);
		/* The passphrase: the profile's environment variable, else ask, before any connection. */
		if (getenv(drills[i]->passphrase_env) != NULL)
			passphrases[i] = sd_xstrdup(getenv(drills[i]->passphrase_env));
		else if (drills[i]->identity && sd_userkey_encrypted(drills[i]->identity))
			passphrases[i] = ask_passphrase(drills[i]->identity);
		if (passphrases[i] && passphrases[i][0])
			sd_strv_push(&v.secrets, passphrases[i]);
	}
	run.started = time(NULL);
	v.run = &run;
	dir = make_run_dir(o->report_dir, drills[0]->name, run.started);
	if (dir == NULL) {
		fprintf(stderr, "sftpdrill: cannot create a run folder under %s: %s\n", o->report_dir, strerror(errno));
		status = EXIT_INTERNAL;
		goto out;
	}
	path = sd_xasprintf("%s/transcript.log", dir);
	if ((v.transcript = sd_transcript_open(path, &err)) == NULL)
		goto io_error;
	for (size_t i = 0; i < v.secrets.n; i++)
		sd_transcript_secret(v.transcript, v.secrets.v[i]);
	sd_date_format(o->business_day, 0, date, sizeof(date));
	sd_transcript_line(v.transcript, "sftpdrill %s (%s), operator %s, business date %s", SFTPDRILL_VERSION,
	    sd_library_versions(), operator_name, date);
	for (int i = 0; i < n; i++) {
		ro.passphrase = passphrases[i];
		sd_run_drill(drills[i], &ro, &run);
	}
	run.time = (double)(sd_now_ms() - t0) / 1000.0;
	status = sd_run_exit_status(&run);
	free(path);
	path = sd_xasprintf("%s/junit.xml", dir);
	if (sd_junit_write(&run, drills[0]->name, path, &err) < 0)
		goto io_error;
	free(path);
	path = sd_xasprintf("%s/summary.html", dir);
	gethostname(host, sizeof(host) - 1);
	snprintf(tool, sizeof(tool), "sftpdrill %s", SFTPDRILL_VERSION);
	{
		struct sd_html_info hi = { drills[0]->name, operator_name, host, date, tool };
		if (sd_html_write(&run, &hi, path, &err) < 0)
			goto io_error;
	}
	if (sd_bundle_add_downloads(&run, dir, &err) < 0 ||
	    write_run_info(dir, drills, n, &run, status, operator_name, date, &v, &err) < 0)
		goto io_error;
	sd_transcript_line(v.transcript, "run finished: exit status %d; sealing %s", status, dir);
	if (sd_transcript_close(v.transcript, &err) < 0) {
		v.transcript = NULL;
		goto io_error;
	}
	v.transcript = NULL;
	if (sd_bundle_seal(dir, o->sign_key, &err) < 0)
		goto io_error;
	say(&v, "%zu passed, %zu failed, %zu errors, %zu skipped — %s\n",
	    sd_count(&run, NULL, SD_PASS), sd_count(&run, NULL, SD_FAIL), sd_count(&run, NULL, SD_ERROR),
	    sd_count(&run, NULL, SD_SKIP), status == 0 ? "all steps passed" : "NOT all steps passed");
	say(&v, "report: %s/junit.xml\n", dir);
	goto out;
io_error:
	fprintf(stderr, "sftpdrill: %s\n", err.msg);
	if (dir)
		fprintf(stderr, "sftpdrill: the run folder %s is incomplete and not sealed\n", dir);
	status = EXIT_INTERNAL;
out:
	sd_transcript_close(v.transcript, NULL);
	for (int i = 0; i < n; i++) {
		sd_drill_free(drills[i]);
		if (passphrases[i]) {
			explicit_bzero(passphrases[i], strlen(passphrases[i]));
			free(passphrases[i]);
		}
	}
	free(drills);
	free(passphrases);
	sd_run_free(&run);
	sd_strv_free(&v.secrets);
	for (size_t i = 0; i < v.nheld; i++)
		free(v.held[i]);
	free(v.held);
	free(v.done);
	free(dir);
	free(path);
	return status;
}

static int
cmd_verify(int n, char **args, const struct opts *o)
{
	struct sd_strv problems = { 0 };
	struct sd_err err;
	int rc;

	if (n != 1) {
		fprintf(stderr, "usage: sftpdrill verify [--pub PUBLIC-KEY.pem] RUN-FOLDER\n");
		return EXIT_USAGE;
	}
	rc = sd_bundle_verify(args[0], o->pub_key, &problems, &err);
	if (rc < 0) {
		fprintf(stderr, "sftpdrill verify: %s\n", err.msg);
		return strcmp(err.type, "LocalIOError") == 0 ? EXIT_INTERNAL : EXIT_USAGE;
	}
	for (size_t i = 0; i < problems.n; i++)
		printf("%s\n", problems.v[i]);
	if (rc == 0)
		printf("%s: intact (every file matches MANIFEST%s)\n", args[0],
		    o->pub_key ? "; the signature verifies" : "; signature not checked: give --pub");
	else
		printf("%s: NOT intact (%zu problem%s)\n", args[0], problems.n, problems.n == 1 ? "" : "s");
	sd_strv_free(&problems);
	return rc == 0 ? EXIT_PASS : EXIT_CHECK_FAILED;
}

static int
cmd_check(int n, char **files, const struct opts *o)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	int bad = parse_all(n, files, o, drills);
	size_t warnings = 0;

	for (int i = 0; i < n; i++) {
		if (drills[i] != NULL) {
			struct sd_diag diag = { 0 };
			size_t w = sd_drill_check_files(drills[i], &diag);
			print_diag(&diag);
			sd_diag_free(&diag);
			warnings += w;
			printf("%s: %s (%zu steps, %zu endpoints in `%s`%s)\n", files[i], w ? "parsed" : "ok",
			    drills[i]->nsteps, sd_drill_set(drills[i], drills[i]->target)->n, drills[i]->target,
			    w ? ", with warnings" : "");
		}
		sd_drill_free(drills[i]);
	}
	free(drills);
	return bad || (o->strict && warnings) ? EXIT_USAGE : EXIT_PASS;
}

static void
print_masked(const struct sd_drill *d, const char *fmt, const char *value)
{
	char *masked = sd_vars_mask(&d->vars, value ? value : "(not set)");

	printf(fmt, masked);
	free(masked);
}

static int
cmd_plan(int n, char **files, const struct opts *o)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	int bad = parse_all(n, files, o, drills);

	for (int i = 0; i < n && !bad; i++) {
		const struct sd_drill *d = drills[i];
		const struct sd_endpoint_set *set = sd_drill_set(d, d->target);

		printf("drill    %s\n", d->name);
		printf("file     %s\n", d->path);
		for (size_t k = 1; k < d->nfiles; k++)
			printf("include  %s\n", d->files[k]);
		if (d->window)
			printf("window   %s\n", d->window);
		printf("target   %s\n", d->target);
		for (size_t k = 0; k < set->n; k++)
			printf("  endpoint %zu  %s\n", k + 1, set->v[k].label);
		print_masked(d, "user     %s\n", d->user);
		print_masked(d, "key      %s\n", d->identity);
		print_masked(d, "known    %s\n", d->known_hosts);
		print_masked(d, "download %s\n", d->download_dir);
		printf("deadlines connect %llds, banner %llds, kex %llds, auth %llds, sftp-init %llds, sftp %llds, step %llds\n",
		    (long long)d->timeouts.connect / 1000, (long long)d->timeouts.banner / 1000,
		    (long long)d->timeouts.kex / 1000, (long long)d->timeouts.auth / 1000,
		    (long long)d->timeouts.sftp_init / 1000, (long long)d->timeouts.sftp_op / 1000,
		    (long long)d->timeouts.step / 1000);
		for (size_t k = 0; k < d->nsteps; k++) {
			const struct sd_step *st = &d->steps[k];
			char *args;
			if (st->verb == SD_VERB_COUNT)
				args = st->expect_baseline ?
				    sd_xasprintf("%s %s baseline(last-business-day)", st->arg, sd_cmp_name(st->cmp)) :
				    sd_xasprintf("%s %s %lld", st->arg, sd_cmp_name(st->cmp), st->expect);
			else
				args = sd_xstrdup(st->arg ? st->arg : "");
			char *line = sd_xasprintf("  %2zu. %-45s %s %s  [timeout %llds%s]\n", k + 1, st->name,
			    sd_verb_name(st->verb), args,
			    (long long)(st->timeout_ms ? st->timeout_ms : d->timeouts.step) / 1000,
			    st->retries ? ", with retries" : "");
			print_masked(d, "%s", line);
			if (st->retries)
				printf("      retry %d, backoff %lldms doubling\n", st->retries,
				    (long long)(st->backoff_ms ? st->backoff_ms : 1000));
			free(args);
			free(line);
		}
		if (i + 1 < n)
			printf("\n");
	}
	for (int i = 0; i < n; i++)
		sd_drill_free(drills[i]);
	free(drills);
	return bad ? EXIT_USAGE : EXIT_PASS;
}

/* The Hong Kong holiday list shipped with the scenarios, wherever sftpdrill is run from. */
static char *
default_holidays(const char *argv0)
{
	static const char *const candidates[] = {
		"scenarios/hkex-rrs/hk-holidays.txt",
		"%s/../scenarios/hkex-rrs/hk-holidays.txt",             /* harness/sftpdrill in the source tree */
		"%s/../share/sftpdrill/scenarios/hkex-rrs/hk-holidays.txt", /* installed */
	};
	char *dir = sd_xstrdup(argv0), *slash = strrchr(dir, '/');

	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char *p = sd_xasprintf(candidates[i], dir);
		if (access(p, R_OK) == 0) {
			free(dir);
			return p;
		}
		free(p);
	}
	free(dir);
	return NULL;
}

static int
cmd_business_day(int n, char **args, const struct opts *o, const char *argv0)
{
	struct sd_calendar cal = { 0 };
	struct sd_err err;
	char out[16], *fallback = NULL;
	long day, last;
	int status = EXIT_PASS;

	if (n != 1) {
		fprintf(stderr, "usage: sftpdrill business-day [--holidays FILE]... [--non-business-day DATE]... DATE|today\n");
		return EXIT_USAGE;
	}
	if (strcmp(args[0], "today") == 0)
		day = sd_date_at(time(NULL), 8 * 3600);
	else if (sd_date_parse(args[0], &day) < 0) {
		fprintf(stderr, "sftpdrill business-day: `%s` is not a date (YYYY-MM-DD)\n", args[0]);
		return EXIT_USAGE;
	}
	if (o->holidays.n == 0 && (fallback = default_holidays(argv0)) == NULL) {
		fprintf(stderr, "sftpdrill business-day: the shipped holiday file was not found; give --holidays FILE\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < o->holidays.n; i++)
		if (sd_calendar_load(&cal, o->holidays.v[i], &err) < 0)
			goto bad;
	if (fallback && sd_calendar_load(&cal, fallback, &err) < 0)
		goto bad;
	for (size_t i = 0; i < o->nclosures; i++)
		sd_calendar_close(&cal, o->closures[i]);
	last = sd_calendar_last_business(&cal, day);
	sd_date_format(last, 0, out, sizeof(out));
	printf("%s\n", out);
	goto done;
bad:
	fprintf(stderr, "sftpdrill business-day: %s\n", err.msg);
	status = EXIT_USAGE;
done:
	sd_calendar_free(&cal);
	free(fallback);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "report-dir", required_argument, NULL, 'r' },
		{ "operator", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "strict", no_argument, NULL, 's' },
		{ "business-date", required_argument, NULL, 'b' },
		{ "non-business-day", required_argument, NULL, 'n' },
		{ "holidays", required_argument, NULL, 'H' },
		{ "sign-key", required_argument, NULL, 'S' },
		{ "pub", required_argument, NULL, 'P' },
		{ "trust-on-first-use", no_argument, NULL, 'T' },
		{ "parallel", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .report_dir = "reports" };
	const char *cmd;
	int c, status;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("sftpdrill %s (%s)\n", SFTPDRILL_VERSION, sd_library_versions());
		return EXIT_PASS;
	}
	optind = 2;
	status = EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "D:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': {
			char *eq = strchr(optarg, '=');
			char *name = eq ? sd_xstrndup(optarg, (size_t)(eq - optarg)) : NULL;
			if (name == NULL || !sd_var_name_ok(name, strlen(name))) {
				fprintf(stderr, "sftpdrill: -D wants NAME=VALUE, got `%s`\n", optarg);
				free(name);
				goto out;
			}
			sd_vars_set(&o.defs, name, eq + 1, SD_VAR_CMDLINE);
			free(name);
			break;
		}
		case 'r': o.report_dir = optarg; break;
		case 'o': o.operator_name = optarg; break;
		case 'q': o.quiet = 1; break;
		case 's': o.strict = 1; break;
		case 'b':
		case 'n': {
			long day;
			if (sd_date_parse(optarg, &day) < 0) {
				fprintf(stderr, "sftpdrill: `%s` is not a date (YYYY-MM-DD)\n", optarg);
				goto out;
			}
			if (c == 'b')
				o.business_day = day;
			else {
				o.closures = sd_xrealloc(o.closures, (o.nclosures + 1) * sizeof(*o.closures));
				o.closures[o.nclosures++] = day;
			}
			break;
		}
		case 'H': sd_strv_push(&o.holidays, optarg); break;
		case 'S': o.sign_key = optarg; break;
		case 'P': o.pub_key = optarg; break;
		case 'T': o.tofu = 1; break;
		case 'p': o.parallel = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			status = EXIT_PASS;
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (o.business_day == 0)
		o.business_day = sd_date_at(time(NULL), 8 * 3600);
	{
		/* Built-in variables; -D may still override them. */
		char date[16];
		sd_date_format(o.business_day, 0, date, sizeof(date));
		if (sd_vars_find(&o.defs, "BUSINESS_DATE", 13) == NULL)
			sd_vars_set(&o.defs, "BUSINESS_DATE", date, SD_VAR_BUILTIN);
		sd_date_format(o.business_day, 1, date, sizeof(date));
		if (sd_vars_find(&o.defs, "BUSINESS_DATE_YMD", 17) == NULL)
			sd_vars_set(&o.defs, "BUSINESS_DATE_YMD", date, SD_VAR_BUILTIN);
	}
	if (strcmp(cmd, "business-day") == 0) {
		status = cmd_business_day(argc - optind, argv + optind, &o, argv[0]);
		goto out;
	}
	if (strcmp(cmd, "verify") == 0) {
		status = cmd_verify(argc - optind, argv + optind, &o);
		goto out;
	}
	if (optind >= argc) {
		fprintf(stderr, "sftpdrill %s: no drill file given\n", cmd);
		goto out;
	}
	if (strcmp(cmd, "run") == 0 || strcmp(cmd, "snapshot") == 0) {
		if (sd_ssh_global_init() < 0) {
			fprintf(stderr, "sftpdrill: libssh2 initialisation failed\n");
			status = EXIT_INTERNAL;
			goto out;
		}
		status = cmd_run(argc - optind, argv + optind, &o, strcmp(cmd, "snapshot") == 0);
		sd_ssh_global_exit();
	} else if (strcmp(cmd, "check") == 0)
		status = cmd_check(argc - optind, argv + optind, &o);
	else if (strcmp(cmd, "plan") == 0)
		status = cmd_plan(argc - optind, argv + optind, &o);
	else
		fprintf(stderr, "sftpdrill: unknown command `%s` (run, check, plan, snapshot, business-day, verify, version, help)\n", cmd);
out:
	free(o.closures);
	sd_strv_free(&o.holidays);
	sd_vars_free(&o.defs);
	return status;
}
