/*
 * negotiate.h — what sftpdrill offers in the SSH key exchange, and which category had no algorithm
 * both sides accept when one fails.
 */
#ifndef SD_NEGOTIATE_H
#define SD_NEGOTIATE_H

#include "sftpdrill/base/buf.h"

/* The categories a key exchange agrees on, in the order of the KEXINIT's name-lists (RFC 4253 §7.1). */
enum sd_alg_category {
	SD_ALG_KEX, SD_ALG_HOSTKEY, SD_ALG_CIPHER_CS, SD_ALG_CIPHER_SC, SD_ALG_MAC_CS, SD_ALG_MAC_SC,
	SD_ALG__COUNT
};

/* "key exchange", "host key", "cipher (client to server)" ... */
const char *sd_alg_category_name(enum sd_alg_category c);

/*
 * The policy, before what this libssh2 lacks is left out: OpenSSH's client
 * defaults (curve25519, ECDH, DH group exchange and groups 14, 16, 18 with
 * SHA-2; AES-CTR, chacha20-poly1305, AES-GCM; encrypt-then-MAC and plain
 * HMAC-SHA2 and -SHA1), less what is unsafe (SHA-1 key exchange, DSA host
 * keys, CBC ciphers, MD5 MACs, none); docs/field.md says which and why.
 * The host-key category is the known key types' (see session.c).
 */
const char *sd_alg_policy(enum sd_alg_category c);

/* Is item one of the comma-separated list's names (exactly)? */
int sd_alg_list_has(const char *list, const char *item);

/*
 * Why a key exchange failed, from what each side offered (NULL or "" for a
 * list not seen): for the first category with no algorithm both accept,
 * "no MAC both sides accept (client to server): sftpdrill offered A,B; the
 * server offers C,D". Appends to out; returns the category, or -1 when
 * every category has one in common (the failure is elsewhere).
 */
int sd_alg_diagnose(const char *const ours[SD_ALG__COUNT], const char *const theirs[SD_ALG__COUNT],
    struct sd_buf *out);

#endif
