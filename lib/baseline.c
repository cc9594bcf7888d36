/* baseline.c — manifests of a report folder per business date, and the key reference file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sftpdrill/baseline.h"
#include "sftpdrill/calendar.h"

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
sd_baseline_dir(const char *state, const char *profile, const char *user, const char *folder, long day)
{
	char date[16], *p = component(profile), *u = component(user), *f = component(folder), *dir;

	sd_date_format(day, 0, date, sizeof(date));
	dir = sd_xasprintf("%s/%s/%s/%s/%s", state, p, u, f, date);
	free(p);
	free(u);
	free(f);
	return dir;
}

char *
sd_keyref_path(const char *state, const char *profile, const char *user)
{
	char *p = component(profile), *u = component(user), *path;

	path = sd_xasprintf("%s/%s/%s/key-reference", state, p, u);
	free(p);
	free(u);
	return path;
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
sd_keyref_check(const char *path, const char *name, const char *fp, int *recorded, struct sd_err *err)
{
	/* Never through a link: key lines must not be appended to whatever a link points at. */
	FILE *f = sd_fopen_regular(path, SD_NOFOLLOW);
	char line[512], *dir, *slash;
	int fd;

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
	/* First sight: append under O_APPEND so concurrent endpoints never interleave a line. */
	dir = sd_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		sd_mkdirs(dir);
	}
	free(dir);
	fd = sd_open_regular(path, SD_APPEND | SD_NOFOLLOW);
	if (fd < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path,
		    errno == ELOOP || errno == EINVAL ? "a link or not a regular file; refused" : strerror(errno));
	dprintf(fd, "%s %s\n", name, fp);
	fsync(fd);
	close(fd);
	*recorded = 1;
	return 0;
}
