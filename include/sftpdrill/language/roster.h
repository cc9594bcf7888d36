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

struct sd_roster {
	struct sd_roster_row *v;        /* the good rows, in file order */
	size_t n, cap;
	int rows;                       /* data rows in all, bad ones included */
};

/*
 * Read a roster: CSV (RFC 4180 quoting), `#` comment lines and blank lines
 * skipped, a header line naming the columns (name, user, key required;
 * passphrase, known_hosts, profile optional; in any order). A bad row —
 * a field missing, a duplicate name, a passphrase written in clear — is
 * reported in diag as FILE:LINE and left out; the others are kept. A bad
 * header or an unreadable file is an error with nothing kept. Returns the
 * number of rows kept, or -1.
 */
int sd_roster_read(const char *path, struct sd_roster *out, struct sd_diag *diag);

/*
 * Is name usable as an account's name? It names a folder (its downloads, its
 * bundle) and a log: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -.
 */
int sd_account_name_ok(const char *name);

/* Does row belong to shard k of n (1 <= k <= n)? Rows go round-robin by their place in the file. */
int sd_roster_in_shard(const struct sd_roster_row *row, int k, int n);

void sd_roster_release(struct sd_roster *r);

#endif
