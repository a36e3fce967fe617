/* SPDX-License-Identifier: ISC */
/* aptest-dns.c -- the fake DNS server (fakedns.c) as a process for the
 * integration tests: serves the table file TABLE (format in fakedns.h) on
 * 127.0.0.1 and logs every question ("TYPE name") to stderr or --log FILE
 * so tests can count them.  Prints its port on stdout; exits on stdin EOF,
 * SIGTERM/SIGINT or after --lifetime seconds.  --port binds that port
 * instead of one the kernel picks (53 inside a network namespace). */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fakedns.h"

static void
die(const char *what)
{
	fprintf(stderr, "aptest-dns: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: aptest-dns TABLE [--log FILE] "
	    "[--lifetime SEC] [--ignore-stdin] [--port PORT]\n");
	exit(2);
}

static long
parse_num(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "aptest-dns: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (v);
}

/* The whole file as a string; exits when it cannot be read. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0, n;
	char	 buf[4096];

	if ((fp = fopen(path, "r")) == NULL)
		die(path);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if ((text = realloc(text, len + n + 1)) == NULL)
			die("realloc");
		memcpy(text + len, buf, n);
		len += n;
	}
	if (ferror(fp))
		die(path);
	fclose(fp);
	if (text == NULL && (text = malloc(1)) == NULL)
		die("malloc");
	text[len] = '\0';
	return (text);
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base	*base = arg;
	char			 buf[256];
	ssize_t			 n;

	(void)what;
	if (fd == STDIN_FILENO) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0 || (n == -1 && (errno == EINTR || errno == EAGAIN)))
			return;
	}
	event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct fakedns		*dns;
	struct event		*ev_in = NULL, *ev_term, *ev_int, *ev_life;
	struct timeval		 life = { 300, 0 };
	const char		*logpath = NULL;
	char			*table, err[256];
	int			 i, ignore_stdin = 0;
	unsigned short		 bind_port = 0;
	FILE			*log = stderr;

	if (argc < 2 || argv[1][0] == '-')
		usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			logpath = argv[++i];
		else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			life.tv_sec = parse_num(argv[++i], 1, 86400,
			    "lifetime");
		else if (strcmp(argv[i], "--ignore-stdin") == 0)
			ignore_stdin = 1;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			bind_port = (unsigned short)parse_num(argv[++i], 1,
			    65535, "port");
		else
			usage();
	}
	if (logpath != NULL && (log = fopen(logpath, "a")) == NULL)
		die(logpath);
	signal(SIGPIPE, SIG_IGN);

	if ((base = event_base_new()) == NULL)
		die("event_base_new");
	table = slurp(argv[1]);
	if ((dns = fakedns_new(base, table, bind_port, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "aptest-dns: %s:%s\n", argv[1], err);
		return (2);
	}
	free(table);
	fakedns_log(dns, log);

	if (!ignore_stdin) {
		ev_in = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
		    stop_cb, base);
		if (ev_in == NULL || event_add(ev_in, NULL) == -1)
			die("stdin event");
	}
	ev_term = evsignal_new(base, SIGTERM, stop_cb, base);
	ev_int = evsignal_new(base, SIGINT, stop_cb, base);
	ev_life = evtimer_new(base, stop_cb, base);
	if (ev_term == NULL || ev_int == NULL || ev_life == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1 ||
	    evtimer_add(ev_life, &life) == -1)
		die("events");

	printf("%u\n", fakedns_port(dns));
	if (fflush(stdout) == EOF)
		die("stdout");

	if (event_base_dispatch(base) == -1)
		die("event_base_dispatch");

	/* Replies still waiting for their delay are dropped. */
	fakedns_free(dns);
	if (ev_in != NULL)
		event_free(ev_in);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_life);
	event_base_free(base);
	if (log != stderr)
		fclose(log);
	return (0);
}
