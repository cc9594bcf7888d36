/* backup.c — SHA256SUMS files and backup folders. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftpdrill/domain/backup.h"
#include "sftpdrill/base/util.h"

/* Index of name in sums, or of where it would go (*found says which). */
static size_t
sums_index(const struct sd_sums *sums, const char *name, int *found)
{
	size_t lo = 0, hi = sums->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sums->v[mid].name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *
sd_sums_get(const struct sd_sums *sums, const char *name)
{
	int found;
	size_t i = sums_index(sums, name, &found);

	return found ? sums->v[i].hex : NULL;
}

void
sd_sums_set(struct sd_sums *sums, const char *name, const char *hex)
{
	int found;
	size_t i = sums_index(sums, name, &found);

	if (!found) {
		SD_GROW(sums->v, sums->n + 1, sums->cap);
		memmove(sums->v + i + 1, sums->v + i, (sums->n - i) * sizeof(*sums->v));
		sums->v[i].name = sd_xstrdup(name);
		sums->n++;
	}
	snprintf(sums->v[i].hex, sizeof(sums->v[i].hex), "%.64s", hex);
}

void
sd_sums_read(struct sd_sums *sums, const char *path)
{
	FILE *f = sd_fopen_regular(path, 0);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL)
		return;
	for (len = getline(&line, &cap, f); len > 0; len = getline(&line, &cap, f)) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		/* "HEX  NAME" (text mode) or "HEX *NAME" (binary mode), as sha256sum writes them. */
		if (len > 66 && line[64] == ' ' && (line[65] == ' ' || line[65] == '*')) {
			line[64] = '\0';
			sd_sums_set(sums, line + 66, line);
		}
	}
	free(line);
	fclose(f);
}

int
sd_sums_write(const struct sd_sums *sums, const char *path, struct sd_err *err)
{
	char *tmp;
	FILE *f = sd_atomic_open(path, &tmp);

	for (size_t i = 0; f != NULL && i < sums->n; i++)
		fprintf(f, "%s  %s\n", sums->v[i].hex, sums->v[i].name);
	if (sd_atomic_commit(f, tmp, path) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

void
sd_sums_release(struct sd_sums *sums)
{
	for (size_t i = 0; i < sums->n; i++)
		free(sums->v[i].name);
	free(sums->v);
	memset(sums, 0, sizeof(*sums));
}

int
sd_backup_open(struct sd_backup *b, const char *dir, struct sd_err *err)
{
	char *path;

	memset(b, 0, sizeof(*b));
	if (sd_mkdirs(dir) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create folder %s: %s", dir,
		    strerror(errno));
	b->dir = sd_xstrdup(dir);
	path = sd_xasprintf("%s/%s", dir, SD_BACKUP_SUMS);
	sd_sums_read(&b->sums, path);
	free(path);
	return 0;
}

int
sd_backup_unchanged(const struct sd_backup *b, const char *name, uint64_t remote_size, char hex[65])
{
	const char *recorded = sd_sums_get(&b->sums, name);
	char *path, got[65];
	struct stat st;
	int same;

	if (recorded == NULL)
		return 0;
	path = sd_xasprintf("%s/%s", b->dir, name);
	same = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == remote_size &&
	    sd_sha256_file(path, got) == 0 && strcmp(got, recorded) == 0;
	free(path);
	if (same)
		memcpy(hex, recorded, 65);
	return same;
}

void
sd_backup_record(struct sd_backup *b, const char *name, const char *hex)
{
	sd_sums_set(&b->sums, name, hex);
	sd_sums_set(&b->added, name, hex);
}

int
sd_backup_commit(struct sd_backup *b, struct sd_err *err)
{
	char *path = sd_xasprintf("%s/%s", b->dir, SD_BACKUP_SUMS);
	struct sd_sums merged = { 0 };
	/* The folder itself is the lock: no lock file is left among the reports. */
	int lock = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	/* Whoever else wrote since we opened: their entries stay, ours are added on top. */
	if (lock >= 0)
		flock(lock, LOCK_EX);
	sd_sums_read(&merged, path);
	for (size_t i = 0; i < b->added.n; i++)
		sd_sums_set(&merged, b->added.v[i].name, b->added.v[i].hex);
	rc = sd_sums_write(&merged, path, err);
	if (lock >= 0)
		close(lock);
	sd_sums_release(&merged);
	free(path);
	return rc;
}

void
sd_backup_release(struct sd_backup *b)
{
	free(b->dir);
	sd_sums_release(&b->sums);
	sd_sums_release(&b->added);
	memset(b, 0, sizeof(*b));
}
