/* sftpdrill — run SFTP connectivity drills and write JUnit XML. Front end only: the work is in lib/. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sftpdrill/calendar.h"
#include "sftpdrill/kind.h"
#include "cli.h"

static const char overview[] =
"usage: sftpdrill COMMAND [OPTIONS] ARGS...\n"
"\n"
"Commands:\n"
"%s"
"  help types         print the failure types a step can end with (JUnit's `type`)\n"
"\n"
"Options (`sftpdrill help COMMAND` says which a command takes):\n"
"  -D NAME=VALUE        define a variable; overrides `set` in drill and profile files\n"
"  --report-dir DIR     parent folder for run folders (default: reports)\n"
"  --operator NAME      who ran the drill, recorded in the report (default: login name)\n"
"  --business-date DATE the run's business date (default: today in Hong Kong, UTC+8)\n"
"  --non-business-day DATE  a closure (typhoon, rainstorm) on top of the holiday files; repeatable\n"
"  --holidays FILE      business-day: holiday file (default: the shipped Hong Kong list); repeatable\n"
"  --sign-key KEY.pem   run: sign the bundle's MANIFEST with this Ed25519 or ECDSA private key\n"
"                       (its passphrase, if any, from SFTPDRILL_SIGN_PASSPHRASE)\n"
"  --pub KEY.pem        verify: check the signature with this public key\n"
"  --trust-on-first-use run: accept a host key that known_hosts does not know yet and add it\n"
"                       there (never a changed one); confirm the fingerprint afterwards\n"
"  --parallel           run: the endpoints of a set at once (a thread and a session each);\n"
"                       output and results read exactly as in a serial run\n"
"  --jobs N             run: like --parallel, at most N endpoints at a time\n"
"  --now ISO-8601       the clock for the window check (e.g. 2023-04-15T14:45:00+08:00)\n"
"  --enforce-window     run: refuse outside the drill's window (default: warn and record it)\n"
"  -q, --quiet          print only failures and the closing summary\n"
"  -v, --verbose        also print each connection phase\n"
"  --strict             check: treat warnings (missing key, no host key...) as errors\n"
"  -h, --help           print this help\n"
"\n"
"The key passphrase, if any, is read from the environment variable RRS_KEY_PASSPHRASE (the\n"
"profile's passphrase-env may name another); on a terminal sftpdrill asks for it instead.\n"
"\n"
"Exit status: 0 every step passed; 1 a check failed (or was skipped after a failure);\n"
"2 usage, drill or profile error; 3 internal or local I/O error.\n";

static const char run_options[] =
"  -D NAME=VALUE            define a variable (beats `set` in files, which beats the environment;\n"
"                           a profile's `set X \"${X:-default}\"` lets the environment win over its default)\n"
"  --report-dir DIR         parent of run folders (default: reports)\n"
"  --operator NAME          recorded as who ran it (default: the login name)\n"
"  --business-date DATE     the run's business date (default: today in Hong Kong)\n"
"  --non-business-day DATE  a market closure; repeatable\n"
"  --now ISO-8601           the clock for the window check, e.g. 2023-04-15T14:45:00+08:00\n"
"  --enforce-window         refuse to run outside the drill's window (default: warn)\n"
"  --parallel               the endpoints of a set at once, one thread and session each\n"
"  --jobs N                 like --parallel, at most N endpoints at a time\n"
"  --trust-on-first-use     accept and record host keys known_hosts does not know yet\n"
"  --sign-key KEY.pem       sign MANIFEST with an Ed25519 or ECDSA key\n"
"  -q, --quiet              failures and the summary only\n"
"  -v, --verbose            also each connection phase (connect, banner, kex, host key, auth, sftp)\n";

static const struct command commands[] = {
	{ "run", cmd_run, 1, "run each drill against every endpoint of its target set",
	  "usage: sftpdrill run [OPTIONS] DRILL...\n\n"
	  "Run each drill against every endpoint of its target set and write a new evidence bundle\n"
	  "(junit.xml, summary.html, transcript.log, RUN-INFO, downloads/, MANIFEST) under --report-dir.\n\n"
	  "%s\n"
	  "Exit status: 0 all passed, 1 a check failed, 2 usage or drill error (or outside the window with\n"
	  "--enforce-window), 3 local I/O or internal error.\n" },
	{ "check", cmd_check, 1, "validate drills and their profiles without touching the network",
	  "usage: sftpdrill check [-D NAME=VALUE]... [--strict] DRILL...\n\n"
	  "Parse each drill and its profiles without touching the network; report every error as\n"
	  "FILE:LINE:COL. Then look at the files they name (private key, known_hosts) and warn about\n"
	  "what would fail at run time. --strict makes warnings errors. Exit status 0 or 2.\n" },
	{ "plan", cmd_plan, 1, "print the resolved endpoints and steps (secrets masked)",
	  "usage: sftpdrill plan [-D NAME=VALUE]... DRILL...\n\n"
	  "Print the resolved run: files read, endpoints in order, user, key, known_hosts, deadlines,\n"
	  "and each step with its arguments, timeout and retries. Secret values are shown as ***.\n" },
	{ "snapshot", cmd_snapshot, 1, "record the report folder's manifest on each endpoint for the business date",
	  "usage: sftpdrill snapshot [OPTIONS] DRILL...\n\n"
	  "On each endpoint of the drill's target: connect, log in, record the report folder's listing as\n"
	  "the manifest of the business date (--business-date, default today in Hong Kong), log out.\n"
	  "The next business day's `count DIR == baseline(last-business-day)` compares with it.\n"
	  "Takes the options of run.\n" },
	{ "business-day", cmd_business_day, 1, "print the last business day strictly before DATE",
	  "usage: sftpdrill business-day [--holidays FILE]... [--non-business-day DATE]... DATE|today\n\n"
	  "Print the last business day strictly before DATE (YYYY-MM-DD): a weekday not in the holiday\n"
	  "files (default: the shipped Hong Kong list) and not a --non-business-day.\n" },
	{ "verify", cmd_verify, 1, "check a run folder against its MANIFEST (and signature)",
	  "usage: sftpdrill verify [--pub PUBLIC-KEY.pem] RUN-FOLDER\n\n"
	  "Check an evidence bundle against its MANIFEST: every changed, missing or extra file is named.\n"
	  "With --pub, also check MANIFEST.sig. Exit status 0 only when the bundle is intact.\n" },
	{ "version", cmd_version, 0, "print the version and library versions",
	  "usage: sftpdrill version\n\nPrint sftpdrill's version and the libssh2 and OpenSSL it runs with.\n" },
	{ "help", cmd_help, 0, "print this help, or one command's",
	  "usage: sftpdrill help [COMMAND|types]\n\nPrint the overview, one command's help, or (types) the table of\n"
	  "failure types a step can end with: JUnit's `type`, whether it is a failure or an error, what it means.\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* `sftpdrill help types`: the failure-type table, as README documents it. */
static void
print_types(FILE *f)
{
	struct sd_buf rows = SD_BUF_INIT(0);

	for (int k = 0; k < SD_KIND__COUNT; k++)
		sd_kind_doc_row((enum sd_kind)k, &rows);
	fputs("| type | result | meaning |\n|---|---|---|\n", f);
	fputs(sd_buf_str(&rows), f);
	sd_buf_release(&rows);
}

int
cli_help(const char *name, FILE *f)
{
	const struct command *cmd = name ? find_command(name) : NULL;
	struct sd_buf list = SD_BUF_INIT(0);

	if (name != NULL && strcmp(name, "types") == 0) {
		print_types(f);
		return EXIT_PASS;
	}
	if (name != NULL && cmd == NULL) {
		fprintf(stderr, "sftpdrill: no such command `%s`; `sftpdrill help` lists them\n", name);
		return EXIT_USAGE;
	}
	if (cmd != NULL) {
		fprintf(f, cmd->help, run_options);
		return EXIT_PASS;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		sd_buf_addf(&list, "  %-18s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, overview, sd_buf_str(&list));
	sd_buf_release(&list);
	return EXIT_PASS;
}

int
cmd_help(struct cli *c, int argc, char **argv)
{
	(void)c;
	return cli_help(argc > 0 ? argv[0] : NULL, stdout);
}

/* ---- options ------------------------------------------------------------------------------------ */

enum opt_kind { OPT_FLAG, OPT_STRING, OPT_FN };

/* One option: a flag or string it sets in struct cli, or a function that reads its argument. */
struct optdef {
	const char *name;
	int key;                    /* the short option letter, or a code of its own */
	enum opt_kind kind;
	size_t field;               /* OPT_FLAG: an int; OPT_STRING: a const char * */
	int (*apply)(struct cli *c, const char *arg);
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
	sd_vars_set(&c->defs, name, eq + 1, SD_VAR_CMDLINE);
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
opt_now(struct cli *c, const char *arg)
{
	if (sd_iso8601_parse(arg, &c->now) == 0)
		return 0;
	fprintf(stderr, "sftpdrill: --now wants ISO 8601 with an offset, e.g. 2023-04-15T14:45:00+08:00; got `%s`\n", arg);
	return -1;
}

#define F(f) offsetof(struct cli, f)

static const struct optdef optdefs[] = {
	{ "define", 'D', OPT_FN, 0, opt_define },
	{ "report-dir", 'r', OPT_STRING, F(report_dir), NULL },
	{ "operator", 'o', OPT_STRING, F(operator_name), NULL },
	{ "quiet", 'q', OPT_FLAG, F(quiet), NULL },
	{ "verbose", 'v', OPT_FLAG, F(verbose), NULL },
	{ "strict", 's', OPT_FLAG, F(strict), NULL },
	{ "business-date", 'b', OPT_FN, 0, opt_business_date },
	{ "non-business-day", 'n', OPT_FN, 0, opt_closure },
	{ "holidays", 'H', OPT_FN, 0, opt_holidays },
	{ "sign-key", 'S', OPT_STRING, F(sign_key), NULL },
	{ "pub", 'P', OPT_STRING, F(pub_key), NULL },
	{ "trust-on-first-use", 'T', OPT_FLAG, F(tofu), NULL },
	{ "parallel", 'p', OPT_FLAG, F(parallel), NULL },
	{ "jobs", 'j', OPT_FN, 0, opt_jobs },
	{ "now", 'N', OPT_FN, 0, opt_now },
	{ "enforce-window", 'W', OPT_FLAG, F(enforce_window), NULL },
	{ "help", 'h', OPT_FLAG, 0, NULL },
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
	}
	return -1;
}

/* Read the options after the command; returns 0, 1 for --help (printed), or -1 (a message was printed). */
static int
parse_options(struct cli *c, int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	int key;

	for (size_t i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ optdefs[i].name,
			optdefs[i].kind == OPT_FLAG ? no_argument : required_argument, NULL, optdefs[i].key };
	longopts[NOPTS] = (struct option){ 0 };
	optind = 2;
	for (;;) {
		key = getopt_long(argc, argv, "D:qvh", longopts, NULL);
		if (key == -1)
			return 0;
		if (key == 'h')
			return cli_help(c->command, stdout) == EXIT_PASS ? 1 : -1;
		for (size_t i = 0; i < NOPTS; i++)
			if (optdefs[i].key == key && apply_option(c, &optdefs[i], optarg) < 0)
				return -1;
		if (key == '?') {
			fprintf(stderr, "sftpdrill: `sftpdrill help %s` lists its options\n", c->command);
			return -1;
		}
	}
}

/* Built-in variables and site policy, once the options are known. */
static void
settle(struct cli *c)
{
	char date[16];
	const char *home = getenv("HOME");

	sd_zone_offset(SITE_ZONE, &c->zone_offset);
	if (c->now == 0)
		c->now = time(NULL);
	if (c->business_day == 0)
		c->business_day = sd_date_at(c->now, c->zone_offset);
	sd_date_format(c->business_day, 0, date, sizeof(date));
	if (sd_vars_find(&c->defs, "BUSINESS_DATE", 13) == NULL)
		sd_vars_set(&c->defs, "BUSINESS_DATE", date, SD_VAR_BUILTIN);
	sd_date_format(c->business_day, 1, date, sizeof(date));
	if (sd_vars_find(&c->defs, "BUSINESS_DATE_YMD", 17) == NULL)
		sd_vars_set(&c->defs, "BUSINESS_DATE_YMD", date, SD_VAR_BUILTIN);
	c->ssh_config = home ? sd_xasprintf("%s/.ssh/config", home) : NULL;
	c->site = (struct sd_site){ .passphrase_env = "RRS_KEY_PASSPHRASE", .state_dir = "reports/baselines",
		.download_dir = "reports/downloads", .ssh_config = c->ssh_config, .placeholder = "CHANGE-ME" };
}

/* An unknown command, with the closest known one. */
static int
unknown_command(const char *name)
{
	const char *names[NCOMMANDS + 1];
	const char *best;

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = NULL;
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
	struct cli c = { .argv0 = argv[0], .report_dir = "reports" };
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
	rc = parse_options(&c, argc, argv);
	if (rc != 0) {
		status = rc > 0 ? EXIT_PASS : EXIT_USAGE;
		goto out;
	}
	settle(&c);
	if (cmd->wants_args && optind >= argc)
		fprintf(stderr, "sftpdrill %s: nothing to work on; %.*s\n", cmd->name, (int)strcspn(cmd->help, "\n"),
		    cmd->help);
	else
		status = cmd->run(&c, argc - optind, argv + optind);
out:
	free(c.closures);
	free(c.ssh_config);
	sd_strv_release(&c.holidays);
	sd_vars_release(&c.defs);
	return status;
}
