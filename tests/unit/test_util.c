/* test_util.c — encodings, fingerprints, local-name safety. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sftpdrill/util.h"

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
}
END_TEST

START_TEST(printable_and_xml_text)
{
	char *p = sd_printable("ok\x01\xff\xc3\xa9\n", 7), *x = sd_xml_text("a\tb\nc\x02\xed\xa0\x80");

	ck_assert_str_eq(p, "ok??\xc3\xa9?");
	ck_assert_str_eq(x, "a\tb\nc????");
	free(p);
	free(x);
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

START_TEST(replace_all)
{
	char *s = sd_replace_all(sd_xstrdup("a secret and secretsecret"), "secret", "***");

	ck_assert_str_eq(s, "a *** and ******");
	s = sd_replace_all(s, "*", "**");          /* the replacement holds the needle: one pass */
	ck_assert_str_eq(s, "a ****** and ************");
	s = sd_replace_all(s, "", "x");
	ck_assert_str_eq(s, "a ****** and ************");
	free(s);
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
	tcase_add_test(tc, replace_all);
	tcase_add_test(tc, deadlines);
	suite_add_tcase(s, tc);
	return s;
}
