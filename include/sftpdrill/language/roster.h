/* roster.h — many accounts in one file, for a system vendor drilling every participant it serves. */
#ifndef SD_ROSTER_H
#define SD_ROSTER_H

#include <stddef.h>

#include "sftpdrill/language/drill.h"

/*
 * One account. The passphrase is never in the roster: `passphrase` names
 * where it is (env:VARIABLE or file:PATH), or is empty for a key without one.
 */
struct sd_roster_row {
	char *name;             /* the account's name in reports: unique in the roster */
	char *user;             /* its User ID */
	char *key;              /* its private key file */
	char *passphrase;       /* "", "env:NAME" or "file:PATH" */
	char *known_hosts;      /* or NULL: the profile's */
	char *profile;          /* or NULL: the drills' own */
	int line;               /* where it is in the file */
	int index;              /* its place among the data rows, bad ones counted: what a shard takes */
};

/* A row that cannot be drilled: where it is and why (never its passphrase field). */
struct sd_roster_bad {
	char *name;             /* the account's name, or NULL when the row has none */
	char *why;
	int line;
	int index;              /* its place among the data rows: which shard it belongs to */
};

struct sd_roster {
	char *path;                     /* the file as given */
	struct sd_roster_row *v;        /* the good rows, in file order */
	size_t n, cap;
	struct sd_roster_bad *bad;      /* the bad rows, in file order */
	size_t nbad, capbad;
	int rows;                       /* data rows in all, bad ones included */
};

/*
 * Read a roster: CSV (RFC 4180 quoting), `#` comment lines and blank lines
 * skipped, a header line naming the columns (name, user, key required;
 * passphrase, known_hosts, profile optional; in any order). A bad row —
 * a field missing, a duplicate name, a passphrase written in clear — is
 * reported in diag as FILE:LINE and kept in out->bad; the others in
 * out->v. A bad header or an unreadable file is an error with nothing
 * kept. Returns the number of good rows, or -1.
 */
int sd_roster_read(const char *path, struct sd_roster *out, struct sd_diag *diag);

/*
 * Is name usable as an account's name? It names a folder (its downloads, its
 * bundle) and a log: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -.
 */
int sd_account_name_ok(const char *name);

/* Does the row at index (its place among the data rows) belong to shard k of n (1 <= k <= n)? Round-robin. */
int sd_roster_in_shard(int index, int k, int n);

/*
 * A good row found bad later (its key cannot be read, its passphrase is not
 * where it says): moved from r->v[i] to the bad rows, why copied; the rows
 * after it move up one.
 */
void sd_roster_reject(struct sd_roster *r, size_t i, const char *why);

void sd_roster_release(struct sd_roster *r);

#endif
