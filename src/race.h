/* SPDX-License-Identifier: ISC */
/* race.h -- one target's race as an explicit state machine (SPEC 3, 4):
 * addresses come in, attempts start (Happy Eyeballs, or one at a time),
 * the first connect wins and may talk, the deadline ends the rest, -r
 * earns timed-out races another round, and the verdict becomes a record.
 * With -m every address is a race of its own (its own exchange, retries,
 * deadline and record) under the target's.
 *
 * Pure: no libevent, no clock, no sockets.  Everything the race does to
 * the world goes through struct ap_race_ops, so the engine plugs in
 * bufferevents and timers and tests plug in a fake prober and a fake
 * clock.
 *
 *   RESOLVING --address--> RACING      (an attempt starts)
 *   RACING --attempt fails, none left, resolved--> DONE
 *   RACING --attempt delay / a failure--> RACING (the next one starts)
 *   RACING --no descriptor, port or rate token--> STARVED --resume--> RACING
 *   RACING --connected, talk options--> TALKING --peer answered--> DONE
 *   RACING --connected--> DONE
 *   any --deadline--> DONE, or RACING again when -r earns a round
 *   any --cancel--> DONE (cancelled)
 */
#ifndef AP_RACE_H
#define AP_RACE_H

#include <sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrlist.h"
#include "probe.h"
#include "result.h"

enum ap_race_state {
	AP_RACE_RESOLVING,	/* no address to try yet */
	AP_RACE_RACING,		/* attempts running, or more to start */
	AP_RACE_STARVED,	/* the next attempt waits for a resource */
	AP_RACE_TALKING,	/* the winner's exchange runs */
	AP_RACE_DONE
};

/* The options a race obeys: the engine's own small copy. */
struct ap_race_config {
	int64_t		 timeout_us;		/* -t, per race */
	int64_t		 attempt_timeout_us;	/* 0: the deadline alone */
	int64_t		 attempt_delay_us;	/* already clamped */
	bool		 sequential;		/* one attempt at a time */
	bool		 per_address;		/* -m */
	int		 retries;		/* -r */
	bool		 talk;			/* --send/--expect/--banner */
	bool		 expect;		/* a match is wanted */
	bool		 banner;		/* keep the peer's bytes */
};

enum ap_race_timer {
	AP_RACE_DEADLINE,	/* ap_race_deadline() at the time */
	AP_RACE_STAGGER		/* ap_race_stagger() at the time */
};

enum ap_race_start {
	AP_RACE_STARTED,	/* *handle runs; ap_race_attempt_done() later */
	AP_RACE_WAIT,		/* no descriptor, port or rate token now:
				   the engine calls ap_race_resume() later;
				   *error is the errno (0 for the rate) */
	AP_RACE_FAILED		/* the run is failing: end the race */
};

struct ap_race;

struct ap_race_ops {
	int64_t	(*now_us)(void *ctx);
	/* Start one attempt to dst (port set) with the cap timeout_us (0:
	 * none).  On WAIT, *error and *stage say where it struck. */
	enum ap_race_start (*attempt_start)(void *ctx, struct ap_race *,
		    const struct ap_addr *dst, int64_t timeout_us,
		    void **handle, int *error, enum ap_stage *stage);
	/* Cancel a running attempt or release a finished one. */
	void	(*attempt_free)(void *ctx, void *handle);
	/* The winner talks; -1: it cannot (then it is done at once). */
	int	(*talk_start)(void *ctx, struct ap_race *, void *handle);
	/* End a running exchange now: ap_race_talk_done() must run inside,
	 * before this returns. */
	void	(*talk_cut)(void *ctx, void *handle);
	/* Arm (at_us >= 0) or disarm (-1) one of the race's timers; at_us
	 * is the race's deadline_us or stagger_until_us. */
	void	(*timer)(void *ctx, struct ap_race *, enum ap_race_timer,
		    int64_t at_us);
	/* A race that waited (STARVED) stops waiting without a resume. */
	void	(*unwait)(void *ctx, struct ap_race *);
	/* -v: an attempt has its outcome. */
	void	(*attempt_seen)(void *ctx, const struct ap_race *,
		    const struct ap_attempt *);
	/* One record (borrowed for the call). */
	void	(*record)(void *ctx, struct ap_race *, struct ap_result *);
	/* The top race and all of its own are over: free it. */
	void	(*done)(void *ctx, struct ap_race *);
};

/* A race's world: its options, the ops and their context. */
struct ap_race_env {
	const struct ap_race_config	*cfg;
	const struct ap_race_ops	*ops;
	void				*ctx;
};

/* What the engine keeps in each race; race.c never touches it. */
struct ap_race_link {
	TAILQ_ENTRY(ap_race)	 inflight;	/* the engine's targets */
	TAILQ_ENTRY(ap_race)	 deadline;	/* the deadline FIFO */
	union {				/* never both: a race that */
		TAILQ_ENTRY(ap_race) stagger;	/* waits has no stagger */
		TAILQ_ENTRY(ap_race) wait;	/* a waiting queue */
	};
	uint8_t			 armed;		/* on which timer FIFOs */
	uint8_t			 queued;	/* which waiting queue */
	void			*lookup;	/* DNS in flight */
	void			*group;		/* --ordered records */
};

/* One attempt as a race keeps it: the address in binary, the ICMP detail
 * out of line (only a failure the network answered has one).  Records
 * see struct ap_attempt, made from these when they are written. */
struct ap_race_attempt {
	/* The address without its port (the race's): its bytes, IPv6
	 * zone and family, smaller than a struct ap_addr. */
	unsigned char		 ip[16];
	uint32_t		 scope_id;
	uint8_t			 family;	/* AF_INET or AF_INET6 */
	uint8_t			 stage;		/* enum ap_stage */
	int			 error;
	int64_t			 start_us;	/* since the race's start */
	int64_t			 duration_us;
	struct ap_icmp		*icmp;		/* NULL: none */
};

struct ap_race_banner {
	size_t			 len;
	char			 data[];
};

struct ap_race_slot {
	void			*handle;
	uint32_t		 attempt;	/* index in attempts */
};

/*
 * One per target in flight (and per address with -m), so its size counts:
 * a race and its strings fit a 400-byte block for a typical target.
 */
struct ap_race {
	struct ap_race_link	 link;		/* the engine's */
	const struct ap_race_env *env;		/* borrowed */
	struct ap_race		*parent;	/* -m: the target's race */
	union {
		SLIST_HEAD(, ap_race) kids;	/* -m, the target's race: the
						   address races running */
		SLIST_ENTRY(ap_race) sibling;	/* an address race: in its
						   parent's kids */
	};
	/* The record's identity; the text and the host are the top race's
	 * strings (ap_race_text(), ap_race_host()). */
	const char		*file;
	unsigned long		 line;
	uint64_t		 seq;		/* input item index */
	int64_t			 start_us, deadline_us;
	int64_t			 stagger_until_us; /* next start due; 0 now */
	void			*talker;	/* the winner's handle */
	struct ap_race_banner	*banner;	/* the peer's first bytes */
	struct ap_race_slot	*active;
	struct ap_race_attempt	*attempts;
	uint16_t		 nactive, capactive;
	uint16_t		 nattempts, capattempts;
	int			 winner;	/* attempt index, -1 */
	int			 dns_error;
	int			 wait_error;	/* STARVED: why (0: rate) */
	uint32_t		 tried;		/* distinct addresses tried */
	uint16_t		 port;
	uint16_t		 hostlen;	/* top race: see ap_race_host() */
	int8_t			 rounds_left;	/* -r */
	uint8_t			 state;		/* enum ap_race_state, written
						   by set_state() only */
	uint8_t			 wait_stage;	/* enum ap_stage */
	bool			 resolved;	/* no more addresses coming */
	bool			 cancelled;	/* ended by signal/runtime */
	bool			 spawning;	/* -m: in advance_group() */
	bool			 matched;	/* --expect seen */
	struct ap_addrlist	 addrs;
	struct ap_race_attempt	 attempts_inline[1];
	struct ap_race_slot	 active_inline[1];
	char			 strings[];	/* top race: text NUL, then the
						   host NUL unless it begins
						   the text */
};

/* What a new race is for (strings are copied into the race). */
struct ap_race_target {
	const char	*text, *host, *file;
	unsigned long	 line;
	uint64_t	 seq;
	uint16_t	 port;
};

/* A top race in RESOLVING; its deadline is armed.  Feed it addresses
 * with ap_race_addresses().  Freed by the engine after ops->done, with
 * ap_race_free(). */
struct ap_race	*ap_race_new(const struct ap_race_env *,
		    const struct ap_race_target *);
void		 ap_race_free(struct ap_race *);	/* NULL ok */
/* The target's line as written, and its host (valid while it lives). */
const char	*ap_race_text(const struct ap_race *);

/* Events.  Each may end the race (ops->done may run inside). */
/* Addresses for the race (port 0); done: no more will come, and error
 * says why there were none (0, AP_ERR_*, ETIMEDOUT). */
void	ap_race_addresses(struct ap_race *, const struct ap_addr *, size_t n,
	    bool done, int error);
void	ap_race_attempt_done(struct ap_race *, void *handle,
	    const struct ap_probe_outcome *);
void	ap_race_talk_done(struct ap_race *, void *handle,
	    const struct ap_exchange_outcome *);
void	ap_race_deadline(struct ap_race *);
void	ap_race_stagger(struct ap_race *);
/* A STARVED race may try again (it stays starved, off every queue, when
 * its shortage leaves it less than a millisecond before its deadline). */
void	ap_race_resume(struct ap_race *);
/* End now as cancelled (a signal, --max-runtime, the run failing). */
void	ap_race_cancel(struct ap_race *);

#endif
