/* SPDX-License-Identifier: ISC */
/* load.c -- see load.h. */
#include "config.h"

#include <sys/resource.h>

#include "load.h"

/* Descriptors kept back from -c for the process's own use: stdio, the
 * event loops, the DNS sockets, input and output files. */
#define RESERVED_FDS	16

void
ap_budget_init(struct ap_budget *b, unsigned max)
{
	atomic_init(&b->used, 0);
	atomic_init(&b->waiting, 0);
	atomic_init(&b->peak, 0);
	b->max = max > 0 ? max : 1;
}

bool
ap_budget_take(struct ap_budget *b)
{
	unsigned	used = atomic_load_explicit(&b->used,
			    memory_order_relaxed);

	do {
		if (used >= b->max)
			return (false);
	} while (!atomic_compare_exchange_weak_explicit(&b->used, &used,
	    used + 1, memory_order_acq_rel, memory_order_relaxed));
	/* Racy between engines, but only ever low by a little. */
	if (used + 1 > atomic_load_explicit(&b->peak, memory_order_relaxed))
		atomic_store_explicit(&b->peak, used + 1,
		    memory_order_relaxed);
	return (true);
}

uint64_t
ap_budget_give(struct ap_budget *b)
{
	atomic_fetch_sub_explicit(&b->used, 1, memory_order_acq_rel);
	if (atomic_load_explicit(&b->waiting, memory_order_acquire) == 0)
		return (0);
	return (atomic_exchange_explicit(&b->waiting, 0,
	    memory_order_acq_rel));
}

bool
ap_budget_wait(struct ap_budget *b, int idx)
{
	atomic_fetch_or_explicit(&b->waiting, (uint64_t)1 << (idx % 64),
	    memory_order_acq_rel);
	/* A give between the failed take and the line above saw no
	 * waiter: look again, so that wake-up is not lost. */
	return (atomic_load_explicit(&b->used, memory_order_acquire) <
	    b->max);
}

unsigned
ap_budget_used(struct ap_budget *b)
{
	return (atomic_load_explicit(&b->used, memory_order_relaxed));
}

void
ap_pacer_init(struct ap_pacer *p, unsigned rate, int64_t catchup_us,
    int64_t start_us)
{
	p->interval_us = rate > 0 ? (int64_t)(1024 * 1000000.0 / rate) : 0;
	p->catchup_us = catchup_us;
	atomic_init(&p->next_us, start_us * 1024);
}

bool
ap_pacer_limited(const struct ap_pacer *p)
{
	return (p->interval_us > 0);
}

static int64_t
pacer(struct ap_pacer *p, int64_t now_us, bool take)
{
	int64_t	now = now_us * 1024, next, floor;

	if (p->interval_us == 0)
		return (0);
	next = atomic_load_explicit(&p->next_us, memory_order_relaxed);
	do {
		if (next > now)
			return ((next - now + 1023) / 1024);
		if (!take)
			return (0);
		floor = now - p->catchup_us * 1024;
	} while (!atomic_compare_exchange_weak_explicit(&p->next_us, &next,
	    (next < floor ? floor : next) + p->interval_us,
	    memory_order_relaxed, memory_order_relaxed));
	return (0);
}

int64_t
ap_pacer_take(struct ap_pacer *p, int64_t now_us)
{
	return (pacer(p, now_us, true));
}

int64_t
ap_pacer_peek(struct ap_pacer *p, int64_t now_us)
{
	return (pacer(p, now_us, false));
}

unsigned
ap_load_concurrency(int wanted)
{
	struct rlimit	rl;
	rlim_t		room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return ((unsigned)wanted);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur > 2 * RESERVED_FDS ? rl.rlim_cur - RESERVED_FDS :
	    rl.rlim_cur / 2;
	if (room < 1)
		room = 1;
	if ((rlim_t)wanted > room)
		return ((unsigned)room);
	return ((unsigned)wanted);
}

unsigned
ap_budget_peak(struct ap_budget *b)
{
	return (atomic_load_explicit(&b->peak, memory_order_relaxed));
}
