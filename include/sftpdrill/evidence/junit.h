/* junit.h — write a run as JUnit XML that Jenkins, GitLab, GitHub reporters and Azure DevOps read alike. */
#ifndef SD_JUNIT_H
#define SD_JUNIT_H

#include "sftpdrill/base/err.h"
#include "sftpdrill/evidence/result.h"

/*
 * Write run to path (the root named by its title): written to a temporary name in the same folder, flushed
 * and renamed, so path is either absent or complete. Returns 0 or -1 with err.
 */
int sd_junit_write(const struct sd_run *run, const char *path, struct sd_err *err);

/*
 * Read a junit.xml this writer wrote back into run (empty on entry): suites
 * with their properties (drill, endpoint, target, node index from the
 * classname), cases with status, kind (by its name; a skip's is Skipped, or
 * NotABusinessDay in a closed day's suite), message, detail and time; its
 * title from the root's name. Returns 0, or -1 with err
 * (ConfigError) for a file that is not such a JUnit file.
 */
int sd_junit_read(const char *path, struct sd_run *run, struct sd_err *err);

#endif
