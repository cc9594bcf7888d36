/* metrics.h — a run as Prometheus text exposition format, for node_exporter's textfile collector. */
#ifndef SD_METRICS_H
#define SD_METRICS_H

#include <time.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/evidence/result.h"

/* What the state folder knows of one drill's account that the run does not: its last backup. */
struct sd_metrics_backup {
	const char *drill;
	const char *user;
	time_t last_backup;         /* when the last business date was backed up (the ledger's last write); 0: never */
	long last_backup_day;       /* that business date (day number); -1: never */
};

/*
 * The run's metrics, from the results model: per drill, endpoint and step,
 * success (1/0) and duration; the run's success, exit status, verdict and
 * mode, and when it ended; per backup step, the files and bytes fetched; per
 * drill, the business days missed (the no-missed-days step); per account with
 * a backup, the time of the last successful one. Every family with HELP and
 * TYPE, label values escaped. Appends to out.
 */
void sd_metrics_text(const struct sd_run *run, int exit_status, time_t ended, const struct sd_metrics_backup *b,
    size_t nb, struct sd_buf *out);

/* The same, written atomically to path (never half a file under its name). 0, or -1 with err (LocalIOError). */
int sd_metrics_write(const char *path, const struct sd_run *run, int exit_status, time_t ended,
    const struct sd_metrics_backup *b, size_t nb, struct sd_err *err);

#endif
