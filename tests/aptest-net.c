/* SPDX-License-Identifier: ISC */
/* aptest-net.c -- loopback peers for the integration tests: a listener that
 * accepts and closes (connected; --peers-file lists each client's address),
 * a bound socket that never listens
 * (refused), a listener with a full accept queue (timeout), and a recording
 * listener (record: greets, then appends what each client sends to a file,
 * so a test can count the bytes that arrived).  Prints its
 * port on stdout and runs until stdin reaches EOF, SIGTERM/SIGINT, or
 * --lifetime seconds pass, so a crashed test never leaves it behind. */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOLE_FILLERS_MAX	4	/* self-connects to fill the queue */
#define HOLE_PROBE_MS		150	/* unanswered this long: dropped */
#define RECORD_CONNS_MAX	64	/* record: clients served at once */
#define RECORD_DATA_MAX		65536	/* record: bytes kept per client */

enum mode { MODE_ACCEPT, MODE_REFUSE, MODE_HOLE, MODE_RECORD };

struct config {
	enum mode	 mode;
	int		 family;		/* AF_INET or AF_INET6 */
	const char	*host;			/* NULL: the loopback address */
	unsigned	 port;			/* 0: the kernel picks */
	const char	*count_file;		/* accept count written here */
	FILE		*peers;			/* accept: client addresses */
	int		 ignore_stdin;		/* run until a signal only */
	long		 lifetime_s;		/* hard stop */
	const char	*record_file;		/* record: data appended here */
	char		*greet;			/* record: sent first */
	size_t		 greet_len;
	int		 idle_ms;		/* record: idle: hang up */
	int		 close_after_greet;	/* record: hang up at once */
};

/* record: one client being served. */
struct client {
	int		 fd;			/* -1: free slot */
	int64_t		 last_ms;		/* last data (or accept) */
	size_t		 len;
	char		*data;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: aptest-net accept|refuse|hole|record [--v6] "
	    "[--host ADDR] [--port P] [--count-file FILE] [--peers-file FILE] "
	    "[--lifetime SEC] [--ignore-stdin] [--record-file FILE] "
	    "[--greet TEXT] [--idle MS] [--close]\n");
	exit(2);
}

static long
parse_num(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "aptest-net: bad number '%s'\n", s);
		exit(2);
	}
	return (v);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Fill ss from the configured host (or loopback) and port. */
static socklen_t
make_addr(const struct config *cf, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*host;

	memset(ss, 0, sizeof(*ss));
	if (cf->family == AF_INET6) {
		host = cf->host != NULL ? cf->host : "::1";
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		return (sizeof(*sin6));
	}
	host = cf->host != NULL ? cf->host : "127.0.0.1";
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	return (sizeof(*sin));
bad:
	fprintf(stderr, "aptest-net: bad address '%s'\n", host);
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "aptest-net: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Connect to the server's own address; 1 connected (fd kept in *out), 0 no
 * answer within ms, -1 any other outcome. */
static int
self_connect(const struct config *cf, unsigned port, int ms, int *out)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	socklen_t		 len, elen;
	int			 fd, r, err = 0;

	len = make_addr(cf, port, &ss);
	fd = socket(cf->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return (-1);
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		r = poll(&pfd, 1, ms);
	while (r == -1 && errno == EINTR && !stop);
	if (r == 1) {
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			err = errno;
		if (err == 0) {
			*out = fd;
			return (1);
		}
	}
	close(fd);
	return (r == 0 ? 0 : -1);
}

static void
report_count(const struct config *cf, unsigned long n)
{
	FILE	*fp;

	fprintf(stderr, "accepted %lu\n", n);
	if (cf->count_file == NULL)
		return;
	if ((fp = fopen(cf->count_file, "w")) == NULL)
		die(cf->count_file);
	fprintf(fp, "%lu\n", n);
	if (fclose(fp) == EOF)
		die(cf->count_file);
}

/* accept: take every queued connection and close it, noting the client's
 * address with --peers-file.  The number taken. */
static unsigned long
accept_all(const struct config *cf, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	unsigned long		 n = 0;
	char			 text[NI_MAXHOST];
	int			 c;

	while ((c = accept4(fd, (struct sockaddr *)&ss, &len,
	    SOCK_CLOEXEC)) != -1) {
		n++;
		close(c);
		if (cf->peers != NULL && getnameinfo((struct sockaddr *)&ss,
		    len, text, sizeof(text), NULL, 0, NI_NUMERICHOST) == 0)
			fprintf(cf->peers, "%s\n", text);
		len = sizeof(ss);
	}
	return (n);
}

/* Decode the C escapes \r \n \t \\ \0 and \xHH of --greet. */
static char *
unescape(const char *in, size_t *outlen)
{
	char		*out, *o;
	unsigned	 v;

	if ((o = out = malloc(strlen(in) + 1)) == NULL)
		die("malloc");
	for (; *in != '\0'; in++) {
		if (*in != '\\') {
			*o++ = *in;
			continue;
		}
		switch (*++in) {
		case 'r':
			*o++ = '\r';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case '0':
			*o++ = '\0';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case 'x':
			if (sscanf(in + 1, "%2x", &v) != 1)
				goto bad;
			*o++ = (char)v;
			in += 2;
			break;
		default:
			goto bad;
		}
	}
	*outlen = (size_t)(o - out);
	return (out);
bad:
	fprintf(stderr, "aptest-net: bad escape in --greet\n");
	exit(2);
}

/* record: append what the client sent (possibly nothing) and close. */
static void
client_end(const struct config *cf, struct client *cl)
{
	int	fd;

	if (cl->len > 0 && cf->record_file != NULL) {
		fd = open(cf->record_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644);
		if (fd == -1)
			die(cf->record_file);
		if (write(fd, cl->data, cl->len) != (ssize_t)cl->len)
			die("write");
		close(fd);
	}
	close(cl->fd);
	free(cl->data);
	cl->data = NULL;
	cl->fd = -1;
	cl->len = 0;
}

/* record: read what is there; 1 when the client is done (EOF, error). */
static int
client_read(struct client *cl)
{
	ssize_t	n;

	for (;;) {
		if (cl->len == RECORD_DATA_MAX)
			return (1);
		n = read(cl->fd, cl->data + cl->len, RECORD_DATA_MAX - cl->len);
		if (n > 0) {
			cl->len += (size_t)n;
			cl->last_ms = now_ms();
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return (0);
		return (1);	/* EOF, or a reset after the data */
	}
}

/* record: take a new client, greet it, maybe hang up at once. */
static void
client_start(const struct config *cf, struct client *cl, int c)
{
	cl->fd = c;
	cl->len = 0;
	cl->last_ms = now_ms();
	if ((cl->data = malloc(RECORD_DATA_MAX)) == NULL)
		die("malloc");
	if (cf->greet_len > 0 &&
	    write(c, cf->greet, cf->greet_len) != (ssize_t)cf->greet_len)
		fprintf(stderr, "aptest-net: greet: %s\n", strerror(errno));
	if (cf->close_after_greet) {
		(void)client_read(cl);
		client_end(cf, cl);
	}
}

/* record: serve clients until stopped; what is left is read and kept. */
static unsigned long
record_loop(const struct config *cf, int fd, int64_t end_ms)
{
	struct client	cl[RECORD_CONNS_MAX];
	struct pollfd	pfd[2 + RECORD_CONNS_MAX];
	unsigned long	accepted = 0;
	int64_t		now;
	int		i, c, r, nfree;
	char		buf[256];

	for (i = 0; i < RECORD_CONNS_MAX; i++)
		cl[i].fd = -1;
	while (!stop && now_ms() < end_ms) {
		nfree = 0;
		for (i = 0; i < RECORD_CONNS_MAX; i++) {
			pfd[2 + i].fd = cl[i].fd;
			pfd[2 + i].events = POLLIN;
			pfd[2 + i].revents = 0;
			if (cl[i].fd == -1)
				nfree++;
		}
		pfd[0].fd = cf->ignore_stdin ? -1 : STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = nfree > 0 ? fd : -1;
		pfd[1].events = POLLIN;
		r = poll(pfd, 2 + RECORD_CONNS_MAX, 20);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents != 0) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN))
				break;
		}
		now = now_ms();
		for (i = 0; i < RECORD_CONNS_MAX; i++) {
			if (cl[i].fd == -1)
				continue;
			if ((pfd[2 + i].revents != 0 && client_read(&cl[i])) ||
			    now - cl[i].last_ms >= cf->idle_ms)
				client_end(cf, &cl[i]);
		}
		for (i = 0; i < RECORD_CONNS_MAX && (pfd[1].revents & POLLIN);
		    i++) {
			if (cl[i].fd != -1)
				continue;
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC |
			    SOCK_NONBLOCK);
			if (c == -1)
				break;
			accepted++;
			client_start(cf, &cl[i], c);
		}
	}
	/* Stopped: clients still queued or open keep what they sent. */
	for (i = 0; i < RECORD_CONNS_MAX; i++)
		if (cl[i].fd != -1) {
			(void)client_read(&cl[i]);
			client_end(cf, &cl[i]);
		}
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) != -1) {
		accepted++;
		cl[0].fd = c;
		cl[0].len = 0;
		if ((cl[0].data = malloc(RECORD_DATA_MAX)) == NULL)
			die("malloc");
		(void)client_read(&cl[0]);
		client_end(cf, &cl[0]);
	}
	return (accepted);
}

int
main(int argc, char **argv)
{
	struct config		 cf;
	struct sockaddr_storage	 ss;
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	socklen_t		 len;
	unsigned long		 accepted = 0;
	unsigned		 port;
	int			 fd, i, r, one = 1;
	int			 fillers[HOLE_FILLERS_MAX], nfillers = 0, probe;
	int64_t			 end_ms;
	char			 buf[256];

	memset(&cf, 0, sizeof(cf));
	cf.family = AF_INET;
	cf.lifetime_s = 300;
	cf.idle_ms = 500;
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "accept") == 0)
		cf.mode = MODE_ACCEPT;
	else if (strcmp(argv[1], "refuse") == 0)
		cf.mode = MODE_REFUSE;
	else if (strcmp(argv[1], "hole") == 0)
		cf.mode = MODE_HOLE;
	else if (strcmp(argv[1], "record") == 0)
		cf.mode = MODE_RECORD;
	else
		usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--v6") == 0)
			cf.family = AF_INET6;
		else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
			cf.host = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			cf.port = (unsigned)parse_num(argv[++i], 0, 65535);
		else if (strcmp(argv[i], "--count-file") == 0 && i + 1 < argc)
			cf.count_file = argv[++i];
		else if (strcmp(argv[i], "--peers-file") == 0 && i + 1 < argc) {
			if ((cf.peers = fopen(argv[++i], "w")) == NULL)
				die(argv[i]);
		} else if (strcmp(argv[i], "--ignore-stdin") == 0)
			cf.ignore_stdin = 1;	/* sh & gives /dev/null */
		else if (strcmp(argv[i], "--count") == 0)
			continue;	/* the count is always reported */
		else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			cf.lifetime_s = parse_num(argv[++i], 1, 86400);
		else if (strcmp(argv[i], "--record-file") == 0 && i + 1 < argc)
			cf.record_file = argv[++i];
		else if (strcmp(argv[i], "--greet") == 0 && i + 1 < argc)
			cf.greet = unescape(argv[++i], &cf.greet_len);
		else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc)
			cf.idle_ms = (int)parse_num(argv[++i], 1, 3600000);
		else if (strcmp(argv[i], "--close") == 0)
			cf.close_after_greet = 1;
		else
			usage();
	}
	/* An IPv6 --host implies --v6. */
	if (cf.host != NULL && strchr(cf.host, ':') != NULL)
		cf.family = AF_INET6;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = socket(cf.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	if (cf.family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		die("IPV6_V6ONLY");
	len = make_addr(&cf, cf.port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		die("bind");
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		die("getsockname");
	port = cf.family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);

	if ((cf.mode == MODE_ACCEPT || cf.mode == MODE_RECORD) &&
	    listen(fd, INT_MAX) == -1)
		die("listen");
	if (cf.mode == MODE_HOLE) {
		/* Backlog 0 still queues one connection; once the queue is
		 * full the kernel drops further SYNs, so a connect gets no
		 * answer at all.  Fill it, then prove a probe goes unanswered
		 * (a probe that does connect becomes one more filler). */
		if (listen(fd, 0) == -1)
			die("listen");
		for (;;) {
			if (nfillers == HOLE_FILLERS_MAX) {
				fprintf(stderr, "aptest-net: queue never "
				    "filled\n");
				return (1);
			}
			r = self_connect(&cf, port, HOLE_PROBE_MS, &probe);
			if (r == 0)
				break;
			if (r == -1) {
				fprintf(stderr, "aptest-net: hole self-connect "
				    "failed\n");
				return (1);
			}
			fillers[nfillers++] = probe;
		}
		if (nfillers == 0) {
			fprintf(stderr, "aptest-net: first connect got no "
			    "answer\n");
			return (1);
		}
	}

	printf("%u\n", port);
	if (fflush(stdout) == EOF)
		die("stdout");

	end_ms = now_ms() + cf.lifetime_s * 1000;
	if (cf.mode == MODE_RECORD) {
		accepted = record_loop(&cf, fd, end_ms);
		close(fd);
		free(cf.greet);
		report_count(&cf, accepted);
		return (0);
	}
	pfd[0].fd = cf.ignore_stdin ? -1 : STDIN_FILENO;
	pfd[0].events = POLLIN;
	/* Only accept polls its socket: a bound socket that never listens
	 * (refuse) polls as POLLHUP at once, every time, and the loop would
	 * spin on a core for as long as the peer lives. */
	pfd[1].fd = cf.mode == MODE_ACCEPT ? fd : -1;
	pfd[1].events = POLLIN;
	while (!stop && now_ms() < end_ms) {
		r = poll(pfd, 2, 1000);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents != 0) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN))
				break;
		}
		if (pfd[1].revents & POLLIN) {
			/* Drain the whole queue: a burst of 5000 connects
			 * must not wait for one poll() round each. */
			accepted += accept_all(&cf, fd);
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				fprintf(stderr, "aptest-net: accept: %s\n",
				    strerror(errno));
		}
	}

	/* Connections the kernel completed before the stop count too: the
	 * test asks right after the client is done, and the client may have
	 * been quicker than this loop. */
	if (cf.mode == MODE_ACCEPT)
		accepted += accept_all(&cf, fd);
	for (i = 0; i < nfillers; i++)
		close(fillers[i]);
	close(fd);
	if (cf.peers != NULL && fclose(cf.peers) == EOF)
		die("peers file");
	if (cf.mode == MODE_ACCEPT)
		report_count(&cf, accepted);
	return (0);
}
