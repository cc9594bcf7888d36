/* cmd_merge.c — `merge`: the bundles of many runs (a roster's accounts, a CI matrix's shards) as one. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/evidence/bundle.h"
#include "sftpdrill/evidence/html.h"
#include "sftpdrill/evidence/junit.h"
#include "cli.h"
#include "term.h"

/* Two inputs holding the same suite would count it twice: name both. Returns the first duplicate or -1. */
static int
duplicate(const struct sd_run *run, size_t *a, size_t *b)
{
	for (size_t i = 0; i < run->nsuites; i++)
		for (size_t k = i + 1; k < run->nsuites; k++)
			if (strcmp(run->suites[i]->name, run->suites[k]->name) == 0) {
				*a = i;
				*b = k;
				return 0;
			}
	return -1;
}

/* What a roster shard's bundle says of itself in its SHARD file: which roster, how many rows, K of N. */
struct shard {
	char roster[256];
	int rows, k, n;             /* n == 0: not a shard's bundle */
};

/* The most shards and rows a SHARD file may claim: what --shard and a roster allow. */
#define MAX_SHARDS 1000
#define MAX_ROWS 1000000

/* A bundle's SHARD, if it has one; -1 (said why) when it claims what no roster shard can be. */
static int
read_shard(const char *bundle, struct shard *s)
{
	char *path = sd_xasprintf("%s/SHARD", bundle), line[512];
	FILE *f = sd_fopen_regular(path, 0);
	int rc = 0;

	memset(s, 0, sizeof(*s));
	while (f && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "roster %255[^\n]", s->roster) != 1 && sscanf(line, "rows %d", &s->rows) != 1)
			(void)sscanf(line, "shard %d of %d", &s->k, &s->n);
	/* Its counts are the input's word: bounded before anything is counted by them. */
	if (f && (s->n < 1 || s->n > MAX_SHARDS || s->k < 1 || s->k > s->n || s->rows < 0 || s->rows > MAX_ROWS)) {
		fprintf(stderr, "sftpdrill merge: %s: its SHARD says shard %d of %d of %d rows, which no roster run writes "
		    "(at most %d shards); nothing was merged\n", bundle, s->k, s->n, s->rows, MAX_SHARDS);
		rc = -1;
	}
	if (f)
		fclose(f);
	else
		s->n = 0;
	free(path);
	return rc;
}

/*
 * Every shard of a roster given: a missing one would read as accounts never
 * drilled, not as a failure. Says which are missing; 0 when none is.
 */
static int
shards_missing(const struct shard *v, int n)
{
	int missing = 0;

	for (int i = 0; i < n; i++) {
		int first = v[i].n > 0;
		for (int j = 0; first && j < i; j++)
			first = !(v[j].n == v[i].n && v[j].rows == v[i].rows && strcmp(v[j].roster, v[i].roster) == 0);
		if (!first)
			continue;
		char *seen = sd_xcalloc((size_t)v[i].n, 1);
		for (int j = i; j < n; j++)
			if (v[j].n == v[i].n && v[j].rows == v[i].rows && strcmp(v[j].roster, v[i].roster) == 0)
				seen[v[j].k - 1] = 1;
		for (int k = 0; k < v[i].n; k++)
			if (!seen[k] && ++missing <= 20)
				fprintf(stderr, "sftpdrill merge: roster %s: shard %d of %d is missing (its accounts would "
				    "look never drilled); nothing was merged\n", v[i].roster, k + 1, v[i].n);
		if (missing > 20)
			fprintf(stderr, "sftpdrill merge: roster %s: ... %d shards missing in all\n", v[i].roster, missing);
		free(seen);
	}
	return missing;
}

/*
 * Read every bundle (each verified first: a tampered input stops the merge,
 * named) into merged, and the lines of BUNDLES into list: the SHA-256 of each
 * input's MANIFEST and the bundle. 0, or an exit status after saying why.
 */
static int
gather(const struct cli *c, int n, char **bundles, struct sd_run *merged, struct sd_buf *list, struct shard *shards)
{
	for (int i = 0; i < n; i++) {
		struct sd_bundle_check check = { 0 };
		struct sd_run one = { 0 };
		struct sd_err err;
		char *path = sd_xasprintf("%s/MANIFEST", bundles[i]), hex[65];
		int rc = sd_bundle_verify(bundles[i], &c->pubs, &check, &err);

		if (rc == 0 && sd_sha256_file(path, hex) < 0)
			rc = -1, snprintf(err.msg, sizeof(err.msg), "cannot read %s: %s", path, strerror(errno));
		free(path);
		if (rc != 0) {
			for (size_t k = 0; k < check.problems.n; k++)
				fprintf(stderr, "%s: %s\n", bundles[i], check.problems.v[k]);
			for (size_t k = 0; k < check.signer_problems.n; k++)
				fprintf(stderr, "%s: %s\n", bundles[i], check.signer_problems.v[k]);
			if (rc < 0)
				fprintf(stderr, "sftpdrill merge: %s; nothing was merged\n", err.msg);
			else
				fprintf(stderr, "sftpdrill merge: %s is not intact; nothing was merged\n", bundles[i]);
			sd_bundle_check_release(&check);
			return EXIT_USAGE;
		}
		sd_bundle_check_release(&check);
		path = sd_xasprintf("%s/junit.xml", bundles[i]);
		rc = sd_junit_read(path, &one, &err);
		free(path);
		if (rc < 0 || read_shard(bundles[i], &shards[i]) < 0) {
			if (rc < 0)
				fprintf(stderr, "sftpdrill merge: %s: %s; nothing was merged\n", bundles[i], err.msg);
			sd_run_release(&one);
			return EXIT_USAGE;
		}
		/* Each suite says which bundle it came from: its own evidence stays there. */
		for (size_t s = 0; s < one.nsuites; s++)
			sd_suite_prop(one.suites[s], "merged.from", bundles[i]);
		sd_run_take(merged, &one);
		sd_run_release(&one);
		sd_buf_addf(list, "%s  %s\n", hex, bundles[i]);
	}
	return EXIT_PASS;
}

/* The rows not drilled (a roster's bad rows): into merged, and a line each in BUNDLES. */
static void
take_rows(struct sd_run *merged, struct sd_run *rows, struct sd_buf *list)
{
	for (size_t i = 0; rows && i < rows->nsuites; i++)
		sd_buf_addf(list, "not-drilled  %s\n", rows->suites[i]->cases[0].message);
	if (rows)
		sd_run_take(merged, rows);
}

/* What the merge says: the verdict of everything merged, from the model; its exit status. */
static int
tell(const struct sd_run *merged, int n, const char *out)
{
	struct sd_verdict v;
	struct sd_buf line = SD_BUF_INIT(0);
	char *shown;

	sd_run_verdict_of(merged, &v);
	sd_verdict_line(&v, &line);
	shown = sd_xasprintf("%d bundles, %zu suites: %s\n", n, merged->nsuites, sd_buf_str(&line));
	term_print(stdout, shown, 4);
	free(shown);
	if (merged->mode)
		printf("%s\n", merged->mode);
	printf("report: %s/junit.xml\n", out);
	sd_buf_release(&line);
	return v.exit_status;
}

int
merge_bundles(const struct cli *c, const char *out, int n, char **bundles, const char *title, const char *shard,
    struct sd_run *rows)
{
	struct sd_run merged = { 0 };
	struct shard *shards = sd_xcalloc(n > 0 ? (size_t)n : 1, sizeof(*shards));
	struct sd_buf list = SD_BUF_INIT(0);
	struct sd_html_info hi = { .utc_offset = c->zone_offset, .zone_name = "Hong Kong" };
	struct sd_err err = { 0 };
	size_t a, b;
	int status = gather(c, n, bundles, &merged, &list, shards);

	/* A refused input (tampered, unsealed, counted twice, a shard missing) is exit status 2, never a step's 1. */
	if (status == EXIT_PASS && duplicate(&merged, &a, &b) == 0) {
		fprintf(stderr, "sftpdrill merge: \"%s\" is in %s and in %s: it would count twice (a shard given twice?); "
		    "nothing was merged\n", merged.suites[a]->name, sd_suite_get_prop(merged.suites[a], "merged.from"),
		    sd_suite_get_prop(merged.suites[b], "merged.from"));
		status = EXIT_USAGE;
	}
	if (status == EXIT_PASS && shards_missing(shards, n))
		status = EXIT_USAGE;
	if (status == EXIT_PASS && (sd_mkdirs(out) < 0 || access(out, W_OK) < 0)) {
		fprintf(stderr, "sftpdrill merge: cannot create %s: %s\n", out, strerror(errno));
		status = EXIT_INTERNAL;
	}
	if (status == EXIT_PASS) {
		/* As a run's bundle, its inputs listed in BUNDLES (and a roster shard's account of itself in SHARD). */
		const char *names[] = { "BUNDLES", "SHARD" }, *texts[2];
		struct sd_bundle_opts o = { .html = &hi, .extra_names = names, .extra_texts = texts, .nextra = shard ? 2 : 1 };

		take_rows(&merged, rows, &list);
		texts[0] = sd_buf_str(&list);
		texts[1] = shard;
		sd_run_set(&merged.title, title);
		if (sd_bundle_write(out, &merged, &o, &err) < 0) {
			fprintf(stderr, "sftpdrill merge: %s\n", err.msg);
			status = EXIT_INTERNAL;
		} else
			status = tell(&merged, n, out);
	}
	sd_run_release(&merged);
	sd_buf_release(&list);
	free(shards);
	return status;
}

int
cmd_merge(struct cli *c, int n, char **args)
{
	char *title;
	int status;

	if (n < 2) {
		fprintf(stderr, "usage: sftpdrill merge [--pub KEY.pem]... OUT-DIR BUNDLE...\n");
		return EXIT_USAGE;
	}
	if (access(args[0], F_OK) == 0) {
		fprintf(stderr, "sftpdrill merge: %s exists; a merge is written to a new folder\n", args[0]);
		return EXIT_USAGE;
	}
	title = sd_xasprintf("Merged: %d bundles", n - 1);
	status = merge_bundles(c, args[0], n - 1, args + 1, title, NULL, NULL);
	free(title);
	return status;
}
