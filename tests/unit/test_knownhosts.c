/* test_knownhosts.c — known_hosts parsing and the fail-closed host-key decision. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "helpers.h"
#include "sftpdrill/engine/hostpat.h"
#include "sftpdrill/engine/knownhosts.h"

/* A syntactically valid SSH key blob of the given type whose key bytes are all `fill`. */
static unsigned char *
make_blob(const char *type, unsigned char fill, size_t *len)
{
	size_t tl = strlen(type);
	unsigned char *b = malloc(4 + tl + 4 + 32);

	b[0] = b[1] = b[2] = 0;
	b[3] = (unsigned char)tl;
	memcpy(b + 4, type, tl);
	b[4 + tl] = b[5 + tl] = b[6 + tl] = 0;
	b[7 + tl] = 32;
	memset(b + 8 + tl, fill, 32);
	*len = 8 + tl + 32;
	return b;
}

static char *
b64(const unsigned char *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* "TYPE BASE64" for a blob made by make_blob. */
static char *
key_text(const char *type, unsigned char fill)
{
	size_t len;
	unsigned char *blob = make_blob(type, fill, &len);
	char *enc = b64(blob, len), *text = sd_xasprintf("%s %s", type, enc);

	free(blob);
	free(enc);
	return text;
}

static char *
hashed_name(const char *name)
{
	unsigned char salt[20], md[20];
	unsigned int mdlen = 0;
	char *s64, *h64, *out;

	memset(salt, 0x5a, sizeof(salt));
	HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)name, strlen(name), md, &mdlen);
	s64 = b64(salt, sizeof(salt));
	h64 = b64(md, mdlen);
	out = sd_xasprintf("|1|%s|%s", s64, h64);
	free(s64);
	free(h64);
	return out;
}

static const char *dir;

static void setup(void) { dir = tmpdir_new(); }
static void teardown(void) { tmpdir_remove(dir); }

static char *
write_kh(const char *text)
{
	return write_text(dir, "known_hosts", text, strlen(text));
}

START_TEST(matches_bracketed_port_and_plain_22)
{
	char *k1 = key_text("ssh-ed25519", 1), *k2 = key_text("ecdsa-sha2-nistp256", 2);
	char *text = sd_xasprintf("# comment\n\n[127.151.14.121]:10022 %s\n127.151.14.121 %s\n", k1, k2);
	char *path = write_kh(text);
	struct sd_known k;
	struct sd_err err;

	ck_assert_int_eq(sd_known_load(path, "127.151.14.121", 10022, &k, &err), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_str_eq(k.v[0].type, "ssh-ed25519");
	sd_known_release(&k);
	ck_assert_int_eq(sd_known_load(path, "127.151.14.121", 22, &k, &err), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_str_eq(k.v[0].type, "ecdsa-sha2-nistp256");
	sd_known_release(&k);
	free(k1); free(k2); free(text); free(path);
}
END_TEST

START_TEST(hashed_names_wildcards_and_negation)
{
	char *k1 = key_text("ssh-ed25519", 1), *k2 = key_text("ssh-ed25519", 2), *k3 = key_text("ssh-ed25519", 3);
	char *h = hashed_name("[rrs.example]:10022");
	char *text = sd_xasprintf("%s %s\n[192.0.2.*]:10022,!*.evil %s\nfoo.evil %s\n", h, k1, k2, k3);
	char *path = write_kh(text);
	struct sd_known k;
	struct sd_err err;

	ck_assert_int_eq(sd_known_load(path, "rrs.example", 10022, &k, &err), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_int_eq(k.v[0].blob[k.v[0].len - 1], 1);
	sd_known_release(&k);
	ck_assert_int_eq(sd_known_load(path, "192.0.2.121", 10022, &k, &err), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_int_eq(k.v[0].blob[k.v[0].len - 1], 2);
	sd_known_release(&k);
	free(k1); free(k2); free(k3); free(h); free(text); free(path);
}
END_TEST

START_TEST(bad_lines_are_reported_not_ignored)
{
	char *k1 = key_text("ssh-ed25519", 1);
	char *text = sd_xasprintf("garbage\nhost ssh-ed25519 !!!notbase64\nhost ssh-rsa %s\n@cert-authority * %s\n[h]:10022 %s\n",
	    strchr(k1, ' ') + 1, k1, k1);
	char *path = write_kh(text);
	struct sd_known k;
	struct sd_err err;

	ck_assert_int_eq(sd_known_load(path, "h", 10022, &k, &err), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_uint_eq(k.warnings.n, 4);
	ck_assert_ptr_nonnull(strstr(k.warnings.v[0], ":1: "));
	ck_assert_ptr_nonnull(strstr(k.warnings.v[2], "does not match"));
	ck_assert_ptr_nonnull(strstr(k.warnings.v[3], "cert-authority"));
	sd_known_release(&k);
	free(k1); free(text); free(path);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	struct sd_known k;
	struct sd_err err;

	ck_assert_int_eq(sd_known_load("/nonexistent/known_hosts", "h", 22, &k, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_KNOWN_HOSTS_UNREADABLE);
}
END_TEST

START_TEST(verify_fails_closed)
{
	char *k1 = key_text("ssh-ed25519", 1);
	char *text = sd_xasprintf("[h]:10022 %s\n", k1);
	char *path = write_kh(text);
	unsigned char *good, *bad;
	size_t glen, blen;
	struct sd_known k, none = { 0 };
	struct sd_err err;
	struct sd_strv pins = { 0 };
	char fp[64];

	good = make_blob("ssh-ed25519", 1, &glen);
	bad = make_blob("ssh-ed25519", 9, &blen);
	ck_assert_int_eq(sd_known_load(path, "h", 10022, &k, &err), 0);
	ck_assert_int_eq(sd_hostkey_verify(&k, NULL, "h", 10022, "ssh-ed25519", good, glen, &err), 0);
	ck_assert_int_eq(sd_hostkey_verify(&k, NULL, "h", 10022, "ssh-ed25519", bad, blen, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_HOSTKEY_MISMATCH);
	ck_assert_int_eq(sd_kind(err.kind)->status, SD_FAIL);
	sd_sha256_fingerprint(good, glen, fp, sizeof(fp));
	ck_assert_ptr_nonnull(strstr(err.msg, fp));       /* the expected fingerprint is named */
	ck_assert_ptr_nonnull(strstr(err.msg, " line 1)"));  /* ... and where it is written */
	ck_assert_int_eq(sd_hostkey_verify(&none, NULL, "h", 10022, "ssh-ed25519", bad, blen, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_HOSTKEY_UNKNOWN);
	/* Unknown: the exact line to add, and the flag for first use. */
	{
		char *want = sd_known_line("h", 10022, "ssh-ed25519", bad, blen);
		ck_assert_ptr_nonnull(strstr(err.msg, want));
		ck_assert_ptr_nonnull(strstr(want, "[h]:10022 ssh-ed25519 AAAA"));
		ck_assert_ptr_nonnull(strstr(err.msg, "--trust-on-first-use"));
		free(want);
	}
	/* A pin accepts the key when nothing else does (rotation). */
	sd_sha256_fingerprint(bad, blen, fp, sizeof(fp));
	sd_strv_push(&pins, fp);
	ck_assert_int_eq(sd_hostkey_verify(&none, &pins, "h", 10022, "ssh-ed25519", bad, blen, &err), 0);
	ck_assert_int_eq(sd_hostkey_verify(&none, &pins, "h", 10022, "ssh-ed25519", good, glen, &err), -1);
	ck_assert_int_eq(err.kind, SD_KIND_HOSTKEY_MISMATCH);
	sd_strv_release(&pins);
	sd_known_release(&k);
	free(good); free(bad); free(k1); free(text); free(path);
}
END_TEST

START_TEST(revoked_key_is_refused)
{
	char *k1 = key_text("ssh-ed25519", 1);
	char *text = sd_xasprintf("@revoked * %s\n[h]:10022 %s\n", k1, k1);
	char *path = write_kh(text);
	unsigned char *blob;
	size_t len;
	struct sd_known k;
	struct sd_err err;

	blob = make_blob("ssh-ed25519", 1, &len);
	ck_assert_int_eq(sd_known_load(path, "h", 10022, &k, &err), 0);
	ck_assert_int_eq(sd_hostkey_verify(&k, NULL, "h", 10022, "ssh-ed25519", blob, len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "revoked"));
	sd_known_release(&k);
	free(blob); free(k1); free(text); free(path);
}
END_TEST

START_TEST(prefs_follow_file_order)
{
	char *k1 = key_text("ssh-ed25519", 1), *k2 = key_text("ecdsa-sha2-nistp256", 2);
	char *text = sd_xasprintf("[h]:10022 %s\n[h]:10022 %s\n[h]:10022 %s\n", k1, k2, k1);
	char *path = write_kh(text), *prefs;
	struct sd_known k;
	struct sd_err err;

	ck_assert_int_eq(sd_known_load(path, "h", 10022, &k, &err), 0);
	prefs = sd_known_prefs(&k);
	ck_assert_str_eq(prefs, "ssh-ed25519,ecdsa-sha2-nistp256");
	free(prefs);
	sd_known_release(&k);
	free(k1); free(k2); free(text); free(path);
}
END_TEST

START_TEST(pattern_matching)
{
	ck_assert(sd_host_pattern_match("192.0.2.121", "192.0.2.*"));
	ck_assert(sd_host_pattern_match("RRS.Example", "rrs.example"));
	ck_assert(sd_host_pattern_match("abc", "a?c"));
	ck_assert(!sd_host_pattern_match("abcd", "a?c"));
	ck_assert(sd_host_pattern_match("[h]:10022", "[h]:10022"));
	ck_assert(sd_host_pattern_match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*b"));
	ck_assert(!sd_host_pattern_match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "*a*a*a*a*a*a*a*a*b"));
	ck_assert(sd_fingerprint_ok("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	ck_assert(!sd_fingerprint_ok("SHA256:short"));
	ck_assert(!sd_fingerprint_ok("MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
}
END_TEST

Suite *
knownhosts_suite(void)
{
	Suite *s = suite_create("knownhosts");
	TCase *tc = tcase_create("known_hosts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, matches_bracketed_port_and_plain_22);
	tcase_add_test(tc, hashed_names_wildcards_and_negation);
	tcase_add_test(tc, bad_lines_are_reported_not_ignored);
	tcase_add_test(tc, missing_file_is_an_error);
	tcase_add_test(tc, verify_fails_closed);
	tcase_add_test(tc, revoked_key_is_refused);
	tcase_add_test(tc, prefs_follow_file_order);
	tcase_add_test(tc, pattern_matching);
	suite_add_tcase(s, tc);
	return s;
}
