/* diag.h — diagnostics: every problem found in a file, each "FILE:LINE:COL: error|warning: message". */
#ifndef SD_DIAG_H
#define SD_DIAG_H

#include <stdarg.h>
#include <stddef.h>

/* Where a construct came from. line 0: the file as a whole; col 0: the whole line. */
struct sd_loc {
	const char *file;       /* borrowed (a drill's file list, a roster's path) */
	int line, col;
};

/* One diagnostic, formatted once by sd_diag_report. */
struct sd_diag_entry {
	char *text;             /* "FILE:LINE:COL: error: message", then any "\n  included from ..." lines */
	int warning;            /* 0: an error */
};

/* Every diagnostic of a parse or a check, in the order found. */
struct sd_diag {
	struct sd_diag_entry *v;
	size_t n, cap;
	size_t nerrors;
	size_t nwarnings;
};

/*
 * Add a diagnostic at loc: the one place the "WHERE: error|warning: BODY"
 * form is made. context (may be NULL) is appended as it is (an include
 * chain, one "\n  included from ..." line per level).
 */
void sd_diag_report(struct sd_diag *diag, int warning, const struct sd_loc *loc, const char *context,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sd_diag_vreport(struct sd_diag *diag, int warning, const struct sd_loc *loc, const char *context,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Copy one entry of from into to (its kind kept). */
void sd_diag_copy(struct sd_diag *to, const struct sd_diag_entry *e);

/* Free the entries (not the struct); diag is empty and reusable afterwards. */
void sd_diag_release(struct sd_diag *diag);

#endif
