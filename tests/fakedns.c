/* SPDX-License-Identifier: ISC */
/* fakedns.c -- the table and the request handler of the tests' fake DNS
 * server (see fakedns.h); what runs it, and for how long, is the caller's
 * business. */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include "fakedns.h"

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
	struct fakedns			*dns;
	struct evdns_server_request	*req;
	struct event			*ev;
	int				 rcode;	/* -1: drop */
};

struct fakedns {
	struct event_base		*base;
	struct evdns_server_port	*port;
	unsigned short			 portno;
	struct entry			*table;
	struct pending			*pending;
	FILE				*log;
	unsigned			 nq4, nq6;	/* questions seen */
};

static void
set_error(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static int
parse_num(const char *s, long min, long max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	*out = (int)v;
	return (0);
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
table_free(struct entry *e)
{
	struct entry	*next;

	for (; e != NULL; e = next) {
		next = e->next;
		free(e->name);
		free(e);
	}
}

/* One table line (NUL-terminated, comment cut) into e; NULL or why not. */
static const char *
parse_line(char *line, struct entry *e)
{
	char	*w, *save;

	if ((w = strtok_r(line, " \t\r\n", &save)) == NULL)
		return ("");
	if ((e->name = strdup(w)) == NULL)
		return (strerror(errno));
	e->ttl = 60;
	if ((w = strtok_r(NULL, " \t\r\n", &save)) == NULL)
		return ("missing type or outcome");
	if (strcmp(w, "A") == 0 || strcmp(w, "AAAA") == 0) {
		e->type = w[1] == '\0' ? EVDNS_TYPE_A : EVDNS_TYPE_AAAA;
		w = strtok_r(NULL, " \t\r\n", &save);
	} else
		e->type = TYPE_ANY;
	if (w != NULL && parse_outcome(w, &e->outcome) == 0)
		w = strtok_r(NULL, " \t\r\n", &save);
	else if (e->type == TYPE_ANY)
		return ("unknown type or outcome");
	else
		e->outcome = OUT_ANSWER;
	for (; w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (strncmp(w, "delay=", 6) == 0) {
			if (parse_num(w + 6, 0, 600000, &e->delay_ms) == -1)
				return ("bad delay");
		} else if (strncmp(w, "ttl=", 4) == 0) {
			if (parse_num(w + 4, 0, 86400, &e->ttl) == -1)
				return ("bad ttl");
		} else if (e->outcome != OUT_ANSWER)
			return ("junk after outcome");
		else if (e->naddrs == MAX_ADDRS)
			return ("too many addresses");
		else if (inet_pton(e->type == EVDNS_TYPE_A ? AF_INET : AF_INET6,
		    w, e->addrs[e->naddrs]) == 1)
			e->naddrs++;
		else
			return ("bad address");
	}
	return (NULL);
}

static int
table_parse(struct fakedns *dns, const char *text, char *errbuf,
    size_t errlen)
{
	struct entry	**tail = &dns->table, *e;
	const char	*p = text, *nl, *why;
	char		*line, *hash;
	size_t		 len;
	unsigned long	 lineno = 0;

	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if ((line = strndup(p, len)) == NULL ||
		    (e = calloc(1, sizeof(*e))) == NULL) {
			free(line);
			set_error(errbuf, errlen, "%lu: %s", lineno,
			    strerror(errno));
			return (-1);
		}
		p += len + (nl != NULL);
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		why = parse_line(line, e);
		free(line);
		if (why != NULL && *why == '\0') {	/* blank */
			table_free(e);
			continue;
		}
		*tail = e;
		tail = &e->next;
		if (why != NULL) {
			set_error(errbuf, errlen, "%lu: %s", lineno, why);
			return (-1);
		}
	}
	return (0);
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
type_name(int type, char *buf, size_t len)
{
	if (type == EVDNS_TYPE_A)
		return ("A");
	if (type == EVDNS_TYPE_AAAA)
		return ("AAAA");
	snprintf(buf, len, "TYPE%d", type);
	return (buf);
}

static void
pending_unlink(struct fakedns *dns, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		dns->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
}

static void
finish(struct evdns_server_request *req, int rcode)
{
	if (rcode == -1)
		evdns_server_request_drop(req);
	else if (evdns_server_request_respond(req, rcode) == -1)
		fprintf(stderr, "fakedns: respond failed\n");
}

static void
delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending	*p = arg;

	(void)fd;
	(void)what;
	pending_unlink(p->dns, p);
	finish(p->req, p->rcode);
	event_free(p->ev);
	free(p);
}

static void
log_question(struct fakedns *dns, const struct evdns_server_question *q)
{
	char	lname[256], tbuf[16];
	size_t	j;

	if (dns->log == NULL)
		return;
	for (j = 0; q->name[j] != '\0' && j < sizeof(lname) - 1; j++)
		lname[j] = (char)(q->name[j] >= 'A' && q->name[j] <= 'Z' ?
		    q->name[j] + 32 : q->name[j]);
	lname[j] = '\0';
	fprintf(dns->log, "%s %s\n", type_name(q->type, tbuf, sizeof(tbuf)),
	    lname);
	fflush(dns->log);
}

static void
request_cb(struct evdns_server_request *req, void *arg)
{
	struct fakedns			*dns = arg;
	const struct evdns_server_question *q;
	const struct entry		*e;
	struct pending			*p;
	struct timeval			 tv;
	int				 i, k, known, rcode = 0, delay_ms = 0;

	for (i = 0; i < req->nquestions; i++) {
		q = req->questions[i];
		if (q->type == EVDNS_TYPE_A)
			dns->nq4++;
		else if (q->type == EVDNS_TYPE_AAAA)
			dns->nq6++;
		log_question(dns, q);

		e = table_find(dns->table, q->name, q->type, &known);
		if (e == NULL) {
			if (!known)
				rcode = DNS_ERR_NOTEXIST;
			continue;	/* known name, other type: NODATA */
		}
		if (e->delay_ms > delay_ms)
			delay_ms = e->delay_ms;
		switch (e->outcome) {
		case OUT_ANSWER:
			/* One record per address (add_a_reply() with n > 1
			 * packs them all into a single record), named as
			 * asked: evdns checks the 0x20 case. */
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
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->ev = evtimer_new(dns->base, delay_cb, p)) == NULL ||
	    evtimer_add(p->ev, &tv) == -1) {
		/* The test sees a question that was never answered. */
		fprintf(stderr, "fakedns: cannot delay a reply\n");
		if (p != NULL && p->ev != NULL)
			event_free(p->ev);
		free(p);
		evdns_server_request_drop(req);
		return;
	}
	p->dns = dns;
	p->req = req;
	p->rcode = rcode;
	p->next = dns->pending;
	if (p->next != NULL)
		p->next->prev = p;
	dns->pending = p;
}

struct fakedns *
fakedns_new(struct event_base *base, const char *table, unsigned short port,
    char *errbuf, size_t errlen)
{
	struct fakedns		*dns;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	evutil_socket_t		 fd = -1;
	const char		*what;
	int			 rcvbuf;

	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		set_error(errbuf, errlen, "calloc: %s", strerror(errno));
		return (NULL);
	}
	dns->base = base;
	if (table_parse(dns, table, errbuf, errlen) == -1)
		goto fail;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	what = "socket";
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail_errno;
	what = "bind";
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail_errno;
	what = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		goto fail_errno;
	what = "nonblocking";
	if (evutil_make_socket_nonblocking(fd) == -1)
		goto fail_errno;
	/* A scanner sends its questions in bursts: a small receive buffer
	 * would make this server, not the client, drop them.  Best effort:
	 * the kernel caps it at net.core.rmem_max. */
	rcvbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	what = "evdns_add_server_port_with_base";
	dns->port = evdns_add_server_port_with_base(base, fd, 0, request_cb,
	    dns);
	if (dns->port == NULL)
		goto fail_errno;
	dns->portno = ntohs(sin.sin_port);
	return (dns);

fail_errno:
	set_error(errbuf, errlen, "%s: %s", what, strerror(errno));
	if (fd != -1)
		evutil_closesocket(fd);
fail:
	table_free(dns->table);
	free(dns);
	return (NULL);
}

unsigned short
fakedns_port(const struct fakedns *dns)
{
	return (dns->portno);
}

unsigned
fakedns_queries(const struct fakedns *dns, int type)
{
	return (type == EVDNS_TYPE_A ? dns->nq4 :
	    type == EVDNS_TYPE_AAAA ? dns->nq6 : 0);
}

void
fakedns_log(struct fakedns *dns, FILE *fp)
{
	dns->log = fp;
}

void
fakedns_free(struct fakedns *dns)
{
	struct pending	*p;

	if (dns == NULL)
		return;
	while ((p = dns->pending) != NULL) {
		pending_unlink(dns, p);
		evdns_server_request_drop(p->req);
		event_free(p->ev);
		free(p);
	}
	/* Closes the socket too. */
	evdns_close_server_port(dns->port);
	table_free(dns->table);
	free(dns);
}
