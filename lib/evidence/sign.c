/* sign.c — detached signatures of a bundle's MANIFEST that stock OpenSSL verifies. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sftpdrill/evidence/sign.h"
#include "sftpdrill/base/util.h"

struct sd_signer {
	EVP_PKEY *key;
	char *path;
};

/* Ed25519 signs the message itself; ECDSA signs its SHA-256 (as `openssl dgst -sha256`). */
static const EVP_MD *
sig_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static int
usable(EVP_PKEY *k, const char *path, struct sd_err *err)
{
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 || EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
		return 0;
	return sd_fail(err, SD_KIND_SIGN_KEY_INVALID, SD_PHASE_CONFIG,
	    "%s is a %s key: sign with an Ed25519 or ECDSA key (openssl genpkey -algorithm ed25519 -out KEY.pem)", path,
	    OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
}

/* Read a PEM key, private or public; NULL with err. */
static EVP_PKEY *
read_key(const char *path, int private, const char *passphrase, struct sd_err *err)
{
	FILE *f = sd_fopen_regular(path, 0);
	EVP_PKEY *k;

	if (f == NULL) {
		sd_fail(err, SD_KIND_SIGN_KEY_INVALID, SD_PHASE_CONFIG, "cannot read %s: %s", path,
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, (void *)(passphrase ? passphrase : "")) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (k == NULL)
		sd_fail(err, SD_KIND_SIGN_KEY_INVALID, SD_PHASE_CONFIG,
		    "%s is not a PEM %s key OpenSSL can read%s", path, private ? "private" : "public",
		    private ? " (an OpenSSH key, or an encrypted one without SFTPDRILL_SIGN_PASSPHRASE?)" : "");
	else if (usable(k, path, err) < 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

int
sd_sign_data(const struct sd_signer *s, const void *data, size_t len, struct sd_buf *sig, struct sd_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 0;
	unsigned char *out = NULL;
	int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, sig_md(s->key), NULL, s->key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &siglen, data, len) == 1;

	if (ok) {
		out = sd_xmalloc(siglen);
		ok = EVP_DigestSign(ctx, out, &siglen, data, len) == 1 && sd_buf_add(sig, out, siglen) == 0;
	}
	EVP_MD_CTX_free(ctx);
	free(out);
	ERR_clear_error();
	return ok ? 0 : sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "OpenSSL could not sign with %s", s->path);
}

struct sd_signer *
sd_signer_load(const char *path, const char *passphrase, struct sd_err *err)
{
	struct sd_signer *s = sd_xcalloc(1, sizeof(*s));
	struct sd_buf probe = SD_BUF_INIT(0);

	s->path = sd_xstrdup(path);
	s->key = read_key(path, 1, passphrase, err);
	/* Sign something now: a key that cannot sign must be found before the session, not after it. */
	if (s->key == NULL || sd_sign_data(s, "sftpdrill", 9, &probe, err) < 0) {
		sd_signer_free(s);
		s = NULL;
	}
	sd_buf_release(&probe);
	return s;
}

int
sd_signer_public_pem(const struct sd_signer *s, struct sd_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (b != NULL && PEM_write_bio_PUBKEY(b, s->key) == 1) {
		n = BIO_get_mem_data(b, &data);
		rc = n > 0 ? sd_buf_add(out, data, (size_t)n) : -1;
	}
	BIO_free(b);
	return rc;
}

void
sd_signer_free(struct sd_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->path);
	free(s);
}

int
sd_sign_check(const char *pubpath, const void *data, size_t len, const void *sig, size_t siglen, struct sd_err *err)
{
	EVP_PKEY *k = read_key(pubpath, 0, NULL, err);
	EVP_MD_CTX *ctx;
	int ok;

	if (k == NULL)
		return -1;
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, sig_md(k), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok ? 1 : 0;
}
