/* wire.h — private to lib/engine/: the bytes between libssh2 and the socket. */
#ifndef SD_WIRE_H
#define SD_WIRE_H

#include <sys/types.h>

#include <libssh2.h>

struct sd_conn;

/*
 * What sftpdrill sends for libssh2 is queued in the connection, never left
 * half-sent inside libssh2: libssh2 keeps one half-sent packet per session
 * that only the very call that began it may finish, so another channel's
 * call, or a key re-exchange the server starts meanwhile, waits on it forever
 * (libssh2 issue #2110: the re-exchange is tried before the half-sent packet
 * is finished). Every packet libssh2 hands over is taken whole; the queue
 * goes to the socket as it accepts it (sd_wire_flush, called before each
 * read and by every wait). Bounded: past SD_WIRE_MAX queued bytes libssh2 is
 * told to wait (EAGAIN), as a full socket would tell it. libssh2 reaches an
 * SSH agent through the same callbacks: any socket but the connection's
 * passes straight through.
 */
#define SD_WIRE_MAX ((size_t)4 << 20)

/* libssh2's send callback (LIBSSH2_CALLBACK_SEND); *abstract is the connection. */
ssize_t sd_wire_send(libssh2_socket_t fd, const void *buf, size_t len, int flags, void **abstract);

/* libssh2's receive callback: the queue flushed first, the server's first KEXINIT noted as it passes. */
ssize_t sd_wire_recv(libssh2_socket_t fd, void *buf, size_t len, int flags, void **abstract);

/* Write what is queued, as far as the socket takes it now: 0 all gone, 1 bytes remain, -1 the socket failed. */
int sd_wire_flush(struct sd_conn *c);

/* Forget what is queued (the connection is being discarded). */
void sd_wire_release(struct sd_conn *c);

#endif
