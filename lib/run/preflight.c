/* preflight.c — what can be known before the first packet: the drill's files, keys and calendar. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/run/preflight.h"
#include "sftpdrill/engine/knownhosts.h"
#include "sftpdrill/engine/session.h"
#include "sftpdrill/engine/userkey.h"

/* A problem at loc: a warning, or (fatal) an error. */
static void __attribute__((format(printf, 4, 5)))
report_at(struct sd_diag *diag, const struct sd_loc *loc, int fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_diag_vreport(diag, !fatal, loc, NULL, fmt, ap);
	va_end(ap);
}

#define warn_at(diag, loc, ...) report_at(diag, loc, 0, __VA_ARGS__)

const char *
sd_identity_problem(const char *identity, char *buf, size_t len)
{
	struct stat st;

	if (strcmp(identity, "ssh-agent") == 0) {
		if (getenv("SSH_AUTH_SOCK") != NULL)
			return NULL;
		snprintf(buf, len, "identity ssh-agent, but SSH_AUTH_SOCK is not set: no agent to ask");
	} else if (stat(identity, &st) < 0 || access(identity, R_OK) < 0)
		snprintf(buf, len, "private key %s: %s", identity, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(buf, len, "private key %s is not a regular file", identity);
	else if (st.st_mode & 077)
		snprintf(buf, len, "private key %s is open to group or others (mode %03o), which OpenSSH refuses to use: "
		    "run `chmod 600 %s`", identity, (unsigned)(st.st_mode & 0777), identity);
	else
		return NULL;
	return buf;
}

/* The private key: there, a regular file, readable, and not open to others (OpenSSH refuses it then). */
static void
check_identity(const struct sd_drill *d, int fatal, struct sd_diag *diag)
{
	char why[PATH_MAX + 200];

	if (sd_identity_problem(d->identity, why, sizeof(why)) != NULL)
		report_at(diag, &d->identity_loc, fatal, "%s", why);
}

/* known_hosts: readable, every line usable, an entry for each endpoint of the target set. */
static void
check_known_hosts(const struct sd_drill *d, struct sd_diag *diag)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, d->target);

	for (size_t i = 0; set && i < set->n; i++) {
		struct sd_known k;
		struct sd_err err;

		if (sd_known_load(d->known_hosts, set->v[i].host, set->v[i].port, &k, &err) < 0) {
			warn_at(diag, &d->known_hosts_loc, "%s", err.msg);
			return;
		}
		/* Line problems are the same for every endpoint: report them once. */
		for (size_t w = 0; i == 0 && w < k.warnings.n; w++)
			warn_at(diag, &d->known_hosts_loc, "%s", k.warnings.v[w]);
		if (k.n == 0)
			warn_at(diag, &d->known_hosts_loc, "%s has no host key for %s: the run will stop at HostKeyUnknown",
			    d->known_hosts, set->v[i].label);
		sd_known_release(&k);
	}
}

size_t
sd_drill_check_library(const struct sd_drill *d, struct sd_diag *diag)
{
	char type[64];

	if (d->identity == NULL || sd_ssh_rsa_sha2() || strcmp(d->identity, "ssh-agent") == 0 ||
	    sd_userkey_type(d->identity, type, sizeof(type)) < 0 || strcmp(type, "ssh-rsa") != 0)
		return 0;
	warn_at(diag, &d->identity_loc, "private key %s is RSA, and the libssh2 this sftpdrill runs with (%s) signs RSA "
	    "only with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse: the login will fail; build sftpdrill with "
	    "libssh2 1.11 or later (`make` does so on Debian 12)", d->identity, sd_library_versions());
	return 1;
}

size_t
sd_drill_check_files(const struct sd_drill *d, const struct sd_site *site, int preflight, struct sd_diag *diag)
{
	size_t before = diag->n;

	if (d->user && site && site->placeholder && strstr(d->user, site->placeholder))
		report_at(diag, &d->user_loc, preflight, "user is still the placeholder \"%s\": set your User ID (e.g. "
		    "-D RRS_USER=..., or RRS_USER in the environment); nothing is sent to a server with it", d->user);
	if (d->identity)
		check_identity(d, preflight, diag);
	sd_drill_check_library(d, diag);
	if (d->known_hosts)
		check_known_hosts(d, diag);
	return diag->n - before;
}

int
sd_drill_calendar(const struct sd_drill *d, const struct sd_calendar_sources *src, struct sd_calendar *cal,
    struct sd_err *err)
{
	const struct sd_strv none = { 0 }, *more = src && src->holidays ? src->holidays : &none;
	int rc = 0;

	for (size_t i = 0; i < (d ? d->holidays.n : 0) + more->n; i++) {
		const char *path = d && i < d->holidays.n ? d->holidays.v[i] : more->v[i - (d ? d->holidays.n : 0)];
		struct sd_err e;
		if (sd_calendar_load(cal, path, &e) < 0 && rc == 0) {
			*err = e;
			rc = -1;
		}
	}
	for (size_t i = 0; src && i < src->nclosures; i++)
		sd_calendar_close(cal, src->closures[i], "a declared market closure (--non-business-day)");
	return rc;
}
