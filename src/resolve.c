/* SPDX-License-Identifier: ISC */
/* resolve.c -- see resolve.h.  A name in flight is a struct name shared by
 * every lookup that asked for it; it owns the two evdns requests (and the
 * re-ask of a question evdns found truncated: reask.h) and the addresses
 * gathered so far, and hands each lookup what it has not seen. */
#include "config.h"

#include <sys/queue.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "clock.h"
#include "dnswire.h"
#include "hosts.h"
#include "reask.h"
#include "resolve.h"
#include "result.h"
#include "xmalloc.h"

/* Answered names kept for later targets of the same name. */
#define CACHE_MAX		4096
/* evdns's own per-try timeout and tries ("timeout:", "attempts:"); the
 * target's deadline usually ends a silent lookup first. */
#define DNS_TRY_TIMEOUT_S	2
#define DNS_TRIES		2
#define STR_(x)	#x
#define STR(x)	STR_(x)

struct name;

struct ap_lookup {
	struct name		*name;
	TAILQ_ENTRY(ap_lookup)	 entry;
	size_t			 delivered;	/* addrs already handed out */
	ap_resolver_cb		*cb;
	void			*arg;
};

/* One DNS question in flight (AAAA or A) for a name. */
struct query {
	struct name		*name;
	struct evdns_request	*req;		/* NULL once answered */
	struct ap_reask		*reask;		/* a truncated answer's */
	int			 family;
	bool			 done;
	int			 error;		/* AP_ERR_*, ETIMEDOUT; 0 */
	int64_t			 sent_us;	/* when it was asked */
};

struct name {
	struct ap_resolver	*res;
	struct name		*next;		/* hash chain */
	char			*host;
	struct query		 q6, q4;
	struct ap_addr		*addrs;		/* arrival order */
	size_t			 naddrs;
	size_t			 visible;	/* released to lookups */
	struct event		*hold;		/* resolution delay; deliver */
	TAILQ_HEAD(, ap_lookup)	 lookups;
	unsigned		 busy;		/* inside deliver(): no free */
	bool			 orphan;	/* counted in res->orphans */
	bool			 cached;	/* answered, on res->cache */
	TAILQ_ENTRY(name)	 cache_entry;
};

struct ap_resolver {
	struct event_base	*base;
	struct evdns_base	*dns;		/* made on first use */
	struct ap_resolver_config cfg;
	struct ap_hosts		*pins;
	struct ap_hosts		*port_pins;	/* "name:port"; NULL: none */
	struct ap_hosts		*hosts;
	struct name		**buckets;
	size_t			 nbuckets;	/* a power of two */
	size_t			 nnames;
	size_t			 orphans;	/* cancelled, awaiting evdns */
	TAILQ_HEAD(, name)	 cache;		/* answered, oldest first */
	size_t			 ncached;
	const char		*bad_nameserver; /* for the error message */
};

static void	name_maybe_free(struct name *);
static void	name_destroy(struct name *);
static int	dns_setup(struct ap_resolver *);

struct ap_resolver *
ap_resolver_new(struct event_base *base, const struct ap_resolver_config *cfg,
    char *errbuf, size_t errlen)
{
	struct ap_resolver	*r = xcalloc(1, sizeof(*r));

	r->base = base;
	r->cfg = *cfg;
	r->pins = ap_hosts_new();
	TAILQ_INIT(&r->cache);
	/* Room for the cache and the names in flight, without growing. */
	r->nbuckets = 2 * CACHE_MAX;
	r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
	/* Named servers are checked now, not at the first lookup. */
	if (cfg->nnameservers > 0 && dns_setup(r) == -1) {
		snprintf(errbuf, errlen, "cannot use DNS server '%s'",
		    r->bad_nameserver != NULL ? r->bad_nameserver : "?");
		ap_resolver_free(r);
		return (NULL);
	}
	r->cfg.nameservers = NULL;	/* borrowed: not kept */
	if (cfg->hosts_file != NULL) {
		r->hosts = ap_hosts_new();
		if (ap_hosts_load(r->hosts, cfg->hosts_file) == -1) {
			snprintf(errbuf, errlen, "%s: %s", cfg->hosts_file,
			    strerror(errno));
			ap_resolver_free(r);
			return (NULL);
		}
	}
	return (r);
}

void
ap_resolver_free(struct ap_resolver *r)
{
	int	turns;

	if (r == NULL)
		return;
	/* Every lookup has been cancelled by now, so no name is left but
	 * those whose cancelled questions evdns has still to call back for.
	 * evdns queues those callbacks for the loop's next turn: give it
	 * the turns (bounded), so every name is freed before the resolver. */
	for (turns = 0; r->orphans > 0 && turns < 16; turns++)
		event_base_loop(r->base, EVLOOP_NONBLOCK);
	while (!TAILQ_EMPTY(&r->cache))
		name_destroy(TAILQ_FIRST(&r->cache));
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	ap_hosts_free(r->pins);
	ap_hosts_free(r->port_pins);
	ap_hosts_free(r->hosts);
	free(r->buckets);
	free(r);
}

void
ap_resolver_pin(struct ap_resolver *r, const struct ap_pin *pin)
{
	char		 key[300];

	if (pin->port == 0) {
		ap_hosts_add(r->pins, pin->host, pin->addrs, pin->naddrs);
		return;
	}
	/* curl's HOST:PORT:ADDR: only that port's targets see it. */
	if (r->port_pins == NULL)
		r->port_pins = ap_hosts_new();
	snprintf(key, sizeof(key), "%s:%u", pin->host, (unsigned)pin->port);
	ap_hosts_add(r->port_pins, key, pin->addrs, pin->naddrs);
}

static void
add_family(const struct ap_resolver *r, const struct ap_addr *a, size_t n,
    struct ap_addrlist *l)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (r->cfg.family == AF_UNSPEC ||
		    r->cfg.family == a[i].u.sa.sa_family)
			ap_addrlist_add(l, &a[i].u.sa, a[i].len);
}

bool
ap_resolver_static_port(struct ap_resolver *r, const char *name,
    uint16_t port, struct ap_addrlist *l)
{
	const struct ap_addr	*a;
	char			 key[300];
	size_t			 n;

	if (r->port_pins != NULL) {
		snprintf(key, sizeof(key), "%s:%u", name, (unsigned)port);
		if ((a = ap_hosts_lookup(r->port_pins, key, &n)) != NULL) {
			add_family(r, a, n, l);
			return (true);
		}
	}
	return (ap_resolver_static(r, name, l));
}

bool
ap_resolver_pinned(const struct ap_resolver *r, const char *name,
    uint16_t port)
{
	char	 key[300];
	size_t	 n = 0;

	if (ap_hosts_lookup(r->pins, name, &n) != NULL)
		return (true);
	/* curl's HOST:PORT:ADDR covers this name on that port only, as
	 * ap_resolver_static_port() reads it. */
	if (r->port_pins == NULL)
		return (false);
	snprintf(key, sizeof(key), "%s:%u", name, (unsigned)port);
	return (ap_hosts_lookup(r->port_pins, key, &n) != NULL);
}

bool
ap_resolver_static(struct ap_resolver *r, const char *name,
    struct ap_addrlist *l)
{
	const struct ap_addr	*a;
	size_t			 n = 0;

	/* Pins hide the hosts file entirely for their names (curl). */
	if ((a = ap_hosts_lookup(r->pins, name, &n)) == NULL &&
	    r->hosts != NULL)
		a = ap_hosts_lookup(r->hosts, name, &n);
	if (a == NULL)
		return (false);
	add_family(r, a, n, l);
	return (true);
}

static int
dns_setup(struct ap_resolver *r)
{
	int	i;

	if ((r->dns = evdns_base_new(r->base,
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		return (-1);
	/* Thousands of answers can arrive at once; the default socket
	 * buffer (~200 KiB) drops them, and those names would end as
	 * timeouts.  Set before any server is added: each gets a socket
	 * of its own then. */
	evdns_base_set_option(r->dns, "so-rcvbuf:", "4194304");
	if (r->cfg.nnameservers == 0)
		evdns_base_resolv_conf_parse(r->dns, DNS_OPTION_NAMESERVERS |
		    DNS_OPTION_SEARCH | DNS_OPTION_MISC, "/etc/resolv.conf");
	for (i = 0; i < r->cfg.nnameservers; i++) {
		if (evdns_base_nameserver_ip_add(r->dns,
		    r->cfg.nameservers[i]) != 0) {
			r->bad_nameserver = r->cfg.nameservers[i];
			errno = EINVAL;
			return (-1);
		}
	}
	/* evdns allows only 64 questions in flight by default: far too few
	 * for a scanner; the per-target deadline bounds every question. */
	evdns_base_set_option(r->dns, "max-inflight:", "4096");
	evdns_base_set_option(r->dns, "timeout:", STR(DNS_TRY_TIMEOUT_S));
	evdns_base_set_option(r->dns, "attempts:", STR(DNS_TRIES));
	return (0);
}

static bool
name_done(const struct name *n)
{
	return (n->q6.done && n->q4.done);
}

/* Why a name has no address: the most telling of its two answers.  An
 * NXDOMAIN is about the name itself; a family with no data is normal. */
static int
name_error(const struct name *n)
{
	static const int order[] = { AP_ERR_NXDOMAIN, AP_ERR_SERVFAIL,
	    ETIMEDOUT, AP_ERR_TRUNCATED, AP_ERR_DNS, AP_ERR_NODATA };
	size_t	i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (n->q6.error == order[i] || n->q4.error == order[i])
			return (order[i]);
	return (AP_ERR_NODATA);
}

/* Hand every lookup the addresses it has not had yet. */
static void
deliver(struct name *n)
{
	struct ap_lookup	*l, *next;
	bool			 done = name_done(n) && n->visible == n->naddrs;
	int			 error = n->naddrs == 0 ? name_error(n) : 0;
	size_t			 from;

	n->busy++;
	for (l = TAILQ_FIRST(&n->lookups); l != NULL; l = next) {
		/* The callback may cancel this lookup (never another one:
		 * each target cancels only its own), so step first. */
		next = TAILQ_NEXT(l, entry);
		if (l->delivered == n->visible && !done)
			continue;
		from = l->delivered;
		l->delivered = n->visible;
		if (done)
			TAILQ_REMOVE(&n->lookups, l, entry);
		l->cb(n->addrs + from, n->visible - from, done, error,
		    l->arg);
		if (done)
			free(l);
	}
	n->busy--;
	name_maybe_free(n);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct name	*n = arg;

	(void)fd, (void)what;
	/* The resolution delay is over, or a new lookup joined: release
	 * what there is (RFC 8305 3: go on with the A answer alone). */
	n->visible = n->naddrs;
	deliver(n);
}

static int
dns_error(int result, int count)
{
	switch (result) {
	case DNS_ERR_NONE:
		return (count > 0 ? 0 : AP_ERR_NODATA);
	case DNS_ERR_NODATA:
		return (AP_ERR_NODATA);
	case DNS_ERR_NOTEXIST:
		return (AP_ERR_NXDOMAIN);
	case DNS_ERR_SERVERFAILED:
		return (AP_ERR_SERVFAIL);
	case DNS_ERR_TIMEOUT:
		return (ETIMEDOUT);
	case DNS_ERR_TRUNCATED:
		/* The TC bit: libevent 2.1's evdns neither retries over TCP
		 * nor parses the records that came (issue 11). */
		return (AP_ERR_TRUNCATED);
	default:
		return (AP_ERR_DNS);
	}
}

/* Keep count addresses of q's family, 4 or 16 bytes each at raw. */
static void
add_addresses(struct query *q, const void *raw, size_t count)
{
	struct name	*n = q->name;
	struct ap_addr	 a;
	size_t		 i;

	for (i = 0; i < count; i++) {
		memset(&a, 0, sizeof(a));
		if (q->family == AF_INET) {
			a.u.sin.sin_family = AF_INET;
			memcpy(&a.u.sin.sin_addr, (const char *)raw + 4 * i, 4);
			a.len = sizeof(a.u.sin);
		} else {
			a.u.sin6.sin6_family = AF_INET6;
			memcpy(&a.u.sin6.sin6_addr, (const char *)raw + 16 * i,
			    16);
			a.len = sizeof(a.u.sin6);
		}
		n->addrs = xreallocarray(n->addrs, n->naddrs + 1,
		    sizeof(*n->addrs));
		n->addrs[n->naddrs++] = a;
	}
}

/* q has its answer: release the name's addresses, or hold an A answer for
 * the AAAA one. */
static void
query_done(struct query *q)
{
	struct name	*n = q->name;

	q->done = true;
	if (q->family == AF_INET && !n->q6.done && n->naddrs > 0) {
		/* A came first: give AAAA the resolution delay. */
		struct timeval tv = { 0, n->res->cfg.resolution_delay_ms *
		    1000 };

		evtimer_add(n->hold, &tv);
		return;
	}
	evtimer_del(n->hold);
	n->visible = n->naddrs;
	deliver(n);
}

static void
reask_cb(const struct ap_dnswire_answer *ans, void *arg)
{
	struct query	*q = arg;
	size_t		 i;

	q->reask = NULL;
	if (ans != NULL && ans->naddrs == 0 && !ans->tc) {
		/* A whole answer that says why there is no address. */
		if (ans->rcode == AP_DNS_RCODE_NXDOMAIN)
			q->error = AP_ERR_NXDOMAIN;
		else if (ans->rcode == AP_DNS_RCODE_SERVFAIL)
			q->error = AP_ERR_SERVFAIL;
		else
			q->error = AP_ERR_NODATA;
	}
	if (ans == NULL || ans->naddrs == 0) {
		/* Else nothing better than the truncated answer: its
		 * reason. */
		query_done(q);
		return;
	}
	q->error = 0;
	for (i = 0; i < ans->naddrs; i++)
		add_addresses(q, ans->addrs[i], 1);
	query_done(q);
}

/* evdns 2.1 drops the records of an answer with the TC bit: ask the
 * question again ourselves (reask.h), of the first nameserver, with one
 * of evdns's per-try timeouts; the target's deadline or a signal cancels
 * it sooner.  False when it cannot be asked. */
static bool
query_reask(struct query *q)
{
	struct ap_resolver	*r = q->name->res;
	struct sockaddr_storage	 ss;
	int			 len;

	len = evdns_base_get_nameserver_addr(r->dns, 0,
	    (struct sockaddr *)&ss, sizeof(ss));
	if (len <= 0 || (size_t)len > sizeof(ss))
		return (false);
	q->reask = ap_reask_start(r->base, (struct sockaddr *)&ss,
	    (socklen_t)len, q->name->host, q->family == AF_INET ?
	    AP_DNS_TYPE_A : AP_DNS_TYPE_AAAA, DNS_TRY_TIMEOUT_S * 1000,
	    reask_cb, q);
	return (q->reask != NULL);
}

static void
answer_cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	struct query	*q = arg;
	struct name	*n = q->name;

	(void)ttl;
	q->req = NULL;
	q->done = true;
	q->error = dns_error(result, count);
	/* evdns 2.1 handles a SERVFAIL answer as if the server had not
	 * answered: it asks again at once and, when every try got one,
	 * reports DNS_ERR_TIMEOUT.  A real timeout cannot come before the
	 * first try's timeout has passed, so one that does was SERVFAIL. */
	if (result == DNS_ERR_TIMEOUT &&
	    ap_now_us() - q->sent_us < DNS_TRY_TIMEOUT_S * 1000000 / 2)
		q->error = AP_ERR_SERVFAIL;
	if (result == DNS_ERR_CANCEL || result == DNS_ERR_SHUTDOWN) {
		name_maybe_free(n);
		return;
	}
	if (result == DNS_ERR_TRUNCATED && query_reask(q)) {
		/* Not done until the re-ask answers: error stays the
		 * truncation's, should that bring nothing. */
		q->done = false;
		return;
	}
	if (result == DNS_ERR_NONE && count > 0 &&
	    ((type == DNS_IPv4_A && q->family == AF_INET) ||
	    (type == DNS_IPv6_AAAA && q->family == AF_INET6)))
		add_addresses(q, addresses, (size_t)count);
	query_done(q);
}

static void
query_start(struct name *n, struct query *q, int family)
{
	struct ap_resolver	*r = n->res;

	q->name = n;
	q->family = family;
	if (r->cfg.family != AF_UNSPEC && r->cfg.family != family) {
		/* Filtered at query time (-4/-6): never asked. */
		q->done = true;
		q->error = AP_ERR_NODATA;
		return;
	}
	q->sent_us = ap_now_us();
	if (family == AF_INET6)
		q->req = evdns_base_resolve_ipv6(r->dns, n->host, 0,
		    answer_cb, q);
	else
		q->req = evdns_base_resolve_ipv4(r->dns, n->host, 0,
		    answer_cb, q);
	if (q->req == NULL) {
		q->done = true;
		q->error = AP_ERR_DNS;
	}
}

static struct name *
name_find(struct ap_resolver *r, const char *host, size_t *bucket)
{
	struct name	*n;

	*bucket = ap_name_hash(host) & (r->nbuckets - 1);
	for (n = r->buckets[*bucket]; n != NULL; n = n->next)
		if (strcasecmp(n->host, host) == 0)
			return (n);
	return (NULL);
}

static void
name_unlink(struct name *n)
{
	struct ap_resolver	*r = n->res;
	struct name		**pp;
	size_t			 b;

	if (name_find(r, n->host, &b) == NULL)
		return;
	for (pp = &r->buckets[b]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			r->nnames--;
			return;
		}
	}
}

/* End q's re-ask, if it has one; whether it had. */
static bool
query_cut(struct query *q)
{
	if (q->reask == NULL)
		return (false);
	ap_reask_cancel(q->reask);
	q->reask = NULL;
	q->done = true;
	return (true);
}

/* Drop a name nobody waits for.  Its questions still in flight are
 * cancelled first; evdns calls back for them later, and the last of those
 * callbacks frees it. */
static void
name_maybe_free(struct name *n)
{
	struct ap_resolver	*r = n->res;
	bool			 cut;

	if (n->busy > 0 || !TAILQ_EMPTY(&n->lookups))
		return;
	/* Our own re-asks end at once; such a name is not answered, so not
	 * kept. */
	cut = query_cut(&n->q6);
	cut = query_cut(&n->q4) || cut;
	if (n->q6.req != NULL || n->q4.req != NULL) {
		/* Nobody waits for the answers any more: cancel them. */
		name_unlink(n);
		if (!n->orphan) {
			n->orphan = true;
			r->orphans++;
		}
		if (n->q6.req != NULL && !n->q6.done) {
			evdns_cancel_request(r->dns, n->q6.req);
			n->q6.done = true;
		}
		if (n->q4.req != NULL && !n->q4.done) {
			evdns_cancel_request(r->dns, n->q4.req);
			n->q4.done = true;
		}
		return;
	}
	if (!cut && !n->orphan && name_done(n)) {
		/* Answered: kept for the rest of the run (a name is resolved
		 * once), the oldest going first past CACHE_MAX. */
		if (!n->cached) {
			n->cached = true;
			TAILQ_INSERT_TAIL(&r->cache, n, cache_entry);
			if (++r->ncached > CACHE_MAX)
				name_destroy(TAILQ_FIRST(&r->cache));
		}
		return;
	}
	name_destroy(n);
}

static void
name_destroy(struct name *n)
{
	struct ap_resolver	*r = n->res;

	(void)query_cut(&n->q6);
	(void)query_cut(&n->q4);
	name_unlink(n);
	if (n->cached) {
		TAILQ_REMOVE(&r->cache, n, cache_entry);
		r->ncached--;
	}
	if (n->orphan)
		r->orphans--;
	if (n->hold != NULL)
		event_free(n->hold);
	free(n->addrs);
	free(n->host);
	free(n);
}

struct ap_lookup *
ap_resolver_start(struct ap_resolver *r, const char *host, ap_resolver_cb *cb,
    void *arg)
{
	struct ap_lookup	*l;
	struct name		*n;
	size_t			 b;

	if (r->dns == NULL && dns_setup(r) == -1) {
		/* Only /etc/resolv.conf is read here; named servers were
		 * set up by ap_resolver_new(). */
		if (r->dns != NULL) {
			evdns_base_free(r->dns, 0);
			r->dns = NULL;
		}
		return (NULL);
	}
	l = xcalloc(1, sizeof(*l));
	l->cb = cb;
	l->arg = arg;
	if ((n = name_find(r, host, &b)) == NULL) {
		n = xcalloc(1, sizeof(*n));
		n->res = r;
		n->host = xstrdup(host);
		TAILQ_INIT(&n->lookups);
		if ((n->hold = evtimer_new(r->base, hold_cb, n)) == NULL) {
			free(n->host);
			free(n);
			free(l);
			return (NULL);
		}
		n->next = r->buckets[b];
		r->buckets[b] = n;
		r->nnames++;
		l->name = n;
		TAILQ_INSERT_TAIL(&n->lookups, l, entry);
		query_start(n, &n->q6, AF_INET6);
		query_start(n, &n->q4, AF_INET);
		if (name_done(n))	/* both filtered or failed to send */
			event_active(n->hold, EV_TIMEOUT, 1);
		return (l);
	}
	l->name = n;
	if (n->cached) {
		TAILQ_REMOVE(&r->cache, n, cache_entry);
		r->ncached--;
		n->cached = false;
	}
	TAILQ_INSERT_TAIL(&n->lookups, l, entry);
	/* A latecomer gets what the name already has from the loop, not
	 * from inside this call; inside the resolution delay it waits. */
	if (n->visible > 0 || (name_done(n) && n->visible == n->naddrs))
		event_active(n->hold, EV_TIMEOUT, 1);
	return (l);
}

void
ap_resolver_cancel(struct ap_lookup *l)
{
	struct name	*n;

	if (l == NULL)
		return;
	n = l->name;
	TAILQ_REMOVE(&n->lookups, l, entry);
	free(l);
	name_maybe_free(n);
}
