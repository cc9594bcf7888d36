/* junit.h — write a run as JUnit XML that Jenkins, GitLab, GitHub reporters and Azure DevOps read alike. */
#ifndef SD_JUNIT_H
#define SD_JUNIT_H

#include "sftpdrill/err.h"
#include "sftpdrill/result.h"

/*
 * Write run to path: written to a temporary name in the same folder, flushed
 * and renamed, so path is either absent or complete. Returns 0 or -1 with err.
 */
int sd_junit_write(const struct sd_run *run, const char *name, const char *path, struct sd_err *err);

#endif
