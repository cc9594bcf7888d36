/* target.h — where the participant's own SFTP configuration points, against a data centre's addresses. */
#ifndef SD_TARGET_H
#define SD_TARGET_H

#include <stdint.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/engine/transport.h"
#include "sftpdrill/language/drill.h"

/* What `target-host` resolves to, and what the set's endpoints do. */
struct sd_target_check {
	struct sd_buf configured;   /* "127.152.14.121, 127.152.14.122" */
	struct sd_buf expected;     /* the same for the set */
	int matches;                /* the same addresses, order aside */
};

/*
 * Resolve the drill's `target-host` names (an `ssh-config:ALIAS` through its
 * client config) and the endpoints of set, with t's resolver, before
 * deadline. 0 with out filled, or -1 with err (ResolveFailed, ConfigError...).
 */
int sd_target_check(const struct sd_drill *d, const char *set, const struct sd_transport *t, int64_t deadline,
    const struct sd_cancel *cancel, struct sd_target_check *out, struct sd_err *err);

/* The set the drill's `expect-target` step names, else its target set. */
const char *sd_target_session_set(const struct sd_drill *d);

void sd_target_check_release(struct sd_target_check *c);

#endif
