/* hostpat.c — OpenSSH host patterns. */
#include <ctype.h>
#include <string.h>

#include "sftpdrill/engine/hostpat.h"

int
sd_host_pattern_match(const char *name, const char *pat)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative glob with one backtrack point: linear in practice, never recursive. */
	while (*name) {
		if (*pat == '*') {
			star = pat++;
			resume = name;
		} else if (*pat == '?' || (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*name))) {
			pat++;
			name++;
		} else if (star) {
			pat = star + 1;
			name = ++resume;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Does the pattern p[0..len) match name? */
static int
match_n(const char *p, size_t len, const char *name)
{
	char pat[1025];

	if (len >= sizeof(pat))
		return 0;
	memcpy(pat, p, len);
	pat[len] = '\0';
	return sd_host_pattern_match(name, pat);
}

int
sd_host_list_match(const char *list, const char *seps, const char *name)
{
	int hit = 0;

	while (*list) {
		size_t len = strcspn(list, seps);
		int neg = list[0] == '!';

		if (len > (size_t)neg && match_n(list + neg, len - (size_t)neg, name)) {
			if (neg)
				return 0;
			hit = 1;
		}
		list += len;
		list += strspn(list, seps);
	}
	return hit;
}
