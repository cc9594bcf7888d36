/* drill.c — lexer and parser of drill and profile files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftpdrill/calendar.h"
#include "sftpdrill/drill.h"
#include "sftpdrill/knownhosts.h"
#include "sftpdrill/util.h"

#define MAX_FILE_BYTES   (4u << 20)   /* a drill is a page of text; 4 MiB is generous */
#define MAX_LINE_BYTES   65536
#define MAX_INCLUDE_DEPTH 16
#define MAX_EXPAND_DEPTH 8
#define MAX_TOKENS       64
#define MAX_ERRORS       100     /* enough to fix a file; a binary file would print thousands */
#define MAX_STEPS        10000
#define MAX_VARIABLES    10000   /* lookups are linear: keep them bounded */

struct tok {
	char *text;
	int col;
};

struct incl {
	const char *file;
	int line, col;
	char *real;             /* realpath of the file being read, for cycle detection */
};

struct parser {
	struct sd_drill *d;
	struct sd_diag *diag;
	struct incl chain[MAX_INCLUDE_DEPTH + 1];
	int depth;
	const char *file;       /* current file (owned by d->files) */
	int line;
	size_t errors_before;   /* diag->nerrors when this parse began */
	int gave_up;
};

static const char *const directives[] = {
	"drill", "include", "set", "secret", "endpoints", "port", "user", "identity",
	"known-hosts", "host-key-pin", "passphrase-env", "ssh-config", "download-dir", "report-dir",
	"baseline-dir", "holidays", "target-host",
	"window", "target", "timeout", "step", NULL
};

static const char *const verbs[] = {
	[SD_VERB_EXPECT_TARGET] = "expect-target",
	[SD_VERB_CONNECT] = "connect",
	[SD_VERB_LOGIN] = "login",
	[SD_VERB_COUNT] = "count",
	[SD_VERB_DOWNLOAD] = "download",
	[SD_VERB_LOGOUT] = "logout",
	[SD_VERB_SNAPSHOT] = "snapshot",
	[SD_VERB_KEY_UNCHANGED] = "key-unchanged",
	NULL
};

static const char *const timeout_phases[] = {
	"connect", "banner", "kex", "auth", "sftp-init", "sftp", "step", NULL
};

const char *
sd_verb_name(enum sd_verb v)
{
	return verbs[v];
}

const char *
sd_cmp_name(enum sd_cmp c)
{
	return c == SD_CMP_EQ ? "==" : c == SD_CMP_GE ? ">=" : "<=";
}

static void
diag_push(struct sd_diag *diag, char *msg)
{
	SD_GROW(diag->msgs, diag->n + 1, diag->cap);
	diag->msgs[diag->n++] = msg;
}

void
sd_diag_free(struct sd_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++)
		free(diag->msgs[i]);
	free(diag->msgs);
	memset(diag, 0, sizeof(*diag));
}

/* Report at the current file and line, with the include chain that led here. */
static void __attribute__((format(printf, 4, 5)))
report(struct parser *p, int warning, int col, const char *fmt, ...)
{
	va_list ap;
	char *body;
	struct sd_buf msg = SD_BUF_INIT(0);

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		abort();
	va_end(ap);
	sd_buf_addf(&msg, "%s:%d:%d: %s: %s", p->file, p->line, col, warning ? "warning" : "error", body);
	for (int i = p->depth - 1; i >= 1; i--)
		sd_buf_addf(&msg, "\n  included from %s:%d:%d", p->chain[i - 1].file, p->chain[i].line,
		    p->chain[i].col);
	free(body);
	diag_push(p->diag, sd_buf_detach(&msg));
	if (warning)
		p->diag->nwarnings++;
	else
		p->diag->nerrors++;
}

/* Edit distance, for "did you mean" suggestions; small inputs only. */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			int best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* The closest candidate within distance 2, or NULL. */
static const char *
suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; cands[i] != NULL; i++) {
		int dd = distance(word, cands[i]);
		if (dd < bestd) {
			bestd = dd;
			best = cands[i];
		}
	}
	return best;
}

static int
lookup(const char *word, const char *const *cands)
{
	for (int i = 0; cands[i] != NULL; i++)
		if (strcmp(word, cands[i]) == 0)
			return i;
	return -1;
}

static void
unknown_word(struct parser *p, int col, const char *what, const char *word,
    const char *const *cands)
{
	const char *s = suggest(word, cands);
	char *shown = sd_printable(word, strlen(word));

	if (s != NULL)
		report(p, 0, col, "unknown %s `%s`; did you mean `%s`?", what, shown, s);
	else
		report(p, 0, col, "unknown %s `%s`", what, shown);
	free(shown);
}

int64_t
sd_parse_duration(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0 || v > 86400000LL)
		return -1;
	if (strcmp(end, "ms") == 0)
		return v;
	if (strcmp(end, "s") == 0)
		return v * 1000;
	if (strcmp(end, "min") == 0)
		return v * 60000;
	return -1;
}

static int expand(struct parser *p, const char *s, size_t len, int col, int depth,
    struct sd_buf *out);

/*
 * Expand the ${...} reference whose body is s[0..len) (without "${" and "}"):
 * NAME or NAME:-default. Returns 0, or -1 after reporting.
 */
static int
expand_ref(struct parser *p, const char *s, size_t len, int col, int depth, struct sd_buf *out)
{
	const char *sep = NULL;
	struct sd_buf namebuf = SD_BUF_INIT(0);
	size_t namelen;
	struct sd_var *v;
	const char *env, *name;
	int nest = 0, rc = -1;

	/* The default starts at the first ":-" outside nested ${...}. */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{')
			nest++;
		else if (s[i] == '}')
			nest--;
		else if (nest == 0 && s[i] == ':' && i + 1 < len && s[i + 1] == '-') {
			sep = s + i;
			break;
		}
	}
	namelen = sep ? (size_t)(sep - s) : len;
	/* A name may itself contain references: ${HOSTS_${SESSION}}. */
	if (expand(p, s, namelen, col, depth + 1, &namebuf) < 0)
		goto out;
	name = namebuf.p ? namebuf.p : "";
	namelen = namebuf.len;
	if (!sd_var_name_ok(name, namelen)) {
		char *shown = sd_printable(name, namelen);
		report(p, 0, col, "bad variable name `%s` (letters, digits and _ only)", shown);
		free(shown);
		goto out;
	}
	v = sd_vars_find(&p->d->vars, name, namelen);
	if (v == NULL && (env = getenv(name)) != NULL) {
		sd_vars_set(&p->d->vars, name, env, SD_VAR_ENV);
		v = sd_vars_find(&p->d->vars, name, namelen);
	}
	if (v != NULL && (v->value[0] != '\0' || sep == NULL)) {
		sd_buf_add(out, v->value, strlen(v->value));
		rc = 0;
	} else if (sep != NULL)
		rc = expand(p, sep + 2, len - (size_t)(sep - s) - 2, col, depth + 1, out);
	else
		report(p, 0, col, "undefined variable `%s`: define it in the profile, with -D %s=VALUE, or in the environment",
		    name, name);
out:
	free(namebuf.p);
	return rc;
}

/* Expand every ${...} in s[0..len) into out. */
static int
expand(struct parser *p, const char *s, size_t len, int col, int depth, struct sd_buf *out)
{
	if (depth > MAX_EXPAND_DEPTH) {
		report(p, 0, col, "variable defaults nested deeper than %d", MAX_EXPAND_DEPTH);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			int nest = 1;
			size_t j = i + 2;
			for (; j < len && nest > 0; j++) {
				if (s[j] == '{')
					nest++;
				else if (s[j] == '}')
					nest--;
			}
			if (nest != 0) {
				report(p, 0, col, "unterminated `${`");
				return -1;
			}
			if (expand_ref(p, s + i + 2, j - 1 - (i + 2), col, depth, out) < 0)
				return -1;
			i = j - 1;
		} else
			sd_buf_add(out, s + i, 1);
	}
	return 0;
}

/*
 * Split one line into tokens. Bare words and "double quotes" expand ${...};
 * 'single quotes' are literal. # starts a comment outside quotes at the start
 * of a word. Returns the token count, or -1 after reporting.
 */
static int
lex_line(struct parser *p, const char *line, size_t len, struct tok *toks)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		struct sd_buf raw = SD_BUF_INIT(0), out = { 0 };
		int col, ok = 1;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '#')
			break;
		if (n == MAX_TOKENS) {
			report(p, 0, (int)i + 1, "too many words on one line (limit %d)", MAX_TOKENS);
			goto fail;
		}
		col = (int)i + 1;
		/* A word is a run of bare text and quoted parts, like a shell word. */
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			if (line[i] == '"') {
				size_t start = i++;
				struct sd_buf piece = SD_BUF_INIT(0);
				for (; i < len && line[i] != '"'; i++) {
					if (line[i] == '\\') {
						char c;
						if (i + 1 >= len)
							break;
						c = line[++i];
						switch (c) {
						case 'n': sd_buf_add(&piece, "\n", 1); break;
						case 't': sd_buf_add(&piece, "\t", 1); break;
						case '\\': case '"': sd_buf_add(&piece, &c, 1); break;
						case '$': sd_buf_add(&piece, "$\x01", 2); break;
						default:
							report(p, 0, (int)i, "unknown escape `\\%c` (use \\\\, \\\", \\$, \\n or \\t)",
							    c >= 0x20 && c < 0x7f ? c : '?');
							ok = 0;
						}
					} else
						sd_buf_add(&piece, line + i, 1);
				}
				if (i >= len) {
					report(p, 0, (int)start + 1, "unterminated quote");
					free(piece.p);
					free(raw.p);
					goto fail;
				}
				i++;
				if (piece.len)
					sd_buf_add(&raw, piece.p, piece.len);
				free(piece.p);
			} else if (line[i] == '\'') {
				size_t start = i++;
				for (; i < len && line[i] != '\''; i++) {
					sd_buf_add(&raw, line + i, 1);
					if (line[i] == '$')
						sd_buf_add(&raw, "\x01", 1);
				}
				if (i >= len) {
					report(p, 0, (int)start + 1, "unterminated quote");
					free(raw.p);
					goto fail;
				}
				i++;
			} else {
				sd_buf_add(&raw, line + i, 1);
				i++;
			}
		}
		if (!ok) {
			free(raw.p);
			goto fail;
		}
		/* "$\x01" marks an escaped dollar: expansion must leave it alone. */
		if (raw.len == 0)
			sd_buf_add(&out, "", 0);
		else {
			size_t k = 0;
			while (k < raw.len) {
				size_t stop = k;
				while (stop < raw.len && !(raw.p[stop] == '$' && stop + 1 < raw.len && raw.p[stop + 1] == '\x01'))
					stop++;
				if (expand(p, raw.p + k, stop - k, col, 0, &out) < 0) {
					free(raw.p);
					free(out.p);
					goto fail;
				}
				if (stop < raw.len) {
					sd_buf_add(&out, "$", 1);
					stop += 2;
				}
				k = stop;
			}
			if (out.p == NULL)
				sd_buf_add(&out, "", 0);
		}
		free(raw.p);
		toks[n].text = out.p;
		toks[n].col = col;
		n++;
	}
	return n;
fail:
	for (int k = 0; k < n; k++)
		free(toks[k].text);
	return -1;
}

static void
set_string(char **dst, const char *val)
{
	free(*dst);
	*dst = sd_xstrdup(val);
}

static const char *
add_file(struct sd_drill *d, const char *path)
{
	SD_GROW(d->files, d->nfiles + 1, d->capfiles);
	d->files[d->nfiles] = sd_xstrdup(path);
	return d->files[d->nfiles++];
}

static int
want_args(struct parser *p, struct tok *t, int n, int min, int max, const char *usage)
{
	if (n - 1 < min || n - 1 > max) {
		report(p, 0, t[0].col, "usage: %s", usage);
		return -1;
	}
	for (int i = 1; i < n; i++)
		if (t[i].text[0] == '\0') {
			report(p, 0, t[i].col, "empty value in `%s`", t[0].text);
			return -1;
		}
	return 0;
}

static int
parse_port(struct parser *p, const char *s, int col)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 65535) {
		report(p, 0, col, "bad port `%s` (1-65535)", s);
		return -1;
	}
	return (int)v;
}

/* Parse "host[:port],[v6]:port,..." into set (which must be empty). */
static void
parse_host_list(struct parser *p, const char *text, int col, struct sd_endpoint_set *set)
{
	char *list = sd_xstrdup(text), *save = NULL, *item;

	for (item = strtok_r(list, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		struct sd_endpoint ep = { 0 };
		char *colon = NULL;

		if (strncmp(item, "ssh-config:", 11) == 0 && item[11] != '\0') {
			ep.host = sd_xstrdup(item);   /* resolved through the client config at run time */
		} else if (item[0] == '[') {             /* [v6addr]:port */
			char *close = strchr(item, ']');
			if (close == NULL) {
				report(p, 0, col, "unterminated `[` in endpoint `%s`", item);
				continue;
			}
			*close = '\0';
			ep.host = sd_xstrdup(item + 1);
			if (close[1] == ':')
				colon = close + 1;
		} else {
			colon = strchr(item, ':');
			if (colon && strchr(colon + 1, ':'))
				colon = NULL;     /* bare IPv6 address */
			ep.host = colon ? sd_xstrndup(item, (size_t)(colon - item)) : sd_xstrdup(item);
		}
		if (colon) {
			ep.port = parse_port(p, colon + 1, col);
			if (ep.port < 0) {
				free(ep.host);
				continue;
			}
		}
		if (ep.host[0] == '\0') {
			report(p, 0, col, "empty host in endpoint list");
			free(ep.host);
			continue;
		}
		SD_GROW(set->v, set->n + 1, set->cap);
		set->v[set->n++] = ep;
	}
	free(list);
}

static void
clear_set(struct sd_endpoint_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].host);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

/* endpoints NAME host[:port],host[:port]... */
static void
parse_endpoints(struct parser *p, struct tok *t)
{
	struct sd_drill *d = p->d;
	struct sd_endpoint_set *set = NULL;

	for (size_t i = 0; i < d->nsets; i++)
		if (strcmp(d->sets[i].name, t[1].text) == 0)
			set = &d->sets[i];
	if (set == NULL) {
		SD_GROW(d->sets, d->nsets + 1, d->capsets);
		set = &d->sets[d->nsets++];
		memset(set, 0, sizeof(*set));
		set->name = sd_xstrdup(t[1].text);
	} else
		clear_set(set);
	set->loc = (struct sd_loc){ p->file, p->line, t[0].col };
	parse_host_list(p, t[2].text, t[2].col, set);
}

static int
parse_step_options(struct parser *p, struct sd_step *st, struct tok *t, int i, int n)
{
	while (i < n) {
		if (strcmp(t[i].text, "timeout") == 0 && i + 1 < n) {
			st->timeout_ms = sd_parse_duration(t[i + 1].text);
			if (st->timeout_ms <= 0) {
				report(p, 0, t[i + 1].col, "bad duration `%s` (e.g. 500ms, 30s, 2min)", t[i + 1].text);
				return -1;
			}
			i += 2;
		} else if (strcmp(t[i].text, "retry") == 0 && i + 1 < n) {
			char *end;
			long v = strtol(t[i + 1].text, &end, 10);
			if (*end || end == t[i + 1].text || v < 0 || v > 100) {
				report(p, 0, t[i + 1].col, "bad retry count `%s` (0-100)", t[i + 1].text);
				return -1;
			}
			st->retries = (int)v;
			i += 2;
			if (i + 1 < n && strcmp(t[i].text, "backoff") == 0) {
				st->backoff_ms = sd_parse_duration(t[i + 1].text);
				if (st->backoff_ms < 0) {
					report(p, 0, t[i + 1].col, "bad duration `%s` (e.g. 500ms, 30s, 2min)", t[i + 1].text);
					return -1;
				}
				i += 2;
			}
		} else {
			static const char *const opts[] = { "timeout", "retry", "backoff", NULL };
			if (lookup(t[i].text, opts) >= 0)
				report(p, 0, t[i].col, "`%s` needs a value", t[i].text);
			else
				unknown_word(p, t[i].col, "step option", t[i].text, opts);
			return -1;
		}
	}
	return 0;
}

/* step "NAME" VERB ARGS... [timeout DUR] [retry N [backoff DUR]] */
static void
parse_step(struct parser *p, struct tok *t, int n)
{
	struct sd_drill *d = p->d;
	struct sd_step st = { 0 };
	int vi, i;

	if (n < 3) {
		report(p, 0, t[0].col, "usage: step \"NAME\" VERB [ARGS] [timeout DUR] [retry N [backoff DUR]]");
		return;
	}
	if (t[1].text[0] == '\0') {
		report(p, 0, t[1].col, "empty step name");
		return;
	}
	for (size_t k = 0; k < d->nsteps; k++)
		if (strcmp(d->steps[k].name, t[1].text) == 0) {
			report(p, 0, t[1].col, "duplicate step name \"%s\" (first at %s:%d:%d)",
			    t[1].text, d->steps[k].loc.file, d->steps[k].loc.line, d->steps[k].loc.col);
			return;
		}
	if (d->nsteps >= MAX_STEPS) {
		report(p, 0, t[0].col, "too many steps (limit %d)", MAX_STEPS);
		return;
	}
	vi = lookup(t[2].text, verbs);
	if (vi < 0) {
		static const char *const writes[] = { "put", "rm", "rename", "mkdir", "rmdir",
			"chmod", "chown", "ln", "symlink", "upload", NULL };
		if (lookup(t[2].text, writes) >= 0)
			report(p, 0, t[2].col, "`%s` would change the server; drills are read-only and have no write verbs", t[2].text);
		else
			unknown_word(p, t[2].col, "step verb", t[2].text, verbs);
		return;
	}
	st.verb = (enum sd_verb)vi;
	st.loc = (struct sd_loc){ p->file, p->line, t[0].col };
	i = 3;
	switch (st.verb) {
	case SD_VERB_CONNECT:
	case SD_VERB_LOGIN:
	case SD_VERB_LOGOUT:
	case SD_VERB_KEY_UNCHANGED:
		break;
	case SD_VERB_SNAPSHOT:
		/* The folder is optional: without one the profile's report-dir is used. */
		if (n > 3 && strcmp(t[3].text, "timeout") != 0 && strcmp(t[3].text, "retry") != 0) {
			st.arg = sd_xstrdup(t[3].text);
			i = 4;
		}
		break;
	case SD_VERB_EXPECT_TARGET:
	case SD_VERB_DOWNLOAD:
		if (n < 4 || t[3].text[0] == '\0') {
			report(p, 0, t[2].col, "`%s` needs %s", t[2].text,
			    st.verb == SD_VERB_DOWNLOAD ? "a remote path or pattern" : "an endpoint set name");
			return;
		}
		st.arg = sd_xstrdup(t[3].text);
		i = 4;
		if (st.verb == SD_VERB_DOWNLOAD && n > 4 && strcmp(t[4].text, "to") == 0) {
			if (n < 6 || t[5].text[0] == '\0') {
				report(p, 0, t[4].col, "`to` needs a local folder");
				free(st.arg);
				return;
			}
			st.dest = sd_xstrdup(t[5].text);
			i = 6;
		}
		break;
	case SD_VERB_COUNT:
		if (n < 6) {
			report(p, 0, t[2].col, "usage: count DIR (==|>=|<=) (N|baseline(last-business-day))");
			return;
		}
		st.arg = sd_xstrdup(t[3].text);
		if (strcmp(t[4].text, "==") == 0)
			st.cmp = SD_CMP_EQ;
		else if (strcmp(t[4].text, ">=") == 0)
			st.cmp = SD_CMP_GE;
		else if (strcmp(t[4].text, "<=") == 0)
			st.cmp = SD_CMP_LE;
		else {
			report(p, 0, t[4].col, "unknown comparison `%s` (use ==, >= or <=)", t[4].text);
			free(st.arg);
			return;
		}
		if (strcmp(t[5].text, "baseline(last-business-day)") == 0) {
			st.expect_baseline = 1;
		} else {
			char *end;
			errno = 0;
			st.expect = strtoll(t[5].text, &end, 10);
			if (errno || *end || end == t[5].text || st.expect < 0) {
				report(p, 0, t[5].col, "expected a count or baseline(last-business-day), got `%s`", t[5].text);
				free(st.arg);
				return;
			}
		}
		i = 6;
		break;
	}
	if (parse_step_options(p, &st, t, i, n) < 0) {
		free(st.arg);
		free(st.dest);
		return;
	}
	st.name = sd_xstrdup(t[1].text);
	SD_GROW(d->steps, d->nsteps + 1, d->capsteps);
	d->steps[d->nsteps++] = st;
}

static void parse_file(struct parser *p, const char *path, int line, int col);
static char *relative_to(const char *base, const char *path);

static void
parse_line(struct parser *p, struct tok *t, int n)
{
	struct sd_drill *d = p->d;
	const char *w = t[0].text;

	if (strcmp(w, "step") == 0) {
		parse_step(p, t, n);
	} else if (strcmp(w, "drill") == 0) {
		if (want_args(p, t, n, 1, 1, "drill \"NAME\"") == 0)
			set_string(&d->name, t[1].text);
	} else if (strcmp(w, "include") == 0) {
		if (want_args(p, t, n, 1, 1, "include \"FILE\"") == 0)
			parse_file(p, t[1].text, p->line, t[1].col);
	} else if (strcmp(w, "set") == 0) {
		struct sd_var *v;
		if (n != 3) {
			report(p, 0, t[0].col, "usage: set NAME \"VALUE\"");
			return;
		}
		if (!sd_var_name_ok(t[1].text, strlen(t[1].text))) {
			report(p, 0, t[1].col, "bad variable name `%s` (letters, digits and _ only)", t[1].text);
			return;
		}
		v = sd_vars_find(&d->vars, t[1].text, strlen(t[1].text));
		if (v == NULL && d->vars.n >= MAX_VARIABLES)
			report(p, 0, t[1].col, "too many variables (limit %d)", MAX_VARIABLES);
		else if (v == NULL || (v->origin != SD_VAR_CMDLINE && v->origin != SD_VAR_BUILTIN))
			sd_vars_set(&d->vars, t[1].text, t[2].text, SD_VAR_FILE);
	} else if (strcmp(w, "secret") == 0) {
		if (want_args(p, t, n, 1, 1, "secret NAME") == 0 &&
		    sd_vars_mark_secret(&d->vars, t[1].text) < 0) {
			/* Marking before the value exists is fine: an empty record holds the mark. */
			sd_vars_set(&d->vars, t[1].text, "", SD_VAR_FILE);
			sd_vars_mark_secret(&d->vars, t[1].text);
		}
	} else if (strcmp(w, "endpoints") == 0) {
		if (want_args(p, t, n, 2, 2, "endpoints SET \"host[:port],host[:port]...\"") == 0)
			parse_endpoints(p, t);
	} else if (strcmp(w, "port") == 0) {
		int port;
		if (want_args(p, t, n, 1, 1, "port NUMBER") == 0 &&
		    (port = parse_port(p, t[1].text, t[1].col)) > 0)
			d->port = port;
	} else if (strcmp(w, "user") == 0) {
		if (want_args(p, t, n, 1, 1, "user \"USER-ID\"") == 0) {
			set_string(&d->user, t[1].text);
			d->user_loc = (struct sd_loc){ p->file, p->line, t[1].col };
		}
	} else if (strcmp(w, "identity") == 0) {
		if (want_args(p, t, n, 1, 1, "identity \"PRIVATE-KEY-FILE\"") == 0) {
			set_string(&d->identity, t[1].text);
			d->identity_loc = (struct sd_loc){ p->file, p->line, t[1].col };
		}
	} else if (strcmp(w, "known-hosts") == 0) {
		if (want_args(p, t, n, 1, 1, "known-hosts \"FILE\"") == 0) {
			set_string(&d->known_hosts, t[1].text);
			d->known_hosts_loc = (struct sd_loc){ p->file, p->line, t[1].col };
		}
	} else if (strcmp(w, "download-dir") == 0) {
		if (want_args(p, t, n, 1, 1, "download-dir \"DIR\"") == 0)
			set_string(&d->download_dir, t[1].text);
	} else if (strcmp(w, "host-key-pin") == 0) {
		if (want_args(p, t, n, 2, 2, "host-key-pin HOST[:PORT]|* SHA256:FINGERPRINT") == 0) {
			if (!sd_fingerprint_ok(t[2].text))
				report(p, 0, t[2].col, "`%s` is not an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters, as ssh-keygen -lf prints)",
				    t[2].text);
			else {
				char *pin = sd_xasprintf("%s %s", t[1].text, t[2].text);
				sd_strv_push(&d->pins, pin);
				free(pin);
			}
		}
	} else if (strcmp(w, "passphrase-env") == 0) {
		if (want_args(p, t, n, 1, 1, "passphrase-env NAME") == 0) {
			if (!sd_var_name_ok(t[1].text, strlen(t[1].text)))
				report(p, 0, t[1].col, "bad environment variable name `%s`", t[1].text);
			else
				set_string(&d->passphrase_env, t[1].text);
		}
	} else if (strcmp(w, "ssh-config") == 0) {
		if (want_args(p, t, n, 1, 1, "ssh-config \"FILE\"") == 0)
			set_string(&d->ssh_config, t[1].text);
	} else if (strcmp(w, "report-dir") == 0) {
		if (want_args(p, t, n, 1, 1, "report-dir \"REMOTE-DIR\"") == 0)
			set_string(&d->report_dir, t[1].text);
	} else if (strcmp(w, "baseline-dir") == 0) {
		if (want_args(p, t, n, 1, 1, "baseline-dir \"DIR\"") == 0)
			set_string(&d->baseline_dir, t[1].text);
	} else if (strcmp(w, "holidays") == 0) {
		if (want_args(p, t, n, 1, 1, "holidays \"FILE\"") == 0) {
			/* Relative to the file that names it, like include: it ships beside the profile. */
			char *path = relative_to(p->file, t[1].text);
			sd_strv_push(&d->holidays, path);
			free(path);
		}
	} else if (strcmp(w, "target-host") == 0) {
		if (want_args(p, t, n, 1, 1, "target-host \"NAME[:PORT][,NAME...]\"") == 0) {
			set_string(&d->target_host, t[1].text);
			clear_set(&d->target_hosts);
			parse_host_list(p, t[1].text, t[1].col, &d->target_hosts);
		}
	} else if (strcmp(w, "target") == 0) {
		if (want_args(p, t, n, 1, 1, "target SET") == 0) {
			set_string(&d->target, t[1].text);
			d->target_loc = (struct sd_loc){ p->file, p->line, t[1].col };
		}
	} else if (strcmp(w, "window") == 0) {
		if (want_args(p, t, n, 4, 4, "window YYYY-MM-DD HH:MM HH:MM TIMEZONE") == 0) {
			char *text = sd_xasprintf("%s %s %s %s", t[1].text, t[2].text, t[3].text, t[4].text);
			time_t from, to;
			long off;
			int h1, m1, h2, m2;
			struct sd_err err;

			/* The runner reads the window with the same parser, so what passes here works there. */
			int ok = sscanf(t[2].text, "%2d:%2d", &h1, &m1) == 2 && sscanf(t[3].text, "%2d:%2d", &h2, &m2) == 2 &&
			    h1 >= 0 && h1 <= 23 && h2 >= 0 && h2 <= 23 && m1 >= 0 && m1 <= 59 && m2 >= 0 && m2 <= 59 &&
			    sd_window_parse(text, &from, &to, &off, &err) == 0 && to > from;

			if (!ok) {
				if (sd_zone_offset(t[4].text, &off) < 0)
					report(p, 0, t[4].col, "unknown time zone `%s` (use Asia/Hong_Kong, UTC or an offset such as +08:00)",
					    t[4].text);
				else
					report(p, 0, t[1].col, "bad window `%s %s %s` (YYYY-MM-DD HH:MM HH:MM, end after start)",
					    t[1].text, t[2].text, t[3].text);
				free(text);
			} else {
				free(d->window);
				d->window = text;
			}
		}
	} else if (strcmp(w, "timeout") == 0) {
		int64_t ms;
		int ph;
		if (want_args(p, t, n, 2, 2, "timeout PHASE DURATION") < 0)
			return;
		ph = lookup(t[1].text, timeout_phases);
		if (ph < 0) {
			unknown_word(p, t[1].col, "timeout phase", t[1].text, timeout_phases);
			return;
		}
		if ((ms = sd_parse_duration(t[2].text)) <= 0) {
			report(p, 0, t[2].col, "bad duration `%s` (e.g. 500ms, 30s, 2min)", t[2].text);
			return;
		}
		int64_t *slots[] = { &d->timeouts.connect, &d->timeouts.banner, &d->timeouts.kex,
			&d->timeouts.auth, &d->timeouts.sftp_init, &d->timeouts.sftp_op, &d->timeouts.step };
		*slots[ph] = ms;
	} else {
		unknown_word(p, t[0].col, "directive", w, directives);
	}
}

static void
parse_text(struct parser *p, const char *buf, size_t len)
{
	size_t pos = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	p->line = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, linelen = end - pos;
		const char *line = buf + pos;
		const char *nul;
		struct tok toks[MAX_TOKENS];
		int n;

		p->line++;
		pos = nl ? end + 1 : len;
		if (p->gave_up)
			break;
		if (p->diag->nerrors - p->errors_before >= MAX_ERRORS) {
			report(p, 0, 1, "too many errors (%d); stopped reading here", MAX_ERRORS);
			p->gave_up = 1;
			break;
		}
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		if (linelen > MAX_LINE_BYTES) {
			report(p, 0, MAX_LINE_BYTES + 1, "line longer than %d bytes", MAX_LINE_BYTES);
			continue;
		}
		if ((nul = memchr(line, '\0', linelen)) != NULL) {
			report(p, 0, (int)(nul - line) + 1, "NUL byte in text");
			continue;
		}
		{
			/* sd_printable maps each bad byte to one '?', so offsets line up. */
			char *clean = sd_printable(line, linelen);
			size_t k;
			for (k = 0; k < linelen; k++)
				if (clean[k] != line[k] && line[k] != '\t')
					break;
			free(clean);
			if (k < linelen) {
				report(p, 0, (int)k + 1, "%s", (unsigned char)line[k] < 0x80 ?
				    "control character in text" : "invalid UTF-8");
				continue;
			}
		}
		n = lex_line(p, line, linelen, toks);
		if (n <= 0)
			continue;
		parse_line(p, toks, n);
		for (int k = 0; k < n; k++)
			free(toks[k].text);
	}
}

/* Read a whole file up to MAX_FILE_BYTES; returns 0 or -1 with a message in err. */
static int
read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	buf = sd_xmalloc(MAX_FILE_BYTES + 1);
	while ((r = read(fd, buf + n, MAX_FILE_BYTES + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		n += (size_t)r;
		if (n > MAX_FILE_BYTES) {
			snprintf(err, errlen, "%s is larger than %u bytes; a drill is a page of text", path, MAX_FILE_BYTES);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/* Resolve an include path relative to the directory of the including file. */
static char *
relative_to(const char *base, const char *path)
{
	const char *slash;

	if (path[0] == '/' || base == NULL || (slash = strrchr(base, '/')) == NULL)
		return sd_xstrdup(path);
	return sd_xasprintf("%.*s/%s", (int)(slash - base), base, path);
}

static void
parse_buffer_as(struct parser *p, const char *path, const char *real, const char *buf, size_t len,
    int line, int col)
{
	const char *saved_file = p->file;
	int saved_line = p->line;

	p->chain[p->depth] = (struct incl){ add_file(p->d, path), line, col, real ? sd_xstrdup(real) : NULL };
	p->depth++;
	p->file = p->chain[p->depth - 1].file;
	parse_text(p, buf, len);
	p->depth--;
	free(p->chain[p->depth].real);
	p->file = saved_file;
	p->line = saved_line;
}

static void
parse_file(struct parser *p, const char *name, int line, int col)
{
	char err[PATH_MAX + 128], *path, *buf = NULL, *real;
	size_t len;

	path = relative_to(p->depth ? p->file : NULL, name);
	if (p->depth >= MAX_INCLUDE_DEPTH) {
		report(p, 0, col, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
		goto out;
	}
	real = realpath(path, NULL);
	if (real != NULL) {
		for (int i = 0; i < p->depth; i++)
			if (p->chain[i].real && strcmp(p->chain[i].real, real) == 0) {
				report(p, 0, col, "include cycle: %s includes itself", path);
				free(real);
				goto out;
			}
	}
	if (read_file(path, &buf, &len, err, sizeof(err)) < 0) {
		if (p->depth == 0) {
			/* Top-level file: no line to point at, so point at its start. */
			const char *f = add_file(p->d, path);
			p->file = f;
			p->line = 1;
		}
		report(p, 0, col, "%s", err);
		free(real);
		goto out;
	}
	parse_buffer_as(p, path, real, buf, len, line, col);
	free(real);
out:
	free(buf);
	free(path);
}

static void
finish(struct parser *p)
{
	struct sd_drill *d = p->d;
	const struct sd_endpoint_set *set;
	int needs_ssh = 0;

	p->file = d->files[0];
	p->line = 1;
	if (d->name == NULL) {
		const char *base = strrchr(d->path, '/');
		d->name = sd_xstrdup(base ? base + 1 : d->path);
	}
	if (d->port == 0)
		d->port = 22;
	if (d->baseline_dir == NULL)
		d->baseline_dir = sd_xstrdup("reports/baselines");
	if (d->passphrase_env == NULL)
		d->passphrase_env = sd_xstrdup("RRS_KEY_PASSPHRASE");
	for (size_t i = 1; i < d->nfiles && d->profile_name == NULL; i++) {
		const char *base = strrchr(d->files[i], '/'), *dot;
		base = base ? base + 1 : d->files[i];
		if ((dot = strrchr(base, '.')) != NULL && strcmp(dot, ".profile") == 0 && dot > base)
			d->profile_name = sd_xstrndup(base, (size_t)(dot - base));
	}
	if (d->profile_name == NULL)
		d->profile_name = sd_xstrdup(d->name);
	for (size_t i = 0; i < d->nsets; i++)
		for (size_t k = 0; k < d->sets[i].n; k++) {
			struct sd_endpoint *ep = &d->sets[i].v[k];
			if (ep->port == 0)
				ep->port = d->port;
			snprintf(ep->label, sizeof(ep->label), strchr(ep->host, ':') ? "[%s]:%d" : "%s:%d",
			    ep->host, ep->port);
		}
	if (d->nsteps == 0) {
		report(p, 0, 1, "no steps: a drill needs at least one `step`");
		return;
	}
	if (d->target == NULL) {
		report(p, 0, 1, "no target: add `target SET` naming an endpoint set");
		return;
	}
	set = sd_drill_set(d, d->target);
	if (set == NULL || set->n == 0) {
		p->file = d->target_loc.file;
		p->line = d->target_loc.line;
		report(p, 0, d->target_loc.col, set ? "endpoint set `%s` has no endpoints" :
		    "unknown endpoint set `%s`: define it with `endpoints %s \"host:port,...\"`",
		    d->target, d->target);
		return;
	}
	for (size_t i = 0; i < d->nsteps; i++) {
		struct sd_step *st = &d->steps[i];
		if (st->verb != SD_VERB_EXPECT_TARGET)
			needs_ssh = 1;
		if (st->verb == SD_VERB_SNAPSHOT && st->arg == NULL && d->report_dir == NULL) {
			p->file = st->loc.file;
			p->line = st->loc.line;
			report(p, 0, st->loc.col, "snapshot needs a folder, or `report-dir` in the profile");
		}
		if (st->verb == SD_VERB_EXPECT_TARGET) {
			const struct sd_endpoint_set *s2 = sd_drill_set(d, st->arg);
			p->file = st->loc.file;
			p->line = st->loc.line;
			if (s2 == NULL || s2->n == 0)
				report(p, 0, st->loc.col, "expect-target: unknown or empty endpoint set `%s`", st->arg);
			if (d->target_hosts.n == 0)
				report(p, 0, st->loc.col, "expect-target needs `target-host` in the profile (the host name your production systems use)");
		}
	}
	p->file = d->files[0];
	p->line = 1;
	if (needs_ssh) {
		if (d->user == NULL)
			report(p, 0, 1, "no `user`: set the login user ID in the profile");
		if (d->identity == NULL)
			report(p, 0, 1, "no `identity`: name the private key file in the profile");
		if (d->known_hosts == NULL && d->pins.n == 0)
			report(p, 0, 1, "no `known-hosts` and no `host-key-pin`: host keys are always checked; name a known_hosts file or pin the keys in the profile");
	}
}

static struct sd_drill *
parse_common(const char *path, const char *buf, size_t len, const struct sd_vars *cmdline,
    struct sd_diag *diag)
{
	struct parser p = { 0 };
	struct sd_drill *d = sd_xcalloc(1, sizeof(*d));
	size_t errors_before = diag->nerrors;

	d->path = sd_xstrdup(path);
	d->timeouts = (struct sd_timeouts){ 10000, 10000, 20000, 20000, 10000, 30000, 300000 };
	if (cmdline)
		sd_vars_copy(&d->vars, cmdline);
	p.d = d;
	p.diag = diag;
	p.errors_before = diag->nerrors;
	if (buf != NULL) {
		char *real = realpath(path, NULL);
		parse_buffer_as(&p, path, real, buf, len, 0, 0);
		free(real);
	} else
		parse_file(&p, path, 0, 1);
	if (diag->nerrors == errors_before && d->nfiles > 0)
		finish(&p);
	if (diag->nerrors != errors_before) {
		sd_drill_free(d);
		return NULL;
	}
	return d;
}

struct sd_drill *
sd_drill_parse(const char *path, const struct sd_vars *cmdline, struct sd_diag *diag)
{
	return parse_common(path, NULL, 0, cmdline, diag);
}

struct sd_drill *
sd_drill_parse_buffer(const char *path, const char *buf, size_t len,
    const struct sd_vars *cmdline, struct sd_diag *diag)
{
	return parse_common(path, buf, len, cmdline, diag);
}

static void __attribute__((format(printf, 3, 4)))
warn_at(struct sd_diag *diag, const struct sd_loc *loc, const char *fmt, ...)
{
	va_list ap;
	char *body;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		abort();
	va_end(ap);
	diag_push(diag, sd_xasprintf("%s:%d:%d: warning: %s", loc->file ? loc->file : "?", loc->line, loc->col, body));
	diag->nwarnings++;
	free(body);
}

size_t
sd_drill_check_files(const struct sd_drill *d, struct sd_diag *diag)
{
	size_t before = diag->nwarnings;
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);
	struct stat st;

	if (d->user && strstr(d->user, "CHANGE-ME"))
		warn_at(diag, &d->user_loc, "user is still the placeholder \"%s\": set your User ID (e.g. -D RRS_USER=...)", d->user);
	if (d->identity && strcmp(d->identity, "ssh-agent") == 0) {
		if (getenv("SSH_AUTH_SOCK") == NULL)
			warn_at(diag, &d->identity_loc, "identity ssh-agent, but SSH_AUTH_SOCK is not set: no agent to ask");
	} else if (d->identity) {
		if (stat(d->identity, &st) < 0 || access(d->identity, R_OK) < 0)
			warn_at(diag, &d->identity_loc, "private key %s: %s", d->identity, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			warn_at(diag, &d->identity_loc, "private key %s is not a regular file", d->identity);
		else if (st.st_mode & 077)
			warn_at(diag, &d->identity_loc, "private key %s is readable by group or others (mode %03o): chmod 600 it",
			    d->identity, (unsigned)(st.st_mode & 0777));
	}
	if (d->known_hosts && set) {
		for (size_t i = 0; i < set->n; i++) {
			struct sd_known k;
			struct sd_err err;

			if (sd_known_load(d->known_hosts, set->v[i].host, set->v[i].port, &k, &err) < 0) {
				warn_at(diag, &d->known_hosts_loc, "%s", err.msg);
				break;
			}
			/* Line problems are the same for every endpoint: report them once. */
			for (size_t w = 0; i == 0 && w < k.warnings.n; w++)
				warn_at(diag, &d->known_hosts_loc, "%s", k.warnings.v[w]);
			if (k.n == 0)
				warn_at(diag, &d->known_hosts_loc, "%s has no host key for %s: the run will stop at HostKeyUnknown",
				    d->known_hosts, set->v[i].label);
			sd_known_free(&k);
		}
	}
	return diag->nwarnings - before;
}

static void
free_steps(struct sd_drill *d)
{
	for (size_t i = 0; i < d->nsteps; i++) {
		free(d->steps[i].name);
		free(d->steps[i].arg);
		free(d->steps[i].dest);
	}
	free(d->steps);
	d->steps = NULL;
	d->nsteps = d->capsteps = 0;
}

int
sd_drill_make_snapshot(struct sd_drill *d)
{
	static const struct { const char *name; enum sd_verb verb; } plan[] = {
		{ "Connect", SD_VERB_CONNECT }, { "Login", SD_VERB_LOGIN },
		{ "Record the report folder's manifest", SD_VERB_SNAPSHOT }, { "Logout", SD_VERB_LOGOUT },
	};
	struct sd_loc loc = { d->files[0], 0, 0 };

	char *name;

	if (d->report_dir == NULL)
		return -1;
	name = sd_xasprintf("Snapshot for %s", d->name);
	free(d->name);
	d->name = name;
	free_steps(d);
	d->steps = sd_xcalloc(4, sizeof(*d->steps));
	for (size_t i = 0; i < 4; i++) {
		d->steps[i].name = sd_xstrdup(plan[i].name);
		d->steps[i].verb = plan[i].verb;
		d->steps[i].loc = loc;
	}
	d->nsteps = 4;
	return 0;
}

void
sd_drill_pins_for(const struct sd_drill *d, const struct sd_endpoint *ep, struct sd_strv *out)
{
	for (size_t i = 0; i < d->pins.n; i++) {
		const char *sp = strchr(d->pins.v[i], ' ');
		size_t hl = (size_t)(sp - d->pins.v[i]);
		/* A pin names the endpoint as written in its set (host:port), its host alone, or "*". */
		if ((hl == 1 && d->pins.v[i][0] == '*') ||
		    (hl == strlen(ep->label) && strncmp(d->pins.v[i], ep->label, hl) == 0) ||
		    (hl == strlen(ep->host) && strncmp(d->pins.v[i], ep->host, hl) == 0))
			sd_strv_push(out, sp + 1);
	}
}

const struct sd_endpoint_set *
sd_drill_set(const struct sd_drill *d, const char *name)
{
	for (size_t i = 0; i < d->nsets; i++)
		if (strcmp(d->sets[i].name, name) == 0)
			return &d->sets[i];
	return NULL;
}

void
sd_drill_free(struct sd_drill *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->path);
	free(d->target);
	free(d->window);
	free(d->user);
	free(d->identity);
	free(d->known_hosts);
	free(d->download_dir);
	free(d->report_dir);
	free(d->baseline_dir);
	free(d->profile_name);
	sd_strv_free(&d->holidays);
	sd_strv_free(&d->pins);
	free(d->passphrase_env);
	free(d->ssh_config);
	free(d->target_host);
	for (size_t i = 0; i < d->nsets; i++) {
		clear_set(&d->sets[i]);
		free(d->sets[i].name);
	}
	clear_set(&d->target_hosts);
	free(d->sets);
	free_steps(d);
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	sd_vars_free(&d->vars);
	free(d);
}
