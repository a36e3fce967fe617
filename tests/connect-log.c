/* SPDX-License-Identifier: ISC */
/* connect-log.c -- an LD_PRELOAD shim for the combination test
 * (tests/combo.py): every connect() on a TCP socket is appended to the file
 * named by $APTEST_CONNECT_LOG as one line
 *
 *	MONOTONIC_NS FAMILY ADDRESS PORT ERRNO
 *
 * stamped just before the real call, so the test can see each connect
 * attempt the binary makes (Happy Eyeballs' extra attempts and retries too)
 * and check --rate over any window from outside.  One write() per line on
 * an O_APPEND descriptor, so the lines of several -j threads never mix; the
 * file is opened per call so no descriptor of the binary's is taken. */

#define _GNU_SOURCE	/* RTLD_NEXT */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static int
is_stream(int fd)
{
	int		type = 0;
	socklen_t	len = sizeof(type);

	return (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM);
}

/* The address as text and its port; 0 for a family not logged. */
static int
addr_text(const struct sockaddr *sa, char *buf, size_t len, unsigned *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		*port = ntohs(sin->sin_port);
		return (inet_ntop(AF_INET, &sin->sin_addr, buf,
		    (socklen_t)len) != NULL);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		*port = ntohs(sin6->sin6_port);
		return (inet_ntop(AF_INET6, &sin6->sin6_addr, buf,
		    (socklen_t)len) != NULL);
	}
	return (0);
}

static void
log_line(const char *path, const struct timespec *ts, int family,
    const char *addr, unsigned port, int err)
{
	char	line[160];
	int	n, fd;

	n = snprintf(line, sizeof(line), "%lld%09ld %d %s %u %d\n",
	    (long long)ts->tv_sec, ts->tv_nsec, family, addr, port, err);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* Nothing to do: the test sees a short log and says so. */
	}
	close(fd);
}

int
connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
	static connect_fn	 real;
	struct timespec		 ts;
	const char		*path;
	char			 addr[INET6_ADDRSTRLEN];
	unsigned		 port = 0;
	int			 r, saved, logged;

	if (real == NULL)	/* threads racing here store the same value */
		*(void **)&real = dlsym(RTLD_NEXT, "connect");
	if (real == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	path = getenv("APTEST_CONNECT_LOG");
	logged = path != NULL && sa != NULL && is_stream(fd) &&
	    addr_text(sa, addr, sizeof(addr), &port);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r = real(fd, sa, salen);
	if (logged) {
		saved = errno;
		log_line(path, &ts, sa->sa_family, addr, port,
		    r == 0 ? 0 : saved);
		errno = saved;
	}
	return (r);
}
