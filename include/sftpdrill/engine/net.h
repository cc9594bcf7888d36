/* net.h — name resolution and TCP connect with a deadline. */
#ifndef SD_NET_H
#define SD_NET_H

#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/base/cancel.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/base/util.h"

/*
 * Connect to host:port before deadline (monotonic ms), trying each address
 * in turn. Every wait here ends early, with the kind Interrupted, once
 * cancel (may be NULL) is set. Returns a non-blocking socket and fills peer with the address
 * actually connected ("addr:port"), or -1 with err type ConnectRefused,
 * ConnectTimeout, ConnectUnreachable, ResolveFailed or ResolveTimeout (the
 * name lookup shares the connect deadline).
 */
int sd_net_connect(const char *host, int port, int64_t deadline, const struct sd_cancel *cancel, char *peer,
    size_t peerlen, struct sd_err *err);

/*
 * Wait until fd is readable (the server spoke) before the banner deadline
 * and the step's. Returns 0, or -1 with err kind BannerTimeout, StepTimeout
 * (the step's deadline came first) or ConnectionClosed.
 */
int sd_net_wait_banner(int fd, int64_t banner_deadline, int64_t step_deadline, const struct sd_cancel *cancel,
    struct sd_err *err);

/*
 * Append every address host resolves to (numeric form, deduplicated) to out,
 * before deadline (ResolveTimeout otherwise; ResolveFailed for no such name).
 */
int sd_net_resolve(const char *host, int64_t deadline, const struct sd_cancel *cancel, struct sd_strv *out,
    struct sd_err *err);

#endif
