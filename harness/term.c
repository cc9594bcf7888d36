/* term.c — text for a terminal: how wide it is, and lines that fit it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term.h"

int
term_columns(int fd)
{
	struct winsize ws;

	const char *env = getenv("COLUMNS");

	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	/* A terminal that does not say its size (a pty nobody sized): $COLUMNS, as shells set it, else 80. */
	if (env != NULL && atoi(env) >= 40)
		return atoi(env);
	return 80;
}

int
term_width_of(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
term_pad(FILE *f, const char *s, int width)
{
	fputs(s, f);
	for (int k = term_width_of(s); k < width; k++)
		fputc(' ', f);
}

void
term_pad_cut(FILE *f, const char *s, int width)
{
	if (term_width_of(s) <= width) {
		term_pad(f, s, width);
		return;
	}
	for (int cols = 0; *s && cols < width - 1; s++) {
		cols += ((unsigned char)*s & 0xc0) != 0x80;
		fputc(*s, f);
		while (((unsigned char)s[1] & 0xc0) == 0x80)
			fputc(*++s, f);
	}
	fputs("…", f);
}

/* Where the state of a wrap is: the column, the lines so far, whether the line holds a word yet. */
struct wrapping {
	FILE *f;
	int col, lines, fresh, indent, width, max, cut;
};

static int
next_line(struct wrapping *w)
{
	if (++w->lines > w->max) {
		fputs(" …", w->f);
		w->cut = 1;
		return -1;
	}
	fprintf(w->f, "\n%*s", w->indent, "");
	w->col = w->indent;
	w->fresh = 1;
	return 0;
}

/* The bytes of the first cols characters of UTF-8 s (all of it if shorter). */
static size_t
prefix_bytes(const char *s, int cols)
{
	size_t i = 0;

	for (int c = 0; s[i] && c < cols; c++)
		for (i++; ((unsigned char)s[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

/*
 * One word (len bytes at p): on this line if it fits, else the next; copyable text never broken.
 * A glued word follows the one before without a space (the ":" after a `quoted` span).
 */
static int
put_word(struct wrapping *w, const char *p, size_t len, int copyable, int glued)
{
	char word[8192];
	int n;

	snprintf(word, sizeof(word), "%.*s", (int)len, p);
	n = term_width_of(word);
	if (copyable && n > w->width - w->indent) {
		/* Too long for any line: alone on a line, whole, without its quotes, from the first column, to be pasted. */
		fprintf(w->f, "\n%.*s", (int)len - 2, p + 1);
		w->col = w->width;
		w->fresh = 0;
		w->lines++;
		return 0;
	}
	if (glued && w->col + n > w->width)
		glued = 0;
	if (w->col + !(w->fresh || glued) + n > w->width && w->col > w->indent && next_line(w) < 0)
		return -1;
	if (!w->fresh && !glued)
		fputc(' ', w->f), w->col++;
	/* A word longer than a line (a path in an error): broken across lines, never cut short. */
	const char *q = word;
	while (n > w->width - w->col && w->width - w->col >= 2) {
		size_t bytes = prefix_bytes(q, w->width - w->col);
		fprintf(w->f, "%.*s", (int)bytes, q);
		q += bytes;
		n = term_width_of(q);
		if (next_line(w) < 0)
			return -1;
	}
	fputs(q, w->f), w->col += n;
	w->fresh = 0;
	return 0;
}

void
term_wrap(FILE *f, const char *lead, const char *text, int indent, int width, int max)
{
	struct wrapping w = { .f = f, .col = term_width_of(lead), .lines = 1, .fresh = 1, .indent = indent,
		.width = width, .max = max };
	int glue = 0;

	fputs(lead, f);
	while (*text && !w.cut) {
		size_t len;
		if (*text == '\n') {
			text++;
			/* A line that begins with two spaces is shown whole, as written (a command to paste). */
			if (text[0] == ' ' && text[1] == ' ') {
				len = strcspn(text, "\n");
				fprintf(f, "\n%.*s", (int)len, text);
				text += len;
				w.col = width;
				w.fresh = 0;
				continue;
			}
			if (next_line(&w) < 0)
				break;
			continue;
		}
		if (*text == ' ') {
			text++;
			glue = 0;
			continue;
		}
		if (*text == '`' && strchr(text + 1, '`') != NULL) {
			len = (size_t)(strchr(text + 1, '`') - text) + 1;
			put_word(&w, text, len, 1, 0);
			glue = 1;
		} else {
			len = strcspn(text, " \n");
			put_word(&w, text, len, 0, glue);
			glue = 0;
		}
		text += len;
	}
	fputc('\n', f);
}

void
term_print(FILE *f, const char *text, int indent)
{
	term_print_to(f, text, indent, term_columns(fileno(f)));
}

void
term_print_to(FILE *f, const char *text, int indent, int width)
{
	if (width == 0) {
		fputs(text, f);
		return;
	}
	while (*text) {
		size_t len = strcspn(text, "\n"), lead = strspn(text, " ");
		char *spaces = strndup(text, lead), *line = strndup(text + lead, len - lead);
		term_wrap(f, spaces, line, (int)lead + indent, width - 1, 1000);
		free(spaces);
		free(line);
		text += len + (text[len] == '\n');
	}
}

void
term_say(FILE *f, const char *text, int indent)
{
	int width = term_columns(fileno(f));

	if (width == 0)
		fprintf(f, "%s\n", text);
	else
		term_wrap(f, "", text, indent, width - 1, 1000);
}
