/* buf.c — the capped text buffer and array growth. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/alloc.h"

static size_t
limit(const struct sd_buf *b)
{
	return b->max ? b->max : SD_BUF_MAX;
}

/* Room for n more bytes and the NUL; 0, or -1 when max forbids it. */
static int
reserve(struct sd_buf *b, size_t n)
{
	size_t need;

	if (n > limit(b) - b->len) {
		b->overflow = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		b->p = sd_xrealloc(b->p, cap);
		b->cap = cap;
	}
	return 0;
}

int
sd_buf_add(struct sd_buf *b, const void *data, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
sd_buf_adds(struct sd_buf *b, const char *s)
{
	return sd_buf_add(b, s, strlen(s));
}

int
sd_buf_vaddf(struct sd_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
sd_buf_addf(struct sd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sd_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
sd_buf_join(struct sd_buf *b, const char *sep, const char *s)
{
	if (b->len > 0 && sd_buf_adds(b, sep) < 0)
		return -1;
	return sd_buf_adds(b, s);
}

const char *
sd_buf_str(const struct sd_buf *b)
{
	return b->p ? b->p : "";
}

char *
sd_buf_detach(struct sd_buf *b)
{
	char *s = b->p ? b->p : sd_xstrdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	b->overflow = 0;
	return s;
}

void
sd_buf_reset(struct sd_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
sd_buf_release(struct sd_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->overflow = 0;
}

void *
sd_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap;

	if (need <= c)
		return v;
	if (c == 0)
		c = 8;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	if (size != 0 && c > SIZE_MAX / size)
		abort();
	*cap = c;
	return sd_xrealloc(v, c * size);
}

void
sd_strv_push(struct sd_strv *sv, const char *s)
{
	SD_GROW(sv->v, sv->n + 1, sv->cap);
	sv->v[sv->n++] = sd_xstrdup(s);
}

int
sd_strv_has(const struct sd_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
sd_strv_release(struct sd_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
