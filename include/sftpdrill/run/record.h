/* record.h — what a run records of its drills for the evidence: files read, windows, definitions. */
#ifndef SD_RECORD_H
#define SD_RECORD_H

#include "sftpdrill/base/redact.h"
#include "sftpdrill/evidence/result.h"
#include "sftpdrill/language/drill.h"

/* Add d to run's drills: its name, every file read with its SHA-256, its window and window status (may be NULL). */
void sd_run_record_drill(struct sd_run *run, const struct sd_drill *d, const char *window_status);

/* The -D definitions d was parsed with, as "-D NAME=VALUE", secrets (r, and `secret` variables) masked. */
void sd_run_record_definitions(struct sd_run *run, const struct sd_drill *d, const struct sd_redactor *r);

#endif
