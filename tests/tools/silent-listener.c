/*
 * silent-listener — a TCP listener that accepts connections and never says
 * anything: the "service hung before its SSH banner" fault.
 *
 *   silent-listener ADDR PORT SECONDS
 *
 * Prints "ready" once listening; exits after SECONDS (so a forgotten one
 * cannot outlive its test) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1, held[64], nheld = 0;
	time_t end;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: silent-listener ADDR PORT SECONDS\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	end = time(NULL) + atoi(argv[3]);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		perror("silent-listener");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0) {
			int c = accept(fd, NULL, NULL);
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
