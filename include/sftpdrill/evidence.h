/* evidence.h — the sealed audit bundle: copies of downloads, checksums, MANIFEST, signature, verify. */
#ifndef SD_EVIDENCE_H
#define SD_EVIDENCE_H

#include <time.h>

#include "sftpdrill/drill.h"
#include "sftpdrill/err.h"
#include "sftpdrill/redact.h"
#include "sftpdrill/result.h"
#include "sftpdrill/util.h"

/* What RUN-INFO records: who ran what, where, with which files. Strings may be NULL. */
struct sd_runinfo {
	const char *tool, *libraries, *operator_name, *hostname, *business_date;
	struct sd_drill *const *drills;
	size_t ndrills;
	const struct sd_redactor *redact;   /* -D values are masked with it */
	const struct sd_run *run;
	int exit_status;
};

/* Write DIR/RUN-INFO (atomically); 0 or -1 with err. */
int sd_bundle_write_runinfo(const char *dir, const struct sd_runinfo *ri, struct sd_err *err);

/*
 * Put every file the run downloaded into DIR/downloads/<host>_<port>/NAME
 * without reading it again where the file system allows (a reflink, else a
 * hard link to the downloaded file; else a copy, checked on the way against
 * the SHA-256 recorded while it downloaded), and write
 * DIR/downloads/SHA256SUMS (sha256sum format, paths relative to downloads/).
 * Returns 0 or -1 with err (LocalIOError, or EvidenceChanged when a copied
 * file changed after its download).
 */
int sd_bundle_add_downloads(const struct sd_run *run, const char *dir, struct sd_err *err);

/*
 * Seal DIR: write DIR/MANIFEST, the SHA-256 of every other file in the
 * bundle (sha256sum format, sorted by path); files under downloads/ take the
 * hash SHA256SUMS records, computed while they streamed in. With sign_key (a PEM private
 * key, Ed25519 or ECDSA), also write DIR/MANIFEST.sig, a detached signature
 * of MANIFEST that stock openssl verifies, and DIR/signer.pub.pem. Returns 0
 * or -1 with err.
 */
int sd_bundle_seal(const char *dir, const char *sign_key, struct sd_err *err);

/*
 * Check a bundle: every MANIFEST entry present with its hash, no file that
 * MANIFEST does not name, and with pub (a PEM public key) the signature.
 * Each problem is added to problems as one line naming the file. Returns 0
 * when intact, 1 when problems were found, -1 with err when the bundle
 * cannot be read at all.
 */
int sd_bundle_verify(const char *dir, const char *pub, struct sd_strv *problems, struct sd_err *err);

#endif
