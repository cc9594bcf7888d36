/* test_roster.c — a roster of accounts: bad rows named and left out, secrets never written down, shards exact. */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sftpdrill/language/roster.h"

static int
has(const struct sd_diag *diag, const char *want)
{
	for (size_t i = 0; i < diag->n; i++)
		if (strstr(diag->v[i].text, want))
			return 1;
	return 0;
}

START_TEST(good_and_bad_rows)
{
	const char *dir = tmpdir_new();
	const char text[] = "# accounts of the vendor\n"
	    "name,user,key,passphrase,known_hosts\n"
	    "cp01,CP0001,/k/cp01,env:CP01_PP,\n"
	    "\"cp02\",CP0002,\"/k/with \"\"quotes\"\"\",,/kh\n"
	    "cp03,,/k/cp03,,\n"
	    "cp01,CP0004,/k/cp04,,\n"
	    "cp05,CP0005,/k/cp05,hunter2-secret,\n"
	    "\n"
	    "cp06,CP0006,/k/cp06,file:/run/pp/cp06,\n"
	    "../cp07,CP0007,/k/cp07,,\n";
	char *path = write_text(dir, "r.csv", text, strlen(text));
	struct sd_roster r;
	struct sd_diag diag = { 0 };

	ck_assert_int_eq(sd_roster_read(path, &r, &diag), 3);
	ck_assert_str_eq(r.v[0].name, "cp01");
	ck_assert_str_eq(r.v[0].passphrase, "env:CP01_PP");
	ck_assert_ptr_null(r.v[0].known_hosts);
	ck_assert_str_eq(r.v[1].name, "cp02");
	ck_assert_str_eq(r.v[1].key, "/k/with \"quotes\"");
	ck_assert_str_eq(r.v[1].known_hosts, "/kh");
	ck_assert_str_eq(r.v[2].name, "cp06");
	ck_assert_int_eq(r.rows, 7);
	ck_assert_int_eq(r.v[2].index, 5);      /* bad rows keep their place: shards do not shift */
	ck_assert_uint_eq(diag.nerrors, 4);
	ck_assert(has(&diag, "r.csv:5: error: a row needs a name, a user and a key (user is empty)"));
	ck_assert(has(&diag, "r.csv:6: error: account `cp01` is already on line 3"));
	ck_assert(has(&diag, "r.csv:7: error: account `cp05`: the passphrase column: write where the passphrase is"));
	/* A name becomes a folder: nothing that climbs out of one. */
	ck_assert(has(&diag, "r.csv:10: error: account name `../cp07`: it names folders"));
	/* A passphrase written in clear is never repeated in a message. */
	for (size_t i = 0; i < diag.n; i++)
		ck_assert_ptr_null(strstr(diag.v[i].text, "hunter2"));
	/* The bad rows are kept, for the evidence: where, whose (when the name can name a folder), why. */
	ck_assert_uint_eq(r.nbad, 4);
	ck_assert_int_eq(r.bad[0].line, 5);
	ck_assert_str_eq(r.bad[0].name, "cp03");
	ck_assert_int_eq(r.bad[2].index, 4);
	ck_assert_ptr_null(r.bad[3].name);
	ck_assert_ptr_null(strstr(r.bad[2].why, "hunter2"));
	/* A row found bad later (its key unreadable) joins them in file order. */
	sd_roster_reject(&r, 1, "account `cp02`: private key /k/with \"quotes\": No such file or directory");
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.v[1].name, "cp06");
	ck_assert_uint_eq(r.nbad, 5);
	ck_assert_int_eq(r.bad[0].line, 4);
	ck_assert_str_eq(r.bad[0].name, "cp02");
	ck_assert_int_eq(r.bad[1].line, 5);
	sd_roster_release(&r);
	sd_diag_release(&diag);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(account_names)
{
	ck_assert(sd_account_name_ok("cp0042"));
	ck_assert(sd_account_name_ok("CP_0042.vendor-a"));
	ck_assert(!sd_account_name_ok(""));
	ck_assert(!sd_account_name_ok(".hidden"));
	ck_assert(!sd_account_name_ok("-rf"));
	ck_assert(!sd_account_name_ok("a/b"));
	ck_assert(!sd_account_name_ok("cp 42"));
	ck_assert(!sd_account_name_ok("x123456789x123456789x123456789x123456789x123456789x123456789x1234"));
}
END_TEST

START_TEST(bad_header_keeps_nothing)
{
	const char *dir = tmpdir_new();
	const char text[] = "name,usr,key\ncp01,CP0001,/k\n";
	char *path = write_text(dir, "h.csv", text, strlen(text));
	struct sd_roster r;
	struct sd_diag diag = { 0 };

	ck_assert_int_eq(sd_roster_read(path, &r, &diag), -1);
	ck_assert(has(&diag, "h.csv:1: error: unknown column `usr`; did you mean `user`?"));
	sd_diag_release(&diag);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

/* A CI's secrets folder named in the environment: ${NAME} in the path columns; an unset one is a bad row. */
START_TEST(paths_from_the_environment)
{
	const char *dir = tmpdir_new();
	const char *text = "name,user,key,passphrase,known_hosts\n"
	    "cp01,CP01,${SD_TEST_SECRETS}/cp01,file:${SD_TEST_SECRETS}/cp01.pass,${SD_TEST_SECRETS}/kh\n"
	    "cp02,CP02,${SD_TEST_NOT_SET}/cp02,,\n";
	char *path = write_text(dir, "e.csv", text, strlen(text));
	struct sd_roster r = { 0 };
	struct sd_diag diag = { 0 };

	setenv("SD_TEST_SECRETS", "/run/ci-secrets", 1);
	unsetenv("SD_TEST_NOT_SET");
	ck_assert_int_eq(sd_roster_read(path, &r, &diag), 1);
	ck_assert_str_eq(r.v[0].key, "/run/ci-secrets/cp01");
	ck_assert_str_eq(r.v[0].passphrase, "file:/run/ci-secrets/cp01.pass");
	ck_assert_str_eq(r.v[0].known_hosts, "/run/ci-secrets/kh");
	ck_assert_uint_eq(r.nbad, 1);
	ck_assert_ptr_nonnull(strstr(r.bad[0].why, "${SD_TEST_NOT_SET} is not set in the environment"));
	sd_roster_release(&r);
	sd_diag_release(&diag);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(shards_cover_every_row_once)
{
	for (int n = 1; n <= 7; n++)
		for (int i = 0; i < 40; i++) {
			int hits = 0;
			for (int k = 1; k <= n; k++)
				hits += sd_roster_in_shard(i, k, n);
			ck_assert_int_eq(hits, 1);
		}
}
END_TEST

Suite *
roster_suite(void)
{
	Suite *s = suite_create("roster");
	TCase *tc = tcase_create("roster");

	tcase_add_test(tc, good_and_bad_rows);
	tcase_add_test(tc, bad_header_keeps_nothing);
	tcase_add_test(tc, account_names);
	tcase_add_test(tc, paths_from_the_environment);
	tcase_add_test(tc, shards_cover_every_row_once);
	suite_add_tcase(s, tc);
	return s;
}
