/* html.c — the printable summary page: an A4 page one an auditor can file, details after it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sftpdrill/domain/calendar.h"
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
	"figure.timeline{margin:.8em 0}figure.timeline svg{width:100%;height:auto}"
	"figure.timeline figcaption{font-size:.8em;color:#333}"
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

/* HH:MM:SS of t in the site's zone; with tenths when the axis spans less than a minute. */
static void
clock_text(double t, long offset, int tenths, char *buf, size_t len)
{
	char iso[32];

	sd_utc_iso((time_t)t + offset, iso, sizeof(iso));
	if (tenths)
		snprintf(buf, len, "%.8s.%d", iso + 11, (int)((t - (double)(time_t)t) * 10) % 10);
	else
		snprintf(buf, len, "%.8s", iso + 11);
}

/* When a suite began: to the millisecond where it was recorded (started.precise), else to the second. */
static double
began(const struct sd_suite *s)
{
	const char *p = sd_suite_get_prop(s, "started.precise");

	return p != NULL && p[0] ? strtod(p, NULL) : (double)s->started;
}

/* The run's span: the first suite's start to the last step's end (steps of a suite run one after another). */
static void
span_of(const struct sd_run *run, double *from, double *to)
{
	*from = *to = 0;
	for (size_t i = 0; i < run->nsuites; i++) {
		double end = began(run->suites[i]);
		for (size_t k = 0; k < run->suites[i]->ncases; k++)
			end += run->suites[i]->cases[k].time;
		if (i == 0 || began(run->suites[i]) < *from)
			*from = began(run->suites[i]);
		if (i == 0 || end > *to)
			*to = end;
	}
	if (*to - *from < 0.1)
		*to = *from + 0.1;
}

/* A suite's window, parsed: 0 when it has none (or one that does not parse). */
static int
window_of(const struct sd_suite *s, struct sd_window *w)
{
	const char *text = sd_suite_get_prop(s, "window");
	struct sd_err err;

	return text != NULL && sd_window_parse(text, w, &err) == 0;
}

/* Where each distinct window stands against the steps of its suites, in words. */
static void
say_windows(const struct sd_run *run, struct sd_buf *said)
{
	struct sd_strv seen = { 0 };

	for (size_t i = 0; i < run->nsuites; i++) {
		const char *text = sd_suite_get_prop(run->suites[i], "window");
		struct sd_window w;
		double from = 0, to = 0;
		int inside = 1, outside = 1;

		if (!window_of(run->suites[i], &w) || sd_strv_has(&seen, text))
			continue;
		sd_strv_push(&seen, text);
		for (size_t k = 0; k < run->nsuites; k++) {
			const char *other = sd_suite_get_prop(run->suites[k], "window");
			if (other == NULL || strcmp(other, text) != 0)
				continue;
			from = began(run->suites[k]);
			to = from;
			for (size_t c = 0; c < run->suites[k]->ncases; c++)
				to += run->suites[k]->cases[c].time;
			inside &= from >= (double)w.start && to <= (double)w.end;
			outside &= to <= (double)w.start || from >= (double)w.end;
		}
		sd_buf_addf(said, " The window %s%s", text, inside ? " (shaded): every step of its drill ran inside it." :
		    outside ? ": its drill ran outside it altogether (a rehearsal); nothing is shaded." :
		    " (shaded): part of its drill ran outside it.");
	}
	if (seen.n == 0)
		sd_buf_adds(said, " No drill has a window.");
	sd_strv_release(&seen);
}

/*
 * Page one's timeline: each endpoint's steps as bars on one time axis, the
 * drill's window shaded behind its rows, colours by status; inline SVG (no
 * script), each bar titled, and the same said in words below it for screen
 * readers. Steps of an endpoint run one after another from its suite's start.
 */
static void
write_timeline(FILE *f, const struct sd_run *run, const struct sd_html_info *info)
{
	static const char *const fill[] = { "#2e7d32", "#c62828", "#8e0000", "#bdbdbd" };
	const double left = 230, width = 460, rowh = 16;
	double from, to, scale;
	struct sd_buf said = SD_BUF_INIT(0);
	char a[24], b[24];

	if (run->nsuites == 0)
		return;
	span_of(run, &from, &to);
	scale = width / (to - from);
	fprintf(f, "<figure class=\"timeline\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
	    "aria-labelledby=\"timeline-caption\" viewBox=\"0 0 700 %.0f\" font-size=\"10\" font-family=\"sans-serif\">\n",
	    rowh * (double)run->nsuites + 30);
	for (size_t i = 0; i < run->nsuites; i++) {
		const struct sd_suite *s = run->suites[i];
		double t = began(s), y = rowh * (double)i + 2;
		const char *account = sd_suite_get_prop(s, "account");
		char *label = account ? sd_xasprintf("%s: %s", account, s->endpoint) : sd_xstrdup(s->endpoint);
		struct sd_window w;
		size_t passed = 0;

		if (window_of(s, &w) && (double)w.end > from && (double)w.start < to) {
			double w0 = (double)w.start > from ? (double)w.start : from, w1 = (double)w.end < to ? (double)w.end : to;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#fff3cd\"><title>the "
			    "drill's window</title></rect>\n", left + (w0 - from) * scale, y - 2, (w1 - w0) * scale, rowh);
		}
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + 11);
		esc(f, label);
		fputs("</text>\n", f);
		for (size_t k = 0; k < s->ncases; k++) {
			const struct sd_case *c = &s->cases[k];
			double bw = c->time * scale;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\" stroke=\"#fff\" "
			    "stroke-width=\"0.3\"><title>", left + (t - from) * scale, y, bw < 1.5 ? 1.5 : bw, rowh - 4,
			    fill[c->status]);
			esc(f, c->name);
			fprintf(f, ": %s, %.3f s</title></rect>\n", sd_status_name(c->status), c->time);
			t += c->time;
			passed += c->status == SD_PASS;
		}
		clock_text(began(s), info->utc_offset, to - from < 60, a, sizeof(a));
		sd_buf_addf(&said, " %s: %zu steps from %s, %.2f s, %zu passed.", label, s->ncases, a, t - began(s), passed);
		free(label);
	}
	say_windows(run, &said);
	clock_text(from, info->utc_offset, to - from < 60, a, sizeof(a));
	clock_text(to, info->utc_offset, to - from < 60, b, sizeof(b));
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s ",
	    left, rowh * (double)run->nsuites + 20, a, left + width, rowh * (double)run->nsuites + 20, b);
	esc(f, info->zone_name);
	fputs("</text>\n</svg>\n<figcaption id=\"timeline-caption\">Timeline of the steps, in ", f);
	esc(f, info->zone_name);
	fputs(" time (green passed, red failed, dark red error, grey skipped).", f);
	esc(f, sd_buf_str(&said));
	fputs("</figcaption>\n</figure>\n", f);
	sd_buf_release(&said);
}

static void
write_page(FILE *f, const struct sd_run *run, const struct sd_html_info *info)
{
	write_header(f, run, info);
	write_matrix(f, run);
	write_timeline(f, run, info);
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
