/* SPDX-License-Identifier: ISC */
/* runstat.c -- run a command and print its wall time and rusage for
 * scripts/bench:
 *
 *	runstat LIMIT_S OUT ERR COMMAND [ARG...]
 *
 * prints "wall user sys maxrss_kib exit hung" on stdout.  It exists because
 * Linux carries a process's peak RSS across fork and exec: a child of the
 * Python script would report at least the interpreter's RSS.  This small
 * exec'd program forks from its own few pages, so the figure is the
 * command's own.  The command is killed after LIMIT_S seconds. */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void
on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct sigaction	 sa = { .sa_handler = on_alarm };
	struct rusage		 ru;
	double			 t0, wall;
	pid_t			 pid;
	int			 status, fd, code, killed = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: runstat limit_s out err cmd [arg...]\n");
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid == -1) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		fd = open(argv[2], O_WRONLY|O_CREAT|O_TRUNC, 0644);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(126);
		fd = open(argv[3], O_WRONLY|O_CREAT|O_TRUNC, 0644);
		if (fd == -1 || dup2(fd, 2) == -1)
			_exit(126);
		fd = open("/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1)
			_exit(126);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	/* No SA_RESTART: the alarm must interrupt wait4(). */
	sigaction(SIGALRM, &sa, NULL);
	alarm(atoi(argv[1]) > 0 ? atoi(argv[1]) : 1);
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("wait4");
			return 2;
		}
		if (expired && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	wall = now() - t0;
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else
		code = 128 + WTERMSIG(status);
	printf("%.6f %.6f %.6f %ld %d %d\n", wall, tv(ru.ru_utime),
	    tv(ru.ru_stime), ru.ru_maxrss, code, killed);
	return 0;
}
