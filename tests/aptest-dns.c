/* SPDX-License-Identifier: ISC */
/* aptest-dns.c -- a table-driven fake DNS server on 127.0.0.1 for the
 * integration tests (libevent's evdns server API).  Answers A and AAAA from
 * a table file, can fail, delay or drop on purpose, and logs every query so
 * tests can count them.  Prints its port on stdout; exits on stdin EOF,
 * SIGTERM/SIGINT or after --lifetime seconds.
 *
 * Table lines (# comments, blank lines skipped):
 *	NAME A ADDR...		NAME AAAA ADDR...
 *	NAME OUTCOME		NAME A|AAAA OUTCOME
 * OUTCOME is NXDOMAIN, SERVFAIL, NODATA (NOERROR, no answer) or DROP (no
 * reply at all); options delay=MS and ttl=SEC may follow on any line.  A
 * known name with no line for the asked type answers NODATA; an unknown
 * name answers NXDOMAIN.  A NAME of "*.SUFFIX" stands for every name that
 * ends in ".SUFFIX" (so a benchmark can serve any number of names from one
 * line); exact names are matched first.  --port binds that port instead of
 * one the kernel picks (53 inside a network namespace). */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#define MAX_ADDRS	16
#define TYPE_ANY	0	/* an outcome line without a type */

enum outcome { OUT_ANSWER, OUT_NXDOMAIN, OUT_SERVFAIL, OUT_NODATA, OUT_DROP };

struct entry {
	struct entry	*next;
	char		*name;
	int		 type;		/* EVDNS_TYPE_A/AAAA or TYPE_ANY */
	enum outcome	 outcome;
	int		 naddrs;
	unsigned char	 addrs[MAX_ADDRS][16];	/* 4 or 16 bytes each */
	int		 delay_ms;
	int		 ttl;
};

/* A reply waiting for its delay=. */
struct pending {
	struct pending			*prev, *next;
	struct server			*srv;
	struct evdns_server_request	*req;
	struct event			*ev;
	int				 rcode;	/* -1: drop */
};

struct server {
	struct event_base	*base;
	struct entry		*table;
	FILE			*log;
	struct pending		*pending;
};

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

static int
parse_outcome(const char *w, enum outcome *out)
{
	if (strcmp(w, "NXDOMAIN") == 0)
		*out = OUT_NXDOMAIN;
	else if (strcmp(w, "SERVFAIL") == 0)
		*out = OUT_SERVFAIL;
	else if (strcmp(w, "NODATA") == 0)
		*out = OUT_NODATA;
	else if (strcmp(w, "DROP") == 0)
		*out = OUT_DROP;
	else
		return (-1);
	return (0);
}

static void
table_bad(const char *path, unsigned long lineno, const char *why)
{
	fprintf(stderr, "aptest-dns: %s:%lu: %s\n", path, lineno, why);
	exit(2);
}

static struct entry *
table_load(const char *path)
{
	struct entry	*head = NULL, **tail = &head, *e;
	FILE		*fp;
	char		*line = NULL, *w, *save;
	size_t		 cap = 0;
	unsigned long	 lineno = 0;

	if ((fp = fopen(path, "r")) == NULL)
		die(path);
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if ((w = strchr(line, '#')) != NULL)
			*w = '\0';
		if ((w = strtok_r(line, " \t\r\n", &save)) == NULL)
			continue;
		if ((e = calloc(1, sizeof(*e))) == NULL)
			die("calloc");
		if ((e->name = strdup(w)) == NULL)
			die("strdup");
		e->ttl = 60;
		if ((w = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			table_bad(path, lineno, "missing type or outcome");
		if (strcmp(w, "A") == 0 || strcmp(w, "AAAA") == 0) {
			e->type = w[1] == '\0' ? EVDNS_TYPE_A : EVDNS_TYPE_AAAA;
			w = strtok_r(NULL, " \t\r\n", &save);
		} else
			e->type = TYPE_ANY;
		if (w != NULL && parse_outcome(w, &e->outcome) == 0)
			w = strtok_r(NULL, " \t\r\n", &save);
		else if (e->type == TYPE_ANY)
			table_bad(path, lineno, "unknown type or outcome");
		else
			e->outcome = OUT_ANSWER;
		for (; w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
			if (strncmp(w, "delay=", 6) == 0)
				e->delay_ms = (int)parse_num(w + 6, 0, 600000,
				    "delay");
			else if (strncmp(w, "ttl=", 4) == 0)
				e->ttl = (int)parse_num(w + 4, 0, 86400, "ttl");
			else if (e->outcome != OUT_ANSWER)
				table_bad(path, lineno, "junk after outcome");
			else if (e->naddrs == MAX_ADDRS)
				table_bad(path, lineno, "too many addresses");
			else if (inet_pton(e->type == EVDNS_TYPE_A ? AF_INET :
			    AF_INET6, w, e->addrs[e->naddrs]) == 1)
				e->naddrs++;
			else
				table_bad(path, lineno, "bad address");
		}
		*tail = e;
		tail = &e->next;
	}
	if (ferror(fp))
		die(path);
	free(line);
	fclose(fp);
	return (head);
}

static void
table_free(struct entry *e)
{
	struct entry	*next;

	for (; e != NULL; e = next) {
		next = e->next;
		free(e->name);
		free(e);
	}
}

/* Whether a table name covers the asked one: equal, or "*.SUFFIX" and the
 * asked name ends in ".SUFFIX" with at least one label before it. */
static int
name_covers(const char *pattern, const char *name, int wild)
{
	size_t	plen, nlen;

	if (!wild)
		return (evutil_ascii_strcasecmp(pattern, name) == 0);
	if (pattern[0] != '*' || pattern[1] != '.')
		return (0);
	plen = strlen(pattern + 1);
	nlen = strlen(name);
	return (nlen > plen &&
	    evutil_ascii_strcasecmp(name + nlen - plen, pattern + 1) == 0);
}

/* The line for (name, type): an exact type first, then a typeless outcome
 * line; exact names before wildcards.  *known tells whether the name
 * appears at all. */
static const struct entry *
table_find(const struct entry *table, const char *name, int type,
    int *known)
{
	const struct entry	*e, *any = NULL;
	int			 wild;

	*known = 0;
	for (wild = 0; wild < 2; wild++) {
		for (e = table; e != NULL; e = e->next) {
			/* evdns randomizes the case of queries (0x20). */
			if (!name_covers(e->name, name, wild))
				continue;
			*known = 1;
			if (e->type == type)
				return (e);
			if (e->type == TYPE_ANY && any == NULL)
				any = e;
		}
		if (*known)
			break;
	}
	return (any);
}

static const char *
type_name(int type)
{
	static char	buf[16];

	if (type == EVDNS_TYPE_A)
		return ("A");
	if (type == EVDNS_TYPE_AAAA)
		return ("AAAA");
	snprintf(buf, sizeof(buf), "TYPE%d", type);
	return (buf);
}

static void
pending_unlink(struct server *srv, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		srv->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
}

static void
finish(struct evdns_server_request *req, int rcode)
{
	if (rcode == -1)
		evdns_server_request_drop(req);
	else if (evdns_server_request_respond(req, rcode) == -1)
		fprintf(stderr, "aptest-dns: respond failed\n");
}

static void
delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending	*p = arg;

	(void)fd;
	(void)what;
	pending_unlink(p->srv, p);
	finish(p->req, p->rcode);
	event_free(p->ev);
	free(p);
}

static void
request_cb(struct evdns_server_request *req, void *arg)
{
	struct server			*srv = arg;
	const struct evdns_server_question *q;
	const struct entry		*e;
	struct pending			*p;
	struct timeval			 tv;
	int				 i, k, known, rcode = 0, delay_ms = 0;
	char				 lname[256];
	size_t				 j;

	for (i = 0; i < req->nquestions; i++) {
		q = req->questions[i];
		for (j = 0; q->name[j] != '\0' && j < sizeof(lname) - 1; j++)
			lname[j] = (char)(q->name[j] >= 'A' &&
			    q->name[j] <= 'Z' ? q->name[j] + 32 : q->name[j]);
		lname[j] = '\0';
		fprintf(srv->log, "%s %s\n", type_name(q->type), lname);
		fflush(srv->log);

		e = table_find(srv->table, q->name, q->type, &known);
		if (e == NULL) {
			if (!known)
				rcode = DNS_ERR_NOTEXIST;
			continue;	/* known name, other type: NODATA */
		}
		if (e->delay_ms > delay_ms)
			delay_ms = e->delay_ms;
		switch (e->outcome) {
		case OUT_ANSWER:
			/* One record per address: add_a_reply() with n > 1
			 * packs them all into a single record. */
			for (k = 0; k < e->naddrs; k++) {
				if (e->type == EVDNS_TYPE_A)
					evdns_server_request_add_a_reply(req,
					    q->name, 1, e->addrs[k], e->ttl);
				else
					evdns_server_request_add_aaaa_reply(
					    req, q->name, 1, e->addrs[k],
					    e->ttl);
			}
			break;
		case OUT_NXDOMAIN:
			rcode = DNS_ERR_NOTEXIST;
			break;
		case OUT_SERVFAIL:
			rcode = DNS_ERR_SERVERFAILED;
			break;
		case OUT_NODATA:
			break;
		case OUT_DROP:
			rcode = -1;
			break;
		}
		if (rcode == -1)
			break;
	}
	if (delay_ms == 0) {
		finish(req, rcode);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		die("calloc");
	p->srv = srv;
	p->req = req;
	p->rcode = rcode;
	if ((p->ev = evtimer_new(srv->base, delay_cb, p)) == NULL)
		die("evtimer_new");
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	if (evtimer_add(p->ev, &tv) == -1)
		die("evtimer_add");
	p->next = srv->pending;
	if (p->next != NULL)
		p->next->prev = p;
	srv->pending = p;
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
	struct server			 srv;
	struct evdns_server_port	*port;
	struct event			*ev_in = NULL, *ev_term, *ev_int;
	struct event			*ev_life;
	struct sockaddr_in		 sin;
	struct timeval			 life = { 300, 0 };
	struct pending			*p;
	socklen_t			 len;
	const char			*logpath = NULL;
	int				 i, ignore_stdin = 0;
	unsigned short			 bind_port = 0;
	int				 rcvbuf;
	evutil_socket_t			 fd;

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
	memset(&srv, 0, sizeof(srv));
	srv.table = table_load(argv[1]);
	srv.log = stderr;
	if (logpath != NULL && (srv.log = fopen(logpath, "a")) == NULL)
		die(logpath);
	signal(SIGPIPE, SIG_IGN);

	if ((srv.base = event_base_new()) == NULL)
		die("event_base_new");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(bind_port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("getsockname");
	if (evutil_make_socket_nonblocking(fd) == -1)
		die("nonblocking");
	/* A scanner sends its questions in bursts: a small receive buffer
	 * would make this server, not the client, drop them.  Best effort:
	 * the kernel caps it at net.core.rmem_max. */
	rcvbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	port = evdns_add_server_port_with_base(srv.base, fd, 0, request_cb,
	    &srv);
	if (port == NULL)
		die("evdns_add_server_port_with_base");

	if (!ignore_stdin) {
		ev_in = event_new(srv.base, STDIN_FILENO, EV_READ | EV_PERSIST,
		    stop_cb, srv.base);
		if (ev_in == NULL || event_add(ev_in, NULL) == -1)
			die("stdin event");
	}
	ev_term = evsignal_new(srv.base, SIGTERM, stop_cb, srv.base);
	ev_int = evsignal_new(srv.base, SIGINT, stop_cb, srv.base);
	ev_life = evtimer_new(srv.base, stop_cb, srv.base);
	if (ev_term == NULL || ev_int == NULL || ev_life == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1 ||
	    evtimer_add(ev_life, &life) == -1)
		die("events");

	printf("%u\n", ntohs(sin.sin_port));
	if (fflush(stdout) == EOF)
		die("stdout");

	if (event_base_dispatch(srv.base) == -1)
		die("event_base_dispatch");

	/* Replies still waiting for their delay are dropped. */
	while ((p = srv.pending) != NULL) {
		pending_unlink(&srv, p);
		evdns_server_request_drop(p->req);
		event_free(p->ev);
		free(p);
	}
	evdns_close_server_port(port);
	evutil_closesocket(fd);
	if (ev_in != NULL)
		event_free(ev_in);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_life);
	event_base_free(srv.base);
	table_free(srv.table);
	if (srv.log != stderr)
		fclose(srv.log);
	return (0);
}
