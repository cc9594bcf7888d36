/* evidence.c — the sealed audit bundle: downloads, RUN-INFO, MANIFEST and signatures, verify. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "sftpdrill/domain/backup.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/html.h"
#include "sftpdrill/evidence/junit.h"
#include "sftpdrill/evidence/sign.h"

#define MANIFEST "MANIFEST"
#define STAGING ".unsealed"
#define MAX_SIGNERS 16

/* One downloaded file into the bundle (downloads/ENDPOINT/REMOTE-FOLDER/NAME), unless the download already put its copy there. */
static int
add_one(const struct sd_downloaded *f, const char *dir, struct sd_sums *sums, struct sd_err *err)
{
	char *dst = sd_xasprintf("%s/downloads/%s", dir, f->evidence), *sub = sd_xstrndup(dst, (size_t)(strrchr(dst, '/') - dst));
	char hex[65];
	struct stat st;
	int rc = 0;

	memcpy(hex, f->sha256, sizeof(hex));
	if (sd_mkdirs(sub) < 0 || (lstat(dst, &st) < 0 && sd_copy_file(f->path, dst, hex) < 0))
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot copy %s into the bundle: %s", f->path,
		    strerror(errno));
	else if (strcmp(hex, f->sha256) != 0)
		rc = sd_fail(err, SD_KIND_EVIDENCE_CHANGED, SD_PHASE_LOCAL,
		    "%s no longer has the SHA-256 recorded when it was downloaded (%s); it changed after the download",
		    f->path, f->sha256);
	/* The same file backed up from two endpoints, or two folders, of one run sits in two places. */
	if (rc == 0)
		sd_sums_set(sums, f->evidence, hex);
	free(sub);
	free(dst);
	return rc;
}

int
sd_bundle_add_downloads(const struct sd_run *run, const char *dir, struct sd_err *err)
{
	struct sd_sums sums = { 0 };
	char *path;
	int rc = 0;

	if (run->nfiles == 0)
		return 0;
	for (size_t i = 0; i < run->nfiles && rc == 0; i++)
		rc = add_one(&run->files[i], dir, &sums, err);
	if (rc == 0) {
		path = sd_xasprintf("%s/downloads/%s", dir, SD_BACKUP_SUMS);
		rc = sd_sums_write(&sums, path, err);
		free(path);
	}
	sd_sums_release(&sums);
	return rc;
}

/* A folder-name form of a drill name: lower case, runs of anything else as one '-'. */
static void
slugify(const char *name, char *slug, size_t len)
{
	size_t k = 0;

	for (const char *p = name; *p && k + 1 < len; p++) {
		char ch = *p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			slug[k++] = ch;
		else if (ch >= 'A' && ch <= 'Z')
			slug[k++] = (char)(ch - 'A' + 'a');
		else if (k > 0 && slug[k - 1] != '-')
			slug[k++] = '-';
	}
	while (k > 0 && slug[k - 1] == '-')
		k--;
	slug[k] = '\0';
}

/* At most 40 characters of slug, cut at a '-' where there is one: a run folder's path fits a terminal line. */
static void
shorten(char *slug)
{
	char *dash;

	if (strlen(slug) <= 40)
		return;
	slug[40] = '\0';
	dash = strrchr(slug, '-');
	if (dash != NULL && dash - slug >= 20)
		*dash = '\0';
}

char *
sd_bundle_new_folder(const char *parent, const char *name, const char *suffix, time_t t)
{
	char ts[32], slug[128];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	slugify(name, slug, sizeof(slug) - strlen(suffix));
	shorten(slug);
	strcat(slug, suffix);
	if (sd_mkdirs(parent) < 0)
		return NULL;
	for (int k = 1; k < 1000; k++) {
		char *dir = k == 1 ? sd_xasprintf("%s/%s-%s", parent, ts, slug[0] ? slug : "drill") :
		    sd_xasprintf("%s/%s-%s-%d", parent, ts, slug[0] ? slug : "drill", k);
		if (mkdir(dir, 0777) == 0)
			return dir;
		free(dir);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

char *
sd_bundle_staged(const char *dir, const char *name)
{
	char *staging = sd_xasprintf("%s/%s", dir, STAGING), *path = sd_xasprintf("%s/%s", staging, name);

	mkdir(staging, 0777);
	free(staging);
	return path;
}

/* A file of a bundle: the name MANIFEST gives it, where it is now, what it is. */
struct member {
	char *name;
	char *path;
	int regular;
};

struct members {
	struct member *v;
	size_t n, cap;
};

static void
members_release(struct members *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].path);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Every file under root/rel: staged reports under their final names; MANIFEST and signatures left out. */
static int is_slot(const char *name);

static int
collect(const char *root, const char *rel, int staged, struct members *out)
{
	char *path = rel[0] ? sd_xasprintf("%s/%s", root, rel) : sd_xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = d ? 0 : -1;

	for (de = d ? readdir(d) : NULL; de != NULL && rc == 0; de = readdir(d)) {
		char *child = rel[0] ? sd_xasprintf("%s/%s", rel, de->d_name) : sd_xstrdup(de->d_name);
		char *full = sd_xasprintf("%s/%s", root, child);
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || (!rel[0] && !staged &&
		    (strcmp(child, MANIFEST) == 0 || is_slot(child)))) {
			/* not a member */
		} else if (lstat(full, &st) < 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode) && !rel[0] && strcmp(child, STAGING) == 0)
			rc = collect(full, "", 1, out);
		else if (S_ISDIR(st.st_mode))
			rc = collect(root, child, staged, out);
		else {
			SD_GROW(out->v, out->n + 1, out->cap);
			out->v[out->n++] = (struct member){ sd_xstrdup(child), sd_xstrdup(full), S_ISREG(st.st_mode) };
		}
		free(child);
		free(full);
	}
	if (d)
		closedir(d);
	free(path);
	return rc;
}

static int
cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

/* MANIFEST's text: the SHA-256 of every member, by name; downloads take the hash recorded while they streamed. */
static int
manifest_text(const char *dir, struct members *m, struct sd_buf *text, struct sd_err *err)
{
	struct sd_sums known = { 0 };
	char *sums = sd_xasprintf("%s/downloads/%s", dir, SD_BACKUP_SUMS);
	int rc = 0;

	sd_sums_read(&known, sums);
	free(sums);
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), cmp_member);
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		const char *h = strncmp(m->v[i].name, "downloads/", 10) == 0 ? sd_sums_get(&known, m->v[i].name + 10) : NULL;
		char hex[65];

		if (h != NULL)
			memcpy(hex, h, sizeof(hex));
		else if (sd_sha256_file(m->v[i].path, hex) < 0)
			rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", m->v[i].path,
			    strerror(errno));
		sd_buf_addf(text, "%s  %s\n", hex, m->v[i].name);
	}
	sd_sums_release(&known);
	return rc;
}

/* Write data to dir/name atomically; 0 or -1 with err. */
static int
put(const char *dir, const char *name, const void *data, size_t len, struct sd_err *err)
{
	char *path = sd_xasprintf("%s/%s", dir, name);
	int rc = sd_write_atomic(path, data, len);

	if (rc < 0)
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* The signature slot number n: MANIFEST.sig and signer.pub.pem for the first, .sig.N and signer.N.pub.pem after. */
static void
slot_names(int n, char *sig, size_t siglen, char *pub, size_t publen)
{
	if (n == 1) {
		snprintf(sig, siglen, MANIFEST ".sig");
		snprintf(pub, publen, "signer.pub.pem");
	} else {
		snprintf(sig, siglen, MANIFEST ".sig.%d", n);
		snprintf(pub, publen, "signer.%d.pub.pem", n);
	}
}

/* Sign MANIFEST's text into dir's first free signature slot. */
static int
add_signature(const char *dir, const struct sd_signer *signer, const struct sd_buf *text, struct sd_err *err)
{
	struct sd_buf sig = SD_BUF_INIT(0), pub = SD_BUF_INIT(0);
	char signame[64], pubname[64], *probe = NULL;
	int n, rc = -1;

	for (n = 1; n <= MAX_SIGNERS; n++) {
		slot_names(n, signame, sizeof(signame), pubname, sizeof(pubname));
		free(probe);
		probe = sd_xasprintf("%s/%s", dir, signame);
		if (access(probe, F_OK) != 0)
			break;
	}
	free(probe);
	if (n > MAX_SIGNERS)
		return sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_LOCAL, "%s already holds %d signatures", dir, MAX_SIGNERS);
	if (sd_sign_data(signer, sd_buf_str(text), text->len, &sig, err) == 0 && sd_signer_public_pem(signer, &pub) == 0 &&
	    put(dir, pubname, sd_buf_str(&pub), pub.len, err) == 0)
		rc = put(dir, signame, sig.p, sig.len, err);
	sd_buf_release(&sig);
	sd_buf_release(&pub);
	return rc;
}

/* Staged reports into place, junit.xml last: until then no file in the folder claims a verdict. */
static int
unstage(const char *dir, struct sd_err *err)
{
	static const char *const order[] = { "summary.html", "RUN-INFO", "junit.xml" };
	char *staging = sd_xasprintf("%s/%s", dir, STAGING);
	int rc = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && rc == 0; i++) {
		char *from = sd_xasprintf("%s/%s", staging, order[i]), *to = sd_xasprintf("%s/%s", dir, order[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot put %s in place: %s", to,
			    strerror(errno));
		free(from);
		free(to);
	}
	if (rc == 0 && rmdir(staging) < 0 && errno != ENOENT)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "%s still holds files nobody staged: %s", staging,
		    strerror(errno));
	free(staging);
	return rc;
}

int
sd_bundle_seal(const char *dir, const struct sd_signer *signer, struct sd_err *err)
{
	struct members m = { 0 };
	struct sd_buf text = SD_BUF_INIT(0);
	int rc;

	rc = collect(dir, "", 0, &m) < 0 ?
	    sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", dir, strerror(errno)) : 0;
	if (rc == 0)
		rc = manifest_text(dir, &m, &text, err);
	/* MANIFEST and the signature first, then the reports: a kill in between leaves a bundle verify rejects. */
	if (rc == 0)
		rc = put(dir, MANIFEST, sd_buf_str(&text), text.len, err);
	if (rc == 0 && signer != NULL)
		rc = add_signature(dir, signer, &text, err);
	if (rc == 0)
		rc = unstage(dir, err);
	members_release(&m);
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

/* Read a small file of the bundle (MANIFEST, a signature) whole, up to max bytes. 0 or -1. */
static int
read_small(const char *path, size_t max, struct sd_buf *out)
{
	int fd = sd_open_regular(path, SD_NOFOLLOW);
	char chunk[65536];
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -1;
	out->max = max;
	for (n = read(fd, chunk, sizeof(chunk)); n > 0 && rc == 0; n = read(fd, chunk, sizeof(chunk)))
		rc = sd_buf_add(out, chunk, (size_t)n);
	close(fd);
	return rc < 0 || n < 0 ? -1 : 0;
}

/* Is a MANIFEST path one that stays inside the bundle: relative, no ".." component? */
static int
inside(const char *name)
{
	if (name[0] == '/' || name[0] == '\0')
		return 0;
	for (const char *p = name; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

/* Check each MANIFEST line against the file it names; the names go into listed. */
static void
check_manifest(const char *dir, const char *text, struct sd_strv *listed, struct sd_strv *problems)
{
	for (const char *line = text, *nl; *line; line = *nl ? nl + 1 : nl) {
		char hex[65], *name, *path;
		struct stat st;

		nl = line + strcspn(line, "\n");
		if (nl - line < 67 || line[64] != ' ' || line[65] != ' ') {
			problem(problems, "MANIFEST: malformed line %s", "");
			continue;
		}
		name = sd_xstrndup(line + 66, (size_t)(nl - line - 66));
		sd_strv_push(listed, name);
		path = sd_xasprintf("%s/%s", dir, name);
		if (!inside(name))
			problem(problems, "%s: MANIFEST names a path outside the bundle", name);
		else if (lstat(path, &st) < 0)
			problem(problems, "%s: missing", name);
		else if (!S_ISREG(st.st_mode))
			problem(problems, "%s: not a regular file (a bundle holds only regular files; a link may point anywhere)",
			    name);
		else if (sd_sha256_file(path, hex) < 0 || strncmp(hex, line, 64) != 0)
			problem(problems, "%s: changed (SHA-256 differs from MANIFEST)", name);
		free(path);
		free(name);
	}
}

/* Every file present that MANIFEST does not name, and every member that is not a regular file. */
static void
check_present(const char *dir, const struct sd_strv *listed, struct sd_strv *problems)
{
	struct members m = { 0 };
	struct stat st;
	char *staging = sd_xasprintf("%s/%s", dir, STAGING);

	if (lstat(staging, &st) == 0)
		problem(problems, "%s: reports never put in place: the run was stopped while sealing", STAGING);
	free(staging);
	collect(dir, "", 0, &m);
	for (size_t i = 0; i < m.n; i++) {
		int found = 0;
		for (size_t k = 0; k < listed->n && !found; k++)
			found = strcmp(m.v[i].name, listed->v[k]) == 0;
		if (!m.v[i].regular)
			problem(problems, "%s: not a regular file (a link or device inside the bundle)", m.v[i].name);
		else if (!found)
			problem(problems, "%s: extra (not in MANIFEST)", m.v[i].name);
	}
	members_release(&m);
}

/* Is name one of the signature slots (MANIFEST.sig[.N], signer[.N].pub.pem, N from 2 to MAX_SIGNERS)? */
static int
is_slot(const char *name)
{
	for (int n = 1; n <= MAX_SIGNERS; n++) {
		char sig[64], pub[64];
		slot_names(n, sig, sizeof(sig), pub, sizeof(pub));
		if (strcmp(name, sig) == 0 || strcmp(name, pub) == 0)
			return 1;
	}
	return 0;
}

/* One signature slot present: which key verifies it, said in out. -1 when it is bad. */
static int
check_one_signature(const char *dir, int n, const struct sd_buf *text, const struct sd_strv *pubs, int *used,
    struct sd_bundle_check *out)
{
	char signame[64], pubname[64], *path, *line = NULL;
	struct sd_buf sig = SD_BUF_INIT(0);
	int found = -1, rc = 0;

	slot_names(n, signame, sizeof(signame), pubname, sizeof(pubname));
	path = sd_xasprintf("%s/%s", dir, signame);
	if (read_small(path, 65536, &sig) < 0) {
		free(path);
		return 1;       /* no signature in this slot */
	}
	out->nsignatures++;
	for (size_t k = 0; k < pubs->n && found < 0; k++)
		if (sd_sign_check(pubs->v[k], sd_buf_str(text), text->len, sig.p, sig.len, NULL) == 1)
			found = (int)k;
	free(path);
	path = sd_xasprintf("%s/%s", dir, pubname);
	if (found >= 0) {
		used[found] = 1;
		line = sd_xasprintf("%s: verified with %s", signame, pubs->v[found]);
	} else if (sd_sign_check(path, sd_buf_str(text), text->len, sig.p, sig.len, NULL) == 1)
		line = sd_xasprintf("%s: signed by the key beside it (%s), which was not given with --pub: it says who signed, "
		    "not that you trust them", signame, pubname);
	else {
		line = sd_xasprintf("%s: BAD: verifies with no key given%s", signame, access(path, F_OK) == 0 ?
		    " and not with the key beside it" : ", and no signer key is beside it");
		sd_strv_push(&out->signer_problems, line);
		rc = -1;
	}
	sd_strv_push(&out->signatures, line);
	free(line);
	free(path);
	sd_buf_release(&sig);
	return rc;
}

/* Each signature present against the public keys given; every key given must have signed. */
static void
check_signatures(const char *dir, const struct sd_buf *text, const struct sd_strv *pubs, struct sd_bundle_check *out)
{
	int *used = sd_xcalloc(pubs->n + 1, sizeof(*used));

	for (int n = 1; n <= MAX_SIGNERS; n++)
		check_one_signature(dir, n, text, pubs, used, out);
	for (size_t k = 0; k < pubs->n; k++)
		if (!used[k]) {
			char *line = sd_xasprintf(out->nsignatures ? "%s: signed no signature of this bundle" :
			    "%s: the bundle is not signed at all (no MANIFEST.sig)", pubs->v[k]);
			sd_strv_push(&out->signer_problems, line);
			free(line);
		}
	free(used);
}

/* The value of "key: value" in text, into out (cut to len); "" when absent. */
static void
field(const char *text, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);

	out[0] = '\0';
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':' && line[klen + 1] == ' ') {
			snprintf(out, len, "%.*s", (int)strcspn(line + klen + 2, "\n"), line + klen + 2);
			return;
		}
}

/* What the bundle says of itself: RUN-INFO's verdict and mode. */
static void
recorded_verdict(const char *dir, struct sd_bundle_check *out)
{
	char *path = sd_xasprintf("%s/RUN-INFO", dir);
	struct sd_buf info = SD_BUF_INIT(0);

	if (read_small(path, 1 << 20, &info) == 0) {
		field(sd_buf_str(&info), "verdict", out->verdict, sizeof(out->verdict));
		field(sd_buf_str(&info), "mode", out->mode, sizeof(out->mode));
	}
	sd_buf_release(&info);
	free(path);
}

int
sd_bundle_verify(const char *dir, const struct sd_strv *pubs, struct sd_bundle_check *out, struct sd_err *err)
{
	char *manifest = sd_xasprintf("%s/%s", dir, MANIFEST);
	struct sd_buf text = SD_BUF_INIT(0);
	struct sd_strv listed = { 0 };
	size_t before = out->problems.n;
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(manifest);
		return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_LOCAL, "%s is not a folder", dir);
	}
	if (read_small(manifest, SD_BUF_MAX, &text) < 0) {
		problem(&out->problems, "%s: missing: the bundle was never sealed (an interrupted or crashed run)", MANIFEST);
		out->sealed = 0;
	} else {
		out->sealed = 1;
		check_manifest(dir, sd_buf_str(&text), &listed, &out->problems);
		check_signatures(dir, &text, pubs, out);
		recorded_verdict(dir, out);
	}
	check_present(dir, &listed, &out->problems);
	sd_strv_release(&listed);
	sd_buf_release(&text);
	free(manifest);
	return out->problems.n > before || out->signer_problems.n > 0 ? 1 : 0;
}

void
sd_bundle_check_release(struct sd_bundle_check *c)
{
	sd_strv_release(&c->problems);
	sd_strv_release(&c->signatures);
	sd_strv_release(&c->signer_problems);
}

int
sd_bundle_sign(const char *dir, const struct sd_signer *signer, struct sd_err *err)
{
	struct sd_bundle_check check = { 0 };
	struct sd_strv none = { 0 };
	struct sd_buf text = SD_BUF_INIT(0);
	char *manifest = sd_xasprintf("%s/%s", dir, MANIFEST);
	int rc = sd_bundle_verify(dir, &none, &check, err);

	/* A signature says "this is what was sealed": never over a bundle that no longer is. */
	if (rc > 0 && check.problems.n > 0)
		rc = sd_fail(err, SD_KIND_EVIDENCE_CHANGED, SD_PHASE_LOCAL, "%s is not intact (%s%s); not signed", dir,
		    check.problems.v[0], check.problems.n > 1 ? ", ..." : "");
	else if (rc > 0)
		rc = sd_fail(err, SD_KIND_EVIDENCE_CHANGED, SD_PHASE_LOCAL, "%s holds a bad signature (%s); not signed", dir,
		    check.signer_problems.v[0]);
	if (rc == 0 && read_small(manifest, SD_BUF_MAX, &text) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", manifest, strerror(errno));
	if (rc == 0)
		rc = add_signature(dir, signer, &text, err);
	sd_bundle_check_release(&check);
	sd_buf_release(&text);
	free(manifest);
	return rc;
}

/* Each drill with the SHA-256 of every file it read (the bytes parsed), and the -D definitions (masked). */
static void
runinfo_drills(FILE *f, const struct sd_run *run)
{
	for (size_t i = 0; i < run->ndrills; i++) {
		const struct sd_drill_record *d = &run->drills[i];
		fprintf(f, "drill: %s\n", d->name);
		for (size_t k = 0; k < d->files.n && k < d->sha256.n; k++)
			fprintf(f, "drill-file: %s  %s\n", d->sha256.v[k], d->files.v[k]);
		if (d->window_status)
			fprintf(f, "window: %s: %s\n", d->window ? d->window : "none", d->window_status);
	}
	for (size_t i = 0; i < run->definitions.n; i++)
		fprintf(f, "definition: %s\n", run->definitions.v[i]);
}

/* The verdict, as every writer tells it, and how the process ended. */
static void
runinfo_verdict(FILE *f, const struct sd_run *run, int exit_status)
{
	struct sd_verdict v;
	struct sd_buf line = SD_BUF_INIT(0);

	sd_run_verdict_of(run, &v);
	sd_verdict_line(&v, &line);
	if (run->interrupted)
		fprintf(f, "interrupted: signal %d while %s\n", run->interrupted,
		    run->interrupted_while ? run->interrupted_while : "running");
	fprintf(f, "result: %s\nverdict: %s\nexit-status: %d\n", sd_buf_str(&line), v.text, exit_status);
	sd_buf_release(&line);
}

static const char *
or_unknown(const char *s)
{
	return s ? s : "(unknown)";
}

int
sd_bundle_write_runinfo(const char *dir, const struct sd_run *run, int exit_status, struct sd_err *err)
{
	char *path = sd_bundle_staged(dir, "RUN-INFO"), *tmp, start[32], end[32], clock[32];
	const struct sd_run_facts *x = &run->facts;
	FILE *f = sd_atomic_open(path, &tmp);
	int rc = 0;

	sd_utc_iso(run->started, start, sizeof(start));
	sd_utc_iso(run->started + (time_t)run->time, end, sizeof(end));
	sd_utc_iso(x->clock, clock, sizeof(clock));
	if (f != NULL) {
		fprintf(f, "tool: %s\nlibraries: %s\noperator: %s\nhostname: %s\n", or_unknown(x->tool),
		    or_unknown(x->libraries), or_unknown(x->operator_name), or_unknown(x->hostname));
		fprintf(f, "started: %sZ\nfinished: %sZ\nclock: %sZ (the machine's, at the start)\n", start, end, clock);
		if (x->now_override)
			fprintf(f, "now: %s (--now: the clock the window check used)\n", x->now_override);
		fprintf(f, "mode: %s\nbusiness-date: %s\n", run->mode ? run->mode : "session", or_unknown(x->business_date));
		runinfo_drills(f, run);
		runinfo_verdict(f, run, exit_status);
	}
	if (sd_atomic_commit(f, tmp, path) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* Write a staged report with writer; 0 or -1 with err. */
static int
staged(const char *dir, const char *name, const struct sd_run *run, const struct sd_bundle_opts *o,
    int (*writer)(const struct sd_run *, const struct sd_bundle_opts *, const char *, struct sd_err *), struct sd_err *err)
{
	char *path = sd_bundle_staged(dir, name);
	int rc = writer(run, o, path, err);

	free(path);
	return rc;
}

static int
junit_writer(const struct sd_run *run, const struct sd_bundle_opts *o, const char *path, struct sd_err *err)
{
	(void)o;
	return sd_junit_write(run, path, err);
}

static int
html_writer(const struct sd_run *run, const struct sd_bundle_opts *o, const char *path, struct sd_err *err)
{
	return sd_html_write(run, o->html, path, err);
}

int
sd_bundle_write(const char *dir, const struct sd_run *run, const struct sd_bundle_opts *o, struct sd_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < o->nextra && rc == 0; i++)
		rc = put(dir, o->extra_names[i], o->extra_texts[i], strlen(o->extra_texts[i]), err);
	/* Reports that claim a verdict are staged: only the seal puts them in place. */
	if (rc == 0)
		rc = staged(dir, "junit.xml", run, o, junit_writer, err);
	if (rc == 0)
		rc = staged(dir, "summary.html", run, o, html_writer, err);
	if (rc == 0)
		rc = sd_bundle_add_downloads(run, dir, err);
	if (rc == 0 && o->runinfo)
		rc = sd_bundle_write_runinfo(dir, run, o->exit_status, err);
	return rc < 0 ? -1 : sd_bundle_seal(dir, o->signer, err);
}
