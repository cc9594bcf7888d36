/* buf.h — one growable, capped text buffer (git's strbuf, curl's dynbuf), one array-growth helper, a string list. */
#ifndef SD_BUF_H
#define SD_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A text buffer. Invariant, after SD_BUF_INIT and after every call:
 *   - p is NULL and len == cap == 0, or len < cap and p[len] == '\0';
 *   - len <= max: an append that would pass max is refused whole (the buffer
 *     keeps what it had), returns -1 and sets overflow.
 * sd_buf_str() is therefore always a C string ("" when empty). max counts
 * content bytes, not the final NUL; 0 means SD_BUF_MAX. Whatever reads text
 * from a server or a file into a buffer picks a max that bounds its memory.
 */
struct sd_buf {
	char *p;
	size_t len, cap, max;
	int overflow;               /* an append was refused */
};

#define SD_BUF_MAX ((size_t)64 << 20)
#define SD_BUF_INIT(limit) { .p = NULL, .len = 0, .cap = 0, .max = (limit), .overflow = 0 }

/* Append n bytes; 0, or -1 (nothing appended) when the result would pass max. */
int sd_buf_add(struct sd_buf *b, const void *data, size_t n);

/* Append a C string. */
int sd_buf_adds(struct sd_buf *b, const char *s);

/* Append printf-style text. */
int sd_buf_addf(struct sd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same with a va_list (ap is consumed). */
int sd_buf_vaddf(struct sd_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append s, preceded by sep unless b is empty: builds "a, b, c" lists. */
int sd_buf_join(struct sd_buf *b, const char *sep, const char *s);

/* The text so far; never NULL. Valid until the next call that changes b. */
const char *sd_buf_str(const struct sd_buf *b);

/* Take the text (caller frees; never NULL); b is empty afterwards, its max kept. */
char *sd_buf_detach(struct sd_buf *b);

/* Empty b, keeping its memory and max. */
void sd_buf_reset(struct sd_buf *b);

/* Free b's contents (not b itself); b is empty and reusable afterwards. */
void sd_buf_release(struct sd_buf *b);

/*
 * Make room for need elements of size bytes in the array v whose capacity
 * (in elements) is *cap, doubling as it grows; returns the (possibly moved)
 * array. Use through SD_GROW: SD_GROW(list->v, list->n + 1, list->cap).
 */
void *sd_grow(void *v, size_t *cap, size_t need, size_t size);

#define SD_GROW(arr, need, cap) ((arr) = sd_grow((arr), &(cap), (need), sizeof(*(arr))))

/* A growable array of owned strings. */
struct sd_strv {
	char **v;
	size_t n, cap;
};

/* Append a copy of s. */
void sd_strv_push(struct sd_strv *sv, const char *s);

/* Does sv hold s? */
int sd_strv_has(const struct sd_strv *sv, const char *s);

/* Free the strings and the array; sv is empty and reusable afterwards. */
void sd_strv_release(struct sd_strv *sv);

#endif
