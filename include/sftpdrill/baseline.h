/* baseline.h — listing manifests per business date, and the key reference for the renewal guard. */
#ifndef SD_BASELINE_H
#define SD_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/err.h"
#include "sftpdrill/util.h"

struct sd_manifest_entry {
	char *name;             /* raw bytes from the server */
	char type;              /* 'f' file, 'd' folder, 'l' link, 'o' other, '?' unknown */
	uint64_t size;
	int64_t mtime;          /* -1 when the server sent none */
};

struct sd_manifest {
	struct sd_manifest_entry *v;
	size_t n, cap;
};

/* Add an entry (name copied). */
void sd_manifest_add(struct sd_manifest *m, const char *name, char type, uint64_t size, int64_t mtime);

/* Sort by name (bytewise): the stable order manifests are written in. */
void sd_manifest_sort(struct sd_manifest *m);

/* Number of entries counted as report files (regular or unknown type). */
size_t sd_manifest_files(const struct sd_manifest *m);

/*
 * Write m to path atomically (temporary file, fsync, rename), with header
 * lines "# KEY VALUE" from the NULL-terminated pairs in header.
 */
int sd_manifest_write(const struct sd_manifest *m, const char *path, const char *const *header,
    struct sd_err *err);

/* Read a manifest written by sd_manifest_write; the result is sorted. */
int sd_manifest_read(const char *path, struct sd_manifest *m, struct sd_err *err);

/*
 * Names of report files in now but not in old (added) and in old but not in
 * now (removed); both manifests must be sorted.
 */
void sd_manifest_diff(const struct sd_manifest *old, const struct sd_manifest *now,
    struct sd_strv *added, struct sd_strv *removed);

void sd_manifest_release(struct sd_manifest *m);

/*
 * The folder that holds the manifests of one business date:
 * STATE/PROFILE/USER/FOLDER/YYYY-MM-DD, each part made file-system safe.
 * Caller frees.
 */
char *sd_baseline_dir(const char *state, const char *profile, const char *user,
    const char *folder, long day);

/* The manifest file of one endpoint inside a baseline folder. Caller frees. */
char *sd_baseline_file(const char *dir, const char *endpoint);

/*
 * The manifest to compare an endpoint with: its own if recorded, otherwise
 * the first (by name) recorded in dir by another endpoint of the same
 * service. NULL if dir holds none. Caller frees.
 */
char *sd_baseline_find(const char *dir, const char *endpoint);

/*
 * The key reference file of one account: STATE/PROFILE/USER/key-reference,
 * beside its dated manifest folders. Caller frees.
 */
char *sd_keyref_path(const char *state, const char *profile, const char *user);

/*
 * Compare a fingerprint with the reference recorded under name in the key
 * reference file at path (lines "NAME FINGERPRINT"). With no reference for
 * name yet, record fp and set *recorded. Returns 0 when equal or just
 * recorded; -1 with err type KeyChanged (names both fingerprints) or
 * LocalIOError.
 */
int sd_keyref_check(const char *path, const char *name, const char *fp, int *recorded,
    struct sd_err *err);

#endif
