/*
 * verb.h — the step verbs' syntax: one descriptor each (keyword, argument shape, what it needs from
 * its endpoint), read by the parser, the runner and the writers alike. What a verb does is lib/run/'s.
 */
#ifndef SD_VERB_H
#define SD_VERB_H

enum sd_verb {
	SD_VERB_EXPECT_TARGET,  /* expect-target SET */
	SD_VERB_CONNECT,        /* connect */
	SD_VERB_LOGIN,          /* login */
	SD_VERB_COUNT,          /* count DIR OP N | count DIR OP baseline(last-business-day) */
	SD_VERB_DOWNLOAD,       /* download DIR/PATTERN [to DIR] */
	SD_VERB_LOGOUT,         /* logout */
	SD_VERB_SNAPSHOT,       /* snapshot [DIR]: record the folder's manifest for the business date */
	SD_VERB_KEY_UNCHANGED,  /* key-unchanged: user and host keys equal the recorded reference */
	SD_VERB_NO_MISSED_DAYS, /* no-missed-days: every business day since the first backup has one */
	SD_VERB_STAT,           /* stat PATH: a regular file is there (its size and time recorded) */
	SD_VERB__COUNT
};

/* The shape of a verb's arguments, which the parser reads into struct sd_step. */
enum sd_verb_args {
	SD_ARGS_NONE,           /* nothing */
	SD_ARGS_SET,            /* an endpoint set name (arg) */
	SD_ARGS_OPTIONAL_DIR,   /* an optional remote folder (arg) */
	SD_ARGS_PATH,           /* a remote path (arg) */
	SD_ARGS_REMOTE_TO,      /* a remote path or pattern (arg), optionally `to LOCAL-DIR` (dest) */
	SD_ARGS_COUNT,          /* DIR OP (N | baseline(last-business-day)) */
};

/* What a verb needs from its endpoint; the runner acts on these, the handler never repeats them. */
enum {
	SD_VERB_NETWORK = 1 << 0,    /* talks to the server: skipped once the endpoint is unusable */
	SD_VERB_CONNECTS = 1 << 1,   /* connects first unless connected */
	SD_VERB_LOGS_IN = 1 << 2,    /* logs in (and starts SFTP) first unless logged in */
	SD_VERB_NEEDS_OPEN = 1 << 3, /* skipped unless a connection is open */
	SD_VERB_OPENS = 1 << 4,      /* establishes the connection: a retry starts from a fresh one */
};

struct sd_verb_desc {
	const char *name;           /* the keyword in a drill */
	enum sd_verb_args args;
	unsigned flags;             /* SD_VERB_* */
	const char *usage;          /* the verb and its arguments, for messages and help */
};

/* The descriptor of v. */
const struct sd_verb_desc *sd_verb(enum sd_verb v);

/* The verb named name (an enum sd_verb), or -1 when there is none. */
int sd_verb_lookup(const char *name);

/* Every verb's keyword into names[0..SD_VERB__COUNT] (NULL last), for "did you mean". */
void sd_verb_names(const char **names);

/* The verb's keyword, e.g. "expect-target". */
const char *sd_verb_name(enum sd_verb v);

#endif
