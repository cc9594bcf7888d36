/* html.c — the printable summary page: an A4 page one an auditor can file, details after it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sftpdrill/evidence/html.h"
#include "sftpdrill/base/util.h"

/* Write s escaped for HTML text and attribute values, after the sanitiser. */
static void
esc(FILE *f, const char *s)
{
	char *clean = sd_xml_text(s ? s : "");

	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*p, f);
		}
	}
	free(clean);
}

static const char style[] =
	"@page{size:A4;margin:14mm 12mm}"
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#111;max-width:60em}"
	"h1{font-size:1.3em;margin:0 0 .4em}h2{font-size:1.05em;margin-top:1.5em;border-bottom:1px solid #999}"
	"table{border-collapse:collapse;width:100%;margin:.4em 0}"
	"th,td{border:1px solid #bbb;padding:.2em .4em;text-align:left;vertical-align:top;font-size:.85em}"
	"th{background:#eee}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}"
	".passed{color:#0a6b0a;font-weight:bold}.failed,.error{color:#b00;font-weight:bold}.skipped{color:#8a6d00}"
	".verdict{font-size:1.15em;padding:.4em .6em;border:2px solid;margin:.5em 0}"
	".rehearsal{border-style:dashed}.mode{display:block;font-size:.8em;font-weight:bold;letter-spacing:.05em}"
	"table.matrix td.cell,table.matrix th.ep{text-align:center;white-space:nowrap}"
	"table.facts th{white-space:nowrap;width:1%}"
	".details{page-break-before:always;break-before:page}"
	"@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}}";

static void
row(FILE *f, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fputs("<tr><th>", f);
	esc(f, label);
	fputs("</th><td class=\"mono\">", f);
	esc(f, value);
	fputs("</td></tr>\n", f);
}

/* A fact every suite shares, or the distinct values joined. */
static void
suites_row(FILE *f, const struct sd_run *run, const char *label, const char *prop)
{
	struct sd_buf all = SD_BUF_INIT(0);

	for (size_t i = 0; i < run->nsuites; i++) {
		const char *v = sd_suite_get_prop(run->suites[i], prop);
		if (v != NULL && strstr(sd_buf_str(&all), v) == NULL)
			sd_buf_join(&all, "; ", v);
	}
	row(f, label, sd_buf_str(&all));
	sd_buf_release(&all);
}

/* Title, verdict (with the run's mode), and the facts an auditor files. */
static void
write_header(FILE *f, const struct sd_run *run, const struct sd_html_info *info)
{
	struct sd_verdict v;
	char start[32], local[64];

	sd_utc_iso(run->started, start, sizeof(start));
	sd_utc_iso(run->started + info->utc_offset, local, sizeof(local));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	esc(f, run->title ? run->title : "sftpdrill run");
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", style);
	esc(f, run->title ? run->title : "sftpdrill run");
	sd_run_verdict_of(run, &v);
	fprintf(f, "</h1>\n<p class=\"verdict %s%s\">", v.kind == SD_VERDICT_PASSED || v.kind == SD_VERDICT_NOTHING_TO_DO ?
	    "passed" : "failed", run->mode ? " rehearsal" : "");
	if (run->mode) {
		fputs("<span class=\"mode\">", f);
		esc(f, run->mode);
		fputs("</span>", f);
	}
	fprintf(f, "%s: %zu of %zu steps passed; %zu failed, %zu errors, %zu skipped", v.text, v.passed, v.total,
	    v.failed, v.errors, v.skipped);
	if (v.retried > 0)
		fprintf(f, "; %zu passed after %s%d attempts", v.retried, v.retried > 1 ? "up to " : "", v.most_attempts);
	fputs("</p>\n<table class=\"facts\">\n", f);
	fprintf(f, "<tr><th>Started</th><td>%s UTC (%s ", start, local);
	esc(f, info->zone_name);
	fprintf(f, ")</td></tr>\n<tr><th>Duration</th><td>%.3f s</td></tr>\n", run->time);
	if (run->interrupted) {
		char *stopped = sd_xasprintf("by signal %d while %s: the steps not run are marked so; the bundle is sealed as "
		    "INCOMPLETE", run->interrupted, run->interrupted_while ? run->interrupted_while : "running");
		row(f, "Stopped", stopped);
		free(stopped);
	}
	suites_row(f, run, "Accounts", "account");
	row(f, "Business date", run->facts.business_date);
	suites_row(f, run, "Window", "window");
	suites_row(f, run, "Window status", "window.status");
	row(f, "Operator", run->facts.operator_name);
	suites_row(f, run, "User ID", "user");
	suites_row(f, run, "User key SHA256", "userkey.sha256");
	row(f, "Host", run->facts.hostname);
	row(f, "Tool", run->facts.tool);
	fputs("</table>\n", f);
}

/* One table per drill: its steps down, its endpoints across, a mark and the failure type in each cell. */
static void
write_matrix(FILE *f, const struct sd_run *run)
{
	static const char *const mark[] = { "✓", "✗", "!", "–" };

	for (size_t i = 0; i < run->nsuites;) {
		size_t j = i;

		char *title = sd_suite_group_title(run->suites[i]);

		while (j < run->nsuites && sd_suite_same_group(run->suites[j], run->suites[i]))
			j++;
		fputs("<table class=\"matrix\">\n<tr><th>", f);
		esc(f, title);
		free(title);
		fputs("</th>", f);
		for (size_t s = i; s < j; s++) {
			fputs("<th class=\"mono ep\">", f);
			esc(f, run->suites[s]->endpoint);
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (size_t k = 0; k < run->suites[i]->ncases; k++) {
			fputs("<tr><td>", f);
			esc(f, run->suites[i]->cases[k].name);
			fputs("</td>", f);
			for (size_t s = i; s < j; s++) {
				const struct sd_case *c = k < run->suites[s]->ncases ? &run->suites[s]->cases[k] : NULL;
				fprintf(f, "<td class=\"cell %s\">%s ", c ? sd_status_name(c->status) : "", c ? mark[c->status] : "");
				if (c && c->status != SD_PASS)
					esc(f, sd_kind_name(c->kind));
				else if (c && c->nreruns > 0)
					fprintf(f, "after %d attempts", c->attempts);
				fputs("</td>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		i = j;
	}
}

static void
write_suite(FILE *f, const struct sd_suite *s)
{
	static const char *const glyph[] = { "✓ passed", "✗ failed", "! error", "– skipped" };
	static const char *const rows[][2] = {
		{ "Endpoint", "endpoint" }, { "Peer address", "peer.address" }, { "Configured address", "target.configured" },
		{ "Server banner", "server.banner" }, { "Host key", "hostkey.type" }, { "Host key SHA256", "hostkey.sha256" },
		{ "Key exchange", "kex" }, { "Strict key exchange", "kex.strict" },
		{ "Cipher to server", "cipher.client-to-server" }, { "Cipher from server", "cipher.server-to-client" },
		{ "MAC to server", "mac.client-to-server" }, { "MAC from server", "mac.server-to-client" },
		{ "User key", "userkey.type" }, { "Baseline date", "baseline.date" },
		{ "Baseline manifest", "baseline.manifest" },
	};

	fputs("<h2>", f);
	esc(f, s->name);
	fputs("</h2>\n<table>\n", f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		row(f, rows[i][0], sd_suite_get_prop(s, rows[i][1]));
	fputs("</table>\n<table>\n<tr><th>Step</th><th>Status</th><th>Time (s)</th><th>Result</th></tr>\n", f);
	for (size_t k = 0; k < s->ncases; k++) {
		const struct sd_case *c = &s->cases[k];
		fputs("<tr><td>", f);
		esc(f, c->name);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>%.3f</td><td>", sd_status_name(c->status), glyph[c->status],
		    c->time);
		if (c->status != SD_PASS) {
			fputs("<b>", f);
			esc(f, sd_kind_name(c->kind));
			fputs("</b>: ", f);
		}
		esc(f, c->message);
		for (size_t r = 0; r < c->nreruns; r++) {
			fprintf(f, "<br>attempt %d (%s, %.3f s): <b>", c->reruns[r].attempt,
			    c->reruns[r].status == SD_ERROR ? "error" : "failed", c->reruns[r].time);
			esc(f, sd_kind_name(c->reruns[r].kind));
			fputs("</b>: ", f);
			esc(f, c->reruns[r].message);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
write_files(FILE *f, const struct sd_run *run)
{
	if (run->nfiles == 0)
		return;
	fputs("<h2>Downloaded files</h2>\n<table>\n<tr><th>Endpoint</th><th>File</th><th>SHA-256</th></tr>\n", f);
	for (size_t i = 0; i < run->nfiles; i++) {
		fputs("<tr><td>", f);
		esc(f, run->files[i].endpoint);
		fputs("</td><td class=\"mono\">", f);
		esc(f, run->files[i].path);
		fputs("</td><td class=\"mono\">", f);
		esc(f, run->files[i].sha256);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
write_page(FILE *f, const struct sd_run *run, const struct sd_html_info *info)
{
	write_header(f, run, info);
	write_matrix(f, run);
	/* Connection details start on a page of their own: page one is the verdict and the matrix. */
	fputs("<div class=\"details\">\n", f);
	for (size_t i = 0; i < run->nsuites; i++)
		write_suite(f, run->suites[i]);
	write_files(f, run);
	fputs("<p>The files of this bundle are listed with their SHA-256 in MANIFEST; check it with "
	    "<span class=\"mono\">sftpdrill verify DIR</span>.</p>\n</div>\n</body></html>\n", f);
}

int
sd_html_write(const struct sd_run *run, const struct sd_html_info *info, const char *path,
    struct sd_err *err)
{
	char *tmp;
	FILE *f = sd_atomic_open(path, &tmp);

	if (f != NULL)
		write_page(f, run, info);
	if (sd_atomic_commit(f, tmp, path) < 0)
		return sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path, strerror(errno));
	return 0;
}
