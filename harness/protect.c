/* protect.c — keeping secrets out of places other users can read: the command line, the environment, core dumps. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "sftpdrill/base/util.h"
#include "cli.h"

#if defined(__SANITIZE_ADDRESS__)
#define LOCKS_MEMORY 0          /* the sanitizer's shadow memory is terabytes of address space */
#else
#define LOCKS_MEMORY 1
#endif

void
cli_protect_process(void)
{
	struct rlimit none = { 0, 0 }, lock;

	/* A core dump would hold the decrypted key; so would another process reading this one's memory. */
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Never swapped out either, where the system allows it: pages locked as they are touched. */
	if (LOCKS_MEMORY && getrlimit(RLIMIT_MEMLOCK, &lock) == 0 && lock.rlim_cur == RLIM_INFINITY)
		mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
}

/* The value of -D's argument "NAME=VALUE" when NAME is name; NULL otherwise. */
static char *
value_for(char *arg, const char *name)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 && arg[len] == '=' ? arg + len + 1 : NULL;
}

/* Every -D argument on the command line as given: "-D", "NAME=V"; "-DNAME=V"; "--define=NAME=V"; "--define", "NAME=V". */
static char *
define_arg(char **argv, int argc, int *i)
{
	char *a = argv[*i];

	if ((strcmp(a, "-D") == 0 || strcmp(a, "--define") == 0) && *i + 1 < argc)
		return argv[++*i];
	if (strncmp(a, "-D", 2) == 0 && a[2] != '\0' && a[1] != '-')
		return a + 2;
	if (strncmp(a, "--define=", 9) == 0)
		return a + 9;
	return NULL;
}

int
cli_guard_argv(struct cli *c, const struct sd_vars *vars, void (*warn)(void *ctx, const char *msg), void *ctx)
{
	int found = 0;

	for (size_t k = 0; k < vars->n; k++) {
		const struct sd_var *v = &vars->v[k];
		int said = 0;

		if (!v->secret || v->origin != SD_VAR_CMDLINE)
			continue;
		for (int i = 1; i < c->argc; i++) {
			char *arg = define_arg(c->argv, c->argc, &i), *value = arg ? value_for(arg, v->name) : NULL;
			if (value == NULL || value[0] == '@' || value[0] == '\0')
				continue;
			if (!said++) {
				char *msg = sd_xasprintf("-D %s: a secret's value on the command line can be read by every local "
				    "user while sftpdrill runs (ps, /proc/PID/cmdline); give it as -D %s=@FILE (a file only you can "
				    "read) or in the environment; it was blanked from the command line now", v->name, v->name);
				warn(ctx, msg);
				free(msg);
				found++;
			}
			/* What ps shows from now on: the length, not the value. */
			memset(value, '*', strlen(value));
		}
	}
	return found;
}

char *
cli_read_value(const char *path, char *why, size_t len)
{
	FILE *f = sd_fopen_regular(path, 0);
	char *text = NULL;
	size_t n = 0;

	if (f == NULL) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	text = sd_xcalloc(1, 65537);
	n = fread(text, 1, 65536, f);
	if (!feof(f)) {
		snprintf(why, len, "%s is over 64 KiB: not a value", path);
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	/* One trailing line break is the file's, not the value's. */
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (n > 0 && text[n - 1] == '\r')
		text[--n] = '\0';
	return text;
}

void
cli_forget_env(const char *name)
{
	char *value = name ? getenv(name) : NULL;

	/* The environment block is this process's own memory, shown by /proc/PID/environ: wiped, then dropped. */
	if (value != NULL)
		explicit_bzero(value, strlen(value));
	if (name != NULL)
		unsetenv(name);
}
