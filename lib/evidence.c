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

#include "sftpdrill/backup.h"
#include "sftpdrill/evidence.h"

/* Copy src to dst (which must not exist) while hashing; fills hex. 0 or -1 with errno. */
static int
copy_hashed(const char *src, const char *dst, char hex[65])
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1, saved;

	if (in >= 0 && (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0)
		rc = sd_sha256_stream(in, out, hex) == 0 && fsync(out) == 0 ? 0 : -1;
	saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0 && out >= 0)
		unlink(dst);
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
	return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
}

int
sd_bundle_add_downloads(const struct sd_run *run, const char *dir, struct sd_err *err)
{
	struct sd_sums sums = { 0 };
	char *path;
	int rc = -1;

	if (run->nfiles == 0)
		return 0;
	for (size_t i = 0; i < run->nfiles; i++) {
		const struct sd_downloaded *f = &run->files[i];
		const char *base = strrchr(f->path, '/');
		char folder[300], *sub, *dst, *name, hex[65];

		base = base ? base + 1 : f->path;
		sd_endpoint_dirname(f->endpoint, folder, sizeof(folder));
		sub = sd_xasprintf("%s/downloads/%s", dir, folder);
		dst = sd_xasprintf("%s/%s", sub, base);
		snprintf(hex, sizeof(hex), "%s", f->sha256);
		if (sd_mkdirs(sub) < 0 || (access(dst, F_OK) != 0 && place(f->path, dst, hex) < 0)) {
			sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot copy %s into the bundle: %s", f->path, strerror(errno));
			free(sub);
			free(dst);
			goto out;
		}
		free(sub);
		free(dst);
		if (strcmp(hex, f->sha256) != 0) {
			sd_fail(err, SD_KIND_EVIDENCE_CHANGED, SD_PHASE_LOCAL,
			    "%s no longer has the SHA-256 recorded when it was downloaded (%s); it changed after the download",
			    f->path, f->sha256);
			goto out;
		}
		/* The same file backed up from two endpoints of one run sits in two folders. */
		name = sd_xasprintf("%s/%s", folder, base);
		sd_sums_set(&sums, name, hex);
		free(name);
	}
	path = sd_xasprintf("%s/downloads/SHA256SUMS", dir);
	rc = sd_sums_write(&sums, path, err);
	free(path);
out:
	sd_sums_release(&sums);
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
	for (de = readdir(d); de != NULL && rc == 0; de = readdir(d)) {
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
	FILE *f = sd_fopen_regular(path, 0);
	EVP_PKEY *k;

	if (f == NULL) {
		sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_CONFIG, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, getenv("SFTPDRILL_SIGN_PASSPHRASE")) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_CONFIG, "%s is not a PEM %s key OpenSSL can read", path,
		    private ? "private" : "public");
		ERR_clear_error();
		return NULL;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519 && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		sd_fail(err, SD_KIND_SIGN_KEY_INVALID, SD_PHASE_CONFIG, "%s: use an Ed25519 or ECDSA key", path);
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

/* Read a small file of the bundle (MANIFEST, a signature) whole, up to max bytes. 0 or -1. */
static int
read_all(const char *path, size_t max, struct sd_buf *out)
{
	FILE *f = sd_fopen_regular(path, 0);
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (f == NULL)
		return -1;
	out->max = max;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = sd_buf_add(out, chunk, n);
	fclose(f);
	if (rc < 0)
		errno = EFBIG;
	return rc;
}

int
sd_bundle_seal(const char *dir, const char *sign_key, struct sd_err *err)
{
	struct sd_strv files = { 0 };
	struct sd_sums known = { 0 };
	char *manifest = sd_xasprintf("%s/MANIFEST", dir);
	struct sd_buf text = SD_BUF_INIT(0);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	if (sign_key != NULL) {
		/* Load first: a bad key must not leave an unsigned bundle looking finished. */
		key = load_key(sign_key, 1, err);
		if (key == NULL)
			goto out;
		char *pub = sd_xasprintf("%s/signer.pub.pem", dir);
		FILE *f = fopen(pub, "we");
		int ok = f != NULL && PEM_write_PUBKEY(f, key) == 1;
		if (f)
			ok = fclose(f) == 0 && ok;
		free(pub);
		if (!ok) {
			sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write signer.pub.pem in %s", dir);
			goto out;
		}
	}
	if (collect(dir, "", &files) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", dir, strerror(errno));
		goto out;
	}
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	{
		char *sums = sd_xasprintf("%s/downloads/SHA256SUMS", dir);
		sd_sums_read(&known, sums);
		free(sums);
	}
	for (size_t i = 0; i < files.n; i++) {
		char *path = sd_xasprintf("%s/%s", dir, files.v[i]), hex[65];
		/* Downloads were hashed while they streamed in: reading gigabytes again proves nothing new. */
		const char *h = strncmp(files.v[i], "downloads/", 10) == 0 ? sd_sums_get(&known, files.v[i] + 10) : NULL;
		if (h != NULL)
			snprintf(hex, sizeof(hex), "%s", h);
		else if (sd_sha256_file(path, hex) < 0) {
			sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", path, strerror(errno));
			free(path);
			goto out;
		}
		sd_buf_addf(&text, "%s  %s\n", hex, files.v[i]);
		free(path);
	}
	if (write_atomic(manifest, sd_buf_str(&text), text.len, err) < 0)
		goto out;
	if (key != NULL) {
		unsigned char *sig = NULL;
		size_t siglen = 0;
		char *sigpath = sd_xasprintf("%s/MANIFEST.sig", dir);
		int ok = (ctx = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(ctx, NULL, sig_md(key), NULL, key) == 1 &&
		    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)sd_buf_str(&text), text.len) == 1 &&
		    (sig = sd_xmalloc(siglen)) != NULL &&
		    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)sd_buf_str(&text), text.len) == 1;
		if (ok)
			ok = write_atomic(sigpath, (const char *)sig, siglen, err) == 0;
		else
			sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "OpenSSL could not sign MANIFEST");
		free(sig);
		free(sigpath);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	sd_strv_release(&files);
	sd_sums_release(&known);
	free(manifest);
	sd_buf_release(&text);
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
	struct sd_buf mtext = SD_BUF_INIT(0), sig = SD_BUF_INIT(0);
	char *text;
	size_t before = problems->n;
	struct sd_strv listed = { 0 }, present = { 0 };
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	if (read_all(manifest, SD_BUF_MAX, &mtext) < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", manifest, strerror(errno));
		goto out;
	}
	text = mtext.p ? mtext.p : "";
	for (char *line = text, *nl; *line; line = nl + 1) {
		char hex[65], *path;
		nl = strchr(line, '\n');
		if (nl == NULL)
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
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", dir, strerror(errno));
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
		key = load_key(pub, 0, err);
		if (key == NULL)
			goto out;
		if (read_all(sigpath, 65536, &sig) < 0)
			problem(problems, "%s", "MANIFEST.sig: missing (the bundle is not signed)");
		else if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(ctx, NULL, sig_md(key), NULL, key) != 1 ||
		    EVP_DigestVerify(ctx, (const unsigned char *)sd_buf_str(&sig), sig.len,
		    (const unsigned char *)sd_buf_str(&mtext), mtext.len) != 1) {
			problem(problems, "%s", "MANIFEST.sig: the signature does not verify with this public key");
			ERR_clear_error();
		}
	}
	rc = problems->n > before ? 1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	sd_strv_release(&listed);
	sd_strv_release(&present);
	free(manifest);
	free(sigpath);
	sd_buf_release(&mtext);
	sd_buf_release(&sig);
	return rc;
}

/* Each drill with the SHA-256 of every file it read, and the -D definitions (masked). */
static void
runinfo_drills(FILE *f, const struct sd_runinfo *ri)
{
	for (size_t i = 0; i < ri->ndrills; i++) {
		const struct sd_drill *d = ri->drills[i];
		fprintf(f, "drill: %s\n", d->name);
		for (size_t k = 0; k < d->nfiles; k++) {
			char hex[65];
			if (sd_sha256_file(d->files[k], hex) < 0)
				snprintf(hex, sizeof(hex), "unreadable");
			fprintf(f, "drill-file: %s  %s\n", hex, d->files[k]);
		}
	}
	for (size_t i = 0; ri->ndrills > 0 && i < ri->drills[0]->vars.n; i++) {
		const struct sd_var *var = &ri->drills[0]->vars.v[i];
		char *masked;
		if (var->origin != SD_VAR_CMDLINE)
			continue;
		masked = sd_redact_own(ri->redact, sd_xasprintf("-D %s=%s", var->name, var->secret ? SD_REDACTED : var->value));
		fprintf(f, "definition: %s\n", masked);
		free(masked);
	}
}

int
sd_bundle_write_runinfo(const char *dir, const struct sd_runinfo *ri, struct sd_err *err)
{
	char *path = sd_xasprintf("%s/RUN-INFO", dir), *tmp, start[32], end[32];
	FILE *f = sd_atomic_open(path, &tmp);
	const struct sd_run *run = ri->run;
	int rc = 0;

	sd_utc_iso(run->started, start, sizeof(start));
	sd_utc_iso(run->started + (time_t)run->time, end, sizeof(end));
	if (f != NULL) {
		fprintf(f, "tool: %s\nlibraries: %s\noperator: %s\nhostname: %s\n", ri->tool, ri->libraries,
		    ri->operator_name, ri->hostname);
		fprintf(f, "started: %sZ\nfinished: %sZ\nbusiness-date: %s\n", start, end, ri->business_date);
		runinfo_drills(f, ri);
		fprintf(f, "result: %zu passed, %zu failed, %zu errors, %zu skipped\nexit-status: %d\n",
		    sd_count(run, NULL, SD_PASS), sd_count(run, NULL, SD_FAIL), sd_count(run, NULL, SD_ERROR),
		    sd_count(run, NULL, SD_SKIP), ri->exit_status);
	}
	if (sd_atomic_commit(f, tmp, path) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
	free(path);
	return rc;
}
