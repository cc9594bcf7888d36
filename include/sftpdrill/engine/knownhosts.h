/* knownhosts.h — OpenSSH known_hosts files and SHA256 pins: what host key an endpoint must present. */
#ifndef SD_KNOWNHOSTS_H
#define SD_KNOWNHOSTS_H

#include <stddef.h>

#include "sftpdrill/base/err.h"
#include "sftpdrill/base/util.h"

struct sd_known_key {
	char *type;             /* e.g. "ssh-ed25519" */
	unsigned char *blob;    /* the key in SSH wire format */
	size_t len;
	int revoked;            /* from an @revoked line */
	int line;
};

/* The keys a known_hosts file holds for one host:port, and the lines it could not use. */
struct sd_known {
	struct sd_known_key *v;
	size_t n, cap;
	struct sd_strv warnings; /* "FILE:LINE: reason" for every line that was skipped */
	char *path;             /* the file read */
};

/*
 * Load the keys for host:port from an OpenSSH known_hosts file: plain and
 * hashed (|1|) names, [host]:port, comma lists, wildcards and negation,
 * @revoked; @cert-authority lines are reported as unsupported. A missing file
 * is an error. Free with sd_known_release.
 */
int sd_known_load(const char *path, const char *host, int port, struct sd_known *out,
    struct sd_err *err);

/* Free what sd_known_load filled. */
void sd_known_release(struct sd_known *k);

/*
 * The host-key algorithms to offer, most preferred first, as a
 * comma-separated list for libssh2_session_method_pref: the types of the
 * known keys and pins' types are unknown to us, so with pins only NULL is
 * returned (keep libssh2's default). Caller frees.
 */
char *sd_known_prefs(const struct sd_known *k);

/*
 * Decide whether the key (type, blob) presented by host:port is acceptable:
 * it matches a non-revoked known key or one of the SHA256 pins
 * ("SHA256:base64"). Returns 0, or -1 with err type HostKeyMismatch (a known
 * key or pin exists for this endpoint but differs: the message names the
 * file and line of each) or HostKeyUnknown (nothing known: the message gives
 * the exact known_hosts line to add once the fingerprint is verified).
 */
int sd_hostkey_verify(const struct sd_known *k, const struct sd_strv *pins, const char *host, int port,
    const char *type, const unsigned char *blob, size_t len, struct sd_err *err);

/* The known_hosts line for a key of host:port, as OpenSSH writes it (no newline). Caller frees. */
char *sd_known_line(const char *host, int port, const char *type, const unsigned char *blob, size_t len);

/*
 * Append "HOSTSPEC TYPE BASE64" for host:port to the known_hosts file at
 * path (created if missing), as OpenSSH writes it. Returns 0 or -1 with err.
 */
int sd_known_append(const char *path, const char *host, int port, const char *type,
    const unsigned char *blob, size_t len, struct sd_err *err);

#endif
