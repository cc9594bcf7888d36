/* junit.c — the JUnit XML writer (libxml2's text writer does all escaping). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "sftpdrill/junit.h"
#include "sftpdrill/util.h"

#define W(call) do { if ((call) < 0) goto fail; } while (0)

static int
attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *clean = sd_xml_text(value);
	int rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST clean);

	free(clean);
	return rc;
}

static int
attr_num(xmlTextWriterPtr w, const char *name, size_t n)
{
	return xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%zu", n);
}

/* Seconds with a dot and at most three decimals, whatever the locale. */
static int
attr_time(xmlTextWriterPtr w, const char *name, double t)
{
	long long ms = (long long)(t * 1000.0 + 0.5);

	if (ms < 0)
		ms = 0;
	return xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%lld.%03lld", ms / 1000, ms % 1000);
}

static int
text(xmlTextWriterPtr w, const char *s)
{
	char *clean = sd_xml_text(s);
	int rc = xmlTextWriterWriteString(w, BAD_CAST clean);

	free(clean);
	return rc;
}

static int
write_case(xmlTextWriterPtr w, const struct sd_suite *s, const struct sd_case *c)
{
	static const char *const elem[] = { [SD_FAIL] = "failure", [SD_ERROR] = "error", [SD_SKIP] = "skipped" };

	W(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
	W(attr(w, "name", c->name));
	W(attr(w, "classname", s->classname));
	W(attr_time(w, "time", c->time));
	if (c->status != SD_PASS) {
		W(xmlTextWriterStartElement(w, BAD_CAST elem[c->status]));
		if (c->status != SD_SKIP)
			W(attr(w, "type", sd_kind_name(c->kind)));
		W(attr(w, "message", c->message ? c->message : ""));
		W(text(w, c->message ? c->message : sd_status_name(c->status)));
		W(xmlTextWriterEndElement(w));
	}
	/* What a passed step verified is evidence too: its message leads its output. */
	if ((c->status == SD_PASS && c->message) || (c->detail != NULL && c->detail[0] != '\0')) {
		W(xmlTextWriterStartElement(w, BAD_CAST "system-out"));
		if (c->status == SD_PASS && c->message) {
			W(text(w, c->message));
			W(text(w, "\n"));
		}
		if (c->detail != NULL)
			W(text(w, c->detail));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

static int
write_suite(xmlTextWriterPtr w, const struct sd_run *run, const struct sd_suite *s)
{
	char ts[32];

	sd_utc_iso(s->started, ts, sizeof(ts));
	strcat(ts, "Z");
	W(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
	W(attr(w, "name", s->name));
	W(attr_num(w, "tests", sd_count_all(run, s)));
	W(attr_num(w, "failures", sd_count(run, s, SD_FAIL)));
	W(attr_num(w, "errors", sd_count(run, s, SD_ERROR)));
	W(attr_num(w, "skipped", sd_count(run, s, SD_SKIP)));
	W(attr_time(w, "time", s->time));
	W(attr(w, "timestamp", ts));
	W(xmlTextWriterStartElement(w, BAD_CAST "properties"));
	for (size_t i = 0; i < s->nprops; i++) {
		W(xmlTextWriterStartElement(w, BAD_CAST "property"));
		W(attr(w, "name", s->props[i].name));
		W(attr(w, "value", s->props[i].value));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	for (size_t i = 0; i < s->ncases; i++)
		if (write_case(w, s, &s->cases[i]) < 0)
			goto fail;
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

int
sd_junit_write(const struct sd_run *run, const char *name, const char *path, struct sd_err *err)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	int ok = 0;

	if (w == NULL)
		goto fail;
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	W(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
	W(attr(w, "name", name));
	/* No totals here: junit-10 allows no `skipped` on the root, and a reader that took totals from it would
	 * count skipped steps as passed. Every reader sums the suites, which carry all four counts. */
	W(attr_time(w, "time", run->time));
	for (size_t i = 0; i < run->nsuites; i++)
		if (write_suite(w, run, run->suites[i]) < 0)
			goto fail;
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	/* The file appears under its name only complete. */
	if (sd_write_atomic(path, xmlBufferContent(buf), (size_t)xmlBufferLength(buf)) < 0)
		goto fail;
	ok = 1;
fail:
	if (!ok)
		sd_fail(err, SD_KIND_LOCAL_IO_ERROR, SD_PHASE_LOCAL, "cannot write %s: %s", path,
		    errno ? strerror(errno) : "XML writer failed");
	if (w)
		xmlFreeTextWriter(w);
	if (buf)
		xmlBufferFree(buf);
	return ok ? 0 : -1;
}
