/* vars.c — the variable table. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/redact.h"
#include "sftpdrill/base/util.h"
#include "sftpdrill/language/vars.h"

int
sd_var_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 128)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

/* Names that say they hold a secret are masked without being declared. */
static int
looks_secret(const char *name)
{
	static const char *const words[] = { "PASSPHRASE", "PASSWORD", "SECRET", "TOKEN", NULL };

	for (size_t i = 0; words[i] != NULL; i++)
		if (strcasestr(name, words[i]) != NULL)
			return 1;
	return 0;
}

struct sd_var *
sd_vars_find(const struct sd_vars *vs, const char *name, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len && memcmp(vs->v[i].name, name, len) == 0)
			return &vs->v[i];
	return NULL;
}

void
sd_vars_set(struct sd_vars *vs, const char *name, const char *value,
    enum sd_var_origin origin)
{
	struct sd_var *v = sd_vars_find(vs, name, strlen(name));

	if (v == NULL) {
		SD_GROW(vs->v, vs->n + 1, vs->cap);
		v = &vs->v[vs->n++];
		memset(v, 0, sizeof(*v));
		v->name = sd_xstrdup(name);
		v->secret = looks_secret(name);
	}
	free(v->value);
	v->value = sd_xstrdup(value);
	v->origin = origin;
}

int
sd_vars_mark_secret(struct sd_vars *vs, const char *name)
{
	struct sd_var *v = sd_vars_find(vs, name, strlen(name));

	if (v == NULL)
		return -1;
	v->secret = 1;
	return 0;
}

void
sd_vars_secrets(const struct sd_vars *vs, struct sd_redactor *r)
{
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].secret)
			sd_redact_add(r, vs->v[i].value);
}

void
sd_vars_copy(struct sd_vars *dst, const struct sd_vars *src)
{
	for (size_t i = 0; i < src->n; i++) {
		sd_vars_set(dst, src->v[i].name, src->v[i].value, src->v[i].origin);
		if (src->v[i].secret)
			sd_vars_mark_secret(dst, src->v[i].name);
	}
}

void
sd_vars_release(struct sd_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}
