/* negotiate.c — the algorithm policy and the diagnosis of a key exchange with nothing in common. */
#include <string.h>

#include "sftpdrill/engine/negotiate.h"

/*
 * Order: curve25519 first, then OpenSSH's client order. AES-CTR (with an
 * ETM MAC) before chacha20-poly1305: libssh2's chacha20 is its own C code,
 * measured 15-30% slower on a 512 MiB download (docs/performance-notes.md).
 * AES-GCM last: libssh2 1.11.1 leaks the 96-byte key of the "none" MAC that
 * goes with it at every key exchange, so it is taken only where a server
 * offers nothing else (hardened servers offering GCM alone exist). Strict
 * key exchange (kex-strict-c) libssh2 adds by itself.
 */
#define CIPHERS "aes128-ctr,aes256-ctr,chacha20-poly1305@openssh.com,aes192-ctr,aes128-gcm@openssh.com," \
    "aes256-gcm@openssh.com"
#define MACS "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512," \
    "hmac-sha1-etm@openssh.com,hmac-sha1"

/* Each direction the same. */
static const char *const policy[SD_ALG__COUNT] = {
	[SD_ALG_KEX] = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
	    "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
	    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
	[SD_ALG_HOSTKEY] = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,"
	    "rsa-sha2-256",
	[SD_ALG_CIPHER_CS] = CIPHERS,
	[SD_ALG_CIPHER_SC] = CIPHERS,
	[SD_ALG_MAC_CS] = MACS,
	[SD_ALG_MAC_SC] = MACS,
};

static const char *const names[SD_ALG__COUNT] = {
	[SD_ALG_KEX] = "key exchange", [SD_ALG_HOSTKEY] = "host key", [SD_ALG_CIPHER_CS] = "cipher (client to server)",
	[SD_ALG_CIPHER_SC] = "cipher (server to client)", [SD_ALG_MAC_CS] = "MAC (client to server)",
	[SD_ALG_MAC_SC] = "MAC (server to client)",
};

const char *
sd_alg_category_name(enum sd_alg_category c)
{
	return (unsigned)c < SD_ALG__COUNT ? names[c] : "?";
}

const char *
sd_alg_policy(enum sd_alg_category c)
{
	return (unsigned)c < SD_ALG__COUNT ? policy[c] : "";
}

int
sd_alg_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p != NULL && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* Do the two lists share a name? */
static int
overlap(const char *a, const char *b)
{
	for (const char *p = a; p != NULL && *p;) {
		size_t len = strcspn(p, ",");
		char item[256];
		if (len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			if (sd_alg_list_has(b, item))
				return 1;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

int
sd_alg_diagnose(const char *const ours[SD_ALG__COUNT], const char *const theirs[SD_ALG__COUNT], struct sd_buf *out)
{
	for (int c = 0; c < SD_ALG__COUNT; c++) {
		const char *a = ours[c] && ours[c][0] ? ours[c] : NULL, *b = theirs[c] && theirs[c][0] ? theirs[c] : NULL;

		if (a == NULL || b == NULL || overlap(a, b))
			continue;
		sd_buf_addf(out, "no %s algorithm both sides accept: sftpdrill offered %s; the server offers %s", names[c], a,
		    b);
		return c;
	}
	return -1;
}
