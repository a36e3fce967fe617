/* SPDX-License-Identifier: ISC */
/* serve.c -- --serve: libevent's evhttp on the monitor's event loop, with
 * every client-controlled quantity bounded (request line and headers,
 * body, idle time, connections at once).  /metrics answers the text the
 * monitor last handed over; /probe checks its query and asks the monitor's
 * hooks to probe, then answers when the monitor calls ap_serve_reply().
 * Probing, input and records are the monitor's business. */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "addrlist.h"
#include "result.h"
#include "serve.h"
#include "xmalloc.h"

/* Bytes one write to a client may carry (see serve_bev_cb()). */
#define SERVE_WRITE_MAX		((ev_ssize_t)4 << 20)
#define SERVE_MAX_CONNECTIONS	64
#define SERVE_IDLE_TIMEOUT_MS	10000
/* The request line and the headers together; libevent 2.1 has no bound
 * on the header count, so this is it (a header line is at least 4 bytes). */
#define SERVE_MAX_HEADERS	8192
#define SERVE_BACKLOG		128
/* blackbox_exporter's --timeout-offset: the probe ends that much before
 * Prometheus gives up on the scrape, so its answer still arrives. */
#define SERVE_TIMEOUT_OFFSET_MS	500
#define SERVE_MIN_TIMEOUT_MS	100	/* a probe needs some time */
#define SERVE_TARGET_MAX	1024	/* an input line's bound (SPEC 2) */
#define SERVE_ACCEPT_PAUSE_MS	250	/* after accept() said EMFILE */

#define SERVE_PROM_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define SERVE_TEXT_TYPE	"text/plain; charset=utf-8"
#define SERVE_HTML_TYPE	"text/html; charset=utf-8"

/* A copy of the metrics text, shared by the server and every reply still
 * being written (evbuffer_add_reference): a scrape costs no copy, and a
 * new round's text can replace it while an old scrape is on the wire. */
struct serve_blob {
	unsigned	 refs;
	size_t		 len;
	char		 data[];
};

/* A connection evhttp has, from serve_confirm() to its close callback. */
struct serve_conn {
	struct serve_conn		*prev, *next;
	struct ap_server		*srv;
	struct evhttp_connection	*evcon;
	/* The time to send one request and take its answer (the wait
	 * for a probe excepted): the idle timeout only bounds each
	 * silence, so a client sending a byte every few seconds would keep
	 * its connection for hours without it. */
	struct event			*deadline;
};

struct ap_serve_reply {
	struct ap_serve_reply	*prev, *next;	/* the server's pending list */
	struct ap_server	*srv;	/* NULL: the server is gone */
	struct evhttp_request	*req;	/* NULL: the server is gone */
	struct serve_conn	*conn;	/* the request's; NULL: unknown */
	bool			 head;	/* HEAD: headers only */
};

struct ap_server {
	struct event_base	*base;		/* borrowed */
	struct evhttp		*http;
	struct evconnlistener	*listener;	/* owned by http */
	struct event		*resume;	/* accepting again after EMFILE */
	struct event		*confirm;	/* runs serve_confirm_cb */
	/* Connections accepted, their close callback not yet set. */
	struct bufferevent	**unconfirmed;	/* max_conns of them */
	unsigned		 nunconfirmed;
	unsigned		 conns;		/* connections open */
	struct serve_conn	*conn_list;	/* the confirmed ones */
	struct timeval		 request_tv;	/* serve_conn's deadline */
	struct serve_blob	*metrics;	/* NULL: no round yet */
	struct ap_serve_reply	*pending;	/* replies owed */
	struct ap_serve_hooks	 hooks;
	int			 probe_timeout_ms;
	unsigned		 max_conns;
	unsigned		 port;
	bool			 accepting;	/* the listener is enabled */
	bool			 paused;	/* accept() failed a moment ago */
	bool			 freeing;	/* evhttp_free() is running */
	struct ap_server	*next_server;	/* serve_servers */
};

/*
 * Every server, for the listener's error callback: its argument is the
 * listener's user data, which evhttp_bind_listener() made evhttp's own,
 * so the callback finds its server by the listener here.  A process has
 * one server or a few; the lock only guards the list (each server is
 * used on its own base's thread).
 */
static pthread_mutex_t	 serve_servers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ap_server	*serve_servers;

static const char serve_index[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>asyncprobe</title></head>\n"
    "<body><h1>asyncprobe</h1>\n"
    "<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a>: the last finished round</li>\n"
    "<li><a href=\"/probe\">/probe</a>?target=HOST:PORT: probe one "
    "target now, answered in blackbox_exporter's format</li>\n"
    "<li><a href=\"/healthz\">/healthz</a></li>\n"
    "</ul></body></html>\n";

static void
blob_unref(struct serve_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

static void
blob_unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	blob_unref(arg);
}

/* Accept while below the bound and not pausing after an accept error;
 * clients past it wait in the kernel's backlog. */
static void
serve_update_listener(struct ap_server *srv)
{
	bool	 want;

	if (srv->freeing)
		return;
	want = !srv->paused && srv->conns < srv->max_conns;
	if (want == srv->accepting)
		return;
	if (want)
		evconnlistener_enable(srv->listener);
	else
		evconnlistener_disable(srv->listener);
	srv->accepting = want;
}

static void
pending_unlink(struct ap_serve_reply *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		r->srv->pending = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

/* evhttp frees the connection (and closes its socket right after). */
static void
serve_conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct serve_conn	*c = arg;
	struct ap_server	*srv = c->srv;
	struct ap_serve_reply	*r, *next;

	/*
	 * A probe still owed on it: evhttp frees its request with the
	 * connection, unless it orphaned it first (evcon NULL: then
	 * evhttp_send_reply() frees it).  Defensive: the connection is
	 * not read and has no deadline while a probe is owed, and
	 * ap_serve_free() lets go of every token itself.
	 */
	for (r = srv->freeing ? NULL : srv->pending; r != NULL; r = next) {
		next = r->next;
		if (r->conn != c)
			continue;
		r->conn = NULL;
		if (evhttp_request_get_connection(r->req) == evcon) {
			pending_unlink(r);
			r->srv = NULL;
			r->req = NULL;
		}
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->deadline);
	free(c);
	srv->conns--;
	serve_update_listener(srv);
}

/* Too slow: evhttp frees the connection, which ends in
 * serve_conn_closed_cb(). */
static void
serve_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct serve_conn	*c = arg;

	(void)fd;
	(void)what;
	evhttp_connection_free(c->evcon);
}

static void
serve_conn_arm(struct serve_conn *c)
{
	if (c != NULL)
		evtimer_add(c->deadline, &c->srv->request_tv);
}

/* The answer went out: the next request gets its own time. */
static void
serve_complete_cb(struct evhttp_request *req, void *arg)
{
	(void)req;
	serve_conn_arm(arg);
}

static struct serve_conn *
serve_conn_of(struct ap_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct serve_conn		*c;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return (NULL);
	for (c = srv->conn_list; c != NULL && c->evcon != evcon; c = c->next)
		;
	return (c);
}

/*
 * Counting connections.  evhttp 2.1 says nothing when it accepts one, and
 * its close callback can only be set on a connection object it never
 * hands out before the first request.  But it asks serve_bev_cb() for
 * each accepted connection's bufferevent, and then (libevent 2.1.12's
 * evhttp_connection_base_bufferevent_new) makes the connection the
 * bufferevent's callback argument.  So serve_bev_cb() counts the
 * connection and keeps a reference to the bufferevent, and this, run from
 * the loop just after, finds the connection there and sets its close
 * callback, which evhttp calls exactly once when it frees an incoming
 * connection.  A connection evhttp freed meanwhile (an error right after
 * accept) left a bufferevent whose callbacks bufferevent_free() cleared:
 * it is no longer open.  (A pass-through filter bufferevent would say
 * when it is freed, through its free_context callback, and
 * bufferevent_setfd() on it does reach the socket bufferevent below; but
 * evhttp queues each answer while the filter's writing is disabled, and
 * the filter never moves it on once writing is enabled: no answer would
 * ever leave.)
 */
static void
serve_confirm(struct ap_server *srv)
{
	struct bufferevent	*bev;
	struct serve_conn	*c;
	void			*evcon;
	unsigned		 i;

	for (i = 0; i < srv->nunconfirmed; i++) {
		bev = srv->unconfirmed[i];
		evcon = NULL;
		bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
		if (evcon != NULL && !srv->freeing) {
			c = xcalloc(1, sizeof(*c));
			c->srv = srv;
			c->evcon = evcon;
			if ((c->deadline = evtimer_new(srv->base,
			    serve_deadline_cb, c)) == NULL) {
				/* Out of memory: this one cannot be kept. */
				free(c);
				evhttp_connection_free(evcon);
				srv->conns--;
			} else {
				if ((c->next = srv->conn_list) != NULL)
					c->next->prev = c;
				srv->conn_list = c;
				evhttp_connection_set_closecb(evcon,
				    serve_conn_closed_cb, c);
				serve_conn_arm(c);
			}
		} else
			srv->conns--;
		bufferevent_decref(bev);
	}
	srv->nunconfirmed = 0;
	serve_update_listener(srv);
}

static void
serve_confirm_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	serve_confirm(arg);
}

/*
 * The bufferevent of each accepted connection: a socket bufferevent
 * without BEV_OPT_CLOSE_ON_FREE, so that evhttp closes the descriptor
 * itself as it frees the connection (not later, when libevent finalizes
 * the bufferevent).  The listener stops at the bound from inside this
 * call, and libevent's accept loop stops once it is disabled.  NULL makes
 * evhttp create one itself, uncounted: only out of memory.
 */
static struct bufferevent *
serve_bev_cb(struct event_base *base, void *arg)
{
	struct ap_server	*srv = arg;
	struct bufferevent	*bev;

	if (srv->nunconfirmed == srv->max_conns ||
	    (bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return (NULL);
	/* libevent writes 16 KiB a loop pass by default: a busy round's
	 * passes are long, and the 3 MB /metrics of 10,000 targets would
	 * take seconds.  As much as the kernel takes, at once. */
	bufferevent_set_max_single_write(bev, SERVE_WRITE_MAX);
	bufferevent_incref(bev);
	srv->unconfirmed[srv->nunconfirmed++] = bev;
	srv->conns++;
	event_active(srv->confirm, EV_TIMEOUT, 0);
	serve_update_listener(srv);
	return (bev);
}

static void
serve_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_server	*srv = arg;

	(void)fd;
	(void)what;
	srv->paused = false;
	serve_update_listener(srv);
}

/* accept() failed with something not retriable at once (EMFILE,
 * ENFILE, ENOBUFS): the listening socket stays readable, so listening on
 * would spin.  Pause a moment; the clients wait in the backlog. */
static void
serve_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ap_server	*srv;
	struct timeval		 tv = { 0, SERVE_ACCEPT_PAUSE_MS * 1000 };

	(void)arg;			/* evhttp's */
	pthread_mutex_lock(&serve_servers_lock);
	for (srv = serve_servers; srv != NULL && srv->listener != lev;
	    srv = srv->next_server)
		;
	pthread_mutex_unlock(&serve_servers_lock);
	if (srv == NULL)
		return;
	srv->paused = true;
	serve_update_listener(srv);
	evtimer_add(srv->resume, &tv);
}

/* Send data (or, for HEAD, only its length) with code; blob, when not
 * NULL, is the shared copy data lives in. */
static void
serve_send(struct evhttp_request *req, bool head, int code,
    const char *type, const char *data, size_t len, struct serve_blob *blob)
{
	struct evkeyvalq	*hdr = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;
	char			 num[32];

	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	if ((buf = evbuffer_new()) == NULL) {
		/* evhttp frees the request (and the connection) once it is
		 * sent: an empty 500 is the most left to say. */
		evhttp_send_reply(req, 500, NULL, NULL);
		return;
	}
	if (head) {
		/* evhttp counts no body it is not given. */
		snprintf(num, sizeof(num), "%zu", len);
		evhttp_add_header(hdr, "Content-Length", num);
	} else if (blob != NULL) {
		blob->refs++;
		if (evbuffer_add_reference(buf, data, len, blob_unref_cb,
		    blob) == -1) {
			blob->refs--;
			evbuffer_add(buf, data, len);
		}
	} else
		evbuffer_add(buf, data, len);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

static void
serve_text(struct evhttp_request *req, bool head, int code, const char *text)
{
	serve_send(req, head, code, SERVE_TEXT_TYPE, text, strlen(text), NULL);
}

static void
serve_metrics(struct ap_server *srv, struct evhttp_request *req, bool head)
{
	if (srv->metrics == NULL) {
		serve_text(req, head, 503, "no round has finished yet\n");
		return;
	}
	serve_send(req, head, 200, SERVE_PROM_TYPE, srv->metrics->data,
	    srv->metrics->len, srv->metrics);
}

/*
 * The probe's deadline: -t, or less when Prometheus says its scrape times
 * out sooner (X-Prometheus-Scrape-Timeout-Seconds, less the offset), as
 * blackbox_exporter's getTimeout() does; never below a small floor, never
 * above -t.  -1 when the header is not a number of seconds.
 */
static int
serve_timeout_ms(const struct ap_server *srv, struct evhttp_request *req)
{
	const char	*h;
	char		*end;
	double		 s, ms;
	int		 t = srv->probe_timeout_ms;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Prometheus-Scrape-Timeout-Seconds");
	if (h != NULL) {
		errno = 0;
		s = strtod(h, &end);
		if (end == h || *end != '\0' || errno == ERANGE ||
		    !isfinite(s) || s < 0)
			return (-1);
		/* 0 is blackbox_exporter's "no limit given". */
		if (s > 0) {
			ms = s * 1000 - SERVE_TIMEOUT_OFFSET_MS;
			if (ms < t)
				t = ms < SERVE_MIN_TIMEOUT_MS ?
				    SERVE_MIN_TIMEOUT_MS : (int)ms;
		}
	}
	if (t > srv->probe_timeout_ms)
		t = srv->probe_timeout_ms;
	return (t);
}

/* The one target= of the query, percent-decoded, in out; else a 400
 * reason in why. */
static int
serve_target(struct evhttp_request *req, char *out, size_t outlen,
    const char **why)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char		*target = NULL;
	struct evkeyvalq	 params;
	struct evkeyval		*kv;
	int			 n = 0;

	if (q == NULL)
		q = "";
	/* evhttp decodes values into C strings: a %00 would cut the
	 * target short instead of failing it. */
	if (strstr(q, "%00") != NULL) {
		*why = "the query holds a NUL byte\n";
		return (-1);
	}
	if (evhttp_parse_query_str(q, &params) == -1) {
		*why = "malformed query string\n";
		return (-1);
	}
	TAILQ_FOREACH(kv, &params, next) {
		if (strcmp(kv->key, "target") == 0) {
			target = kv->value;
			n++;
		}
	}
	if (n == 0)
		*why = "target parameter is missing\n";
	else if (n > 1)
		*why = "more than one target parameter\n";
	else if (*target == '\0')
		*why = "target parameter is empty\n";
	else if (strlen(target) >= outlen)
		*why = "target is too long\n";
	else {
		memcpy(out, target, strlen(target) + 1);
		evhttp_clear_headers(&params);
		return (0);
	}
	evhttp_clear_headers(&params);
	return (-1);
}

static void
serve_probe(struct ap_server *srv, struct evhttp_request *req, bool head)
{
	struct ap_serve_reply	*r;
	const char		*reason;
	char			 target[SERVE_TARGET_MAX + 1];
	char			 why[AP_ERRBUF_LEN];
	size_t			 n;
	int			 code, timeout_ms;

	if (serve_target(req, target, sizeof(target), &reason) == -1) {
		serve_text(req, head, 400, reason);
		return;
	}
	if ((timeout_ms = serve_timeout_ms(srv, req)) == -1) {
		serve_text(req, head, 400, "X-Prometheus-Scrape-Timeout-Seconds "
		    "is not a number of seconds\n");
		return;
	}
	why[0] = '\0';
	if ((code = srv->hooks.probe_check(srv->hooks.arg, target, why,
	    sizeof(why) - 1)) != 0) {
		if (code < 400 || code > 599)
			code = 500;
		/* The reason is a line of the body. */
		n = strlen(why);
		if (n == 0 || why[n - 1] != '\n')
			memcpy(why + n, "\n", 2);
		serve_text(req, head, code, why);
		return;
	}

	/* On the list before probe_start(), so that a hook that replied
	 * at once (against its contract) still finds it there. */
	r = xcalloc(1, sizeof(*r));
	r->srv = srv;
	r->req = req;
	r->conn = serve_conn_of(srv, req);
	r->head = head;
	if ((r->next = srv->pending) != NULL)
		r->next->prev = r;
	srv->pending = r;
	/* The wait for the monitor is no client's slowness. */
	if (r->conn != NULL)
		evtimer_del(r->conn->deadline);
	if (srv->hooks.probe_start(srv->hooks.arg, target, timeout_ms,
	    r) == -1) {
		pending_unlink(r);
		if (r->conn != NULL)
			serve_conn_arm(r->conn);
		free(r);
		serve_text(req, head, 503, "too many probes at once, try "
		    "again later\n");
	}
}

static void
serve_request_cb(struct evhttp_request *req, void *arg)
{
	struct ap_server	*srv = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;
	bool			 head = cmd == EVHTTP_REQ_HEAD;

	if (path == NULL)
		path = "";
	/* A request before serve_confirm_cb() ran: its connection first. */
	if (srv->nunconfirmed > 0)
		serve_confirm(srv);
	evhttp_request_set_on_complete_cb(req, serve_complete_cb,
	    serve_conn_of(srv, req));
	if (cmd != EVHTTP_REQ_GET && !head) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		serve_text(req, false, 405, "method not allowed: GET and HEAD "
		    "only\n");
	} else if (strcmp(path, "/metrics") == 0)
		serve_metrics(srv, req, head);
	else if (strcmp(path, "/probe") == 0)
		serve_probe(srv, req, head);
	else if (strcmp(path, "/healthz") == 0)
		serve_text(req, head, 200, "OK\n");
	else if (strcmp(path, "/") == 0)
		serve_send(req, head, 200, SERVE_HTML_TYPE, serve_index,
		    sizeof(serve_index) - 1, NULL);
	else
		serve_text(req, head, 404, "not found\n");
}

/* The address's socket, bound and listening, nonblocking and
 * close-on-exec; -1 with the reason in errbuf. */
static int
serve_listen(const struct ap_serve_config *cf, char *errbuf, size_t errlen)
{
	const struct ap_addr	*a = &cf->addr;
	char			 host[AP_IPSTR_LEN];
	unsigned		 port;
	int			 fd, on = 1, save;

	if ((fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/* A restarted monitor binds again while old connections linger
	 * in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, &a->u.sa, a->len) == -1 ||
	    listen(fd, SERVE_BACKLOG) == -1)
		goto fail;
	return (fd);
fail:
	save = errno;
	if (fd != -1)
		close(fd);
	ap_addr_ntop(a, host, sizeof(host));
	if (a->u.sa.sa_family == AF_INET6) {
		port = ntohs(a->u.sin6.sin6_port);
		ap_set_error(errbuf, errlen, "--serve [%s]:%u: %s", host, port,
		    strerror(save));
	} else {
		port = ntohs(a->u.sin.sin_port);
		ap_set_error(errbuf, errlen, "--serve %s:%u: %s", host, port,
		    strerror(save));
	}
	return (-1);
}

static unsigned
serve_bound_port(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (0);
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

struct ap_server *
ap_serve_new(struct event_base *base, const struct ap_serve_config *cf,
    char *errbuf, size_t errlen)
{
	struct ap_server	*srv;
	struct timeval		 idle;
	int			 fd, ms;

	if ((fd = serve_listen(cf, errbuf, errlen)) == -1)
		return (NULL);
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->hooks = cf->hooks;
	srv->probe_timeout_ms = cf->probe_timeout_ms;
	srv->max_conns = cf->max_connections > 0 ? cf->max_connections :
	    SERVE_MAX_CONNECTIONS;
	srv->port = serve_bound_port(fd);
	srv->unconfirmed = xcalloc(srv->max_conns, sizeof(*srv->unconfirmed));
	ms = cf->idle_timeout_ms > 0 ? cf->idle_timeout_ms :
	    SERVE_IDLE_TIMEOUT_MS;
	idle.tv_sec = ms / 1000;
	idle.tv_usec = (ms % 1000) * 1000;
	srv->request_tv = idle;

	if ((srv->resume = evtimer_new(base, serve_resume_cb, srv)) == NULL ||
	    (srv->confirm = event_new(base, -1, 0, serve_confirm_cb,
	    srv)) == NULL ||
	    (srv->http = evhttp_new(base)) == NULL)
		goto fail;
	/* Owns fd from here; listening already (backlog 0: no listen()). */
	if ((srv->listener = evconnlistener_new(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd)) == NULL)
		goto fail;
	fd = -1;
	if (evhttp_bind_listener(srv->http, srv->listener) == NULL) {
		evconnlistener_free(srv->listener);
		srv->listener = NULL;
		goto fail;
	}
	srv->accepting = true;
	pthread_mutex_lock(&serve_servers_lock);
	srv->next_server = serve_servers;
	serve_servers = srv;
	pthread_mutex_unlock(&serve_servers_lock);
	evconnlistener_set_error_cb(srv->listener, serve_accept_error_cb);
	evhttp_set_bevcb(srv->http, serve_bev_cb, srv);
	evhttp_set_gencb(srv->http, serve_request_cb, srv);
	/* Every method reaches serve_request_cb, which answers 405 to all
	 * but GET and HEAD (evhttp itself would say 501). */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(srv->http, SERVE_MAX_HEADERS);
	/* No route takes a body: any body at all is 413. */
	evhttp_set_max_body_size(srv->http, 0);
	evhttp_set_timeout_tv(srv->http, &idle);
	return (srv);
fail:
	ap_set_error(errbuf, errlen, "--serve: %s", strerror(errno));
	if (fd != -1)
		close(fd);
	ap_serve_free(srv);
	return (NULL);
}

void
ap_serve_free(struct ap_server *srv)
{
	struct ap_serve_reply	*r;
	struct ap_server	**pp;

	if (srv == NULL)
		return;
	pthread_mutex_lock(&serve_servers_lock);
	for (pp = &serve_servers; *pp != NULL; pp = &(*pp)->next_server)
		if (*pp == srv) {
			*pp = srv->next_server;
			break;
		}
	pthread_mutex_unlock(&serve_servers_lock);
	/* Tokens outlive the requests evhttp_free() is about to free. */
	for (r = srv->pending; r != NULL; r = r->next) {
		r->srv = NULL;
		r->req = NULL;
	}
	/* evhttp_free() frees the listener first, then each connection,
	 * calling serve_conn_closed_cb(). */
	srv->freeing = true;
	if (srv->http != NULL)
		evhttp_free(srv->http);
	serve_confirm(srv);
	if (srv->resume != NULL)
		event_free(srv->resume);
	if (srv->confirm != NULL)
		event_free(srv->confirm);
	free(srv->unconfirmed);
	blob_unref(srv->metrics);
	free(srv);
}

unsigned
ap_serve_port(const struct ap_server *srv)
{
	return (srv->port);
}

void
ap_serve_set_metrics(struct ap_server *srv, const char *text, size_t len)
{
	struct serve_blob	*b;

	b = xmalloc(sizeof(*b) + len + 1);
	b->refs = 1;
	b->len = len;
	memcpy(b->data, text, len);
	b->data[len] = '\0';
	blob_unref(srv->metrics);
	srv->metrics = b;
}

void
ap_serve_reply(struct ap_serve_reply *r, int code, const char *body,
    size_t len)
{
	struct ap_server	*srv = r->srv;

	if (srv != NULL) {
		pending_unlink(r);
		/*
		 * evhttp keeps the request until it is answered, even when
		 * the client went away meanwhile (it then only frees it):
		 * it stops reading the connection while the request waits,
		 * so neither EOF nor the idle timeout can free it first.
		 */
		if (code < 100 || code > 599)
			code = 500;
		/* Time to deliver it, as for any answer. */
		serve_conn_arm(r->conn);
		serve_send(r->req, r->head, code, code == 200 ?
		    SERVE_PROM_TYPE : SERVE_TEXT_TYPE, body, len, NULL);
	}
	free(r);
}
