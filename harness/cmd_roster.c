/*
 * cmd_roster.c — `run --roster FILE`: every account of a roster drilled, a few at a time, each in a
 * process of its own (its own key, passphrase and evidence bundle), then their bundles merged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/junit.h"
#include "sftpdrill/language/roster.h"
#include "sftpdrill/run/preflight.h"
#include "cli.h"
#include "term.h"

/* One account's run. */
struct account {
	const struct sd_roster_row *row;
	pid_t pid;
	int status;                 /* its exit status (-1: not run) */
	char *log;                  /* its output */
	char *bundle;               /* its run folder, once it said so */
};

static atomic_int stop_signal;

static void
on_signal(int sig)
{
	atomic_store(&stop_signal, sig);
}

/* Options of this command line a child must not get: the roster's own, or the parent's to decide. */
static int
parent_only(const char *opt, int *takes_value)
{
	static const char *const with_value[] = { "--roster", "--shard", "--jobs", "--report-dir", "--on-failure",
		"--on-success", "--account", NULL };
	static const char *const flags[] = { "--parallel", NULL };

	*takes_value = 0;
	for (int i = 0; with_value[i]; i++) {
		size_t n = strlen(with_value[i]);
		if (strncmp(opt, with_value[i], n) == 0 && (opt[n] == '\0' || opt[n] == '=')) {
			*takes_value = opt[n] == '\0';
			return 1;
		}
	}
	for (int i = 0; flags[i]; i++)
		if (strcmp(opt, flags[i]) == 0)
			return 1;
	return 0;
}

/* The child's command line: this one's options (less the roster's), the account's, the drills. */
static char **
child_argv(const struct cli *c, const struct account *a, const char *accounts_dir, int ndrills, char **drills)
{
	struct sd_strv v = { 0 };
	char *def;

	sd_strv_push(&v, c->argv[0]);
	sd_strv_push(&v, "run");
	for (int i = 2; i < c->first_operand && i < c->argc; i++) {
		int takes;
		if (parent_only(c->argv[i], &takes)) {
			i += takes;
			continue;
		}
		sd_strv_push(&v, c->argv[i]);
	}
	sd_strv_push(&v, "--account");
	sd_strv_push(&v, a->row->name);
	sd_strv_push(&v, "--report-dir");
	sd_strv_push(&v, accounts_dir);
#define DEFINE(name, val) do { def = sd_xasprintf("%s=%s", name, val); sd_strv_push(&v, "-D"); \
	sd_strv_push(&v, def); free(def); } while (0)
	DEFINE("RRS_USER", a->row->user);
	DEFINE("RRS_KEY", a->row->key);
	if (a->row->known_hosts)
		DEFINE("RRS_KNOWN_HOSTS", a->row->known_hosts);
	if (a->row->profile)
		DEFINE("RRS_PROFILE", a->row->profile);
#undef DEFINE
	for (int i = 0; i < ndrills; i++)
		sd_strv_push(&v, drills[i]);
	SD_GROW(v.v, v.n + 1, v.cap);
	v.v[v.n] = NULL;
	return v.v;
}

/* The account's passphrase from where its row says (env:NAME, file:PATH); NULL for none. -1 when missing. */
static int
passphrase_of(const struct sd_roster_row *row, char **out)
{
	*out = NULL;
	if (row->passphrase[0] == '\0')
		return 0;
	if (strncmp(row->passphrase, "env:", 4) == 0) {
		const char *v = getenv(row->passphrase + 4);
		if (v == NULL)
			return -1;
		*out = sd_xstrdup(v);
		return 0;
	}
	FILE *f = sd_fopen_regular(row->passphrase + 5, 0);
	char line[1024];
	if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	*out = sd_xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* Why a row cannot be started (its key unreadable or open to others, its passphrase not where it says), or NULL. */
static const char *
row_problem(const struct sd_roster_row *row, char *buf, size_t len)
{
	char why[4096];

	if (sd_identity_problem(row->key, why, sizeof(why)) != NULL)
		snprintf(buf, len, "account `%s`: %s", row->name, why);
	else if (strncmp(row->passphrase, "env:", 4) == 0 && getenv(row->passphrase + 4) == NULL)
		snprintf(buf, len, "account `%s`: its passphrase is to be in the environment variable %s, which is not set",
		    row->name, row->passphrase + 4);
	else if (strncmp(row->passphrase, "file:", 5) == 0 && access(row->passphrase + 5, R_OK) < 0)
		snprintf(buf, len, "account `%s`: its passphrase file %s: %s", row->name, row->passphrase + 5, strerror(errno));
	else
		return NULL;
	return buf;
}

/* Start one account's run; its output to its log. 0, or -1 (said why, status set). */
static int
start(const struct cli *c, struct account *a, const char *dir, int ndrills, char **drills)
{
	char *accounts = sd_xasprintf("%s/accounts", dir), *pp = NULL;
	char **argv;
	int fd;

	if (passphrase_of(a->row, &pp) < 0) {
		fprintf(stderr, "  ! %s: its passphrase is not where the roster says (%s); not run\n", a->row->name,
		    strncmp(a->row->passphrase, "env:", 4) == 0 ? "no such environment variable" : "file unreadable");
		a->status = EXIT_INTERNAL;
		free(accounts);
		return -1;
	}
	argv = child_argv(c, a, accounts, ndrills, drills);
	fd = open(a->log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	fflush(NULL);
	a->pid = fd < 0 ? -1 : fork();
	if (a->pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/* One account's passphrase never reaches another's run. */
		if (pp)
			setenv(c->site.passphrase_env, pp, 1);
		else
			unsetenv(c->site.passphrase_env);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (fd >= 0)
		close(fd);
	if (pp) {
		explicit_bzero(pp, strlen(pp));
		free(pp);
	}
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
	free(accounts);
	if (a->pid < 0) {
		fprintf(stderr, "  ! %s: cannot start its run: %s\n", a->row->name, strerror(errno));
		a->status = EXIT_INTERNAL;
		return -1;
	}
	return 0;
}

/* After an account's run: its run folder (the "report:" line it printed) and its closing line shown. */
static void
finished(struct account *a, int wstatus)
{
	FILE *f = fopen(a->log, "re");
	char line[4096], counts[512] = "", *shown;

	a->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	while (f && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "report: ", 8) == 0) {
			char *slash = strrchr(line + 8, '/');
			free(a->bundle);
			a->bundle = slash ? sd_xstrndup(line + 8, (size_t)(slash - line - 8)) : NULL;
		} else if (strstr(line, " passed, ") && strstr(line, " skipped — "))
			snprintf(counts, sizeof(counts), "%.500s", line);
	}
	if (f)
		fclose(f);
	shown = sd_xasprintf("  %s %s (%s): %s\n%s%s%s", a->status == 0 ? "✓" : "✗", a->row->name, a->row->user,
	    counts[0] ? counts : a->bundle ? "see its bundle" : "no bundle: see its log", a->status != 0 ? "      log: " : "",
	    a->status != 0 ? a->log : "", a->status != 0 ? "\n" : "");
	term_print(stdout, shown, 4);
	free(shown);
	fflush(stdout);
}

/*
 * roster-summary.txt is a table; the terminal shows the same table when it is wide enough, else each
 * row as "ACCOUNT (USER), SESSION: RESULT", word-wrapped.
 */
struct summary {
	FILE *f;
	struct sd_buf table, rows;
	int widest;
};

/* One row of the summary (the header when account is NULL). */
static void
summary_line(struct summary *sm, const char *account, const char *user, const char *session, const char *result)
{
	char line[1024];

	snprintf(line, sizeof(line), "%-16s %-12s %-50.50s %s", account ? account : "account", account ? user : "user",
	    account ? session : "session", account ? result : "result");
	sd_buf_addf(&sm->table, "%s\n", line);
	if (term_width_of(line) > sm->widest)
		sm->widest = term_width_of(line);
	if (account)
		sd_buf_addf(&sm->rows, "%s%s%s%s, %s: %s\n", account, strcmp(user, "-") ? " (" : "",
		    strcmp(user, "-") ? user : "", strcmp(user, "-") ? ")" : "", session, result);
	if (sm->f)
		fprintf(sm->f, "%s\n", line);
}

/* An account's sessions, each with the verdict the model gives its suites (what its bundle says). */
static void
summary_account(struct summary *f, const struct account *a)
{
	struct sd_run run = { 0 };
	struct sd_err err;
	char *junit = a->bundle ? sd_xasprintf("%s/junit.xml", a->bundle) : NULL;

	if (junit == NULL || sd_junit_read(junit, &run, &err) < 0 || run.nsuites == 0)
		summary_line(f, a->row->name, a->row->user, "-", a->status < 0 ? "NOT RUN" : "NO RESULTS (see its log)");
	for (size_t s = 0, e; s < run.nsuites; s = e) {
		struct sd_run one = { .suites = &run.suites[s], .mode = run.mode, .interrupted = run.interrupted };
		struct sd_verdict v;
		char result[160];

		for (e = s; e < run.nsuites && strcmp(run.suites[e]->drill, run.suites[s]->drill) == 0; e++)
			;
		one.nsuites = e - s;
		sd_run_verdict_of(&one, &v);
		snprintf(result, sizeof(result), "%s%s", v.text, v.mode ? " (REHEARSAL)" : "");
		if (v.kind == SD_VERDICT_FAILED)
			snprintf(result + strlen(result), sizeof(result) - strlen(result), " (%zu of %zu)", v.passed, v.total);
		if (v.retried)
			snprintf(result + strlen(result), sizeof(result) - strlen(result), ", %zu after up to %d attempts",
			    v.retried, v.most_attempts);
		summary_line(f, a->row->name, a->row->user, run.suites[s]->drill, result);
	}
	sd_run_release(&run);
	free(junit);
}

/* Per account and session: its verdict, from its bundle; then every bad row of this shard. Written and shown. */
static void
summary(const struct account *accts, size_t n, const struct sd_roster *r, const struct cli *c, const char *dir)
{
	char *path = sd_xasprintf("%s/roster-summary.txt", dir);
	struct summary sm = { .f = fopen(path, "we"), .table = SD_BUF_INIT(0), .rows = SD_BUF_INIT(0) }, *f = &sm;
	int columns = term_columns(STDOUT_FILENO);

	printf("\n");
	summary_line(f, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		summary_account(f, &accts[i]);
	for (size_t i = 0; i < r->nbad; i++) {
		const char *base = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
		char where[300], result[600];
		if (!sd_roster_in_shard(r->bad[i].index, c->shard_k, c->shard_n))
			continue;
		snprintf(where, sizeof(where), "%s:%d", base, r->bad[i].line);
		snprintf(result, sizeof(result), "NOT RUN (RosterRowInvalid): %s", r->bad[i].why);
		summary_line(f, r->bad[i].name ? r->bad[i].name : "-", "-", where, result);
	}
	if (columns == 0 || sm.widest < columns)
		fputs(sd_buf_str(&sm.table), stdout);
	else
		term_print_to(stdout, sd_buf_str(&sm.rows), 4, columns);
	if (sm.f)
		fclose(sm.f);
	sd_buf_release(&sm.table);
	sd_buf_release(&sm.rows);
	free(path);
}

/*
 * What the merged evidence says of the rows that were not drilled: one suite each, its one step
 * an error (RosterRowInvalid, FILE:LINE and why; or an account whose run left no bundle).
 */
static void
not_drilled(struct sd_run *rows, const char *roster, int line, const char *name, enum sd_kind kind, const char *why)
{
	const char *base = strrchr(roster, '/') ? strrchr(roster, '/') + 1 : roster;
	char *where = sd_xasprintf("%s:%d", base, line), *title = sd_xasprintf("roster %s", where);
	struct sd_suite *s = sd_run_add_suite(rows, "roster", where, base, 0);
	struct sd_case *c;

	free(s->name);
	s->name = title;
	sd_suite_prop(s, "roster.row", where);
	sd_suite_prop(s, "roster.account", name);
	c = sd_suite_add_case(s, name ? name : "(no name)");
	c->status = SD_ERROR;
	c->kind = kind;
	c->message = sd_xasprintf("%s: not drilled: %s", where, why);
	free(where);
}

/* The folder of this roster run, new: REPORT-DIR/TIME-roster-NAME[-shard-K-of-N], NAME the file's without extension. */
static char *
roster_dir(const struct cli *c)
{
	const char *base = strrchr(c->roster, '/') ? strrchr(c->roster, '/') + 1 : c->roster;
	char *name = sd_xasprintf("roster-%.*s", (int)strcspn(base, "."), base), *dir, shard[48] = "";

	if (c->shard_n > 1)
		snprintf(shard, sizeof(shard), "-shard-%d-of-%d", c->shard_k, c->shard_n);
	dir = sd_bundle_new_folder(c->report_dir, name, shard, time(NULL));
	free(name);
	return dir;
}

/* Run the accounts, at most jobs at once; a signal stops new starts and is passed on to the running. */
static void
run_all(const struct cli *c, struct account *accts, size_t n, const char *dir, int ndrills, char **drills)
{
	size_t next = 0, running = 0;
	int jobs = c->jobs > 0 ? c->jobs : 4, forwarded = 0;

	while (next < n || running > 0) {
		int wstatus;
		pid_t pid;

		while (next < n && running < (size_t)jobs && !atomic_load(&stop_signal))
			if (start(c, &accts[next++], dir, ndrills, drills) == 0)
				running++;
		if (running == 0)
			break;
		pid = waitpid(-1, &wstatus, 0);
		if (pid < 0 && errno == EINTR) {
			if (atomic_load(&stop_signal) && !forwarded) {
				for (size_t i = 0; i < n; i++)
					if (accts[i].pid > 0 && accts[i].status == -1)
						kill(accts[i].pid, atomic_load(&stop_signal));
				forwarded = 1;
			}
			continue;
		}
		for (size_t i = 0; pid > 0 && i < n; i++)
			if (accts[i].pid == pid && accts[i].status == -1) {
				finished(&accts[i], wstatus);
				running--;
			}
		if (pid < 0)
			break;
	}
}

/* Rows of this shard that could not start (a key OpenSSH would refuse, a passphrase not where it says): bad rows too. */
static void
check_rows(const struct cli *c, struct sd_roster *r)
{
	struct sd_diag diag = { 0 };
	char why[4200];

	for (size_t i = 0; i < r->n;) {
		const struct sd_roster_row *row = &r->v[i];
		if (!sd_roster_in_shard(row->index, c->shard_k, c->shard_n) || row_problem(row, why, sizeof(why)) == NULL) {
			i++;
			continue;
		}
		sd_diag_report(&diag, 0, &(struct sd_loc){ r->path, row->line, 0 }, NULL, "%s", why);
		sd_roster_reject(r, i, why);
	}
	cli_print_diag(c, &diag);
	sd_diag_release(&diag);
}

/* The roster's folder and its accounts/ (said why, NULL, when they cannot be made). Caller frees. */
static char *
make_folders(const struct cli *c)
{
	char *dir = roster_dir(c), *accounts = dir ? sd_xasprintf("%s/accounts", dir) : NULL;

	if (dir == NULL || sd_mkdirs(accounts) < 0) {
		fprintf(stderr, "sftpdrill: cannot create %s: %s\n", accounts ? accounts : "a roster folder", strerror(errno));
		free(dir);
		dir = NULL;
	}
	free(accounts);
	return dir;
}

/*
 * One bundle for them all: every account's bundle verified and merged, with a suite for each row
 * not drilled (a bad row of this shard, an account whose run left no bundle). The merge's status.
 */
static int
merge_all(const struct cli *c, const char *dir, const struct account *accts, size_t n, const struct sd_roster *r)
{
	struct sd_run rows = { 0 };
	char **bundles = sd_xcalloc(n ? n : 1, sizeof(*bundles)), *merged = sd_xasprintf("%s/merged", dir), *title, *shard;
	const char *base = strrchr(c->roster, '/') ? strrchr(c->roster, '/') + 1 : c->roster;
	size_t nb = 0;
	int status;

	for (size_t i = 0; i < r->nbad; i++)
		if (sd_roster_in_shard(r->bad[i].index, c->shard_k, c->shard_n))
			not_drilled(&rows, r->path, r->bad[i].line, r->bad[i].name, SD_KIND_ROSTER_ROW_INVALID, r->bad[i].why);
	for (size_t i = 0; i < n; i++) {
		char *why = sd_xasprintf("its run ended with exit status %d and left no bundle (see %s)", accts[i].status,
		    accts[i].log);
		if (accts[i].bundle)
			bundles[nb++] = accts[i].bundle;
		else
			not_drilled(&rows, r->path, accts[i].row->line, accts[i].row->name, SD_KIND_NONE, why);
		free(why);
	}
	title = sd_xasprintf("Roster %s%s", c->roster, c->shard_n > 1 ? " (one shard)" : "");
	shard = sd_xasprintf("roster %s\nrows %d\nshard %d of %d\n", base, r->rows, c->shard_n > 1 ? c->shard_k : 1,
	    c->shard_n > 1 ? c->shard_n : 1);
	printf("\n");
	status = merge_bundles(c, merged, (int)nb, bundles, title, shard, &rows);
	sd_run_release(&rows);
	free(shard);
	free(title);
	free(merged);
	free(bundles);
	return status;
}

int
cmd_roster(struct cli *c, int ndrills, char **drills)
{
	struct sd_roster roster;
	struct sd_diag diag = { 0 };
	struct account *accts;
	struct sigaction sa = { .sa_handler = on_signal };
	size_t n = 0;
	char *dir;
	int status;

	status = sd_roster_read(c->roster, &roster, &diag);
	cli_print_diag(c, &diag);
	sd_diag_release(&diag);
	if (status < 0)
		return EXIT_USAGE;
	check_rows(c, &roster);
	dir = make_folders(c);
	if (dir == NULL) {
		sd_roster_release(&roster);
		return EXIT_INTERNAL;
	}
	accts = sd_xcalloc(roster.n ? roster.n : 1, sizeof(*accts));
	for (size_t i = 0; i < roster.n; i++)
		if (sd_roster_in_shard(roster.v[i].index, c->shard_k, c->shard_n))
			accts[n++] = (struct account){ .row = &roster.v[i], .status = -1,
				.log = sd_xasprintf("%s/accounts/%s.log", dir, roster.v[i].name) };
	printf("roster %s: %zu account%s%s, at most %d at a time\n", c->roster, n, n == 1 ? "" : "s",
	    c->shard_n > 1 ? " in this shard" : "", c->jobs > 0 ? c->jobs : 4);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	run_all(c, accts, n, dir, ndrills, drills);
	summary(accts, n, &roster, c, dir);
	/* The verdict of everything merged: a bad row makes it 2 whatever the accounts did; a signal, 128+N. */
	status = merge_all(c, dir, accts, n, &roster);
	if (atomic_load(&stop_signal))
		status = 128 + atomic_load(&stop_signal);
	for (size_t i = 0; i < n; i++) {
		free(accts[i].log);
		free(accts[i].bundle);
	}
	free(dir);
	free(accts);
	sd_roster_release(&roster);
	return status;
}
