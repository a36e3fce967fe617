/* SPDX-License-Identifier: ISC */
/* engine.c -- see engine.h.  Each target is a small state machine:
 *
 *   RESOLVING --addresses--> CONNECTING --first success--> DONE (connected)
 *   CONNECTING --failure, more addresses--> CONNECTING (next at once)
 *   CONNECTING --attempt delay passes--> one more attempt alongside
 *   any --deadline--> DONE (what is still running ends as ETIMEDOUT)
 *
 * Only ap_engine_target_try_next() starts attempts and only
 * ap_engine_target_finish() ends a target; every event handler ends in one
 * of the two.  Feeding targets in and the run around them: engine_run.c;
 * the records: engine_out.c. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "pool.h"
#include "xmalloc.h"

void
ap_engine_target_free(struct target *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nactive; i++)
		ap_probe_free(t->active[i].probe);
	ap_probe_free(t->talker);
	ap_resolve_cancel(t->lookup);
	if (t->stagger != NULL)
		event_free(t->stagger);
	ap_addrlist_clear(&t->addrs);
	if (t->active != t->active_inline)
		free(t->active);
	if (t->attempts != t->attempts_inline)
		free(t->attempts);
	free(t->banner);
	ap_pool_free(t);
}

/* Double an array that starts inline in the target. */
static void *
grow(void *v, void *inline_v, size_t *cap, size_t size)
{
	void	*n;

	if (v == inline_v) {
		n = xreallocarray(NULL, *cap * 2, size);
		memcpy(n, v, *cap * size);
	} else
		n = xreallocarray(v, *cap * 2, size);
	*cap *= 2;
	return (n);
}

static struct ap_attempt *
attempt_add(struct target *t, const struct ap_addr *a, int64_t start_us)
{
	struct ap_attempt	*at;

	if (t->nattempts == t->capattempts)
		t->attempts = grow(t->attempts, t->attempts_inline,
		    &t->capattempts, sizeof(*t->attempts));
	at = &t->attempts[t->nattempts++];
	memset(at, 0, sizeof(*at));
	ap_addr_ntop(a, at->ip, sizeof(at->ip));
	at->family = a->u.sa.sa_family;
	at->start_us = start_us - t->start_us;
	return (at);
}

static void
active_remove(struct target *t, size_t i)
{
	t->active[i] = t->active[--t->nactive];
}

/* A descriptor was released: a target starved of one may go on. */
static void
engine_kick_starved(struct ap_engine *eng)
{
	if (!TAILQ_EMPTY(&eng->starved))
		event_active(eng->retry_ev, EV_TIMEOUT, 1);
}

/* Close every attempt still running: another address has won. */
static void
abandon_others(struct target *t)
{
	struct ap_attempt	*at;
	int64_t			 now;
	size_t			 i;

	if (t->nactive == 0)
		return;
	now = ap_now_us();
	for (i = 0; i < t->nactive; i++) {
		at = &t->attempts[t->active[i].attempt];
		at->error = ECANCELED;
		at->stage = AP_STAGE_HANDSHAKE;
		at->duration_us = now - t->start_us - at->start_us;
		ap_probe_free(t->active[i].probe);
	}
	engine_kick_starved(t->eng);
	t->nactive = 0;
}

static void
exchange_cb(struct ap_probe *p, const struct ap_exchange_outcome *xo,
    void *arg)
{
	struct target	*t = arg;

	(void)p;
	t->exchanged = true;
	t->matched = xo->matched;
	if (xo->len > 0) {
		t->banner = xmalloc(xo->len);
		memcpy(t->banner, xo->data, xo->len);
		t->banner_len = xo->len;
	}
	ap_engine_target_finish(t);	/* a no-op when the deadline is ending it */
}

static void
probe_cb(struct ap_probe *p, const struct ap_probe_outcome *o, void *arg)
{
	struct target		*t = arg;
	struct ap_attempt	*at;
	size_t			 i;

	for (i = 0; i < t->nactive; i++)
		if (t->active[i].probe == p)
			break;
	if (i == t->nactive)
		abort();	/* a probe the target does not own */
	at = &t->attempts[t->active[i].attempt];
	at->error = o->error;
	at->stage = o->stage;
	at->duration_us = o->duration_us;
	ap_engine_verbose_attempt(t, at);
	active_remove(t, i);
	if (at->error == 0 && t->eng->talk && !t->eng->opt->all_addresses) {
		/* The first to connect is the only one that talks. */
		t->winner = (int)(at - t->attempts);
		abandon_others(t);
		if (t->stagger != NULL)
			evtimer_del(t->stagger);
		if (ap_probe_exchange(p, &t->eng->exchange, exchange_cb,
		    t) == 0) {
			t->talker = p;
			return;
		}
		t->exchanged = true;
	}
	ap_probe_free(p);		/* o goes with it */
	engine_kick_starved(t->eng);
	if (at->error == 0) {
		/* -m probes every address; otherwise the first wins. */
		if (!t->eng->opt->all_addresses)
			t->winner = (int)(at - t->attempts);
	} else
		/* RFC 8305 5: a failure starts the next attempt at once. */
		t->stagger_running = false;
	ap_engine_target_try_next(t);
}

static void
stagger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct target	*t = arg;

	(void)fd, (void)what;
	t->stagger_running = false;
	ap_engine_target_try_next(t);
}

/* Every target has the same -t, so the in-flight list, kept in start
 * order, is also in deadline order: one timer, armed for the oldest
 * target, serves them all (limit.c's FIFO; no heap, no event each). */
void
ap_engine_deadline_arm(struct ap_engine *eng)
{
	struct target	*t = TAILQ_FIRST(&eng->inflight);
	struct timeval	 tv;
	int64_t		 us;

	if (t == NULL || evtimer_pending(eng->deadline_ev, NULL))
		return;
	us = t->deadline_us - ap_now_us();
	if (us < 0)
		us = 0;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(eng->deadline_ev, &tv);
}

void
ap_engine_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_engine	*eng = arg;
	struct target		*t;
	int64_t			 now = ap_now_us();

	(void)fd, (void)what;
	/* Within a millisecond counts: the loop's clock and ours differ
	 * by a little. */
	while ((t = TAILQ_FIRST(&eng->inflight)) != NULL &&
	    t->deadline_us <= now + 1000)
		ap_engine_target_finish(t);	/* a retry moves t to the end */
	ap_engine_deadline_arm(eng);
}

/* The time left before the target's deadline, as a cap for one attempt
 * when --attempt-timeout is shorter; NULL when the deadline alone rules. */
static const struct timeval *
attempt_timeout(const struct target *t, struct timeval *tv)
{
	int64_t	cap = (int64_t)t->eng->opt->attempt_timeout_ms * 1000;

	if (cap <= 0 || cap >= t->deadline_us - ap_now_us())
		return (NULL);
	tv->tv_sec = cap / 1000000;
	tv->tv_usec = cap % 1000000;
	return (tv);
}

static bool
may_start_another(const struct target *t)
{
	if (t->winner >= 0 || t->starved)
		return (false);
	if (t->eng->opt->all_addresses)
		return (true);	/* every address, all at once */
	if (t->nactive == 0)
		return (true);
	return (!t->eng->opt->sequential && !t->stagger_running);
}

static void
starve(struct target *t, const struct ap_addr *a, int error,
    enum ap_stage stage)
{
	struct ap_engine	*eng = t->eng;
	struct timeval		 tv;

	ap_addrlist_unget(&t->addrs, a);
	t->starved = true;
	t->starved_addr = *a;
	eng->starved_again = true;
	t->starved_error = error;
	t->starved_stage = stage;
	TAILQ_INSERT_TAIL(&eng->starved, t, starved_entry);
	/* Take no new targets until this one is served (SPEC 3.6: lower
	 * the concurrency for a while); it grows back one by one. */
	eng->cap = eng->ninflight > 1 ? eng->ninflight - 1 : 1;
	if (!evtimer_pending(eng->retry_ev, NULL)) {
		tv.tv_sec = 0;
		tv.tv_usec = eng->retry_ms * 1000;
		evtimer_add(eng->retry_ev, &tv);
		eng->retry_ms = eng->retry_ms * 2 > RETRY_MAX_MS ?
		    RETRY_MAX_MS : eng->retry_ms * 2;
	}
}

static void
abandon_oldest(struct target *t)
{
	struct ap_attempt	*at;
	size_t			 i, oldest = 0;

	for (i = 1; i < t->nactive; i++)
		if (t->active[i].attempt < t->active[oldest].attempt)
			oldest = i;
	at = &t->attempts[t->active[oldest].attempt];
	at->error = ETIMEDOUT;
	at->stage = AP_STAGE_HANDSHAKE;
	at->duration_us = ap_now_us() - t->start_us - at->start_us;
	ap_engine_verbose_attempt(t, at);
	ap_probe_free(t->active[oldest].probe);
	active_remove(t, oldest);
}

void
ap_engine_target_try_next(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	const struct ap_addr	*a;
	const struct ap_addr	*src;
	struct ap_probe		*p;
	struct ap_attempt	*at;
	struct timeval		 tv;
	enum ap_stage		 stage;
	struct ap_addr		 dst;

	while (may_start_another(t) && (a = ap_addrlist_next(&t->addrs))) {
		dst = *a;
		ap_addr_set_port(&dst, t->port);
		src = eng->have_source ? &eng->source : NULL;
		p = ap_probe_start(eng->base, &dst, src,
		    attempt_timeout(t, &tv), probe_cb, t, &stage);
		if (p == NULL) {
			if (!ap_probe_is_backpressure(errno)) {
				ap_engine_fail(eng, "connect", errno);
				return;
			}
			starve(t, a, errno, stage);
			/* A target racing stalled addresses must not hold
			 * descriptors the others wait for: out of them, it
			 * gives up its oldest attempt for the next address,
			 * as --attempt-timeout would have. */
			if (t->nactive > 0)
				abandon_oldest(t);
			break;
		}
		t->state = TS_CONNECTING;
		at = attempt_add(t, a, ap_probe_started_us(p));
		if (t->nactive == t->capactive)
			t->active = grow(t->active, t->active_inline,
			    &t->capactive, sizeof(*t->active));
		t->active[t->nactive].probe = p;
		t->active[t->nactive].attempt = (size_t)(at - t->attempts);
		t->nactive++;
		/* The stagger matters only while more addresses may come. */
		if (!eng->opt->sequential && (!t->resolved ||
		    ap_addrlist_pending(&t->addrs) > 0)) {
			if (t->stagger == NULL &&
			    (t->stagger = evtimer_new(eng->base, stagger_cb,
			    t)) == NULL) {
				ap_engine_fail(eng, "event", ENOMEM);
				return;
			}
			evtimer_add(t->stagger, eng->stagger_tv);
			t->stagger_running = true;
		}
	}
	/* A winner still talking (--send, --expect, --banner) ends through
	 * exchange_cb() or the deadline. */
	if ((t->winner >= 0 && t->talker == NULL) ||
	    (t->winner < 0 && t->nactive == 0 && !t->starved &&
	    t->resolved && ap_addrlist_pending(&t->addrs) == 0))
		ap_engine_target_finish(t);
}

static void
resolved_cb(const struct ap_addr *addrs, size_t n, bool done, int error,
    void *arg)
{
	struct target	*t = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		ap_addrlist_add(&t->addrs, &addrs[i].u.sa, addrs[i].len);
	if (done) {
		t->lookup = NULL;	/* the resolver dropped it */
		t->resolved = true;
		t->dns_error = error;
	}
	ap_engine_target_try_next(t);
}

/* Stop whatever still runs for t: attempts still racing end as timed out
 * (the deadline struck) or abandoned (another address won); a target
 * starved of descriptors to the end gets that as its last attempt. */
static void
target_settle(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	struct ap_attempt	*at;
	int64_t			 now = 0;
	size_t			 i;

	if (t->talker != NULL) {
		if (!t->exchanged)	/* runs exchange_cb at once */
			ap_probe_exchange_finish(t->talker);
		ap_probe_free(t->talker);
		t->talker = NULL;
		engine_kick_starved(eng);
	}
	if (t->winner >= 0)
		abandon_others(t);
	if (t->nactive > 0 || t->starved)
		now = ap_now_us();
	for (i = 0; i < t->nactive; i++) {
		at = &t->attempts[t->active[i].attempt];
		/* Cut short by a signal or --max-runtime, not timed out. */
		at->error = eng->cancelling ? ECANCELED : ETIMEDOUT;
		at->stage = AP_STAGE_HANDSHAKE;
		at->duration_us = now - t->start_us - at->start_us;
		ap_engine_verbose_attempt(t, at);
		ap_probe_free(t->active[i].probe);
	}
	if (t->nactive > 0)
		engine_kick_starved(eng);
	t->nactive = 0;
	if (t->starved && t->winner < 0) {
		/* Out of descriptors or ports until the very end: only now
		 * is that a verdict (SPEC 3.6). */
		at = attempt_add(t, &t->starved_addr, now);
		at->error = t->starved_error;
		at->stage = t->starved_stage;
	}
	if (t->starved) {
		TAILQ_REMOVE(&eng->starved, t, starved_entry);
		t->starved = false;
	}
}

static void
result_init(const struct target *t, struct ap_result *r)
{
	memset(r, 0, sizeof(*r));
	r->target = t->text;
	r->host = t->host;
	r->port = t->port;
	r->ip = "";
	r->rtt_us = -1;
	r->elapsed_us = ap_now_us() - t->start_us;
	r->file = t->file;
	r->line = t->line;
	r->attempts = t->attempts;
	r->nattempts = t->nattempts;
	r->addresses = (unsigned)t->nattempts;
}

/* The record of a target (SPEC 4): the winner, else the final
 * prioritized error, else why no address was found. */
static void
target_verdict(const struct target *t, struct ap_result *r)
{
	const struct ap_engine	*eng = t->eng;
	const struct ap_attempt	*at;
	size_t			 i;
	int			 best;

	result_init(t, r);
	if (t->winner >= 0) {
		at = &t->attempts[t->winner];
		r->status = AP_STATUS_CONNECTED;
		r->ip = at->ip;
		r->rtt_us = at->duration_us;
		for (i = 0; i < t->nattempts; i++)
			if (t->attempts[i].start_us <= at->start_us &&
			    t->attempts[i].error != 0 &&
			    t->attempts[i].error != ECANCELED)
				r->degraded = true;
		if (eng->opt->banner_max > 0) {
			r->banner = t->banner != NULL ? t->banner : "";
			r->banner_len = t->banner_len;
		}
		if (eng->opt->expect != NULL && !t->matched) {
			r->status = AP_STATUS_MISMATCH;
			r->error_text = "the expected text did not come";
		}
	} else if ((best = ap_result_final_error(t->attempts,
	    t->nattempts)) >= 0) {
		at = &t->attempts[best];
		r->error = at->error;
		r->status = ap_status_from_error(at->error);
		r->ip = at->ip;
	} else {
		/* No address was ever tried: the name is the problem, or
		 * the deadline came first. */
		r->status = AP_STATUS_UNRESOLVED;
		r->error = t->resolved ? t->dns_error : ETIMEDOUT;
		if (r->error == 0)
			r->error = AP_ERR_NODATA;
	}
	if (eng->cancelling && t->winner < 0) {
		r->status = AP_STATUS_CANCELLED;
		r->error = ECANCELED;
		r->error_text = NULL;
	}
}

/* -r: a timeout or a local shortage earns another round; a refusal or an
 * unreachable network is an answer and never does. */
static bool
target_retry(struct target *t, const struct ap_result *r)
{
	struct ap_engine	*eng = t->eng;

	if (t->rounds_left <= 0 || eng->stopping)
		return (false);
	if (r->status != AP_STATUS_TIMEOUT && !(r->status ==
	    AP_STATUS_ERROR && ap_probe_is_backpressure(r->error)))
		return (false);
	t->rounds_left--;
	t->state = TS_CONNECTING;
	t->addrs.next6 = t->addrs.next4 = 0;
	t->addrs.last_family = 0;
	t->stagger_running = false;
	t->deadline_us = ap_now_us() + (int64_t)eng->opt->timeout_ms * 1000;
	/* The latest deadline of all: the end of the in-flight list. */
	TAILQ_REMOVE(&eng->inflight, t, entry);
	TAILQ_INSERT_TAIL(&eng->inflight, t, entry);
	ap_engine_deadline_arm(eng);
	ap_engine_target_try_next(t);
	return (true);
}

/* -m: one record per address tried, each with its own verdict. */
static void
emit_per_address(struct target *t)
{
	struct ap_result	 r;
	const struct ap_attempt	*at;
	size_t			 i;

	for (i = 0; i < t->nattempts; i++) {
		at = &t->attempts[i];
		result_init(t, &r);
		r.ip = at->ip;
		r.attempts = at;
		r.nattempts = 1;
		r.addresses = 1;
		if (at->error == 0) {
			r.status = AP_STATUS_CONNECTED;
			r.rtt_us = at->duration_us;
		} else {
			r.status = ap_status_from_error(at->error);
			r.error = at->error;
		}
		ap_engine_emit(t->eng, &r);
	}
}

/* The one place a target ends: its record is written, then it is freed
 * and the engine takes the next target from the input. */
void
ap_engine_target_finish(struct target *t)
{
	struct ap_engine	*eng = t->eng;
	struct ap_result	 r;

	if (t->state == TS_DONE)
		return;
	t->state = TS_DONE;
	target_settle(t);
	target_verdict(t, &r);
	if (target_retry(t, &r))
		return;
	ap_engine_group_begin(eng);
	if (eng->opt->all_addresses && t->nattempts > 0 && !eng->cancelling)
		emit_per_address(t);
	else
		ap_engine_emit(eng, &r);
	ap_engine_group_end(eng, t->seq);

	TAILQ_REMOVE(&eng->inflight, t, entry);
	eng->ninflight--;
	if (eng->counts != NULL)
		atomic_fetch_sub_explicit(&eng->counts->inflight, 1,
		    memory_order_relaxed);
	ap_engine_target_free(t);
	/* Additive increase after back-pressure lowered the cap. */
	if (eng->cap < eng->max_inflight && TAILQ_EMPTY(&eng->starved))
		eng->cap++;
	if (!eng->stopping)
		ap_engine_refill(eng);
}

void
ap_engine_target_start(struct ap_engine *eng, const struct ap_input_item *it)
{
	struct target	*t;
	struct ap_addr	 a;
	size_t		 textlen, hostlen;

	if (eng->opt->numeric && !it->host_is_ip) {
		ap_engine_invalid(eng, it, "a name, but -n/--numeric forbids "
		    "DNS: give an address");
		return;
	}
	textlen = strlen(it->text) + 1;
	hostlen = strlen(it->host) + 1;
	t = ap_pool_xcalloc(1, sizeof(*t) + textlen + hostlen);
	t->eng = eng;
	t->text = memcpy(t->strings, it->text, textlen);
	t->host = memcpy(t->strings + textlen, it->host, hostlen);
	t->attempts = t->attempts_inline;
	t->capattempts = 1;
	t->active = t->active_inline;
	t->capactive = 1;
	t->port = it->port;
	t->file = it->file;
	t->line = it->line;
	t->winner = -1;
	t->rounds_left = eng->opt->retries;
	t->seq = it->index;
	t->state = TS_RESOLVING;
	t->start_us = ap_now_us();
	t->deadline_us = t->start_us + (int64_t)eng->opt->timeout_ms * 1000;
	TAILQ_INSERT_TAIL(&eng->inflight, t, entry);
	if (++eng->ninflight > eng->peak)
		eng->peak = eng->ninflight;
	if (eng->counts != NULL)
		atomic_fetch_add_explicit(&eng->counts->inflight, 1,
		    memory_order_relaxed);
	ap_engine_deadline_arm(eng);
	if (it->host_is_ip) {
		/* Numeric hosts skip every name table and DNS. */
		if (eng->family == AF_UNSPEC || eng->family == it->ip_family) {
			ap_addr_from_bytes(&a, it->ip_family, it->ip, 0);
			if (it->ip_family == AF_INET6)
				a.u.sin6.sin6_scope_id = it->scope_id;
			ap_addrlist_add(&t->addrs, &a.u.sa, a.len);
		} else
			t->dns_error = AP_ERR_NODATA;
		t->resolved = true;
	} else if (ap_resolver_static_port(eng->resolver, it->host, it->port,
	    &t->addrs)) {
		t->resolved = true;
		if (ap_addrlist_count(&t->addrs) == 0)
			t->dns_error = AP_ERR_NODATA;
	} else {
		t->lookup = ap_resolve_start(eng->resolver, it->host,
		    resolved_cb, t);
		if (t->lookup == NULL) {
			ap_engine_fail(eng, "DNS client", errno);
			return;
		}
		return;
	}
	ap_engine_target_try_next(t);
}
