/* term.h — text for a terminal: how wide it is, and lines that fit it. */
#ifndef SD_TERM_H
#define SD_TERM_H

#include <stdio.h>

/* The width of the terminal on fd, or 0 when fd is not a terminal. */
int term_columns(int fd);

/* Columns a UTF-8 string takes (one per character). */
int term_width_of(const char *s);

/* s, then spaces up to width columns. */
void term_pad(FILE *f, const char *s, int width);

/* s cut to width columns, with "…" when cut, padded to width. */
void term_pad_cut(FILE *f, const char *s, int width);

/*
 * text word-wrapped to width: the first line after lead, the others indented
 * by indent; at most max lines (then " …"). A newline in text starts a new
 * line. What is meant to be copied is never broken: a `quoted` span is one
 * word, and one too long for a line of its own goes alone on a line, whole,
 * from its first column (a known_hosts line, a command); so does a line of
 * text that begins with two spaces. Ends with a newline.
 */
void term_wrap(FILE *f, const char *lead, const char *text, int indent, int width, int max);

/*
 * Lines of text to f: on a terminal each wrapped to its width, its
 * continuation indented by its own leading spaces plus indent; elsewhere as
 * they are.
 */
void term_print(FILE *f, const char *text, int indent);

/* The same for a terminal width columns wide (0: as they are), whatever f is (a buffer). */
void term_print_to(FILE *f, const char *text, int indent, int width);

/*
 * One message to f: on a terminal, wrapped to its width (continuation lines
 * indented by indent); elsewhere (a log, a pipe) one line as it is, for grep.
 */
void term_say(FILE *f, const char *text, int indent);

#endif
