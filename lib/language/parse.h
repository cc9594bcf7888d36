/* parse.h — private to lib/: the drill parser's state, shared by its lexer (lex.c) and grammar (drill.c). */
#ifndef SD_PARSE_H
#define SD_PARSE_H

#include "sftpdrill/language/drill.h"

#define MAX_FILE_BYTES    (4u << 20)   /* a drill is a page of text; 4 MiB is generous */
#define MAX_LINE_BYTES    65536
#define MAX_VALUE_BYTES   65536        /* a word after expansion: self-doubling variables stop here */
#define MAX_INCLUDE_DEPTH 16
#define MAX_EXPAND_DEPTH  8
#define MAX_TOKENS        64
#define MAX_ERRORS        100          /* enough to fix a file; a binary file would print thousands */
#define MAX_STEPS         10000
#define MAX_VARIABLES     10000        /* lookups are linear: keep them bounded */
#define MAX_ALL_VALUES    (4u << 20)   /* all `set` values together: a drill's variables are a page of text */

/* A word of a line after quoting and expansion. */
struct tok {
	char *text;
	int col;
};

/* One level of the include chain. */
struct incl {
	const char *file;
	int line, col;
	char *real;             /* realpath of the file being read, for cycle detection */
};

struct parser {
	struct sd_drill *d;
	struct sd_diag *diag;
	const struct sd_site *site;
	struct incl chain[MAX_INCLUDE_DEPTH + 1];
	int depth;
	const char *file;       /* current file (owned by d->files) */
	int line;
	size_t errors_before;   /* diag->nerrors when this parse began */
	int step_lines;         /* `step` lines seen, whether or not they parsed */
	size_t value_bytes;     /* bytes of all `set` values so far */
	int gave_up;
};

/* Report at the current file and line, with the include chain that led here. */
void sd_parse_report(struct parser *p, int warning, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "unknown WHAT `WORD`", with "did you mean" from the NULL-terminated candidates. */
void sd_parse_unknown(struct parser *p, int col, const char *what, const char *word, const char *const *cands);

/*
 * Split one line into words: bare words and "double quotes" expand ${...},
 * 'single quotes' are literal, # at the start of a word starts a comment.
 * Returns the word count, or -1 after reporting (no words are left to free).
 */
int sd_lex_line(struct parser *p, const char *line, size_t len, struct tok *toks);

/* step "NAME" VERB ARGS... [timeout DUR] [retry N [backoff DUR]] (drill_step.c). */
void sd_parse_step(struct parser *p, struct tok *t, int n);

#endif
