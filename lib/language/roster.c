/* roster.c — reading a roster of accounts (CSV with a header), bad rows reported and left out. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/language/roster.h"
#include "sftpdrill/language/vars.h"

#define MAX_FIELDS 16
#define MAX_LINE (64 * 1024)

enum column { COL_NAME, COL_USER, COL_KEY, COL_PASSPHRASE, COL_KNOWN_HOSTS, COL_PROFILE, COL__COUNT };

static const char *const column_names[] = { "name", "user", "key", "passphrase", "known_hosts", "profile", NULL };

/* Keep a bad row: where, whose, why. */
static void
add_bad(struct sd_roster *r, const char *name, int line, int index, const char *why)
{
	SD_GROW(r->bad, r->nbad + 1, r->capbad);
	r->bad[r->nbad++] = (struct sd_roster_bad){ .name = name ? sd_xstrdup(name) : NULL, .why = sd_xstrdup(why),
		.line = line, .index = index };
}

/* A problem at path:line (line 0: the file as a whole). */
static void __attribute__((format(printf, 5, 6)))
report(struct sd_diag *diag, int warning, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_diag_vreport(diag, warning, &(struct sd_loc){ path, line, 0 }, NULL, fmt, ap);
	va_end(ap);
}

/* Split one CSV line into fields (quotes: "a ""b"" c"); returns the count, or -1 for an open quote. */
static int
split(const char *line, char **fields, int max)
{
	int n = 0;
	const char *p = line;

	for (;;) {
		struct sd_buf f = SD_BUF_INIT(MAX_LINE);
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				sd_buf_add(&f, p, 1);
			}
			if (*p != '"') {
				sd_buf_release(&f);
				return -1;
			}
			p++;
		} else
			for (; *p && *p != ','; p++)
				sd_buf_add(&f, p, 1);
		if (n < max)
			fields[n++] = sd_buf_detach(&f);
		else
			sd_buf_release(&f);
		if (*p != ',')
			return n;
		p++;
	}
}

/* Trimmed copy of s, or NULL when empty. */
static char *
value(const char *s)
{
	size_t len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len ? sd_xstrndup(s, len) : NULL;
}

int
sd_account_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The header: which field holds which column. -1 after reporting. */
static int
read_header(const char *path, int line, char **fields, int n, int *where, struct sd_diag *diag)
{
	for (int c = 0; c < COL__COUNT; c++)
		where[c] = -1;
	for (int i = 0; i < n; i++) {
		char *name = value(fields[i]);
		const char *near;
		int c;
		for (c = 0; c < COL__COUNT && (name == NULL || strcmp(name, column_names[c]) != 0); c++)
			;
		if (c == COL__COUNT) {
			near = name ? sd_suggest(name, column_names) : NULL;
			report(diag, 0, path, line, "unknown column `%s`%s%s%s (columns: name, user, key, passphrase, "
			    "known_hosts, profile)", name ? name : "", near ? "; did you mean `" : "", near ? near : "",
			    near ? "`?" : "");
			free(name);
			return -1;
		}
		where[c] = i;
		free(name);
	}
	if (where[COL_NAME] < 0 || where[COL_USER] < 0 || where[COL_KEY] < 0) {
		report(diag, 0, path, line, "the header must name the columns name, user and key (and may name "
		    "passphrase, known_hosts, profile)");
		return -1;
	}
	return 0;
}

/* Why a passphrase field is not acceptable, or NULL. */
static const char *
passphrase_problem(const char *p)
{
	if (p == NULL)
		return NULL;
	if (strncmp(p, "env:", 4) == 0)
		return sd_var_name_ok(p + 4, strlen(p + 4)) ? NULL : "env: wants a variable name";
	if (strncmp(p, "file:", 5) == 0)
		return p[5] ? NULL : "file: wants a path";
	return "write where the passphrase is (env:VARIABLE or file:PATH), never the passphrase itself";
}

/*
 * A path field's ${NAME}s from the environment (a CI's secrets folder:
 * key=${SFTPDRILL_SECRETS}/cp0042); *missing names the first one unset
 * (the caller frees). Returns the expanded text, or s itself when it has
 * none; NULL for NULL.
 */
static char *
expand_env(char *s, char **missing)
{
	struct sd_buf out = SD_BUF_INIT(0);
	const char *p = s;

	if (s == NULL || strstr(s, "${") == NULL)
		return s;
	while (*p) {
		const char *end = strncmp(p, "${", 2) == 0 ? strchr(p + 2, '}') : NULL;
		if (end == NULL) {
			sd_buf_add(&out, p++, 1);
			continue;
		}
		{
			char *name = sd_xstrndup(p + 2, (size_t)(end - p - 2));
			const char *v = sd_var_name_ok(name, strlen(name)) ? getenv(name) : NULL;
			if (v == NULL && *missing == NULL)
				*missing = sd_xstrdup(name);
			sd_buf_adds(&out, v ? v : "");
			free(name);
		}
		p = end + 1;
	}
	free(s);
	return sd_buf_detach(&out);
}

/* One data row: kept, or reported and dropped. */
static void
read_row(struct sd_roster *r, const char *path, int line, char **fields, int n, const int *where,
    struct sd_diag *diag)
{
	struct sd_roster_row row = { .line = line, .index = r->rows++ };
	const char *why;
	char *problem = NULL;

#define FIELD(c) (where[c] >= 0 && where[c] < n ? value(fields[where[c]]) : NULL)
	row.name = FIELD(COL_NAME);
	row.user = FIELD(COL_USER);
	row.key = FIELD(COL_KEY);
	row.passphrase = FIELD(COL_PASSPHRASE);
	row.known_hosts = FIELD(COL_KNOWN_HOSTS);
	row.profile = FIELD(COL_PROFILE);
#undef FIELD
	{
		char *missing = NULL;
		row.key = expand_env(row.key, &missing);
		row.known_hosts = expand_env(row.known_hosts, &missing);
		if (row.passphrase && strncmp(row.passphrase, "file:", 5) == 0)
			row.passphrase = expand_env(row.passphrase, &missing);
		if (missing != NULL)
			problem = sd_xasprintf("account `%s`: ${%s} is not set in the environment", row.name ? row.name : "?",
			    missing);
		free(missing);
	}
	for (size_t i = 0; row.name && i < r->n && problem == NULL; i++)
		if (strcmp(r->v[i].name, row.name) == 0)
			problem = sd_xasprintf("account `%s` is already on line %d; each account once", row.name, r->v[i].line);
	if (problem == NULL && (row.name == NULL || row.user == NULL || row.key == NULL))
		problem = sd_xasprintf("a row needs a name, a user and a key (%s is empty)",
		    row.name == NULL ? "name" : row.user == NULL ? "user" : "key");
	if (problem == NULL && !sd_account_name_ok(row.name))
		problem = sd_xasprintf("account name `%s`: it names folders, so 1 to 64 of A-Z a-z 0-9 . _ - (not first: . or -)",
		    row.name);
	/* The field's text is not repeated: it may be the very secret that must not be written down. */
	if (problem == NULL && (why = passphrase_problem(row.passphrase)) != NULL)
		problem = sd_xasprintf("account `%s`: the passphrase column: %s", row.name, why);
	if (problem != NULL) {
		report(diag, 0, path, line, "%s", problem);
		add_bad(r, row.name && sd_account_name_ok(row.name) ? row.name : NULL, line, row.index, problem);
		free(problem);
		goto bad;
	}
	if (row.passphrase == NULL)
		row.passphrase = sd_xstrdup("");
	SD_GROW(r->v, r->n + 1, r->cap);
	r->v[r->n++] = row;
	return;
bad:
	free(row.name);
	free(row.user);
	free(row.key);
	free(row.passphrase);
	free(row.known_hosts);
	free(row.profile);
}

int
sd_roster_read(const char *path, struct sd_roster *out, struct sd_diag *diag)
{
	FILE *f = sd_fopen_regular(path, 0);
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, where[COL__COUNT], header = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	out->path = sd_xstrdup(path);
	if (f == NULL) {
		report(diag, 0, path, 0, "cannot read the roster: %s", strerror(errno));
		return -1;
	}
	for (ssize_t len; (len = getline(&line, &cap, f)) >= 0 && rc == 0;) {
		char *fields[MAX_FIELDS];
		int n;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
			continue;
		if (len > MAX_LINE || (n = split(line, fields, MAX_FIELDS)) < 0) {
			report(diag, 0, path, lineno, len > MAX_LINE ? "line longer than 64 KiB" : "a quote is not closed");
			if (!header)
				rc = -1;
			continue;
		}
		if (!header) {
			rc = read_header(path, lineno, fields, n, where, diag);
			header = 1;
		} else
			read_row(out, path, lineno, fields, n, where, diag);
		for (int i = 0; i < n; i++)
			free(fields[i]);
	}
	free(line);
	fclose(f);
	if (rc == 0 && !header) {
		report(diag, 0, path, lineno, "no header line: the first line names the columns (name,user,key,...)");
		rc = -1;
	}
	if (rc < 0) {
		sd_roster_release(out);
		return -1;
	}
	return (int)out->n;
}

int
sd_roster_in_shard(int index, int k, int n)
{
	return n <= 1 || index % n == k - 1;
}

void
sd_roster_reject(struct sd_roster *r, size_t i, const char *why)
{
	struct sd_roster_row *row = &r->v[i];
	size_t at = 0;

	add_bad(r, row->name, row->line, row->index, why);
	/* In file order with the others. */
	while (at + 1 < r->nbad && r->bad[at].line < row->line)
		at++;
	if (at + 1 < r->nbad) {
		struct sd_roster_bad moved = r->bad[r->nbad - 1];
		memmove(&r->bad[at + 1], &r->bad[at], (r->nbad - 1 - at) * sizeof(*r->bad));
		r->bad[at] = moved;
	}
	free(row->name);
	free(row->user);
	free(row->key);
	free(row->passphrase);
	free(row->known_hosts);
	free(row->profile);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
	r->n--;
}

void
sd_roster_release(struct sd_roster *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].user);
		free(r->v[i].key);
		free(r->v[i].passphrase);
		free(r->v[i].known_hosts);
		free(r->v[i].profile);
	}
	free(r->v);
	for (size_t i = 0; i < r->nbad; i++) {
		free(r->bad[i].name);
		free(r->bad[i].why);
	}
	free(r->bad);
	free(r->path);
	memset(r, 0, sizeof(*r));
}
