/*
 * link-emu — a TCP relay that behaves like a line to a distant server, for benchmarks and tests
 * (this kernel has no netem): every byte is held for a one-way delay in each direction, and each
 * direction is paced to a rate, as a router queue at the line's speed would. The line is one: all
 * the connections through it share its rate (a client that opens eight connections gets no more).
 *
 *   link-emu LISTEN-ADDR LISTEN-PORT TARGET-ADDR TARGET-PORT SECONDS rtt=MS rate=MBIT [check]
 *
 * rtt= is the round trip added (half of it each way); rate= the line's speed in Mbit/s in each
 * direction (0: unlimited). Prints "ready" once listening; exits after SECONDS so that a forgotten
 * one cannot outlive its run. With `check`, it first measures itself: a ping-pong through a second
 * copy of its own path to a local echo, and a bulk transfer, then prints
 *   "link-emu: rtt 20.4 ms (asked 20), rate 98.7 Mbit/s (asked 100): within 10%"
 * and exits 1 if either is off by more than 10% — a benchmark through a link that is not the one
 * asked for would measure the wrong thing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcp.h"

#define MAX_PAIRS 64
#define CHUNK 16384
#define QUEUE 4096              /* chunks held per direction: 64 MiB, far above any BDP asked for */

struct chunk {
	double due;             /* when it may leave: arrival + one-way delay, paced by the rate */
	size_t len, off;
	char *data;
};

/* One direction of one connection: bytes read from `from`, held, written to `to`. */
struct dir {
	int from, to;
	struct chunk q[QUEUE];
	size_t head, n;
	double *line_free;      /* when this direction of the line is free for the next byte (shared) */
	int eof;
};

struct pair {
	struct dir up, down;
	int used;
};

static double delay, bytes_per_s;
static double up_free, down_free;       /* the line's two directions, shared by every connection */

/* Read what is there into the queue, stamped with when it may leave. */
static int
take(struct dir *d)
{
	struct chunk *c;
	ssize_t r;
	double t = tool_now(), leave;

	if (d->n == QUEUE)
		return 0;
	c = &d->q[(d->head + d->n) % QUEUE];
	if (c->data == NULL && (c->data = malloc(CHUNK)) == NULL)
		return -1;
	r = read(d->from, c->data, CHUNK);
	if (r <= 0)
		return -1;
	/* The line carries one chunk after another at its rate; then the delay of the distance. */
	leave = t > *d->line_free ? t : *d->line_free;
	if (bytes_per_s > 0)
		leave += (double)r / bytes_per_s;
	*d->line_free = leave;
	c->due = leave + delay;
	c->len = (size_t)r;
	c->off = 0;
	d->n++;
	return 0;
}

/* Write what is due. -1 when the peer is gone. */
static int
give(struct dir *d)
{
	double t = tool_now();

	while (d->n > 0 && d->q[d->head].due <= t) {
		struct chunk *c = &d->q[d->head];
		ssize_t w = write(d->to, c->data + c->off, c->len - c->off);
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		c->off += (size_t)w;
		if (c->off < c->len)
			return 0;
		d->head = (d->head + 1) % QUEUE;
		d->n--;
	}
	return 0;
}

static double
next_due(const struct dir *d)
{
	return d->n ? d->q[d->head].due : 1e18;
}

static void
pair_close(struct pair *p)
{
	close(p->up.from);
	close(p->down.from);
	for (size_t i = 0; i < QUEUE; i++) {
		free(p->up.q[i].data);
		free(p->down.q[i].data);
	}
	memset(p, 0, sizeof(*p));
}

/* Relay until `end`. */
static void
relay(int lfd, const char *taddr, int tport, double end)
{
	static struct pair pairs[MAX_PAIRS];

	while (tool_now() < end) {
		struct pollfd p[1 + 2 * MAX_PAIRS];
		int idx[2 * MAX_PAIRS], n = 0, timeout;
		double soonest = end;

		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_PAIRS; i++) {
			struct pair *pr = &pairs[i];
			if (!pr->used)
				continue;
			soonest = next_due(&pr->up) < soonest ? next_due(&pr->up) : soonest;
			soonest = next_due(&pr->down) < soonest ? next_due(&pr->down) : soonest;
			idx[n - 1] = i;
			p[n++] = (struct pollfd){ .fd = pr->up.from, .events = !pr->up.eof && pr->up.n < QUEUE ? POLLIN : 0 };
			idx[n - 1] = i;
			p[n++] = (struct pollfd){ .fd = pr->down.from, .events = !pr->down.eof && pr->down.n < QUEUE ? POLLIN : 0 };
		}
		timeout = (int)((soonest - tool_now()) * 1000.0);
		if (poll(p, (nfds_t)n, timeout < 0 ? 0 : timeout > 50 ? 50 : timeout) < 0 && errno != EINTR)
			return;
		if (p[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), s, one = 1, slot = -1;
			for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
				slot = pairs[i].used ? -1 : i;
			if (c >= 0 && slot >= 0 && (s = tool_tcp(taddr, tport, 0, 1)) >= 0) {
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				pairs[slot] = (struct pair){ .up = { .from = c, .to = s, .line_free = &up_free },
					.down = { .from = s, .to = c, .line_free = &down_free }, .used = 1 };
			} else if (c >= 0)
				close(c);
		}
		for (int k = 1; k < n; k++) {
			struct pair *pr = &pairs[idx[k - 1]];
			struct dir *d = (k % 2) ? &pr->up : &pr->down;
			if (pr->used && (p[k].revents & (POLLIN | POLLHUP | POLLERR)) && take(d) < 0)
				d->eof = 1;
		}
		for (int i = 0; i < MAX_PAIRS; i++) {
			struct pair *pr = &pairs[i];
			if (!pr->used)
				continue;
			if (give(&pr->up) < 0 || give(&pr->down) < 0 || (pr->up.eof && pr->up.n == 0) ||
			    (pr->down.eof && pr->down.n == 0))
				pair_close(pr);
		}
	}
}

struct self {
	int lfd;
	int port;
};

/* The check's far end: echo one byte per ping; then swallow the bulk and say when it ended. */
static void *
far_end(void *arg)
{
	struct self *s = arg;
	int c = accept(s->lfd, NULL, NULL);
	char buf[CHUNK];
	ssize_t r;

	while (c >= 0 && (r = read(c, buf, sizeof(buf))) > 0) {
		if (r == 1 && buf[0] == 'p') {
			if (write(c, "p", 1) != 1)
				break;
		} else if (buf[r - 1] == 'E') {
			(void)!write(c, "E", 1);
		}
	}
	if (c >= 0)
		close(c);
	return NULL;
}

/* Measure the path through a relay to a local echo: the median ping and the bulk rate up. */
static int
self_check(double rtt_ms, double mbit)
{
	struct self far = { 0 };
	pthread_t t1;
	pid_t relay_pid;
	int lfd, cfd, ok = 1;
	double pings[9], t0, mbit_got, bulk = mbit > 0 ? mbit * 1e6 / 8 * 2.0 : 64e6;
	char one = 'p', *big = calloc(1, CHUNK);

	far.lfd = tool_tcp("127.0.0.1", 0, 1, 1);
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	getsockname(far.lfd, (struct sockaddr *)&sa, &sl);
	far.port = ntohs(sa.sin_port);
	lfd = tool_tcp("127.0.0.1", 0, 1, 1);
	sl = sizeof(sa);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	pthread_create(&t1, NULL, far_end, &far);
	if ((relay_pid = fork()) == 0) {
		relay(lfd, "127.0.0.1", far.port, tool_now() + 30);
		_exit(0);
	}
	close(lfd);
	cfd = tool_tcp("127.0.0.1", ntohs(sa.sin_port), 0, 1);
	for (int i = 0; i < 9 && cfd >= 0; i++) {
		t0 = tool_now();
		if (write(cfd, &one, 1) != 1 || read(cfd, &one, 1) != 1)
			return 1;
		pings[i] = (tool_now() - t0) * 1000.0;
	}
	for (int i = 0; i < 9; i++)
		for (int k = i + 1; k < 9; k++)
			if (pings[k] < pings[i]) {
				double x = pings[i];
				pings[i] = pings[k];
				pings[k] = x;
			}
	t0 = tool_now();
	for (double sent = 0; sent < bulk; sent += CHUNK)
		if (write(cfd, big, CHUNK) != CHUNK)
			return 1;
	big[0] = 'E';
	if (write(cfd, big, 1) != 1 || read(cfd, &one, 1) != 1)
		return 1;
	/* The last byte's one-way trip and the echo's way back are not the line's rate. */
	mbit_got = bulk * 8 / 1e6 / (tool_now() - t0 - rtt_ms / 1000.0);
	if (rtt_ms > 0 && (pings[4] < rtt_ms * 0.9 || pings[4] > rtt_ms * 1.1))
		ok = 0;
	if (mbit > 0 && (mbit_got < mbit * 0.9 || mbit_got > mbit * 1.1))
		ok = 0;
	printf("link-emu: rtt %.1f ms (asked %.0f), rate %.1f Mbit/s (asked %.0f): %s\n", pings[4], rtt_ms, mbit_got, mbit,
	    ok ? "within 10%" : "OFF BY MORE THAN 10%");
	close(cfd);
	pthread_join(t1, NULL);
	kill(relay_pid, SIGTERM);
	waitpid(relay_pid, NULL, 0);
	close(far.lfd);
	free(big);
	return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	double rtt_ms = 0, mbit = 0;
	int lfd, check = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 6) {
		fprintf(stderr, "usage: link-emu LISTEN-ADDR LISTEN-PORT TARGET-ADDR TARGET-PORT SECONDS rtt=MS rate=MBIT [check]\n");
		return 2;
	}
	for (int i = 6; i < argc; i++) {
		if (strncmp(argv[i], "rtt=", 4) == 0)
			rtt_ms = atof(argv[i] + 4);
		else if (strncmp(argv[i], "rate=", 5) == 0)
			mbit = atof(argv[i] + 5);
		else if (strcmp(argv[i], "check") == 0)
			check = 1;
	}
	delay = rtt_ms / 2000.0;
	bytes_per_s = mbit * 1e6 / 8;
	if (check && self_check(rtt_ms, mbit) != 0)
		return 1;
	if ((lfd = tool_tcp(argv[1], atoi(argv[2]), 1, 1)) < 0) {
		perror("link-emu: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	relay(lfd, argv[3], atoi(argv[4]), tool_now() + atof(argv[5]));
	close(lfd);
	return 0;
}
