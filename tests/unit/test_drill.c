/* test_drill.c — the drill language: parsing, variables, includes, and every error's location. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sftpdrill/base/units.h"
#include "sftpdrill/language/drill.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/base/util.h"

static const char profile[] =
	"set RRS_PORT 10022\n"
	"endpoints primary \"127.151.14.121,127.151.14.122:2222\"\n"
	"endpoints secondary \"127.152.14.121\"\n"
	"port ${RRS_PORT}\n"
	"user cpuser\n"
	"identity /k\n"
	"known-hosts /kh\n";

static struct sd_diag diag;
static const char *dir;

static void
setup(void)
{
	memset(&diag, 0, sizeof(diag));
	dir = tmpdir_new();
	free(write_text(dir, "site.profile", profile, strlen(profile)));
}

static void
teardown(void)
{
	sd_diag_release(&diag);
	tmpdir_remove(dir);
}

/* Parse text as DIR/NAME with the given -D definitions. */
static struct sd_drill *
parse(const char *name, const char *text, const struct sd_vars *defs)
{
	char *path = write_text(dir, name, text, strlen(text));
	struct sd_drill *d = sd_drill_parse(path, defs, NULL, &diag);

	free(path);
	return d;
}

/* Does some diagnostic end with ":LINE:COL: error: ..." and contain want? */
static int
has_error(int line, int col, const char *want)
{
	char loc[64];

	snprintf(loc, sizeof(loc), ":%d:%d: error: ", line, col);
	for (size_t i = 0; i < diag.n; i++)
		if (strstr(diag.v[i].text, loc) && strstr(diag.v[i].text, want))
			return 1;
	return 0;
}

static void
dump(void)
{
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "  diag: %s\n", diag.v[i].text);
}

START_TEST(parses_circular_session)
{
	struct sd_drill *d = parse("s1.drill",
	    "# session 1\n"
	    "drill \"RRS — Secondary (Session 1)\"\n"
	    "include \"site.profile\"\n"
	    "window 2023-04-15 14:30 15:30 Asia/Hong_Kong\n"
	    "target primary\n"
	    "step \"Reachable\" connect timeout 5s retry 2 backoff 500ms\n"
	    "step \"Login\" login\n"
	    "step \"Count\" count /reports >= 12\n"
	    "step \"TP001\" download \"/reports/TP001*\"  # trailing comment\n"
	    "step \"Logout\" logout\n", NULL);

	if (d == NULL)
		dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->name, "RRS — Secondary (Session 1)");
	ck_assert_uint_eq(d->nsteps, 5);
	ck_assert_int_eq(d->steps[0].verb, SD_VERB_CONNECT);
	ck_assert_int_eq(d->steps[0].timeout_ms, 5000);
	ck_assert_int_eq(d->steps[0].retries, 2);
	ck_assert_int_eq(d->steps[0].backoff_ms, 500);
	ck_assert_int_eq(d->steps[2].cmp, SD_CMP_GE);
	ck_assert_int_eq(d->steps[2].expect, 12);
	ck_assert_str_eq(d->steps[3].arg, "/reports/TP001*");
	const struct sd_endpoint_set *set = sd_drill_set(d, "primary");
	ck_assert_uint_eq(set->n, 2);
	ck_assert_str_eq(set->v[0].label, "127.151.14.121:10022");
	ck_assert_str_eq(set->v[1].label, "127.151.14.122:2222");
	ck_assert_str_eq(d->window, "2023-04-15 14:30 15:30 Asia/Hong_Kong");
	ck_assert_uint_eq(d->nfiles, 2);
	sd_drill_free(d);
}
END_TEST

START_TEST(cmdline_beats_file_beats_environment)
{
	struct sd_vars defs = { 0 };
	struct sd_drill *d;

	setenv("SD_TEST_ENV_ONLY", "from-env", 1);
	setenv("SD_TEST_BOTH", "env-loses", 1);
	sd_vars_set(&defs, "SD_TEST_CLI", "from-cli", SD_VAR_CMDLINE);
	d = parse("v.drill",
	    "include site.profile\n"
	    "set SD_TEST_CLI file-loses\n"
	    "set SD_TEST_BOTH from-file\n"
	    "set SD_TEST_DEFAULTED \"${SD_TEST_UNSET:-fallback}\"\n"
	    "set SD_TEST_ENVDEFAULT \"${SD_TEST_ENV_ONLY:-unused}\"\n"
	    "target primary\n"
	    "step \"a\" download \"${SD_TEST_CLI}/${SD_TEST_BOTH}/${SD_TEST_ENV_ONLY}/${SD_TEST_DEFAULTED}/${SD_TEST_ENVDEFAULT}\"\n",
	    &defs);
	if (d == NULL)
		dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->steps[0].arg, "from-cli/from-file/from-env/fallback/from-env");
	sd_drill_free(d);
	sd_vars_release(&defs);
	unsetenv("SD_TEST_ENV_ONLY");
	unsetenv("SD_TEST_BOTH");
}
END_TEST

START_TEST(nested_names_and_escapes)
{
	struct sd_drill *d = parse("n.drill",
	    "include site.profile\n"
	    "set DC secondary\n"
	    "set HOSTS_secondary \"a,b\"\n"
	    "target primary\n"
	    "step \"x\" download \"${HOSTS_${DC}}\"\n"
	    "step \"y\" download '${NOT_EXPANDED}'\n"
	    "step \"z\" download \"cost \\$5 \\\"q\\\"\"\n", NULL);

	if (d == NULL)
		dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->steps[0].arg, "a,b");
	ck_assert_str_eq(d->steps[1].arg, "${NOT_EXPANDED}");
	ck_assert_str_eq(d->steps[2].arg, "cost $5 \"q\"");
	sd_drill_free(d);
}
END_TEST

START_TEST(bom_and_crlf_accepted)
{
	struct sd_drill *d = parse("crlf.drill",
	    "\xef\xbb\xbfinclude site.profile\r\ntarget primary\r\nstep \"Login\" login\r\n", NULL);

	if (d == NULL)
		dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->steps[0].name, "Login");
	sd_drill_free(d);
}
END_TEST

START_TEST(unknown_verb_suggests)
{
	ck_assert_ptr_null(parse("e.drill", "include site.profile\ntarget primary\nstep \"a\" donwload x\n", NULL));
	ck_assert(has_error(3, 10, "did you mean `download`?"));
}
END_TEST

START_TEST(stat_takes_one_remote_path)
{
	struct sd_drill *d = parse("s.drill", "include site.profile\ntarget primary\nstep \"TP001 there\" stat /r/TP001.csv "
	    "timeout 5s\n", NULL);

	dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->steps[0].verb, SD_VERB_STAT);
	ck_assert_str_eq(d->steps[0].arg, "/r/TP001.csv");
	ck_assert_int_eq(d->steps[0].timeout_ms, 5000);
	sd_drill_free(d);
	ck_assert_ptr_null(parse("s2.drill", "include site.profile\ntarget primary\nstep \"a\" stat\nstep \"b\" stat retry 2\n",
	    NULL));
	ck_assert(has_error(3, 10, "`stat` needs a remote path"));
	ck_assert(has_error(4, 10, "`stat` needs a remote path"));
}
END_TEST

/* limit channels and inflight: what a download may ask of a server, within their ranges. */
START_TEST(limit_channels_and_inflight)
{
	struct sd_drill *d = parse("l.drill", "include site.profile\ntarget primary\nlimit channels 1\nlimit inflight 2\n"
	    "step \"a\" connect\n", NULL);

	dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->limits.max_channels, 1);
	ck_assert_uint_eq(d->limits.max_inflight, 2);
	sd_drill_free(d);
	d = parse("l0.drill", "include site.profile\ntarget primary\nstep \"a\" connect\n", NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->limits.max_channels, 10);
	sd_drill_free(d);
	ck_assert_ptr_null(parse("l2.drill", "include site.profile\ntarget primary\nlimit channels 11\nlimit inflight 65\n"
	    "limit chanels 2\nstep \"a\" connect\n", NULL));
	ck_assert(has_error(3, 16, "bad limit `11`"));
	ck_assert(has_error(4, 16, "bad limit `65`"));
	ck_assert(has_error(5, 7, "did you mean `channels`?"));
}
END_TEST

/* The verb table, the reference's table and the man page name the same verbs. */
START_TEST(every_verb_is_documented)
{
	static const char *const docs[] = { "docs/drill-language.md", "harness/sftpdrill.1" };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		FILE *f = fopen(docs[i], "re");
		struct sd_buf text = SD_BUF_INIT(0);
		char chunk[4096];
		size_t n;

		if (f == NULL) {
			fprintf(stderr, "note: %s not found from here; the documentation check is skipped\n", docs[i]);
			continue;
		}
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			sd_buf_add(&text, chunk, n);
		fclose(f);
		for (int v = 0; v < SD_VERB__COUNT; v++) {
			/* A table row: "| `stat PATH` |" or "| `logout` |" in Markdown, ".B stat" in the man page's STEP VERBS. */
			char *md = sd_xasprintf("| `%s ", sd_verb_name(v)), *bare = sd_xasprintf("| `%s` |", sd_verb_name(v));
			char *man = sd_xasprintf("\n.B %s\n", sd_verb_name(v)), *manargs = sd_xasprintf("\n.B %s ", sd_verb_name(v));
			const char *all = sd_buf_str(&text);
			ck_assert_msg(i == 0 ? strstr(all, md) || strstr(all, bare) : strstr(all, man) || strstr(all, manargs),
			    "%s does not document the verb %s", docs[i], sd_verb_name(v));
			free(md);
			free(bare);
			free(man);
			free(manargs);
		}
		sd_buf_release(&text);
	}
}
END_TEST

START_TEST(unknown_directive_suggests)
{
	ck_assert_ptr_null(parse("e.drill", "include site.profile\n  traget primary\nstep \"a\" login\n", NULL));
	ck_assert(has_error(2, 3, "did you mean `target`?"));
}
END_TEST

START_TEST(write_verbs_do_not_exist)
{
	ck_assert_ptr_null(parse("e.drill", "include site.profile\ntarget primary\nstep \"a\" put x\nstep \"b\" rm y\n", NULL));
	ck_assert(has_error(3, 10, "read-only"));
	ck_assert(has_error(4, 10, "read-only"));
}
END_TEST

START_TEST(unterminated_quote)
{
	ck_assert_ptr_null(parse("e.drill", "include site.profile\ntarget primary\nstep \"a login\n", NULL));
	ck_assert(has_error(3, 6, "unterminated quote"));
}
END_TEST

START_TEST(undefined_variable)
{
	ck_assert_ptr_null(parse("e.drill", "include site.profile\ntarget primary\nstep \"a\" download ${SD_NOPE_NOT_SET}\n", NULL));
	ck_assert(has_error(3, 19, "undefined variable `SD_NOPE_NOT_SET`"));
}
END_TEST

START_TEST(all_errors_reported)
{
	ck_assert_ptr_null(parse("e.drill",
	    "include site.profile\nbogus 1\ntarget primary\nstep \"a\" nope\nstep \"b\" count /r == many\n", NULL));
	ck_assert(has_error(2, 1, "unknown directive"));
	ck_assert(has_error(4, 10, "unknown step verb"));
	ck_assert(has_error(5, 22, "expected a count"));
	ck_assert_uint_eq(diag.nerrors, 3);
}
END_TEST

START_TEST(include_cycle_and_chain)
{
	free(write_text(dir, "a.profile", "include b.profile\n", 18));
	free(write_text(dir, "b.profile", "include a.profile\n", 18));
	ck_assert_ptr_null(parse("c.drill", "include a.profile\n", NULL));
	ck_assert(has_error(1, 9, "include cycle"));
	/* The message names the chain that led to the cycle. */
	ck_assert_ptr_nonnull(strstr(diag.v[0].text, "included from"));
}
END_TEST

START_TEST(missing_include)
{
	ck_assert_ptr_null(parse("m.drill", "\n  include \"nope.profile\"\n", NULL));
	ck_assert(has_error(2, 11, "cannot open"));
}
END_TEST

START_TEST(nul_and_bad_utf8)
{
	static const char text[] = "include site.profile\ntarget primary\nstep \"a\" lo\0gin\nstep \"b\xff\" login\n";
	char *path = write_text(dir, "nul.drill", text, sizeof(text) - 1);

	ck_assert_ptr_null(sd_drill_parse(path, NULL, NULL, &diag));
	ck_assert(has_error(3, 12, "NUL byte"));
	ck_assert(has_error(4, 8, "invalid UTF-8"));
	free(path);
}
END_TEST

START_TEST(huge_line_is_an_error)
{
	size_t n = 1u << 20;
	char *text = malloc(n + 64);

	strcpy(text, "include site.profile\ntarget primary\nstep \"");
	memset(text + strlen(text), 'x', n);
	strcpy(text + strlen("include site.profile\ntarget primary\nstep \"") + n, "\" login\n");
	ck_assert_ptr_null(parse("huge.drill", text, NULL));
	ck_assert(has_error(3, 65537, "longer than"));
	free(text);
}
END_TEST

START_TEST(duplicate_step_and_empty_target)
{
	ck_assert_ptr_null(parse("d.drill", "include site.profile\ntarget primary\nstep \"a\" login\nstep \"a\" logout\n", NULL));
	ck_assert(has_error(4, 6, "duplicate step name"));
	sd_diag_release(&diag);
	ck_assert_ptr_null(parse("t.drill", "include site.profile\nendpoints empty \"\"\ntarget empty\nstep \"a\" login\n", NULL));
	ck_assert_uint_ge(diag.nerrors, 1);
	sd_diag_release(&diag);
	ck_assert_ptr_null(parse("u.drill", "include site.profile\ntarget nowhere\nstep \"a\" login\n", NULL));
	ck_assert(has_error(2, 8, "unknown endpoint set `nowhere`"));
}
END_TEST

START_TEST(target_host_list_drops_ports)
{
	struct sd_drill *d = parse("th.drill",
	    "include site.profile\ntarget-host \"a.example:10022,[::1]:22,10.0.0.1\"\ntarget primary\n"
	    "step \"x\" expect-target primary\n", NULL);

	if (d == NULL)
		dump();
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->target_hosts.n, 3);
	ck_assert_str_eq(d->target_hosts.v[0].host, "a.example");
	ck_assert_str_eq(d->target_hosts.v[1].host, "::1");
	ck_assert_str_eq(d->target_hosts.v[2].host, "10.0.0.1");
	sd_drill_free(d);
	ck_assert_ptr_null(parse("th2.drill", "include site.profile\ntarget primary\nstep \"x\" expect-target primary\n", NULL));
	ck_assert(has_error(3, 1, "needs `target-host`"));
}
END_TEST

START_TEST(durations)
{
	char buf[24];

	/* One grammar for drills and options: a number and a unit, never a bare number. */
	ck_assert_int_eq(sd_duration_parse("250ms"), 250);
	ck_assert_int_eq(sd_duration_parse("30s"), 30000);
	ck_assert_int_eq(sd_duration_parse("2min"), 120000);
	ck_assert_int_eq(sd_duration_parse("5m"), 300000);
	ck_assert_int_eq(sd_duration_parse("1h"), 3600000);
	ck_assert_int_eq(sd_duration_parse("24h"), 86400000);
	ck_assert_int_eq(sd_duration_parse("25h"), -1);
	ck_assert_int_eq(sd_duration_parse("30"), -1);
	ck_assert_int_eq(sd_duration_parse("-1s"), -1);
	ck_assert_int_eq(sd_duration_parse("1 s"), -1);
	ck_assert_int_eq(sd_duration_parse("99999999999999999999s"), -1);
	sd_duration_format(300000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "5m");
	sd_duration_format(90000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "90s");
	sd_duration_format(250, buf, sizeof(buf));
	ck_assert_str_eq(buf, "250ms");
}
END_TEST

START_TEST(secrets_are_masked)
{
	struct sd_vars v = { 0 };
	struct sd_redactor r = { 0 };
	char *m;

	sd_vars_set(&v, "RRS_KEY_PASSPHRASE", "hunter2", SD_VAR_ENV);
	sd_vars_set(&v, "PLAIN", "visible", SD_VAR_FILE);
	sd_vars_secrets(&v, &r);
	m = sd_redact(&r, "pass=hunter2 plain=visible hunter2");
	ck_assert_str_eq(m, "pass=*** plain=visible ***");
	free(m);
	sd_redact_release(&r);
	sd_vars_release(&v);
}
END_TEST

Suite *
drill_suite(void)
{
	Suite *s = suite_create("drill");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parses_circular_session);
	tcase_add_test(tc, cmdline_beats_file_beats_environment);
	tcase_add_test(tc, nested_names_and_escapes);
	tcase_add_test(tc, bom_and_crlf_accepted);
	tcase_add_test(tc, unknown_verb_suggests);
	tcase_add_test(tc, limit_channels_and_inflight);
	tcase_add_test(tc, unknown_directive_suggests);
	tcase_add_test(tc, write_verbs_do_not_exist);
	tcase_add_test(tc, unterminated_quote);
	tcase_add_test(tc, undefined_variable);
	tcase_add_test(tc, all_errors_reported);
	tcase_add_test(tc, include_cycle_and_chain);
	tcase_add_test(tc, missing_include);
	tcase_add_test(tc, nul_and_bad_utf8);
	tcase_add_test(tc, huge_line_is_an_error);
	tcase_add_test(tc, duplicate_step_and_empty_target);
	tcase_add_test(tc, target_host_list_drops_ports);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, stat_takes_one_remote_path);
	tcase_add_test(tc, every_verb_is_documented);
	tcase_add_test(tc, secrets_are_masked);
	suite_add_tcase(s, tc);
	return s;
}
