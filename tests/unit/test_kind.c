/* test_kind.c — the failure-kind table: complete, unambiguous, and what README documents. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/kind.h"
#include "sftpdrill/base/util.h"

START_TEST(every_kind_has_a_unique_name_and_a_verdict)
{
	for (int k = 0; k < SD_KIND__COUNT; k++) {
		const struct sd_kind_desc *d = sd_kind((enum sd_kind)k);

		ck_assert_msg(d->name != NULL && d->name[0] != '\0', "kind %d has no name", k);
		ck_assert_msg(d->meaning != NULL && d->meaning[0] != '\0', "%s has no meaning", d->name);
		ck_assert_msg(d->status == SD_FAIL || d->status == SD_ERROR || d->status == SD_SKIP,
		    "%s has no verdict", d->name);
		for (int other = 0; other < k; other++)
			ck_assert_msg(strcmp(sd_kind_name((enum sd_kind)other), d->name) != 0, "%s is not unique", d->name);
	}
	ck_assert_str_eq(sd_kind_name((enum sd_kind)9999), sd_kind_name(SD_KIND_NONE));
}
END_TEST

START_TEST(connection_dropping_kinds)
{
	ck_assert(sd_kind(SD_KIND_TRANSFER_INTERRUPTED)->flags & SD_KIND_DROPS_CONNECTION);
	ck_assert(sd_kind(SD_KIND_STEP_TIMEOUT)->flags & SD_KIND_DROPS_CONNECTION);
	ck_assert(!(sd_kind(SD_KIND_FILE_MISSING)->flags & SD_KIND_DROPS_CONNECTION));
	ck_assert_int_eq(sd_kind(SD_KIND_LOCAL_FILE_CONFLICT)->status, SD_ERROR);
	ck_assert_int_eq(sd_kind(SD_KIND_COUNT_MISMATCH)->status, SD_FAIL);
}
END_TEST

/* README's table of failure types is exactly the table's rows, in order. */
START_TEST(readme_documents_every_kind)
{
	FILE *f = fopen("README.md", "re");
	struct sd_buf readme = SD_BUF_INIT(0), rows = SD_BUF_INIT(0);
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "note: README.md not found from here; the documentation check is skipped\n");
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sd_buf_add(&readme, chunk, n);
	fclose(f);
	for (int k = 0; k < SD_KIND__COUNT; k++)
		sd_kind_doc_row((enum sd_kind)k, &rows);
	ck_assert_msg(strstr(sd_buf_str(&readme), sd_buf_str(&rows)) != NULL,
	    "README.md's failure-type table differs from the kind table: paste `sftpdrill help types` into it");
	sd_buf_release(&readme);
	sd_buf_release(&rows);
}
END_TEST

Suite *
kind_suite(void)
{
	Suite *s = suite_create("kind");
	TCase *tc = tcase_create("kind");

	tcase_add_test(tc, every_kind_has_a_unique_name_and_a_verdict);
	tcase_add_test(tc, connection_dropping_kinds);
	tcase_add_test(tc, readme_documents_every_kind);
	suite_add_tcase(s, tc);
	return s;
}
