/*
 * preflight.h — what can be known before the first packet, from the local files a drill names:
 * its key, its known_hosts, what the SSH library will do with them, its business calendar.
 */
#ifndef SD_PREFLIGHT_H
#define SD_PREFLIGHT_H

#include <stddef.h>

#include "sftpdrill/base/diag.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/language/drill.h"

/*
 * What OpenSSH would say of a private key file before using it (missing,
 * unreadable, not a regular file, open to group or others; "ssh-agent"
 * without an agent): the problem written into buf, or NULL when there is none.
 */
const char *sd_identity_problem(const char *identity, char *buf, size_t len);

/*
 * Look at the local files the drill names, without touching the network:
 * the private key (exists, readable, not readable by group or others), the
 * known_hosts file (readable, every line usable, an entry for each endpoint
 * of the target set), and values still holding site->placeholder.
 * Each problem becomes a warning in diag (the run would fail on it). With
 * preflight (what `run` does before its first packet) the problems the real
 * client refuses to start with — a key file missing, unreadable or open to
 * others (OpenSSH's rule), the placeholder User ID — are errors instead.
 * Returns the number of problems added.
 */
size_t sd_drill_check_files(const struct sd_drill *d, const struct sd_site *site, int preflight, struct sd_diag *diag);

/*
 * What the SSH library running will do with the drill's keys: an RSA user
 * key with a libssh2 older than 1.11 (it signs RSA only with SHA-1, which
 * OpenSSH 8.8 and later refuse). Each problem becomes a warning in diag;
 * sd_drill_check_files includes it, `run` asks before connecting.
 * Returns the number of warnings added.
 */
size_t sd_drill_check_library(const struct sd_drill *d, struct sd_diag *diag);

/* Where a calendar's days come from besides the drill's own holiday files. */
struct sd_calendar_sources {
	const struct sd_strv *holidays; /* more holiday files (--holidays), or NULL */
	const long *closures;           /* declared closures (--non-business-day), or NULL */
	size_t nclosures;
};

/*
 * The one calendar loader: the drill's holiday files in order (d may be
 * NULL), then src's files, then its closures (reason "a declared market
 * closure (--non-business-day)"). Every file is read even after one fails;
 * returns 0, or -1 with err naming the first that could not be read (the
 * calendar then lacks its days).
 */
int sd_drill_calendar(const struct sd_drill *d, const struct sd_calendar_sources *src, struct sd_calendar *cal,
    struct sd_err *err);

#endif
