/* cmd_record.c — `record`: what a sealed bundle says, as a statement for the registration record. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/domain/backup.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/junit.h"
#include "cli.h"
#include "term.h"

/* What a record is made of: the bundle checked, its results read back, its facts. */
struct record {
	const char *dir;
	struct sd_bundle_check check;
	struct sd_run run;
	char manifest[65];
	struct sd_sums files;
	char runinfo_started[40], operator_name[128], hostname[128], tool[64];
};

/* "key: value" of RUN-INFO into out ("" when absent). */
static void
runinfo_field(const char *dir, const char *key, char *out, size_t len)
{
	char *path = sd_xasprintf("%s/RUN-INFO", dir), line[1024];
	FILE *f = sd_fopen_regular(path, SD_NOFOLLOW);
	size_t klen = strlen(key);

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':' && line[klen + 1] == ' ') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + klen + 2);
			break;
		}
	if (f)
		fclose(f);
	free(path);
}

/* A suite's property, or "". */
static const char *
prop(const struct sd_suite *s, const char *name)
{
	const char *v = sd_suite_get_prop(s, name);

	return v ? v : "";
}

/*
 * Everything a record prints came from a file a server's words went into: shown only through the one
 * sanitiser (control bytes, bidi controls and invalid UTF-8 as visible escapes). The copies live
 * until the record is printed.
 */
static struct sd_strv shown;

static const char *
safe(const char *s)
{
	char *clean = sd_printable(s ? s : "", strlen(s ? s : ""));

	sd_strv_push(&shown, clean);
	free(clean);
	return shown.v[shown.n - 1];
}

/* Check the bundle, then read what it holds. 0, or an exit status after saying why. */
static int
load(struct record *r, const struct cli *c)
{
	struct sd_err err;
	char *path;
	int rc = sd_bundle_verify(r->dir, &c->pubs, &r->check, &err);

	if (rc < 0) {
		fprintf(stderr, "sftpdrill record: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (rc > 0) {
		for (size_t i = 0; i < r->check.problems.n; i++)
			fprintf(stderr, "%s\n", r->check.problems.v[i]);
		for (size_t i = 0; i < r->check.signer_problems.n; i++)
			fprintf(stderr, "%s\n", r->check.signer_problems.v[i]);
		fprintf(stderr, "sftpdrill record: %s is not intact: no record is made from it\n", r->dir);
		return EXIT_CHECK_FAILED;
	}
	path = sd_xasprintf("%s/junit.xml", r->dir);
	rc = sd_junit_read(path, &r->run, &err);
	free(path);
	if (rc < 0) {
		fprintf(stderr, "sftpdrill record: %s\n", err.msg);
		return EXIT_CHECK_FAILED;
	}
	path = sd_xasprintf("%s/MANIFEST", r->dir);
	if (sd_sha256_file(path, r->manifest) < 0)
		snprintf(r->manifest, sizeof(r->manifest), "?");
	free(path);
	path = sd_xasprintf("%s/downloads/SHA256SUMS", r->dir);
	sd_sums_read(&r->files, path);
	free(path);
	runinfo_field(r->dir, "started", r->runinfo_started, sizeof(r->runinfo_started));
	runinfo_field(r->dir, "operator", r->operator_name, sizeof(r->operator_name));
	runinfo_field(r->dir, "hostname", r->hostname, sizeof(r->hostname));
	runinfo_field(r->dir, "tool", r->tool, sizeof(r->tool));
	return EXIT_PASS;
}

/* How a step went across a drill's nodes: "passed on 2 of 2 nodes", or each node that did not pass. */
static void
step_outcome(const struct record *r, size_t i, size_t j, size_t k, struct sd_buf *out)
{
	size_t passed = 0;

	for (size_t s = i; s < j; s++)
		passed += k < r->run.suites[s]->ncases && r->run.suites[s]->cases[k].status == SD_PASS;
	sd_buf_addf(out, "passed on %zu of %zu node%s", passed, j - i, j - i == 1 ? "" : "s");
	for (size_t s = i; s < j; s++) {
		const struct sd_case *c = k < r->run.suites[s]->ncases ? &r->run.suites[s]->cases[k] : NULL;
		if (c != NULL && c->status == SD_PASS && c->nreruns > 0)
			sd_buf_addf(out, "; on %s passed after %d attempts", r->run.suites[s]->endpoint, c->attempts);
		if (c == NULL || c->status == SD_PASS)
			continue;
		sd_buf_addf(out, "; %s on %s: %s", c->status == SD_SKIP ? "not run" : "FAILED", r->run.suites[s]->endpoint,
		    sd_kind_name(c->kind));
	}
}

/* The verdict as the model reads it from junit.xml (every writer's), with the mode and retries. */
static const char *
verdict_text(const struct record *r)
{
	struct sd_verdict v;
	struct sd_buf b = SD_BUF_INIT(0);
	const char *out;

	sd_run_verdict_of(&r->run, &v);
	sd_buf_adds(&b, v.text);
	if (v.mode)
		sd_buf_addf(&b, "  [%s]", v.mode);
	if (v.retried)
		sd_buf_addf(&b, "; %zu step%s passed after %s%d attempts", v.retried, v.retried == 1 ? "" : "s",
		    v.retried > 1 ? "up to " : "", v.most_attempts);
	out = safe(sd_buf_str(&b));
	sd_buf_release(&b);
	return out;
}

static void
print_text(const struct record *r)
{
	const struct sd_suite *first = r->run.nsuites ? r->run.suites[0] : NULL;
	struct sd_buf b = SD_BUF_INIT(0);

	sd_buf_addf(&b, "Post-release connectivity test: record\n");
	sd_buf_addf(&b, "Bundle:         %s\n", safe(r->dir));
	sd_buf_addf(&b, "                MANIFEST SHA-256 %s; intact; %zu signature%s\n", r->manifest, r->check.nsignatures,
	    r->check.nsignatures == 1 ? "" : "s");
	sd_buf_addf(&b, "Verdict:        %s\n", verdict_text(r));
	if (first) {
		sd_buf_addf(&b, "User ID:        %s\n", safe(prop(first, "user")));
		sd_buf_addf(&b, "User key:       %s\n", safe(prop(first, "userkey.sha256")));
		sd_buf_addf(&b, "Business date:  %s\n", safe(prop(first, "business.date")));
	}
	sd_buf_addf(&b, "Run:            %s by %s on %s (%s)\n", safe(r->runinfo_started), safe(r->operator_name),
	    safe(r->hostname), safe(r->tool));
	for (size_t i = 0, j; i < r->run.nsuites; i = j) {
		const struct sd_suite *s = r->run.suites[i];
		char *group = sd_suite_group_title(s);
		for (j = i; j < r->run.nsuites && sd_suite_same_group(r->run.suites[j], s); j++)
			;
		sd_buf_addf(&b, "\nSession:        %s\n", safe(group));
		free(group);
		sd_buf_addf(&b, "  Window:       %s (%s)\n", safe(prop(s, "window")[0] ? prop(s, "window") : "none"),
		    safe(prop(s, "window.status")[0] ? prop(s, "window.status") : "none"));
		sd_buf_addf(&b, "  Data centre:  %s; node%s", safe(prop(s, "target")), j - i == 1 ? "" : "s");
		for (size_t n = i; n < j; n++)
			sd_buf_addf(&b, "%s %s", n == i ? "" : ",", safe(r->run.suites[n]->endpoint));
		sd_buf_addf(&b, "\n  Steps:\n");
		for (size_t k = 0; k < s->ncases; k++) {
			struct sd_buf out = SD_BUF_INIT(0);
			step_outcome(r, i, j, k, &out);
			sd_buf_addf(&b, "    %-46s %s\n", safe(s->cases[k].name), safe(sd_buf_str(&out)));
			sd_buf_release(&out);
		}
	}
	if (r->files.n > 0)
		sd_buf_addf(&b, "\nFiles downloaded (SHA-256):\n");
	for (size_t i = 0; i < r->files.n; i++)
		sd_buf_addf(&b, "  %s  %s\n", safe(r->files.v[i].hex), safe(r->files.v[i].name));
	/* On a terminal, each line fitted to it (the labels' column kept); in a file, as it is. */
	term_print(stdout, sd_buf_str(&b), 16);
	sd_buf_release(&b);
}

/*
 * s as a CSV field: RFC 4180 (quoted, quotes doubled), and a cell that a spreadsheet would take for
 * a formula (=, +, -, @, a tab or CR first) starts with an apostrophe (the OWASP rule), so a
 * server-chosen name can never run in the spreadsheet the form is filled from.
 */
static void
csv(const char *raw, int last)
{
	const char *s = safe(raw);

	putchar('"');
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		putchar('\'');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
	putchar(last ? '\n' : ',');
}

static void
print_csv(const struct record *r)
{
	printf("bundle,manifest_sha256,verdict,mode,user,business_date,drill,data_centre,node,endpoint,step,status,type,"
	    "message\n");
	for (size_t i = 0; i < r->run.nsuites; i++) {
		const struct sd_suite *s = r->run.suites[i];
		size_t node = 1;
		for (size_t p = 0; p < i; p++)
			node += strcmp(r->run.suites[p]->drill, s->drill) == 0;
		for (size_t k = 0; k < s->ncases; k++) {
			const struct sd_case *c = &s->cases[k];
			char n[16];
			snprintf(n, sizeof(n), "%zu", node);
			csv(r->dir, 0), csv(r->manifest, 0), csv(sd_run_verdict(&r->run), 0), csv(r->run.mode ? r->run.mode : "session", 0);
			csv(prop(s, "user"), 0), csv(prop(s, "business.date"), 0), csv(s->drill, 0), csv(prop(s, "target"), 0);
			csv(n, 0), csv(s->endpoint, 0), csv(c->name, 0), csv(sd_status_name(c->status), 0);
			csv(c->status == SD_PASS ? "" : sd_kind_name(c->kind), 0), csv(c->message ? c->message : "", 1);
		}
	}
}

/* s as a JSON string (valid UTF-8 once sanitised; quotes, backslashes and controls escaped). */
static void
json(const char *raw)
{
	const char *s = safe(raw);

	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
json_field(const char *name, const char *value, int comma)
{
	json(name);
	putchar(':');
	json(value);
	if (comma)
		putchar(',');
}

static void
print_json(const struct record *r)
{
	printf("{");
	json_field("bundle", r->dir, 1);
	json_field("manifest_sha256", r->manifest, 1);
	printf("\"intact\":true,\"signatures\":%zu,", r->check.nsignatures);
	json_field("verdict", sd_run_verdict(&r->run), 1);
	json_field("mode", r->run.mode ? r->run.mode : "session", 1);
	json_field("started", r->runinfo_started, 1);
	json_field("operator", r->operator_name, 1);
	printf("\"suites\":[");
	for (size_t i = 0; i < r->run.nsuites; i++) {
		const struct sd_suite *s = r->run.suites[i];
		printf("%s{", i ? "," : "");
		json_field("drill", s->drill, 1);
		json_field("endpoint", s->endpoint, 1);
		json_field("data_centre", prop(s, "target"), 1);
		json_field("user", prop(s, "user"), 1);
		json_field("user_key_sha256", prop(s, "userkey.sha256"), 1);
		json_field("business_date", prop(s, "business.date"), 1);
		json_field("window", prop(s, "window"), 1);
		json_field("window_status", prop(s, "window.status"), 1);
		printf("\"steps\":[");
		for (size_t k = 0; k < s->ncases; k++) {
			const struct sd_case *c = &s->cases[k];
			printf("%s{", k ? "," : "");
			json_field("name", c->name, 1);
			json_field("status", sd_status_name(c->status), 1);
			json_field("type", c->status == SD_PASS ? "" : sd_kind_name(c->kind), 1);
			json_field("message", c->message ? c->message : "", 0);
			printf("}");
		}
		printf("]}");
	}
	printf("],\"files\":[");
	for (size_t i = 0; i < r->files.n; i++) {
		printf("%s{", i ? "," : "");
		json_field("path", r->files.v[i].name, 1);
		json_field("sha256", r->files.v[i].hex, 0);
		printf("}");
	}
	printf("]}\n");
}

int
cmd_record(struct cli *c, int n, char **args)
{
	struct record r = { 0 };
	const char *format = c->format ? c->format : "text";
	int status;

	if (n != 1 || (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
		fprintf(stderr, "usage: sftpdrill record [--format text|csv|json] [--pub KEY.pem]... RUN-FOLDER\n");
		return EXIT_USAGE;
	}
	r.dir = args[0];
	status = load(&r, c);
	if (status == EXIT_PASS) {
		if (strcmp(format, "csv") == 0)
			print_csv(&r);
		else if (strcmp(format, "json") == 0)
			print_json(&r);
		else
			print_text(&r);
	}
	sd_bundle_check_release(&r.check);
	sd_strv_release(&shown);
	sd_run_release(&r.run);
	sd_sums_release(&r.files);
	return status;
}
