/* cmd_run.c — `run` and `snapshot`: drills in, a sealed evidence bundle out. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/html.h"
#include "sftpdrill/evidence/junit.h"
#include "sftpdrill/evidence/metrics.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/run/record.h"
#include "sftpdrill/run/retry.h"
#include "sftpdrill/run/runner.h"
#include "sftpdrill/engine/session.h"
#include "sftpdrill/evidence/sign.h"
#include "sftpdrill/evidence/transcript.h"
#include "sftpdrill/engine/userkey.h"
#include "cli.h"
#include "hooks.h"
#include "term.h"
#include "view.h"

/* What a run keeps of one of its drills. */
struct drill_state {
	char *passphrase;           /* its key's passphrase, or NULL; wiped when done */
	int prompted;               /* typed on the terminal (so it may be asked again) */
	char window[256];           /* "inside", "before: ...", "after: ...", "waiting" or "" */
	time_t wait_until;          /* --wait-for-window waits until then before running it (0: not) */
	size_t suites, end;         /* its suites in the run: [suites, end) */
	char unknown[768];          /* --allow-unknown-holidays: why its calendar does not know the date, or "" */
};

/* One `run` or `snapshot`: its drills, its secrets, its bundle. */
struct run_state {
	struct cli *c;
	int n;
	char **files;
	int snapshot;
	struct sd_drill **drills;   /* as parsed, in the order given */
	struct drill_state *each;   /* what the run keeps of each of them */
	struct sd_strv retyped;     /* passphrases typed again after a wrong one; wiped when done */
	int current;                /* the drill running now */
	const char *operator_name;
	struct sd_redactor secrets;
	struct sd_run run;
	struct view *view;
	struct sd_transcript *transcript;
	struct sd_signer *signer;   /* --sign-key, loaded and tried before any connection */
	char *dir;                  /* the run folder */
	char date[16];              /* the business date */
};

/*
 * The one request to stop, set by the signal handler (which can reach only
 * static storage). The first SIGINT, SIGTERM or SIGHUP stops the run: the
 * running step ends Interrupted, the rest are skipped, the bundle is sealed
 * as INCOMPLETE. A second one ends the process at once.
 */
static struct sd_cancel stop;

/* The longest --wait-for-window waits. */
#define MAX_WAIT_S (12 * 3600)

static void
on_signal(int sig)
{
	if (atomic_load(&stop.requested)) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	atomic_store(&stop.requested, sig);
}

static void
catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* A closed pipe on stdout (`| head`) stops the output, never the session. */
	signal(SIGPIPE, SIG_IGN);
}

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "unknown";
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
 * The drill's window against the clock: inside, or before/after it (a
 * warning: a rehearsal), or with --enforce-window a refusal (-1). The status
 * recorded goes to status; no window leaves it empty.
 */
static int
check_window(const struct cli *c, const struct sd_drill *d, struct view *v, char *status, size_t len,
    time_t *wait_until)
{
	struct window_fact w;
	struct sd_err err;

	status[0] = '\0';
	if (cli_window(c, d, &w, &err) < 0) {
		view_warn(v, "%s: %s", d->path, err.msg);
		return 0;
	}
	snprintf(status, len, "%s", w.status);
	if (w.state == WINDOW_BEFORE && c->wait_for_window && wait_until != NULL) {
		if (c->now_given) {
			cli_say(c, "sftpdrill: %s: --wait-for-window waits on the machine's clock; it cannot wait for --now",
			    d->path);
			return -1;
		}
		if (w.start - c->now > MAX_WAIT_S) {
			cli_say(c, "sftpdrill: %s: now (%s) is %s; --wait-for-window waits at most %d h: start it closer "
			    "to the time", d->path, w.now, w.when, MAX_WAIT_S / 3600);
			return -1;
		}
		*wait_until = w.start;
		snprintf(status, len, "waiting");
		return 0;
	}
	if (w.state != WINDOW_BEFORE && w.state != WINDOW_AFTER)
		return 0;
	if (c->enforce_window) {
		cli_say(c, "sftpdrill: %s: now (%s) is %s; not run (--enforce-window)", d->path, w.now, w.when);
		return -1;
	}
	view_warn(v, "%s: now (%s) is %s; running anyway as a rehearsal, and recorded as one", d->path, w.now, w.when);
	return 0;
}

/*
 * Sleep until `until`, saying "WHAT at HH:MM:SS ZONE" (with a countdown on a
 * terminal); a signal ends the wait (and the run then stops as usual).
 */
static void
sleep_until(const struct run_state *r, time_t until, const char *what)
{
	int tty = isatty(STDERR_FILENO);
	char at[32];

	sd_utc_iso(until + r->c->zone_offset, at, sizeof(at));
	view_pause(r->view, 1);
	if (!tty)
		fprintf(stderr, "%s at %s %s\n", what, at + 11, SITE_ZONE_LABEL);
	/* One line redrawn in place: the countdown first, then as much of what it waits for as fits. */
	for (time_t now = time(NULL); tty && now < until && !sd_cancelled(&stop); now = time(NULL)) {
		char *line = sd_xasprintf("%ld:%02ld:%02ld to %s %s: %s", (long)(until - now) / 3600,
		    (long)(until - now) % 3600 / 60, (long)(until - now) % 60, at + 11, SITE_ZONE_LABEL, what);
		fputs("\r\033[K", stderr);
		term_pad_cut(stderr, line, term_columns(STDERR_FILENO) - 1);
		fflush(stderr);
		free(line);
		nanosleep(&(struct timespec){ 0, 200 * 1000000L }, NULL);
	}
	for (time_t now = time(NULL); !tty && now < until && !sd_cancelled(&stop); now = time(NULL))
		nanosleep(&(struct timespec){ 0, 200 * 1000000L }, NULL);
	if (tty)
		fputc('\n', stderr);
	view_pause(r->view, 0);
}

/* The run was stopped (the first signal) while doing what; the first cause is kept. */
static void
stopped_while(struct run_state *r, const char *what)
{
	if (!sd_cancelled(&stop) || r->run.interrupted)
		return;
	r->run.interrupted = sd_cancelled(&stop);
	sd_run_set(&r->run.interrupted_while, what);
	sd_transcript_line(r->transcript, "stopped by signal %d while %s", r->run.interrupted, what);
}

/* --wait-for-window: sleep until the drill's window opens, then look at the window again. */
static void
wait_for_window(struct run_state *r, int i)
{
	const struct sd_drill *d = r->drills[i];
	struct window_fact w;
	struct sd_err err;
	time_t t0 = time(NULL);
	char *what = sd_xasprintf("waiting for the window of %s: it opens", d->name);

	sleep_until(r, r->each[i].wait_until, what);
	free(what);
	sd_transcript_line(r->transcript, "waited %ld s for the window %s (--wait-for-window)", (long)(time(NULL) - t0),
	    d->window);
	/* The clock moved on: the window is looked at again, as it is now. */
	r->c->now = time(NULL);
	if (!sd_cancelled(&stop)) {
		check_window(r->c, d, r->view, r->each[i].window, sizeof(r->each[i].window), NULL);
		return;
	}
	/* Stopped before it opened: the run never reached its window (a rehearsal, INCOMPLETE). */
	what = sd_xasprintf("waiting for the window of %s", d->name);
	stopped_while(r, what);
	free(what);
	if (cli_window(r->c, d, &w, &err) == 0)
		snprintf(r->each[i].window, sizeof(r->each[i].window), "%s", w.status);
}

/* Why this run is not the session itself (shown in every verdict), or NULL when it is. */
static char *
run_mode(const struct run_state *r)
{
	for (int i = 0; i < r->n; i++)
		if (strncmp(r->each[i].window, "before", 6) == 0 || strncmp(r->each[i].window, "after", 5) == 0)
			return sd_xstrdup("REHEARSAL — outside the window");
	if (r->c->now_given)
		return sd_xasprintf("REHEARSAL — clock overridden (--now %s)", r->c->now_given);
	return NULL;
}

/*
 * The real client's rules, before the first packet: a key OpenSSH would
 * refuse (missing, unreadable, open to others) or the placeholder User ID
 * stops the run here, exit 2, nothing sent. What the SSH library will refuse
 * to do with the keys is said as a warning.
 */
static int
preflight(struct run_state *r, const struct sd_drill *d)
{
	struct sd_diag diag = { 0 }, errors = { 0 };
	int rc = 0;

	sd_drill_check_files(d, &r->c->site, 1, &diag);
	for (size_t i = 0; i < diag.n; i++)
		if (!diag.v[i].warning)
			sd_diag_copy(&errors, &diag.v[i]);
	sd_diag_release(&diag);
	if (errors.n > 0) {
		cli_print_diag(r->c, &errors);
		cli_say(r->c, "sftpdrill: %s: pre-flight failed; nothing was sent to any server", d->path);
		rc = -1;
	}
	sd_diag_release(&errors);
	sd_drill_check_library(d, &diag);
	for (size_t i = 0; i < diag.n; i++)
		view_warn(r->view, "%s", diag.v[i].text);
	sd_diag_release(&diag);
	return rc;
}

/*
 * State kept by sftpdrill before 0.2 under reports/baselines of the folder it
 * ran in: copied into the state folder the first time this account runs.
 */
static int
migrate_state(struct run_state *r, const struct sd_drill *d)
{
	char *account, from[4096];
	struct sd_err err;
	int rc;

	if (d->user == NULL || strcmp(d->baseline_dir, LEGACY_STATE_DIR) == 0)
		return 0;
	account = sd_account_dir(d->baseline_dir, d->service, d->user);
	rc = sd_state_migrate(LEGACY_STATE_DIR, d->profile_name, d->user, account, from, sizeof(from), &err);
	if (rc > 0)
		view_warn(r->view, "%s: the state of %s was found in %s (where sftpdrill kept it before 0.2, relative to "
		    "the folder it ran in) and copied to %s; the old copy was left as it was", d->path, d->user, from, account);
	else if (rc < 0)
		cli_say(r->c, "sftpdrill: %s: earlier state in %s/%s/%s was found but could not be copied to %s: %s",
		    d->path, LEGACY_STATE_DIR, d->profile_name, d->user, account, err.msg);
	free(account);
	return rc < 0 ? -1 : 0;
}

/*
 * Backups that the shipped profiles put in reports/backup under the folder
 * sftpdrill ran in, before they had one fixed place: found and named, with
 * the command that moves them (a backup there is not seen as unchanged, so
 * the day would be fetched again). Nothing is moved without being asked.
 */
static void
legacy_backups(struct run_state *r, const struct sd_drill *d)
{
	char old[PATH_MAX], now[PATH_MAX];
	struct stat st;

	if (stat(LEGACY_BACKUP_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || realpath(LEGACY_BACKUP_DIR, old) == NULL)
		return;
	for (size_t i = 0; i < d->nsteps; i++) {
		const char *dest = d->steps[i].dest;
		char *parent;
		if (dest == NULL)
			continue;
		parent = sd_xstrndup(dest, strrchr(dest, '/') ? (size_t)(strrchr(dest, '/') - dest) : 0);
		if (parent[0] && (realpath(parent, now) == NULL || strcmp(now, old) != 0))
			view_warn(r->view, "%s: backups from an earlier version are in %s (%s under the folder it ran from); "
			    "backups now go to %s whatever the folder; copy them there so that days already backed up are not "
			    "fetched again:\n  mkdir -p %s && cp -a %s/. %s/", d->path, old, LEGACY_BACKUP_DIR, parent, parent, old,
			    parent);
		free(parent);
		return;
	}
}

/*
 * One account of several (a roster): its downloads and backups in a folder of its own under the
 * drill's, so that two participants' reports of the same name never meet.
 */
static void
account_folders(struct sd_drill *d, const char *account)
{
	char *dir;

	if (d->download_dir) {
		dir = sd_xasprintf("%s/%s", d->download_dir, account);
		free(d->download_dir);
		d->download_dir = dir;
	}
	for (size_t i = 0; i < d->nsteps; i++)
		if (d->steps[i].dest) {
			dir = sd_xasprintf("%s/%s", d->steps[i].dest, account);
			free(d->steps[i].dest);
			d->steps[i].dest = dir;
		}
}

static void
warn_to_view(void *ctx, const char *msg)
{
	view_warn(ctx, "%s", msg);
}

/* Secrets given as values on the command line: said once each, and blanked from what ps shows. */
static void
guard_argv(struct run_state *r)
{
	struct sd_vars all = { 0 };

	for (int i = 0; i < r->n; i++)
		sd_vars_copy(&all, &r->drills[i]->vars);
	cli_guard_argv(r->c, &all, warn_to_view, r->view);
	sd_vars_release(&all);
}

/* Everything decided before the first packet: drills, window, secrets, passphrases. */
static int
prepare(struct run_state *r)
{
	struct sd_err err;
	int bad = EXIT_PASS;

	if (cli_parse_drills(r->c, r->n, r->files, r->drills) > 0)
		return EXIT_USAGE;
	if (r->c->account)
		for (int i = 0; i < r->n; i++)
			account_folders(r->drills[i], r->c->account);
	if (r->c->sign_key != NULL) {
		r->signer = sd_signer_load(r->c->sign_key, getenv("SFTPDRILL_SIGN_PASSPHRASE"), &err);
		if (r->signer == NULL) {
			cli_say(r->c, "sftpdrill: --sign-key: %s; nothing was run", err.msg);
			return EXIT_USAGE;
		}
	}
	/* Every drill is checked before any stops the run: all the problems in one pass, not in rounds. */
	for (int i = 0; i < r->n; i++) {
		struct sd_drill *d = r->drills[i];

		if (r->snapshot && sd_drill_make_snapshot(d) < 0) {
			cli_say(r->c, "%s: no report folder to record: set `report-dir` in the profile", r->files[i]);
			bad = EXIT_USAGE;
		}
		if (!r->snapshot && check_window(r->c, d, r->view, r->each[i].window, sizeof(r->each[i].window), &r->each[i].wait_until) < 0)
			bad = EXIT_USAGE;
		if (!r->snapshot && r->c->retry_every && (d->window == NULL || r->c->now_given)) {
			cli_say(r->c, "sftpdrill: %s: --retry-until-window-end %s", r->files[i], d->window == NULL ?
			    "needs the drill's window (it retries until the window closes)" :
			    "waits on the machine's clock; it cannot wait with --now");
			bad = EXIT_USAGE;
		}
		if (preflight(r, d) < 0)
			bad = EXIT_USAGE;
		if (cli_check_coverage(r->c, d, r->c->business_day, r->each[i].unknown, sizeof(r->each[i].unknown)) < 0)
			bad = EXIT_USAGE;
		else if (r->each[i].unknown[0])
			view_warn(r->view, "%s: %s", d->path, r->each[i].unknown);
	}
	if (bad != EXIT_PASS)
		return bad;
	guard_argv(r);
	for (int i = 0; i < r->n; i++) {
		struct sd_drill *d = r->drills[i];
		const char *env = d->passphrase_env ? getenv(d->passphrase_env) : NULL;

		if (migrate_state(r, d) < 0)
			return EXIT_INTERNAL;
		legacy_backups(r, d);
		sd_vars_secrets(&d->vars, &r->secrets);
		/* The passphrase: the profile's environment variable, else ask, before any connection. */
		if (env != NULL)
			r->each[i].passphrase = sd_xstrdup(env);
		else if (d->identity && sd_userkey_encrypted(d->identity)) {
			r->each[i].passphrase = ask_passphrase(d->identity);
			r->each[i].prompted = r->each[i].passphrase != NULL;
		}
		sd_redact_add(&r->secrets, r->each[i].passphrase);
	}
	/* Read by every drill that names it: now gone from the environment (and /proc/PID/environ). */
	for (int i = 0; i < r->n; i++)
		cli_forget_env(r->drills[i]->passphrase_env);
	return EXIT_PASS;
}

/*
 * The runner's callback when the passphrase was wrong: typed on the
 * terminal, it is asked for again (the caller allows three tries); one from
 * the environment is not (NULL: the step fails PassphraseWrong).
 */
static const char *
ask_again(void *ctx, const char *keyfile, int attempt)
{
	struct run_state *r = ctx;
	char *again;

	if (!r->each[r->current].prompted)
		return NULL;
	view_pause(r->view, 1);
	fprintf(stderr, "The passphrase for %s was wrong (try %d of 3).\n", keyfile, attempt);
	again = ask_passphrase(keyfile);
	view_pause(r->view, 0);
	if (again == NULL)
		return NULL;
	/* Serial runs only: no other thread reads the secrets while this one is added. */
	sd_redact_add(&r->secrets, again);
	sd_strv_push(&r->retyped, again);
	explicit_bzero(again, strlen(again));
	free(again);
	return r->retyped.v[r->retyped.n - 1];
}

/* The i-th drill's name, or its file's when it did not parse. */
static const char *
drill_name(const struct run_state *r, int i)
{
	const char *base = strrchr(r->files[i], '/') ? strrchr(r->files[i], '/') + 1 : r->files[i];

	return r->drills[i] ? r->drills[i]->name : base;
}

/* The run folder and its transcript. */
static int
open_bundle(struct run_state *r, struct sd_err *err)
{
	struct sd_transcript_opts to = { .redact = &r->secrets, .utc_offset = r->c->zone_offset,
		.zone_label = SITE_ZONE_LABEL };
	char *path, more[32] = "";

	r->run.started = time(NULL);
	if (r->n > 1 && r->c->account == NULL)
		snprintf(more, sizeof(more), "-and-%d-more", r->n - 1);
	/* A roster's account is named by its bundle: accounts/TIME-ACCOUNT. */
	r->dir = sd_bundle_new_folder(r->c->report_dir, r->c->account ? r->c->account : drill_name(r, 0), more,
	    r->run.started);
	if (r->dir == NULL) {
		fprintf(stderr, "sftpdrill: cannot create a run folder under %s: %s\n", r->c->report_dir, strerror(errno));
		return -1;
	}
	path = sd_xasprintf("%s/transcript.log", r->dir);
	r->transcript = sd_transcript_open(path, &to, err);
	free(path);
	if (r->transcript == NULL)
		return -1;
	view_transcript(r->view, r->transcript);
	sd_transcript_line(r->transcript, "sftpdrill %s (%s), operator %s, business date %s", sd_version(),
	    sd_library_versions(), r->operator_name, r->date);
	return 0;
}

/* The retry policy's wait: the countdown, until `until` or a stop. */
static int
retry_sleep(void *ctx, time_t until, const char *what)
{
	struct run_state *r = ctx;
	char *doing;

	sleep_until(r, until, what);
	if (!sd_cancelled(&stop))
		return 0;
	doing = sd_xasprintf("waiting for the next attempt (%s)", what);
	stopped_while(r, doing);
	free(doing);
	return -1;
}

/* What every suite says of the run as a whole: its drill's window, the mode, the clocks, a stop. */
static void
mark_suites(struct run_state *r)
{
	char clock[32], stopped[160] = "";

	sd_utc_iso(r->c->clock, clock, sizeof(clock));
	strcat(clock, "Z");
	if (r->run.interrupted)
		snprintf(stopped, sizeof(stopped), "signal %d (%s) while %s", r->run.interrupted,
		    sigabbrev_np(r->run.interrupted) ? sigabbrev_np(r->run.interrupted) : "?", r->run.interrupted_while);
	for (int i = 0; i < r->n; i++)
		for (size_t k = r->each[i].suites; k < r->each[i].end; k++) {
			struct sd_suite *s = r->run.suites[k];
			sd_suite_prop(s, "window.status", r->drills[i]->window ? r->each[i].window : "none");
			sd_suite_prop(s, "run.mode", r->run.mode ? r->run.mode : "session");
			sd_suite_prop(s, "clock.machine", clock);
			sd_suite_prop(s, "clock.now", r->c->now_given);
			sd_suite_prop(s, "run.interrupted", stopped);
			sd_suite_prop(s, "calendar.unknown", r->each[i].unknown);
		}
}

static void
run_drills(struct run_state *r)
{
	const struct cli *c = r->c;     /* its clock moves on when a drill waits for its window */
	struct sd_run_opts ro = { .operator_name = r->operator_name, .redact = &r->secrets, .cancel = &stop,
		.evidence_dir = r->dir, .today = sd_date_at(c->now, c->zone_offset), .utc_offset = c->zone_offset,
		.accept_new_key_reference = c->accept_new_keyref, .ask_passphrase = ask_again, .ask_ctx = r,
		.on_event = view_event,
		.ctx = r->view, .business_day = c->business_day, .calendar = cli_calendar(c),
		.trust_on_first_use = c->tofu, .parallel = c->parallel, .jobs = c->jobs, .shard_k = c->shard_k,
		.shard_n = c->shard_n };
	int64_t t0 = sd_now_ms();

	for (int i = 0; i < r->n; i++) {
		r->each[i].suites = r->run.nsuites;
		if (r->each[i].wait_until != 0 && !sd_cancelled(&stop))
			wait_for_window(r, i);
		if (r->each[i].window[0])
			sd_transcript_line(r->transcript, "window %s: %s", r->drills[i]->window, r->each[i].window);
		if (r->each[i].unknown[0])
			sd_transcript_line(r->transcript, "warning: %s: %s", r->drills[i]->path, r->each[i].unknown);
		ro.passphrase = r->each[i].passphrase;
		r->current = i;
		/* Also once stopped: every endpoint gets its suite, which says it was not drilled. */
		sd_run_drill(r->drills[i], &ro, &r->run);
		sd_run_retrying(r->drills[i], &ro, &r->run, r->each[i].suites, &(struct sd_retry_policy){
			.every_s = c->retry_every, .sleep_until = retry_sleep, .ctx = r });
		r->each[i].end = r->run.nsuites;
	}
	stopped_while(r, "running");
	/* Whether it was the session is known at the end: a wait may have been cut short before the window. */
	r->run.mode = run_mode(r);
	if (r->run.mode)
		sd_transcript_line(r->transcript, "%s", r->run.mode);
	mark_suites(r);
	sd_run_fold_attempts(&r->run);
	r->run.time = (double)(sd_now_ms() - t0) / 1000.0;
}

/* The bundle's title: its drills' names. Caller frees. */
static char *
drills_title(const struct run_state *r)
{
	struct sd_buf t = SD_BUF_INIT(0);

	for (int i = 0; i < r->n; i++)
		sd_buf_join(&t, " + ", drill_name(r, i));
	return sd_buf_detach(&t);
}

/* What the bundle says of the run besides its steps: who, where, with what, each drill's files and window. */
static void
record_facts(struct run_state *r)
{
	struct sd_run_facts *x = &r->run.facts;
	char host[256] = "", *title = drills_title(r);

	gethostname(host, sizeof(host) - 1);
	sd_run_set(&r->run.title, title);
	sd_run_set(&x->tool, sd_tool());
	sd_run_set(&x->libraries, sd_library_versions());
	sd_run_set(&x->operator_name, r->operator_name);
	sd_run_set(&x->hostname, host);
	sd_run_set(&x->business_date, r->date);
	sd_run_set(&x->now_override, r->c->now_given);
	x->clock = r->c->clock;
	for (int i = 0; i < r->n; i++)
		if (r->drills[i])
			sd_run_record_drill(&r->run, r->drills[i], r->each[i].window);
	if (r->n > 0 && r->drills[0])
		sd_run_record_definitions(&r->run, r->drills[0], &r->secrets);
	free(title);
}

/* The transcript closed, then the reports, the downloads and RUN-INFO into the folder, and the seal over all. */
static int
write_bundle(struct run_state *r, int status, struct sd_err *err)
{
	struct sd_html_info hi = { .utc_offset = r->c->zone_offset, .zone_name = "Hong Kong" };
	struct sd_bundle_opts o = { .html = &hi, .runinfo = 1, .exit_status = status, .signer = r->signer };

	record_facts(r);
	sd_transcript_line(r->transcript, "run finished: exit status %d; sealing %s", status, r->dir);
	view_transcript(r->view, NULL);
	if (sd_transcript_close(r->transcript, err) < 0) {
		r->transcript = NULL;
		return -1;
	}
	r->transcript = NULL;
	return sd_bundle_write(r->dir, &r->run, &o, err);
}

/* arg quoted for a POSIX shell when it needs it. Caller frees. */
static char *
shell_word(const char *arg)
{
	struct sd_buf b = SD_BUF_INIT(0);

	if (arg[0] != '\0' && strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+@%") ==
	    strlen(arg))
		return sd_xstrdup(arg);
	sd_buf_adds(&b, "'");
	for (const char *p = arg; *p; p++)
		sd_buf_adds(&b, *p == '\'' ? "'\\''" : (char[]){ *p, '\0' });
	sd_buf_adds(&b, "'");
	return sd_buf_detach(&b);
}

/* This run's command line for another business date: --business-date and --now replaced. Caller frees. */
static char *
command_for(const struct run_state *r, const char *date, const char *drill)
{
	const struct cli *c = r->c;
	struct sd_buf b = SD_BUF_INIT(0);

	sd_buf_addf(&b, "sftpdrill %s", c->command);
	for (int i = 2; i < c->first_operand && i < c->argc; i++) {
		const char *a = c->argv[i];
		char *w;
		if (strcmp(a, "--business-date") == 0 || strcmp(a, "--now") == 0) {
			i++;
			continue;
		}
		if (strncmp(a, "--business-date=", 16) == 0 || strncmp(a, "--now=", 6) == 0)
			continue;
		w = shell_word(a);
		sd_buf_join(&b, " ", w);
		free(w);
	}
	sd_buf_addf(&b, " --business-date %s ", date);
	{
		char *w = shell_word(drill);
		sd_buf_adds(&b, w);
		free(w);
	}
	return sd_buf_detach(&b);
}

/* A backup that found missed business days: the command that catches each up, oldest first. */
static void
print_catch_up(const struct run_state *r)
{
	for (size_t i = 0; i < r->run.nsuites; i++) {
		const char *missed = sd_suite_get_prop(r->run.suites[i], "backup.missed");
		const char *drill = sd_suite_get_prop(r->run.suites[i], "drill.file");
		int shown = 0;

		if (missed == NULL || drill == NULL)
			continue;
		printf("Catch up the missed business days, oldest first:\n");
		for (const char *p = missed; *p && shown < 10; shown++) {
			size_t len = strcspn(p, " ");
			char date[16], *cmd;
			snprintf(date, sizeof(date), "%.*s", (int)len, p);
			cmd = command_for(r, date, drill);
			printf("  %s\n", cmd);
			free(cmd);
			p += len + (p[len] == ' ');
		}
		return;     /* one list: the ledger is the account's, whichever endpoint said it */
	}
}

/*
 * What the run leaves for monitoring, once sealed: each account's last-run
 * record in the state folder, and with --metrics the Prometheus text file,
 * both from the results model. A failure to write them is said, never
 * changes the run's exit status.
 */
static void
record_for_monitoring(struct run_state *r, int status)
{
	struct sd_metrics_backup *b = sd_xcalloc((size_t)r->n + 1, sizeof(*b));
	struct sd_verdict v;
	struct sd_err err;
	time_t now = time(NULL);
	size_t nb = 0;

	sd_run_verdict_of(&r->run, &v);
	for (int i = 0; i < r->n; i++) {
		const struct sd_drill *d = r->drills[i];
		struct last_run l = { .finished = now, .exit_status = status };
		char *account;
		long *days = NULL;
		size_t n = 0;
		struct stat st;
		char *ledger;

		if (d == NULL || d->user == NULL)
			continue;
		account = sd_account_dir(d->baseline_dir, d->service, d->user);
		snprintf(l.verdict, sizeof(l.verdict), "%s", v.text);
		snprintf(l.mode, sizeof(l.mode), "%s", r->run.mode ? r->run.mode : "session");
		snprintf(l.business_date, sizeof(l.business_date), "%s", r->date);
		snprintf(l.bundle, sizeof(l.bundle), "%s", r->dir ? r->dir : "");
		if (cli_last_run_write(account, &l) < 0)
			view_warn(r->view, "cannot record the last run in %s: %s", account, strerror(errno));
		ledger = sd_xasprintf("%s/backup-ledger", account);
		if (sd_ledger_days(account, &days, &n, &err) == 0 && n > 0 && stat(ledger, &st) == 0)
			b[nb++] = (struct sd_metrics_backup){ .drill = d->name, .user = d->user, .last_backup = st.st_mtime,
				.last_backup_day = days[n - 1] };
		free(days);
		free(ledger);
		free(account);
	}
	if (r->c->metrics && sd_metrics_write(r->c->metrics, &r->run, status, now, b, nb, &err) < 0)
		cli_say(r->c, "sftpdrill: %s", err.msg);
	free(b);
}

/* --on-failure or --on-success, told how the run ended. */
static void
run_hooks(const struct run_state *r, int status, int sealed)
{
	const char *cmd = status == EXIT_PASS ? r->c->on_success : r->c->on_failure;
	char summary[160], *report, *title;
	struct sd_verdict v;
	struct hook_facts f;

	/* Empty is none: the systemd unit passes "${SFTPDRILL_ON_FAILURE}" whether or not it is set. */
	if (cmd == NULL || cmd[0] == '\0')
		return;
	sd_run_verdict_of(&r->run, &v);
	report = sealed ? sd_xasprintf("%s/junit.xml", r->dir) : NULL;
	snprintf(summary, sizeof(summary), "%zu passed, %zu failed, %zu errors, %zu skipped", v.passed, v.failed, v.errors,
	    v.skipped);
	title = drills_title(r);
	f = (struct hook_facts){ .run_dir = sealed ? r->dir : "", .report = report, .exit_status = status,
		.verdict = sealed ? v.text : "NOT SEALED", .summary = summary, .drills = title,
		.business_date = r->date, .mode = r->run.mode };
	run_hook(status == EXIT_PASS ? "--on-success" : "--on-failure", cmd, &f);
	free(title);
	free(report);
}

static void
release(struct run_state *r)
{
	view_free(r->view);
	sd_signer_free(r->signer);
	sd_transcript_close(r->transcript, NULL);
	for (int i = 0; i < r->n; i++) {
		sd_drill_free(r->drills[i]);
		if (r->each[i].passphrase) {
			explicit_bzero(r->each[i].passphrase, strlen(r->each[i].passphrase));
			free(r->each[i].passphrase);
		}
	}
	free(r->drills);
	free(r->each);
	for (size_t i = 0; i < r->retyped.n; i++)
		explicit_bzero(r->retyped.v[i], strlen(r->retyped.v[i]));
	sd_strv_release(&r->retyped);
	sd_run_release(&r->run);
	sd_redact_release(&r->secrets);
	free(r->dir);
}

/*
 * A run refused before its first packet (a drill that does not parse, a -D no
 * drill uses, a key OpenSSH would refuse, the window enforced) still leaves
 * evidence: a small sealed bundle, one suite per drill file, its one step the
 * refusal (PreflightRefused; LocalIOError when the state could not be moved)
 * with what was printed, so that --on-failure has a report to attach and the
 * auditor sees the attempt. 0 when sealed.
 */
static int
write_refused(struct run_state *r, int status, const char *said)
{
	struct sd_err err = { 0 };
	char host[256] = "";

	if (open_bundle(r, &err) < 0) {
		cli_say(r->c, "sftpdrill: the refusal could not be recorded: %s", err.msg[0] ? err.msg : "no run folder");
		return -1;
	}
	sd_transcript_line(r->transcript, "refused before the first packet; nothing was sent to any server:");
	for (const char *p = said; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != '\0'))
		sd_transcript_line(r->transcript, "  %.*s", (int)strcspn(p, "\n"), p);
	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < r->n; i++) {
		struct sd_suite *s = sd_run_add_suite(&r->run, drill_name(r, i), "(not contacted)", "-", 0);
		struct sd_case *k = sd_suite_add_case(s, "Pre-flight");

		sd_suite_prop(s, "drill.file", r->files[i]);
		sd_suite_prop(s, "operator", r->operator_name);
		sd_suite_prop(s, "hostname", host);
		k->status = SD_ERROR;
		k->kind = status == EXIT_USAGE ? SD_KIND_PREFLIGHT_REFUSED : SD_KIND_LOCAL_IO_ERROR;
		k->message = sd_xasprintf("refused before the first packet; nothing was sent to any server: %.*s",
		    (int)strcspn(said, "\n"), said);
		k->detail = sd_xstrdup(said);
	}
	r->run.mode = run_mode(r);
	if (write_bundle(r, status, &err) < 0) {
		cli_say(r->c, "sftpdrill: %s", err.msg);
		return -1;
	}
	printf("refused: nothing was sent to any server; the refusal is recorded\nreport: %s/junit.xml\n", r->dir);
	return 0;
}

static int
run_or_snapshot(struct cli *c, int n, char **files, int snapshot)
{
	struct run_state r = { .c = c, .n = n, .files = files, .snapshot = snapshot,
		.drills = sd_xcalloc((size_t)n, sizeof(*r.drills)), .each = sd_xcalloc((size_t)n, sizeof(*r.each)),
		.operator_name = c->operator_name ? c->operator_name : login_name() };
	struct sd_err err = { 0 };
	struct sd_buf said = SD_BUF_INIT(0);
	int status;

	catch_signals();
	if (c->account)
		r.run.account = sd_xstrdup(c->account);
	r.view = view_new(c->quiet, c->verbose, c->parallel, &r.run, &r.secrets);
	sd_date_format(c->business_day, 0, r.date, sizeof(r.date));
	c->said = &said;
	status = prepare(&r);
	c->said = NULL;
	if (status == EXIT_PASS && sd_cancelled(&stop)) {
		/* Stopped at the passphrase prompt: nothing ran, so there is nothing to seal. */
		fprintf(stderr, "sftpdrill: interrupted before the first connection; nothing was run\n");
		status = 128 + sd_cancelled(&stop);
		run_hooks(&r, status, 0);
	} else if (status != EXIT_PASS) {
		int sealed = write_refused(&r, status, sd_buf_str(&said)) == 0;
		record_for_monitoring(&r, status);
		run_hooks(&r, status, sealed);
	}
	sd_buf_release(&said);
	if (status != EXIT_PASS)
		goto out;
	if (sd_ssh_global_init() < 0) {
		fprintf(stderr, "sftpdrill: libssh2 initialisation failed\n");
		status = EXIT_INTERNAL;
		goto out;
	}
	if (open_bundle(&r, &err) == 0) {
		run_drills(&r);
		/* Stopped by a signal: the bundle is still written and sealed (INCOMPLETE); the exit says which. */
		status = sd_run_exit_status(&r.run);
		if (write_bundle(&r, status, &err) == 0) {
			char *report = sd_xasprintf("%s/junit.xml", r.dir);
			view_summary(r.view, &r.run, report);
			print_catch_up(&r);
			free(report);
			record_for_monitoring(&r, status);
			run_hooks(&r, status, 1);
			goto done;
		}
	}
	if (err.msg[0])
		fprintf(stderr, "sftpdrill: %s\n", err.msg);
	if (r.dir)
		fprintf(stderr, "sftpdrill: the run folder %s is incomplete and not sealed\n", r.dir);
	status = EXIT_INTERNAL;
	run_hooks(&r, status, 0);
done:
	sd_ssh_global_exit();
out:
	release(&r);
	return status;
}

int
cmd_run(struct cli *c, int n, char **files)
{
	return run_or_snapshot(c, n, files, 0);
}

int
cmd_snapshot(struct cli *c, int n, char **files)
{
	return run_or_snapshot(c, n, files, 1);
}
