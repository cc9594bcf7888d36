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
#include "view.h"

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
"  help [COMMAND]   print this help, or one command's\n"
"  help types       print the failure types a step can end with (JUnit's `type`)\n"
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
"  --jobs N             run: like --parallel, at most N endpoints at a time\n"
"  --now ISO-8601       the clock for the window check (e.g. 2023-04-15T14:45:00+08:00)\n"
"  --enforce-window     run: refuse outside the drill's window (default: warn and record it)\n"
"  -q, --quiet          print only failures and the closing summary\n"
"  -v, --verbose        also print each connection phase\n"
"  --strict             check: treat warnings (missing key, no host key...) as errors\n"
"  -h, --help           print this help\n"
"\n"
"The key passphrase, if any, is read from the environment variable RRS_KEY_PASSPHRASE (the\n"
"profile's passphrase-env may name another); on a terminal sftpdrill asks for it instead.\n"
"\n"
"Exit status: 0 every step passed; 1 a check failed (or was skipped after a failure);\n"
"2 usage, drill or profile error; 3 internal or local I/O error.\n";

/* Per-command help: `sftpdrill help COMMAND` and `sftpdrill COMMAND --help`. */
static const struct {
	const char *name, *text;
} command_help[] = {
	{ "run",
	  "usage: sftpdrill run [OPTIONS] DRILL...\n\n"
	  "Run each drill against every endpoint of its target set and write a new evidence bundle\n"
	  "(junit.xml, summary.html, transcript.log, RUN-INFO, downloads/, MANIFEST) under --report-dir.\n\n"
	  "  -D NAME=VALUE            define a variable (beats the profile, which beats the environment)\n"
	  "  --report-dir DIR         parent of run folders (default: reports)\n"
	  "  --operator NAME          recorded as who ran it (default: the login name)\n"
	  "  --business-date DATE     the run's business date (default: today in Hong Kong)\n"
	  "  --non-business-day DATE  a market closure; repeatable\n"
	  "  --now ISO-8601           the clock for the window check, e.g. 2023-04-15T14:45:00+08:00\n"
	  "  --enforce-window         refuse to run outside the drill's window (default: warn)\n"
	  "  --parallel               the endpoints of a set at once, one thread and session each\n"
	  "  --jobs N                 like --parallel, at most N endpoints at a time\n"
	  "  --trust-on-first-use     accept and record host keys known_hosts does not know yet\n"
	  "  --sign-key KEY.pem       sign MANIFEST with an Ed25519 or ECDSA key\n"
	  "  -q, --quiet              failures and the summary only\n"
	  "  -v, --verbose            also each connection phase (connect, banner, kex, host key, auth, sftp)\n\n"
	  "Exit status: 0 all passed, 1 a check failed, 2 usage or drill error (or outside the window with\n"
	  "--enforce-window), 3 local I/O or internal error.\n" },
	{ "check",
	  "usage: sftpdrill check [-D NAME=VALUE]... [--strict] DRILL...\n\n"
	  "Parse each drill and its profiles without touching the network; report every error as\n"
	  "FILE:LINE:COL. Then look at the files they name (private key, known_hosts) and warn about\n"
	  "what would fail at run time. --strict makes warnings errors. Exit status 0 or 2.\n" },
	{ "plan",
	  "usage: sftpdrill plan [-D NAME=VALUE]... DRILL...\n\n"
	  "Print the resolved run: files read, endpoints in order, user, key, known_hosts, deadlines,\n"
	  "and each step with its arguments, timeout and retries. Secret values are shown as ***.\n" },
	{ "snapshot",
	  "usage: sftpdrill snapshot [OPTIONS] DRILL...\n\n"
	  "On each endpoint of the drill's target: connect, log in, record the report folder's listing as\n"
	  "the manifest of the business date (--business-date, default today in Hong Kong), log out.\n"
	  "The next business day's `count DIR == baseline(last-business-day)` compares with it.\n"
	  "Takes the options of run.\n" },
	{ "business-day",
	  "usage: sftpdrill business-day [--holidays FILE]... [--non-business-day DATE]... DATE|today\n\n"
	  "Print the last business day strictly before DATE (YYYY-MM-DD): a weekday not in the holiday\n"
	  "files (default: the shipped Hong Kong list) and not a --non-business-day.\n" },
	{ "verify",
	  "usage: sftpdrill verify [--pub PUBLIC-KEY.pem] RUN-FOLDER\n\n"
	  "Check an evidence bundle against its MANIFEST: every changed, missing or extra file is named.\n"
	  "With --pub, also check MANIFEST.sig. Exit status 0 only when the bundle is intact.\n" },
	{ "version", "usage: sftpdrill version\n\nPrint sftpdrill's version and the libssh2 and OpenSSL it runs with.\n" },
	{ "help", "usage: sftpdrill help [COMMAND|types]\n\nPrint the overview, one command's help, or (types) the table of\n"
	  "failure types a step can end with: JUnit's `type`, whether it is a failure or an error, what it means.\n" },
};

/* `sftpdrill help types`: the failure-type table, as README documents it. */
static void
print_types(FILE *f)
{
	struct sd_buf rows = SD_BUF_INIT(0);

	for (int k = 0; k < SD_KIND__COUNT; k++)
		sd_kind_doc_row((enum sd_kind)k, &rows);
	fputs("| type | result | meaning |\n|---|---|---|\n", f);
	fputs(sd_buf_str(&rows), f);
	sd_buf_release(&rows);
}

static int
print_help(const char *command, FILE *f)
{
	if (strcmp(command, "types") == 0) {
		print_types(f);
		return EXIT_PASS;
	}
	for (size_t i = 0; i < sizeof(command_help) / sizeof(command_help[0]); i++)
		if (strcmp(command_help[i].name, command) == 0) {
			fputs(command_help[i].text, f);
			return EXIT_PASS;
		}
	fprintf(stderr, "sftpdrill: no such command `%s`; `sftpdrill help` lists them\n", command);
	return EXIT_USAGE;
}

struct opts {
	struct sd_vars defs;
	const char *report_dir;
	const char *operator_name;
	int quiet;
	int verbose;
	int strict;
	int tofu;
	int parallel;
	int jobs;
	int enforce_window;
	time_t now;
	const char *sign_key;
	const char *pub_key;
	long business_day;
	long *closures;
	size_t nclosures, capclosures;
	struct sd_strv holidays;
};


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
    const char *operator_name, const char *business_date, const struct sd_strv *secrets, struct sd_err *err)
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
				for (size_t s = 0; s < secrets->n; s++)
					masked = sd_replace_all(masked, secrets->v[s], "***");
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
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
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

/*
 * The drill's window against the clock: inside is silent; outside is a
 * warning and a suite property, or with --enforce-window a refusal (-1).
 */
static int
check_window(const struct sd_drill *d, const struct opts *o, struct view *v, char *status, size_t len)
{
	time_t start, end;
	long offset;
	struct sd_err err;
	char now_s[32], a[32], b[32];
	time_t local;

	status[0] = '\0';
	if (d->window == NULL)
		return 0;
	if (sd_window_parse(d->window, &start, &end, &offset, &err) < 0) {
		view_warn(v, "%s: %s", d->path, err.msg);
		return 0;
	}
	if (o->now >= start && o->now < end) {
		snprintf(status, len, "inside");
		return 0;
	}
	local = o->now + offset;
	sd_utc_iso(local, now_s, sizeof(now_s));
	sd_utc_iso(start + offset, a, sizeof(a));
	sd_utc_iso(end + offset, b, sizeof(b));
	snprintf(status, len, "outside: run at %s, window %s to %s (local time of the window)", now_s, a, b + 11);
	if (o->enforce_window) {
		fprintf(stderr, "sftpdrill: %s: now (%s) is outside the drill's window %s; not run (--enforce-window)\n",
		    d->path, now_s, d->window);
		return -1;
	}
	view_warn(v, "%s: now (%s) is outside the drill's window %s; running anyway (a rehearsal?)", d->path,
	    now_s, d->window);
	return 0;
}

static int
cmd_run(int n, char **files, const struct opts *o, int snapshot)
{
	struct sd_drill **drills = sd_xcalloc((size_t)n, sizeof(*drills));
	char **passphrases = sd_xcalloc((size_t)n, sizeof(*passphrases));
	const char *operator_name = o->operator_name ? o->operator_name : login_name();
	struct sd_run run = { 0 };
	struct view *v = view_new(o->quiet, o->verbose, o->parallel, &run);
	struct sd_run_opts ro = { NULL, operator_name, view_event, v, o->business_day, o->closures, o->nclosures,
		o->tofu, o->parallel, o->jobs };
	struct sd_transcript *transcript = NULL;
	struct sd_strv secrets = { 0 };
	struct sd_err err = { 0 };
	char *dir = NULL, *path = NULL, *report = NULL, host[256] = "", date[16], tool[64];
	char (*window)[256] = sd_xcalloc((size_t)n, sizeof(*window));
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
		if (!snapshot && check_window(drills[i], o, v, window[i], sizeof(window[i])) < 0) {
			status = EXIT_USAGE;
			goto out;
		}
		for (size_t k = 0; k < drills[i]->vars.n; k++)
			if (drills[i]->vars.v[k].secret && drills[i]->vars.v[k].value[0])
				sd_strv_push(&secrets, drills[i]->vars.v[k].value);
		/* The passphrase: the profile's environment variable, else ask, before any connection. */
		if (getenv(drills[i]->passphrase_env) != NULL)
			passphrases[i] = sd_xstrdup(getenv(drills[i]->passphrase_env));
		else if (drills[i]->identity && sd_userkey_encrypted(drills[i]->identity))
			passphrases[i] = ask_passphrase(drills[i]->identity);
		if (passphrases[i] && passphrases[i][0])
			sd_strv_push(&secrets, passphrases[i]);
	}
	for (size_t i = 0; i < secrets.n; i++)
		view_secret(v, secrets.v[i]);
	run.started = time(NULL);
	dir = make_run_dir(o->report_dir, drills[0]->name, run.started);
	if (dir == NULL) {
		fprintf(stderr, "sftpdrill: cannot create a run folder under %s: %s\n", o->report_dir, strerror(errno));
		status = EXIT_INTERNAL;
		goto out;
	}
	path = sd_xasprintf("%s/transcript.log", dir);
	if ((transcript = sd_transcript_open(path, &err)) == NULL)
		goto io_error;
	for (size_t i = 0; i < secrets.n; i++)
		sd_transcript_secret(transcript, secrets.v[i]);
	view_transcript(v, transcript);
	sd_date_format(o->business_day, 0, date, sizeof(date));
	sd_transcript_line(transcript, "sftpdrill %s (%s), operator %s, business date %s", SFTPDRILL_VERSION,
	    sd_library_versions(), operator_name, date);
	for (int i = 0; i < n; i++) {
		size_t first = run.nsuites;
		if (window[i][0])
			sd_transcript_line(transcript, "window %s: %s", drills[i]->window, window[i]);
		ro.passphrase = passphrases[i];
		sd_run_drill(drills[i], &ro, &run);
		for (size_t k = first; k < run.nsuites; k++)
			sd_suite_prop(run.suites[k], "window.status", window[i]);
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
	    write_run_info(dir, drills, n, &run, status, operator_name, date, &secrets, &err) < 0)
		goto io_error;
	sd_transcript_line(transcript, "run finished: exit status %d; sealing %s", status, dir);
	view_transcript(v, NULL);
	if (sd_transcript_close(transcript, &err) < 0) {
		transcript = NULL;
		goto io_error;
	}
	transcript = NULL;
	if (sd_bundle_seal(dir, o->sign_key, &err) < 0)
		goto io_error;
	report = sd_xasprintf("%s/junit.xml", dir);
	view_summary(v, &run, report, status);
	goto out;
io_error:
	fprintf(stderr, "sftpdrill: %s\n", err.msg);
	if (dir)
		fprintf(stderr, "sftpdrill: the run folder %s is incomplete and not sealed\n", dir);
	status = EXIT_INTERNAL;
out:
	view_free(v);
	sd_transcript_close(transcript, NULL);
	for (int i = 0; i < n; i++) {
		sd_drill_free(drills[i]);
		if (passphrases[i]) {
			explicit_bzero(passphrases[i], strlen(passphrases[i]));
			free(passphrases[i]);
		}
	}
	free(drills);
	free(passphrases);
	free(window);
	sd_run_free(&run);
	sd_strv_free(&secrets);
	free(dir);
	free(path);
	free(report);
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
		return sd_err_is(&err, SD_KIND_LOCAL_IO_ERROR) ? EXIT_INTERNAL : EXIT_USAGE;
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'N' },
		{ "enforce-window", no_argument, NULL, 'W' },
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
		if (argc > 2)
			return print_help(argv[2][0] == '-' ? "help" : argv[2], stdout);
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
		return print_help(cmd, stdout);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("sftpdrill %s (%s)\n", SFTPDRILL_VERSION, sd_library_versions());
		return EXIT_PASS;
	}
	optind = 2;
	status = EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "D:qvh", longopts, NULL)) != -1) {
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
				SD_GROW(o.closures, o.nclosures + 1, o.capclosures);
				o.closures[o.nclosures++] = day;
			}
			break;
		}
		case 'H': sd_strv_push(&o.holidays, optarg); break;
		case 'S': o.sign_key = optarg; break;
		case 'P': o.pub_key = optarg; break;
		case 'T': o.tofu = 1; break;
		case 'p': o.parallel = 1; break;
		case 'v': o.verbose = 1; break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);
			if (*end || j < 1 || j > 1024) {
				fprintf(stderr, "sftpdrill: --jobs wants a number from 1 to 1024, got `%s`\n", optarg);
				goto out;
			}
			o.jobs = (int)j;
			o.parallel = 1;
			break;
		}
		case 'W': o.enforce_window = 1; break;
		case 'N':
			if (sd_iso8601_parse(optarg, &o.now) < 0) {
				fprintf(stderr, "sftpdrill: --now wants ISO 8601 with an offset, e.g. 2023-04-15T14:45:00+08:00; got `%s`\n", optarg);
				goto out;
			}
			break;
		case 'h':
			status = print_help(cmd, stdout);
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (o.now == 0)
		o.now = time(NULL);
	if (o.business_day == 0)
		o.business_day = sd_date_at(o.now, 8 * 3600);
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
