/* SPDX-License-Identifier: ISC */
/* serve.h -- --serve ADDR:PORT, the HTTP side of monitor mode: libevent's
 * evhttp on the monitor's own event loop.  It serves what the monitor hands
 * it (the last finished round's metrics) and asks the monitor to probe one
 * target for /probe; it never probes, reads input or writes records itself.
 * Everything a client can send is bounded: request size, header count,
 * connections at once, idle time.  Every function here, and every hook,
 * runs on the thread of the base the server was given. */
#ifndef AP_SERVE_H
#define AP_SERVE_H

#include <stddef.h>

#include "addrlist.h"

struct event_base;
struct ap_server;
/* One /probe request waiting for its answer: a token the monitor keeps
 * until it calls ap_serve_reply() with it, exactly once. */
struct ap_serve_reply;

struct ap_serve_hooks {
	/* /probe?target=T (percent-decoded, at most 1024 bytes, valid
	 * during the call only): 0 when T may be probed now; else the HTTP
	 * status to answer with: 400 (not one host:port), 403 (not in the
	 * input list and no --serve-any).  why gets a short reason for the
	 * body (a newline is added). */
	int	(*probe_check)(void *arg, const char *target, char *why,
		    size_t whylen);
	/* Start probing T with a deadline of timeout_ms (-t, or less when
	 * Prometheus's X-Prometheus-Scrape-Timeout-Seconds says so); the
	 * monitor calls ap_serve_reply(reply, ...) once it is done, from the
	 * event loop, never from inside probe_start().  -1 when it cannot
	 * start now (too many probes at once): the server answers 503 and
	 * reply is gone. */
	int	(*probe_start)(void *arg, const char *target, int timeout_ms,
		    struct ap_serve_reply *reply);
	void	*arg;
};

struct ap_serve_config {
	struct ap_addr		 addr;		/* and port; 0: the kernel
						 * picks */
	struct ap_serve_hooks	 hooks;
	int			 probe_timeout_ms;	/* -t */
	/* Bounds; 0 means the default.  Clients past max_connections
	 * wait in the kernel's backlog, costing no descriptor.  The idle
	 * timeout bounds each silence of a client and also the whole of
	 * one request and its answer (a probe's wait excepted), so that
	 * no client holds a connection by sending a byte now and then. */
	unsigned		 max_connections;	/* 64 */
	int			 idle_timeout_ms;	/* 10 s */
};

/* Bind and listen on base.  NULL with a reason naming the address in
 * errbuf (taken, cannot be bound). */
struct ap_server *ap_serve_new(struct event_base *,
		    const struct ap_serve_config *, char *errbuf,
		    size_t errlen);
/* Closes the listener and every connection (their sockets at once);
 * replies still owed are dropped, and their tokens stay valid until
 * ap_serve_reply(), which then only frees them.  Not from inside a hook. */
void		 ap_serve_free(struct ap_server *);	/* NULL ok */
/* The port it listens on (the kernel's pick when config said 0). */
unsigned	 ap_serve_port(const struct ap_server *);
/* What /metrics answers from now on (copied); before the first call it
 * answers 503. */
void		 ap_serve_set_metrics(struct ap_server *, const char *text,
		    size_t len);
/* Answer a /probe and free the token: 200 with body (Prometheus text
 * format), or code with body as the reason (text/plain).  Call it once
 * per token, from the event loop; safe after the client went away and
 * after ap_serve_free() (then it only frees the token). */
void		 ap_serve_reply(struct ap_serve_reply *, int code,
		    const char *body, size_t len);

#endif
