/* test_junit.c — the JUnit writer stays well-formed whatever the server sends. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "helpers.h"
#include "sftpdrill/evidence/junit.h"
#include "sftpdrill/base/util.h"

static const char hostile[] = "evil ]]> <tag> & \"q\" 'a' \x01\x1b[31m \xff\xfe bad utf8 \xc3\xa9 ok";

static xmlDocPtr
write_and_parse(struct sd_run *run, char **out_path, const char **out_dir)
{
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/junit.xml", dir);
	struct sd_err err;

	sd_run_set(&run->title, hostile);
	ck_assert_int_eq(sd_junit_write(run, path, &err), 0);
	*out_path = path;
	*out_dir = dir;
	return xmlReadFile(path, NULL, XML_PARSE_NONET);
}

START_TEST(hostile_text_stays_well_formed)
{
	struct sd_run run = { 0 };
	struct sd_suite *s = sd_run_add_suite(&run, hostile, "h:1", "set", 0);
	struct sd_case *c;
	char *path;
	const char *dir;
	xmlDocPtr doc;

	sd_suite_prop(s, "server.banner", hostile);
	c = sd_suite_add_case(s, hostile);
	c->status = SD_FAIL;
	c->kind = SD_KIND_COUNT_MISMATCH;
	c->message = sd_xstrdup(hostile);
	c->detail = sd_xstrdup(hostile);
	c = sd_suite_add_case(s, "skipped one");
	c->status = SD_SKIP;
	c->message = sd_xstrdup("not run");
	c = sd_suite_add_case(s, "errored");
	c->status = SD_ERROR;
	c->kind = SD_KIND_LOCAL_IO_ERROR;
	c->message = sd_xstrdup("disk full");
	doc = write_and_parse(&run, &path, &dir);
	ck_assert_ptr_nonnull(doc);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	ck_assert_str_eq((const char *)root->name, "testsuites");
	/* The root declares no totals (it could not say `skipped`); the suite declares all four. */
	ck_assert_ptr_null(xmlGetProp(root, BAD_CAST "tests"));
	xmlNodePtr suite = root->children;
	while (suite && suite->type != XML_ELEMENT_NODE)
		suite = suite->next;
	xmlChar *tests = xmlGetProp(suite, BAD_CAST "tests"), *fail = xmlGetProp(suite, BAD_CAST "failures"),
	    *errs = xmlGetProp(suite, BAD_CAST "errors"), *skip = xmlGetProp(suite, BAD_CAST "skipped"),
	    *ts = xmlGetProp(suite, BAD_CAST "timestamp");
	ck_assert_str_eq((char *)tests, "3");
	ck_assert_str_eq((char *)fail, "1");
	ck_assert_str_eq((char *)errs, "1");
	ck_assert_str_eq((char *)skip, "1");
	ck_assert((char *)ts != NULL && ts[xmlStrlen(ts) - 1] == 'Z');
	xmlFree(tests); xmlFree(fail); xmlFree(errs); xmlFree(skip); xmlFree(ts);
	xmlFreeDoc(doc);
	sd_run_release(&run);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(what_was_written_reads_back)
{
	struct sd_run run = { 0 }, back = { 0 };
	struct sd_suite *s = sd_run_add_suite(&run, "Drill", "h:1", "secondary", 1);
	struct sd_case *c;
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/junit.xml", dir);
	struct sd_err err;

	sd_suite_prop(s, "drill", "Drill");
	sd_suite_prop(s, "endpoint", "h:1");
	sd_suite_prop(s, "target", "secondary");
	sd_suite_prop(s, "user", "CP0042");
	c = sd_suite_add_case(s, "Login");
	c->message = sd_xstrdup("logged in");
	c->detail = sd_xstrdup("line 1\nline 2\n");
	c->time = 0.25;
	c = sd_suite_add_case(s, "Count");
	c->status = SD_FAIL;
	c->kind = SD_KIND_COUNT_MISMATCH;
	c->message = sd_xstrdup("15 files, 14 on 2023-04-14");
	c = sd_suite_add_case(s, "Logout");
	c->status = SD_SKIP;
	c->kind = SD_KIND_SKIPPED;
	c->message = sd_xstrdup("not run");
	sd_run_set(&run.title, "Title");
	ck_assert_int_eq(sd_junit_write(&run, path, &err), 0);
	ck_assert_int_eq(sd_junit_read(path, &back, &err), 0);
	ck_assert_str_eq(back.title, "Title");
	ck_assert_uint_eq(back.nsuites, 1);
	ck_assert_str_eq(back.suites[0]->name, run.suites[0]->name);
	ck_assert_str_eq(back.suites[0]->classname, run.suites[0]->classname);
	ck_assert_str_eq(sd_suite_get_prop(back.suites[0], "user"), "CP0042");
	ck_assert_uint_eq(back.suites[0]->ncases, 3);
	ck_assert_str_eq(back.suites[0]->cases[0].message, "logged in");
	ck_assert_str_eq(back.suites[0]->cases[0].detail, "line 1\nline 2\n");
	ck_assert_int_eq(back.suites[0]->cases[1].kind, SD_KIND_COUNT_MISMATCH);
	ck_assert_str_eq(back.suites[0]->cases[1].message, "15 files, 14 on 2023-04-14");
	ck_assert_int_eq(back.suites[0]->cases[2].status, SD_SKIP);
	ck_assert_int_eq(sd_run_exit_status(&back), sd_run_exit_status(&run));
	sd_run_release(&run);
	sd_run_release(&back);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

/* The string value of an XPath expression over doc (static storage, valid until the next call). */
static const char *
xpath(xmlDocPtr doc, const char *expr)
{
	static char value[1024];
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlChar *s = obj ? xmlXPathCastToString(obj) : NULL;

	snprintf(value, sizeof(value), "%s", s ? (const char *)s : "");
	xmlFree(s);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return value;
}

/* One endpoint's suite with steps ok, fail and skip: what an attempt at it might give. */
static struct sd_suite *
attempt_at(struct sd_run *run, const char *ep, enum sd_status login, enum sd_kind why, time_t at)
{
	struct sd_suite *s = sd_run_add_suite(run, "Drill", ep, "secondary", 0);
	struct sd_case *c = sd_suite_add_case(s, "Reach");

	c->status = login == SD_PASS || why != SD_KIND_CONNECT_REFUSED ? SD_PASS : SD_FAIL;
	c->kind = c->status == SD_PASS ? SD_KIND_NONE : why;
	c->message = sd_xstrdup(c->status == SD_PASS ? "connected" : "refused");
	c->started = at;
	c = sd_suite_add_case(s, "Login");
	c->status = login == SD_PASS ? SD_PASS : why == SD_KIND_CONNECT_REFUSED ? SD_SKIP : login;
	c->kind = c->status == SD_PASS ? SD_KIND_NONE : c->status == SD_SKIP ? SD_KIND_SKIPPED : why;
	c->message = sd_xstrdup(c->status == SD_PASS ? "logged in" : "no");
	c->started = at;
	return s;
}

/* Attempts at an endpoint fold into one suite; earlier failures become Surefire reruns, read back alike. */
START_TEST(retried_endpoints_are_one_suite_with_surefire_reruns)
{
	struct sd_run run = { 0 }, back = { 0 };
	struct sd_verdict v;
	struct sd_buf line = SD_BUF_INIT(0);
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/junit.xml", dir);
	xmlDocPtr doc;
	struct sd_err err;

	attempt_at(&run, "a:1", SD_FAIL, SD_KIND_CONNECT_REFUSED, 1681540200);    /* attempt 1: a refused */
	attempt_at(&run, "b:1", SD_FAIL, SD_KIND_AUTH_REJECTED, 1681540200);      /* attempt 1: b rejected */
	attempt_at(&run, "a:1", SD_PASS, SD_KIND_NONE, 1681540500);               /* attempt 2: a passes */
	attempt_at(&run, "b:1", SD_ERROR, SD_KIND_KEY_UNREADABLE, 1681540500);    /* attempt 2: b errs */
	sd_run_fold_attempts(&run);
	ck_assert_uint_eq(run.nsuites, 2);
	ck_assert_str_eq(run.suites[0]->name, "Drill @ a:1");
	ck_assert_int_eq(run.suites[0]->attempts, 2);
	ck_assert_int_eq(run.suites[0]->cases[0].status, SD_PASS);
	ck_assert_uint_eq(run.suites[0]->cases[0].nreruns, 1);
	ck_assert_uint_eq(run.suites[0]->cases[1].nreruns, 0);        /* a skip is no earlier attempt */
	ck_assert_uint_eq(run.suites[1]->cases[1].nreruns, 1);
	sd_run_verdict_of(&run, &v);
	ck_assert_uint_eq(v.retried, 1);
	ck_assert_int_eq(v.exit_status, 3);
	sd_verdict_line(&v, &line);
	ck_assert_str_eq(sd_buf_str(&line), "3 passed, 0 failed, 1 errors, 0 skipped — NOT ALL STEPS PASSED; 1 passed "
	    "after 2 attempts");
	sd_run_set(&run.title, "t");
	ck_assert_int_eq(sd_junit_write(&run, path, &err), 0);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ck_assert_str_eq(xpath(doc, "string(count(//testcase))"), "4");
	ck_assert_str_eq(xpath(doc, "string(//testsuite[1]/testcase[1]/flakyFailure/@type)"), "ConnectRefused");
	ck_assert_str_eq(xpath(doc, "string(//testsuite[2]/testcase[2]/error/@type)"), "KeyUnreadable");
	ck_assert_str_eq(xpath(doc, "string(//testsuite[2]/testcase[2]/rerunFailure/@type)"), "AuthRejected");
	ck_assert_ptr_nonnull(strstr(xpath(doc, "string(//testsuite[1]/testcase[1]/flakyFailure/stackTrace)"),
	    "attempt 1 of 2 at 2023-04-15T06:30:00Z"));
	xmlFreeDoc(doc);
	ck_assert_int_eq(sd_junit_read(path, &back, &err), 0);
	ck_assert_uint_eq(back.suites[0]->cases[0].nreruns, 1);
	ck_assert_int_eq(back.suites[0]->cases[0].reruns[0].kind, SD_KIND_CONNECT_REFUSED);
	ck_assert_int_eq(back.suites[0]->cases[0].reruns[0].started, 1681540200);
	ck_assert_int_eq(back.suites[0]->attempts, 2);
	ck_assert_str_eq(sd_run_verdict(&back), sd_run_verdict(&run));
	ck_assert_int_eq(sd_run_exit_status(&back), 3);
	sd_buf_release(&line);
	sd_run_release(&run);
	sd_run_release(&back);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

/* A stopped run and a rehearsal read back as what they were: every writer's verdict is the model's. */
START_TEST(a_stop_and_a_rehearsal_survive_the_round_trip)
{
	struct sd_run run = { 0 }, back = { 0 };
	struct sd_suite *s = attempt_at(&run, "a:1", SD_PASS, SD_KIND_NONE, 1681540200);
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/junit.xml", dir);
	struct sd_err err;

	run.interrupted = 15;
	sd_run_set(&run.mode, "REHEARSAL — outside the window");
	sd_suite_prop(s, "run.mode", run.mode);
	sd_suite_prop(s, "run.interrupted", "signal 15 (TERM) while waiting for the window of Drill");
	ck_assert_str_eq(sd_run_verdict(&run), "INCOMPLETE");
	ck_assert_int_eq(sd_run_exit_status(&run), 143);
	ck_assert_int_eq(sd_junit_write(&run, path, &err), 0);
	ck_assert_int_eq(sd_junit_read(path, &back, &err), 0);
	ck_assert_str_eq(sd_run_verdict(&back), "INCOMPLETE");
	ck_assert_int_eq(sd_run_exit_status(&back), 143);
	ck_assert_str_eq(back.mode, "REHEARSAL — outside the window");
	sd_run_release(&run);
	sd_run_release(&back);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(times_have_a_dot_and_three_decimals)
{
	struct sd_run run = { 0 };
	struct sd_suite *s = sd_run_add_suite(&run, "d", "h:1", "set", 0);
	struct sd_case *c = sd_suite_add_case(s, "a");
	char *path, buf[8192];
	const char *dir;
	FILE *f;
	size_t n;

	c->time = 1.23456;
	s->time = 12345.6789;
	xmlFreeDoc(write_and_parse(&run, &path, &dir));
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "time=\"1.235\""));
	ck_assert_ptr_nonnull(strstr(buf, "time=\"12345.679\""));
	ck_assert_ptr_null(strstr(buf, "]]>"));
	sd_run_release(&run);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(failed_write_leaves_nothing)
{
	struct sd_run run = { 0 };
	struct sd_err err;

	sd_run_add_suite(&run, "d", "h:1", "set", 0);
	ck_assert_int_eq(sd_junit_write(&run, "/nonexistent-dir/junit.xml", &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_LOCAL_IO_ERROR);
	sd_run_release(&run);
}
END_TEST

START_TEST(exit_status_from_results)
{
	struct sd_run run = { 0 };
	struct sd_suite *s = sd_run_add_suite(&run, "d", "h:1", "set", 0);

	sd_suite_add_case(s, "a")->status = SD_PASS;
	ck_assert_int_eq(sd_run_exit_status(&run), 0);
	sd_suite_add_case(s, "b")->status = SD_SKIP;
	ck_assert_int_eq(sd_run_exit_status(&run), 1);
	sd_suite_add_case(s, "c")->status = SD_FAIL;
	ck_assert_int_eq(sd_run_exit_status(&run), 1);
	sd_suite_add_case(s, "d")->status = SD_ERROR;
	ck_assert_int_eq(sd_run_exit_status(&run), 3);
	sd_run_release(&run);
}
END_TEST

Suite *
junit_suite(void)
{
	Suite *s = suite_create("junit");
	TCase *tc = tcase_create("junit");

	tcase_add_test(tc, hostile_text_stays_well_formed);
	tcase_add_test(tc, what_was_written_reads_back);
	tcase_add_test(tc, times_have_a_dot_and_three_decimals);
	tcase_add_test(tc, failed_write_leaves_nothing);
	tcase_add_test(tc, retried_endpoints_are_one_suite_with_surefire_reruns);
	tcase_add_test(tc, a_stop_and_a_rehearsal_survive_the_round_trip);
	tcase_add_test(tc, exit_status_from_results);
	suite_add_tcase(s, tc);
	return s;
}
