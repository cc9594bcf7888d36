/* sftpdrill — run SFTP connectivity drills and write JUnit XML. Front end only: the work is in lib/. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/base/kind.h"
#include "sftpdrill/base/units.h"
#include "sftpdrill/language/roster.h"
#include "cli.h"
#include "hooks.h"
#include "term.h"
#include "help.h"

/* `run`: drills, or (--roster) every account of a roster, each in a run of its own. */
static int
run_drills_or_roster(struct cli *c, int argc, char **argv)
{
	return c->roster ? cmd_roster(c, argc, argv) : cmd_run(c, argc, argv);
}

/* Each command's bit, by which an option names the commands that take it. */
enum {
	RUN = 1 << 0, CHECK = 1 << 1, PLAN = 1 << 2, SNAPSHOT = 1 << 3, BUSINESS_DAY = 1 << 4, VERIFY = 1 << 5,
	VERSION = 1 << 6, SIGN = 1 << 7, RECORD = 1 << 8, MERGE = 1 << 9, HELP = 1 << 10, STATUS = 1 << 11,
	RUNS = RUN | SNAPSHOT,      /* snapshot takes the options of run that connect */
};

static const struct command commands[] = {
	{ "run", run_drills_or_roster, 1, RUN },
	{ "check", cmd_check, 1, CHECK },
	{ "plan", cmd_plan, 1, PLAN },
	{ "snapshot", cmd_snapshot, 1, SNAPSHOT },
	{ "business-day", cmd_business_day, 1, BUSINESS_DAY },
	{ "verify", cmd_verify, 1, VERIFY },
	{ "version", cmd_version, 0, VERSION },
	{ "sign", cmd_sign, 1, SIGN },
	{ "record", cmd_record, 1, RECORD },
	{ "merge", cmd_merge, 1, MERGE },
	{ "status", cmd_status, 1, STATUS },
	{ "help", cmd_help, 0, HELP },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	return sd_table_find(commands, NCOMMANDS, sizeof(commands[0]), name);
}

/*
 * `sftpdrill help types`: on a terminal, each type and what it means, fitted
 * to its width; elsewhere the table README documents (paste it there).
 */
static void
print_types(FILE *f)
{
	struct sd_buf rows = SD_BUF_INIT(0);
	int cols = term_columns(fileno(f));

	if (cols > 0) {
		for (int k = 0; k < SD_KIND__COUNT; k++) {
			const struct sd_kind_desc *d = sd_kind((enum sd_kind)k);
			char *lead = sd_xasprintf("%s (%s): ", d->name, sd_status_name(d->status));
			term_wrap(f, lead, d->meaning, 4, cols - 1, 20);
			free(lead);
		}
		return;
	}
	for (int k = 0; k < SD_KIND__COUNT; k++)
		sd_kind_doc_row((enum sd_kind)k, &rows);
	fputs("| type | result | meaning |\n|---|---|---|\n", f);
	fputs(sd_buf_str(&rows), f);
	sd_buf_release(&rows);
}

/* The help section name: a command, or "overview"; NULL when there is none. */
static const char *
help_text(const char *name)
{
	for (size_t i = 0; i < sizeof(help_texts) / sizeof(help_texts[0]); i++)
		if (strcmp(help_texts[i].name, name) == 0)
			return help_texts[i].text;
	return NULL;
}

int
cli_help(const char *name, FILE *f)
{
	const char *text = help_text(name ? name : "overview");

	if (name != NULL && strcmp(name, "types") == 0) {
		print_types(f);
		return EXIT_PASS;
	}
	if (text == NULL || (name != NULL && find_command(name) == NULL)) {
		fprintf(stderr, "sftpdrill: no such command `%s`; `sftpdrill help` lists them\n", name);
		return EXIT_USAGE;
	}
	fputs(text, f);
	return EXIT_PASS;
}

int
cmd_help(struct cli *c, int argc, char **argv)
{
	(void)c;
	return cli_help(argc > 0 ? argv[0] : NULL, stdout);
}

/* ---- options ------------------------------------------------------------------------------------ */

enum opt_kind { OPT_FLAG, OPT_STRING, OPT_FN, OPT_HELP };

/* One option: a flag or string it sets in struct cli, or a function that reads its argument; the commands that take it. */
struct optdef {
	const char *name;
	int key;                    /* the short option letter, or a code of its own */
	enum opt_kind kind;
	size_t field;               /* OPT_FLAG: an int; OPT_STRING: a const char * */
	int (*apply)(struct cli *c, const char *arg);
	unsigned commands;          /* the commands' bits; any other use is an error */
};

static int
opt_define(struct cli *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name = eq ? sd_xstrndup(arg, (size_t)(eq - arg)) : NULL;

	if (name == NULL || !sd_var_name_ok(name, strlen(name))) {
		fprintf(stderr, "sftpdrill: -D wants NAME=VALUE, got `%s`\n", arg);
		free(name);
		return -1;
	}
	/* -D NAME=@FILE: the value from a file, never on the command line ("@@" for a value that begins with @). */
	if (eq[1] == '@' && eq[2] != '@') {
		char why[512], *value = cli_read_value(eq + 2, why, sizeof(why));
		if (value == NULL) {
			fprintf(stderr, "sftpdrill: -D %s=@FILE: %s\n", name, why);
			free(name);
			return -1;
		}
		sd_vars_set(&c->defs, name, value, SD_VAR_CMDLINE);
		explicit_bzero(value, strlen(value));
		free(value);
	} else
		sd_vars_set(&c->defs, name, eq[1] == '@' ? eq + 2 : eq + 1, SD_VAR_CMDLINE);
	free(name);
	return 0;
}

static int
parse_date(const char *arg, long *day)
{
	if (sd_date_parse(arg, day) == 0)
		return 0;
	fprintf(stderr, "sftpdrill: `%s` is not a date (YYYY-MM-DD)\n", arg);
	return -1;
}

static int
opt_business_date(struct cli *c, const char *arg)
{
	return parse_date(arg, &c->business_day);
}

static int
opt_closure(struct cli *c, const char *arg)
{
	long day;

	if (parse_date(arg, &day) < 0)
		return -1;
	SD_GROW(c->closures, c->nclosures + 1, c->capclosures);
	c->closures[c->nclosures++] = day;
	return 0;
}

static int
opt_holidays(struct cli *c, const char *arg)
{
	sd_strv_push(&c->holidays, arg);
	return 0;
}

static int
opt_jobs(struct cli *c, const char *arg)
{
	char *end;
	long j = strtol(arg, &end, 10);

	if (*end || j < 1 || j > 1024) {
		fprintf(stderr, "sftpdrill: --jobs wants a number from 1 to 1024, got `%s`\n", arg);
		return -1;
	}
	c->jobs = (int)j;
	c->parallel = 1;
	return 0;
}

static int
opt_pub(struct cli *c, const char *arg)
{
	sd_strv_push(&c->pubs, arg);
	return 0;
}

static int
opt_umask(struct cli *c, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 8);

	if (*end || end == arg || v > 0777) {
		fprintf(stderr, "sftpdrill: --umask wants an octal mask such as 027, got `%s`\n", arg);
		return -1;
	}
	c->umask_bits = (unsigned)v;
	return 0;
}

/* --retry-until-window-end INTERVAL: a duration (30s, 5m) from 10 s to 2 h. */
static int
opt_retry(struct cli *c, const char *arg)
{
	int64_t ms = sd_duration_parse(arg);

	if (ms < 10000 || ms > 7200000) {
		fprintf(stderr, "sftpdrill: --retry-until-window-end wants a duration from 10s to 2h (e.g. 5m), got `%s`\n",
		    arg);
		return -1;
	}
	c->retry_every = (int)(ms / 1000);
	return 0;
}

static int
opt_account(struct cli *c, const char *arg)
{
	if (!sd_account_name_ok(arg)) {
		fprintf(stderr, "sftpdrill: --account names folders: 1 to 64 of A-Z a-z 0-9 . _ - (not first: . or -), "
		    "got `%s`\n", arg);
		return -1;
	}
	c->account = arg;
	return 0;
}

static int
opt_shard(struct cli *c, const char *arg)
{
	int k, n;
	char end;

	if (sscanf(arg, "%d/%d%c", &k, &n, &end) != 2 || n < 1 || n > 1000 || k < 1 || k > n) {
		fprintf(stderr, "sftpdrill: --shard wants K/N with 1 <= K <= N (e.g. 2/4), got `%s`\n", arg);
		return -1;
	}
	c->shard_k = k;
	c->shard_n = n;
	return 0;
}

/* --warning / --critical AGE: a number and a unit, s, m (min), h or d: "26h", "90m", "3d" (a year at most). */
static int
opt_age(const char *opt, const char *arg, long *out)
{
	static const struct { const char *unit; long s; } units[] = { { "s", 1 }, { "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "d", 86400 } };
	char *end;
	long n = strtol(arg, &end, 10);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && end != arg && n > 0; i++)
		if (strcmp(end, units[i].unit) == 0 && n <= 366 * 86400 / units[i].s) {
			*out = n * units[i].s;
			return 0;
		}
	fprintf(stderr, "sftpdrill: --%s wants an age such as 26h, 90m or 3d; got `%s`\n", opt, arg);
	return -1;
}

static int
opt_warning(struct cli *c, const char *arg)
{
	return opt_age("warning", arg, &c->warn_age);
}

static int
opt_critical(struct cli *c, const char *arg)
{
	return opt_age("critical", arg, &c->crit_age);
}

static int
opt_now(struct cli *c, const char *arg)
{
	c->now_given = arg;
	if (sd_iso8601_parse(arg, &c->now) == 0)
		return 0;
	fprintf(stderr, "sftpdrill: --now wants ISO 8601 with an offset, e.g. 2023-04-15T14:45:00+08:00; got `%s`\n", arg);
	return -1;
}

#define FLAG(name, key, field, cmds) { name, key, OPT_FLAG, offsetof(struct cli, field), NULL, cmds }
#define STRING(name, key, field, cmds) { name, key, OPT_STRING, offsetof(struct cli, field), NULL, cmds }
#define FN(name, key, fn, cmds) { name, key, OPT_FN, 0, fn, cmds }

/* Every option, with the commands that take it (`sftpdrill help COMMAND` lists them). */
static const struct optdef optdefs[] = {
	FLAG("quiet", 'q', quiet, RUNS), FLAG("verbose", 'v', verbose, RUNS), FLAG("strict", 's', strict, CHECK),
	FLAG("trust-on-first-use", 'T', tofu, RUNS), FLAG("parallel", 'p', parallel, RUNS),
	FLAG("enforce-window", 'W', enforce_window, RUN),
	FLAG("allow-unknown-holidays", 'u', allow_unknown_holidays, RUNS | CHECK | PLAN | BUSINESS_DAY), { "help", 'h', OPT_HELP, 0, NULL, ~0u },
	FLAG("accept-new-key-reference", 'A', accept_new_keyref, RUNS), FLAG("wait-for-window", 'w', wait_for_window, RUN),
	STRING("state-dir", 'd', state_dir, RUNS | PLAN | STATUS), STRING("metrics", 'M', metrics, RUNS),
	FLAG("plugin", 'G', plugin, STATUS), FN("warning", 'g', opt_warning, STATUS), FN("critical", 'C', opt_critical, STATUS), STRING("backup-dir", 'B', backup_dir, RUNS | PLAN | CHECK),
	STRING("on-failure", 'F', on_failure, RUNS), STRING("on-success", 'O', on_success, RUNS),
	STRING("drill", 'R', drill_for_calendar, BUSINESS_DAY), STRING("format", 'f', format, RECORD),
	STRING("roster", 'L', roster, RUN), FN("account", 'a', opt_account, RUN), FN("shard", 'k', opt_shard, RUN),
	STRING("report-dir", 'r', report_dir, RUNS), STRING("operator", 'o', operator_name, RUNS),
	STRING("sign-key", 'S', sign_key, RUNS), STRING("key", 'K', sign_key, SIGN), FN("pub", 'P', opt_pub, VERIFY | RECORD | MERGE),
	FN("umask", 'U', opt_umask, RUNS | MERGE | SIGN),
	FN("define", 'D', opt_define, RUNS | CHECK | PLAN | BUSINESS_DAY | STATUS),
	FN("business-date", 'b', opt_business_date, RUNS | CHECK | PLAN),
	FN("non-business-day", 'n', opt_closure, RUNS | CHECK | PLAN | BUSINESS_DAY),
	FN("holidays", 'H', opt_holidays, BUSINESS_DAY), FN("jobs", 'j', opt_jobs, RUN),
	FN("now", 'N', opt_now, RUNS | PLAN | BUSINESS_DAY), FN("retry-until-window-end", 'Y', opt_retry, RUN),
};

#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

static int
apply_option(struct cli *c, const struct optdef *od, const char *arg)
{
	switch (od->kind) {
	case OPT_FLAG:
		*(int *)((char *)c + od->field) = 1;
		return 0;
	case OPT_STRING:
		*(const char **)((char *)c + od->field) = arg;
		return 0;
	case OPT_FN:
		return od->apply(c, arg);
	case OPT_HELP:
		return 1;
	}
	return -1;
}

/* od given to a command that does not take it: said, with the commands that do. */
static int
not_for(const struct cli *c, const struct optdef *od)
{
	struct sd_buf which = SD_BUF_INIT(0);

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (od->commands & commands[i].bit)
			sd_buf_join(&which, ", ", commands[i].name);
	fprintf(stderr, "sftpdrill %s: %s%s is not an option of %s (it is one of %s); `sftpdrill help %s` lists "
	    "its options\n", c->command, od->key == 'D' ? "-" : "--", od->key == 'D' ? "D" : od->name, c->command,
	    sd_buf_str(&which), c->command);
	sd_buf_release(&which);
	return -1;
}

/* Read the options after the command; returns 0, 1 for --help (printed), or -1 (a message was printed). */
static int
parse_options(struct cli *c, const struct command *cmd, int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	int key, rc = 0;

	for (size_t i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ optdefs[i].name,
			optdefs[i].kind == OPT_FLAG || optdefs[i].kind == OPT_HELP ? no_argument : required_argument, NULL,
			optdefs[i].key };
	longopts[NOPTS] = (struct option){ 0 };
	optind = 2;
	while (rc == 0) {
		key = getopt_long(argc, argv, "D:qvh", longopts, NULL);
		if (key == -1)
			return 0;
		if (key == '?') {
			fprintf(stderr, "sftpdrill: `sftpdrill help %s` lists its options\n", c->command);
			return -1;
		}
		for (size_t i = 0; i < NOPTS && rc == 0; i++)
			if (optdefs[i].key == key)
				rc = optdefs[i].commands & cmd->bit ? apply_option(c, &optdefs[i], optarg) : not_for(c, &optdefs[i]);
	}
	if (rc > 0)
		return cli_help(c->command, stdout) == EXIT_PASS ? 1 : -1;
	return rc;
}

/*
 * A folder of sftpdrill's, never relative to the folder it runs in: the
 * option's value as given, else $ENV, else $XDG/sftpdrill (an XDG base
 * directory; a relative value is to be ignored), else ~/HOME_REL/sftpdrill,
 * else (no home at all) /var/lib/sftpdrill; SUB appended to all but the
 * option's. Caller frees.
 */
static char *
home_folder(const char *given, const char *env_name, const char *xdg_name, const char *home_rel, const char *sub)
{
	const char *env = getenv(env_name), *xdg = getenv(xdg_name), *home = getenv("HOME");

	if (given && given[0])
		return sd_xstrdup(given);
	if (env && env[0])
		return sd_xasprintf("%s%s", env, sub);
	if (xdg && xdg[0] == '/')
		return sd_xasprintf("%s/sftpdrill%s", xdg, sub);
	if (home && home[0] == '/')
		return sd_xasprintf("%s/%s/sftpdrill%s", home, home_rel, sub);
	return sd_xasprintf("/var/lib/sftpdrill%s", sub);
}

/* Built-in variables and site policy, once the options are known. */
static void
settle(struct cli *c)
{
	char date[16];
	const char *home = getenv("HOME");

	sd_zone_offset(SITE_ZONE, &c->zone_offset);
	c->clock = time(NULL);
	if (c->now == 0)
		c->now = c->clock;
	if (c->business_day == 0)
		c->business_day = sd_date_at(c->now, c->zone_offset);
	sd_date_format(c->business_day, 0, date, sizeof(date));
	if (sd_vars_find(&c->defs, "BUSINESS_DATE", 13) == NULL)
		sd_vars_set(&c->defs, "BUSINESS_DATE", date, SD_VAR_BUILTIN);
	sd_date_format(c->business_day, 1, date, sizeof(date));
	if (sd_vars_find(&c->defs, "BUSINESS_DATE_YMD", 17) == NULL)
		sd_vars_set(&c->defs, "BUSINESS_DATE_YMD", date, SD_VAR_BUILTIN);
	c->ssh_config = home ? sd_xasprintf("%s/.ssh/config", home) : NULL;
	/* The state (baselines, key references, the backup ledger) and the data home (the backups). */
	c->state = home_folder(c->state_dir, "SFTPDRILL_STATE", "XDG_STATE_HOME", ".local/state", "");
	c->backups = home_folder(c->backup_dir, "SFTPDRILL_DATA", "XDG_DATA_HOME", ".local/share", "/backup");
	if (sd_vars_find(&c->defs, "BACKUP_DIR", 10) == NULL)
		sd_vars_set(&c->defs, "BACKUP_DIR", c->backups, SD_VAR_BUILTIN);
	c->site = (struct sd_site){ .passphrase_env = "RRS_KEY_PASSPHRASE", .state_dir = c->state,
		.download_dir = "reports/downloads", .ssh_config = c->ssh_config, .placeholder = "CHANGE-ME" };
}

/* An unknown command, with the closest known one. */
static int
unknown_command(const char *name)
{
	const char *names[NCOMMANDS + 1];
	const char *best;

	sd_table_names(commands, NCOMMANDS, sizeof(commands[0]), names);
	best = sd_suggest(name, names);
	fprintf(stderr, "sftpdrill: unknown command `%s`", name);
	if (best != NULL)
		fprintf(stderr, "; did you mean `%s`?", best);
	fprintf(stderr, " (`sftpdrill help` lists them; a drill file goes after a command: sftpdrill run FILE)\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct cli c = { .argv0 = argv[0], .report_dir = "reports", .umask_bits = 077, .argc = argc, .argv = argv };
	const struct command *cmd;
	int status = EXIT_USAGE, rc;

	if (argc < 2) {
		cli_help(NULL, stderr);
		return EXIT_USAGE;
	}
	c.command = argv[1];
	if (strcmp(c.command, "--help") == 0 || strcmp(c.command, "-h") == 0)
		c.command = "help";
	if (strcmp(c.command, "--version") == 0)
		c.command = "version";
	cmd = find_command(c.command);
	if (cmd == NULL)
		return unknown_command(c.command);
	rc = parse_options(&c, cmd, argc, argv);
	if (rc != 0) {
		status = rc > 0 ? EXIT_PASS : EXIT_USAGE;
		/* A run refused for its command line still tells the hook (given before the mistake), as every exit does. */
		if (rc < 0 && c.on_failure && c.on_failure[0])
			run_hook("--on-failure", c.on_failure, &(struct hook_facts){ .run_dir = "", .report = "",
				.verdict = "REFUSED", .exit_status = status, .summary = "the command line was refused; see the "
				"error output", .drills = "", .business_date = "", .mode = "session" });
		goto out;
	}
	c.first_operand = optind;
	/* A run holds keys and passphrases: before any is read, nothing of this process may reach a core dump. */
	if (cmd->bit & RUNS)
		cli_protect_process();
	settle(&c);
	/* Clearing reports and evidence are nobody else's business: 0700 folders, 0600 files, unless --umask. */
	umask((mode_t)c.umask_bits);
	if (cmd->wants_args && optind >= argc)
		fprintf(stderr, "sftpdrill %s: nothing to work on; %.*s\n", cmd->name,
		    (int)strcspn(help_text(cmd->name), "\n"), help_text(cmd->name));
	else
		status = cmd->run(&c, argc - optind, argv + optind);
out:
	free(c.closures);
	free(c.ssh_config);
	free(c.state);
	free(c.backups);
	sd_strv_release(&c.holidays);
	sd_strv_release(&c.pubs);
	sd_vars_release(&c.defs);
	return status;
}
