/* cli.h — what the command-line front end's files share: options, site policy, exit statuses. */
#ifndef SD_CLI_H
#define SD_CLI_H

#include <stdio.h>
#include <time.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/version.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/language/drill.h"
#include "sftpdrill/run/preflight.h"
#include "sftpdrill/base/redact.h"
#include "sftpdrill/base/util.h"
#include "sftpdrill/language/vars.h"

/* Exit statuses (README, man page). */
enum { EXIT_PASS = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* The business calendar's zone: HKEX's. Hong Kong has kept UTC+8 without daylight saving since 1979. */
#define SITE_ZONE "Asia/Hong_Kong"
#define SITE_ZONE_LABEL "HKT"

/* Everything the command line said, and the site policy the front end gives lib/. */
struct cli {
	const char *argv0;
	const char *command;
	struct sd_vars defs;        /* -D NAME=VALUE and the built-in variables */
	const char *report_dir;
	const char *operator_name;
	int quiet, verbose, strict, tofu, parallel, jobs, enforce_window, accept_new_keyref, wait_for_window;
	int allow_unknown_holidays; /* --allow-unknown-holidays: a date past the holiday list warns instead */
	int retry_every;            /* --retry-until-window-end: seconds between attempts (0: no retries) */
	const char *state_dir;      /* --state-dir */
	const char *backup_dir;     /* --backup-dir */
	const char *metrics;        /* --metrics FILE: Prometheus text exposition of the run */
	int plugin;                 /* status --plugin: one line in the Monitoring Plugins format, exit 0-3 */
	long warn_age, crit_age;    /* status --warning / --critical: the last backup's age, seconds (0: none) */
	const char *on_failure, *on_success; /* --on-failure CMD, --on-success CMD */
	const char *drill_for_calendar; /* business-day --drill FILE */
	const char *format;         /* record --format text|csv|json */
	const char *roster;         /* run --roster FILE */
	const char *account;        /* run --account NAME: leads suite names (a roster's child runs) */
	int shard_k, shard_n;       /* --shard K/N (0/0: all) */
	int argc;                   /* the command line (options first, as getopt left it), for the */
	char **argv;                /* catch-up commands */
	int first_operand;          /* argv index of the first drill file */
	time_t now;                 /* --now, else the clock */
	const char *now_given;      /* --now as written, or NULL */
	time_t clock;               /* the machine's clock at the start */
	const char *sign_key;       /* --sign-key (run) or --key (sign) */
	struct sd_strv pubs;        /* --pub, repeatable */
	unsigned umask_bits;        /* --umask: what new files and folders withhold (default 077) */
	long business_day;
	long *closures;
	size_t nclosures, capclosures;
	struct sd_strv holidays;
	long zone_offset;           /* SITE_ZONE's offset from UTC, seconds */
	struct sd_site site;
	char *ssh_config;           /* the site's default client config ($HOME/.ssh/config), owned */
	char *state;                /* the state folder in effect (see settle), owned */
	char *backups;              /* the backup folder in effect (see settle): the variable BACKUP_DIR, owned */
	struct sd_buf *said;        /* while set, every diagnostic cli_say prints is kept here too (a refusal's evidence) */
};

/* Where state was kept before 0.2, relative to the folder sftpdrill ran in (found and migrated). */
#define LEGACY_STATE_DIR "reports/baselines"

/* Where the shipped profiles put backups before 0.3, relative to the folder sftpdrill ran in (found and said). */
#define LEGACY_BACKUP_DIR "reports/backup"

/* A command: its name and what runs it; its help text is harness/help.txt's section of that name. */
struct command {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	int wants_args;             /* needs at least one argument (drill files, a folder, a date) */
	unsigned bit;               /* by which options name the commands that take them */
};

/* Parse every drill file; every error is printed. Returns the number of drills with errors. */
int cli_parse_drills(const struct cli *c, int n, char **files, struct sd_drill **out);

/* The calendar sources of the command line: --holidays and --non-business-day. */
struct sd_calendar_sources cli_calendar(const struct cli *c);

/* Print diagnostics to stderr, secrets masked (the -D values and passphrase a message may quote). */
void cli_print_diag(const struct cli *c, const struct sd_diag *diag);

/* One diagnostic line to stderr (printf-like, no newline), secrets masked; kept in c->said too while set. */
void cli_say(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The secrets the command line and environment hold: secret-looking -D values, the key passphrase. */
void cli_secrets(const struct cli *c, struct sd_redactor *r);

/*
 * Does the drill's holiday list cover day? Outside it, its holidays are
 * unknown: an error said on stderr (-1), or with --allow-unknown-holidays a
 * warning put in warn for every output (0). warn is empty when covered.
 */
int cli_check_coverage(const struct cli *c, const struct sd_drill *d, long day, char *warn, size_t len);

/* The same for a calendar already loaded (business-day): "what" names the command in the error. */
int cli_calendar_coverage(const struct cli *c, const struct sd_calendar *cal, long day, const char *what, char *warn,
    size_t len);

/*
 * The process holds keys: no core dumps, not readable by other processes of
 * the same user, its memory locked where the system allows (protect.c).
 */
void cli_protect_process(void);

/*
 * The secret variables of vars that the command line gave as values (not
 * -D NAME=@FILE): each warned about once through warn, and its value blanked
 * in argv (what ps shows). Returns how many.
 */
int cli_guard_argv(struct cli *c, const struct sd_vars *vars, void (*warn)(void *ctx, const char *msg), void *ctx);

/* -D NAME=@FILE: FILE's content (one trailing line break dropped), or NULL with why. Caller frees. */
char *cli_read_value(const char *path, char *why, size_t len);

/* Wipe an environment variable's value in place, then unset it (a passphrase read from it). */
void cli_forget_env(const char *name);

/* A drill's window against the clock (--now or the machine's). */
enum { WINDOW_NONE, WINDOW_INSIDE, WINDOW_BEFORE, WINDOW_AFTER };
struct window_fact {
	int state;
	time_t start, end;          /* UTC */
	char status[256];           /* recorded: "inside", "before: run at ..., window ... (ZONE)", "" for none */
	char now[160];              /* now in the window's zone, with its offset */
	char when[320];             /* "before the drill's window W (it opens in 10 min)" */
};

/* Fill w for d; -1 with err when the window cannot be read (state stays WINDOW_NONE). */
int cli_window(const struct cli *c, const struct sd_drill *d, struct window_fact *w, struct sd_err *err);

/* The commands (cmd_run.c, cmd_other.c). */
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_snapshot(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_plan(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_business_day(struct cli *c, int argc, char **argv);
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_sign(struct cli *c, int argc, char **argv);
int cmd_record(struct cli *c, int argc, char **argv);
int cmd_merge(struct cli *c, int argc, char **argv);
int cmd_roster(struct cli *c, int ndrills, char **drills);

/*
 * Verify bundles and write their merge, sealed, to out (new); prints the verdict. An exit status: the
 * merged run's (0, 1, 2 a row not drilled, 3), 2 when an input was refused, 3 when out cannot be written.
 * shard, if not NULL, is written as the merge's SHARD file: a roster shard's account of itself
 * ("roster NAME\nrows R\nshard K of N\n"), by which a later merge finds a shard missing. rows (may be
 * NULL) holds suites of rows that were not drilled, taken into the merge (and left empty).
 */
struct sd_run;
int merge_bundles(const struct cli *c, const char *out, int n, char **bundles, const char *title, const char *shard,
    struct sd_run *rows);
int cmd_help(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);

/*
 * What every run leaves of itself in its account's state folder
 * (ACCOUNT/last-run, atomically), for `status` and monitoring: when it
 * finished, its exit status and verdict, its mode, the business date, the bundle.
 */
struct last_run {
	time_t finished;
	int exit_status;
	char verdict[64], mode[160], business_date[16], bundle[1024];
};
int cli_last_run_write(const char *account, const struct last_run *l);
int cli_last_run_read(const char *account, struct last_run *l);

/* Print the help of command name (or the overview for NULL) to f; EXIT_USAGE for an unknown name. */
int cli_help(const char *name, FILE *f);

#endif
