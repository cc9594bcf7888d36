/* html.h — the human summary of a run: one self-contained, printable HTML page. */
#ifndef SD_HTML_H
#define SD_HTML_H

#include "sftpdrill/base/err.h"
#include "sftpdrill/evidence/result.h"

/* How the page shows times: in UTC and in the site's zone. */
struct sd_html_info {
	long utc_offset;            /* the site's zone, seconds east of UTC */
	const char *zone_name;      /* e.g. "Hong Kong" */
};

/*
 * Write the summary to path (atomically): page one the verdict, the facts, the
 * steps × endpoints matrix and a timeline of the steps (inline SVG, the
 * drill's window shaded, said in words too); then per endpoint the connection facts
 * (peer, banner, host key, algorithms, user key) and a row per step with its
 * status, time and message; then the downloaded files' SHA-256. Everything
 * the server sent is escaped; no script, no external resource.
 */
int sd_html_write(const struct sd_run *run, const struct sd_html_info *info, const char *path,
    struct sd_err *err);

#endif
