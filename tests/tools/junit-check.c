/*
 * junit-check — validate a JUnit file the way CI consumers will read it.
 *
 *   junit-check FILE [SCHEMA_DIR]
 *
 * Checks that FILE is well-formed; that every declared count (tests,
 * failures, errors, skipped) equals the elements actually present in each
 * suite, and that the root declares none (junit-10 allows no `skipped`
 * there, so a reader taking totals from the root would count skipped steps
 * as passed); that timestamps say their zone (Z) and classnames hold no dot
 * (Jenkins and GitHub annotation reporters split a classname at its last
 * dot); and, when SCHEMA_DIR holds the schemas, validates
 * the whole file against junit-10 and each <testsuite> as its own document
 * against Surefire 3.0.2. Prints "suites=N tests=N failures=N errors=N
 * skipped=N" and exits 0, or prints what is wrong and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

static int problems;

static void
problem(const char *fmt, const char *a, long x, long y)
{
	fprintf(stderr, "junit-check: ");
	fprintf(stderr, fmt, a, x, y);
	fputc('\n', stderr);
	problems++;
}

static long
num_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	long r = v ? strtol((char *)v, NULL, 10) : -1;

	xmlFree(v);
	return r;
}

static int
is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int
validate(xmlDocPtr doc, const char *xsd, const char *what)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
	xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
	int rc = vc ? xmlSchemaValidateDoc(vc, doc) : -1;

	if (rc != 0)
		problem("%s does not validate (%ld)%ld", what, rc, 0);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	if (schema)
		xmlSchemaFree(schema);
	if (pc)
		xmlSchemaFreeParserCtxt(pc);
	return rc;
}

int
main(int argc, char **argv)
{
	long tot[4] = { 0 }, suites = 0;
	const char *schemas = argc > 2 ? argv[2] : NULL;
	char *junit10 = NULL, *surefire = NULL;
	xmlDocPtr doc;
	xmlNodePtr root;

	if (argc < 2) {
		fprintf(stderr, "usage: junit-check FILE [SCHEMA_DIR]\n");
		return 2;
	}
	doc = xmlReadFile(argv[1], NULL, XML_PARSE_NONET);
	if (doc == NULL) {
		fprintf(stderr, "junit-check: %s is not well-formed XML\n", argv[1]);
		return 1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is(root, "testsuites")) {
		fprintf(stderr, "junit-check: root element is not <testsuites>\n");
		return 1;
	}
	if (schemas) {
		if (asprintf(&junit10, "%s/jenkins-xunit-junit-10.xsd", schemas) < 0 ||
		    asprintf(&surefire, "%s/surefire-test-report-3.0.2.xsd", schemas) < 0)
			return 2;
		validate(doc, junit10, "the file (junit-10)");
	}
	for (xmlNodePtr s = root->children; s; s = s->next) {
		long c[4] = { 0 };   /* tests, failures, errors, skipped */
		xmlChar *name;

		if (!is(s, "testsuite"))
			continue;
		suites++;
		name = xmlGetProp(s, BAD_CAST "name");
		{
			xmlChar *ts = xmlGetProp(s, BAD_CAST "timestamp");
			if (ts == NULL || ts[0] == '\0' || ts[xmlStrlen(ts) - 1] != 'Z')
				problem("suite %s has no timestamp with its zone (...Z)%ld%ld", (char *)name, 0, 0);
			xmlFree(ts);
		}
		for (xmlNodePtr t = s->children; t; t = t->next) {
			int results = 0;
			if (is(t, "testsuite"))
				problem("suite %s is nested (suites must be flat)%ld%ld", (char *)name, 0, 0);
			if (!is(t, "testcase"))
				continue;
			c[0]++;
			{
				xmlChar *cls = xmlGetProp(t, BAD_CAST "classname");
				if (cls == NULL || strchr((char *)cls, '.') != NULL)
					problem("a classname in %s is missing or holds a dot (reporters split it there)%ld%ld",
					    (char *)name, 0, 0);
				xmlFree(cls);
			}
			for (xmlNodePtr r = t->children; r; r = r->next) {
				if (is(r, "failure")) { c[1]++; results++; }
				if (is(r, "error")) { c[2]++; results++; }
				if (is(r, "skipped")) { c[3]++; results++; }
				if ((is(r, "failure") || is(r, "error")) && xmlNodeGetContent(r) != NULL &&
				    xmlStrlen(xmlNodeGetContent(r)) == 0)
					problem("a failure/error in %s has no text%ld%ld", (char *)name, 0, 0);
			}
			if (results > 1)
				problem("a testcase in %s has %ld result elements%ld", (char *)name, results, 0);
		}
		static const char *const attrs[] = { "tests", "failures", "errors", "skipped" };
		for (int i = 0; i < 4; i++) {
			if (num_attr(s, attrs[i]) != c[i])
				problem("suite %s declares a count that differs from its testcases (%ld vs %ld)",
				    (char *)name, num_attr(s, attrs[i]), c[i]);
			tot[i] += c[i];
		}
		if (schemas) {
			/* Surefire reads one <testsuite> as a document of its own. */
			xmlDocPtr one = xmlNewDoc(BAD_CAST "1.0");
			xmlDocSetRootElement(one, xmlDocCopyNode(s, one, 1));
			validate(one, surefire, "a suite (Surefire 3.0.2)");
			xmlFreeDoc(one);
		}
		xmlFree(name);
	}
	if (num_attr(root, "tests") != -1 || num_attr(root, "failures") != -1 || num_attr(root, "errors") != -1)
		problem("<testsuites> declares totals%s (without skipped, which junit-10 does not allow there)%ld%ld", "", 0, 0);
	printf("suites=%ld tests=%ld failures=%ld errors=%ld skipped=%ld\n", suites, tot[0], tot[1], tot[2], tot[3]);
	free(junit10);
	free(surefire);
	xmlFreeDoc(doc);
	xmlCleanupParser();
	return problems ? 1 : 0;
}
