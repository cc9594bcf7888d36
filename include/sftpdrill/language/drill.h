/* drill.h — the drill language: parse drill and profile files into a plain structure. */
#ifndef SD_DRILL_H
#define SD_DRILL_H

#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/base/bounds.h"
#include "sftpdrill/base/diag.h"
#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/base/util.h"
#include "sftpdrill/language/vars.h"
#include "sftpdrill/language/verb.h"

enum sd_cmp { SD_CMP_EQ, SD_CMP_GE, SD_CMP_LE };

struct sd_step {
	char *name;
	enum sd_verb verb;
	char *arg;              /* SET, DIR or DIR/PATTERN */
	char *dest;             /* download ... to DIR: backup into DIR (idempotent, SHA256SUMS) */
	enum sd_cmp cmp;        /* count */
	long long expect;       /* count: expected number */
	int expect_baseline;    /* count: compare with the last business day's manifest */
	int64_t timeout_ms;     /* whole step; 0: the drill's default */
	int retries;            /* extra attempts after a failure */
	int64_t backoff_ms;     /* wait between attempts, doubled each time */
	struct sd_loc loc;
};

struct sd_endpoint {
	char *host;
	int port;
	char label[300];        /* "host:port" */
};

struct sd_endpoint_set {
	char *name;
	struct sd_endpoint *v;
	size_t n, cap;
	struct sd_loc loc;
};

/*
 * Site policy: what the front end knows about the site that lib/ does not
 * decide (defaults for settings a drill leaves out, and what a placeholder
 * looks like). Any field may be NULL: then the setting has no default.
 */
struct sd_site {
	const char *passphrase_env; /* default `passphrase-env` */
	const char *state_dir;      /* default `baseline-dir` */
	const char *download_dir;   /* default `download-dir` */
	const char *ssh_config;     /* default `ssh-config` */
	const char *placeholder;    /* a value containing this was never set (`check` warns) */
};

struct sd_drill {
	char *name;             /* from `drill`; defaults to the file's base name */
	char *path;             /* the drill file as given */
	char *target;           /* endpoint set to run on */
	struct sd_loc target_loc;
	char *window;           /* "2023-04-15 14:30 15:30 Asia/Hong_Kong" as written, or NULL */
	struct sd_window win;   /* the same, read once (when window is not NULL) */
	char *user;
	char *identity;         /* private key file */
	char *known_hosts;
	struct sd_loc user_loc, identity_loc, known_hosts_loc;
	char *download_dir;
	char *report_dir;       /* the remote report folder (snapshot's default) */
	char *baseline_dir;     /* the state folder: manifests, key references, the backup ledger */
	char *service_desk;     /* `service-desk "TEXT"`: whom to call when the service's side may be the cause */
	char *service;          /* `service NAME`, else "endpoints-" and a hash of every endpoint: with the
	                           user ID, keys the account's state wherever the drill file lives */
	char *profile_name;     /* base name of the first *.profile included (where state lived before 0.2) */
	int business_days_only; /* `runs-on business-days`: on a closed day the run records one neutral skip */
	struct sd_strv holidays; /* holiday files, in order */
	struct sd_strv pins;    /* "HOST:PORT SHA256:..." or "* SHA256:...": accepted host keys */
	char *passphrase_env;   /* environment variable holding the key passphrase */
	char *ssh_config;       /* OpenSSH client config for `target-host ssh-config:ALIAS` */
	char *target_host;      /* for expect-target: names the participant's systems use, as written */
	struct sd_endpoint_set target_hosts; /* the same, parsed (ports ignored by expect-target) */
	int port;               /* default port for endpoints without one */
	int allow_sha1;         /* `allow-sha1 yes`: RSA host keys may be verified with SHA-1 (ssh-rsa) */
	struct sd_timeouts timeouts;
	struct sd_limits limits;
	struct sd_endpoint_set *sets;
	size_t nsets, capsets;
	struct sd_step *steps;
	size_t nsteps, capsteps;
	char **files;           /* every file read, drill first, for locations and evidence */
	char (*file_sha256)[65]; /* the SHA-256 of the bytes parsed from each, for RUN-INFO */
	size_t nfiles, capfiles, capsha;
	struct sd_vars vars;    /* the variables as they stood at the end of parsing */
	struct sd_strv refs;    /* names referred to with ${...} and defined nowhere (for did-you-mean) */
};

/*
 * Parse the drill at path. cmdline holds -D definitions (they override `set`
 * in files); the environment is consulted for names defined nowhere else.
 * site (may be NULL) gives the defaults of settings no file makes. Returns
 * a new drill (free with sd_drill_free) or NULL when diag holds at least one
 * error; every error found is reported, not just the first. Warnings may be
 * added either way.
 */
struct sd_drill *sd_drill_parse(const char *path, const struct sd_vars *cmdline, const struct sd_site *site,
    struct sd_diag *diag);

/* Parse from memory, path used for messages and include resolution. */
struct sd_drill *sd_drill_parse_buffer(const char *path, const char *buf, size_t len,
    const struct sd_vars *cmdline, const struct sd_site *site, struct sd_diag *diag);

/* Free a drill and everything it owns (the struct too). NULL is fine. */
void sd_drill_free(struct sd_drill *d);

/* The SHA256 pins that apply to an endpoint ("*" pins apply to all); fills out (caller frees). */
void sd_drill_pins_for(const struct sd_drill *d, const struct sd_endpoint *ep, struct sd_strv *out);

/* The endpoint set named name, or NULL. */
const struct sd_endpoint_set *sd_drill_set(const struct sd_drill *d, const char *name);

/* Operator text, e.g. ">=". */
const char *sd_cmp_name(enum sd_cmp c);

/*
 * Replace the steps with what `sftpdrill snapshot` runs: connect, login,
 * snapshot of the report folder, logout. Returns 0, or -1 when the drill
 * names no report folder.
 */
int sd_drill_make_snapshot(struct sd_drill *d);

#endif
