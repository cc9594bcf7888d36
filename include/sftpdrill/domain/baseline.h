/*
 * baseline.h — an account's recorded state: listing manifests per business
 * date, the key reference for the renewal guard, the backup ledger.
 *
 * One state folder holds every account, wherever sftpdrill runs from:
 *   STATE/SERVICE/USER/key-reference
 *   STATE/SERVICE/USER/backup-ledger
 *   STATE/SERVICE/USER/baselines/FOLDER/YYYY-MM-DD/ENDPOINT.manifest
 * SERVICE is the drill's `service` (or a name made from its endpoints), so
 * a profile renamed or run from cron's folder finds the same state.
 */
#ifndef SD_BASELINE_H
#define SD_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/base/err.h"
#include "sftpdrill/base/util.h"

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

/* One account's folder: STATE/SERVICE/USER, each part made file-system safe. Caller frees. */
char *sd_account_dir(const char *state, const char *service, const char *user);

/* Has the account backed up before (its ledger exists)? Then a missing key reference is suspicious. */
int sd_account_has_history(const char *account);

/* The folder of one business date's manifests: ACCOUNT/baselines/FOLDER/YYYY-MM-DD. Caller frees. */
char *sd_baseline_dir(const char *account, const char *folder, long day);

/* The manifest file of one endpoint inside a baseline folder. Caller frees. */
char *sd_baseline_file(const char *dir, const char *endpoint);

/*
 * The manifest to compare an endpoint with: its own if recorded, otherwise
 * the first (by name) recorded in dir by another endpoint of the same
 * service. NULL if dir holds none. Caller frees.
 */
char *sd_baseline_find(const char *dir, const char *endpoint);

/* The key reference file of one account: ACCOUNT/key-reference. Caller frees. */
char *sd_keyref_path(const char *account);

/*
 * Compare a fingerprint with the reference recorded under name in the key
 * reference file at path (lines "NAME FINGERPRINT"). With no reference for
 * name yet: when may_record, record fp and set *recorded; otherwise fail
 * KeyReferenceMissing. Returns 0 when equal or just recorded; -1 with err
 * type KeyChanged (names both fingerprints), KeyReferenceMissing or
 * LocalIOError.
 */
int sd_keyref_check(const char *path, const char *name, const char *fp, int may_record, int *recorded,
    struct sd_err *err);

/*
 * The backup ledger: one line "YYYY-MM-DD ENDPOINT NOTE" per business date
 * backed up, appended (O_APPEND, fsync) by each successful backup step.
 */
int sd_ledger_add(const char *account, long day, const char *endpoint, const char *note, struct sd_err *err);

/* The days in the ledger, sorted, each once (*days owned by the caller). A missing ledger is no days. */
int sd_ledger_days(const char *account, long **days, size_t *n, struct sd_err *err);

/*
 * State kept before 0.2 under LEGACY/PROFILE/USER (relative to the folder
 * sftpdrill ran in): when account has no state yet and that folder exists,
 * copy it in (key reference, manifests under baselines/), leave the old copy
 * as it was, and write ACCOUNT/MIGRATED-FROM. Returns 1 when migrated (from
 * names what), 0 when there was nothing to do, -1 with err.
 */
int sd_state_migrate(const char *legacy, const char *profile, const char *user, const char *account,
    char *from, size_t fromlen, struct sd_err *err);

#endif
