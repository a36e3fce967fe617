/* SPDX-License-Identifier: ISC */
/* race.c -- see race.h.  Every event handler ends in advance(), which
 * starts what may start and ends the race when nothing is left, or in
 * finish(), the one place a race ends.  set_state() is the only writer of
 * the state. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"
#include "pool.h"
#include "race.h"
#include "xmalloc.h"

static void	advance(struct ap_race *);
static void	finish(struct ap_race *);

static void
set_state(struct ap_race *r, enum ap_race_state s)
{
	if (r->state == AP_RACE_STARVED && s != AP_RACE_STARVED)
		r->env->ops->unwait(r->env->ctx, r);
	r->state = (uint8_t)s;
}

static int64_t
now_us(const struct ap_race *r)
{
	return (r->env->ops->now_us(r->env->ctx));
}

static bool
is_top(const struct ap_race *r)
{
	return (r->parent == NULL);
}

/* -m: the target's race only hands out addresses to races of their own. */
static bool
is_group(const struct ap_race *r)
{
	return (r->env->cfg->per_address && is_top(r));
}

static void
race_init(struct ap_race *r, const struct ap_race_env *env)
{
	r->env = env;
	r->state = AP_RACE_RESOLVING;
	r->winner = -1;
	r->rounds_left = env->cfg->retries;
	r->attempts = r->attempts_inline;
	r->capattempts = 1;
	r->active = r->active_inline;
	r->capactive = 1;
	/* kids (a top race) or sibling (an address race): zero, or set. */
	r->start_us = now_us(r);
	r->deadline_us = r->start_us + env->cfg->timeout_us;
	env->ops->timer(env->ctx, r, AP_RACE_DEADLINE, r->deadline_us);
}

struct ap_race *
ap_race_new(const struct ap_race_env *env, const struct ap_race_target *t)
{
	struct ap_race	*r;
	size_t		 textlen = strlen(t->text) + 1;
	size_t		 hostlen = strlen(t->host) + 1;

	/* "host:port": the host begins the text, and is not kept twice. */
	if (hostlen - 1 <= UINT16_MAX && strncmp(t->text, t->host,
	    hostlen - 1) == 0 && t->text[hostlen - 1] != '\0')
		hostlen = 0;
	r = ap_pool_xcalloc(1, sizeof(*r) + textlen + hostlen);
	memcpy(r->strings, t->text, textlen);
	if (hostlen == 0)
		r->hostlen = (uint16_t)strlen(t->host);
	else
		memcpy(r->strings + textlen, t->host, hostlen);
	r->file = t->file;
	r->line = t->line;
	r->seq = t->seq;
	r->port = t->port;
	race_init(r, env);
	return (r);
}

/* -m: one address of the target becomes a race of its own, with its own
 * deadline, retries, exchange and record. */
static struct ap_race *
kid_new(struct ap_race *p, const struct ap_addr *a)
{
	struct ap_race	*k = ap_pool_xcalloc(1, sizeof(*k));

	k->parent = p;
	k->file = p->file;
	k->line = p->line;
	k->seq = p->seq;
	k->port = p->port;
	ap_addrlist_add(&k->addrs, &a->u.sa, a->len);
	k->resolved = true;
	k->cancelled = p->cancelled;
	SLIST_INSERT_HEAD(&p->kids, k, sibling);
	race_init(k, p->env);
	return (k);
}

void
ap_race_free(struct ap_race *r)
{
	uint32_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nattempts; i++)
		free(r->attempts[i].icmp);
	ap_addrlist_clear(&r->addrs);
	if (r->active != r->active_inline)
		free(r->active);
	if (r->attempts != r->attempts_inline)
		free(r->attempts);
	free(r->banner);
	ap_pool_free(r);
}

/* Double an array that starts inline in the race (up to 65,535: see
 * may_start()). */
static void *
grow(void *v, void *inline_v, uint16_t *cap, size_t size)
{
	size_t	 more = *cap > UINT16_MAX / 2 ? UINT16_MAX : (size_t)*cap * 2;
	void	*n;

	if (v == inline_v) {
		n = xreallocarray(NULL, more, size);
		memcpy(n, v, (size_t)*cap * size);
	} else
		n = xreallocarray(v, more, size);
	*cap = (uint16_t)more;
	return (n);
}

const char *
ap_race_text(const struct ap_race *r)
{
	return (r->parent != NULL ? r->parent->strings : r->strings);
}

/* The host: the start of the text (hostlen bytes), or after it.  buf
 * holds a copy of the first kind, NUL-terminated. */
static const char *
race_host(const struct ap_race *r, char *buf, size_t len)
{
	const struct ap_race	*t = r->parent != NULL ? r->parent : r;
	size_t			 n = t->hostlen;

	if (n == 0)
		return (t->strings + strlen(t->strings) + 1);
	if (n >= len)
		n = len - 1;
	memcpy(buf, t->strings, n);
	buf[n] = '\0';
	return (buf);
}

static struct ap_race_attempt *
attempt_add(struct ap_race *r, const struct ap_addr *a, int64_t start_us)
{
	struct ap_race_attempt	*at;

	if (r->nattempts == UINT16_MAX)	/* never, in practice: may_start() */
		free(r->attempts[--r->nattempts].icmp);
	if (r->nattempts == r->capattempts)
		r->attempts = grow(r->attempts, r->attempts_inline,
		    &r->capattempts, sizeof(*r->attempts));
	at = &r->attempts[r->nattempts++];
	memset(at, 0, sizeof(*at));
	at->family = (uint8_t)a->u.sa.sa_family;
	if (a->u.sa.sa_family == AF_INET6) {
		memcpy(at->ip, &a->u.sin6.sin6_addr, 16);
		at->scope_id = a->u.sin6.sin6_scope_id;
	} else
		memcpy(at->ip, &a->u.sin.sin_addr, 4);
	at->start_us = start_us - r->start_us;
	return (at);
}

/* The address of an attempt, port 0. */
static void
attempt_addr(const struct ap_race_attempt *at, struct ap_addr *a)
{
	ap_addr_from_bytes(a, at->family, at->ip, 0);
	if (at->family == AF_INET6)
		a->u.sin6.sin6_scope_id = at->scope_id;
}

static bool
same_address(const struct ap_race_attempt *x, const struct ap_race_attempt *y)
{
	return (x->family == y->family && x->scope_id == y->scope_id &&
	    memcmp(x->ip, y->ip, x->family == AF_INET6 ? 16 : 4) == 0);
}

/* The attempt as records and -v see it. */
static void
attempt_public(const struct ap_race_attempt *at, struct ap_attempt *pub)
{
	struct ap_addr	a;

	memset(pub, 0, sizeof(*pub));
	attempt_addr(at, &a);
	ap_addr_ntop(&a, pub->ip, sizeof(pub->ip));
	pub->family = at->family;
	pub->error = at->error;
	pub->stage = at->stage;
	pub->start_us = at->start_us;
	pub->duration_us = at->duration_us;
	if (at->icmp != NULL)
		pub->icmp = *at->icmp;
}

static void
attempt_seen(struct ap_race *r, const struct ap_race_attempt *at)
{
	struct ap_attempt	pub;

	attempt_public(at, &pub);
	r->env->ops->attempt_seen(r->env->ctx, r, &pub);
}

static void
slot_add(struct ap_race *r, void *handle, uint32_t attempt)
{
	if (r->nactive == r->capactive)
		r->active = grow(r->active, r->active_inline, &r->capactive,
		    sizeof(*r->active));
	r->active[r->nactive].handle = handle;
	r->active[r->nactive].attempt = attempt;
	r->nactive++;
}

/* End attempt slot i with error: it is over, freed, and shown (-v). */
static void
slot_end(struct ap_race *r, uint32_t i, int error, int64_t now)
{
	struct ap_race_attempt	*at = &r->attempts[r->active[i].attempt];

	at->error = error;
	at->stage = AP_STAGE_HANDSHAKE;
	at->duration_us = now - r->start_us - at->start_us;
	attempt_seen(r, at);
	r->env->ops->attempt_free(r->env->ctx, r->active[i].handle);
	r->active[i] = r->active[--r->nactive];
}

/* End every attempt still running with error (ECANCELED: another won or
 * the run was cancelled; ETIMEDOUT: the deadline). */
static void
end_active(struct ap_race *r, int error)
{
	int64_t	now;

	if (r->nactive == 0)
		return;
	now = now_us(r);
	while (r->nactive > 0)
		slot_end(r, r->nactive - 1, error, now);
}

static void
stagger_disarm(struct ap_race *r)
{
	if (r->stagger_until_us != 0) {
		r->stagger_until_us = 0;
		r->env->ops->timer(r->env->ctx, r, AP_RACE_STAGGER, -1);
	}
}

/* The cap for one attempt when --attempt-timeout is shorter than what is
 * left of the deadline; 0 when the deadline alone rules. */
static int64_t
attempt_cap(const struct ap_race *r)
{
	int64_t	cap = r->env->cfg->attempt_timeout_us;

	if (cap <= 0 || cap >= r->deadline_us - now_us(r))
		return (0);
	return (cap);
}

static bool
may_start(const struct ap_race *r)
{
	if (r->winner >= 0 || r->cancelled || r->state == AP_RACE_STARVED ||
	    r->state == AP_RACE_TALKING || r->state == AP_RACE_DONE ||
	    r->nattempts == UINT16_MAX)
		return (false);
	if (r->nactive == 0)
		return (true);
	/* RFC 8305 5: the next one after the attempt delay. */
	return (!r->env->cfg->sequential && r->stagger_until_us == 0);
}

/* Out of descriptors while racing stalled addresses: give the oldest up
 * for the next address, as --attempt-timeout would have, so that one
 * target cannot hold what the others wait for. */
static void
give_up_oldest(struct ap_race *r)
{
	uint32_t	i, oldest = 0;

	for (i = 1; i < r->nactive; i++)
		if (r->active[i].attempt < r->active[oldest].attempt)
			oldest = i;
	slot_end(r, oldest, ETIMEDOUT, now_us(r));
}

/* Start one attempt at a; false when the race must wait for it. */
static bool
start_one(struct ap_race *r, const struct ap_addr *a)
{
	struct ap_race_attempt	*at;
	struct ap_addr		 dst = *a;
	void			*handle = NULL;
	int64_t			 started;
	int			 error = 0;
	enum ap_stage		 stage = AP_STAGE_NONE;

	ap_addr_set_port(&dst, r->port);
	started = now_us(r);
	if (r->env->ops->attempt_start(r->env->ctx, r, &dst, attempt_cap(r), &handle,
	    &error, &stage) != AP_RACE_STARTED) {
		ap_addrlist_unget(&r->addrs, a);
		stagger_disarm(r);	/* a race that waits has none */
		r->wait_error = error;
		r->wait_stage = (uint8_t)stage;
		set_state(r, AP_RACE_STARVED);
		if (error != 0 && r->nactive > 0)
			give_up_oldest(r);
		return (false);
	}
	at = attempt_add(r, a, started);
	slot_add(r, handle, (uint32_t)(at - r->attempts));
	if (ap_addrlist_handed(&r->addrs) > r->tried)
		r->tried = (unsigned)ap_addrlist_handed(&r->addrs);
	set_state(r, AP_RACE_RACING);
	/* The stagger matters only while more addresses may come. */
	if (!r->env->cfg->sequential &&
	    (!r->resolved || ap_addrlist_pending(&r->addrs) > 0)) {
		r->stagger_until_us = started + r->env->cfg->attempt_delay_us;
		r->env->ops->timer(r->env->ctx, r, AP_RACE_STAGGER, r->stagger_until_us);
	}
	return (true);
}

/* -m: start address races (one at a time with --sequential); the
 * target's race ends when the last one has and no address is left. */
static void
advance_group(struct ap_race *p)
{
	const struct ap_addr	*a;

	/* An address race that ends at once must not re-enter this loop
	 * (finish() below may free p): spawning tells it not to. */
	p->spawning = true;
	while ((SLIST_EMPTY(&p->kids) || !p->env->cfg->sequential) &&
	    (a = ap_addrlist_next(&p->addrs)) != NULL) {
		p->tried++;
		set_state(p, AP_RACE_RACING);
		advance(kid_new(p, a));
	}
	p->spawning = false;
	if (SLIST_EMPTY(&p->kids) && p->resolved &&
	    ap_addrlist_pending(&p->addrs) == 0)
		finish(p);
}

static void
advance(struct ap_race *r)
{
	const struct ap_addr	*a;

	if (r->state == AP_RACE_DONE)
		return;
	if (is_group(r)) {
		advance_group(r);
		return;
	}
	if (r->cancelled) {
		finish(r);
		return;
	}
	while (may_start(r) && (a = ap_addrlist_next(&r->addrs)) != NULL)
		if (!start_one(r, a))
			return;
	if (r->state == AP_RACE_STARVED || r->state == AP_RACE_TALKING)
		return;
	if (r->nactive == 0 && r->resolved &&
	    ap_addrlist_pending(&r->addrs) == 0)
		finish(r);
}

void
ap_race_addresses(struct ap_race *r, const struct ap_addr *addrs, size_t n,
    bool done, int error)
{
	size_t	i;

	if (r->state == AP_RACE_DONE || r->resolved)
		return;
	for (i = 0; i < n; i++)
		ap_addrlist_add(&r->addrs, &addrs[i].u.sa, addrs[i].len);
	if (done) {
		r->resolved = true;
		r->dns_error = error;
	}
	advance(r);
}

void
ap_race_attempt_done(struct ap_race *r, void *handle,
    const struct ap_probe_outcome *o)
{
	struct ap_race_attempt	*at;
	uint32_t		 i;

	for (i = 0; i < r->nactive; i++)
		if (r->active[i].handle == handle)
			break;
	if (i == r->nactive)
		abort();	/* an attempt the race does not own */
	at = &r->attempts[r->active[i].attempt];
	at->error = o->error;
	at->stage = o->stage;
	at->duration_us = o->duration_us;
	if (o->icmp.origin != AP_ICMP_NONE) {
		at->icmp = xmalloc(sizeof(*at->icmp));
		*at->icmp = o->icmp;
	}
	attempt_seen(r, at);
	r->active[i] = r->active[--r->nactive];
	if (o->error != 0) {
		r->env->ops->attempt_free(r->env->ctx, handle);
		/* RFC 8305 5: a failure starts the next attempt at once. */
		stagger_disarm(r);
		advance(r);
		return;
	}
	/* The first to connect wins; the others are closed at once. */
	r->winner = (int)(at - r->attempts);
	stagger_disarm(r);
	end_active(r, ECANCELED);
	if (r->env->cfg->talk && r->env->ops->talk_start(r->env->ctx, r, handle) == 0) {
		r->talker = handle;
		set_state(r, AP_RACE_TALKING);
		return;
	}
	r->env->ops->attempt_free(r->env->ctx, handle);
	finish(r);
}

void
ap_race_talk_done(struct ap_race *r, void *handle,
    const struct ap_exchange_outcome *xo)
{
	if (r->state != AP_RACE_TALKING || handle != r->talker)
		return;
	r->matched = xo->matched;
	if (r->env->cfg->banner && xo->len > 0) {
		r->banner = xmalloc(sizeof(*r->banner) + xo->len);
		memcpy(r->banner->data, xo->data, xo->len);
		r->banner->len = xo->len;
	}
	r->talker = NULL;
	r->env->ops->attempt_free(r->env->ctx, handle);
	finish(r);
}

void
ap_race_stagger(struct ap_race *r)
{
	r->stagger_until_us = 0;
	advance(r);
}

/* A start in the last moments before the deadline could not get an
 * answer in time: it would only turn a shortage into a timeout it did not
 * earn (the others' deadlines free descriptors just before this one's). */
#define LAST_START_US	1000

void
ap_race_resume(struct ap_race *r)
{
	if (r->state != AP_RACE_STARVED)
		return;
	if (r->wait_error != 0 && r->deadline_us - now_us(r) < LAST_START_US)
		return;		/* starved to the end: the shortage is it */
	set_state(r, r->nactive > 0 ? AP_RACE_RACING : AP_RACE_RESOLVING);
	advance(r);
}

void
ap_race_deadline(struct ap_race *r)
{
	if (r->state == AP_RACE_DONE)
		return;
	if (r->state == AP_RACE_TALKING) {
		/* What the peer said so far is the banner; talk_cut ends the
		 * race (and may free it) through ap_race_talk_done(). */
		r->env->ops->talk_cut(r->env->ctx, r->talker);
		return;
	}
	if (is_group(r)) {
		/* The name's time is up: no more addresses; those already
		 * racing go on under their own deadlines. */
		r->resolved = true;
		if (r->tried == 0 && r->dns_error == 0)
			r->dns_error = ETIMEDOUT;
		advance_group(r);
		return;
	}
	finish(r);
}

/* Stop whatever still runs: attempts still racing end as timed out (or
 * cancelled); a race starved of descriptors to the end gets that as its
 * last attempt, since only now is it a verdict (SPEC 3.6). */
static void
settle(struct ap_race *r)
{
	const struct ap_addr	*a;
	struct ap_race_attempt	*at;

	stagger_disarm(r);
	end_active(r, r->cancelled ? ECANCELED : ETIMEDOUT);
	if (r->state == AP_RACE_STARVED && r->wait_error != 0 &&
	    r->winner < 0 && (a = ap_addrlist_next(&r->addrs)) != NULL) {
		at = attempt_add(r, a, now_us(r));
		at->error = r->wait_error;
		at->stage = (enum ap_stage)r->wait_stage;
		if (ap_addrlist_handed(&r->addrs) > r->tried)
			r->tried = (unsigned)ap_addrlist_handed(&r->addrs);
	}
}

static void
result_init(const struct ap_race *r, struct ap_result *res,
    const struct ap_attempt *pub, char *hostbuf)
{
	ap_result_init(res, ap_race_text(r), race_host(r, hostbuf,
	    AP_LINE_MAX + 1), r->port, r->file, r->line);
	res->elapsed_us = now_us(r) - r->start_us;
	res->attempts = pub;
	res->nattempts = r->nattempts;
	res->addresses = r->tried;
}

/* The record (SPEC 4): the winner, else the final prioritized error, else
 * the deadline before any attempt could start, else why no address was
 * found.  pub: the attempts as records see them; ipbuf: AP_IPSTR_LEN
 * bytes for an address no attempt holds; hostbuf: AP_LINE_MAX + 1 bytes
 * for the host. */
static void
verdict(const struct ap_race *r, struct ap_result *res,
    const struct ap_attempt *pub, char *ipbuf, char *hostbuf)
{
	const struct ap_attempt	*at;
	int			 best;

	result_init(r, res, pub, hostbuf);
	if (r->winner >= 0) {
		at = &pub[r->winner];
		res->status = AP_STATUS_CONNECTED;
		res->ip = at->ip;
		res->rtt_us = at->duration_us;
		/* Another address was tried first: it failed, or stalled
		 * and was overtaken. */
		res->degraded = !same_address(&r->attempts[0],
		    &r->attempts[r->winner]);
		if (r->env->cfg->banner) {
			res->banner = r->banner != NULL ? r->banner->data : "";
			res->banner_len = r->banner != NULL ? r->banner->len : 0;
		}
		if (r->env->cfg->expect && !r->matched) {
			res->status = AP_STATUS_MISMATCH;
			res->error_text = "the expected text did not come";
		}
	} else if ((best = ap_result_final_error(pub, r->nattempts)) >= 0) {
		at = &pub[best];
		res->error = at->error;
		res->status = ap_attempt_status(at);
		res->ip = at->ip;
		if (at->icmp.origin != AP_ICMP_NONE)
			res->icmp = &at->icmp;
	} else if (ap_addrlist_count(&r->addrs) > 0) {
		/* The deadline (or the end) came before any attempt could
		 * start; an address's own race still names its address. */
		res->status = AP_STATUS_TIMEOUT;
		res->error = ETIMEDOUT;
		if (r->parent != NULL) {
			ap_addr_ntop(&r->addrs.first, ipbuf, AP_IPSTR_LEN);
			res->ip = ipbuf;
		}
	} else {
		res->status = AP_STATUS_UNRESOLVED;
		res->error = r->resolved ? r->dns_error : ETIMEDOUT;
		if (res->error == 0)
			res->error = AP_ERR_NODATA;
		/* A literal whose family is ruled out: an error, not a name
		 * that did not resolve. */
		if (res->error == EAFNOSUPPORT)
			res->status = AP_STATUS_ERROR;
	}
	if (r->cancelled && r->winner < 0) {
		res->status = AP_STATUS_CANCELLED;
		res->error = ECANCELED;
		res->error_text = NULL;
	}
}

/* -r: a timeout or a local shortage earns another round; a refusal or an
 * unreachable network is an answer and never does. */
static bool
retry(struct ap_race *r, const struct ap_result *res)
{
	if (r->rounds_left <= 0 || r->cancelled)
		return (false);
	if (res->status != AP_STATUS_TIMEOUT && !(res->status ==
	    AP_STATUS_ERROR && ap_probe_is_backpressure(res->error)))
		return (false);
	r->rounds_left--;
	ap_addrlist_rewind(&r->addrs);
	set_state(r, AP_RACE_RESOLVING);
	r->deadline_us = now_us(r) + r->env->cfg->timeout_us;
	r->env->ops->timer(r->env->ctx, r, AP_RACE_DEADLINE, r->deadline_us);
	advance(r);
	return (true);
}

/* The one place a race ends: its record is written, then it is freed
 * (an address race) or handed back to the engine (the target's). */
static void
finish(struct ap_race *r)
{
	struct ap_race		*p = r->parent;
	struct ap_result	 res;
	struct ap_attempt	 stack[8], *pub = stack;
	char			 ipbuf[AP_IPSTR_LEN];
	char			 hostbuf[AP_LINE_MAX + 1];
	uint32_t		 i;

	if (r->state == AP_RACE_DONE)
		return;
	if (!is_group(r))
		settle(r);
	if (r->nattempts > sizeof(stack) / sizeof(stack[0]))
		pub = xreallocarray(NULL, r->nattempts, sizeof(*pub));
	for (i = 0; i < r->nattempts; i++)
		attempt_public(&r->attempts[i], &pub[i]);
	verdict(r, &res, pub, ipbuf, hostbuf);
	if (is_group(r)) {
		/* Addresses that never got a race of their own. */
		if (r->tried == 0)
			r->env->ops->record(r->env->ctx, r, &res);
	} else {
		if (retry(r, &res)) {
			if (pub != stack)
				free(pub);
			return;
		}
		r->env->ops->record(r->env->ctx, r, &res);
	}
	if (pub != stack)
		free(pub);
	stagger_disarm(r);
	r->env->ops->timer(r->env->ctx, r, AP_RACE_DEADLINE, -1);
	set_state(r, AP_RACE_DONE);
	if (p == NULL) {
		r->env->ops->done(r->env->ctx, r);
		return;
	}
	SLIST_REMOVE(&p->kids, r, ap_race, sibling);
	ap_race_free(r);
	if (!p->spawning)
		advance(p);
}

void
ap_race_cancel(struct ap_race *r)
{
	struct ap_race	*k;

	if (r->state == AP_RACE_DONE)
		return;
	r->cancelled = true;
	if (is_group(r)) {
		/* Each address gets its cancelled record: those racing, and
		 * those still to come (--sequential), which end at once. */
		r->resolved = true;
		r->spawning = true;
		while ((k = SLIST_FIRST(&r->kids)) != NULL)
			ap_race_cancel(k);
		r->spawning = false;
		advance_group(r);	/* ends r */
		return;
	}
	if (r->state == AP_RACE_TALKING) {
		ap_race_deadline(r);
		return;
	}
	r->rounds_left = 0;
	finish(r);
}
