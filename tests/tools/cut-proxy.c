/*
 * cut-proxy — a TCP relay for fault tests: a connection cut in the middle of a download,
 * or a slow link.
 *
 *   cut-proxy LISTEN-ADDR LISTEN-PORT TARGET-ADDR TARGET-PORT SECONDS [cut=BYTES] [rate=BYTES-PER-SECOND]
 *
 * Relays both directions; with cut=, resets both sides once BYTES have gone from the target to
 * the client; with rate=, relays target-to-client bytes no faster than that. Prints "ready"
 * once listening and exits after SECONDS, so a forgotten one cannot outlive its test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcp.h"

#define MAX_PAIRS 16

struct pair {
	int client, server;
	long long down;         /* bytes target -> client so far */
	double budget;          /* bytes we may still send under rate= */
};

/* Close with a reset, as a cut cable or a dropped NAT entry looks to the peer. */
static void
cut(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int
main(int argc, char **argv)
{
	struct pair pairs[MAX_PAIRS];
	long long cut_after = -1;
	double rate = 0, end, last;
	int lfd, npairs = 0;
	char buf[16384];

	/* A client killed mid-transfer must end its pair, not the proxy. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 6) {
		fprintf(stderr, "usage: cut-proxy LISTEN-ADDR LISTEN-PORT TARGET-ADDR TARGET-PORT SECONDS [cut=N] [rate=N]\n");
		return 2;
	}
	for (int i = 6; i < argc; i++) {
		if (strncmp(argv[i], "cut=", 4) == 0)
			cut_after = atoll(argv[i] + 4);
		else if (strncmp(argv[i], "rate=", 5) == 0)
			rate = atof(argv[i] + 5);
	}
	if ((lfd = tool_tcp(argv[1], atoi(argv[2]), 1, 0)) < 0) {
		perror("cut-proxy: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	end = tool_now() + atof(argv[5]);
	last = tool_now();
	while (tool_now() < end) {
		struct pollfd p[1 + 2 * MAX_PAIRS];
		int n = 0;
		double t = tool_now();

		for (int i = 0; i < npairs; i++) {
			pairs[i].budget += rate * (t - last);
			if (pairs[i].budget > rate)
				pairs[i].budget = rate;     /* at most a second's worth in a burst */
		}
		last = t;
		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < npairs; i++) {
			p[n++] = (struct pollfd){ .fd = pairs[i].client, .events = POLLIN };
			p[n++] = (struct pollfd){ .fd = pairs[i].server,
				.events = (rate <= 0 || pairs[i].budget >= 1) ? POLLIN : 0 };
		}
		if (poll(p, (nfds_t)n, 20) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && npairs < MAX_PAIRS) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), s;
			if (c >= 0 && (s = tool_tcp(argv[3], atoi(argv[4]), 0, 0)) >= 0)
				pairs[npairs++] = (struct pair){ c, s, 0, rate };
			else if (c >= 0)
				close(c);
		}
		for (int i = npairs - 1; i >= 0; i--) {
			struct pair *pr = &pairs[i];
			short up = p[1 + 2 * i].revents, down = p[2 + 2 * i].revents;
			int dead = 0;
			ssize_t r;

			if (up & (POLLIN | POLLHUP | POLLERR)) {
				r = read(pr->client, buf, sizeof(buf));
				dead |= r <= 0 || write(pr->server, buf, (size_t)r) != r;
			}
			if (!dead && (down & (POLLIN | POLLHUP | POLLERR))) {
				size_t want = sizeof(buf);
				if (rate > 0 && pr->budget < (double)want)
					want = pr->budget < 1 ? 1 : (size_t)pr->budget;
				if (cut_after >= 0 && (long long)want > cut_after - pr->down)
					want = (size_t)(cut_after - pr->down);
				r = want ? read(pr->server, buf, want) : 0;
				dead |= r <= 0 || write(pr->client, buf, (size_t)r) != r;
				if (r > 0) {
					pr->down += r;
					pr->budget -= (double)r;
				}
				if (cut_after >= 0 && pr->down >= cut_after)
					dead = 1;
			}
			if (dead) {
				cut(pr->client);
				cut(pr->server);
				pairs[i] = pairs[--npairs];
			}
		}
	}
	for (int i = 0; i < npairs; i++) {
		close(pairs[i].client);
		close(pairs[i].server);
	}
	close(lfd);
	return 0;
}
