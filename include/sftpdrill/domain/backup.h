/* backup.h — a backup folder: files kept under their remote names, with a SHA256SUMS that sha256sum reads. */
#ifndef SD_BACKUP_H
#define SD_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/base/err.h"

/* One SHA256SUMS entry. */
struct sd_sum {
	char *name;
	char hex[65];
};

/*
 * A SHA256SUMS file (sha256sum's format) in memory, kept sorted by name
 * (bytewise), so that the file reads the same whatever order files came in.
 * The daily backup's folders and the bundle's downloads/ keep one each.
 */
struct sd_sums {
	struct sd_sum *v;
	size_t n, cap;
};

/* Add the entries of path to sums (a missing file adds nothing); lines not in the format are skipped. */
void sd_sums_read(struct sd_sums *sums, const char *path);

/* The recorded SHA-256 of name, or NULL. */
const char *sd_sums_get(const struct sd_sums *sums, const char *name);

/* Record (or replace) name's SHA-256. */
void sd_sums_set(struct sd_sums *sums, const char *name, const char *hex);

/* Write sums to path atomically; 0 or -1 with err. */
int sd_sums_write(const struct sd_sums *sums, const char *path, struct sd_err *err);

void sd_sums_release(struct sd_sums *sums);

/* The file name a backup folder keeps its checksums in. */
#define SD_BACKUP_SUMS "SHA256SUMS"

/*
 * A backup folder being added to. Several runs (or endpoints of one run)
 * may add to the same folder at once: commit merges with what is on disk
 * under a lock, so no entry is lost.
 */
struct sd_backup {
	char *dir;
	struct sd_sums sums;        /* what this folder held when opened, plus what was recorded since */
	struct sd_sums added;       /* what this run recorded */
};

/* Open dir (created if missing) and read its SHA256SUMS. 0, or -1 with err (LocalIOError). */
int sd_backup_open(struct sd_backup *b, const char *dir, struct sd_err *err);

/*
 * Is name already backed up unchanged: the local file is a regular file of
 * remote_size bytes whose SHA-256 is the one SHA256SUMS records? Then hex
 * receives it and the file need not be fetched again (SFTP v3 has no remote
 * hash, so size plus the recorded hash of what was fetched is the honest test).
 */
int sd_backup_unchanged(const struct sd_backup *b, const char *name, uint64_t remote_size, char hex[65]);

/* Record name's SHA-256 (kept in memory until commit). */
void sd_backup_record(struct sd_backup *b, const char *name, const char *hex);

/* Merge what was recorded into the folder's SHA256SUMS on disk, atomically, under a lock. */
int sd_backup_commit(struct sd_backup *b, struct sd_err *err);

void sd_backup_release(struct sd_backup *b);

#endif
