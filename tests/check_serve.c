/* SPDX-License-Identifier: ISC */
/* check_serve.c -- --serve's HTTP side on a loopback ephemeral port: every
 * route and its exact answer, /probe's query and timeout rules through
 * fake hooks, the hostile request set, the connection bound, clients that
 * leave early, and freeing with replies owed; then the blackbox writer's
 * exact text, also fed to promtool.  The server runs on the test's own
 * event loop; the clients are a thread with plain blocking sockets on
 * 127.0.0.1, so the loop never waits for them. */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include <check.h>

#include "output.h"
#include "result.h"
#include "serve.h"
#include "testutil.h"

#define RESP_MAX	16384
#define BIG_REQ		10000	/* past the server's 8 KiB header bound */
#define CLIENT_WAIT_MS	5000	/* a client gives up on a silent server */

/* What the fake monitor does when /probe asks it to probe. */
enum probe_mode {
	PROBE_TIMER,		/* reply 200 from a 10 ms timer */
	PROBE_BUSY,		/* cannot start: -1 */
	PROBE_HOLD		/* keep the token; the test replies */
};

static struct event_base	*base;
static struct ap_server		*srv;
static enum probe_mode		 mode;
static char			 last_target[1100];
static int			 last_timeout_ms;
static int			 nstarted;
static struct ap_serve_reply	*held;
static int			 to_main[2];	/* client thread -> loop */
static int			 to_client[2];	/* loop -> client thread */
static struct event		*main_ev;
static void			(*on_client_msg)(char);

static int
fake_check(void *arg, const char *target, char *why, size_t whylen)
{
	(void)arg;
	if (strchr(target, ':') == NULL) {
		snprintf(why, whylen, "%s", "not HOST:PORT");
		return (400);
	}
	if (strcmp(target, "127.0.0.1:80") != 0) {
		snprintf(why, whylen, "%s", "not in the input list\n");
		return (403);
	}
	return (0);
}

static void
reply_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char	 body[] = "probe_success 1\n";

	(void)fd;
	(void)what;
	ap_serve_reply(arg, 200, body, sizeof(body) - 1);
}

static int
fake_start(void *arg, const char *target, int timeout_ms,
    struct ap_serve_reply *reply)
{
	struct timeval	 tv = { 0, 10000 };
	char		 c = 's';

	(void)arg;
	snprintf(last_target, sizeof(last_target), "%s", target);
	last_timeout_ms = timeout_ms;
	nstarted++;
	switch (mode) {
	case PROBE_BUSY:
		return (-1);
	case PROBE_HOLD:
		held = reply;
		ck_assert_int_eq(write(to_client[1], &c, 1), 1);
		return (0);
	case PROBE_TIMER:
		break;
	}
	ck_assert_int_eq(event_base_once(base, -1, EV_TIMEOUT, reply_cb,
	    reply, &tv), 0);
	return (0);
}

static struct ap_serve_config
config(void)
{
	struct ap_serve_config	 cf;

	memset(&cf, 0, sizeof(cf));
	ck_assert_int_eq(ap_addr_pton("127.0.0.1", 0, &cf.addr), 0);
	cf.hooks.probe_check = fake_check;
	cf.hooks.probe_start = fake_start;
	cf.probe_timeout_ms = 5000;
	return (cf);
}

static void
start(const struct ap_serve_config *cf)
{
	char	 err[AP_ERRBUF_LEN];

	srv = ap_serve_new(base, cf, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
	ck_assert_uint_ne(ap_serve_port(srv), 0);
}

static void
main_msg_cb(evutil_socket_t fd, short what, void *arg)
{
	char	 c;

	(void)what;
	(void)arg;
	if (read(fd, &c, 1) != 1)
		return;
	if (on_client_msg != NULL)
		on_client_msg(c);
	if (c == 'd')
		event_base_loopexit(base, NULL);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_int_eq(pipe(to_main), 0);
	ck_assert_int_eq(pipe(to_client), 0);
	main_ev = event_new(base, to_main[0], EV_READ | EV_PERSIST,
	    main_msg_cb, NULL);
	ck_assert_int_eq(event_add(main_ev, NULL), 0);
	mode = PROBE_TIMER;
	nstarted = 0;
	held = NULL;
	on_client_msg = NULL;
	srv = NULL;
}

static void
teardown(void)
{
	ap_serve_free(srv);
	event_free(main_ev);
	event_base_free(base);
	close(to_main[0]);
	close(to_main[1]);
	close(to_client[0]);
	close(to_client[1]);
}

/* The client side: blocking sockets, every wait bounded. */

static int
client_connect(unsigned port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { CLIENT_WAIT_MS / 1000, 0 };
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Everything until the server closes (or a read times out: -1). */
static ssize_t
client_read_all(int fd, char *buf, size_t cap)
{
	size_t	 len = 0;
	ssize_t	 n;

	for (;;) {
		if (len + 1 >= cap)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == ECONNRESET)
				break;
			buf[len] = '\0';
			return (-1);
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return ((ssize_t)len);
}

struct xchg {
	const char	*req;		/* sent as it is */
	char		 resp[RESP_MAX];
	ssize_t		 len;		/* -1: timed out */
};

struct client_job {
	struct xchg	*x;
	size_t		 n;
	void		(*fn)(struct client_job *);
};

static void
client_send(int to, char c)
{
	ck_assert_int_eq(write(to, &c, 1), 1);
}

static char
client_wait(void)
{
	struct pollfd	 p = { to_client[0], POLLIN, 0 };
	char		 c = 0;

	if (poll(&p, 1, CLIENT_WAIT_MS) == 1 && read(to_client[0], &c, 1) == 1)
		return (c);
	return (0);
}

/* One connection per exchange, one after the other. */
static void
client_sequential(struct client_job *job)
{
	size_t	 i;
	int	 fd;

	for (i = 0; i < job->n; i++) {
		job->x[i].len = -1;
		if ((fd = client_connect(ap_serve_port(srv))) == -1)
			continue;
		if (write(fd, job->x[i].req, strlen(job->x[i].req)) ==
		    (ssize_t)strlen(job->x[i].req))
			job->x[i].len = client_read_all(fd, job->x[i].resp,
			    sizeof(job->x[i].resp));
		close(fd);
	}
}

static void *
client_main(void *arg)
{
	struct client_job	*job = arg;

	job->fn(job);
	client_send(to_main[1], 'd');
	return (NULL);
}

static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
	event_base_loopexit(base, NULL);
}

/* Run the loop while the client thread runs fn; false when it took
 * longer than anything here should (the loop is stopped then). */
static bool
run_clients(struct client_job *job)
{
	struct timeval	 tv = { 30, 0 };
	struct event	*safety;
	pthread_t	 t;
	bool		 expired = false;

	safety = evtimer_new(base, safety_cb, &expired);
	evtimer_add(safety, &tv);
	ck_assert_int_eq(pthread_create(&t, NULL, client_main, job), 0);
	event_base_dispatch(base);
	if (expired)
		pthread_cancel(t);
	pthread_join(t, NULL);
	event_free(safety);
	return (!expired);
}

static void
exchange(struct xchg *x, size_t n)
{
	struct client_job	 job = { x, n, client_sequential };

	ck_assert(run_clients(&job));
}

/* Run the loop until pred() holds, at most 10 s. */
static bool
loop_until(bool (*pred)(void))
{
	int	 i;

	for (i = 0; i < 1000 && !pred(); i++) {
		struct timeval	 tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return (pred());
}

/*
 * This process's IPv4 sockets bound to port, listening or not (accepted:
 * a client's own socket has an ephemeral port); *first gets the lowest
 * descriptor, -1 for none.  What the kernel holds, not what the server
 * counts.
 */
static unsigned
count_sockets(unsigned port, bool listening, int *first)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	unsigned		 n = 0;
	int			 fd, on;

	*first = -1;
	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(sin);
		if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
		    sin.sin_family != AF_INET || ntohs(sin.sin_port) != port)
			continue;
		len = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) ==
		    0 && (on != 0) == listening) {
			if (n++ == 0)
				*first = fd;
		}
	}
	return (n);
}

/* Client connections the server holds open now. */
static unsigned
connections_open(void)
{
	int	 fd;

	return (count_sockets(ap_serve_port(srv), false, &fd));
}

static bool
no_connections(void)
{
	return (connections_open() == 0);
}

/* Response parts. */

static int
status_of(const struct xchg *x)
{
	if (x->len < 12 || strncmp(x->resp, "HTTP/1.", 7) != 0)
		return (-1);
	return (atoi(x->resp + 9));
}

static const char *
body_of(const struct xchg *x)
{
	const char	*p = strstr(x->resp, "\r\n\r\n");

	return (p != NULL ? p + 4 : "");
}

/* The value of a response header, or "" (in a static buffer). */
static const char *
header_of(const struct xchg *x, const char *name)
{
	static char	 val[256];
	const char	*p, *end, *hend = strstr(x->resp, "\r\n\r\n");
	size_t		 n = strlen(name);

	val[0] = '\0';
	for (p = strstr(x->resp, "\r\n"); p != NULL && p < hend;
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			p += 2 + n + 1;
			while (*p == ' ')
				p++;
			end = strstr(p, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)(end - p), p);
			break;
		}
	}
	return (val);
}

#define PROM_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE	"text/plain; charset=utf-8"

/* Routes */

START_TEST(test_routes)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[8];
	static const char	 metrics[] = "asyncprobe_round_number 3\n";

	start(&cf);
	x[0].req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "\r\n";
	x[1].req = "GET / HTTP/1.0\r\n\r\n";
	x[2].req = "GET /nope HTTP/1.0\r\n\r\n";
	x[3].req = "GET /metrics HTTP/1.0\r\n\r\n";
	x[4].req = "POST /metrics HTTP/1.0\r\n\r\n";
	x[5].req = "DELETE /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	x[6].req = "GET /metrics/ HTTP/1.0\r\n\r\n";
	x[7].req = "HEAD /healthz HTTP/1.0\r\n\r\n";
	exchange(x, 8);
	ck_assert_int_eq(status_of(&x[0]), 200);
	ck_assert_str_eq(body_of(&x[0]), "OK\n");
	ck_assert_str_eq(header_of(&x[0], "Content-Type"), TEXT_TYPE);
	ck_assert_int_eq(status_of(&x[1]), 200);
	ck_assert_str_eq(header_of(&x[1], "Content-Type"),
	    "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(body_of(&x[1]), "href=\"/metrics\""));
	ck_assert_ptr_nonnull(strstr(body_of(&x[1]), "href=\"/probe\""));
	ck_assert_ptr_nonnull(strstr(body_of(&x[1]), "href=\"/healthz\""));
	ck_assert_int_eq(status_of(&x[2]), 404);
	ck_assert_str_eq(body_of(&x[2]), "not found\n");
	/* No round yet. */
	ck_assert_int_eq(status_of(&x[3]), 503);
	ck_assert_str_eq(body_of(&x[3]), "no round has finished yet\n");
	ck_assert_int_eq(status_of(&x[4]), 405);
	ck_assert_str_eq(header_of(&x[4], "Allow"), "GET, HEAD");
	ck_assert_str_eq(body_of(&x[4]),
	    "method not allowed: GET and HEAD only\n");
	ck_assert_int_eq(status_of(&x[5]), 405);
	ck_assert_int_eq(nstarted, 0);
	ck_assert_int_eq(status_of(&x[6]), 404);
	ck_assert_int_eq(status_of(&x[7]), 200);
	ck_assert_str_eq(header_of(&x[7], "Content-Length"), "3");
	ck_assert_str_eq(body_of(&x[7]), "");

	/* A round finished; then the next one replaces it. */
	ap_serve_set_metrics(srv, "old 1\n", 6);
	ap_serve_set_metrics(srv, metrics, sizeof(metrics) - 1);
	x[0].req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "\r\n";
	x[1].req = "HEAD /metrics HTTP/1.0\r\n\r\n";
	exchange(x, 2);
	ck_assert_int_eq(status_of(&x[0]), 200);
	ck_assert_str_eq(header_of(&x[0], "Content-Type"), PROM_TYPE);
	ck_assert_str_eq(header_of(&x[0], "Content-Length"), "26");
	ck_assert_str_eq(body_of(&x[0]), metrics);
	ck_assert_int_eq(status_of(&x[1]), 200);
	ck_assert_str_eq(header_of(&x[1], "Content-Length"), "26");
	ck_assert_str_eq(header_of(&x[1], "Content-Type"), PROM_TYPE);
	ck_assert_str_eq(body_of(&x[1]), "");
	ck_assert(loop_until(no_connections));
}
END_TEST

/*
 * A new round's text while a scrape of the old one is still on the wire
 * (the client does not read yet): the scrape gets one version, whole.
 */
#define BIG_METRICS	(4 * 1024 * 1024)
#define NVERSIONS	5

static char	*big_body;
static size_t	 big_len;
static int	 replaced;

static void
set_version(int v)
{
	char	*text = malloc(BIG_METRICS);

	ck_assert_ptr_nonnull(text);
	memset(text, 'a' + v, BIG_METRICS);
	text[BIG_METRICS - 1] = '\n';
	ap_serve_set_metrics(srv, text, BIG_METRICS);
	free(text);
}

static void
replace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 0, 10000 };

	(void)fd;
	(void)what;
	(void)arg;
	set_version(++replaced);
	if (replaced < NVERSIONS)
		event_base_once(base, -1, EV_TIMEOUT, replace_cb, NULL, &tv);
	else
		client_send(to_client[1], 'g');
}

static void
replace_when_asked(char c)
{
	struct timeval	 tv = { 0, 10000 };

	if (c == 'w')
		event_base_once(base, -1, EV_TIMEOUT, replace_cb, NULL, &tv);
}

static void
client_slow(struct client_job *job)
{
	static const char	 req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	size_t			 cap = BIG_METRICS + 4096;
	ssize_t			 n;
	int			 fd;

	(void)job;
	big_len = 0;
	if ((big_body = malloc(cap)) == NULL ||
	    (fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	if (write(fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1) {
		client_send(to_main[1], 'w');
		if (client_wait() == 'g')
			while ((n = read(fd, big_body + big_len,
			    cap - big_len)) > 0)
				big_len += (size_t)n;
	}
	close(fd);
}

START_TEST(test_metrics_replaced)
{
	struct ap_serve_config	 cf = config();
	struct client_job	 job = { NULL, 0, client_slow };
	const char		*body;
	size_t			 i, n;

	start(&cf);
	replaced = 0;
	set_version(0);
	on_client_msg = replace_when_asked;
	ck_assert(run_clients(&job));
	ck_assert_int_eq(replaced, NVERSIONS);
	ck_assert_ptr_nonnull(big_body);
	ck_assert_uint_gt(big_len, BIG_METRICS);
	body = memmem(big_body, big_len, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(body);
	body += 4;
	n = big_len - (size_t)(body - big_body);
	ck_assert_uint_eq(n, BIG_METRICS);
	ck_assert(body[0] >= 'a' && body[0] <= 'a' + NVERSIONS);
	for (i = 1; i < n - 1 && body[i] == body[0]; i++)
		;
	ck_assert_uint_eq(i, n - 1);
	ck_assert_int_eq(body[n - 1], '\n');
	free(big_body);
}
END_TEST

/* Keep-alive: two requests on one connection, as Prometheus scrapes. */
START_TEST(test_keepalive)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];

	start(&cf);
	ap_serve_set_metrics(srv, "a 1\n", 4);
	x[0].req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	exchange(x, 1);
	/* Both answers, one after the other, on the one connection. */
	ck_assert_int_eq(status_of(&x[0]), 200);
	ck_assert_ptr_nonnull(strstr(x[0].resp, "\r\n\r\na 1\nHTTP/1.1 200 OK"
	    "\r\n"));
	ck_assert_uint_gt(x[0].len, 7);
	ck_assert_str_eq(x[0].resp + x[0].len - 7, "\r\n\r\nOK\n");
}
END_TEST

/* /probe: the query, the hooks' answers, the reply. */

static const struct probe_case {
	const char	*query;
	int		 code;
	const char	*body;
} probe_cases[] = {
	{ "", 400, "target parameter is missing\n" },
	{ "?module=tcp_connect", 400, "target parameter is missing\n" },
	{ "?target=", 400, "target parameter is empty\n" },
	{ "?target=127.0.0.1:80&target=127.0.0.1:80", 400,
	    "more than one target parameter\n" },
	{ "?target=127.0.0.1:80%00x", 400, "the query holds a NUL byte\n" },
	{ "?target", 400, "malformed query string\n" },
	{ "?target=nocolon", 400, "not HOST:PORT\n" },
	{ "?target=127.0.0.2:80", 403, "not in the input list\n" },
	{ "?target=127.0.0.1:80", 200, "probe_success 1\n" },
	{ "?module=tcp_connect&target=127.0.0.1%3A80", 200,
	    "probe_success 1\n" },
	{ "?target=127.0.0.1:80&module=a&module=b", 200, "probe_success 1\n" },
};

START_TEST(test_probe_query)
{
	const struct probe_case	*c = &probe_cases[_i];
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	char			 req[256];

	start(&cf);
	snprintf(req, sizeof(req), "GET /probe%s HTTP/1.0\r\n\r\n", c->query);
	x[0].req = req;
	exchange(x, 1);
	ck_assert_int_eq(status_of(&x[0]), c->code);
	ck_assert_str_eq(body_of(&x[0]), c->body);
	ck_assert_str_eq(header_of(&x[0], "Content-Type"),
	    c->code == 200 ? PROM_TYPE : TEXT_TYPE);
	ck_assert_int_eq(nstarted, c->code == 200);
	if (c->code == 200) {
		ck_assert_str_eq(last_target, "127.0.0.1:80");
		ck_assert_int_eq(last_timeout_ms, 5000);
	}
	ck_assert(loop_until(no_connections));
}
END_TEST

/* A target longer than any input line may be (SPEC 2: 1024 bytes). */
START_TEST(test_probe_long_target)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[2];
	static char		 req[2][1200];

	start(&cf);
	snprintf(req[0], sizeof(req[0]), "GET /probe?target=%0*d:80 HTTP/1.0"
	    "\r\n\r\n", 1021, 0);
	snprintf(req[1], sizeof(req[1]), "GET /probe?target=%0*d:80 HTTP/1.0"
	    "\r\n\r\n", 1022, 0);
	x[0].req = req[0];
	x[1].req = req[1];
	exchange(x, 2);
	/* 1024 bytes reach the hooks (which say 403), 1025 do not. */
	ck_assert_int_eq(status_of(&x[0]), 403);
	ck_assert_int_eq(status_of(&x[1]), 400);
	ck_assert_str_eq(body_of(&x[1]), "target is too long\n");
}
END_TEST

START_TEST(test_probe_busy)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[2];

	start(&cf);
	mode = PROBE_BUSY;
	x[0].req = "GET /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	x[1].req = "HEAD /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	exchange(x, 2);
	ck_assert_int_eq(status_of(&x[0]), 503);
	ck_assert_str_eq(body_of(&x[0]),
	    "too many probes at once, try again later\n");
	ck_assert_int_eq(status_of(&x[1]), 503);
	ck_assert_str_eq(body_of(&x[1]), "");
	ck_assert_int_eq(nstarted, 2);
	ck_assert(loop_until(no_connections));
}
END_TEST

/* X-Prometheus-Scrape-Timeout-Seconds: min(-t, header - 0.5 s), at least
 * 100 ms, never above -t. */
static const struct timeout_case {
	int		 config_ms;
	const char	*header;	/* NULL: none */
	int		 code;
	int		 timeout_ms;
} timeout_cases[] = {
	{ 5000, NULL, 200, 5000 },
	{ 5000, "10", 200, 5000 },
	{ 5000, "3", 200, 2500 },
	{ 5000, "1.2", 200, 700 },
	{ 5000, "5.5", 200, 5000 },
	{ 5000, "0.55", 200, 100 },
	{ 5000, "0.5", 200, 100 },
	{ 5000, "0", 200, 5000 },
	{ 5000, "1e9", 200, 5000 },
	{ 50, "0.5", 200, 50 },
	{ 5000, "abc", 400, 0 },
	{ 5000, "", 400, 0 },
	{ 5000, "-1", 400, 0 },
	{ 5000, "inf", 400, 0 },
	{ 5000, "nan", 400, 0 },
	{ 5000, "1e999", 400, 0 },
	{ 5000, "3s", 400, 0 },
};

START_TEST(test_probe_timeout)
{
	const struct timeout_case	*c = &timeout_cases[_i];
	struct ap_serve_config		 cf = config();
	struct xchg			 x[1];
	char				 req[256];

	cf.probe_timeout_ms = c->config_ms;
	start(&cf);
	if (c->header != NULL)
		snprintf(req, sizeof(req), "GET /probe?target=127.0.0.1:80 "
		    "HTTP/1.0\r\nX-Prometheus-Scrape-Timeout-Seconds: %s\r\n"
		    "\r\n", c->header);
	else
		snprintf(req, sizeof(req), "GET /probe?target=127.0.0.1:80 "
		    "HTTP/1.0\r\n\r\n");
	x[0].req = req;
	exchange(x, 1);
	ck_assert_int_eq(status_of(&x[0]), c->code);
	if (c->code == 200)
		ck_assert_int_eq(last_timeout_ms, c->timeout_ms);
	else {
		ck_assert_int_eq(nstarted, 0);
		ck_assert_str_eq(body_of(&x[0]), "X-Prometheus-Scrape-Timeout-"
		    "Seconds is not a number of seconds\n");
	}
}
END_TEST

/* Hostile requests: each a 4xx (an unknown method 501), and the server
 * answers the next client as if nothing happened. */

static char	 big_header[BIG_REQ];
static char	 big_uri[BIG_REQ];

static const struct hostile_case {
	const char	*req;
	int		 code;
} hostile_cases[] = {
	{ "HELLO\r\n\r\n", 400 },
	{ "GET\r\n\r\n", 400 },
	{ "GET / HTTP/9.9\r\n\r\n", 400 },
	/* An unknown method: evhttp's 501, as RFC 9110 15.6.2 has it. */
	{ "FOO /healthz HTTP/1.0\r\n\r\n", 501 },
	{ "GET /probe?target=%zz HTTP/1.0\r\n\r\n", 400 },
	{ "GET http://[::1/healthz HTTP/1.0\r\n\r\n", 400 },
	{ "\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03\r\n\r\n", 400 },
	{ "GET /healthz HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 413 },
	{ "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\r\n0\r\n\r\n", 413 },
	{ "POST /probe?target=127.0.0.1:80 HTTP/1.0\r\nContent-Length: 3\r\n"
	    "\r\nabc", 413 },
	{ "GET /healthz HTTP/1.0\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "GET /healthz HTTP/1.0\r\nno colon here\r\n\r\n", 400 },
	/* Past the 8 KiB bound; evhttp says 400, not 413. */
	{ NULL, 400 },		/* big_header */
	{ NULL, 400 },		/* big_uri */
};

START_TEST(test_hostile)
{
	const struct hostile_case	*c = &hostile_cases[_i];
	struct ap_serve_config		 cf = config();
	struct xchg			 x[2];
	int				 code;

	start(&cf);
	x[0].req = c->req;
	if (x[0].req == NULL) {
		if (_i == NELEM(hostile_cases) - 2) {
			/* 9000 bytes of one header: past the 8 KiB bound. */
			snprintf(big_header, sizeof(big_header),
			    "GET /healthz HTTP/1.0\r\nX-Big: %0*d\r\n\r\n",
			    9000, 0);
			x[0].req = big_header;
		} else {
			snprintf(big_uri, sizeof(big_uri),
			    "GET /probe?target=%0*d HTTP/1.0\r\n\r\n", 9000, 0);
			x[0].req = big_uri;
		}
	}
	x[1].req = "GET /healthz HTTP/1.0\r\n\r\n";
	exchange(x, 2);
	code = status_of(&x[0]);
	ck_assert_int_eq(code, c->code);
	ck_assert_int_eq(nstarted, 0);
	ck_assert_int_eq(status_of(&x[1]), 200);
	ck_assert_str_eq(body_of(&x[1]), "OK\n");
	ck_assert(loop_until(no_connections));
}
END_TEST

/* Many headers, each small: the same 8 KiB bound covers their count. */
START_TEST(test_many_headers)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[2];
	char			*req, *p;
	int			 i;

	start(&cf);
	p = req = malloc(20 + 3000 * 5 + 8);
	ck_assert_ptr_nonnull(req);
	p += sprintf(p, "GET /healthz HTTP/1.0\r\n");
	for (i = 0; i < 3000; i++)
		p += sprintf(p, "a:b\r\n");
	sprintf(p, "\r\n");
	x[0].req = req;
	x[1].req = "GET /healthz HTTP/1.0\r\n\r\n";
	exchange(x, 2);
	ck_assert_int_eq(status_of(&x[0]), 400);
	ck_assert_int_eq(status_of(&x[1]), 200);
	free(req);
}
END_TEST

/* A client that says nothing is closed after the idle timeout. */
static void
client_idle(struct client_job *job)
{
	int	 fd;

	job->x[0].len = -1;
	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	job->x[0].len = client_read_all(fd, job->x[0].resp,
	    sizeof(job->x[0].resp));
	close(fd);
}

START_TEST(test_idle_timeout)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_idle };

	cf.idle_timeout_ms = 200;
	start(&cf);
	ck_assert(run_clients(&job));
	/* Closed without a word (not a read timeout: that is -1). */
	ck_assert_int_eq(x[0].len, 0);
	ck_assert(loop_until(no_connections));
}
END_TEST

/*
 * Slowloris: a byte every 20 ms never lets the 300 ms idle timeout fire,
 * but the same 300 ms bound the whole request: the server closes the
 * connection long before the headers would reach 8 KiB (160 s).
 */
static void
client_drip(struct client_job *job)
{
	static const char	 start[] = "GET /healthz HTTP/1.1\r\nX: ";
	struct pollfd		 p;
	int			 fd, i;
	char			 c;

	job->x[0].len = -1;
	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	if (send(fd, start, sizeof(start) - 1, MSG_NOSIGNAL) == -1) {
		close(fd);
		return;
	}
	/* At most 5 s of it: closed (EOF or a reset) is the pass. */
	for (i = 0; i < 250; i++) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 20) == 1) {
			job->x[0].len = read(fd, &c, 1) <= 0 ? 0 : 1;
			break;
		}
		if (send(fd, "x", 1, MSG_NOSIGNAL) == -1) {
			job->x[0].len = 0;
			break;
		}
	}
	close(fd);
}

START_TEST(test_slow_client)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_drip };

	cf.idle_timeout_ms = 300;
	start(&cf);
	ck_assert(run_clients(&job));
	ck_assert_int_eq(x[0].len, 0);
	ck_assert(loop_until(no_connections));
}
END_TEST

/* Each request gets its own time: a keep-alive connection outlives the
 * bound, as a scraper's does. */
static void
client_keepalive(struct client_job *job)
{
	static const char	 req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "\r\n";
	char			 buf[1024];
	size_t			 len;
	ssize_t			 n;
	int			 fd, i;

	job->x[0].len = 0;
	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	/* 10 requests 100 ms apart: one second on one connection. */
	for (i = 0; i < 10; i++) {
		if (i > 0)
			poll(NULL, 0, 100);
		if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			break;
		for (len = 0; len < 3 || memcmp(buf + len - 3, "OK\n", 3) != 0;
		    len += (size_t)n)
			if ((n = read(fd, buf + len, sizeof(buf) - len)) <= 0)
				goto out;
		job->x[0].len++;
	}
out:
	close(fd);
}

START_TEST(test_keepalive_outlives_deadline)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_keepalive };

	cf.idle_timeout_ms = 300;
	start(&cf);
	ck_assert(run_clients(&job));
	ck_assert_int_eq(x[0].len, 10);
}
END_TEST

/* A probe the monitor answers after the bound: its wait is not the
 * client's slowness. */
static void
reply_held_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char	 body[] = "probe_success 1\n";

	(void)fd;
	(void)what;
	(void)arg;
	ap_serve_reply(held, 200, body, sizeof(body) - 1);
	held = NULL;
}

static void
reply_in_a_second(char c)
{
	struct timeval	 tv = { 1, 0 };

	if (c == 'r')
		event_base_once(base, -1, EV_TIMEOUT, reply_held_cb, NULL,
		    &tv);
}

static void
client_probe_slow(struct client_job *job)
{
	int	 fd;

	job->x[0].len = -1;
	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	if (write(fd, job->x[0].req, strlen(job->x[0].req)) > 0 &&
	    client_wait() == 's') {
		client_send(to_main[1], 'r');
		job->x[0].len = client_read_all(fd, job->x[0].resp,
		    sizeof(job->x[0].resp));
	}
	close(fd);
}

START_TEST(test_probe_outlives_deadline)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_probe_slow };

	cf.idle_timeout_ms = 200;
	start(&cf);
	mode = PROBE_HOLD;
	on_client_msg = reply_in_a_second;
	x[0].req = "GET /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	ck_assert(run_clients(&job));
	ck_assert_int_eq(status_of(&x[0]), 200);
	ck_assert_str_eq(body_of(&x[0]), "probe_success 1\n");
}
END_TEST

/*
 * 100 clients at once against a bound of 64: the server holds 64, the
 * rest wait in the backlog, and every one is served in the end.
 */
#define NCLIENTS	100
#define MAXCONN		64

static unsigned		 peak;
static struct event	*sample_ev;
static int		 settled;

static void
sample_cb(evutil_socket_t fd, short what, void *arg)
{
	unsigned	 n = connections_open();

	(void)fd;
	(void)what;
	(void)arg;
	if (n > peak)
		peak = n;
	/* Held at the bound for a while: let the clients talk. */
	if (settled >= 0 && n == MAXCONN && ++settled == 5) {
		settled = -1;
		client_send(to_client[1], 'g');
	}
}

static void
client_many(struct client_job *job)
{
	int	 fds[NCLIENTS];
	size_t	 i;

	for (i = 0; i < NCLIENTS; i++) {
		fds[i] = client_connect(ap_serve_port(srv));
		job->x[i].len = -1;
	}
	if (client_wait() != 'g')
		goto out;
	for (i = 0; i < NCLIENTS; i++)
		if (fds[i] != -1 && write(fds[i], job->x[i].req,
		    strlen(job->x[i].req)) != (ssize_t)strlen(job->x[i].req)) {
			close(fds[i]);
			fds[i] = -1;
		}
	for (i = 0; i < NCLIENTS; i++)
		if (fds[i] != -1)
			job->x[i].len = client_read_all(fds[i],
			    job->x[i].resp, sizeof(job->x[i].resp));
out:
	for (i = 0; i < NCLIENTS; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

START_TEST(test_connection_bound)
{
	struct ap_serve_config	 cf = config();
	struct xchg		*x;
	struct client_job	 job;
	struct timeval		 tv = { 0, 10000 };
	size_t			 i;

	cf.max_connections = MAXCONN;
	start(&cf);
	ck_assert_ptr_nonnull(x = calloc(NCLIENTS, sizeof(*x)));
	for (i = 0; i < NCLIENTS; i++)
		x[i].req = "GET /healthz HTTP/1.0\r\n\r\n";
	job.x = x;
	job.n = NCLIENTS;
	job.fn = client_many;
	peak = 0;
	settled = 0;
	sample_ev = event_new(base, -1, EV_PERSIST, sample_cb, NULL);
	event_add(sample_ev, &tv);
	ck_assert(run_clients(&job));
	ck_assert_int_eq(settled, -1);
	ck_assert_uint_eq(peak, MAXCONN);
	for (i = 0; i < NCLIENTS; i++) {
		ck_assert_msg(status_of(&x[i]) == 200, "client %zu: %s", i,
		    x[i].resp);
		ck_assert_str_eq(body_of(&x[i]), "OK\n");
	}
	ck_assert(loop_until(no_connections));
	ck_assert_uint_eq(peak, MAXCONN);
	event_free(sample_ev);
	free(x);
}
END_TEST

/* A client that leaves while its probe runs: the late reply is safe. */
static void
client_leave(struct client_job *job)
{
	int	 fd;

	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	if (write(fd, job->x[0].req, strlen(job->x[0].req)) == -1) {
		close(fd);
		return;
	}
	client_wait();		/* probe_start() ran */
	close(fd);
	client_send(to_main[1], 'c');
}

static void
reply_late(char c)
{
	static const char	 body[] = "probe_success 0\n";

	if (c == 'c' && held != NULL) {
		ap_serve_reply(held, 200, body, sizeof(body) - 1);
		held = NULL;
	}
}

START_TEST(test_client_leaves)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_leave };

	start(&cf);
	mode = PROBE_HOLD;
	on_client_msg = reply_late;
	x[0].req = "GET /probe?target=127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n"
	    "\r\n";
	ck_assert(run_clients(&job));
	ck_assert_int_eq(nstarted, 1);
	ck_assert_ptr_null(held);
	ck_assert(loop_until(no_connections));
	/* The server still serves. */
	mode = PROBE_TIMER;
	x[0].req = "GET /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	exchange(x, 1);
	ck_assert_int_eq(status_of(&x[0]), 200);
}
END_TEST

/* Freed with a reply owed: the client sees the connection close, the
 * token is still good for ap_serve_reply(), which only frees it. */
static void
client_wait_close(struct client_job *job)
{
	int	 fd;

	job->x[0].len = -1;
	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	if (write(fd, job->x[0].req, strlen(job->x[0].req)) != -1)
		job->x[0].len = client_read_all(fd, job->x[0].resp,
		    sizeof(job->x[0].resp));
	close(fd);
}

static void
free_now_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ap_serve_free(srv);
	srv = NULL;
}

START_TEST(test_free_pending)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_wait_close };
	static const char	 body[] = "probe_success 1\n";

	start(&cf);
	mode = PROBE_HOLD;
	x[0].req = "GET /probe?target=127.0.0.1:80 HTTP/1.0\r\n\r\n";
	/* probe_start() wakes the client pipe; free the server from the
	 * loop once the probe is owed. */
	ck_assert_int_eq(event_base_once(base, to_client[0], EV_READ,
	    free_now_cb, NULL, NULL), 0);
	ck_assert(run_clients(&job));
	ck_assert_ptr_null(srv);
	ck_assert_ptr_nonnull(held);
	ck_assert_int_eq(x[0].len, 0);
	ap_serve_reply(held, 200, body, sizeof(body) - 1);
	held = NULL;
}
END_TEST

/* Freed with nothing owed and a client connected but silent. */
static void
client_connect_only(struct client_job *job)
{
	int	 fd;

	if ((fd = client_connect(ap_serve_port(srv))) == -1)
		return;
	client_send(to_main[1], 'o');
	job->x[0].len = client_read_all(fd, job->x[0].resp,
	    sizeof(job->x[0].resp));
	close(fd);
}

static bool	 opened;

static void
note_open(char c)
{
	if (c == 'o')
		opened = true;
}

/* Free once the silent client's connection is the server's. */
static void
free_when_open_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (srv != NULL && opened && connections_open() == 1) {
		ap_serve_free(srv);
		srv = NULL;
	}
}

START_TEST(test_free_idle)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_connect_only };
	struct timeval		 tv = { 0, 10000 };
	struct event		*ev;
	unsigned		 port;

	start(&cf);
	port = ap_serve_port(srv);
	ap_serve_set_metrics(srv, "a 1\n", 4);
	opened = false;
	on_client_msg = note_open;
	ev = event_new(base, -1, EV_PERSIST, free_when_open_cb, NULL);
	event_add(ev, &tv);
	x[0].len = -1;
	ck_assert(run_clients(&job));
	event_free(ev);
	ck_assert_ptr_null(srv);
	/* Closed, not left hanging. */
	ck_assert_int_eq(x[0].len, 0);
	/* The port is free again. */
	ap_addr_set_port(&cf.addr, (uint16_t)port);
	start(&cf);
}
END_TEST

/*
 * accept() failing with EMFILE leaves the listening socket readable: the
 * server pauses instead of spinning (libevent's default is a warning per
 * try, in a busy loop), then serves the client once descriptors are back.
 */
static int		 accept_warnings;
static struct rlimit	 saved_nofile;

static void
count_log_cb(int severity, const char *msg)
{
	(void)severity;
	if (strstr(msg, "accept") != NULL)
		accept_warnings++;
}

static void
client_when_told(struct client_job *job)
{
	int	 fd;

	job->x[0].len = -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return;
	client_send(to_main[1], 'a');		/* holds its descriptor */
	if (client_wait() == 'g') {
		struct sockaddr_in	 sin;
		struct timeval		 tv = { CLIENT_WAIT_MS / 1000, 0 };

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ap_serve_port(srv));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    write(fd, job->x[0].req, strlen(job->x[0].req)) > 0)
			job->x[0].len = client_read_all(fd, job->x[0].resp,
			    sizeof(job->x[0].resp));
	}
	close(fd);
}

static void
restore_nofile_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
}

/* No descriptor left: the lowest free one becomes the limit. */
static void
starve(char c)
{
	struct rlimit	 rl;
	struct timeval	 tv = { 0, 300000 };
	int		 lowest;

	if (c != 'a')
		return;
	ck_assert_int_ne(lowest = dup(0), -1);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	rl = saved_nofile;
	rl.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(event_base_once(base, -1, EV_TIMEOUT,
	    restore_nofile_cb, NULL, &tv), 0);
	client_send(to_client[1], 'g');
}

START_TEST(test_accept_emfile)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_when_told };

#ifdef RUNNING_ON_VALGRIND
	/* valgrind keeps the client's descriptor limit its own way: the
	 * limit raised back does not take (seen with 3.19). */
	if (RUNNING_ON_VALGRIND)
		return;
#endif
	start(&cf);
	accept_warnings = 0;
	event_set_log_callback(count_log_cb);
	on_client_msg = starve;
	x[0].req = "GET /healthz HTTP/1.0\r\n\r\n";
	ck_assert(run_clients(&job));
	event_set_log_callback(NULL);
	ck_assert_int_eq(status_of(&x[0]), 200);
	ck_assert_str_eq(body_of(&x[0]), "OK\n");
	ck_assert_int_eq(accept_warnings, 0);
}
END_TEST

/* The listening socket and each accepted one: nonblocking, and closed
 * on exec (a probe never hands them to a child). */
static int
find_socket(unsigned port, bool listening)
{
	int	 fd;

	return (count_sockets(port, listening, &fd) > 0 ? fd : -1);
}

/* FD_CLOEXEC and O_NONBLOCK set, looked at while the socket is open. */
static bool
flags_ok(int fd)
{
	int	 fdfl, fl;

	if (fd == -1 || (fdfl = fcntl(fd, F_GETFD)) == -1 ||
	    (fl = fcntl(fd, F_GETFL)) == -1)
		return (false);
	return ((fdfl & FD_CLOEXEC) != 0 && (fl & O_NONBLOCK) != 0);
}

static int	 accepted_fd;
static bool	 accepted_ok;

/* Once the silent client's connection is the server's, look at it (the
 * client waits for the idle timeout meanwhile). */
static void
look_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (opened && accepted_fd == -1 && connections_open() == 1) {
		accepted_fd = find_socket(ap_serve_port(srv), false);
		accepted_ok = flags_ok(accepted_fd);
	}
}

START_TEST(test_socket_flags)
{
	struct ap_serve_config	 cf = config();
	struct xchg		 x[1];
	struct client_job	 job = { x, 1, client_connect_only };
	struct timeval		 tv = { 0, 10000 };
	struct event		*ev;

	cf.idle_timeout_ms = 1000;
	start(&cf);
	ck_assert(flags_ok(find_socket(ap_serve_port(srv), true)));
	accepted_fd = -1;
	accepted_ok = false;
	opened = false;
	on_client_msg = note_open;
	ev = event_new(base, -1, EV_PERSIST, look_cb, NULL);
	event_add(ev, &tv);
	ck_assert(run_clients(&job));
	event_free(ev);
	ck_assert_int_ne(accepted_fd, -1);
	ck_assert(accepted_ok);
}
END_TEST

/* Binding errors name the address as --serve is written (the command
 * line has parsed it: check_cli tests what it refuses). */
START_TEST(test_bind_errors)
{
	struct ap_serve_config	 cf = config();
	struct ap_server	*other;
	char			 err[AP_ERRBUF_LEN], want[128];
	unsigned		 port;

	start(&cf);
	port = ap_serve_port(srv);
	ap_addr_set_port(&cf.addr, (uint16_t)port);
	ck_assert_ptr_null(other = ap_serve_new(base, &cf, err, sizeof(err)));
	snprintf(want, sizeof(want), "--serve 127.0.0.1:%u: %s", port,
	    strerror(EADDRINUSE));
	ck_assert_str_eq(err, want);

	/* IPv6 in brackets; skip without ::1. */
	ck_assert_int_eq(ap_addr_pton("::1", 0, &cf.addr), 0);
	if ((other = ap_serve_new(base, &cf, err, sizeof(err))) == NULL) {
		ck_assert_ptr_nonnull(strstr(err, "--serve [::1]:0: "));
		return;
	}
	port = ap_serve_port(other);
	ap_addr_set_port(&cf.addr, (uint16_t)port);
	ck_assert_ptr_null(ap_serve_new(base, &cf, err, sizeof(err)));
	snprintf(want, sizeof(want), "--serve [::1]:%u: %s", port,
	    strerror(EADDRINUSE));
	ck_assert_str_eq(err, want);
	ap_serve_free(other);
}
END_TEST

/* The blackbox writer. */

static const struct ap_attempt bb_att_connected[] = {
	{ "127.0.0.1", AF_INET, 0, AP_STAGE_HANDSHAKE, 1500, 123 }
};
static const struct ap_attempt bb_att_refused[] = {
	{ "::1", AF_INET6, ECONNREFUSED, AP_STAGE_HANDSHAKE, 2000, 80 },
	{ "127.0.0.1", AF_INET, ECONNREFUSED, AP_STAGE_HANDSHAKE, 252000,
	    1234 }
};

static const struct ap_result bb_rec[] = {
	{ "localhost:22", "localhost", 22, AP_STATUS_CONNECTED, "127.0.0.1",
	    123, 4567, 0, NULL, 1, false, "-", 1, NULL, 0,
	    1795508724123LL, bb_att_connected, 1 },
	{ "db:5432", "db", 5432, AP_STATUS_REFUSED, "::1", -1, 253234,
	    ECONNREFUSED, NULL, 2, false, "-", 1, NULL, 0,
	    1795508724124LL, bb_att_refused, 2 },
	{ "localhost:25", "localhost", 25, AP_STATUS_MISMATCH, "127.0.0.1",
	    123, 1000000, 0, NULL, 1, false, "-", 1, NULL, 0,
	    1795508724123LL, bb_att_connected, 1 },
	{ "nosuch.test:80", "nosuch.test", 80, AP_STATUS_UNRESOLVED, "", -1,
	    12000, AP_ERR_NXDOMAIN, NULL, 0, false, "-", 1, NULL, 0,
	    1795508724125LL, NULL, 0 },
};

#define BB_HEAD_STATUS \
	"# HELP asyncprobe_probe_status 1, labelled with the target's " \
	"status and the errno behind it (empty when connected).\n" \
	"# TYPE asyncprobe_probe_status gauge\n"
#define BB_HEAD_DNS \
	"# HELP probe_dns_lookup_time_seconds Returns the time taken for " \
	"probe dns lookup in seconds\n" \
	"# TYPE probe_dns_lookup_time_seconds gauge\n"
#define BB_HEAD_DURATION \
	"# HELP probe_duration_seconds Returns how long the probe took to " \
	"complete in seconds\n" \
	"# TYPE probe_duration_seconds gauge\n"
#define BB_HEAD_REGEX \
	"# HELP probe_failed_due_to_regex Indicates if probe failed due to " \
	"regex\n" \
	"# TYPE probe_failed_due_to_regex gauge\n"
#define BB_HEAD_HASH \
	"# HELP probe_ip_addr_hash Specifies the hash of IP address. It's " \
	"useful to detect if the IP address changes.\n" \
	"# TYPE probe_ip_addr_hash gauge\n"
#define BB_HEAD_PROTOCOL \
	"# HELP probe_ip_protocol Specifies whether probe ip protocol is IP4 " \
	"or IP6\n" \
	"# TYPE probe_ip_protocol gauge\n"
#define BB_HEAD_SUCCESS \
	"# HELP probe_success Displays whether or not the probe was a " \
	"success\n" \
	"# TYPE probe_success gauge\n"

static const struct bb_case {
	int		 rec;		/* -1: no record */
	bool		 expect;
	const char	*text;
} bb_cases[] = {
	{ 0, false,
	    BB_HEAD_STATUS
	    "asyncprobe_probe_status{status=\"connected\",errno=\"\"} 1\n"
	    BB_HEAD_DNS "probe_dns_lookup_time_seconds 0.001500\n"
	    BB_HEAD_DURATION "probe_duration_seconds 0.004567\n"
	    BB_HEAD_HASH "probe_ip_addr_hash 3668918509\n"
	    BB_HEAD_PROTOCOL "probe_ip_protocol 4\n"
	    BB_HEAD_SUCCESS "probe_success 1\n" },
	{ 0, true,
	    BB_HEAD_STATUS
	    "asyncprobe_probe_status{status=\"connected\",errno=\"\"} 1\n"
	    BB_HEAD_DNS "probe_dns_lookup_time_seconds 0.001500\n"
	    BB_HEAD_DURATION "probe_duration_seconds 0.004567\n"
	    BB_HEAD_REGEX "probe_failed_due_to_regex 0\n"
	    BB_HEAD_HASH "probe_ip_addr_hash 3668918509\n"
	    BB_HEAD_PROTOCOL "probe_ip_protocol 4\n"
	    BB_HEAD_SUCCESS "probe_success 1\n" },
	{ 1, false,
	    BB_HEAD_STATUS
	    "asyncprobe_probe_status{status=\"refused\","
	    "errno=\"ECONNREFUSED\"} 1\n"
	    BB_HEAD_DNS "probe_dns_lookup_time_seconds 0.002000\n"
	    BB_HEAD_DURATION "probe_duration_seconds 0.253234\n"
	    BB_HEAD_HASH "probe_ip_addr_hash 1751717746\n"
	    BB_HEAD_PROTOCOL "probe_ip_protocol 6\n"
	    BB_HEAD_SUCCESS "probe_success 0\n" },
	{ 2, true,
	    BB_HEAD_STATUS
	    "asyncprobe_probe_status{status=\"mismatch\",errno=\"\"} 1\n"
	    BB_HEAD_DNS "probe_dns_lookup_time_seconds 0.001500\n"
	    BB_HEAD_DURATION "probe_duration_seconds 1.000000\n"
	    BB_HEAD_REGEX "probe_failed_due_to_regex 1\n"
	    BB_HEAD_HASH "probe_ip_addr_hash 3668918509\n"
	    BB_HEAD_PROTOCOL "probe_ip_protocol 4\n"
	    BB_HEAD_SUCCESS "probe_success 0\n" },
	{ 3, true,
	    BB_HEAD_STATUS
	    "asyncprobe_probe_status{status=\"unresolved\","
	    "errno=\"NXDOMAIN\"} 1\n"
	    BB_HEAD_DNS "probe_dns_lookup_time_seconds 0.012000\n"
	    BB_HEAD_DURATION "probe_duration_seconds 0.012000\n"
	    BB_HEAD_REGEX "probe_failed_due_to_regex 0\n"
	    BB_HEAD_HASH "probe_ip_addr_hash 0\n"
	    BB_HEAD_PROTOCOL "probe_ip_protocol 0\n"
	    BB_HEAD_SUCCESS "probe_success 0\n" },
	{ -1, true,
	    BB_HEAD_DURATION "probe_duration_seconds 0.000000\n"
	    BB_HEAD_SUCCESS "probe_success 0\n" },
};

/* The writer's text for case c; the caller frees it. */
static char *
bb_text(const struct bb_case *c)
{
	struct ap_writer	 w;
	char			*text = NULL;
	size_t			 len = 0;
	FILE			*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	memset(&w, 0, sizeof(w));
	w.ops = &ap_output_blackbox;
	w.fp = fp;
	w.expect = c->expect;
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	if (c->rec >= 0) {
		ck_assert_int_eq(ap_writer_write(&w, &bb_rec[c->rec]), 0);
		/* -m: the first record stands. */
		ck_assert_int_eq(ap_writer_write(&w, &bb_rec[3]), 0);
	}
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(fclose(fp), 0);
	return (text);
}

START_TEST(test_blackbox_text)
{
	char	*text = bb_text(&bb_cases[_i]);

	ck_assert_str_eq(text, bb_cases[_i].text);
	free(text);
}
END_TEST

/* promtool, the Prometheus project's own linter, accepts every case. */
START_TEST(test_blackbox_promtool)
{
	char	*text = bb_text(&bb_cases[_i]);
	FILE	*p;
	int	 st;

	if (access("/usr/bin/promtool", X_OK) != 0) {
		free(text);
		return;		/* not installed: nothing to ask */
	}
	ck_assert_ptr_nonnull(p = popen("/usr/bin/promtool check metrics "
	    ">/dev/null 2>&1", "w"));
	fputs(text, p);
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "promtool rejects:\n%s", text);
	free(text);
}
END_TEST

/* Label values straight from result.c's tables need no escaping: no
 * backslash, quote, newline or non-ASCII in any status or errno name. */
START_TEST(test_blackbox_label_values)
{
	static const int	 dns[] = { AP_ERR_NXDOMAIN, AP_ERR_NODATA,
	    AP_ERR_SERVFAIL, AP_ERR_DNS, AP_ERR_TRUNCATED, 999999 };
	const char		*s;
	int			 i;

	for (i = 0; i < AP_STATUS_COUNT + (int)NELEM(dns) + 200; i++) {
		if (i < AP_STATUS_COUNT)
			s = ap_status_name(i);
		else if (i < AP_STATUS_COUNT + (int)NELEM(dns))
			s = ap_errno_name(dns[i - AP_STATUS_COUNT]);
		else
			s = ap_errno_name(i - AP_STATUS_COUNT -
			    (int)NELEM(dns));
		for (; *s != '\0'; s++)
			ck_assert_msg(*s > ' ' && *s < 0x7f && *s != '\\' &&
			    *s != '"', "byte 0x%02x", (unsigned char)*s);
	}
}
END_TEST

static Suite *
serve_suite(void)
{
	Suite	*s = suite_create("serve");
	TCase	*tc;

	tc = tcase_create("routes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_metrics_replaced);
	tcase_add_loop_test(tc, test_probe_query, 0, NELEM(probe_cases));
	tcase_add_test(tc, test_probe_long_target);
	tcase_add_test(tc, test_probe_busy);
	tcase_add_loop_test(tc, test_probe_timeout, 0, NELEM(timeout_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_hostile, 0, NELEM(hostile_cases));
	tcase_add_test(tc, test_many_headers);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_slow_client);
	tcase_add_test(tc, test_keepalive_outlives_deadline);
	tcase_add_test(tc, test_probe_outlives_deadline);
	tcase_add_test(tc, test_connection_bound);
	tcase_add_test(tc, test_accept_emfile);
	tcase_add_test(tc, test_socket_flags);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_leaves);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_free_idle);
	tcase_add_test(tc, test_bind_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("blackbox");
	tcase_add_loop_test(tc, test_blackbox_text, 0, NELEM(bb_cases));
	tcase_add_loop_test(tc, test_blackbox_promtool, 0, NELEM(bb_cases));
	tcase_add_test(tc, test_blackbox_label_values);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(serve_suite()));
}
