/* transport.h — how the runner reaches a server: a small interface, so the runner can be tested with a fake. */
#ifndef SD_TRANSPORT_H
#define SD_TRANSPORT_H

#include <stdint.h>

#include "sftpdrill/base/err.h"
#include "sftpdrill/engine/session.h"
#include "sftpdrill/engine/sftp.h"
#include "sftpdrill/base/util.h"

/*
 * Every call the runner and the verbs make to the network. The real one
 * (sd_transport_ssh) is session.c, sftp.c and net.c; unit tests pass their
 * own. Each function has the contract of the sd_conn_* / sd_sftp_* /
 * sd_net_* function it stands for (see session.h, sftp.h, net.h).
 */
struct sd_transport {
	struct sd_conn *(*open)(const struct sd_conn_opts *o, int64_t step_deadline, struct sd_conn_info *info,
	    struct sd_err *err);
	int (*login)(struct sd_conn *c, const struct sd_login *l, int64_t step_deadline, struct sd_err *err);
	int (*logged_in)(const struct sd_conn *c);
	const struct sd_conn_info *(*info)(const struct sd_conn *c);
	int (*list)(struct sd_conn *c, const char *dir, sd_list_fn fn, void *ctx, int64_t step_deadline,
	    struct sd_err *err);
	int (*stat)(struct sd_conn *c, const char *path, struct sd_dirent *e, int64_t step_deadline, struct sd_err *err);
	int (*download)(struct sd_conn *c, struct sd_batch *b, struct sd_err *err);
	int (*close)(struct sd_conn *c, int64_t deadline, struct sd_err *err);
	int (*resolve)(const char *host, int64_t deadline, const struct sd_cancel *cancel, struct sd_strv *out,
	    struct sd_err *err);
};

/* SSH over TCP with libssh2. */
extern const struct sd_transport sd_transport_ssh;

#endif
