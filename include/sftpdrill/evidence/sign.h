/* sign.h — detached signatures (Ed25519 or ECDSA, PEM keys) that stock OpenSSL verifies. */
#ifndef SD_SIGN_H
#define SD_SIGN_H

#include <stddef.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/err.h"

/* A signing key, loaded and proven able to sign. */
struct sd_signer;

/*
 * Load a PEM private key (Ed25519 or ECDSA; passphrase may be NULL) and sign
 * a probe with it, so a key that cannot sign is found before any work is
 * done. NULL with err (SignKeyInvalid) otherwise. Free with sd_signer_free.
 */
struct sd_signer *sd_signer_load(const char *path, const char *passphrase, struct sd_err *err);

/* Sign data: Ed25519 signs it as is, ECDSA its SHA-256. Appends the signature to sig. 0 or -1 with err. */
int sd_sign_data(const struct sd_signer *s, const void *data, size_t len, struct sd_buf *sig, struct sd_err *err);

/* The signer's public key as PEM, appended to out. 0 or -1. */
int sd_signer_public_pem(const struct sd_signer *s, struct sd_buf *out);

void sd_signer_free(struct sd_signer *s);

/* Does sig verify data with the PEM public key at pubpath? 1 yes, 0 no, -1 with err when the key is unusable. */
int sd_sign_check(const char *pubpath, const void *data, size_t len, const void *sig, size_t siglen, struct sd_err *err);

#endif
