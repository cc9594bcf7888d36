/* cmd_status.c — `status`: what the state folder says of a drill's account, for a person or a monitoring system. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sftpdrill/domain/baseline.h"
#include "sftpdrill/domain/calendar.h"
#include "cli.h"

#define LAST_RUN "last-run"

int
cli_last_run_write(const char *account, const struct last_run *l)
{
	char when[32], *path, *text;
	int rc;

	if (sd_mkdirs(account) < 0)
		return -1;
	sd_utc_iso(l->finished, when, sizeof(when));
	text = sd_xasprintf("# sftpdrill last run of this account\nfinished %sZ %lld\nexit-status %d\nverdict %s\n"
	    "mode %s\nbusiness-date %s\nbundle %s\n", when, (long long)l->finished, l->exit_status, l->verdict,
	    l->mode[0] ? l->mode : "session", l->business_date, l->bundle);
	path = sd_xasprintf("%s/%s", account, LAST_RUN);
	rc = sd_write_atomic(path, text, strlen(text));
	free(path);
	free(text);
	return rc;
}

/* "KEY value" lines into l; -1 when the file is missing or says nothing. */
int
cli_last_run_read(const char *account, struct last_run *l)
{
	char *path = sd_xasprintf("%s/%s", account, LAST_RUN), line[1200];
	FILE *f = sd_fopen_regular(path, SD_NOFOLLOW);
	int seen = 0;

	free(path);
	memset(l, 0, sizeof(*l));
	l->exit_status = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ' ');
		long long t;
		if (line[0] == '#' || v == NULL)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "finished") == 0 && sscanf(v, "%*s %lld", &t) == 1)
			l->finished = (time_t)t, seen++;
		else if (strcmp(line, "exit-status") == 0)
			l->exit_status = atoi(v);
		else if (strcmp(line, "verdict") == 0)
			snprintf(l->verdict, sizeof(l->verdict), "%s", v);
		else if (strcmp(line, "mode") == 0)
			snprintf(l->mode, sizeof(l->mode), "%s", v);
		else if (strcmp(line, "business-date") == 0)
			snprintf(l->business_date, sizeof(l->business_date), "%s", v);
		else if (strcmp(line, "bundle") == 0)
			snprintf(l->bundle, sizeof(l->bundle), "%s", v);
	}
	fclose(f);
	return seen ? 0 : -1;
}

/* What status found of one account. */
struct account_status {
	char *account;
	struct last_run last;
	int has_run;
	long last_day;              /* the last business date backed up, -1: none */
	time_t last_backup;         /* when (the ledger's last write), 0: never */
};

static void
look(const struct sd_drill *d, struct account_status *a)
{
	long *days = NULL;
	size_t n = 0;
	struct sd_err err;
	struct stat st;
	char *ledger;

	a->account = sd_account_dir(d->baseline_dir, d->service, d->user);
	a->has_run = cli_last_run_read(a->account, &a->last) == 0;
	a->last_day = -1;
	if (sd_ledger_days(a->account, &days, &n, &err) == 0 && n > 0)
		a->last_day = days[n - 1];
	free(days);
	ledger = sd_xasprintf("%s/backup-ledger", a->account);
	if (a->last_day >= 0 && stat(ledger, &st) == 0)
		a->last_backup = st.st_mtime;
	free(ledger);
}

/* "3 h 5 min", "2 days 4 h". */
static void
age_text(long s, char *buf, size_t len)
{
	if (s < 3600)
		snprintf(buf, len, "%ld min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, len, "%ld h %ld min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ld days %ld h", s / 86400, s % 86400 / 3600);
}

/*
 * The Monitoring Plugins guidelines' answer: "SFTPDRILL STATE: text |
 * perfdata", exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. CRITICAL when the
 * last run failed (or was refused), or, with thresholds, when no backup is
 * recorded or the last is older than --critical; WARNING when the last run
 * was stopped by a signal or the backup is older than --warning; UNKNOWN when
 * no run was ever recorded or the drill does not parse.
 */
static int
plugin(const struct cli *c, const struct sd_drill *d, const struct account_status *a, time_t now)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	long age = a->last_backup ? (long)(now - a->last_backup) : -1;
	int state = 0;
	char text[512], when[64] = "never", agebuf[64] = "";

	if (!a->has_run) {
		printf("SFTPDRILL UNKNOWN: %s: no run of this account is recorded in %s\n", d->name, a->account);
		return 3;
	}
	/* The last run: passed; stopped by a signal (it did not finish); or failed, was refused, erred. */
	state = a->last.exit_status == 0 ? 0 : a->last.exit_status >= 128 ? 1 : 2;
	/* With thresholds, backups are expected: none at all, or one too old, is the job not running. */
	if ((c->warn_age || c->crit_age) && (age < 0 || (c->crit_age && age > c->crit_age)))
		state = 2;
	else if (c->warn_age && age > c->warn_age && state < 1)
		state = 1;
	if (a->last_day >= 0) {
		char day[16];
		sd_date_format(a->last_day, 0, day, sizeof(day));
		age_text(age, agebuf, sizeof(agebuf));
		snprintf(when, sizeof(when), "%s (%s ago)", day, agebuf);
	}
	snprintf(text, sizeof(text), "%s: last run %s (exit %d) for %s; last backup %s", d->name, a->last.verdict,
	    a->last.exit_status, a->last.business_date, when);
	printf("SFTPDRILL %s: %s | last_exit_status=%d;;;0;", names[state], text, a->last.exit_status);
	if (age >= 0) {
		printf(" last_backup_age=%lds;", age);
		if (c->warn_age)
			printf("%ld", c->warn_age);
		printf(";");
		if (c->crit_age)
			printf("%ld", c->crit_age);
		printf(";0;");
	}
	printf(" last_run_age=%llds;;;0;\n", (long long)(now - a->last.finished));
	return state;
}

static void
human(const struct sd_drill *d, const struct account_status *a, time_t now)
{
	char when[32], agebuf[64];

	printf("drill        %s\naccount      %s\n", d->name, a->account);
	if (!a->has_run)
		printf("last run     none recorded\n");
	else {
		sd_utc_iso(a->last.finished, when, sizeof(when));
		age_text((long)(now - a->last.finished), agebuf, sizeof(agebuf));
		printf("last run     %sZ (%s ago): %s, exit status %d, business date %s%s%s\nbundle       %s\n", when, agebuf,
		    a->last.verdict, a->last.exit_status, a->last.business_date, strcmp(a->last.mode, "session") ? ", " : "",
		    strcmp(a->last.mode, "session") ? a->last.mode : "", a->last.bundle);
	}
	if (a->last_day < 0)
		printf("last backup  none recorded\n");
	else {
		char day[16];
		sd_date_format(a->last_day, 0, day, sizeof(day));
		age_text((long)(now - a->last_backup), agebuf, sizeof(agebuf));
		printf("last backup  business date %s, recorded %s ago\n", day, agebuf);
	}
}

int
cmd_status(struct cli *c, int n, char **files)
{
	struct sd_drill *d = NULL;
	struct account_status a = { 0 };
	int rc;

	if (n != 1) {
		fprintf(stderr, "usage: sftpdrill status [--plugin] [--warning AGE] [--critical AGE] DRILL\n");
		return c->plugin ? 3 : EXIT_USAGE;
	}
	if (cli_parse_drills(c, 1, files, &d) > 0) {
		if (c->plugin)
			printf("SFTPDRILL UNKNOWN: %s does not parse (see the error output)\n", files[0]);
		return c->plugin ? 3 : EXIT_USAGE;
	}
	look(d, &a);
	if (c->plugin)
		rc = plugin(c, d, &a, time(NULL));
	else {
		human(d, &a, time(NULL));
		rc = EXIT_PASS;
	}
	free(a.account);
	sd_drill_free(d);
	return rc;
}
