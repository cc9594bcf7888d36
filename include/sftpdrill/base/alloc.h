/* alloc.h — allocation that aborts on exhaustion: callers never see NULL. The lowest floor of lib/. */
#ifndef SD_ALLOC_H
#define SD_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* malloc, calloc, realloc, strdup, strndup that abort instead of returning NULL. Caller frees. */
void *sd_xmalloc(size_t n);
void *sd_xcalloc(size_t n, size_t size);
void *sd_xrealloc(void *p, size_t n);
char *sd_xstrdup(const char *s);
char *sd_xstrndup(const char *s, size_t n);

/* printf into a new string; caller frees. */
char *sd_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sd_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
