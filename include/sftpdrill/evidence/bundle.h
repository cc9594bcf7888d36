/* evidence.h — the sealed audit bundle: downloads, RUN-INFO, MANIFEST, signatures, verify. */
#ifndef SD_EVIDENCE_H
#define SD_EVIDENCE_H

#include <time.h>

#include "sftpdrill/base/err.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/evidence/result.h"
#include "sftpdrill/base/util.h"

/*
 * Make a new folder under parent (made if missing) named by the UTC time t, a
 * folder-name form of name (at most 40 characters) and suffix, as
 * YYYYMMDDTHHMMSSZ-NAME-SUFFIX; never an existing one ("-2", "-3"... added).
 * NULL with errno on failure. Caller frees.
 */
char *sd_bundle_new_folder(const char *parent, const char *name, const char *suffix, time_t t);

/*
 * A report that claims a verdict (junit.xml, summary.html, RUN-INFO) is
 * written to DIR/.unsealed/NAME, and only sealing puts it in place: a run
 * stopped before its seal leaves no report saying it passed. Returns that
 * path (the folder is made); caller frees.
 */
char *sd_bundle_staged(const char *dir, const char *name);

/*
 * Write DIR/RUN-INFO (staged, atomically) from the run's facts, drills and
 * verdict, with the exit status the process ends with; 0 or -1 with err.
 */
int sd_bundle_write_runinfo(const char *dir, const struct sd_run *run, int exit_status, struct sd_err *err);

struct sd_signer;
struct sd_html_info;

/* How sd_bundle_write writes a bundle. */
struct sd_bundle_opts {
	const struct sd_html_info *html;    /* how summary.html shows times */
	int runinfo;                        /* write RUN-INFO (a run's bundle; a merge's lists its inputs instead) */
	int exit_status;                    /* recorded in RUN-INFO */
	const struct sd_signer *signer;     /* sign MANIFEST, or NULL */
	const char *const *extra_names;     /* more files of the bundle (a merge's BUNDLES, SHARD), or NULL */
	const char *const *extra_texts;
	size_t nextra;
};

/*
 * The one bundle writer, for runs and merges alike: the extra files, then
 * junit.xml and summary.html staged, the downloads put in, RUN-INFO staged,
 * and the seal (MANIFEST, signature, the staged reports in place, junit.xml
 * last). Everything comes from run. 0 or -1 with err.
 */
int sd_bundle_write(const char *dir, const struct sd_run *run, const struct sd_bundle_opts *o, struct sd_err *err);

/*
 * Put every file the run downloaded into DIR/downloads/<host>_<port>/<remote folder>/NAME
 * unless its download already did (written there while it streamed): a
 * reflink where the file system offers it, else a copy checked on the way
 * against the SHA-256 recorded when it was fetched (EvidenceChanged when it
 * differs). The bundle never shares a file with the working copy. Writes
 * DIR/downloads/SHA256SUMS. Returns 0 or -1 with err.
 */
int sd_bundle_add_downloads(const struct sd_run *run, const char *dir, struct sd_err *err);

/*
 * Seal DIR: write MANIFEST (the SHA-256 of every file, sha256sum's format,
 * sorted; downloads take the hash recorded while they streamed) and, with
 * signer, MANIFEST.sig and signer.pub.pem; then put the staged reports in
 * place, junit.xml last. Signatures and signers' keys stay outside
 * MANIFEST, so a countersignature changes nothing in it. 0 or -1 with err.
 */
int sd_bundle_seal(const char *dir, const struct sd_signer *signer, struct sd_err *err);

/*
 * Add a signature to a sealed bundle that is still intact: MANIFEST.sig
 * when there is none, else MANIFEST.sig.2, .3 ... with signer.N.pub.pem
 * (a supervisor countersigning). 0 or -1 with err.
 */
int sd_bundle_sign(const char *dir, const struct sd_signer *signer, struct sd_err *err);

/* What verify found. */
struct sd_bundle_check {
	struct sd_strv problems;    /* one line each, naming the file: what keeps the bundle from being intact */
	struct sd_strv signatures;  /* one line per signature present: verified, key not given, or BAD */
	struct sd_strv signer_problems; /* a --pub key that signed nothing here, a signature that verifies with nothing */
	int sealed;                 /* MANIFEST is there */
	size_t nsignatures;         /* MANIFEST.sig, MANIFEST.sig.N present */
	char verdict[64];           /* RUN-INFO's verdict (ALL STEPS PASSED, NOT ALL STEPS PASSED, INCOMPLETE) or "" */
	char mode[192];             /* RUN-INFO's mode: "session" or why it was a rehearsal; or "" */
};

/*
 * Check a bundle. Intact, from the files alone: MANIFEST there; every file
 * it names present, a regular file, with its hash, and inside the bundle
 * (no ".." component, not absolute); no file it does not name (a file named
 * like a signature that is not one of the signature slots included); no
 * link or device anywhere; no report left staged. Then each signature
 * present (MANIFEST.sig, MANIFEST.sig.N): verified with a public key given
 * in pubs (PEM); else, when the signer's key beside it (signer.pub.pem,
 * signer.N.pub.pem) verifies it, signed by a key not given; else BAD. Each
 * key given must have signed. Returns 0 when intact with no bad signature
 * and every key given found; 1 otherwise (out says which); -1 with err when
 * dir is not a folder. Release out with sd_bundle_check_release.
 */
int sd_bundle_verify(const char *dir, const struct sd_strv *pubs, struct sd_bundle_check *out, struct sd_err *err);

void sd_bundle_check_release(struct sd_bundle_check *c);

#endif
