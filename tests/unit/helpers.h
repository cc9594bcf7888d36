/* helpers.h — small fixtures shared by the unit tests. */
#ifndef SD_TEST_HELPERS_H
#define SD_TEST_HELPERS_H

#include <stddef.h>

/* Make a fresh temporary folder (under $TMPDIR or /tmp); returns a static path. */
const char *tmpdir_new(void);

/* Write text to dir/name; returns the path (caller frees). */
char *write_text(const char *dir, const char *name, const char *text, size_t len);

/* Remove a folder made by tmpdir_new and its files. */
void tmpdir_remove(const char *dir);

#endif
