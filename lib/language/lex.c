/* lex.c — the drill lexer: words, quotes, ${...} expansion, and diagnostics with their location. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* An escaped dollar inside a word: "$" followed by this byte is never expanded. */
#define ESCAPED_DOLLAR '\x01'

void
sd_parse_report(struct parser *p, int warning, int col, const char *fmt, ...)
{
	va_list ap;
	struct sd_buf chain = SD_BUF_INIT(0);

	for (int i = p->depth - 1; i >= 1; i--)
		sd_buf_addf(&chain, "\n  included from %s:%d:%d", p->chain[i - 1].file, p->chain[i].line, p->chain[i].col);
	va_start(ap, fmt);
	sd_diag_vreport(p->diag, warning, &(struct sd_loc){ p->file, p->line, col }, chain.len ? sd_buf_str(&chain) : NULL,
	    fmt, ap);
	va_end(ap);
	sd_buf_release(&chain);
}

void
sd_parse_unknown(struct parser *p, int col, const char *what, const char *word, const char *const *cands)
{
	const char *s = sd_suggest(word, cands);
	char *shown = sd_printable(word, strlen(word));

	if (s != NULL)
		sd_parse_report(p, 0, col, "unknown %s `%s`; did you mean `%s`?", what, shown, s);
	else
		sd_parse_report(p, 0, col, "unknown %s `%s`", what, shown);
	free(shown);
}

static int expand(struct parser *p, const char *s, size_t len, int col, int depth, struct sd_buf *out);

/* Where the default of a reference body starts (its ":-" outside nested ${...}), or NULL. */
static const char *
default_sep(const char *s, size_t len)
{
	int nest = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{')
			nest++;
		else if (s[i] == '}')
			nest--;
		else if (nest == 0 && s[i] == ':' && i + 1 < len && s[i + 1] == '-')
			return s + i;
	}
	return NULL;
}

/* The variable named name: defined, or taken from the environment on first use. NULL if neither. */
static struct sd_var *
find_var(struct parser *p, const char *name, size_t len)
{
	struct sd_var *v = sd_vars_find(&p->d->vars, name, len);
	const char *env;

	if (v == NULL) {
		env = getenv(name);
		if (env == NULL) {
			/* Remembered, so that a mistyped -D name can be told which name was meant. */
			char *n = sd_xstrndup(name, len);
			if (!sd_strv_has(&p->d->refs, n) && p->d->refs.n < 1000)
				sd_strv_push(&p->d->refs, n);
			free(n);
			return NULL;
		}
		sd_vars_set(&p->d->vars, name, env, SD_VAR_ENV);
		v = sd_vars_find(&p->d->vars, name, len);
	}
	v->used = 1;
	return v;
}

/*
 * Expand the ${...} reference whose body is s[0..len) (without "${" and "}"):
 * NAME or NAME:-default; a name may itself hold references (${HOSTS_${SESSION}}).
 * Returns 0, or -1 after reporting.
 */
static int
expand_ref(struct parser *p, const char *s, size_t len, int col, int depth, struct sd_buf *out)
{
	const char *sep = default_sep(s, len);
	struct sd_buf name = SD_BUF_INIT(MAX_VALUE_BYTES);
	struct sd_var *v;
	int rc = -1;

	if (expand(p, s, sep ? (size_t)(sep - s) : len, col, depth + 1, &name) < 0)
		goto out;
	if (!sd_var_name_ok(sd_buf_str(&name), name.len)) {
		char *shown = sd_printable(sd_buf_str(&name), name.len);
		sd_parse_report(p, 0, col, "bad variable name `%s` (letters, digits and _ only)", shown);
		free(shown);
		goto out;
	}
	v = find_var(p, sd_buf_str(&name), name.len);
	if (v != NULL && (v->value[0] != '\0' || sep == NULL)) {
		rc = sd_buf_adds(out, v->value) < 0 ? -1 : 0;
		if (rc < 0)
			sd_parse_report(p, 0, col, "value longer than %d bytes after expansion", MAX_VALUE_BYTES);
	} else if (sep != NULL)
		rc = expand(p, sep + 2, len - (size_t)(sep - s) - 2, col, depth + 1, out);
	else
		sd_parse_report(p, 0, col,
		    "undefined variable `%s`: define it in the profile, with -D %s=VALUE, or in the environment",
		    sd_buf_str(&name), sd_buf_str(&name));
out:
	sd_buf_release(&name);
	return rc;
}

/* The end of the ${...} starting at s[i] (the index after its '}'), or 0 when it is not closed. */
static size_t
ref_end(const char *s, size_t len, size_t i)
{
	int nest = 1;
	size_t j = i + 2;

	for (; j < len && nest > 0; j++) {
		if (s[j] == '{')
			nest++;
		else if (s[j] == '}')
			nest--;
	}
	return nest == 0 ? j : 0;
}

/* Expand every ${...} in s[0..len) into out. */
static int
expand(struct parser *p, const char *s, size_t len, int col, int depth, struct sd_buf *out)
{
	if (depth > MAX_EXPAND_DEPTH) {
		sd_parse_report(p, 0, col, "variable defaults nested deeper than %d", MAX_EXPAND_DEPTH);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		size_t end;

		if (!(s[i] == '$' && i + 1 < len && s[i + 1] == '{')) {
			if (sd_buf_add(out, s + i, 1) < 0) {
				sd_parse_report(p, 0, col, "value longer than %d bytes after expansion", MAX_VALUE_BYTES);
				return -1;
			}
			continue;
		}
		end = ref_end(s, len, i);
		if (end == 0) {
			sd_parse_report(p, 0, col, "unterminated `${`");
			return -1;
		}
		if (expand_ref(p, s + i + 2, end - 1 - (i + 2), col, depth, out) < 0)
			return -1;
		i = end - 1;
	}
	return 0;
}

/* A "double-quoted" part starting at line[*i]: escapes resolved, ${...} kept for expansion. */
static int
lex_dquoted(struct parser *p, const char *line, size_t len, size_t *i, struct sd_buf *raw)
{
	size_t start = (*i)++;
	int ok = 1;

	for (; *i < len && line[*i] != '"'; (*i)++) {
		char c = line[*i];

		if (c != '\\') {
			sd_buf_add(raw, &c, 1);
			continue;
		}
		if (*i + 1 >= len)
			break;
		c = line[++*i];
		if (c == 'n' || c == 't')
			sd_buf_add(raw, c == 'n' ? "\n" : "\t", 1);
		else if (c == '\\' || c == '"')
			sd_buf_add(raw, &c, 1);
		else if (c == '$')
			sd_buf_add(raw, "$" "\x01", 2);
		else {
			sd_parse_report(p, 0, (int)*i, "unknown escape `\\%c` (use \\\\, \\\", \\$, \\n or \\t)",
			    c >= 0x20 && c < 0x7f ? c : '?');
			ok = 0;
		}
	}
	if (*i >= len) {
		sd_parse_report(p, 0, (int)start + 1, "unterminated quote");
		return -1;
	}
	(*i)++;
	return ok ? 0 : -1;
}

/* A 'single-quoted' part starting at line[*i]: literal, dollars included. */
static int
lex_squoted(struct parser *p, const char *line, size_t len, size_t *i, struct sd_buf *raw)
{
	size_t start = (*i)++;

	for (; *i < len && line[*i] != '\''; (*i)++) {
		sd_buf_add(raw, line + *i, 1);
		if (line[*i] == '$')
			sd_buf_add(raw, "\x01", 1);
	}
	if (*i >= len) {
		sd_parse_report(p, 0, (int)start + 1, "unterminated quote");
		return -1;
	}
	(*i)++;
	return 0;
}

/* Expand a word's raw text into out, leaving escaped dollars ("$\x01") as plain "$". */
static int
expand_word(struct parser *p, const struct sd_buf *raw, int col, struct sd_buf *out)
{
	size_t k = 0;

	while (k < raw->len) {
		size_t stop = k;

		while (stop < raw->len && !(raw->p[stop] == '$' && stop + 1 < raw->len && raw->p[stop + 1] == ESCAPED_DOLLAR))
			stop++;
		if (expand(p, raw->p + k, stop - k, col, 0, out) < 0)
			return -1;
		if (stop < raw->len) {
			sd_buf_add(out, "$", 1);
			stop += 2;
		}
		k = stop;
	}
	return 0;
}

/* One word starting at line[*i]: a run of bare text and quoted parts, like a shell word. */
static int
lex_word(struct parser *p, const char *line, size_t len, size_t *i, struct tok *tok)
{
	struct sd_buf raw = SD_BUF_INIT(MAX_LINE_BYTES * 2), out = SD_BUF_INIT(MAX_VALUE_BYTES);
	int col = (int)*i + 1, rc = 0;

	while (rc == 0 && *i < len && line[*i] != ' ' && line[*i] != '\t') {
		if (line[*i] == '"')
			rc = lex_dquoted(p, line, len, i, &raw);
		else if (line[*i] == '\'')
			rc = lex_squoted(p, line, len, i, &raw);
		else
			sd_buf_add(&raw, line + (*i)++, 1);
	}
	if (rc == 0)
		rc = expand_word(p, &raw, col, &out);
	sd_buf_release(&raw);
	if (rc < 0) {
		sd_buf_release(&out);
		return -1;
	}
	tok->text = sd_buf_detach(&out);
	tok->col = col;
	return 0;
}

int
sd_lex_line(struct parser *p, const char *line, size_t len, struct tok *toks)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '#')
			return n;
		if (n == MAX_TOKENS) {
			sd_parse_report(p, 0, (int)i + 1, "too many words on one line (limit %d)", MAX_TOKENS);
			break;
		}
		if (lex_word(p, line, len, &i, &toks[n]) < 0)
			break;
		n++;
	}
	for (int k = 0; k < n; k++)
		free(toks[k].text);
	return -1;
}
