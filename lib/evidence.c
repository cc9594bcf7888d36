/* evidence.c — the sealed audit bundle. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sftpdrill/evidence.h"

/* Copy src to dst (which must not exist) while hashing; fills hex. 0 or -1 with errno. */
static int
copy_hashed(const char *src, const char *dst, char hex[65])
{
	unsigned char buf[1 << 16], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int in = -1, out = -1, rc = -1, saved;
	ssize_t n;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto done;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		goto done;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto done;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		for (ssize_t off = 0; off < n; ) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				goto done;
			if (w > 0)
				off += w;
		}
	}
	if (fsync(out) < 0)
		goto done;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	sd_hex(md, mdlen, hex);
	rc = 0;
done:
	saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0 && out >= 0)
		unlink(dst);
	EVP_MD_CTX_free(ctx);
	errno = saved;
	return rc;
}

/*
 * Put the downloaded file src into the bundle at dst without a second pass
 * over its data where the file system allows: a reflink (copy on write) or a
 * hard link, whose content is what was hashed while it downloaded; otherwise
 * a copy, hashed on the way into hex so a change since the download shows.
 */
static int
place(const char *src, const char *dst, char hex[65])
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, ok;

	if (in >= 0 && (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0) {
		ok = ioctl(out, FICLONE, in) == 0;
		close(out);
		if (ok) {
			close(in);
			return 0;
		}
		unlink(dst);
	}
	if (in >= 0)
		close(in);
	if (link(src, dst) == 0)
		return 0;
	return copy_hashed(src, dst, hex);
}

/* Write text to path atomically, as an error record on failure. */
static int
write_atomic(const char *path, const char *text, size_t len, struct sd_err *err)
{
	if (sd_write_atomic(path, text, len) == 0)
		return 0;
	return sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot write %s: %s", path, strerror(errno));
}

int
sd_bundle_add_downloads(const struct sd_run *run, const char *dir, struct sd_err *err)
{
	struct sd_strv lines = { 0 };
	char *sums = NULL, *path;
	size_t len = 0;
	int rc = -1;

	if (run->nfiles == 0)
		return 0;
	for (size_t i = 0; i < run->nfiles; i++) {
		const struct sd_downloaded *f = &run->files[i];
		const char *base = strrchr(f->path, '/');
		char folder[300], *sub, *dst, hex[65], *line;
		size_t k = 0;

		base = base ? base + 1 : f->path;
		for (const char *p = f->endpoint; *p && k + 1 < sizeof(folder); p++)
			folder[k++] = (*p == ':' || *p == '/' || *p == '[' || *p == ']') ? '_' : *p;
		folder[k] = '\0';
		sub = sd_xasprintf("%s/downloads/%s", dir, folder);
		dst = sd_xasprintf("%s/%s", sub, base);
		snprintf(hex, sizeof(hex), "%s", f->sha256);
		if (sd_mkdirs(sub) < 0 || (access(dst, F_OK) != 0 && place(f->path, dst, hex) < 0)) {
			sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot copy %s into the bundle: %s", f->path, strerror(errno));
			free(sub);
			free(dst);
			goto out;
		}
		if (strcmp(hex, f->sha256) != 0) {
			sd_error(err, SD_PHASE_LOCAL, "EvidenceChanged",
			    "%s no longer has the SHA-256 recorded when it was downloaded (%s); it changed after the download",
			    f->path, f->sha256);
			free(sub);
			free(dst);
			goto out;
		}
		line = sd_xasprintf("%s  %s/%s\n", hex, folder, base);
		sd_strv_push(&lines, line);
		free(line);
		free(sub);
		free(dst);
	}
	for (size_t i = 0; i < lines.n; i++) {
		/* The same file backed up twice in one run is listed once. */
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			dup |= strcmp(lines.v[k], lines.v[i]) == 0;
		if (dup)
			continue;
		sums = sd_xrealloc(sums, len + strlen(lines.v[i]) + 1);
		memcpy(sums + len, lines.v[i], strlen(lines.v[i]) + 1);
		len += strlen(lines.v[i]);
	}
	path = sd_xasprintf("%s/downloads/SHA256SUMS", dir);
	rc = write_atomic(path, sums, len, err);
	free(path);
out:
	sd_strv_free(&lines);
	free(sums);
	return rc;
}

/* Collect every regular file under root (relative paths) except MANIFEST and its signature. */
static int
collect(const char *root, const char *rel, struct sd_strv *out)
{
	char *path = rel[0] ? sd_xasprintf("%s/%s", root, rel) : sd_xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		free(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		char *child, *full;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = rel[0] ? sd_xasprintf("%s/%s", rel, de->d_name) : sd_xstrdup(de->d_name);
		full = sd_xasprintf("%s/%s", root, child);
		if (lstat(full, &st) < 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = collect(root, child, out);
		else if (strcmp(child, "MANIFEST") != 0 && strcmp(child, "MANIFEST.sig") != 0)
			sd_strv_push(out, child);   /* links and other types are listed so verify flags them */
		free(child);
		free(full);
	}
	closedir(d);
	free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static EVP_PKEY *
load_key(const char *path, int private, struct sd_err *err)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (f == NULL) {
		sd_error(err, SD_PHASE_CONFIG, "KeyUnreadable", "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, getenv("SFTPDRILL_SIGN_PASSPHRASE")) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		sd_error(err, SD_PHASE_CONFIG, "KeyUnreadable", "%s is not a PEM %s key OpenSSL can read", path,
		    private ? "private" : "public");
		ERR_clear_error();
		return NULL;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519 && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		sd_error(err, SD_PHASE_CONFIG, "KeyUnsupported", "%s: use an Ed25519 or ECDSA key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* Ed25519 signs the message itself; ECDSA signs its SHA-256 (as `openssl dgst -sha256`). */
static const EVP_MD *
sig_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static int
read_all(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, n;

	*buf = NULL;
	*len = 0;
	if (f == NULL)
		return -1;
	do {
		if (*len == cap)
			*buf = sd_xrealloc(*buf, cap = cap ? cap * 2 : 65536);
		n = fread(*buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	return 0;
}

/* downloads/SHA256SUMS as "name\thash" entries. */
static struct sd_strv
load_sums(const char *dir)
{
	struct sd_strv out = { 0 };
	char *path = sd_xasprintf("%s/downloads/SHA256SUMS", dir), line[4096];
	FILE *f = fopen(path, "re");

	free(path);
	if (f == NULL)
		return out;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) > 66 && line[64] == ' ' && line[65] == ' ') {
			char *e = sd_xasprintf("%s\t%.64s", line + 66, line);
			sd_strv_push(&out, e);
			free(e);
		}
	}
	fclose(f);
	return out;
}

static const char *
known_hash(const struct sd_strv *known, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < known->n; i++)
		if (strncmp(known->v[i], name, nl) == 0 && known->v[i][nl] == '\t')
			return known->v[i] + nl + 1;
	return NULL;
}

int
sd_bundle_seal(const char *dir, const char *sign_key, struct sd_err *err)
{
	struct sd_strv files = { 0 }, known = { 0 };
	char *manifest = sd_xasprintf("%s/MANIFEST", dir), *text = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t len = 0;
	int rc = -1;

	if (sign_key != NULL) {
		/* Load first: a bad key must not leave an unsigned bundle looking finished. */
		if ((key = load_key(sign_key, 1, err)) == NULL)
			goto out;
		char *pub = sd_xasprintf("%s/signer.pub.pem", dir);
		FILE *f = fopen(pub, "we");
		int ok = f != NULL && PEM_write_PUBKEY(f, key) == 1;
		if (f)
			ok = fclose(f) == 0 && ok;
		free(pub);
		if (!ok) {
			sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot write signer.pub.pem in %s", dir);
			goto out;
		}
	}
	if (collect(dir, "", &files) < 0) {
		sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot read %s: %s", dir, strerror(errno));
		goto out;
	}
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	known = load_sums(dir);
	for (size_t i = 0; i < files.n; i++) {
		char *path = sd_xasprintf("%s/%s", dir, files.v[i]), hex[65], *line;
		/* Downloads were hashed while they streamed in: reading gigabytes again proves nothing new. */
		const char *h = strncmp(files.v[i], "downloads/", 10) == 0 ? known_hash(&known, files.v[i] + 10) : NULL;
		if (h != NULL)
			snprintf(hex, sizeof(hex), "%s", h);
		else if (sd_sha256_file(path, hex) < 0) {
			sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot read %s: %s", path, strerror(errno));
			free(path);
			goto out;
		}
		line = sd_xasprintf("%s  %s\n", hex, files.v[i]);
		text = sd_xrealloc(text, len + strlen(line) + 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
		free(path);
	}
	if (write_atomic(manifest, text ? text : "", len, err) < 0)
		goto out;
	if (key != NULL) {
		unsigned char *sig = NULL;
		size_t siglen = 0;
		char *sigpath = sd_xasprintf("%s/MANIFEST.sig", dir);
		int ok = (ctx = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(ctx, NULL, sig_md(key), NULL, key) == 1 &&
		    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)(text ? text : ""), len) == 1 &&
		    (sig = sd_xmalloc(siglen)) != NULL &&
		    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)(text ? text : ""), len) == 1;
		if (ok)
			ok = write_atomic(sigpath, (const char *)sig, siglen, err) == 0;
		else
			sd_error(err, SD_PHASE_LOCAL, "SignFailed", "OpenSSL could not sign MANIFEST");
		free(sig);
		free(sigpath);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	sd_strv_free(&files);
	sd_strv_free(&known);
	free(manifest);
	free(text);
	return rc;
}

static void
problem(struct sd_strv *problems, const char *fmt, const char *a)
{
	char *clean = sd_printable(a, strlen(a)), *line = sd_xasprintf(fmt, clean);

	sd_strv_push(problems, line);
	free(line);
	free(clean);
}

int
sd_bundle_verify(const char *dir, const char *pub, struct sd_strv *problems, struct sd_err *err)
{
	char *manifest = sd_xasprintf("%s/MANIFEST", dir), *sigpath = sd_xasprintf("%s/MANIFEST.sig", dir);
	unsigned char *text = NULL, *sig = NULL;
	size_t len = 0, siglen = 0, before = problems->n;
	struct sd_strv listed = { 0 }, present = { 0 };
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	if (read_all(manifest, &text, &len) < 0) {
		sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot read %s: %s", manifest, strerror(errno));
		goto out;
	}
	text = sd_xrealloc(text, len + 1);
	text[len] = '\0';
	for (char *line = (char *)text, *nl; *line; line = nl + 1) {
		char hex[65], *path;
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		if (nl - line < 67 || line[64] != ' ' || line[65] != ' ') {
			problem(problems, "MANIFEST: malformed line %s", "");
			if (*nl == '\0')
				break;
			continue;
		}
		char *name = sd_xstrndup(line + 66, (size_t)(nl - line - 66 + (*nl != '\n')));
		sd_strv_push(&listed, name);
		path = sd_xasprintf("%s/%s", dir, name);
		if (strstr(name, "..") || name[0] == '/')
			problem(problems, "%s: MANIFEST names a path outside the bundle", name);
		else if (sd_sha256_file(path, hex) < 0)
			problem(problems, "%s: missing", name);
		else if (strncmp(hex, line, 64) != 0)
			problem(problems, "%s: changed (SHA-256 differs from MANIFEST)", name);
		free(path);
		free(name);
		if (*nl == '\0')
			break;
	}
	if (collect(dir, "", &present) < 0) {
		sd_error(err, SD_PHASE_LOCAL, "LocalIOError", "cannot read %s: %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < present.n; i++) {
		int found = 0;
		for (size_t k = 0; k < listed.n && !found; k++)
			found = strcmp(present.v[i], listed.v[k]) == 0;
		if (!found)
			problem(problems, "%s: extra (not in MANIFEST)", present.v[i]);
	}
	if (pub != NULL) {
		if ((key = load_key(pub, 0, err)) == NULL)
			goto out;
		if (read_all(sigpath, &sig, &siglen) < 0)
			problem(problems, "%s", "MANIFEST.sig: missing (the bundle is not signed)");
		else if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(ctx, NULL, sig_md(key), NULL, key) != 1 ||
		    EVP_DigestVerify(ctx, sig, siglen, text, len) != 1) {
			problem(problems, "%s", "MANIFEST.sig: the signature does not verify with this public key");
			ERR_clear_error();
		}
	}
	rc = problems->n > before ? 1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	sd_strv_free(&listed);
	sd_strv_free(&present);
	free(manifest);
	free(sigpath);
	free(text);
	free(sig);
	return rc;
}
