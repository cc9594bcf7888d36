/* net.c — name resolution and TCP connect with a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sftpdrill/engine/net.h"

/* lookup_once's answers when the deadline passed or a stop was asked: outside getaddrinfo's EAI_ codes. */
#define LOOKUP_TIMED_OUT (-100000)
#define LOOKUP_CANCELLED (-100001)

/* One asynchronous lookup; kept on the heap because glibc may still write to it after a timeout. */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char *host, service[16];
};

/*
 * getaddrinfo with a deadline: names are looked up with getaddrinfo_a and
 * waited for with gai_suspend, so a resolver that never answers cannot hold
 * a step past its deadline. Numeric addresses need no lookup at all.
 */
static int
lookup_once(const char *host, int port, int flags, int64_t deadline, const struct sd_cancel *cancel,
    struct addrinfo **res)
{
	struct lookup *l = sd_xcalloc(1, sizeof(*l));
	struct gaicb *list[1] = { &l->cb };
	int rc;

	l->host = sd_xstrdup(host);
	snprintf(l->service, sizeof(l->service), "%d", port);
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_flags = flags;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->service;
	l->cb.ar_request = &l->hints;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0)
		goto done;
	for (rc = gai_error(&l->cb); rc == EAI_INPROGRESS; rc = gai_error(&l->cb)) {
		int64_t left = sd_remaining_ms(deadline);
		struct timespec ts;

		if (left == 0 || sd_cancelled(cancel)) {
			int why = left == 0 ? LOOKUP_TIMED_OUT : LOOKUP_CANCELLED;
			if (gai_cancel(&l->cb) == EAI_NOTCANCELED)
				return why;   /* still running: glibc owns l now, so it is not freed */
			rc = why;
			break;
		}
		if (left > 1000)
			left = 1000;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc == 0)
		*res = l->cb.ar_result;
done:
	free(l->host);
	free(l);
	return rc;
}

static int
resolve(const char *host, int port, int64_t deadline, const struct sd_cancel *cancel, struct addrinfo **res,
    struct sd_err *err)
{
	unsigned char buf[sizeof(struct in6_addr)];
	int rc;

	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
		char service[16];

		snprintf(service, sizeof(service), "%d", port);
		rc = getaddrinfo(host, service, &hints, res);
	} else {
		rc = lookup_once(host, port, AI_ADDRCONFIG, deadline, cancel, res);
		/* AI_ADDRCONFIG hides loopback-only families inside a bare namespace; ask again without it. */
		if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME)
			rc = lookup_once(host, port, 0, deadline, cancel, res);
	}
	if (rc == LOOKUP_CANCELLED)
		return sd_fail(err, SD_KIND_INTERRUPTED, SD_PHASE_RESOLVE, "stopped while looking up %s", host);
	if (rc == LOOKUP_TIMED_OUT)
		return sd_fail(err, SD_KIND_RESOLVE_TIMEOUT, SD_PHASE_RESOLVE,
		    "no answer from the name resolver for %s before the deadline", host);
	if (rc != 0)
		return sd_fail(err, SD_KIND_RESOLVE_FAILED, SD_PHASE_RESOLVE, "cannot resolve %s: %s",
		    host, gai_strerror(rc));
	return 0;
}

static void
numeric(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen, int with_port)
{
	char h[NI_MAXHOST], s[NI_MAXSERV];

	if (getnameinfo(sa, len, h, sizeof(h), s, sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (!with_port)
		snprintf(out, outlen, "%s", h);
	else if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", h, s);
	else
		snprintf(out, outlen, "%s:%s", h, s);
}

/* One attempt at one address; returns fd, or -1 with errno (ETIMEDOUT at the deadline). */
static int
try_connect(const struct addrinfo *ai, int64_t deadline, const struct sd_cancel *cancel)
{
	struct pollfd pfd;
	int fd, one = 1, soerr = 0, rc;
	socklen_t slen = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		int64_t left = sd_remaining_ms(deadline);
		if (left == 0 || sd_cancelled(cancel)) {
			errno = left == 0 ? ETIMEDOUT : ECANCELED;
			goto fail;
		}
		rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (rc < 0 && errno != EINTR)
			goto fail;
		if (rc > 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}

int
sd_net_connect(const char *host, int port, int64_t deadline, const struct sd_cancel *cancel, char *peer,
    size_t peerlen, struct sd_err *err)
{
	struct addrinfo *res = NULL;
	int fd = -1, last = 0;

	if (resolve(host, port, deadline, cancel, &res, err) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = try_connect(ai, deadline, cancel);
		if (fd >= 0) {
			numeric(ai->ai_addr, ai->ai_addrlen, peer, peerlen, 1);
			break;
		}
		last = errno;
		if (last == ETIMEDOUT || last == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	switch (last) {
	case ECANCELED:
		return sd_fail(err, SD_KIND_INTERRUPTED, SD_PHASE_CONNECT, "stopped while connecting to %s port %d", host, port);
	case ECONNREFUSED:
		return sd_fail(err, SD_KIND_CONNECT_REFUSED, SD_PHASE_CONNECT,
		    "connection to %s port %d refused: nothing is listening there", host, port);
	case ETIMEDOUT:
		return sd_fail(err, SD_KIND_CONNECT_TIMEOUT, SD_PHASE_CONNECT,
		    "no answer from %s port %d before the connect deadline (a firewall dropping packets, or a wrong address)",
		    host, port);
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return sd_fail(err, SD_KIND_CONNECT_UNREACHABLE, SD_PHASE_CONNECT, "%s port %d is unreachable: %s",
		    host, port, strerror(last));
	default:
		return sd_fail(err, SD_KIND_CONNECT_FAILED, SD_PHASE_CONNECT, "cannot connect to %s port %d: %s",
		    host, port, strerror(last));
	}
}

int
sd_net_wait_banner(int fd, int64_t banner_deadline, int64_t step_deadline, const struct sd_cancel *cancel,
    struct sd_err *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t deadline = sd_deadline_min(banner_deadline, step_deadline);
	char c;
	ssize_t n;

	for (;;) {
		int64_t left = sd_remaining_ms(deadline);
		int rc;

		if (sd_cancelled(cancel))
			return sd_fail(err, SD_KIND_INTERRUPTED, SD_PHASE_BANNER, "stopped while waiting for the SSH banner");
		if (left == 0 && step_deadline != 0 && sd_remaining_ms(step_deadline) == 0)
			return sd_fail(err, SD_KIND_STEP_TIMEOUT, SD_PHASE_BANNER,
			    "the step's deadline passed while waiting for the SSH banner");
		if (left == 0)
			return sd_fail(err, SD_KIND_BANNER_TIMEOUT, SD_PHASE_BANNER,
			    "the TCP connection opened but the server sent no SSH banner before the deadline (a hung service or a proxy in the way)");
		rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (rc < 0 && errno != EINTR)
			return sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_BANNER, "poll: %s", strerror(errno));
		if (rc > 0)
			break;
	}
	/* Peek: the bytes stay for libssh2 to read as the banner. */
	n = recv(fd, &c, 1, MSG_PEEK);
	if (n <= 0)
		return sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_BANNER,
		    "the server closed the connection before sending an SSH banner%s%s",
		    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	return 0;
}

int
sd_net_resolve(const char *host, int64_t deadline, const struct sd_cancel *cancel, struct sd_strv *out,
    struct sd_err *err)
{
	struct addrinfo *res = NULL;

	if (resolve(host, 0, deadline, cancel, &res, err) < 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char a[NI_MAXHOST];
		int dup = 0;

		numeric(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), 0);
		for (size_t i = 0; i < out->n; i++)
			dup |= strcmp(out->v[i], a) == 0;
		if (!dup)
			sd_strv_push(out, a);
	}
	freeaddrinfo(res);
	return 0;
}
