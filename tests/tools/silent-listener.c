/*
 * silent-listener — a TCP listener that accepts connections and never says
 * anything: the "service hung before its SSH banner" fault.
 *
 *   silent-listener ADDR PORT SECONDS [noaccept|udp]
 *
 * With noaccept it never accepts and fills its own accept queue first, so the kernel drops
 * every further SYN: a connect to it times out, as behind a firewall that drops packets.
 * With udp it binds a UDP port and never answers: a name server that has gone quiet.
 * Prints "ready" once listening and "accepted" for each connection (a test can count them:
 * "not one packet was sent"); exits after SECONDS (so a forgotten one
 * cannot outlive its test) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1, held[64], nheld = 0;
	time_t end;

	int noaccept = argc == 5 && strcmp(argv[4], "noaccept") == 0;
	int udp = argc == 5 && strcmp(argv[4], "udp") == 0;

	if ((argc != 4 && !noaccept && !udp) || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: silent-listener ADDR PORT SECONDS [noaccept|udp]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	end = time(NULL) + atoi(argv[3]);
	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (!udp && listen(fd, noaccept ? 0 : 16) < 0)) {
		perror("silent-listener");
		return 1;
	}
	if (noaccept) {
		/* Fill the queue (a backlog of 0 still holds one or two) with connections of our own. */
		for (int i = 0; i < 3 && nheld < 64; i++) {
			int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			connect(c, (struct sockaddr *)&sa, sizeof(sa));
			held[nheld++] = c;
		}
		usleep(200000);
	}
	printf("ready\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (noaccept || udp) {
			usleep(200000);     /* queries pile up unread; nothing is ever answered */
			continue;
		}
		if (poll(&p, 1, 200) > 0) {
			int c = accept(fd, NULL, NULL);
			if (c >= 0) {
				printf("accepted\n");
				fflush(stdout);
			}
			if (c >= 0 && nheld < 64)
				held[nheld++] = c;   /* hold it open, say nothing */
			else if (c >= 0)
				close(c);
		}
	}
	while (nheld > 0)
		close(held[--nheld]);
	return 0;
}
