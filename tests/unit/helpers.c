/* helpers.c — small fixtures shared by the unit tests. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sftpdrill/base/util.h"

const char *
tmpdir_new(void)
{
	static char path[4096];
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(path, sizeof(path), "%s/sftpdrill-unit.XXXXXX", base);
	if (mkdtemp(path) == NULL)
		abort();
	return path;
}

char *
write_text(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = sd_xasprintf("%s/%s", dir, name), *parent = sd_xstrdup(path);
	FILE *f;

	/* Its folders too: a test may write a whole tree. */
	*strrchr(parent, '/') = '\0';
	sd_mkdirs(parent);
	free(parent);
	f = fopen(path, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len)
		abort();
	fclose(f);
	return path;
}

void
tmpdir_remove(const char *dir)
{
	char *cmd = sd_xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		abort();
	free(cmd);
}
