/* hooks.c — --on-failure / --on-success: a command told how the run ended, run with a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"

/* Wait for pid until deadline (monotonic ms); its wait status, or -1 when the deadline passed first. */
static int
wait_until(pid_t pid, int64_t deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return 0;
		if (sd_now_ms() >= deadline)
			return -1;
		nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
	}
}

/* In the child: the facts in the environment, stdin from /dev/null, then the shell. Never returns. */
static void
exec_hook(const char *cmd, const struct hook_facts *f)
{
	char status[16];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* Its own process group: a deadline ends the command and whatever it started. */
	setpgid(0, 0);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	snprintf(status, sizeof(status), "%d", f->exit_status);
	setenv("SFTPDRILL_RUN_DIR", f->run_dir ? f->run_dir : "", 1);
	setenv("SFTPDRILL_REPORT", f->report ? f->report : "", 1);
	setenv("SFTPDRILL_VERDICT", f->verdict, 1);
	setenv("SFTPDRILL_EXIT_STATUS", status, 1);
	setenv("SFTPDRILL_SUMMARY", f->summary, 1);
	setenv("SFTPDRILL_DRILLS", f->drills, 1);
	setenv("SFTPDRILL_BUSINESS_DATE", f->business_date, 1);
	setenv("SFTPDRILL_MODE", f->mode ? f->mode : "session", 1);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int
run_hook(const char *option, const char *cmd, const struct hook_facts *f)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sftpdrill: %s: cannot start the command: %s\n", option, strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_hook(cmd, f);
	setpgid(pid, pid);
	status = wait_until(pid, sd_now_ms() + HOOK_TIMEOUT_MS);
	if (status == -1) {
		/* Asked to stop, then made to. */
		kill(-pid, SIGTERM);
		status = wait_until(pid, sd_now_ms() + 2000);
		if (status == -1) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		fprintf(stderr, "sftpdrill: %s: the command did not finish within %d s and was stopped\n", option,
		    HOOK_TIMEOUT_MS / 1000);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "sftpdrill: %s: the command exited with status %d\n", option, WEXITSTATUS(status));
	else
		fprintf(stderr, "sftpdrill: %s: the command was killed by signal %d\n", option, WTERMSIG(status));
	return -1;
}
