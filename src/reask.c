/* SPDX-License-Identifier: ISC */
/* reask.c -- see reask.h.  A connected UDP socket hears only its server;
 * an answer that is not ours (another ID, another question) is ignored
 * and the wait goes on, to the same deadline: a stream of those cannot
 * keep the question alive. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "dnswire.h"
#include "reask.h"
#include "xmalloc.h"

/* Datagrams read in one callback before the loop gets a turn. */
#define READS_PER_CB	16
/* Room for any UDP payload, whatever the server sends past 4096. */
#define DGRAM_MAX	65536

struct ap_reask {
	struct event	*ev;
	evutil_socket_t	 fd;
	char		*name;
	uint16_t	 qtype;
	bool		 edns;		/* the query in flight has OPT */
	uint8_t		 query[AP_DNSWIRE_QUERY_MAX];
	size_t		 querylen;
	int		 timeout_ms;
	int64_t		 deadline_us;	/* of the query in flight */
	ap_reask_cb	*cb;
	void		*arg;
};

static void
reask_free(struct ap_reask *r)
{
	if (r->ev != NULL)
		event_free(r->ev);
	if (r->fd != -1)
		evutil_closesocket(r->fd);
	free(r->name);
	free(r);
}

/* Free first: cb may do anything, cancelling nothing of ours. */
static void
finish(struct ap_reask *r, const struct ap_dnswire_answer *ans)
{
	ap_reask_cb	*cb = r->cb;
	void		*arg = r->arg;

	reask_free(r);
	cb(ans, arg);
}

/* Wait for the answer until the query's deadline; -1 on failure. */
static int
wait_answer(struct ap_reask *r)
{
	int64_t		 left = r->deadline_us - ap_now_us();
	struct timeval	 tv;

	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	return (event_add(r->ev, &tv));
}

/* Send the question (with OPT when edns), under a new ID; -1 with errno. */
static int
ask(struct ap_reask *r, bool edns)
{
	uint16_t	id;

	evutil_secure_rng_get_bytes(&id, sizeof(id));
	r->edns = edns;
	if ((r->querylen = ap_dnswire_query(r->query, sizeof(r->query), id,
	    r->name, r->qtype, edns)) == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (send(r->fd, r->query, r->querylen, 0) != (ssize_t)r->querylen)
		return (-1);
	r->deadline_us = ap_now_us() + (int64_t)r->timeout_ms * 1000;
	return (wait_answer(r));
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_reask			*r = arg;
	struct ap_dnswire_answer	 ans;
	uint8_t				 buf[DGRAM_MAX];
	ssize_t				 n;
	int				 i;

	if (what & EV_TIMEOUT) {
		finish(r, NULL);
		return;
	}
	for (i = 0; i < READS_PER_CB; i++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			finish(r, NULL);	/* ECONNREFUSED: no server */
			return;
		}
		switch (ap_dnswire_parse(buf, (size_t)n, r->query, r->querylen,
		    &ans)) {
		case AP_DNSWIRE_FOREIGN:
			continue;
		case AP_DNSWIRE_MALFORMED:
			finish(r, NULL);
			return;
		case AP_DNSWIRE_ANSWER:
			break;
		}
		if (r->edns && (ans.rcode == AP_DNS_RCODE_FORMERR ||
		    ans.rcode == AP_DNS_RCODE_NOTIMP)) {
			/* RFC 6891 7: a server without EDNS; once more
			 * without the OPT record. */
			if (ask(r, false) == -1)
				finish(r, NULL);
			return;
		}
		/* An answer, or a whole one that says why there is none. */
		finish(r, ans.rcode == AP_DNS_RCODE_NOERROR ||
		    ans.rcode == AP_DNS_RCODE_NXDOMAIN ||
		    ans.rcode == AP_DNS_RCODE_SERVFAIL ? &ans : NULL);
		return;
	}
	if (wait_answer(r) == -1)
		finish(r, NULL);
}

struct ap_reask *
ap_reask_start(struct event_base *base, const struct sockaddr *ns,
    socklen_t nslen, const char *name, uint16_t qtype, int timeout_ms,
    ap_reask_cb *cb, void *arg)
{
	struct ap_reask	*r = xcalloc(1, sizeof(*r));
	int		 save_errno;

	r->fd = -1;
	r->name = xstrdup(name);
	r->qtype = qtype;
	r->timeout_ms = timeout_ms;
	r->cb = cb;
	r->arg = arg;
	if ((r->fd = socket(ns->sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    connect(r->fd, ns, nslen) == -1 ||
	    (r->ev = event_new(base, r->fd, EV_READ, read_cb, r)) == NULL ||
	    ask(r, true) == -1)
		goto fail;
	return (r);

fail:
	save_errno = errno;
	reask_free(r);
	errno = save_errno;
	return (NULL);
}

void
ap_reask_cancel(struct ap_reask *r)
{
	if (r != NULL)
		reask_free(r);
}
