/* transcript.c — the run's log file. Safe to call from several threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sftpdrill/base/redact.h"
#include "sftpdrill/evidence/result.h"
#include "sftpdrill/evidence/transcript.h"
#include "sftpdrill/base/util.h"

struct sd_transcript {
	FILE *f;
	struct sd_transcript_opts o;
	pthread_mutex_t lock;
	int failed;
};

struct sd_transcript *
sd_transcript_open(const char *path, const struct sd_transcript_opts *o, struct sd_err *err)
{
	struct sd_transcript *t;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	t = sd_xcalloc(1, sizeof(*t));
	t->f = fdopen(fd, "w");
	t->o = *o;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

static void
write_line(struct sd_transcript *t, const char *body)
{
	struct timespec ts;
	struct tm utc, local;
	time_t local_secs;
	char a[32], b[32], *clean, *masked;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &utc);
	local_secs = ts.tv_sec + t->o.utc_offset;
	gmtime_r(&local_secs, &local);
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%S", &utc);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &local);
	/* Masked first: a secret holding a control character would not match once cleaned. */
	masked = sd_redact(t->o.redact, body);
	clean = sd_printable(masked, strlen(masked));
	free(masked);
	masked = clean;
	pthread_mutex_lock(&t->lock);
	if (fprintf(t->f, "%s.%03ldZ  %s.%03ld %s  %s\n", a, ts.tv_nsec / 1000000, b, ts.tv_nsec / 1000000,
	    t->o.zone_label ? t->o.zone_label : "local", masked) < 0)
		t->failed = 1;
	pthread_mutex_unlock(&t->lock);
	free(masked);
}

void
sd_transcript_line(struct sd_transcript *t, const char *fmt, ...)
{
	va_list ap;
	char *body;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	body = sd_xvasprintf(fmt, ap);
	va_end(ap);
	write_line(t, body);
	free(body);
}

void
sd_transcript_event(struct sd_transcript *t, const struct sd_event *ev)
{
	const char *ep = ev->endpoint ? ev->endpoint : "-";
	const char *step = ev->step ? ev->step : "";

	if (t == NULL)
		return;
	switch (ev->kind) {
	case SD_EV_SUITE_BEGIN:
		sd_transcript_line(t, "[%s] begin drill \"%s\" on %s", ep, ev->drill, ep);
		break;
	case SD_EV_STEP_BEGIN:
		sd_transcript_line(t, "[%s] step \"%s\": %s %s", ep, step, ev->verb ? ev->verb : "",
		    ev->arg ? ev->arg : "");
		break;
	case SD_EV_PHASE:
		sd_transcript_line(t, "[%s] step \"%s\" %s: %s", ep, step, sd_phase_name(ev->phase), ev->message);
		break;
	case SD_EV_STEP_END: {
		const struct sd_case *c = ev->result;
		sd_transcript_line(t, "[%s] step \"%s\" %s%s%s in %.3fs: %s", ep, step, sd_status_name(c->status),
		    c->status == SD_PASS ? "" : " ", c->status == SD_PASS ? "" : sd_kind_name(c->kind), c->time,
		    c->message ? c->message : "");
		if (c->status == SD_FAIL || c->status == SD_ERROR)
			sd_transcript_line(t, "[%s] step \"%s\" %s in phase %s (libssh2 code %d, SFTP status %lu)", ep, step,
			    sd_kind_name(c->kind), sd_phase_name(c->phase), c->ssh_code, c->sftp_code);
		for (const char *l = c->detail; l && *l; ) {
			size_t n = strcspn(l, "\n");
			sd_transcript_line(t, "[%s] step \"%s\" output: %.*s", ep, step, (int)n, l);
			l += n + (l[n] == '\n');
		}
		break;
	}
	case SD_EV_SUITE_END:
		sd_transcript_line(t, "[%s] end drill \"%s\": %zu passed, %zu failed, %zu errors, %zu skipped", ep,
		    ev->drill, sd_count(NULL, ev->suite, SD_PASS), sd_count(NULL, ev->suite, SD_FAIL),
		    sd_count(NULL, ev->suite, SD_ERROR), sd_count(NULL, ev->suite, SD_SKIP));
		break;
	case SD_EV_WARNING:
		sd_transcript_line(t, "[%s] warning: %s", ep, ev->message);
		break;
	case SD_EV_NOTE:
		sd_transcript_line(t, "%s", ev->message);
		break;
	case SD_EV_PROGRESS:
		break;
	}
}

int
sd_transcript_close(struct sd_transcript *t, struct sd_err *err)
{
	int rc = 0;

	if (t == NULL)
		return 0;
	if (fflush(t->f) != 0 || fsync(fileno(t->f)) != 0)
		t->failed = 1;
	if (fclose(t->f) != 0)
		t->failed = 1;
	if (t->failed)
		rc = sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "the transcript could not be written completely");
	pthread_mutex_destroy(&t->lock);
	free(t);
	return rc;
}
