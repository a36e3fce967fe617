/* SPDX-License-Identifier: ISC */
/* probe.c -- see probe.h.  The socket is made and connect() called here,
 * not by bufferevent_socket_connect(): that function loses the errno of a
 * connect() that fails at once and then calls no callback at all.  The
 * bufferevent is handed the socket already connecting and reports the
 * handshake's end (BEV_EVENT_CONNECTED, or BEV_EVENT_ERROR with the
 * socket error set, or BEV_EVENT_TIMEOUT).
 *
 * Every socket asks for the kernel's error queue (IP_RECVERR,
 * IPV6_RECVERR): when the handshake fails, the ICMP message that failed
 * it, and its sender, are read from there (MSG_ERRQUEUE), without raw
 * sockets or privileges. */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "probe.h"
#include "pool.h"

/* One per connect attempt, so kept small (a 64-byte block): what is
 * never needed at the same time shares its room. */
struct ap_probe {
	union {
		struct bufferevent *bev;	/* the attempt, or NULL */
		struct event	*report;	/* reporting: an immediate
						   failure, deferred */
	};
	union {
		ap_probe_cb	*cb;		/* until the connect's outcome */
		ap_exchange_cb	*xcb;		/* exchanging */
	};
	void			*arg;
	/* The exchange after the connect, when one was asked for. */
	const struct ap_exchange *x;		/* borrowed */
	int64_t			 start_us;
	int			 fd;
	int			 error;		/* reported later, or 0 */
	uint8_t			 stage;		/* enum ap_stage */
	uint8_t			 family;	/* of the socket */
	bool			 reporting;
	bool			 exchanging;
	bool			 xdone;
	bool			 connected;	/* the handshake completed */
};

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24	/* Linux 4.2 */
#endif

/* How much of the peer's first bytes --expect looks through. */
#define EXPECT_WINDOW	65536

bool
ap_probe_is_backpressure(int error)
{
	/* EADDRINUSE: bind() out of ports, where the kernel cannot defer
	 * the port to connect() (no IP_BIND_ADDRESS_NO_PORT). */
	return (error == EMFILE || error == ENFILE || error == ENOBUFS ||
	    error == ENOMEM || error == EADDRNOTAVAIL || error == EADDRINUSE);
}

/* Ask for the error queue: one option per family.  A kernel without it
 * only costs the record its icmp fields. */
static void
want_errqueue(int fd, int family)
{
	int	 on = 1;

	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on,
		    sizeof(on));
	else
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

/*
 * The ICMP message that failed the handshake, if one did: the queue holds
 * it with its type, code and sender (SO_EE_OFFENDER).  A reset or a
 * timeout queues nothing; then m stays empty.  Only messages from the
 * network count, not the kernel's own local errors (SO_EE_ORIGIN_LOCAL).
 */
static void
read_errqueue(int fd, struct ap_icmp *m)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6))];
		struct cmsghdr	 align;
	}			 control;
	struct msghdr		 msg;
	struct cmsghdr		*c;
	struct sock_extended_err *ee;
	const struct sockaddr	*off;
	char			 data[64];
	struct iovec		 iov = { data, sizeof(data) };

	memset(m, 0, sizeof(*m));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
		return;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (!((c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_RECVERR)))
			continue;
		ee = (struct sock_extended_err *)(void *)CMSG_DATA(c);
		if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
			m->origin = AP_ICMP_V4;
		else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
			m->origin = AP_ICMP_V6;
		else
			continue;
		m->type = ee->ee_type;
		m->code = ee->ee_code;
		off = SO_EE_OFFENDER(ee);
		if (off->sa_family == AF_INET)
			inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)(const void *)off)->
			    sin_addr, m->from, sizeof(m->from));
		else if (off->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)(const void *)off)->
			    sin6_addr, m->from, sizeof(m->from));
		return;
	}
}

/* The outcome is built here, on the stack: a probe in flight keeps no
 * room for the ICMP detail only a failure has. */
static void
finish(struct ap_probe *p, int error, enum ap_stage stage, bool errqueue)
{
	struct ap_probe_outcome	o;

	memset(&o, 0, sizeof(o));
	p->error = o.error = error;
	p->stage = o.stage = stage;
	o.duration_us = ap_now_us() - p->start_us;
	if (errqueue)
		read_errqueue(p->fd, &o.icmp);
	p->cb(p, &o, p->arg);
}

static void
exchange_end(struct ap_probe *p, bool matched, int error)
{
	struct ap_exchange_outcome	 xo;
	struct evbuffer			*in = bufferevent_get_input(p->bev);
	size_t				 len = evbuffer_get_length(in);

	if (p->xdone)
		return;
	p->xdone = true;
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	memset(&xo, 0, sizeof(xo));
	xo.matched = matched;
	xo.error = error;
	if (len > p->x->banner_max)
		len = p->x->banner_max;
	xo.len = len;
	xo.data = len > 0 ? (const char *)evbuffer_pullup(in, (ssize_t)len) :
	    "";
	p->xcb(p, &xo, p->arg);
}

static void
exchange_read_cb(struct bufferevent *bev, void *arg)
{
	struct ap_probe	*p = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 len = evbuffer_get_length(in);

	if (p->x->expect != NULL) {
		if (evbuffer_search(in, p->x->expect, p->x->expect_len,
		    NULL).pos != -1) {
			exchange_end(p, true, 0);
			return;
		}
		if (len >= EXPECT_WINDOW)	/* the peer said too much */
			exchange_end(p, false, 0);
		return;
	}
	/* --banner: what the peer says first is what the first read got
	 * (at most banner_max, the read watermark); waiting for more would
	 * hold a server that greets and then waits for us (SSH, SMTP) until
	 * the deadline. */
	if (len > 0)
		exchange_end(p, true, 0);
}

/* Only --send: done once the peer's kernel has it all. */
static void
exchange_write_cb(struct bufferevent *bev, void *arg)
{
	struct ap_probe	*p = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		exchange_end(p, true, 0);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ap_probe	*p = arg;
	int		 error;

	(void)bev;
	if (p->exchanging) {
		/* The exchange: the peer closed or broke the connection. */
		error = (what & BEV_EVENT_EOF) ? 0 : EVUTIL_SOCKET_ERROR();
		exchange_end(p, p->x->expect == NULL, error);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		p->connected = true;
		bufferevent_disable(p->bev, EV_READ | EV_WRITE);
		finish(p, 0, AP_STAGE_HANDSHAKE, false);
	} else if (what & BEV_EVENT_TIMEOUT) {
		bufferevent_disable(p->bev, EV_READ | EV_WRITE);
		finish(p, ETIMEDOUT, AP_STAGE_HANDSHAKE, false);
	} else {
		/* libevent has just read SO_ERROR into errno. */
		error = EVUTIL_SOCKET_ERROR();
		if (error == 0)
			error = ECONNREFUSED;
		bufferevent_disable(p->bev, EV_READ | EV_WRITE);
		finish(p, error, AP_STAGE_HANDSHAKE, true);
	}
}

static void
report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_probe	*p = arg;

	(void)fd, (void)what;
	finish(p, p->error, p->stage, false);
}

/* A connect() that failed at once still ends through the loop, so the
 * engine has one path for every outcome. */
static struct ap_probe *
report_later(struct event_base *base, struct ap_probe *p, int error,
    enum ap_stage stage)
{
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	p->error = error;
	p->stage = stage;
	p->reporting = true;
	if ((p->report = evtimer_new(base, report_cb, p)) == NULL) {
		ap_pool_free(p);
		errno = ENOMEM;
		return (NULL);
	}
	event_active(p->report, EV_TIMEOUT, 1);
	return (p);
}

struct ap_probe *
ap_probe_start(struct event_base *base, const struct ap_addr *dst,
    const struct ap_addr *src, const struct timeval *timeout,
    ap_probe_cb *cb, void *arg, enum ap_stage *stage)
{
	struct ap_probe	*p;
	int		 save_errno;

	p = ap_pool_xcalloc(1, sizeof(*p));
	p->cb = cb;
	p->arg = arg;
	p->start_us = ap_now_us();
	*stage = AP_STAGE_SOCKET;
	p->family = (uint8_t)dst->u.sa.sa_family;
	p->fd = socket(dst->u.sa.sa_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		if (ap_probe_is_backpressure(errno))
			goto fail;
		return (report_later(base, p, errno, AP_STAGE_SOCKET));
	}
	want_errqueue(p->fd, dst->u.sa.sa_family);
	if (src != NULL) {
		*stage = AP_STAGE_BIND;
		/* Only the address is fixed; the kernel picks the port, at
		 * connect(), where it can pick one per destination: a port
		 * bound here would be taken from the whole range, and an
		 * exhausted range would fail every bind at once. */
		(void)setsockopt(p->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
		    &(int){ 1 }, sizeof(int));
		if (bind(p->fd, &src->u.sa, src->len) == -1) {
			/* EADDRNOTAVAIL here is an address that is not
			 * ours (a verdict); out of ports is EADDRINUSE. */
			if (errno == ENOBUFS || errno == ENOMEM ||
			    errno == EADDRINUSE)
				goto fail;
			return (report_later(base, p, errno,
			    AP_STAGE_BIND));
		}
	}
	*stage = AP_STAGE_CONNECT;
	if (connect(p->fd, &dst->u.sa, dst->len) == -1 &&
	    errno != EINPROGRESS) {
		if (ap_probe_is_backpressure(errno))
			goto fail;
		return (report_later(base, p, errno,
		    ap_stage_of_connect_error(errno)));
	}
	/* Connected at once or in progress: either way the socket becomes
	 * writable and libevent reads SO_ERROR to tell which. */
	/* The bufferevent closes the socket itself, after libevent has
	 * forgotten it: closing it here could let a new socket reuse the
	 * number while a stale registration still hides it from epoll. */
	p->bev = bufferevent_socket_new(base, p->fd, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL)
		goto fail;
	bufferevent_setcb(p->bev, NULL, NULL, event_cb, p);
	if (timeout != NULL) {
		bufferevent_set_timeouts(p->bev, NULL, timeout);
		/* The timer counts from libevent's clock, read when this
		 * loop pass began: a few milliseconds before start_us in a
		 * busy pass.  Read it now, so the attempt never times out
		 * before its --attempt-timeout (SPEC 3.8). */
		event_base_update_cache_time(base);
	}
	if (bufferevent_socket_connect(p->bev, NULL, 0) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	/* Its events keep the base's default priority, the one the
	 * caller's timers share: see engine.c.  (Setting another would
	 * have to come after bufferevent_socket_connect(), which sets the
	 * descriptor again and the default priority with it.) */
	*stage = AP_STAGE_HANDSHAKE;
	return (p);
fail:
	save_errno = errno;
	if (p->bev != NULL)
		bufferevent_free(p->bev);	/* closes p->fd */
	else if (p->fd != -1)
		close(p->fd);
	ap_pool_free(p);
	errno = save_errno;
	return (NULL);
}

int
ap_probe_exchange(struct ap_probe *p, const struct ap_exchange *x,
    ap_exchange_cb *cb, void *arg)
{
	size_t	window;

	if (p->reporting || p->bev == NULL || p->error != 0) {
		errno = ENOTCONN;
		return (-1);
	}
	p->x = x;
	p->xcb = cb;	/* the connect's callback is done with */
	p->arg = arg;
	p->exchanging = true;
	window = x->expect != NULL ? EXPECT_WINDOW : x->banner_max;
	bufferevent_setcb(p->bev, window > 0 ? exchange_read_cb : NULL,
	    window > 0 ? NULL : exchange_write_cb, event_cb, p);
	/* Connected: a soft ICMP error (a router's unreachable for a
	 * segment it will retry) must not end the exchange, as IP_RECVERR
	 * would make it do. */
	if (p->fd != -1)
		(void)setsockopt(p->fd,
		    p->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    p->family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR,
		    &(int){ 0 }, sizeof(int));
	/* The connect's own timeout must not cut the exchange short: the
	 * target's deadline rules now. */
	bufferevent_set_timeouts(p->bev, NULL, NULL);
	bufferevent_setwatermark(p->bev, EV_READ, 0, window);
	if (x->send != NULL && x->send_len > 0 &&
	    bufferevent_write(p->bev, x->send, x->send_len) == -1)
		return (-1);
	if (bufferevent_enable(p->bev, (window > 0 ? EV_READ : 0) |
	    EV_WRITE) == -1)
		return (-1);
	return (0);
}

void
ap_probe_exchange_finish(struct ap_probe *p)
{
	if (p != NULL && p->exchanging)
		exchange_end(p, p->x->expect == NULL, ETIMEDOUT);
}

void
ap_probe_free(struct ap_probe *p)
{
	struct linger	lg = { 1, 0 };

	if (p == NULL)
		return;
	if (p->reporting) {
		if (p->report != NULL)
			event_free(p->report);
	} else if (p->bev != NULL) {
		/* A connection is closed with a reset, not a FIN: the peer
		 * learns at once, and neither side keeps a TIME_WAIT entry
		 * (nmap, zmap do the same).  One that never connected has
		 * nothing to linger over. */
		if (p->connected)
			setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
		bufferevent_free(p->bev);	/* closes p->fd */
	} else if (p->fd != -1)
		close(p->fd);
	ap_pool_free(p);
}
