/* test_runner.c — the runner without a server: retries, skips, dependencies, deadlines, parallel endpoints. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/language/drill.h"
#include "sftpdrill/run/runner.h"
#include "sftpdrill/engine/transport.h"

/* What the fake server does for one host. */
struct fake_host {
	const char *host;
	struct sd_cancel *stop_at_login;    /* a signal arrives while this host logs in */
	int open_failures;          /* the first N opens fail with open_kind */
	enum sd_kind open_kind;
	enum sd_kind login_kind;    /* SD_KIND_NONE: login succeeds */
	enum sd_kind download_kind; /* SD_KIND_NONE: downloads succeed */
	const char *secret_in_message;
	int opens, logins, closes, lists, downloads;
	int64_t last_deadline;
	char copy_dir[256];         /* where the last download's evidence copy was to go */
};

static struct fake_host hosts[4];
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

/* The test's own connection: the runner only ever holds a pointer to it. */
struct sd_conn {
	struct fake_host *h;
	int logged_in;
	struct sd_conn_info info;
};

static struct fake_host *
host_named(const char *name)
{
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (hosts[i].host && strcmp(hosts[i].host, name) == 0)
			return &hosts[i];
	return NULL;
}

static struct sd_conn *
fake_open(const struct sd_conn_opts *o, int64_t deadline, struct sd_conn_info *info, struct sd_err *err)
{
	struct fake_host *h = host_named(o->host);
	struct sd_conn *c;
	int fail;

	pthread_mutex_lock(&fake_lock);
	h->opens++;
	h->last_deadline = deadline;
	fail = h->opens <= h->open_failures;
	pthread_mutex_unlock(&fake_lock);
	if (fail) {
		sd_fail(err, h->open_kind, SD_PHASE_CONNECT, "%s: no (attempt %d)", o->label, h->opens);
		return NULL;
	}
	c = sd_xcalloc(1, sizeof(*c));
	c->h = h;
	snprintf(c->info.peer, sizeof(c->info.peer), "%s", o->label);
	snprintf(c->info.hostkey_type, sizeof(c->info.hostkey_type), "ssh-ed25519");
	snprintf(c->info.hostkey_fp, sizeof(c->info.hostkey_fp), "SHA256:fake");
	*info = c->info;
	return c;
}

static int
fake_login(struct sd_conn *c, const struct sd_login *l, int64_t deadline, struct sd_err *err)
{
	(void)l;
	c->h->logins++;
	c->h->last_deadline = deadline;
	if (c->h->stop_at_login) {
		atomic_store(&c->h->stop_at_login->requested, 15);
		return sd_fail(err, SD_KIND_INTERRUPTED, SD_PHASE_AUTH, "stopped (signal 15) during auth");
	}
	if (c->h->login_kind != SD_KIND_NONE)
		return sd_fail(err, c->h->login_kind, SD_PHASE_AUTH, "refused; the passphrase was %s",
		    c->h->secret_in_message ? c->h->secret_in_message : "-");
	c->logged_in = 1;
	return 0;
}

static int
fake_logged_in(const struct sd_conn *c)
{
	return c != NULL && c->logged_in;
}

static const struct sd_conn_info *
fake_info(const struct sd_conn *c)
{
	return &c->info;
}

static int
fake_list(struct sd_conn *c, const char *dir, sd_list_fn fn, void *ctx, int64_t deadline, struct sd_err *err)
{
	static const char *const names[] = { "TP001_X.csv", "TP002_X.csv", "CL001_X.csv" };

	(void)dir;
	(void)err;
	c->h->lists++;
	c->h->last_deadline = deadline;
	for (size_t i = 0; i < 3; i++) {
		struct sd_dirent e = { .name = names[i], .name_len = strlen(names[i]), .size = 5, .has_size = 1,
			.type = SD_ENTRY_FILE };
		if (fn(ctx, &e) != 0)
			break;
	}
	return 0;
}

/* The fake server's tree: /r is a folder, the .csv files in it are files, anything else is missing. */
static int
fake_stat(struct sd_conn *c, const char *path, struct sd_dirent *e, int64_t deadline, struct sd_err *err)
{
	c->h->last_deadline = deadline;
	if (strcmp(path, "/r") == 0 || (strncmp(path, "/r/", 3) == 0 && strstr(path, ".csv"))) {
		*e = (struct sd_dirent){ .name = path, .name_len = strlen(path), .size = 5, .has_size = 1, .mtime = 1681466400,
			.has_mtime = 1, .type = strcmp(path, "/r") == 0 ? SD_ENTRY_DIR : SD_ENTRY_FILE };
		return 0;
	}
	return sd_fail(err, SD_KIND_FILE_MISSING, SD_PHASE_SFTP, "%s: no such file or folder on the server", path);
}

static int
fake_download(struct sd_conn *c, struct sd_batch *b, struct sd_err *err)
{
	const struct sd_fetch *f = b->files;

	for (size_t i = 0; i < b->n; i++) {
		struct sd_download out = { .bytes = 5, .remote_size = 5 };
		c->h->downloads++;
		snprintf(c->h->copy_dir, sizeof(c->h->copy_dir), "%s", f[i].copy_dir ? f[i].copy_dir : "");
		if (c->h->download_kind != SD_KIND_NONE)
			return sd_fail(err, c->h->download_kind, SD_PHASE_TRANSFER, "cut");
		snprintf(out.sha256, sizeof(out.sha256), "%064d", 0);
		if (f[i].progress)
			f[i].progress(f[i].pctx, 5, 5);
		b->done(b->ctx, i, &out);
	}
	b->stats = (struct sd_fetch_stats){ .most_in_flight = 1 };
	return 0;
}

static int
fake_close(struct sd_conn *c, int64_t deadline, struct sd_err *err)
{
	(void)deadline;
	(void)err;
	if (c == NULL)
		return 0;
	c->h->closes++;
	free(c);
	return 0;
}

static int
fake_resolve(const char *host, int64_t deadline, const struct sd_cancel *cancel, struct sd_strv *out,
    struct sd_err *err)
{
	(void)deadline;
	(void)cancel;
	(void)err;
	sd_strv_push(out, host);
	return 0;
}

static const struct sd_transport fake = {
	.open = fake_open, .login = fake_login, .logged_in = fake_logged_in, .info = fake_info, .list = fake_list,
	.stat = fake_stat, .download = fake_download, .close = fake_close, .resolve = fake_resolve,
};

static const char *tmp;

static void
setup(void)
{
	memset(hosts, 0, sizeof(hosts));
	hosts[0].host = "h1";
	hosts[1].host = "h2";
	hosts[2].host = "h3";
	hosts[3].host = "h4";
	tmp = tmpdir_new();
}

static void
teardown(void)
{
	tmpdir_remove(tmp);
}

/* Parse steps under a profile naming the four fake hosts; run; return the run's results. */
static void
run_steps(const char *steps, struct sd_run_opts *o, struct sd_run *run)
{
	char *text = sd_xasprintf("endpoints dc \"h1,h2\"\nendpoints all \"h1,h2,h3,h4\"\nuser cp\nidentity /k\n"
	    "host-key-pin * SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\ntarget-host h1,h2\n"
	    "download-dir %s/dl\nbaseline-dir %s/state\n%s", tmp, tmp, steps);
	struct sd_diag diag = { 0 };
	struct sd_drill *d = sd_drill_parse_buffer("t.drill", text, strlen(text), NULL, NULL, &diag);

	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.v[i].text);
	ck_assert_ptr_nonnull(d);
	o->transport = &fake;
	sd_run_drill(d, o, run);
	sd_drill_free(d);
	sd_diag_release(&diag);
	free(text);
}

static const struct sd_case *
result(const struct sd_run *run, size_t suite, size_t step)
{
	ck_assert_uint_lt(suite, run->nsuites);
	ck_assert_uint_lt(step, run->suites[suite]->ncases);
	return &run->suites[suite]->cases[step];
}

START_TEST(failed_connect_skips_the_network_steps_but_not_the_others)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	hosts[0].open_failures = 100;
	hosts[0].open_kind = SD_KIND_CONNECT_REFUSED;
	run_steps("target dc\nstep \"Reach\" connect\nstep \"Login\" login\nstep \"Where\" expect-target dc\n"
	    "step \"Out\" logout\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->kind, SD_KIND_CONNECT_REFUSED);
	ck_assert_int_eq(result(&run, 0, 1)->status, SD_SKIP);
	ck_assert_str_eq(result(&run, 0, 1)->message, "not run: step \"Reach\" failed (ConnectRefused)");
	ck_assert_int_eq(result(&run, 0, 2)->status, SD_PASS);    /* expect-target needs no session */
	ck_assert_int_eq(result(&run, 0, 3)->status, SD_SKIP);
	ck_assert_int_eq(hosts[0].opens, 1);
	/* The other endpoint is not affected. */
	for (size_t k = 0; k < 4; k++)
		ck_assert_int_eq(result(&run, 1, k)->status, SD_PASS);
	ck_assert_int_eq(sd_run_exit_status(&run), 1);
	sd_run_release(&run);
}
END_TEST

START_TEST(stat_passes_on_a_file_and_says_why_not_on_anything_else)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	run_steps("target dc\nstep \"File\" stat /r/TP001.csv\nstep \"Folder\" stat /r\nstep \"Gone\" stat /r/NONE\n",
	    &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->status, SD_PASS);
	ck_assert_str_eq(result(&run, 0, 0)->message, "/r/TP001.csv: a regular file of 5 bytes, modified 2023-04-14T10:00:00Z");
	ck_assert_int_eq(result(&run, 0, 1)->kind, SD_KIND_NOT_A_FILE);
	ck_assert_str_eq(result(&run, 0, 1)->message, "/r is a folder, not a regular file");
	ck_assert_int_eq(result(&run, 0, 2)->kind, SD_KIND_FILE_MISSING);
	ck_assert_int_eq(hosts[0].logins, 1);     /* the runner logged in first, as the verb's flags ask */
	sd_run_release(&run);
}
END_TEST

/* Every verb of the table has a handler: one step of each runs through the fake without a crash. */
START_TEST(every_verb_runs)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };
	struct sd_buf steps = SD_BUF_INIT(0);
	static const char *const args[SD_VERB__COUNT] = { [SD_VERB_EXPECT_TARGET] = "dc",
		[SD_VERB_COUNT] = "/r >= 1", [SD_VERB_DOWNLOAD] = "/r/*.csv", [SD_VERB_SNAPSHOT] = "/r",
		[SD_VERB_STAT] = "/r/TP001.csv" };

	sd_buf_adds(&steps, "target dc\n");
	for (int v = 0; v < SD_VERB__COUNT; v++)
		sd_buf_addf(&steps, "step \"%s\" %s %s\n", sd_verb_name((enum sd_verb)v), sd_verb_name((enum sd_verb)v),
		    args[v] ? args[v] : "");
	run_steps(sd_buf_str(&steps), &o, &run);
	ck_assert_uint_eq(run.suites[0]->ncases, SD_VERB__COUNT);
	for (int v = 0; v < SD_VERB__COUNT; v++)
		ck_assert_msg(result(&run, 0, (size_t)v)->kind != SD_KIND_NONE || result(&run, 0, (size_t)v)->status == SD_PASS,
		    "verb %s ended with no kind: %s", sd_verb_name((enum sd_verb)v), result(&run, 0, (size_t)v)->message);
	sd_buf_release(&steps);
	sd_run_release(&run);
}
END_TEST

START_TEST(retries_reconnect_and_say_so)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	hosts[0].open_failures = 2;
	hosts[0].open_kind = SD_KIND_CONNECT_TIMEOUT;
	run_steps("target dc\nstep \"Reach\" connect retry 3 backoff 1ms\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->status, SD_PASS);
	ck_assert(strstr(result(&run, 0, 0)->message, "(after 2 retries)") != NULL);
	ck_assert_int_eq(hosts[0].opens, 3);
	/* The two failed tries are kept as earlier attempts (JUnit's flakyFailure). */
	ck_assert_uint_eq(result(&run, 0, 0)->nreruns, 2);
	ck_assert_int_eq(result(&run, 0, 0)->attempts, 3);
	ck_assert_int_eq(result(&run, 0, 0)->reruns[0].kind, SD_KIND_CONNECT_TIMEOUT);
	ck_assert_str_eq(result(&run, 0, 0)->reruns[1].message, "h1:22: no (attempt 2)");
	sd_run_release(&run);
}
END_TEST

START_TEST(errors_are_not_retried)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	hosts[0].login_kind = SD_KIND_KEY_UNREADABLE;
	run_steps("target dc\nstep \"Login\" login retry 3 backoff 1ms\nstep \"Count\" count /r >= 1\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->status, SD_ERROR);
	ck_assert_int_eq(hosts[0].logins, 1);
	ck_assert_int_eq(result(&run, 0, 1)->status, SD_SKIP);
	ck_assert_int_eq(sd_run_exit_status(&run), 3);
	sd_run_release(&run);
}
END_TEST

START_TEST(steps_log_in_once_and_reuse_the_session)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	run_steps("target dc\nstep \"Count\" count /r == 3\nstep \"Again\" count /r >= 3\nstep \"TP001\" download /r/TP001*\n"
	    "step \"Out\" logout\nstep \"After\" logout\n", &o, &run);
	for (size_t k = 0; k < 4; k++)
		ck_assert_int_eq(result(&run, 0, k)->status, SD_PASS);
	ck_assert_int_eq(result(&run, 0, 4)->status, SD_SKIP);
	ck_assert_str_eq(result(&run, 0, 4)->message, "not run: there is no open connection");
	ck_assert_int_eq(hosts[0].opens, 1);
	ck_assert_int_eq(hosts[0].logins, 1);
	ck_assert_int_eq(hosts[0].lists, 3);
	ck_assert_int_eq(hosts[0].closes, 1);
	ck_assert_uint_eq(run.nfiles, 2);    /* TP001 from each endpoint */
	ck_assert_str_eq(hosts[0].copy_dir, "");    /* no evidence folder, no copies */
	sd_run_release(&run);
}
END_TEST

START_TEST(downloads_are_copied_into_the_evidence_folder_of_their_endpoint)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { .evidence_dir = "/run" };

	run_steps("target dc\nstep \"TP001\" download /r/TP001*\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->status, SD_PASS);
	/* Per endpoint and remote folder: the same name in two folders never meets. */
	ck_assert_str_eq(hosts[0].copy_dir, "/run/downloads/h1_22/r");
	ck_assert_str_eq(hosts[1].copy_dir, "/run/downloads/h2_22/r");
	ck_assert_str_eq(run.files[0].evidence, "h1_22/r/TP001_X.csv");
	sd_run_release(&run);
}
END_TEST

START_TEST(a_cut_drops_the_connection_and_the_endpoint)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	hosts[0].download_kind = SD_KIND_TRANSFER_INTERRUPTED;
	run_steps("target dc\nstep \"Get\" download /r/TP001* retry 1 backoff 1ms\nstep \"Out\" logout\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->kind, SD_KIND_TRANSFER_INTERRUPTED);
	/* Each attempt had a fresh connection; the broken one was never reused. */
	ck_assert_int_eq(hosts[0].opens, 2);
	ck_assert_int_eq(hosts[0].closes, 2);
	ck_assert_int_eq(result(&run, 0, 1)->status, SD_SKIP);
	sd_run_release(&run);
}
END_TEST

START_TEST(deadline_is_the_steps_timeout)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };
	int64_t before = sd_now_ms();

	run_steps("target dc\nstep \"Reach\" connect timeout 7min\n", &o, &run);
	ck_assert(hosts[0].last_deadline >= before + 7 * 60000);
	ck_assert(hosts[0].last_deadline <= sd_now_ms() + 7 * 60000);
	sd_run_release(&run);
}
END_TEST

START_TEST(parallel_endpoints_keep_the_sets_order)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { .parallel = 1, .jobs = 2 };
	static const char *const order[] = { "h1:22", "h2:22", "h3:22", "h4:22" };

	run_steps("target all\nstep \"Login\" login\nstep \"Count\" count /r == 3\nstep \"Out\" logout\n", &o, &run);
	ck_assert_uint_eq(run.nsuites, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(run.suites[i]->endpoint, order[i]);
		ck_assert_int_eq(sd_count(&run, run.suites[i], SD_PASS), 3);
		ck_assert_int_eq(hosts[i].opens, 1);
	}
	sd_run_release(&run);
}
END_TEST

START_TEST(secrets_are_masked_before_they_are_recorded)
{
	struct sd_run run = { 0 };
	struct sd_redactor r = { 0 };
	struct sd_run_opts o = { .redact = &r };

	sd_redact_add(&r, "hunter22");
	hosts[0].login_kind = SD_KIND_AUTH_REJECTED;
	hosts[0].secret_in_message = "hunter22";
	run_steps("target dc\nstep \"Login\" login\n", &o, &run);
	ck_assert_str_eq(result(&run, 0, 0)->message, "refused; the passphrase was ***");
	sd_run_release(&run);
	sd_redact_release(&r);
}
END_TEST

START_TEST(an_interrupted_run_ends_its_step_and_skips_the_rest)
{
	struct sd_run run = { 0 };
	struct sd_cancel stop = { 0 };
	struct sd_run_opts o = { .cancel = &stop };

	hosts[0].stop_at_login = &stop;
	run_steps("target dc\nstep \"Login\" login retry 3 backoff 1ms\nstep \"Count\" count /r >= 1\n"
	    "step \"Where\" expect-target dc\n", &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->kind, SD_KIND_INTERRUPTED);
	ck_assert_int_eq(hosts[0].logins, 1);        /* an error: never retried */
	ck_assert_str_eq(result(&run, 0, 1)->message, "not run: the run was interrupted");
	ck_assert_str_eq(result(&run, 0, 2)->message, "not run: the run was interrupted");
	/* The next endpoint never starts a step: its first says why as an error every reader counts. */
	ck_assert_int_eq(hosts[1].opens, 0);
	ck_assert_int_eq(result(&run, 1, 0)->status, SD_ERROR);
	ck_assert_int_eq(result(&run, 1, 0)->kind, SD_KIND_INTERRUPTED);
	ck_assert_str_eq(result(&run, 1, 0)->message, "not run: the run was stopped (signal 15) before h2:22 was drilled");
	ck_assert_int_eq(result(&run, 1, 1)->status, SD_SKIP);
	ck_assert_str_eq(sd_run_verdict(&run), "INCOMPLETE");
	ck_assert_int_eq(sd_run_exit_status(&run), 130);
	sd_run_release(&run);
}
END_TEST

START_TEST(a_business_days_drill_on_a_closed_day_contacts_nothing_and_passes)
{
	struct sd_run run = { 0 };
	struct sd_run_opts o = { 0 };

	ck_assert_int_eq(sd_date_parse("2023-04-22", &o.business_day), 0);
	run_steps("target dc\nruns-on business-days\nstep \"Login\" login\nstep \"Out\" logout\n", &o, &run);
	ck_assert_uint_eq(run.nsuites, 1);
	ck_assert_uint_eq(run.suites[0]->ncases, 1);
	ck_assert_int_eq(result(&run, 0, 0)->kind, SD_KIND_NOT_A_BUSINESS_DAY);
	ck_assert_ptr_nonnull(strstr(result(&run, 0, 0)->message, "not a business day: Saturday 2023-04-22"));
	ck_assert_int_eq(hosts[0].opens + hosts[1].opens, 0);
	ck_assert_int_eq(sd_run_exit_status(&run), 0);
	ck_assert_str_eq(sd_run_verdict(&run), "NOTHING TO DO (NOT A BUSINESS DAY)");
	sd_run_release(&run);
}
END_TEST

START_TEST(business_days_without_a_backup_are_named)
{
	struct sd_run run = { 0 }, run2 = { 0 };
	struct sd_run_opts o = { 0 };
	char *steps = sd_xasprintf("target dc\nstep \"Missed\" no-missed-days\nstep \"Backup\" download /r/TP001* to %s/bk\n",
	    tmp);

	/* Friday's backup, then Wednesday's: Monday and Tuesday have none. */
	ck_assert_int_eq(sd_date_parse("2023-04-14", &o.business_day), 0);
	run_steps(steps, &o, &run);
	ck_assert_int_eq(result(&run, 0, 0)->status, SD_PASS);
	ck_assert_int_eq(result(&run, 0, 1)->status, SD_PASS);
	ck_assert_int_eq(sd_date_parse("2023-04-19", &o.business_day), 0);
	run_steps(steps, &o, &run2);
	ck_assert_int_eq(result(&run2, 0, 0)->kind, SD_KIND_MISSED_BACKUP);
	ck_assert_ptr_nonnull(strstr(result(&run2, 0, 0)->message, "2 business days since the first backup (2023-04-14) "
	    "have no backup: 2023-04-17 2023-04-18"));
	ck_assert_str_eq(sd_suite_get_prop(run2.suites[0], "backup.missed"), "2023-04-17 2023-04-18");
	/* The backup itself still ran. */
	ck_assert_int_eq(result(&run2, 0, 1)->status, SD_PASS);
	sd_run_release(&run);
	sd_run_release(&run2);
	free(steps);
}
END_TEST

Suite *
runner_suite(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tcase_create("runner");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, failed_connect_skips_the_network_steps_but_not_the_others);
	tcase_add_test(tc, retries_reconnect_and_say_so);
	tcase_add_test(tc, stat_passes_on_a_file_and_says_why_not_on_anything_else);
	tcase_add_test(tc, every_verb_runs);
	tcase_add_test(tc, errors_are_not_retried);
	tcase_add_test(tc, downloads_are_copied_into_the_evidence_folder_of_their_endpoint);
	tcase_add_test(tc, steps_log_in_once_and_reuse_the_session);
	tcase_add_test(tc, a_cut_drops_the_connection_and_the_endpoint);
	tcase_add_test(tc, deadline_is_the_steps_timeout);
	tcase_add_test(tc, parallel_endpoints_keep_the_sets_order);
	tcase_add_test(tc, secrets_are_masked_before_they_are_recorded);
	tcase_add_test(tc, an_interrupted_run_ends_its_step_and_skips_the_rest);
	tcase_add_test(tc, a_business_days_drill_on_a_closed_day_contacts_nothing_and_passes);
	tcase_add_test(tc, business_days_without_a_backup_are_named);
	suite_add_tcase(s, tc);
	return s;
}
