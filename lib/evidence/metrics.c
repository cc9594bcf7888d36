/* metrics.c — a run as Prometheus text exposition format, for node_exporter's textfile collector. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/util.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/evidence/metrics.h"

/* A label value as the exposition format wants it: backslash, double quote and line feed escaped. */
static void
label(struct sd_buf *out, const char *name, const char *value, int first)
{
	sd_buf_addf(out, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			sd_buf_addf(out, "\\%c", *p);
		else if (*p == '\n')
			sd_buf_adds(out, "\\n");
		else
			sd_buf_add(out, p, 1);
	}
	sd_buf_adds(out, "\"");
}

static void
family(struct sd_buf *out, const char *name, const char *help)
{
	sd_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{drill,endpoint[,step]} */
static void
sample_head(struct sd_buf *out, const char *name, const struct sd_suite *s, const char *step)
{
	sd_buf_addf(out, "%s{", name);
	label(out, "drill", s->drill, 1);
	label(out, "endpoint", s->endpoint, 0);
	if (step)
		label(out, "step", step, 0);
	sd_buf_adds(out, "} ");
}

static void
steps(const struct sd_run *run, struct sd_buf *out)
{
	family(out, "sftpdrill_step_success", "1 when the step passed on the endpoint, 0 when it failed, erred or was "
	    "skipped.");
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++) {
			sample_head(out, "sftpdrill_step_success", run->suites[i], run->suites[i]->cases[k].name);
			sd_buf_addf(out, "%d\n", run->suites[i]->cases[k].status == SD_PASS);
		}
	family(out, "sftpdrill_step_duration_seconds", "How long the step took on the endpoint.");
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++) {
			sample_head(out, "sftpdrill_step_duration_seconds", run->suites[i], run->suites[i]->cases[k].name);
			sd_buf_addf(out, "%.3f\n", run->suites[i]->cases[k].time);
		}
	family(out, "sftpdrill_step_failure", "1 for a step that did not pass, labelled with its failure type (JUnit's).");
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = 0; k < run->suites[i]->ncases; k++) {
			const struct sd_case *c = &run->suites[i]->cases[k];
			if (c->status == SD_PASS)
				continue;
			sd_buf_addf(out, "sftpdrill_step_failure{");
			label(out, "drill", run->suites[i]->drill, 1);
			label(out, "endpoint", run->suites[i]->endpoint, 0);
			label(out, "step", c->name, 0);
			label(out, "result", sd_status_name(c->status), 0);
			label(out, "type", sd_kind_name(c->kind), 0);
			sd_buf_adds(out, "} 1\n");
		}
}

static void
whole_run(const struct sd_run *run, int exit_status, time_t ended, struct sd_buf *out)
{
	struct sd_verdict v;

	sd_run_verdict_of(run, &v);
	family(out, "sftpdrill_run_success", "1 when every step passed (or there was nothing to do on a closed day).");
	sd_buf_addf(out, "sftpdrill_run_success %d\n", exit_status == 0);
	family(out, "sftpdrill_run_exit_status", "sftpdrill's exit status: 0 passed, 1 a check failed, 2 refused or "
	    "usage, 3 local error, 128+N stopped by signal N.");
	sd_buf_addf(out, "sftpdrill_run_exit_status %d\n", exit_status);
	family(out, "sftpdrill_run_info", "The run's verdict and mode, as every report tells them (always 1).");
	sd_buf_adds(out, "sftpdrill_run_info{");
	label(out, "verdict", v.text, 1);
	label(out, "mode", run->mode ? run->mode : "session", 0);
	label(out, "business_date", run->facts.business_date, 0);
	sd_buf_adds(out, "} 1\n");
	family(out, "sftpdrill_run_steps", "Steps of the run by result.");
	sd_buf_addf(out, "sftpdrill_run_steps{result=\"passed\"} %zu\nsftpdrill_run_steps{result=\"failed\"} %zu\n"
	    "sftpdrill_run_steps{result=\"error\"} %zu\nsftpdrill_run_steps{result=\"skipped\"} %zu\n", v.passed, v.failed,
	    v.errors, v.skipped);
	family(out, "sftpdrill_run_end_timestamp_seconds", "When the run ended (Unix time).");
	sd_buf_addf(out, "sftpdrill_run_end_timestamp_seconds %lld\n", (long long)ended);
}

/* A suite property as a number, or -1 when absent. */
static long long
prop_number(const struct sd_suite *s, const char *name)
{
	const char *v = sd_suite_get_prop(s, name);

	return v && *v ? strtoll(v, NULL, 10) : -1;
}

static void
backups(const struct sd_run *run, const struct sd_metrics_backup *b, size_t nb, struct sd_buf *out)
{
	/* Per endpoint, from the suite's properties: the property, the metric, its help. */
	static const char *const per_suite[][3] = {
		{ "backup.fetched", "sftpdrill_backup_files_fetched", "Files the backup fetched from the endpoint in this run." },
		{ "backup.bytes", "sftpdrill_backup_bytes_fetched", "Bytes the backup fetched from the endpoint in this run." },
		{ "backup.missed.count", "sftpdrill_backup_missed", "Business days since the account's first backup that "
		    "have none (the no-missed-days step)." },
	};
	int any = 0;

	for (size_t w = 0; w < sizeof(per_suite) / sizeof(per_suite[0]); w++) {
		int shown = 0;
		for (size_t i = 0; i < run->nsuites; i++) {
			long long n = prop_number(run->suites[i], per_suite[w][0]);
			if (n < 0)
				continue;
			if (!shown++)
				family(out, per_suite[w][1], per_suite[w][2]);
			sample_head(out, per_suite[w][1], run->suites[i], NULL);
			sd_buf_addf(out, "%lld\n", n);
		}
	}
	for (size_t i = 0; i < nb; i++) {
		char day[16];
		if (b[i].last_backup == 0)
			continue;
		if (!any++)
			family(out, "sftpdrill_backup_last_success_timestamp_seconds", "When the account's last business date "
			    "was backed up (Unix time; from its ledger), labelled with that date.");
		sd_buf_adds(out, "sftpdrill_backup_last_success_timestamp_seconds{");
		label(out, "drill", b[i].drill, 1);
		label(out, "user", b[i].user, 0);
		sd_date_format(b[i].last_backup_day, 0, day, sizeof(day));
		label(out, "business_date", day, 0);
		sd_buf_addf(out, "} %lld\n", (long long)b[i].last_backup);
	}
}

void
sd_metrics_text(const struct sd_run *run, int exit_status, time_t ended, const struct sd_metrics_backup *b,
    size_t nb, struct sd_buf *out)
{
	whole_run(run, exit_status, ended, out);
	steps(run, out);
	backups(run, b, nb, out);
}

int
sd_metrics_write(const char *path, const struct sd_run *run, int exit_status, time_t ended,
    const struct sd_metrics_backup *b, size_t nb, struct sd_err *err)
{
	struct sd_buf text = SD_BUF_INIT(0);
	int rc;

	sd_metrics_text(run, exit_status, ended, b, nb, &text);
	rc = sd_write_atomic(path, text.p ? text.p : "", text.len);
	sd_buf_release(&text);
	if (rc < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write the metrics file %s: %s", path,
		    strerror(errno));
	return 0;
}
