/* baseline.c — manifests of a report folder per business date, and the key reference file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/domain/calendar.h"

void
sd_manifest_add(struct sd_manifest *m, const char *name, char type, uint64_t size, int64_t mtime)
{
	SD_GROW(m->v, m->n + 1, m->cap);
	m->v[m->n++] = (struct sd_manifest_entry){ sd_xstrdup(name), type, size, mtime };
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct sd_manifest_entry *)a)->name, ((const struct sd_manifest_entry *)b)->name);
}

void
sd_manifest_sort(struct sd_manifest *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), cmp_entry);
}

static int
is_file(const struct sd_manifest_entry *e)
{
	return e->type == 'f' || e->type == '?';
}

size_t
sd_manifest_files(const struct sd_manifest *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += is_file(&m->v[i]);
	return n;
}

/* Names go on one line: percent-encode space, controls, DEL and '%'. */
static void
put_name(FILE *f, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

static char *
get_name(const char *s)
{
	char *out = sd_xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		unsigned v;
		if (*s == '%' && sscanf(s + 1, "%2X", &v) == 1 && v != 0) {
			*o++ = (char)v;
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

int
sd_manifest_write(const struct sd_manifest *m, const char *path, const char *const *header,
    struct sd_err *err)
{
	char *tmp = NULL, *dir = sd_xstrdup(path), *slash;
	FILE *f = NULL;

	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (sd_mkdirs(dir) < 0)
			goto fail;
	}
	f = sd_atomic_open(path, &tmp);
	if (f == NULL)
		goto fail;
	fprintf(f, "# sftpdrill manifest 1\n");
	for (size_t i = 0; header && header[i] && header[i + 1]; i += 2)
		fprintf(f, "# %s %s\n", header[i], header[i + 1]);
	fprintf(f, "# entries %zu files %zu\n# type size mtime name\n", m->n, sd_manifest_files(m));
	for (size_t i = 0; i < m->n; i++) {
		const struct sd_manifest_entry *e = &m->v[i];
		if (e->mtime >= 0)
			fprintf(f, "%c %llu %lld ", e->type, (unsigned long long)e->size, (long long)e->mtime);
		else
			fprintf(f, "%c %llu - ", e->type, (unsigned long long)e->size);
		put_name(f, e->name);
		fputc('\n', f);
	}
	if (sd_atomic_commit(f, tmp, path) < 0)
		goto fail;
	free(dir);
	return 0;
fail:
	free(dir);
	return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write manifest %s: %s", path, strerror(errno));
}

int
sd_manifest_read(const char *path, struct sd_manifest *m, struct sd_err *err)
{
	FILE *f = sd_fopen_regular(path, 0);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	if (f == NULL)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read manifest %s: %s", path, strerror(errno));
	for (len = getline(&line, &cap, f); len >= 0; len = getline(&line, &cap, f)) {
		char type, mt[32], *name;
		unsigned long long size;
		int off = 0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%c %llu %31s %n", &type, &size, mt, &off) != 3 || off == 0 || line[off] == '\0') {
			rc = sd_fail(err, SD_KIND_BASELINE_INVALID, SD_PHASE_LOCAL, "%s:%d: not a manifest line", path, lineno);
			break;
		}
		name = get_name(line + off);
		sd_manifest_add(m, name, type, size, strcmp(mt, "-") == 0 ? -1 : strtoll(mt, NULL, 10));
		free(name);
	}
	free(line);
	fclose(f);
	sd_manifest_sort(m);
	return rc;
}

void
sd_manifest_diff(const struct sd_manifest *old, const struct sd_manifest *now,
    struct sd_strv *added, struct sd_strv *removed)
{
	size_t i = 0, k = 0;

	/* Merge walk over two sorted lists: linear, no lookups. */
	while (i < old->n || k < now->n) {
		int c = i >= old->n ? 1 : k >= now->n ? -1 : strcmp(old->v[i].name, now->v[k].name);
		if (c < 0) {
			if (is_file(&old->v[i]))
				sd_strv_push(removed, old->v[i].name);
			i++;
		} else if (c > 0) {
			if (is_file(&now->v[k]))
				sd_strv_push(added, now->v[k].name);
			k++;
		} else {
			i++;
			k++;
		}
	}
}

void
sd_manifest_release(struct sd_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* A path component that is safe on any file system and still readable. */
static char *
component(const char *s)
{
	char *out = sd_xmalloc(3 * strlen(s) + 2), *o = out;

	if (*s == '\0')
		*o++ = '_';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || (*p == '.' && p != (const unsigned char *)s))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

char *
sd_account_dir(const char *state, const char *service, const char *user)
{
	char *s = component(service), *u = component(user), *dir;

	dir = sd_xasprintf("%s/%s/%s", state, s, u);
	free(s);
	free(u);
	return dir;
}

int
sd_account_has_history(const char *account)
{
	char *ledger = sd_xasprintf("%s/backup-ledger", account);
	int yes = access(ledger, F_OK) == 0;

	free(ledger);
	return yes;
}

char *
sd_baseline_dir(const char *account, const char *folder, long day)
{
	char date[16], *f = component(folder), *dir;

	sd_date_format(day, 0, date, sizeof(date));
	dir = sd_xasprintf("%s/baselines/%s/%s", account, f, date);
	free(f);
	return dir;
}

char *
sd_keyref_path(const char *account)
{
	return sd_xasprintf("%s/key-reference", account);
}

/* Append one line to the file at path (made with its folder if need be): O_APPEND, never through a link. */
static int
append_line(const char *path, const char *line, struct sd_err *err)
{
	char *dir = sd_xstrdup(path), *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash != NULL) {
		*slash = '\0';
		sd_mkdirs(dir);
	}
	free(dir);
	/* O_APPEND: concurrent endpoints never interleave a line. */
	fd = sd_open_regular(path, SD_APPEND | SD_NOFOLLOW);
	if (fd < 0 || dprintf(fd, "%s\n", line) < 0 || fsync(fd) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path,
		    errno == ELOOP || errno == EINVAL ? "a link or not a regular file; refused" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

char *
sd_baseline_file(const char *dir, const char *endpoint)
{
	char *e = component(endpoint), *path = sd_xasprintf("%s/%s.manifest", dir, e);

	free(e);
	return path;
}

char *
sd_baseline_find(const char *dir, const char *endpoint)
{
	char *own = sd_baseline_file(dir, endpoint), *best = NULL;
	DIR *d;
	struct dirent *de;

	if (access(own, R_OK) == 0)
		return own;
	free(own);
	d = opendir(dir);
	if (d == NULL)
		return NULL;
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		size_t l = strlen(de->d_name);
		if (l > 9 && strcmp(de->d_name + l - 9, ".manifest") == 0 && de->d_name[0] != '.' &&
		    (best == NULL || strcmp(de->d_name, best) < 0)) {
			free(best);
			best = sd_xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (best != NULL) {
		char *path = sd_xasprintf("%s/%s", dir, best);
		free(best);
		return path;
	}
	return NULL;
}

int
sd_keyref_check(const char *path, const char *name, const char *fp, int may_record, int *recorded,
    struct sd_err *err)
{
	/* Never through a link: key lines must not be appended to whatever a link points at. */
	FILE *f = sd_fopen_regular(path, SD_NOFOLLOW);
	char line[512], *entry;
	int rc;

	*recorded = 0;
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char n[256], v[256];
			if (line[0] == '#' || sscanf(line, "%255s %255s", n, v) != 2 || strcmp(n, name) != 0)
				continue;
			fclose(f);
			if (strcmp(v, fp) == 0)
				return 0;
			return sd_fail(err, SD_KIND_KEY_CHANGED, SD_PHASE_CHECK,
			    "%s is %s, but the reference recorded in %s is %s: a key was renewed or replaced",
			    name, fp, path, v);
		}
		fclose(f);
	} else if (errno != ENOENT)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", path,
		    errno == ELOOP || errno == EINVAL ? "a link or not a regular file; refused" : strerror(errno));
	if (!may_record)
		return sd_fail(err, SD_KIND_KEY_REFERENCE_MISSING, SD_PHASE_CHECK,
		    "no %s reference in %s, though this account has backed up before: recording %s now could take a renewed "
		    "key for the registered one; restore the state folder, or, if this is the registered key, record it anew "
		    "with --accept-new-key-reference", name, path, fp);
	entry = sd_xasprintf("%s %s", name, fp);
	rc = append_line(path, entry, err);
	free(entry);
	*recorded = rc == 0;
	return rc;
}

int
sd_ledger_add(const char *account, long day, const char *endpoint, const char *note, struct sd_err *err)
{
	char date[16], *path = sd_xasprintf("%s/backup-ledger", account), *line;
	int rc;

	sd_date_format(day, 0, date, sizeof(date));
	line = sd_xasprintf("%s %s %s", date, endpoint, note);
	rc = append_line(path, line, err);
	free(line);
	free(path);
	return rc;
}

static int
cmp_day(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int
sd_ledger_days(const char *account, long **days, size_t *n, struct sd_err *err)
{
	char *path = sd_xasprintf("%s/backup-ledger", account), line[1024];
	FILE *f = sd_fopen_regular(path, SD_NOFOLLOW);
	size_t cap = 0, k = 0;

	*days = NULL;
	*n = 0;
	if (f == NULL) {
		int missing = errno == ENOENT;
		if (!missing)
			sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", path, strerror(errno));
		free(path);
		return missing ? 0 : -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		long day;
		line[strcspn(line, " \n")] = '\0';
		if (sd_date_parse(line, &day) == 0) {
			SD_GROW(*days, *n + 1, cap);
			(*days)[(*n)++] = day;
		}
	}
	fclose(f);
	free(path);
	if (*n > 1)
		qsort(*days, *n, sizeof(**days), cmp_day);
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || (*days)[k - 1] != (*days)[i])
			(*days)[k++] = (*days)[i];
	*n = k;
	return 0;
}

/* Copy every regular file under from/ into to/ (made as needed), never over a file already there. */
static int
copy_tree(const char *from, const char *to, struct sd_err *err)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = 0;

	if (d == NULL)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot read %s: %s", from, strerror(errno));
	if (sd_mkdirs(to) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create %s: %s", to, strerror(errno));
	for (de = readdir(d); rc == 0 && de != NULL; de = readdir(d)) {
		char *src = sd_xasprintf("%s/%s", from, de->d_name), *dst = sd_xasprintf("%s/%s", to, de->d_name), hex[65];
		struct stat st;

		if (de->d_name[0] != '.' && lstat(src, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = copy_tree(src, dst, err);
			else if (S_ISREG(st.st_mode) && sd_copy_file(src, dst, hex) < 0 && errno != EEXIST)
				rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot copy %s to %s: %s", src, dst,
				    strerror(errno));
		}
		free(src);
		free(dst);
	}
	closedir(d);
	return rc;
}

int
sd_state_migrate(const char *legacy, const char *profile, const char *user, const char *account, char *from,
    size_t fromlen, struct sd_err *err)
{
	char *p = component(profile), *u = component(user), *old = sd_xasprintf("%s/%s/%s", legacy, p, u);
	char *keyref = sd_xasprintf("%s/key-reference", old), *note, abs[4096];
	DIR *d;
	struct dirent *de;
	struct stat st;
	int rc = 0;

	free(p);
	free(u);
	from[0] = '\0';
	if (access(account, F_OK) == 0 || stat(old, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(old);
		free(keyref);
		return 0;
	}
	snprintf(from, fromlen, "%s", realpath(old, abs) ? abs : old);
	if (sd_mkdirs(account) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create %s: %s", account, strerror(errno));
	if (rc == 0 && access(keyref, F_OK) == 0) {
		char *dst = sd_keyref_path(account), hex[65];
		if (sd_copy_file(keyref, dst, hex) < 0)
			rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot copy %s: %s", keyref, strerror(errno));
		free(dst);
	}
	/* Every other folder there held one remote folder's dated manifests. */
	d = rc == 0 ? opendir(old) : NULL;
	for (de = d ? readdir(d) : NULL; rc == 0 && de != NULL; de = readdir(d)) {
		char *src = sd_xasprintf("%s/%s", old, de->d_name), *dst = sd_xasprintf("%s/baselines/%s", account, de->d_name);
		if (de->d_name[0] != '.' && lstat(src, &st) == 0 && S_ISDIR(st.st_mode))
			rc = copy_tree(src, dst, err);
		free(src);
		free(dst);
	}
	if (d)
		closedir(d);
	note = sd_xasprintf("%s/MIGRATED-FROM", account);
	if (rc == 0 && sd_write_atomic(note, from, strlen(from)) < 0)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", note, strerror(errno));
	free(note);
	free(old);
	free(keyref);
	return rc < 0 ? -1 : 1;
}
