/* test_util.c — encodings, fingerprints, local-name safety. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/base/util.h"

START_TEST(remote_folders_keep_apart_locally)
{
	static const char *const cases[][2] = {
		{ "/reports", "reports" }, { "/reports/daily/", "reports/daily" }, { "/", "" }, { "//a//b", "a/b" },
		{ "reports", "~/reports" }, { ".", "~" }, { "/a/../b", "a/%2E%2E/b" }, { "/50%", "%35%30%25" },
		{ "/~", "%7E" }, { "/a/./b", "a/b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = sd_remote_folder_path(cases[i][0]);
		ck_assert_msg(strcmp(got, cases[i][1]) == 0, "%s gave %s, not %s", cases[i][0], got, cases[i][1]);
		free(got);
	}
}
END_TEST

START_TEST(fingerprint_of_empty_input)
{
	char fp[64];

	/* sha256("") in OpenSSH's unpadded base64 form. */
	sd_sha256_fingerprint((const unsigned char *)"", 0, fp, sizeof(fp));
	ck_assert_str_eq(fp, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
}
END_TEST

START_TEST(base64_round_trip_and_rejects)
{
	size_t n;
	unsigned char *out = sd_base64_decode("aGVsbG8", 7, &n);   /* unpadded "hello" */

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(out, "hello", 5), 0);
	free(out);
	out = sd_base64_decode("aGVsbG8=", 8, &n);
	ck_assert_uint_eq(n, 5);
	free(out);
	ck_assert_ptr_null(sd_base64_decode("a b", 3, &n));
	ck_assert_ptr_null(sd_base64_decode("", 0, &n));
}
END_TEST

START_TEST(safe_local_names)
{
	ck_assert(sd_safe_local_name("TP001_CP0001_20230414.csv"));
	ck_assert(sd_safe_local_name("réport.pdf"));
	ck_assert(!sd_safe_local_name(""));
	ck_assert(!sd_safe_local_name("."));
	ck_assert(!sd_safe_local_name(".."));
	ck_assert(!sd_safe_local_name("../etc/passwd"));
	ck_assert(!sd_safe_local_name("a/b"));
	ck_assert(!sd_safe_local_name("a\\b"));
	ck_assert(!sd_safe_local_name("a\nb"));
	ck_assert(!sd_safe_local_name("a\x1b[31mb"));
	ck_assert(!sd_safe_local_name("a\xc2\x9b" "b"));              /* C1 CSI, UTF-8 encoded */
	ck_assert(!sd_safe_local_name("invoice\xe2\x80\xae" "fdp.exe")); /* U+202E right-to-left override */
	ck_assert(!sd_safe_local_name("bad\xff.csv"));              /* invalid UTF-8 */
	ck_assert(!sd_safe_local_name(".TP001.csv.sftpdrill-0a1b2c3d"));
	ck_assert(sd_safe_local_name(".TP001.csv.sftpdrill-notatemp"));
	{
		char name[SD_NAME_MAX + 2];
		memset(name, 'L', sizeof(name) - 1);
		name[SD_NAME_MAX + 1] = '\0';
		ck_assert(!sd_safe_local_name(name));
		name[SD_NAME_MAX] = '\0';
		ck_assert(sd_safe_local_name(name));
	}
}
END_TEST

START_TEST(printable_and_xml_text)
{
	char *p = sd_printable("ok\x01\xff\xc3\xa9\n", 7), *x = sd_xml_text("a\tb\nc\x02\xed\xa0\x80");
	char *c1 = sd_printable("\xc2\x9b""31m \xe2\x80\xae \x1b]0;t\x07 \x7f", 18);

	/* Nothing unsafe passes; everything is shown as a visible escape, never dropped silently. */
	ck_assert_str_eq(p, "ok\\x01\\xff\xc3\xa9\\x0a");
	ck_assert_str_eq(x, "a\tb\nc\\x02\\xed\\xa0\\x80");
	ck_assert_str_eq(c1, "\\u009b31m \\u202e \\x1b]0;t\\x07 \\x7f");
	free(p);
	free(x);
	free(c1);
}
END_TEST

START_TEST(sha256_of_file)
{
	const char *dir = tmpdir_new();
	char *path = write_text(dir, "f", "abc", 3), hex[65];

	ck_assert_int_eq(sd_sha256_file(path, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(path);
	tmpdir_remove(dir);
}
END_TEST

/*
 * The sweep of crash leftovers spares a temporary file that may be being born (empty, a minute old or
 * less, not yet locked by its writer, as a parallel endpoint's or another run's can be).
 */
START_TEST(stale_sweep_spares_files_being_born)
{
	const char *dir = tmpdir_new();
	char *born = sd_xasprintf("%s/.A.csv.sftpdrill-0000000a", dir), *old = sd_xasprintf("%s/.B.csv.sftpdrill-0000000b", dir);
	char *full = sd_xasprintf("%s/.C.csv.sftpdrill-0000000c", dir), *tmp = NULL;
	struct timespec then[2] = { { time(NULL) - 300, 0 }, { time(NULL) - 300, 0 } };
	int live;

	fclose(fopen(born, "w"));
	fclose(fopen(old, "w"));
	ck_assert_int_eq(utimensat(AT_FDCWD, old, then, 0), 0);
	{
		FILE *f = fopen(full, "w");
		fputs("partial", f);
		fclose(f);
	}
	live = sd_create_temp(dir, "D.csv", &tmp);
	ck_assert_int_ge(live, 0);
	sd_remove_stale_temps(dir);
	ck_assert_int_eq(access(born, F_OK), 0);        /* empty and young: maybe being born */
	ck_assert_int_ne(access(old, F_OK), 0);         /* empty and old: a crash's */
	ck_assert_int_ne(access(full, F_OK), 0);        /* data, unlocked: a crash's */
	ck_assert_int_eq(access(tmp, F_OK), 0);         /* locked by its living writer */
	close(live);
	unlink(tmp);
	unlink(born);
	free(tmp);
	free(born);
	free(old);
	free(full);
	tmpdir_remove(dir);
}
END_TEST

START_TEST(redaction)
{
	struct sd_redactor r = { 0 };
	char *s;

	sd_redact_add(&r, "secret");
	sd_redact_add(&r, "");
	s = sd_redact(&r, "a secret and secretsecret");
	ck_assert_str_eq(s, "a *** and ******");
	free(s);
	/* A secret inside a longer one: the longer is masked whole, whatever the order added. */
	sd_redact_add(&r, "topsecretword");
	s = sd_redact(&r, "x topsecretword y");
	ck_assert_str_eq(s, "x *** y");
	free(s);
	/* Short values are masked only where they stand alone, never inside other words or numbers. */
	sd_redact_add(&r, "20");
	s = sd_redact(&r, "in 2026 the code was 20, not 200; /reports/20*");
	ck_assert_str_eq(s, "in 2026 the code was ***, not 200; /reports/****");
	free(s);
	s = sd_redact(&r, "on 2026-11-20 at 07:20:00 from 10.0.0.20 (PIN=20)");
	ck_assert_str_eq(s, "on 2026-11-20 at 07:20:00 from 10.0.0.20 (PIN=***)");
	free(s);
	/* A value holding a control character is masked before any cleaning. */
	sd_redact_add(&r, "pass\x1bword");
	s = sd_redact(&r, "[pass\x1bword]");
	ck_assert_str_eq(s, "[***]");
	free(s);
	s = sd_redact(NULL, "unchanged");
	ck_assert_str_eq(s, "unchanged");
	free(s);
	/* ... and where a message quoted it already escaped by the sanitiser: a tab, a bidi override. */
	sd_redact_add(&r, "hunter\t2");
	sd_redact_add(&r, "abc\xe2\x80\xaexyz");
	{
		char *tab = sd_printable("bad limit `hunter\t2`", 20), *bidi = sd_printable("key abc\xe2\x80\xaexyz!", 14);
		s = sd_redact(&r, tab);
		ck_assert_str_eq(s, "bad limit `***`");
		free(s);
		s = sd_redact(&r, bidi);
		ck_assert_str_eq(s, "key ***!");
		free(s);
		free(tab);
		free(bidi);
	}
	sd_redact_release(&r);
}
END_TEST

START_TEST(deadlines)
{
	ck_assert_int_eq(sd_deadline_min(0, 5), 5);
	ck_assert_int_eq(sd_deadline_min(7, 0), 7);
	ck_assert_int_eq(sd_deadline_min(7, 5), 5);
	ck_assert_int_eq(sd_remaining_ms(1), 0);
	ck_assert(sd_remaining_ms(0) > 1000000);
}
END_TEST

START_TEST(buffer_invariant_and_cap)
{
	struct sd_buf b = SD_BUF_INIT(10);
	char *s;

	ck_assert_str_eq(sd_buf_str(&b), "");
	ck_assert_int_eq(sd_buf_adds(&b, "abc"), 0);
	ck_assert_int_eq(sd_buf_addf(&b, "%d", 1234), 0);
	ck_assert_str_eq(sd_buf_str(&b), "abc1234");
	/* An append past the cap is refused whole; what was there stays. */
	ck_assert_int_eq(sd_buf_adds(&b, "toolong"), -1);
	ck_assert(b.overflow);
	ck_assert_str_eq(sd_buf_str(&b), "abc1234");
	ck_assert_int_eq(sd_buf_addf(&b, "%s", "xyzw"), -1);
	ck_assert_int_eq(sd_buf_add(&b, "xyz", 3), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(b.p[b.len], '\0');
	s = sd_buf_detach(&b);
	ck_assert_str_eq(s, "abc1234xyz");
	free(s);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(sd_buf_str(&b), "");
	sd_buf_join(&b, ", ", "a");
	sd_buf_join(&b, ", ", "b");
	ck_assert_str_eq(sd_buf_str(&b), "a, b");
	sd_buf_release(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(array_growth)
{
	int *v = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < 1000; i++) {
		SD_GROW(v, i + 1, cap);
		v[i] = (int)i;
	}
	ck_assert_uint_ge(cap, 1000);
	ck_assert_int_eq(v[999], 999);
	free(v);
}
END_TEST

Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, fingerprint_of_empty_input);
	tcase_add_test(tc, base64_round_trip_and_rejects);
	tcase_add_test(tc, safe_local_names);
	tcase_add_test(tc, printable_and_xml_text);
	tcase_add_test(tc, sha256_of_file);
	tcase_add_test(tc, redaction);
	tcase_add_test(tc, stale_sweep_spares_files_being_born);
	tcase_add_test(tc, deadlines);
	tcase_add_test(tc, buffer_invariant_and_cap);
	tcase_add_test(tc, array_growth);
	tcase_add_test(tc, remote_folders_keep_apart_locally);
	suite_add_tcase(s, tc);
	return s;
}
