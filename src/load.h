/* SPDX-License-Identifier: ISC */
/* load.h -- the two load limits that hold for the whole process, shared
 * by every -j engine (SPEC 1): the in-flight budget (-c) and the connect
 * pacer (--rate).  Lock-free: one atomic operation on the hot path. */
#ifndef AP_LOAD_H
#define AP_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* -c: targets in flight, summed over the engines. */
struct ap_budget {
	atomic_uint		 used;
	unsigned		 max;
	atomic_uint_fast64_t	 waiting;	/* engines that found it full */
	atomic_uint		 peak;		/* most ever in use */
};

/* --rate: how far behind its schedule a late timer may leave it. */
#define AP_RATE_CATCHUP_US	10000

void	 ap_budget_init(struct ap_budget *, unsigned max);
/* Take one slot; false when all max are in use. */
bool	 ap_budget_take(struct ap_budget *);
/* Give a slot back.  Returns the engines (bit i: engine i % 64) that
 * found the budget full since the last give, to be woken. */
uint64_t ap_budget_give(struct ap_budget *);
/* Engine idx found it full and waits to be told of a give.  Returns true
 * when a slot came free meanwhile (take again rather than wait). */
bool	 ap_budget_wait(struct ap_budget *, int idx);
unsigned ap_budget_used(struct ap_budget *);
unsigned ap_budget_peak(struct ap_budget *);

/* --rate: one schedule of starts, 1/rate apart, whoever starts them.  A
 * late timer may leave the schedule behind the clock by at most catchup
 * (those starts go at once); longer gaps are not made up in a burst. */
struct ap_pacer {
	_Atomic int64_t		 next_us;	/* earliest next start */
	int64_t			 interval_us;	/* x 1024, for precision */
	int64_t			 catchup_us;
};

/* rate 0: no limit.  start_us: the run's start (no catch-up before). */
void	 ap_pacer_init(struct ap_pacer *, unsigned rate, int64_t catchup_us,
	    int64_t start_us);
bool	 ap_pacer_limited(const struct ap_pacer *);
/* Take the next start at now: 0 when taken, else how many microseconds
 * until one is due (nothing taken). */
int64_t	 ap_pacer_take(struct ap_pacer *, int64_t now_us);
/* The same answer without taking it. */
int64_t	 ap_pacer_peek(struct ap_pacer *, int64_t now_us);

/* -c as the descriptor limit allows: the soft limit is raised to the
 * hard one, and room is kept for the process's own descriptors. */
unsigned ap_load_concurrency(int wanted);

#endif
