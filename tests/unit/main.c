/* main.c — runs every unit-test suite; Check prints the summary line the CI reads. */
#include <check.h>
#include <stdlib.h>

Suite *drill_suite(void);
Suite *knownhosts_suite(void);
Suite *util_suite(void);
Suite *junit_suite(void);
Suite *calendar_suite(void);
Suite *kind_suite(void);
Suite *runner_suite(void);
Suite *roster_suite(void);

int
main(void)
{
	SRunner *sr = srunner_create(drill_suite());
	int failed;

	srunner_add_suite(sr, knownhosts_suite());
	srunner_add_suite(sr, util_suite());
	srunner_add_suite(sr, junit_suite());
	srunner_add_suite(sr, calendar_suite());
	srunner_add_suite(sr, kind_suite());
	srunner_add_suite(sr, runner_suite());
	srunner_add_suite(sr, roster_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
