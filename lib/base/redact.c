/* redact.c — masking secret values in text. */
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/redact.h"
#include "sftpdrill/base/util.h"

static void add_one(struct sd_redactor *r, const char *value);

/*
 * A secret is masked as it is, and as the one sanitiser shows it: a value
 * holding a tab or a bidi control that a message quoted escaped ("hun\x09ter")
 * is masked all the same, whichever was done first.
 */
void
sd_redact_add(struct sd_redactor *r, const char *value)
{
	char *shown;

	if (value == NULL || value[0] == '\0')
		return;
	add_one(r, value);
	shown = sd_printable(value, strlen(value));
	if (strcmp(shown, value) != 0)
		add_one(r, shown);
	free(shown);
}

static void
add_one(struct sd_redactor *r, const char *value)
{
	size_t len, at;

	len = strlen(value);
	for (size_t i = 0; i < r->values.n; i++)
		if (strcmp(r->values.v[i], value) == 0)
			return;
	sd_strv_push(&r->values, value);
	/* Keep longest first: a secret that contains another is masked before the shorter one. */
	for (at = r->values.n - 1; at > 0 && strlen(r->values.v[at - 1]) < len; at--) {
		char *tmp = r->values.v[at - 1];
		r->values.v[at - 1] = r->values.v[at];
		r->values.v[at] = tmp;
	}
}

/*
 * Where a short value may stand alone: between these (or the ends of the
 * text). Not '-', ':', '.', '_' or '+', which join the parts of dates, times,
 * addresses and names: a two-digit secret never masks a day or an octet.
 */
static int
is_separator(char c)
{
	return c == '\0' || strchr(" \t\r\n\"'`/=,;()[]{}<>*@|", c) != NULL;
}

/* Does value occur at text+i in a way that must be masked? */
static int
hit_at(const char *text, size_t i, const char *value, size_t vlen)
{
	if (strncmp(text + i, value, vlen) != 0)
		return 0;
	if (vlen >= SD_REDACT_MIN_SUBSTRING)
		return 1;
	return (i == 0 || is_separator(text[i - 1])) && is_separator(text[i + vlen]);
}

/* Mask one value in text (owned); returns the new text (owned). */
static char *
mask_one(char *text, const char *value)
{
	size_t vlen = strlen(value), n = strlen(text);
	struct sd_buf out = SD_BUF_INIT(0);
	int changed = 0;

	for (size_t i = 0; i < n; ) {
		if (hit_at(text, i, value, vlen)) {
			sd_buf_adds(&out, SD_REDACTED);
			i += vlen;
			changed = 1;
		} else
			sd_buf_add(&out, text + i++, 1);
	}
	if (!changed) {
		sd_buf_release(&out);
		return text;
	}
	free(text);
	return sd_buf_detach(&out);
}

char *
sd_redact_own(const struct sd_redactor *r, char *text)
{
	for (size_t i = 0; r != NULL && i < r->values.n; i++)
		if (strstr(text, r->values.v[i]) != NULL)
			text = mask_one(text, r->values.v[i]);
	return text;
}

char *
sd_redact(const struct sd_redactor *r, const char *text)
{
	return sd_redact_own(r, sd_xstrdup(text ? text : ""));
}

void
sd_redact_merge(struct sd_redactor *r, const struct sd_redactor *from)
{
	for (size_t i = 0; i < from->values.n; i++)
		sd_redact_add(r, from->values.v[i]);
}

void
sd_redact_release(struct sd_redactor *r)
{
	sd_strv_release(&r->values);
}
