/* drill.c — the drill grammar: files, lines, the directive table, and the checks made once all is read. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/base/units.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/language/drill.h"
#include "parse.h"

#define NO_FIELD ((size_t)-1)

struct directive;

/* One directive line: its words and the table row that matched its first. */
struct dline {
	struct tok *t;
	int n;
	const struct directive *dir;
};

typedef void (*directive_fn)(struct parser *p, const struct dline *l);

/*
 * One directive: its arguments, and either a parser of its own or (for the
 * many that just keep a string) the drill field it sets and where that
 * field's location is kept for later messages.
 */
struct directive {
	const char *name;
	int min, max;               /* argument count */
	int allow_empty;            /* an empty argument is a value, not a mistake */
	const char *usage;
	directive_fn parse;
	size_t field;               /* offset of a char * in struct sd_drill, or NO_FIELD */
	size_t loc;                 /* offset of its struct sd_loc, or NO_FIELD */
};

static const char *const timeout_phases[] = {
	"connect", "banner", "kex", "auth", "sftp-init", "sftp", "step", NULL
};

const char *
sd_cmp_name(enum sd_cmp c)
{
	return c == SD_CMP_EQ ? "==" : c == SD_CMP_GE ? ">=" : "<=";
}

static void
set_string(char **dst, const char *val)
{
	free(*dst);
	*dst = sd_xstrdup(val);
}

/* Record a file read and the SHA-256 of the bytes parsed from it (what RUN-INFO attests). */
static const char *
add_file(struct sd_drill *d, const char *path, const char *buf, size_t len)
{
	SD_GROW(d->files, d->nfiles + 1, d->capfiles);
	SD_GROW(d->file_sha256, d->nfiles + 1, d->capsha);
	d->files[d->nfiles] = sd_xstrdup(path);
	sd_sha256_hex(buf, len, d->file_sha256[d->nfiles]);
	return d->files[d->nfiles++];
}

/* Resolve a path relative to the directory of the file that names it. */
static char *
relative_to(const char *base, const char *path)
{
	const char *slash = base ? strrchr(base, '/') : NULL;

	if (path[0] == '/' || slash == NULL)
		return sd_xstrdup(path);
	return sd_xasprintf("%.*s/%s", (int)(slash - base), base, path);
}

static int
parse_port(struct parser *p, const char *s, int col)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 65535) {
		sd_parse_report(p, 0, col, "bad port `%s` (1-65535)", s);
		return -1;
	}
	return (int)v;
}

/* One "host[:port]", "[v6addr]:port", bare IPv6 address or "ssh-config:ALIAS" into ep. */
static int
parse_endpoint(struct parser *p, char *item, int col, struct sd_endpoint *ep)
{
	char *colon = NULL;

	if (strncmp(item, "ssh-config:", 11) == 0 && item[11] != '\0')
		ep->host = sd_xstrdup(item);    /* resolved through the client config at run time */
	else if (item[0] == '[') {
		char *close = strchr(item, ']');
		if (close == NULL) {
			sd_parse_report(p, 0, col, "unterminated `[` in endpoint `%s`", item);
			return -1;
		}
		*close = '\0';
		ep->host = sd_xstrdup(item + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strchr(item, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;           /* a bare IPv6 address */
		ep->host = colon ? sd_xstrndup(item, (size_t)(colon - item)) : sd_xstrdup(item);
	}
	if (colon)
		ep->port = parse_port(p, colon + 1, col);
	if (ep->port < 0 || ep->host[0] == '\0') {
		if (ep->port >= 0)
			sd_parse_report(p, 0, col, "empty host in endpoint list");
		free(ep->host);
		return -1;
	}
	return 0;
}

/* Parse "host[:port],[v6]:port,..." into set (which must be empty). */
static void
parse_host_list(struct parser *p, const char *text, int col, struct sd_endpoint_set *set)
{
	char *list = sd_xstrdup(text), *save = NULL;

	for (char *item = strtok_r(list, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		struct sd_endpoint ep = { 0 };

		if (parse_endpoint(p, item, col, &ep) == 0) {
			SD_GROW(set->v, set->n + 1, set->cap);
			set->v[set->n++] = ep;
		}
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

/* A directive that keeps one string: the field (and its location) the table names. */
static void
set_field(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	set_string((char **)((char *)p->d + l->dir->field), t[1].text);
	if (l->dir->loc != NO_FIELD)
		*(struct sd_loc *)((char *)p->d + l->dir->loc) = (struct sd_loc){ p->file, p->line, t[1].col };
}

static void parse_file(struct parser *p, const char *name, int line, int col);

static void
do_include(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	parse_file(p, t[1].text, p->line, t[1].col);
}

static void
do_set(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	struct sd_var *v;

	if (!sd_var_name_ok(t[1].text, strlen(t[1].text))) {
		sd_parse_report(p, 0, t[1].col, "bad variable name `%s` (letters, digits and _ only)", t[1].text);
		return;
	}
	v = sd_vars_find(&p->d->vars, t[1].text, strlen(t[1].text));
	if (v == NULL && p->d->vars.n >= MAX_VARIABLES) {
		sd_parse_report(p, 0, t[1].col, "too many variables (limit %d)", MAX_VARIABLES);
		return;
	}
	p->value_bytes += strlen(t[2].text);
	if (p->value_bytes > MAX_ALL_VALUES) {
		sd_parse_report(p, 0, t[2].col, "variables hold more than %u bytes in all; a drill's variables are a page of text",
		    MAX_ALL_VALUES);
		return;
	}
	/* -D and built-in values win over files. */
	if (v == NULL || (v->origin != SD_VAR_CMDLINE && v->origin != SD_VAR_BUILTIN))
		sd_vars_set(&p->d->vars, t[1].text, t[2].text, SD_VAR_FILE);
	sd_vars_find(&p->d->vars, t[1].text, strlen(t[1].text))->used = 1;
}

static void
do_secret(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	/* Marking before the value exists is fine: an empty record holds the mark. */
	if (sd_vars_mark_secret(&p->d->vars, t[1].text) < 0) {
		sd_vars_set(&p->d->vars, t[1].text, "", SD_VAR_FILE);
		sd_vars_mark_secret(&p->d->vars, t[1].text);
	}
}

static void
do_endpoints(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	struct sd_drill *d = p->d;
	struct sd_endpoint_set *set = NULL;

	for (size_t i = 0; i < d->nsets; i++)
		if (strcmp(d->sets[i].name, t[1].text) == 0)
			set = &d->sets[i];
	if (set == NULL) {
		SD_GROW(d->sets, d->nsets + 1, d->capsets);
		set = &d->sets[d->nsets++];
		*set = (struct sd_endpoint_set){ .name = sd_xstrdup(t[1].text) };
	} else
		clear_set(set);
	set->loc = (struct sd_loc){ p->file, p->line, t[0].col };
	parse_host_list(p, t[2].text, t[2].col, set);
}

static void
do_port(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	int port = parse_port(p, t[1].text, t[1].col);

	if (port > 0)
		p->d->port = port;
}

static void
do_pin(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	char *pin;

	if (!sd_fingerprint_ok(t[2].text)) {
		sd_parse_report(p, 0, t[2].col,
		    "`%s` is not an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters, as ssh-keygen -lf prints)",
		    t[2].text);
		return;
	}
	pin = sd_xasprintf("%s %s", t[1].text, t[2].text);
	sd_strv_push(&p->d->pins, pin);
	free(pin);
}

static void
do_passphrase_env(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	if (!sd_var_name_ok(t[1].text, strlen(t[1].text)))
		sd_parse_report(p, 0, t[1].col, "bad environment variable name `%s`", t[1].text);
	else
		set_string(&p->d->passphrase_env, t[1].text);
}

static void
do_holidays(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	/* Relative to the file that names it, like include: it ships beside the profile. */
	char *path = relative_to(p->file, t[1].text);

	sd_strv_push(&p->d->holidays, path);
	free(path);
}

static void
do_target_host(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	set_string(&p->d->target_host, t[1].text);
	clear_set(&p->d->target_hosts);
	parse_host_list(p, t[1].text, t[1].col, &p->d->target_hosts);
}

/* Is "HH:MM" a time of day? */
static int
clock_ok(const char *s)
{
	int h, m;

	return sscanf(s, "%2d:%2d", &h, &m) == 2 && h >= 0 && h <= 23 && m >= 0 && m <= 59;
}

static void
do_window(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	char *text = sd_xasprintf("%s %s %s %s", t[1].text, t[2].text, t[3].text, t[4].text);
	struct sd_window w;
	long off;
	struct sd_err err;

	/* Read once, here: whoever needs the window later takes d->win. */
	if (clock_ok(t[2].text) && clock_ok(t[3].text) && sd_window_parse(text, &w, &err) == 0 && w.end > w.start) {
		free(p->d->window);
		p->d->window = text;
		p->d->win = w;
		return;
	}
	if (sd_zone_offset(t[4].text, &off) < 0)
		sd_parse_report(p, 0, t[4].col,
		    "unknown time zone `%s` (use Asia/Hong_Kong, UTC or an offset such as +08:00)", t[4].text);
	else
		sd_parse_report(p, 0, t[1].col, "bad window `%s %s %s` (YYYY-MM-DD HH:MM HH:MM, end after start)",
		    t[1].text, t[2].text, t[3].text);
	free(text);
}

static void
do_timeout(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;
	struct sd_timeouts *to = &p->d->timeouts;
	int64_t *slots[] = { &to->connect, &to->banner, &to->kex, &to->auth, &to->sftp_init, &to->sftp_op, &to->step };
	int64_t ms;

	for (size_t ph = 0; timeout_phases[ph] != NULL; ph++)
		if (strcmp(t[1].text, timeout_phases[ph]) == 0) {
			ms = sd_duration_parse(t[2].text);
			if (ms <= 0)
				sd_parse_report(p, 0, t[2].col, "bad duration `%s` (e.g. 500ms, 30s, 2m, 1h)", t[2].text);
			else
				*slots[ph] = ms;
			return;
		}
	sd_parse_unknown(p, t[1].col, "timeout phase", t[1].text, timeout_phases);
}

/* limit size|entries|names|inflight|channels VALUE: caps on what a server may send, and on what is asked of it. */
static void
do_limit(struct parser *p, const struct dline *l)
{
	static const char *const what[] = { "size", "entries", "names", "inflight", "channels", NULL };
	static const uint64_t most[] = { UINT64_MAX, UINT64_MAX, UINT64_MAX, 64, 10 };
	struct sd_limits *lim = &p->d->limits;
	uint64_t *slots[] = { &lim->max_size, &lim->max_entries, &lim->max_names, &lim->max_inflight,
		&lim->max_channels };
	uint64_t v;

	for (size_t i = 0; what[i] != NULL; i++)
		if (strcmp(l->t[1].text, what[i]) == 0) {
			if (sd_size_parse(l->t[2].text, &v) < 0 || v == 0 || v > most[i])
				sd_parse_report(p, 0, l->t[2].col, "bad limit `%s` (a number, with KiB, MiB or GiB for sizes; "
				    "inflight: 1 to 64; channels: 1 to 10)", l->t[2].text);
			else
				*slots[i] = v;
			return;
		}
	sd_parse_unknown(p, l->t[1].col, "limit", l->t[1].text, what);
}

/* A directive that takes one of two words: *out becomes 1 for on, 0 for off; anything else is reported. */
static void
either(struct parser *p, const struct dline *l, const char *on, const char *off, int *out)
{
	const char *v = l->t[1].text;

	if (strcmp(v, on) == 0 || strcmp(v, off) == 0)
		*out = strcmp(v, on) == 0;
	else
		sd_parse_report(p, 0, l->t[1].col, "`%s` takes %s or %s, not `%s`", l->t[0].text, on, off, v);
}

static void
do_allow_sha1(struct parser *p, const struct dline *l)
{
	either(p, l, "yes", "no", &p->d->allow_sha1);
}

static void
do_runs_on(struct parser *p, const struct dline *l)
{
	either(p, l, "business-days", "any-day", &p->d->business_days_only);
}

static void
do_step(struct parser *p, const struct dline *l)
{
	struct tok *t = l->t;

	p->step_lines++;
	sd_parse_step(p, t, l->n);
}

#define FIELD(f) offsetof(struct sd_drill, f)

static const struct directive directives[] = {
	{ "drill", 1, 1, 0, "drill \"NAME\"", set_field, FIELD(name), NO_FIELD },
	{ "include", 1, 1, 0, "include \"FILE\"", do_include, NO_FIELD, NO_FIELD },
	{ "set", 2, 2, 1, "set NAME \"VALUE\"", do_set, NO_FIELD, NO_FIELD },
	{ "secret", 1, 1, 0, "secret NAME", do_secret, NO_FIELD, NO_FIELD },
	{ "endpoints", 2, 2, 0, "endpoints SET \"host[:port],host[:port]...\"", do_endpoints, NO_FIELD, NO_FIELD },
	{ "port", 1, 1, 0, "port NUMBER", do_port, NO_FIELD, NO_FIELD },
	{ "user", 1, 1, 0, "user \"USER-ID\"", set_field, FIELD(user), FIELD(user_loc) },
	{ "identity", 1, 1, 0, "identity \"PRIVATE-KEY-FILE\"", set_field, FIELD(identity), FIELD(identity_loc) },
	{ "known-hosts", 1, 1, 0, "known-hosts \"FILE\"", set_field, FIELD(known_hosts), FIELD(known_hosts_loc) },
	{ "host-key-pin", 2, 2, 0, "host-key-pin HOST[:PORT]|* SHA256:FINGERPRINT", do_pin, NO_FIELD, NO_FIELD },
	{ "passphrase-env", 1, 1, 0, "passphrase-env NAME", do_passphrase_env, NO_FIELD, NO_FIELD },
	{ "ssh-config", 1, 1, 0, "ssh-config \"FILE\"", set_field, FIELD(ssh_config), NO_FIELD },
	{ "download-dir", 1, 1, 0, "download-dir \"DIR\"", set_field, FIELD(download_dir), NO_FIELD },
	{ "report-dir", 1, 1, 0, "report-dir \"REMOTE-DIR\"", set_field, FIELD(report_dir), NO_FIELD },
	{ "baseline-dir", 1, 1, 0, "baseline-dir \"DIR\"", set_field, FIELD(baseline_dir), NO_FIELD },
	{ "state-dir", 1, 1, 0, "state-dir \"DIR\"", set_field, FIELD(baseline_dir), NO_FIELD },
	{ "service", 1, 1, 0, "service NAME", set_field, FIELD(service), NO_FIELD },
	{ "service-desk", 1, 1, 0, "service-desk \"WHOM TO CALL\"", set_field, FIELD(service_desk), NO_FIELD },
	{ "runs-on", 1, 1, 0, "runs-on business-days|any-day", do_runs_on, NO_FIELD, NO_FIELD },
	{ "holidays", 1, 1, 0, "holidays \"FILE\"", do_holidays, NO_FIELD, NO_FIELD },
	{ "target-host", 1, 1, 0, "target-host \"NAME[:PORT][,NAME...]\"", do_target_host, NO_FIELD, NO_FIELD },
	{ "window", 4, 4, 0, "window YYYY-MM-DD HH:MM HH:MM TIMEZONE", do_window, NO_FIELD, NO_FIELD },
	{ "target", 1, 1, 0, "target SET", set_field, FIELD(target), FIELD(target_loc) },
	{ "timeout", 2, 2, 0, "timeout PHASE DURATION", do_timeout, NO_FIELD, NO_FIELD },
	{ "allow-sha1", 1, 1, 0, "allow-sha1 yes|no", do_allow_sha1, NO_FIELD, NO_FIELD },
	{ "limit", 2, 2, 0, "limit size|entries|names|inflight|channels VALUE", do_limit, NO_FIELD, NO_FIELD },
	/* A step checks its own arguments: their shape depends on the verb. */
	{ "step", 0, MAX_TOKENS, 1, NULL, do_step, NO_FIELD, NO_FIELD },
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Does a directive line have the arguments its table row asks for? */
static int
arguments_ok(struct parser *p, const struct directive *dir, const struct tok *t, int n)
{
	if (n - 1 < dir->min || n - 1 > dir->max) {
		sd_parse_report(p, 0, t[0].col, "usage: %s", dir->usage);
		return 0;
	}
	for (int i = 1; i < n && !dir->allow_empty; i++)
		if (t[i].text[0] == '\0') {
			sd_parse_report(p, 0, t[i].col, "empty value in `%s`", t[0].text);
			return 0;
		}
	return 1;
}

static void
parse_line(struct parser *p, struct tok *t, int n)
{
	const struct directive *dir = sd_table_find(directives, NDIRECTIVES, sizeof(directives[0]), t[0].text);
	const char *names[NDIRECTIVES + 1];

	if (dir == NULL) {
		sd_table_names(directives, NDIRECTIVES, sizeof(directives[0]), names);
		sd_parse_unknown(p, t[0].col, "directive", t[0].text, names);
	} else if (arguments_ok(p, dir, t, n))
		dir->parse(p, &(struct dline){ .t = t, .n = n, .dir = dir });
}

/* The column of the first byte that is not text (a control character or invalid UTF-8), or 0. */
static int
bad_byte(const char *line, size_t len, const char **what)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t k = 0, n;
	uint32_t cp = 0;

	for (; k < len; k += n) {
		n = sd_utf8_decode(p + k, len - k, &cp);
		if (n == 0 || (sd_char_is_control(cp) && cp != '\t'))
			break;
	}
	if (k == len)
		return 0;
	*what = n == 0 ? "invalid UTF-8" : cp == 0 ? "NUL byte in text" : "control character in text";
	return (int)k + 1;
}

/* One physical line: checked for what text may hold, then lexed and parsed. */
static void
parse_one_line(struct parser *p, const char *line, size_t len)
{
	struct tok toks[MAX_TOKENS];
	const char *what;
	int col, n;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_BYTES) {
		sd_parse_report(p, 0, MAX_LINE_BYTES + 1, "line longer than %d bytes", MAX_LINE_BYTES);
		return;
	}
	col = bad_byte(line, len, &what);
	if (col > 0) {
		sd_parse_report(p, 0, col, "%s", what);
		return;
	}
	n = sd_lex_line(p, line, len, toks);
	if (n <= 0)
		return;
	parse_line(p, toks, n);
	for (int k = 0; k < n; k++)
		free(toks[k].text);
}

static void
parse_text(struct parser *p, const char *buf, size_t len)
{
	size_t pos = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	p->line = 0;
	while (pos < len && !p->gave_up) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p->line++;
		if (p->diag->nerrors - p->errors_before >= MAX_ERRORS) {
			sd_parse_report(p, 0, 1, "too many errors (%d); stopped reading here", MAX_ERRORS);
			p->gave_up = 1;
			break;
		}
		parse_one_line(p, buf + pos, end - pos);
		pos = nl ? end + 1 : len;
	}
}

/* Read a whole regular file up to MAX_FILE_BYTES; returns 0 or -1 with a message in err. */
static int
read_file(const char *path, struct sd_buf *out, char *err, size_t errlen)
{
	struct stat st;
	char chunk[65536];
	ssize_t r;
	/* O_NONBLOCK: a FIFO in the way must not hang `check`; it is refused below as not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	out->max = MAX_FILE_BYTES;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (r > 0 && sd_buf_add(out, chunk, (size_t)r) < 0) {
			snprintf(err, errlen, "%s is larger than %u bytes; a drill is a page of text", path, MAX_FILE_BYTES);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
parse_buffer_as(struct parser *p, const char *path, const char *real, const char *buf, size_t len,
    int line, int col)
{
	const char *saved_file = p->file;
	int saved_line = p->line;

	p->chain[p->depth] = (struct incl){ add_file(p->d, path, buf, len), line, col, real ? sd_xstrdup(real) : NULL };
	p->depth++;
	p->file = p->chain[p->depth - 1].file;
	parse_text(p, buf, len);
	p->depth--;
	free(p->chain[p->depth].real);
	p->file = saved_file;
	p->line = saved_line;
}

/* Is real already being read further up the include chain? */
static int
in_chain(const struct parser *p, const char *real)
{
	for (int i = 0; real != NULL && i < p->depth; i++)
		if (p->chain[i].real && strcmp(p->chain[i].real, real) == 0)
			return 1;
	return 0;
}

static void
parse_file(struct parser *p, const char *name, int line, int col)
{
	char err[PATH_MAX + 128], *path = relative_to(p->depth ? p->file : NULL, name), *real = NULL;
	struct sd_buf text = SD_BUF_INIT(MAX_FILE_BYTES);

	if (p->depth >= MAX_INCLUDE_DEPTH) {
		sd_parse_report(p, 0, col, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
		goto out;
	}
	real = realpath(path, NULL);
	if (in_chain(p, real)) {
		sd_parse_report(p, 0, col, "include cycle: %s includes itself", path);
		goto out;
	}
	if (read_file(path, &text, err, sizeof(err)) < 0) {
		if (p->depth == 0) {
			/* Top-level file: no line to point at, so point at its start. */
			p->file = add_file(p->d, path, "", 0);
			p->line = 1;
		}
		sd_parse_report(p, 0, col, "%s", err);
		goto out;
	}
	parse_buffer_as(p, path, real, sd_buf_str(&text), text.len, line, col);
out:
	sd_buf_release(&text);
	free(real);
	free(path);
}

/* Report at a recorded location (after all files are read). */
static void
report_at(struct parser *p, const struct sd_loc *loc, const char *msg)
{
	p->file = loc->file ? loc->file : p->d->files[0];
	p->line = loc->line ? loc->line : 1;
	sd_parse_report(p, 0, loc->col ? loc->col : 1, "%s", msg);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The service a drill without `service NAME` talks to, named by its
 * endpoints: every endpoint of every set, sorted, hashed. The same servers
 * give the same name whatever the profile file is called.
 */
static char *
default_service(const struct sd_drill *d)
{
	struct sd_strv labels = { 0 };
	struct sd_buf all = SD_BUF_INIT(0);
	char hex[65];

	for (size_t i = 0; i < d->nsets; i++)
		for (size_t k = 0; k < d->sets[i].n; k++)
			if (!sd_strv_has(&labels, d->sets[i].v[k].label))
				sd_strv_push(&labels, d->sets[i].v[k].label);
	if (labels.n > 1)
		qsort(labels.v, labels.n, sizeof(*labels.v), cmp_str);
	for (size_t i = 0; i < labels.n; i++)
		sd_buf_join(&all, ",", labels.v[i]);
	sd_sha256_hex(sd_buf_str(&all), all.len, hex);
	sd_buf_release(&all);
	sd_strv_release(&labels);
	return sd_xasprintf("endpoints-%.12s", hex);
}

/*
 * A local path written as the shell would take it: a leading "~/" or
 * "$HOME/" is the home folder. A job started by cron runs /bin/sh, where a
 * `-D RRS_KEY=~/.ssh/key` quoted on the way in would otherwise stay literal.
 */
static void
expand_home(char **path)
{
	const char *home = getenv("HOME"), *rest = NULL;
	char *full;

	if (*path == NULL || home == NULL || home[0] == '\0')
		return;
	if (strcmp(*path, "~") == 0 || strcmp(*path, "$HOME") == 0)
		rest = "";
	else if (strncmp(*path, "~/", 2) == 0)
		rest = *path + 1;
	else if (strncmp(*path, "$HOME/", 6) == 0)
		rest = *path + 5;
	if (rest == NULL)
		return;
	full = sd_xasprintf("%s%s", home, rest);
	free(*path);
	*path = full;
}

/* Defaults for what no file set: from the file names and the site's policy. */
static void
apply_defaults(struct parser *p)
{
	struct sd_drill *d = p->d;
	const struct sd_site *site = p->site;

	if (d->name == NULL) {
		const char *base = strrchr(d->path, '/');
		d->name = sd_xstrdup(base ? base + 1 : d->path);
	}
	if (d->port == 0)
		d->port = 22;
	if (d->baseline_dir == NULL && site && site->state_dir)
		d->baseline_dir = sd_xstrdup(site->state_dir);
	if (d->download_dir == NULL && site && site->download_dir)
		d->download_dir = sd_xstrdup(site->download_dir);
	if (d->passphrase_env == NULL && site && site->passphrase_env)
		d->passphrase_env = sd_xstrdup(site->passphrase_env);
	if (d->ssh_config == NULL && site && site->ssh_config)
		d->ssh_config = sd_xstrdup(site->ssh_config);
	expand_home(&d->identity);
	expand_home(&d->known_hosts);
	expand_home(&d->download_dir);
	expand_home(&d->baseline_dir);
	expand_home(&d->ssh_config);
	for (size_t i = 0; i < d->nsteps; i++)
		expand_home(&d->steps[i].dest);
	for (size_t i = 1; i < d->nfiles && d->profile_name == NULL; i++) {
		const char *base = strrchr(d->files[i], '/'), *dot;
		base = base ? base + 1 : d->files[i];
		dot = strrchr(base, '.');
		if (dot != NULL && dot > base && strcmp(dot, ".profile") == 0)
			d->profile_name = sd_xstrndup(base, (size_t)(dot - base));
	}
	if (d->profile_name == NULL)
		d->profile_name = sd_xstrdup(d->name);
	for (size_t i = 0; i < d->nsets; i++)
		for (size_t k = 0; k < d->sets[i].n; k++) {
			struct sd_endpoint *ep = &d->sets[i].v[k];
			if (ep->port == 0)
				ep->port = d->port;
			snprintf(ep->label, sizeof(ep->label), strchr(ep->host, ':') ? "[%s]:%d" : "%s:%d", ep->host, ep->port);
		}
	if (d->service == NULL)
		d->service = default_service(d);
}

/* What is wrong with the endpoint set name names (empty, or unknown with the closest known name). Caller frees. */
static char *
set_problem(const struct sd_drill *d, const char *what, const char *name)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, name);
	const char *names[65], *near;
	size_t k = 0;

	for (size_t i = 0; i < d->nsets && k < 64; i++)
		names[k++] = d->sets[i].name;
	names[k] = NULL;
	near = sd_suggest(name, names);
	if (set != NULL)
		return sd_xasprintf("%sendpoint set `%s` has no endpoints", what, name);
	if (near != NULL)
		return sd_xasprintf("%sunknown endpoint set `%s`; did you mean `%s`?", what, name, near);
	return sd_xasprintf("%sunknown endpoint set `%s`: define it with `endpoints %s \"host:port,...\"`", what, name,
	    name);
}

/* The target set: named, known (with a suggestion when not), not empty. */
static void
check_target(struct parser *p)
{
	struct sd_drill *d = p->d;
	const struct sd_endpoint_set *set;
	char *msg;

	if (d->target == NULL) {
		report_at(p, &(struct sd_loc){ 0 }, "no target: add `target SET` naming an endpoint set");
		return;
	}
	set = sd_drill_set(d, d->target);
	if (set != NULL && set->n > 0)
		return;
	msg = set_problem(d, "", d->target);
	report_at(p, &d->target_loc, msg);
	free(msg);
}

/* What each step needs from the profile. Returns whether any step talks to a server. */
static int
check_steps(struct parser *p)
{
	const struct sd_drill *d = p->d;
	int needs_ssh = 0;

	for (size_t i = 0; i < d->nsteps; i++) {
		const struct sd_step *st = &d->steps[i];
		const struct sd_endpoint_set *s2;

		needs_ssh |= (sd_verb(st->verb)->flags & SD_VERB_NETWORK) != 0;
		if (st->verb == SD_VERB_SNAPSHOT && st->arg == NULL && d->report_dir == NULL)
			report_at(p, &st->loc, "snapshot needs a folder, or `report-dir` in the profile");
		if (st->verb != SD_VERB_EXPECT_TARGET)
			continue;
		s2 = sd_drill_set(d, st->arg);
		if (s2 == NULL || s2->n == 0) {
			char *msg = set_problem(d, "expect-target: ", st->arg);
			report_at(p, &st->loc, msg);
			free(msg);
		}
		if (d->target_hosts.n == 0)
			report_at(p, &st->loc,
			    "expect-target needs `target-host` in the profile (the host name your production systems use)");
	}
	return needs_ssh;
}

/* Everything that can only be checked once every file is read; each problem is reported. */
static void
finish(struct parser *p)
{
	const struct sd_drill *d = p->d;
	struct sd_loc top = { 0 };

	apply_defaults(p);
	if (p->step_lines == 0)
		report_at(p, &top, "no steps: a drill needs at least one `step`");
	check_target(p);
	if (!check_steps(p))
		return;
	if (d->user == NULL)
		report_at(p, &top, "no `user`: set the login user ID in the profile");
	if (d->identity == NULL)
		report_at(p, &top, "no `identity`: name the private key file in the profile");
	if (d->known_hosts == NULL && d->pins.n == 0)
		report_at(p, &top, "no `known-hosts` and no `host-key-pin`: host keys are always checked; name a "
		    "known_hosts file or pin the keys in the profile");
}

static struct sd_drill *
parse_common(const char *path, const char *buf, size_t len, const struct sd_vars *cmdline,
    const struct sd_site *site, struct sd_diag *diag)
{
	struct sd_drill *d = sd_xcalloc(1, sizeof(*d));
	struct parser p = { .d = d, .diag = diag, .site = site, .errors_before = diag->nerrors };

	d->path = sd_xstrdup(path);
	d->timeouts = (struct sd_timeouts){ .connect = 10000, .banner = 10000, .kex = 20000, .auth = 20000,
		.sftp_init = 10000, .sftp_op = 30000, .step = 300000 };
	d->limits = (struct sd_limits){ .max_size = SD_LIMIT_SIZE, .max_entries = SD_LIMIT_ENTRIES,
		.max_names = SD_LIMIT_NAMES, .max_inflight = SD_LIMIT_INFLIGHT, .max_channels = SD_LIMIT_CHANNELS };
	if (cmdline)
		sd_vars_copy(&d->vars, cmdline);
	if (buf != NULL) {
		char *real = realpath(path, NULL);
		parse_buffer_as(&p, path, real, buf, len, 0, 0);
		free(real);
	} else
		parse_file(&p, path, 0, 1);
	/* Checks that need the whole drill run even after errors, so every mistake shows in one pass. */
	if (d->nfiles > 0 && !p.gave_up)
		finish(&p);
	if (diag->nerrors != p.errors_before) {
		sd_drill_free(d);
		return NULL;
	}
	return d;
}

struct sd_drill *
sd_drill_parse(const char *path, const struct sd_vars *cmdline, const struct sd_site *site, struct sd_diag *diag)
{
	return parse_common(path, NULL, 0, cmdline, site, diag);
}

struct sd_drill *
sd_drill_parse_buffer(const char *path, const char *buf, size_t len, const struct sd_vars *cmdline,
    const struct sd_site *site, struct sd_diag *diag)
{
	return parse_common(path, buf, len, cmdline, site, diag);
}

void
sd_drill_pins_for(const struct sd_drill *d, const struct sd_endpoint *ep, struct sd_strv *out)
{
	for (size_t i = 0; i < d->pins.n; i++) {
		const char *pin = d->pins.v[i], *sp = strchr(pin, ' ');
		size_t hl = (size_t)(sp - pin);

		/* A pin names the endpoint as written in its set (host:port), its host alone, or "*". */
		if ((hl == 1 && pin[0] == '*') || (hl == strlen(ep->label) && strncmp(pin, ep->label, hl) == 0) ||
		    (hl == strlen(ep->host) && strncmp(pin, ep->host, hl) == 0))
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
	char *name;

	if (d->report_dir == NULL)
		return -1;
	name = sd_xasprintf("Snapshot for %s", d->name);
	free(d->name);
	d->name = name;
	free_steps(d);
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		SD_GROW(d->steps, d->nsteps + 1, d->capsteps);
		d->steps[d->nsteps++] = (struct sd_step){ .name = sd_xstrdup(plan[i].name), .verb = plan[i].verb,
			.loc = { d->files[0], 0, 0 } };
	}
	return 0;
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
	free(d->service);
	free(d->service_desk);
	sd_strv_release(&d->refs);
	free(d->profile_name);
	free(d->passphrase_env);
	free(d->ssh_config);
	free(d->target_host);
	sd_strv_release(&d->holidays);
	sd_strv_release(&d->pins);
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
	free(d->file_sha256);
	sd_vars_release(&d->vars);
	free(d);
}
