/* sshconfig.c — the HostName an OpenSSH client config gives an alias. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sftpdrill/engine/hostpat.h"
#include "sftpdrill/engine/sshconfig.h"
#include "sftpdrill/base/util.h"

char *
sd_ssh_config_hostname(const char *path, const char *alias, struct sd_err *err)
{
	FILE *f = sd_fopen_regular(path, 0);
	char line[4096], *found = NULL;
	int active = 1;   /* lines before the first Host apply to every host */

	if (f == NULL) {
		sd_fail(err, SD_KIND_SSH_CONFIG_UNREADABLE, SD_PHASE_CONFIG, "cannot read OpenSSH client config %s: %s",
		    path, strerror(errno));
		return NULL;
	}
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *key, *val;
		size_t kl;

		p[strcspn(p, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		key = p;
		kl = strcspn(p, " \t=");
		val = p + kl;
		while (*val == ' ' || *val == '\t' || *val == '=')
			val++;
		if (kl == 4 && strncasecmp(key, "Host", 4) == 0)
			active = sd_host_list_match(val, " \t", alias);
		else if (kl == 5 && strncasecmp(key, "Match", 5) == 0)
			active = 0;   /* Match blocks need ssh's full evaluation; not followed */
		else if (active && kl == 8 && strncasecmp(key, "HostName", 8) == 0 && *val)
			found = sd_xstrndup(val, strcspn(val, " \t"));
	}
	fclose(f);
	return found ? found : sd_xstrdup(alias);
}
