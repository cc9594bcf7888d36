/* html.c — the printable summary page. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sftpdrill/html.h"
#include "sftpdrill/util.h"

/* Write s escaped for HTML text and attribute values, after dropping what XML cannot carry. */
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
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#111;max-width:75em}"
	"h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #999}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}"
	"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}"
	"th{background:#eee}td.mono,span.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}"
	".passed{color:#0a6b0a;font-weight:bold}.failed,.error{color:#b00;font-weight:bold}.skipped{color:#8a6d00}"
	".verdict{font-size:1.2em;padding:.5em;border:2px solid}"
	"table.steps td:nth-child(1){width:28%}table.steps td:nth-child(2){width:8em;white-space:nowrap}"
	"table.steps td:nth-child(3){width:4em}"
	"@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}";

static void
prop_row(FILE *f, const struct sd_suite *s, const char *label, const char *name)
{
	const char *v = sd_suite_get_prop(s, name);

	if (v == NULL)
		return;
	fputs("<tr><th>", f);
	esc(f, label);
	fputs("</th><td class=\"mono\">", f);
	esc(f, v);
	fputs("</td></tr>\n", f);
}

static void
write_header(FILE *f, const struct sd_run *run, const struct sd_html_info *info)
{
	size_t pass = sd_count(run, NULL, SD_PASS), all = sd_count_all(run, NULL);
	char start[32], local[32];

	sd_utc_iso(run->started, start, sizeof(start));
	sd_utc_iso(run->started + info->utc_offset, local, sizeof(local));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	esc(f, info->title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", style);
	esc(f, info->title);
	fputs("</h1>\n<table>\n", f);
	fprintf(f, "<tr><th>Started</th><td>%s UTC (%s ", start, local);
	esc(f, info->zone_name);
	fputs(")</td></tr>\n", f);
	fprintf(f, "<tr><th>Duration</th><td>%.3f s</td></tr>\n", run->time);
	fputs("<tr><th>Business date</th><td>", f);
	esc(f, info->business_date);
	fputs("</td></tr>\n<tr><th>Operator</th><td>", f);
	esc(f, info->operator_name);
	fputs("</td></tr>\n<tr><th>Host</th><td>", f);
	esc(f, info->hostname);
	fputs("</td></tr>\n<tr><th>Tool</th><td>", f);
	esc(f, info->tool);
	fputs("</td></tr>\n</table>\n", f);
	fprintf(f, "<p class=\"verdict %s\">%s: %zu of %zu steps passed; %zu failed, %zu errors, %zu skipped</p>\n",
	    pass == all ? "passed" : "failed", pass == all ? "ALL STEPS PASSED" : "NOT ALL STEPS PASSED", pass, all,
	    sd_count(run, NULL, SD_FAIL), sd_count(run, NULL, SD_ERROR), sd_count(run, NULL, SD_SKIP));
}

static void
write_suite(FILE *f, const struct sd_suite *s)
{
	static const char *const glyph[] = { "✓ passed", "✗ failed", "! error", "– skipped" };
	static const char *const rows[][2] = {
		{ "Window", "window" }, { "Endpoint", "endpoint" }, { "Peer address", "peer.address" },
		{ "Configured address", "target.configured" }, { "Server banner", "server.banner" },
		{ "Host key", "hostkey.type" }, { "Host key SHA256", "hostkey.sha256" }, { "Key exchange", "kex" },
		{ "Cipher (to server / from server)", "cipher.client-to-server" }, { "", "cipher.server-to-client" },
		{ "MAC (to server / from server)", "mac.client-to-server" }, { "", "mac.server-to-client" },
		{ "User ID", "user" }, { "User key", "userkey.type" }, { "User key SHA256", "userkey.sha256" },
		{ "Baseline date", "baseline.date" }, { "Baseline manifest", "baseline.manifest" },
	};

	fputs("<h2>", f);
	esc(f, s->name);
	fputs("</h2>\n<table>\n", f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		prop_row(f, s, rows[i][0], rows[i][1]);
	fputs("</table>\n<table class=\"steps\">\n<tr><th>Step</th><th>Status</th><th>Time (s)</th><th>Result</th></tr>\n", f);
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
	for (size_t i = 0; i < run->nsuites; i++)
		write_suite(f, run->suites[i]);
	write_files(f, run);
	fputs("<p>The files of this bundle are listed with their SHA-256 in MANIFEST; check it with "
	    "<span class=\"mono\">sftpdrill verify DIR</span>.</p>\n</body></html>\n", f);
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
