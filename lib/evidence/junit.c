/* junit.c — the JUnit XML writer (libxml2's text writer does all escaping). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "sftpdrill/evidence/junit.h"
#include "sftpdrill/base/util.h"

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

/* One earlier attempt, in Surefire's rerun convention: message and type, and a stackTrace saying when. */
static int
write_rerun(xmlTextWriterPtr w, const struct sd_case *c, const struct sd_rerun *r, int final_pass)
{
	static const char *const elem[2][2] = { { "rerunFailure", "rerunError" }, { "flakyFailure", "flakyError" } };
	char when[32], *trace;
	int rc = -1;

	sd_utc_iso(r->started, when, sizeof(when));
	trace = sd_xasprintf("attempt %d of %d at %sZ took %.3f s\n%s: %s", r->attempt, c->attempts > 0 ? c->attempts :
	    (int)c->nreruns + 1, when, r->time, sd_kind_name(r->kind), r->message);
	W(xmlTextWriterStartElement(w, BAD_CAST elem[final_pass][r->status == SD_ERROR]));
	W(attr(w, "message", r->message));
	W(attr(w, "type", sd_kind_name(r->kind)));
	W(xmlTextWriterStartElement(w, BAD_CAST "stackTrace"));
	W(text(w, trace));
	W(xmlTextWriterEndElement(w));
	if (r->detail != NULL && r->detail[0] != '\0') {
		W(xmlTextWriterStartElement(w, BAD_CAST "system-out"));
		W(text(w, r->detail));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	rc = 0;
fail:
	free(trace);
	return rc;
}

/* The earlier attempts of status st (SD_FAIL or SD_ERROR), where Surefire's order puts them. */
static int
write_reruns(xmlTextWriterPtr w, const struct sd_case *c, enum sd_status st)
{
	for (size_t i = 0; i < c->nreruns; i++)
		if (c->reruns[i].status == st && write_rerun(w, c, &c->reruns[i], c->status == SD_PASS) < 0)
			return -1;
	return 0;
}

/* The outcome element (failure, skipped, error), if the case did not pass. */
static int
write_outcome(xmlTextWriterPtr w, const struct sd_case *c)
{
	static const char *const elem[] = { [SD_FAIL] = "failure", [SD_ERROR] = "error", [SD_SKIP] = "skipped" };

	W(xmlTextWriterStartElement(w, BAD_CAST elem[c->status]));
	if (c->status != SD_SKIP)
		W(attr(w, "type", sd_kind_name(c->kind)));
	W(attr(w, "message", c->message ? c->message : ""));
	W(text(w, c->message ? c->message : sd_status_name(c->status)));
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

/* A step: its outcome and earlier attempts in Surefire's order (failure, rerun/flakyFailure, skipped, error, rerun/flakyError), then its output. */
static int
write_case(xmlTextWriterPtr w, const struct sd_suite *s, const struct sd_case *c)
{
	W(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
	W(attr(w, "name", c->name));
	W(attr(w, "classname", s->classname));
	W(attr_time(w, "time", c->time));
	if (c->status == SD_FAIL)
		W(write_outcome(w, c));
	W(write_reruns(w, c, SD_FAIL));
	if (c->status == SD_SKIP || c->status == SD_ERROR)
		W(write_outcome(w, c));
	W(write_reruns(w, c, SD_ERROR));
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
sd_junit_write(const struct sd_run *run, const char *path, struct sd_err *err)
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
	W(attr(w, "name", run->title ? run->title : "sftpdrill"));
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

/* The value of an attribute, or "" (caller frees). */
static char *
get_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *out = sd_xstrdup(v ? (const char *)v : "");

	xmlFree(v);
	return out;
}

static int
is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static enum sd_kind
kind_named(const char *name)
{
	for (int k = 0; k < SD_KIND__COUNT; k++)
		if (strcmp(sd_kind_name((enum sd_kind)k), name) == 0)
			return (enum sd_kind)k;
	return SD_KIND_NONE;
}

/* One earlier attempt (rerunFailure, flakyError...) of c, back from its element. */
static void
read_rerun(xmlNodePtr k, struct sd_case *c)
{
	char *type = get_attr(k, "type"), *message = get_attr(k, "message"), when[32] = "";
	struct tm tm = { 0 };
	double took = 0;
	int n = 0, of = 0;
	time_t started = 0;

	for (xmlNodePtr t = k->children; t != NULL; t = t->next) {
		xmlChar *body;
		if (is_elem(t, "stackTrace") && (body = xmlNodeGetContent(t)) != NULL) {
			if (sscanf((const char *)body, "attempt %d of %d at %31s took %lf s", &n, &of, when, &took) == 4 &&
			    strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
				started = timegm(&tm);
			xmlFree(body);
		}
	}
	sd_case_add_rerun(c, strstr((const char *)k->name, "Error") ? SD_ERROR : SD_FAIL, kind_named(type), message, NULL,
	    took, started);
	free(type);
	free(message);
}

/* One <testcase> into suite s. */
static void
read_case(xmlNodePtr tc, struct sd_suite *s, int closed_day)
{
	char *name = get_attr(tc, "name"), *time = get_attr(tc, "time");
	struct sd_case *c = sd_suite_add_case(s, name);

	c->time = strtod(time, NULL);
	c->status = SD_PASS;
	for (xmlNodePtr k = tc->children; k != NULL; k = k->next) {
		xmlChar *body;
		if (k->type == XML_ELEMENT_NODE && (strncmp((const char *)k->name, "rerun", 5) == 0 ||
		    strncmp((const char *)k->name, "flaky", 5) == 0))
			read_rerun(k, c);
		else if (is_elem(k, "failure") || is_elem(k, "error") || is_elem(k, "skipped")) {
			char *type = get_attr(k, "type");
			c->status = is_elem(k, "failure") ? SD_FAIL : is_elem(k, "error") ? SD_ERROR : SD_SKIP;
			c->kind = c->status == SD_SKIP ? (closed_day ? SD_KIND_NOT_A_BUSINESS_DAY : SD_KIND_SKIPPED) :
			    kind_named(type);
			free(c->message);
			c->message = get_attr(k, "message");
			free(type);
		} else if (is_elem(k, "system-out") && (body = xmlNodeGetContent(k)) != NULL) {
			const char *text = (const char *)body, *nl = strchr(text, '\n');
			/* A pass's message leads its output; the rest is the detail. */
			if (c->status == SD_PASS && c->message == NULL) {
				c->message = nl ? sd_xstrndup(text, (size_t)(nl - text)) : sd_xstrdup(text);
				text = nl ? nl + 1 : "";
			}
			if (*text)
				c->detail = sd_xstrdup(text);
			xmlFree(body);
		}
	}
	c->attempts = (int)c->nreruns + 1;
	free(name);
	free(time);
}

/* One <testsuite> into run. */
static void
read_suite(xmlNodePtr ts, struct sd_run *run)
{
	struct sd_strv names = { 0 }, values = { 0 };
	const char *drill = NULL, *endpoint = NULL, *target = NULL, *closed = NULL;
	char *stamp = get_attr(ts, "timestamp"), *time = get_attr(ts, "time"), *classname = NULL;
	struct sd_suite *s;
	size_t index = 0;

	for (xmlNodePtr p = ts->children; p != NULL; p = p->next)
		for (xmlNodePtr q = is_elem(p, "properties") ? p->children : NULL; q != NULL; q = q->next)
			if (is_elem(q, "property")) {
				char *n = get_attr(q, "name"), *v = get_attr(q, "value");
				sd_strv_push(&names, n);
				sd_strv_push(&values, v);
				free(n);
				free(v);
			}
	for (size_t i = 0; i < names.n; i++) {
		if (strcmp(names.v[i], "drill") == 0)
			drill = values.v[i];
		else if (strcmp(names.v[i], "endpoint") == 0)
			endpoint = values.v[i];
		else if (strcmp(names.v[i], "target") == 0)
			target = values.v[i];
		else if (strcmp(names.v[i], "business.date.closed") == 0)
			closed = values.v[i];
	}
	for (xmlNodePtr c = ts->children; c != NULL && classname == NULL; c = c->next)
		if (is_elem(c, "testcase"))
			classname = get_attr(c, "classname");
	/* "DRILL › SET node N": the node's place in its set. */
	if (classname && strstr(classname, " node "))
		index = (size_t)strtoul(strstr(classname, " node ") + 6, NULL, 10) - 1;
	s = sd_run_add_suite(run, drill ? drill : "?", endpoint ? endpoint : "?", target ? target : "?", index);
	if (closed && endpoint == NULL) {
		free(s->endpoint);
		s->endpoint = sd_xasprintf("%s (not contacted)", target ? target : "?");
	}
	/* The names as written (an account's prefix included): a merge keeps suites unchanged. */
	free(s->name);
	s->name = get_attr(ts, "name");
	if (classname) {
		free(s->classname);
		s->classname = sd_xstrdup(classname);
	}
	for (size_t i = 0; i < names.n; i++) {
		sd_suite_prop(s, names.v[i], values.v[i]);
		if (strcmp(names.v[i], "attempts") == 0)
			s->attempts = atoi(values.v[i]);
		/* What the run as a whole was: a rehearsal, stopped; a merge of rehearsals is a rehearsal. */
		else if (strcmp(names.v[i], "run.mode") == 0 && strcmp(values.v[i], "session") != 0 && run->mode == NULL)
			run->mode = sd_xstrdup(values.v[i]);
		else if (strcmp(names.v[i], "run.interrupted") == 0 && run->interrupted == 0)
			run->interrupted = atoi(values.v[i] + strcspn(values.v[i], "0123456789")) > 0 ?
			    atoi(values.v[i] + strcspn(values.v[i], "0123456789")) : 2;
	}
	{
		struct tm tm = { 0 };
		if (strptime(stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
			s->started = timegm(&tm);
	}
	s->time = strtod(time, NULL);
	for (xmlNodePtr c = ts->children; c != NULL; c = c->next)
		if (is_elem(c, "testcase"))
			read_case(c, s, closed != NULL);
	sd_strv_release(&names);
	sd_strv_release(&values);
	free(classname);
	free(stamp);
	free(time);
}

int
sd_junit_read(const char *path, struct sd_run *run, struct sd_err *err)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	if (root == NULL || !is_elem(root, "testsuites")) {
		xmlFreeDoc(doc);
		return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_LOCAL, "%s is not a JUnit file sftpdrill wrote", path);
	}
	free(run->title);
	run->title = get_attr(root, "name");
	{
		char *t = get_attr(root, "time");
		run->time = strtod(t, NULL);
		free(t);
	}
	for (xmlNodePtr ts = root->children; ts != NULL; ts = ts->next)
		if (is_elem(ts, "testsuite"))
			read_suite(ts, run);
	if (run->nsuites > 0)
		run->started = run->suites[0]->started;
	xmlFreeDoc(doc);
	return 0;
}

