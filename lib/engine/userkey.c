/* userkey.c — private key files: their public half, fingerprint and encryption, read without libssh2. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/engine/userkey.h"
#include "sftpdrill/base/util.h"

/* Read an SSH string at *p (bounded by end); returns its length or -1. */
static long
ssh_string(const unsigned char **p, const unsigned char *end, const unsigned char **s)
{
	uint32_t n;

	if (end - *p < 4)
		return -1;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	if (n > (uint32_t)(end - *p))
		return -1;
	*s = *p;
	*p += n;
	return (long)n;
}

int
sd_userkey_blob_fingerprint(const unsigned char *blob, size_t len, char *type, size_t typelen, char *fp,
    size_t fplen)
{
	const unsigned char *p = blob, *t;
	long tl = ssh_string(&p, blob + len, &t);

	if (tl <= 0 || tl > 64)
		return -1;
	snprintf(type, typelen, "%.*s", (int)tl, (const char *)t);
	sd_sha256_fingerprint(blob, len, fp, fplen);
	return 0;
}

/* From "TYPE BASE64 [comment]" in KEY.pub. */
static int
from_pub(const char *keyfile, char *type, size_t typelen, char *fp, size_t fplen)
{
	char *path = sd_xasprintf("%s.pub", keyfile), line[16384], *sp, *b64, *end;
	unsigned char *blob;
	size_t len;
	FILE *f = sd_fopen_regular(path, 0);
	int rc = -1;

	free(path);
	if (f == NULL)
		return -1;
	sp = fgets(line, sizeof(line), f) != NULL ? strchr(line, ' ') : NULL;
	if (sp != NULL) {
		b64 = sp + 1;
		end = b64 + strcspn(b64, " \t\r\n");
		blob = sd_base64_decode(b64, (size_t)(end - b64), &len);
		if (blob != NULL) {
			rc = sd_userkey_blob_fingerprint(blob, len, type, typelen, fp, fplen);
			free(blob);
		}
	}
	fclose(f);
	return rc;
}

/* From the public key stored in clear in an "openssh-key-v1" private key. */
static int
from_openssh_private(const char *keyfile, char *type, size_t typelen, char *fp, size_t fplen)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	FILE *f = sd_fopen_regular(keyfile, 0);
	char line[1024];
	struct sd_buf b64 = SD_BUF_INIT(1u << 20);
	unsigned char *raw = NULL;
	const unsigned char *p, *end, *s;
	size_t rawlen;
	int in = 0, rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && !b64.overflow) {
		size_t l = strcspn(line, "\r\n");
		line[l] = '\0';
		if (!in) {
			in = strcmp(line, begin) == 0;
			continue;
		}
		if (strncmp(line, "-----END", 8) == 0)
			break;
		sd_buf_add(&b64, line, l);
	}
	fclose(f);
	raw = b64.len ? sd_base64_decode(b64.p, b64.len, &rawlen) : NULL;
	if (raw == NULL)
		goto out;
	end = raw + rawlen;
	if (rawlen < sizeof(magic) || memcmp(raw, magic, sizeof(magic)) != 0)
		goto out;
	p = raw + sizeof(magic);
	/* ciphername, kdfname, kdfoptions, then the number of keys and the first public key. */
	for (int i = 0; i < 3; i++)
		if (ssh_string(&p, end, &s) < 0)
			goto out;
	if (end - p < 4)
		goto out;
	p += 4;
	{
		long n = ssh_string(&p, end, &s);
		if (n > 0)
			rc = sd_userkey_blob_fingerprint(s, (size_t)n, type, typelen, fp, fplen);
	}
out:
	sd_buf_release(&b64);
	free(raw);
	return rc;
}

int
sd_userkey_fingerprint(const char *keyfile, char *type, size_t typelen, char *fp, size_t fplen)
{
	if (from_pub(keyfile, type, typelen, fp, fplen) == 0)
		return 0;
	return from_openssh_private(keyfile, type, typelen, fp, fplen);
}

int
sd_userkey_encrypted(const char *keyfile)
{
	FILE *f = sd_fopen_regular(keyfile, 0);
	char line[256];
	int enc = 0, openssh = 0;
	struct sd_buf b64 = SD_BUF_INIT(1u << 20);

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && b64.len < 256) {
		size_t l = strcspn(line, "\r\n");
		line[l] = '\0';
		if (strstr(line, "ENCRYPTED"))       /* PEM: Proc-Type: 4,ENCRYPTED or BEGIN ENCRYPTED */
			enc = 1;
		if (strcmp(line, "-----BEGIN OPENSSH PRIVATE KEY-----") == 0) {
			openssh = 1;
			continue;
		}
		if (openssh && strncmp(line, "-----", 5) != 0) {
			sd_buf_add(&b64, line, l);
		}
	}
	fclose(f);
	if (openssh && b64.len >= 32) {
		/* "openssh-key-v1\0" then the cipher name: "none" means not encrypted. */
		size_t len, take = b64.len - b64.len % 4;
		unsigned char *raw = sd_base64_decode(b64.p, take > 64 ? 64 : take, &len);
		if (raw != NULL && len > 19 && memcmp(raw, "openssh-key-v1", 15) == 0)
			enc = !(raw[18] == 4 && len >= 23 && memcmp(raw + 19, "none", 4) == 0);
		free(raw);
	}
	sd_buf_release(&b64);
	return enc;
}

int
sd_userkey_type(const char *keyfile, char *type, size_t typelen)
{
	static const struct { const char *header, *type; } pem[] = {
		{ "-----BEGIN RSA PRIVATE KEY-----", "ssh-rsa" },
		{ "-----BEGIN EC PRIVATE KEY-----", "ecdsa" },
		{ "-----BEGIN DSA PRIVATE KEY-----", "ssh-dss" },
	};
	char fp[80], line[128];
	FILE *f;

	if (sd_userkey_fingerprint(keyfile, type, typelen, fp, sizeof(fp)) == 0)
		return 0;
	f = sd_fopen_regular(keyfile, 0);
	if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (size_t i = 0; i < sizeof(pem) / sizeof(pem[0]); i++)
		if (strncmp(line, pem[i].header, strlen(pem[i].header)) == 0) {
			snprintf(type, typelen, "%s", pem[i].type);
			return 0;
		}
	return -1;
}
