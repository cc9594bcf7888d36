/* knownhosts.c — OpenSSH known_hosts parsing and host-key decisions. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sftpdrill/engine/hostpat.h"
#include "sftpdrill/engine/knownhosts.h"

/* Does one hashed entry "|1|salt|hash" name host? */
static int
hashed_match(const char *entry, const char *name)
{
	const char *salt = entry + 3, *bar = strchr(salt, '|');
	unsigned char *s = NULL, *h = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t slen, hlen;
	int ok = 0;

	if (bar == NULL)
		return -1;
	s = sd_base64_decode(salt, (size_t)(bar - salt), &slen);
	h = sd_base64_decode(bar + 1, strlen(bar + 1), &hlen);
	if (s == NULL || h == NULL || hlen != 20)
		ok = -1;
	else if (HMAC(EVP_sha1(), s, (int)slen, (const unsigned char *)name, strlen(name), md, &mdlen) != NULL &&
	    mdlen == hlen && CRYPTO_memcmp(md, h, hlen) == 0)
		ok = 1;
	free(s);
	free(h);
	return ok;
}

/* Does the host field (comma list, or one hashed entry) name host? 1 yes, 0 no, -1 malformed. */
static int
hosts_match(const char *field, const char *name)
{
	if (strncmp(field, "|1|", 3) == 0)
		return hashed_match(field, name);
	return sd_host_list_match(field, ",", name);
}

/* Read the SSH string at the start of blob (the key type) into a new string. */
static char *
blob_type(const unsigned char *blob, size_t len)
{
	uint32_t n;

	if (len < 4)
		return NULL;
	n = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (n == 0 || n > 64 || n > len - 4)
		return NULL;
	return sd_xstrndup((const char *)blob + 4, n);
}

static void
warn(struct sd_known *k, const char *path, int line, const char *why)
{
	char *w = sd_xasprintf("%s:%d: %s", path, line, why);

	sd_strv_push(&k->warnings, w);
	free(w);
}

int
sd_known_load(const char *path, const char *host, int port, struct sd_known *out,
    struct sd_err *err)
{
	FILE *f;
	char *line = NULL, *name;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	f = sd_fopen_regular(path, 0);
	if (f == NULL)
		return sd_fail(err, SD_KIND_KNOWN_HOSTS_UNREADABLE, SD_PHASE_CONFIG,
		    "cannot read known_hosts file %s: %s", path, strerror(errno));
	out->path = sd_xstrdup(path);
	/* OpenSSH writes port 22 plainly and any other port as [host]:port. */
	name = port == 22 ? sd_xstrdup(host) : sd_xasprintf("[%s]:%d", host, port);
	for (len = getline(&line, &cap, f); len >= 0; len = getline(&line, &cap, f)) {
		char *fields[4] = { 0 }, *p = line, *save = NULL, *btype;
		int nf = 0, revoked = 0, m;
		unsigned char *blob;
		size_t blen;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		for (char *t = strtok_r(p, " \t", &save); t && nf < 4; t = strtok_r(NULL, " \t", &save))
			fields[nf++] = t;
		if (fields[0][0] == '@') {
			if (strcmp(fields[0], "@cert-authority") == 0) {
				warn(out, path, lineno, "@cert-authority lines are not supported (libssh2 does not verify host certificates); line ignored");
				continue;
			}
			if (strcmp(fields[0], "@revoked") != 0) {
				warn(out, path, lineno, "unknown marker; line ignored");
				continue;
			}
			revoked = 1;
			memmove(fields, fields + 1, 3 * sizeof(*fields));
			fields[3] = NULL;
			nf--;
		}
		if (nf < 3) {
			warn(out, path, lineno, "expected `HOSTS KEYTYPE BASE64-KEY`; line ignored");
			continue;
		}
		m = hosts_match(fields[0], name);
		if (m < 0) {
			warn(out, path, lineno, "malformed hashed host name; line ignored");
			continue;
		}
		blob = sd_base64_decode(fields[2], strlen(fields[2]), &blen);
		btype = blob ? blob_type(blob, blen) : NULL;
		if (btype == NULL || strcmp(btype, fields[1]) != 0) {
			warn(out, path, lineno, btype ? "key type does not match the key data; line ignored" :
			    "key data is not valid base64 SSH key; line ignored");
			free(blob);
			free(btype);
			continue;
		}
		free(btype);
		if (m == 0) {
			free(blob);
			continue;
		}
		SD_GROW(out->v, out->n + 1, out->cap);
		out->v[out->n++] = (struct sd_known_key){ sd_xstrdup(fields[1]), blob, blen, revoked, lineno };
	}
	free(line);
	free(name);
	fclose(f);
	return 0;
}

void
sd_known_release(struct sd_known *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].type);
		free(k->v[i].blob);
	}
	free(k->v);
	free(k->path);
	sd_strv_release(&k->warnings);
	memset(k, 0, sizeof(*k));
}

char *
sd_known_prefs(const struct sd_known *k)
{
	struct sd_buf list = SD_BUF_INIT(0);

	for (size_t i = 0; i < k->n; i++)
		if (!k->v[i].revoked && strstr(sd_buf_str(&list), k->v[i].type) == NULL)
			sd_buf_join(&list, ",", k->v[i].type);
	return list.len ? sd_buf_detach(&list) : NULL;
}

char *
sd_known_line(const char *host, int port, const char *type, const unsigned char *blob, size_t len)
{
	char *b64 = sd_xmalloc(4 * ((len + 2) / 3) + 1), *line;

	EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
	line = port == 22 ? sd_xasprintf("%s %s %s", host, type, b64) : sd_xasprintf("[%s]:%d %s %s", host, port, type, b64);
	free(b64);
	return line;
}

int
sd_known_append(const char *path, const char *host, int port, const char *type,
    const unsigned char *blob, size_t len, struct sd_err *err)
{
	char *line = sd_known_line(host, port, type, blob, len);
	FILE *f;
	int ok, fd;

	/* Append, never rewrite: the user's other entries stay as they are; a regular file only. */
	fd = sd_open_regular(path, SD_APPEND);
	f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (fd >= 0 && f == NULL)
		close(fd);
	ok = f != NULL && fputs(line, f) >= 0 && fputc('\n', f) != EOF;
	if (f != NULL)
		ok = fclose(f) == 0 && ok;
	free(line);
	if (!ok)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_HOSTKEY, "cannot add the host key to %s: %s", path,
		    strerror(errno));
	return 0;
}

int
sd_hostkey_verify(const struct sd_known *k, const struct sd_strv *pins, const char *host, int port,
    const char *type, const unsigned char *blob, size_t len, struct sd_err *err)
{
	char fp[64], label[300];
	struct sd_buf expected = SD_BUF_INIT(0);
	const char *file = k && k->path ? k->path : "known_hosts";
	char *line;
	int rc;

	snprintf(label, sizeof(label), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	sd_sha256_fingerprint(blob, len, fp, sizeof(fp));
	for (size_t i = 0; k && i < k->n; i++)
		if (k->v[i].len == len && memcmp(k->v[i].blob, blob, len) == 0 && k->v[i].revoked)
			return sd_fail(err, SD_KIND_HOSTKEY_MISMATCH, SD_PHASE_HOSTKEY,
			    "%s presented %s key %s, which %s line %d marks @revoked; stopped before authentication",
			    label, type, fp, file, k->v[i].line);
	for (size_t i = 0; k && i < k->n; i++) {
		char kfp[64];
		if (k->v[i].revoked)
			continue;
		if (k->v[i].len == len && memcmp(k->v[i].blob, blob, len) == 0) {
			sd_buf_release(&expected);
			return 0;
		}
		sd_sha256_fingerprint(k->v[i].blob, k->v[i].len, kfp, sizeof(kfp));
		sd_buf_addf(&expected, "%s%s %s (%s line %d)", expected.len ? ", " : "", k->v[i].type, kfp, file,
		    k->v[i].line);
	}
	for (size_t i = 0; pins && i < pins->n; i++) {
		if (strcmp(pins->v[i], fp) == 0) {
			sd_buf_release(&expected);
			return 0;
		}
		sd_buf_addf(&expected, "%spin %s (host-key-pin)", expected.len ? ", " : "", pins->v[i]);
	}
	if (expected.len > 0) {
		rc = sd_fail(err, SD_KIND_HOSTKEY_MISMATCH, SD_PHASE_HOSTKEY,
		    "HOST KEY MISMATCH: %s presented %s %s but expected %s; the server's key changed or this is not the "
		    "server you think: stopped before authentication. Ask the service's operator; replace the entry only "
		    "once they confirm the new fingerprint", label, type, fp, sd_buf_str(&expected));
		sd_buf_release(&expected);
		return rc;
	}
	sd_buf_release(&expected);
	line = sd_known_line(host, port, type, blob, len);
	rc = sd_fail(err, SD_KIND_HOSTKEY_UNKNOWN, SD_PHASE_HOSTKEY,
	    "%s presented %s %s, which %s does not list and no pin names: stopped before authentication. Verify this "
	    "fingerprint with the service's operator, then add this line to %s: `%s` (or run once with "
	    "--trust-on-first-use, which adds it, and confirm the fingerprint afterwards)", label, type, fp, file,
	    k && k->path ? k->path : "your known_hosts file", line);
	free(line);
	return rc;
}
