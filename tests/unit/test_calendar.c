/* test_calendar.c — business days on real Hong Kong dates, and baseline manifests. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/domain/backup.h"
#include "sftpdrill/evidence/bundle.h"

static struct sd_calendar cal;

static void
setup(void)
{
	struct sd_err err;

	memset(&cal, 0, sizeof(cal));
	/* The shipped list: the tests run from the top of the tree. */
	ck_assert_int_eq(sd_calendar_load(&cal, "scenarios/hkex-rrs/hk-holidays.txt", &err), 0);
}

static void
teardown(void)
{
	sd_calendar_release(&cal);
}

/* The last business day before `date`, as text. */
static const char *
last(const char *date)
{
	static char out[16];
	long d;

	ck_assert_int_eq(sd_date_parse(date, &d), 0);
	sd_date_format(sd_calendar_last_business(&cal, d), 0, out, sizeof(out));
	return out;
}

START_TEST(circular_session_day)
{
	/* Saturday 15 April 2023, the connectivity sessions: compare with Friday. */
	ck_assert_str_eq(last("2023-04-15"), "2023-04-14");
}
END_TEST

START_TEST(easter_2023)
{
	/* Good Friday 7, the day following 8, Easter Monday 10 April. */
	ck_assert_str_eq(last("2023-04-11"), "2023-04-06");
	ck_assert_str_eq(last("2023-04-10"), "2023-04-06");
	ck_assert_str_eq(last("2023-04-07"), "2023-04-06");
	/* Ching Ming (Wed 5 April) too. */
	ck_assert_str_eq(last("2023-04-06"), "2023-04-04");
}
END_TEST

START_TEST(lunar_new_year)
{
	/* 2023: 23-25 January closed; 2024: 12-13 February (fourth day in lieu). */
	ck_assert_str_eq(last("2023-01-26"), "2023-01-20");
	ck_assert_str_eq(last("2024-02-14"), "2024-02-09");
	ck_assert_str_eq(last("2025-02-03"), "2025-01-28");
}
END_TEST

START_TEST(sunday_holiday_substitution)
{
	/* 1 January 2023 was a Sunday: Monday 2 January was the holiday. */
	ck_assert_str_eq(last("2023-01-03"), "2022-12-30");
	/* National Day 2023 on a Sunday: Monday 2 October closed. */
	ck_assert_str_eq(last("2023-10-03"), "2023-09-29");
	/* Christmas 2027 on a Saturday: Monday 27 December closed. */
	ck_assert_str_eq(last("2027-12-28"), "2027-12-24");
}
END_TEST

START_TEST(typhoon_closure)
{
	long d;

	/* A signal No. 8 closing the market on Friday 14 April 2023. */
	ck_assert_int_eq(sd_date_parse("2023-04-14", &d), 0);
	sd_calendar_close(&cal, d, NULL);
	ck_assert_str_eq(last("2023-04-15"), "2023-04-13");
	ck_assert(!sd_calendar_is_business(&cal, d));
}
END_TEST

START_TEST(why_a_day_is_closed)
{
	char why[200];
	long d;

	ck_assert_int_eq(sd_date_parse("2023-04-22", &d), 0);
	ck_assert_int_eq(sd_calendar_why(&cal, d, why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Saturday 2023-04-22");
	ck_assert_int_eq(sd_date_parse("2023-05-01", &d), 0);
	ck_assert_int_eq(sd_calendar_why(&cal, d, why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Monday 2023-05-01, Labour Day (hk-holidays.txt)");
	/* A closure added twice keeps its first reason; a business day has none. */
	ck_assert_int_eq(sd_date_parse("2023-04-19", &d), 0);
	sd_calendar_close(&cal, d, "typhoon signal No. 8");
	sd_calendar_close(&cal, d, NULL);
	ck_assert_int_eq(sd_calendar_why(&cal, d, why, sizeof(why)), 1);
	ck_assert_str_eq(why, "Wednesday 2023-04-19, typhoon signal No. 8");
	ck_assert_int_eq(sd_calendar_why(&cal, d + 1, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(dates)
{
	long d;
	char buf[16];

	ck_assert_int_eq(sd_date_parse("1970-01-01", &d), 0);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(sd_date_weekday(d), 4);
	ck_assert_int_eq(sd_date_parse("2024-02-29", &d), 0);
	sd_date_format(d, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "20240229");
	ck_assert_int_eq(sd_date_parse("2023-02-29", &d), -1);
	ck_assert_int_eq(sd_date_parse("2023-4-15", &d), -1);
	ck_assert_int_eq(sd_date_parse("2023-04-15x", &d), -1);
	/* Hong Kong's day turns at 16:00 UTC: 15:59:59 is still the 14th, 16:00:00 the 15th. */
	ck_assert_int_eq(sd_date_at(1681487999, 8 * 3600), sd_date_at(1681487999, 0));
	ck_assert_int_eq(sd_date_at(1681488000, 8 * 3600) - sd_date_at(1681488000, 0), 1);
}
END_TEST

START_TEST(bad_holiday_file)
{
	const char *dir = tmpdir_new();
	char *path = write_text(dir, "h.txt", "# ok\n2023-04-07 Good Friday\n07/04/2023 Good Friday\n", 51);
	struct sd_calendar c = { 0 };
	struct sd_err err;

	ck_assert_int_eq(sd_calendar_load(&c, path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "h.txt:3:"));
	sd_calendar_release(&c);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

/* The holiday list says which days it knows: its `covers` line, else the whole years of its dates. */
START_TEST(coverage_of_the_holiday_list)
{
	const char *dir = tmpdir_new();
	char *years = write_text(dir, "y.txt", "2024-02-12 x\n2025-12-25 y\n", 26);
	char *closures = write_text(dir, "c.txt", "# none\n", 7);
	char *bad = write_text(dir, "b.txt", "covers 2025-01-01\n", 18);
	struct sd_calendar c = { 0 };
	struct sd_err err;
	char why[512];
	long d;

	ck_assert_int_eq(sd_date_parse("2027-12-31", &d), 0);
	ck_assert_int_eq(sd_calendar_covers(&cal, d), 1);
	ck_assert_int_eq(sd_calendar_uncovered(&cal, d, why, sizeof(why)), 0);
	ck_assert_int_eq(sd_calendar_covers(&cal, d + 1), 0);
	ck_assert_int_eq(sd_calendar_uncovered(&cal, d + 1, why, sizeof(why)), 1);
	ck_assert_ptr_nonnull(strstr(why, "2028-01-01 is after the last day the holiday list covers (2027-12-31, hk-holidays.txt)"));
	ck_assert_int_eq(sd_date_parse("2022-12-31", &d), 0);
	ck_assert_int_eq(sd_calendar_covers(&cal, d), 0);
	/* No `covers` line: the years of its dates. A file of closures alone claims nothing. */
	ck_assert_int_eq(sd_calendar_covers(&c, d), -1);
	ck_assert_int_eq(sd_calendar_load(&c, closures, &err), 0);
	ck_assert_int_eq(sd_calendar_covers(&c, d), -1);
	ck_assert_int_eq(sd_calendar_load(&c, years, &err), 0);
	ck_assert_int_eq(sd_date_parse("2024-01-01", &d), 0);
	ck_assert_int_eq(sd_calendar_covers(&c, d), 1);
	ck_assert_int_eq(sd_calendar_covers(&c, d - 1), 0);
	ck_assert_int_eq(sd_date_parse("2025-12-31", &d), 0);
	ck_assert_int_eq(sd_calendar_covers(&c, d), 1);
	ck_assert_int_eq(sd_calendar_covers(&c, d + 1), 0);
	sd_calendar_release(&c);
	ck_assert_int_eq(sd_calendar_load(&c, bad, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "b.txt:1: expected `covers YYYY-MM-DD YYYY-MM-DD`"));
	sd_calendar_release(&c);
	free(years);
	free(closures);
	free(bad);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(manifest_round_trip_and_diff)
{
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/m/x.manifest", dir);
	const char *header[] = { "business-date", "2023-04-14", NULL };
	struct sd_manifest a = { 0 }, b = { 0 }, now = { 0 };
	struct sd_strv added = { 0 }, removed = { 0 };
	struct sd_err err;

	sd_manifest_add(&a, "TP002 with space.csv", 'f', 10, 1681400000);
	sd_manifest_add(&a, "TP001%.csv", 'f', 20, -1);
	sd_manifest_add(&a, "sub", 'd', 0, 5);
	sd_manifest_add(&a, "gone\nline.csv", 'f', 1, 1);
	sd_manifest_sort(&a);
	ck_assert_int_eq(sd_manifest_write(&a, path, header, &err), 0);
	ck_assert_int_eq(sd_manifest_read(path, &b, &err), 0);
	ck_assert_uint_eq(b.n, 4);
	ck_assert_uint_eq(sd_manifest_files(&b), 3);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_str_eq(a.v[i].name, b.v[i].name);
		ck_assert_int_eq(a.v[i].mtime, b.v[i].mtime);
	}
	sd_manifest_add(&now, "TP001%.csv", 'f', 20, -1);
	sd_manifest_add(&now, "TP002 with space.csv", 'f', 10, 1);
	sd_manifest_add(&now, "TP003.csv", 'f', 1, 1);
	sd_manifest_add(&now, "newdir", 'd', 0, 1);
	sd_manifest_sort(&now);
	sd_manifest_diff(&b, &now, &added, &removed);
	ck_assert_uint_eq(added.n, 1);
	ck_assert_str_eq(added.v[0], "TP003.csv");
	ck_assert_uint_eq(removed.n, 1);
	ck_assert_str_eq(removed.v[0], "gone\nline.csv");
	sd_strv_release(&added);
	sd_strv_release(&removed);
	sd_manifest_release(&a);
	sd_manifest_release(&b);
	sd_manifest_release(&now);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(baseline_lookup_prefers_own_endpoint)
{
	const char *dir = tmpdir_new();
	char *own, *found;

	free(write_text(dir, "b.manifest", "", 0));
	free(write_text(dir, "a.manifest", "", 0));
	found = sd_baseline_find(dir, "c");
	ck_assert_ptr_nonnull(strstr(found, "/a.manifest"));
	free(found);
	own = sd_baseline_file(dir, "b");
	found = sd_baseline_find(dir, "b");
	ck_assert_str_eq(found, own);
	free(found);
	free(own);
	found = sd_baseline_find("/nonexistent", "b");
	ck_assert_ptr_null(found);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(key_reference)
{
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/k/key-reference", dir);
	struct sd_err err;
	int rec;

	/* Not allowed to record: a missing reference is a failure, and nothing is written. */
	ck_assert_int_eq(sd_keyref_check(path, "userkey", "SHA256:aaa", 0, &rec, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_KEY_REFERENCE_MISSING);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(sd_keyref_check(path, "userkey", "SHA256:aaa", 1, &rec, &err), 0);
	ck_assert_int_eq(rec, 1);
	ck_assert_int_eq(sd_keyref_check(path, "userkey", "SHA256:aaa", 0, &rec, &err), 0);
	ck_assert_int_eq(rec, 0);
	ck_assert_int_eq(sd_keyref_check(path, "userkey", "SHA256:bbb", 1, &rec, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_KEY_CHANGED);
	ck_assert_ptr_nonnull(strstr(err.msg, "SHA256:aaa"));
	ck_assert_int_eq(sd_keyref_check(path, "hostkey@h:1", "SHA256:ccc", 1, &rec, &err), 0);
	ck_assert_int_eq(rec, 1);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(account_state_ledger_and_migration)
{
	const char *dir = tmpdir_new();
	char *account = sd_account_dir(dir, "hkex-rrs", "CP/0042"), *legacy = sd_xasprintf("%s/old", dir), *p;
	char from[4096];
	struct sd_err err;
	long *days, d;
	size_t n;

	/* Each part is one safe component; a slash in a user ID cannot make a folder. */
	ck_assert_ptr_nonnull(strstr(account, "/hkex-rrs/CP%2F0042"));
	ck_assert_int_eq(sd_account_has_history(account), 0);
	ck_assert_int_eq(sd_ledger_days(account, &days, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(sd_date_parse("2023-04-18", &d), 0);
	ck_assert_int_eq(sd_ledger_add(account, d, "h:1", "14 files", &err), 0);
	ck_assert_int_eq(sd_ledger_add(account, d - 1, "h:1", "14 files", &err), 0);
	ck_assert_int_eq(sd_ledger_add(account, d, "h:2", "14 files", &err), 0);
	ck_assert_int_eq(sd_account_has_history(account), 1);
	ck_assert_int_eq(sd_ledger_days(account, &days, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(days[0], d - 1);
	ck_assert_int_eq(days[1], d);
	free(days);
	p = sd_baseline_dir(account, "/reports", d);
	ck_assert_ptr_nonnull(strstr(p, "/CP%2F0042/baselines/%2Freports/2023-04-18"));
	free(p);
	/* State of before 0.2 (PROFILE/USER relative to the folder it ran in) is copied in, once. */
	free(account);
	account = sd_account_dir(dir, "svc", "cp1");
	free(write_text(dir, "old/hkex-rrs/cp1/key-reference", "userkey SHA256:aaa\n", 19));
	free(write_text(dir, "old/hkex-rrs/cp1/%2Freports/2023-04-14/h_1.manifest", "# x\n", 4));
	ck_assert_int_eq(sd_state_migrate(legacy, "hkex-rrs", "cp1", account, from, sizeof(from), &err), 1);
	ck_assert_ptr_nonnull(strstr(from, "/old/hkex-rrs/cp1"));
	p = sd_xasprintf("%s/baselines/%%2Freports/2023-04-14/h_1.manifest", account);
	ck_assert_int_eq(access(p, R_OK), 0);
	free(p);
	p = sd_keyref_path(account);
	ck_assert_int_eq(access(p, R_OK), 0);
	free(p);
	ck_assert_int_eq(sd_state_migrate(legacy, "hkex-rrs", "cp1", account, from, sizeof(from), &err), 0);
	free(account);
	free(legacy);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(windows_zones_and_clocks)
{
	struct sd_window w;
	time_t t;
	long off;
	struct sd_err err;

	ck_assert_int_eq(sd_window_parse("2023-04-15 14:30 15:30 Asia/Hong_Kong", &w, &err), 0);
	ck_assert_int_eq(w.offset, 8 * 3600);
	ck_assert_int_eq(w.start, 1681540200);          /* 06:30 UTC */
	ck_assert_int_eq(w.end - w.start, 3600);
	ck_assert_str_eq(w.zone, "Asia/Hong_Kong");
	ck_assert_int_eq(sd_window_parse("2023-04-15 14:30 15:30 +05:30", &w, &err), 0);
	ck_assert_int_eq(w.offset, 5 * 3600 + 1800);
	ck_assert_int_eq(sd_window_parse("2023-04-15 14:30 15:30 Mars/Olympus", &w, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_CONFIG_ERROR);
	ck_assert_int_eq(sd_iso8601_parse("2023-04-15T14:45:00+08:00", &t), 0);
	ck_assert_int_eq(t, 1681541100);
	ck_assert_int_eq(sd_iso8601_parse("2023-04-15T06:45:00Z", &t), 0);
	ck_assert_int_eq(t, 1681541100);
	ck_assert_int_eq(sd_iso8601_parse("2023-04-15 14:45:00+08:00", &t), -1);
	ck_assert_int_eq(sd_iso8601_parse("2023-04-15T14:45:00", &t), -1);
	ck_assert_int_eq(sd_iso8601_parse("2023-04-15T25:45:00Z", &t), -1);
	ck_assert_int_eq(sd_zone_offset("UTC", &off), 0);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(sd_zone_offset("-03:00", &off), 0);
	ck_assert_int_eq(off, -3 * 3600);
	ck_assert_int_eq(sd_zone_offset("+15:00", &off), -1);
}
END_TEST

START_TEST(sha256sums_map)
{
	const char *dir = tmpdir_new();
	char *path = sd_xasprintf("%s/SHA256SUMS", dir);
	struct sd_sums a = { 0 }, b = { 0 };
	struct sd_err err;
	static const char h1[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char h2[] = "2222222222222222222222222222222222222222222222222222222222222222";

	sd_sums_read(&a, path);                      /* missing: empty */
	ck_assert_uint_eq(a.n, 0);
	sd_sums_set(&a, "TP002.csv", h2);
	sd_sums_set(&a, "TP001.csv", h1);
	sd_sums_set(&a, "TP0010.csv", h2);
	sd_sums_set(&a, "TP002.csv", h1);            /* replaced, not added */
	ck_assert_uint_eq(a.n, 3);
	ck_assert_str_eq(sd_sums_get(&a, "TP002.csv"), h1);
	ck_assert_ptr_null(sd_sums_get(&a, "TP00"));
	ck_assert_int_eq(sd_sums_write(&a, path, &err), 0);
	sd_sums_read(&b, path);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_str_eq(sd_sums_get(&b, "TP0010.csv"), h2);
	/* Written in name order, in sha256sum's format. */
	ck_assert_str_eq(b.v[0].name, "TP001.csv");
	ck_assert_str_eq(b.v[1].name, "TP0010.csv");
	sd_sums_release(&a);
	sd_sums_release(&b);
	free(path);
	tmpdir_remove(dir);
}
END_TEST

Suite *
calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("hong-kong");
	TCase *tb = tcase_create("baseline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, circular_session_day);
	tcase_add_test(tc, easter_2023);
	tcase_add_test(tc, lunar_new_year);
	tcase_add_test(tc, sunday_holiday_substitution);
	tcase_add_test(tc, typhoon_closure);
	tcase_add_test(tc, why_a_day_is_closed);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, bad_holiday_file);
	tcase_add_test(tc, coverage_of_the_holiday_list);
	tcase_add_test(tb, manifest_round_trip_and_diff);
	tcase_add_test(tb, baseline_lookup_prefers_own_endpoint);
	tcase_add_test(tb, key_reference);
	tcase_add_test(tb, account_state_ledger_and_migration);
	tcase_add_test(tb, sha256sums_map);
	tcase_add_test(tc, windows_zones_and_clocks);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tb);
	return s;
}
