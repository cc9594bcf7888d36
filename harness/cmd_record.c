/* cmd_record.c — `record`: what a sealed bundle says, as a statement for the registration record. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/domain/backup.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/junit.h"
#include "cli.h"

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
		if (c == NULL || c->status == SD_PASS)
			continue;
		sd_buf_addf(out, "; %s on %s: %s", c->status == SD_SKIP ? "not run" : "FAILED", r->run.suites[s]->endpoint,
		    sd_kind_name(c->kind));
	}
}

static void
print_text(const struct record *r)
{
	const struct sd_suite *first = r->run.nsuites ? r->run.suites[0] : NULL;

	printf("Post-release connectivity test: record\n");
	printf("Bundle:         %s\n", r->dir);
	printf("                MANIFEST SHA-256 %s; intact; %zu signature%s\n", r->manifest, r->check.nsignatures,
	    r->check.nsignatures == 1 ? "" : "s");
	printf("Verdict:        %s%s%s%s\n", r->check.verdict, r->check.mode[0] && strcmp(r->check.mode, "session") ?
	    "  [" : "", strcmp(r->check.mode, "session") ? r->check.mode : "",
	    r->check.mode[0] && strcmp(r->check.mode, "session") ? "]" : "");
	if (first) {
		printf("User ID:        %s\n", prop(first, "user"));
		printf("User key:       %s\n", prop(first, "userkey.sha256"));
		printf("Business date:  %s\n", prop(first, "business.date"));
	}
	printf("Run:            %s by %s on %s (%s)\n", r->runinfo_started, r->operator_name, r->hostname, r->tool);
	for (size_t i = 0, j; i < r->run.nsuites; i = j) {
		const struct sd_suite *s = r->run.suites[i];
		for (j = i; j < r->run.nsuites && strcmp(r->run.suites[j]->drill, s->drill) == 0; j++)
			;
		printf("\nSession:        %s\n", s->drill);
		printf("  Window:       %s (%s)\n", prop(s, "window")[0] ? prop(s, "window") : "none",
		    prop(s, "window.status")[0] ? prop(s, "window.status") : "none");
		printf("  Data centre:  %s; node%s", prop(s, "target"), j - i == 1 ? "" : "s");
		for (size_t n = i; n < j; n++)
			printf("%s %s", n == i ? "" : ",", r->run.suites[n]->endpoint);
		printf("\n  Steps:\n");
		for (size_t k = 0; k < s->ncases; k++) {
			struct sd_buf out = SD_BUF_INIT(0);
			step_outcome(r, i, j, k, &out);
			printf("    %-46s %s\n", s->cases[k].name, sd_buf_str(&out));
			sd_buf_release(&out);
		}
	}
	if (r->files.n > 0)
		printf("\nFiles downloaded (SHA-256):\n");
	for (size_t i = 0; i < r->files.n; i++)
		printf("  %s  %s\n", r->files.v[i].hex, r->files.v[i].name);
}

/* s as a CSV field (RFC 4180: quoted, quotes doubled). */
static void
csv(const char *s, int last)
{
	putchar('"');
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
			csv(r->dir, 0), csv(r->manifest, 0), csv(r->check.verdict, 0), csv(r->check.mode, 0);
			csv(prop(s, "user"), 0), csv(prop(s, "business.date"), 0), csv(s->drill, 0), csv(prop(s, "target"), 0);
			csv(n, 0), csv(s->endpoint, 0), csv(c->name, 0), csv(sd_status_name(c->status), 0);
			csv(c->status == SD_PASS ? "" : sd_kind_name(c->kind), 0), csv(c->message ? c->message : "", 1);
		}
	}
}

/* s as a JSON string. */
static void
json(const char *s)
{
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
	json_field("verdict", r->check.verdict, 1);
	json_field("mode", r->check.mode, 1);
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
	sd_run_release(&r.run);
	sd_sums_release(&r.files);
	return status;
}
