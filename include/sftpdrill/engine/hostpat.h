/* hostpat.h — OpenSSH host patterns, shared by known_hosts and the client config. */
#ifndef SD_HOSTPAT_H
#define SD_HOSTPAT_H

/* Wildcard match as OpenSSH does for host patterns ('*', '?', case-insensitive). */
int sd_host_pattern_match(const char *name, const char *pattern);

/*
 * Does a pattern list select name? The list is split at any of seps (","
 * in known_hosts, " \t" on a client config's Host line); a pattern with a
 * leading '!' that matches vetoes the whole list, as in OpenSSH.
 * Returns 1 or 0.
 */
int sd_host_list_match(const char *list, const char *seps, const char *name);

#endif
