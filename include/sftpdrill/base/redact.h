/* redact.h — the one place secret values are taken out of text before anyone writes it. */
#ifndef SD_REDACT_H
#define SD_REDACT_H

#include "sftpdrill/base/util.h"

#define SD_REDACTED "***"

/*
 * The secret values of a run (key passphrases, `secret` variables, values
 * of variables whose names say PASSPHRASE, PASSWORD, SECRET or TOKEN).
 * Read-only once filled, so threads may share it.
 */
struct sd_redactor {
	struct sd_strv values;      /* longest first, so a secret inside another is masked whole */
};

/*
 * Never show value. Values of SD_REDACT_MIN_SUBSTRING characters or more
 * are masked wherever they occur; shorter ones only where they stand alone
 * (between spaces, quotes, slashes, '=', ',', brackets and the like, never
 * next to a letter, digit, '-', ':' or '.'), so that a two-digit passphrase
 * turns neither "2026" into "***26" nor a date or an address into a hint
 * that reveals it. Empty values are ignored.
 */
#define SD_REDACT_MIN_SUBSTRING 4
void sd_redact_add(struct sd_redactor *r, const char *value);

/* A copy of text with every secret replaced by SD_REDACTED; caller frees. r may be NULL. */
char *sd_redact(const struct sd_redactor *r, const char *text);

/* The same, taking ownership of text (freed) and returning the result (owned). */
char *sd_redact_own(const struct sd_redactor *r, char *text);

/* Add every value of r_from to r. */
void sd_redact_merge(struct sd_redactor *r, const struct sd_redactor *from);

void sd_redact_release(struct sd_redactor *r);

#endif
