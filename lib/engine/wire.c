/* wire.c — the send queue and the receive tap between libssh2 and the socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "wire.h"

int
sd_wire_flush(struct sd_conn *c)
{
	while (c->wire_error == 0 && c->out.len > c->out_done) {
		ssize_t n = send(c->fd, c->out.p + c->out_done, c->out.len - c->out_done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0) {
			c->wire_error = errno;
			break;
		}
		c->out_done += (size_t)n;
	}
	if (c->wire_error)
		return -1;
	sd_buf_reset(&c->out);
	c->out_done = 0;
	return 0;
}

ssize_t
sd_wire_send(libssh2_socket_t fd, const void *buf, size_t len, int flags, void **abstract)
{
	struct sd_conn *c = *abstract;
	ssize_t n;

	/* libssh2 talks to an SSH agent through the same callbacks: that socket is not the connection's. */
	if (fd != c->fd) {
		n = send(fd, buf, len, flags | MSG_NOSIGNAL);
		return n < 0 ? -errno : n;
	}
	/* A failure found while flushing earlier is libssh2's to hear now. */
	if (sd_wire_flush(c) < 0)
		return -c->wire_error;
	if (c->out.len > 0 && c->out.len - c->out_done + len > SD_WIRE_MAX)
		return -EAGAIN;
	if (sd_buf_add(&c->out, buf, len) < 0)
		return -EAGAIN;
	/* Taken whole, whatever the socket takes of it now: libssh2 never holds a half-sent packet. */
	if (sd_wire_flush(c) < 0 && c->out_done == 0)
		return -c->wire_error;
	return (ssize_t)len;
}

ssize_t
sd_wire_recv(libssh2_socket_t fd, void *buf, size_t len, int flags, void **abstract)
{
	struct sd_conn *c = *abstract;
	ssize_t n;

	/* What is queued is what the server waits for before it answers (an agent's socket is apart). */
	if (fd == c->fd)
		sd_wire_flush(c);
	n = recv(fd, buf, len, flags);
	if (n < 0)
		return -errno;
	if (n > 0 && fd == c->fd && !c->kexinit.done)
		sd_kexinit_feed(&c->kexinit, buf, (size_t)n);
	return n;
}

void
sd_wire_release(struct sd_conn *c)
{
	sd_buf_release(&c->out);
	c->out_done = 0;
}
