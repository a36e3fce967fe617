/* SPDX-License-Identifier: ISC */
/* engine_int.h -- what the engine's own files share and nothing else sees:
 * the target and engine structs and the functions they call across files.
 * engine.c is the per-target state machine, engine_out.c the records,
 * progress and notes, engine_run.c the input, the run and its end. */
#ifndef AP_ENGINE_INT_H
#define AP_ENGINE_INT_H

#include <sys/queue.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "addrlist.h"
#include "clock.h"
#include "engine.h"
#include "probe.h"
#include "reorder.h"
#include "resolve.h"
#include "share.h"

/* Descriptors kept back from -c for the process's own use: stdio, the
 * event loop, the DNS socket, input and output files. */
#define RESERVED_FDS		16
/* Input items handled in one go before the loop gets a turn. */
#define FILL_BATCH		256
/* Back-pressure retry delay bounds (out of descriptors or ports). */
#define RETRY_MIN_MS		5
#define RETRY_MAX_MS		200
/* -j: an engine hands its records to the real output in chunks this big
 * (whole records only), and when its loop is about to wait. */
#define SHARE_CHUNK		65536
/* Flush records at least this often even when the loop never idles. */
#define FLUSH_EVERY_US		100000
#define FLUSH_CHECK		32
/* --rate: how far behind its schedule a late timer may leave it. */
#define RATE_CATCHUP_US		10000
/* RFC 8305 3: how long an A answer waits for the AAAA one. */
#define RESOLUTION_DELAY_MS	50

/*
 * Event priorities.  libevent runs only the most urgent priority that has
 * events ready, so a busy one starves those below it: everything that
 * must keep happening during a scan (sockets, evdns, deadlines, the
 * progress line) shares PRIO_RUN, libevent's default.  Readiness still
 * beats a deadline that expires in the same pass: libevent queues the
 * ready sockets before the expired timers.  Signals go first; the output
 * flush (which also runs every FLUSH_EVERY_US) and input yields wait for
 * a quiet pass.
 */
enum { PRIO_SIGNAL, PRIO_RUN, PRIO_IDLE, NPRIO };

enum target_state {
	TS_RESOLVING,		/* waiting for addresses */
	TS_CONNECTING,		/* attempts running or more to come */
	TS_DONE
};

struct attempt_slot {
	struct ap_probe		*probe;
	size_t			 attempt;	/* index in t->attempts */
};

struct target {
	struct ap_engine	*eng;
	TAILQ_ENTRY(target)	 entry;		/* eng->inflight */
	TAILQ_ENTRY(target)	 starved_entry;	/* eng->starved */
	bool			 starved;
	enum target_state	 state;
	char			*text;		/* in strings[] */
	char			*host;		/* in strings[] */
	uint16_t		 port;
	const char		*file;		/* borrowed from the input */
	unsigned long		 line;
	int64_t			 start_us;
	int64_t			 deadline_us;	/* -t from the start */
	struct event		*stagger;	/* attempt delay */
	bool			 stagger_running;
	struct ap_lookup	*lookup;
	bool			 resolved;	/* no more addresses coming */
	int			 dns_error;
	struct ap_addrlist	 addrs;
	struct ap_addr		 starved_addr;	/* next to retry */
	int			 starved_error;
	enum ap_stage		 starved_stage;
	struct attempt_slot	*active;
	size_t			 nactive, capactive;
	struct ap_attempt	*attempts;
	size_t			 nattempts, capattempts;
	int			 winner;	/* attempt index, -1 */
	struct ap_probe		*talker;	/* the winner, exchanging */
	bool			 exchanged;	/* its exchange is over */
	bool			 matched;	/* --expect seen */
	char			*banner;	/* peer's first bytes */
	size_t			 banner_len;
	int			 rounds_left;	/* -r retries still to go */
	uint64_t		 seq;		/* input item index */
	/* Room for the usual single address, so that most targets need no
	 * allocation beyond this one (text and host follow it). */
	struct ap_attempt	 attempts_inline[1];
	struct attempt_slot	 active_inline[1];
	char			 strings[];	/* text NUL host NUL */
};

TAILQ_HEAD(target_list, target);

struct ap_engine {
	const struct ap_options	*opt;
	struct ap_input		*input;
	struct ap_writer	*writer;
	struct ap_stats		*stats;
	struct event_base	*base;
	struct ap_resolver	*resolver;
	struct ap_addr		 source;
	bool			 have_source;
	int			 family;
	struct event		*deadline_ev;	/* the oldest target's */
	const struct timeval	*stagger_tv;	/* common timeout */
	struct event		*input_ev;	/* input readable */
	struct event		*fill_ev;	/* read more input soon */
	struct event		*refill_ev;	/* after this pass's I/O */
	struct event		*flush_ev;
	struct event		*retry_ev;	/* back-pressure */
	struct event		*sigint_ev, *sigterm_ev;
	struct event		*sigusr1_ev;	/* progress line once */
	struct event		*progress_ev;	/* --progress refresh */
	bool			 progress_tty;	/* redraw in place */
	bool			 progress_drawn; /* a line is on screen */
	uint64_t		 total;		/* targets, 0: unknown */
	int64_t			 start_us;
	/* -j: the engines of one run; NULL when this one is alone. */
	struct ap_share		*share;
	int			 idx;		/* this engine's number */
	struct ap_share_counts	*counts;
	int			 wake[2];	/* pipe: share -> engine */
	struct event		*wake_ev;
	FILE			*ofp;		/* records not yet out */
	char			*obuf;
	size_t			 olen;
	struct event		*stop_ev;	/* end every target */
	struct target_list	 inflight;
	struct target_list	 starved;
	unsigned		 ninflight;
	unsigned		 max_inflight;	/* -c after the fd limit */
	unsigned		 cap;		/* lowered by back-pressure */
	unsigned		 peak;
	int			 retry_ms;
	bool			 input_done;
	bool			 stopping;	/* no more input */
	bool			 cancelling;	/* verdicts are cancelled */
	bool			 starved_again;	/* set by starve() */
	bool			 talk;		/* --send/--expect/--banner */
	struct ap_exchange	 exchange;
	struct event		*runtime_ev;	/* --max-runtime */
	struct event		*rate_ev;	/* --rate: next start */
	double			 rate;		/* this engine's share */
	double			 rate_next_us;	/* earliest next start */
	uint64_t		 next_seq;	/* index of the next item */
	struct ap_reorder	*reorder;	/* --ordered, else NULL */
	FILE			*group_fp;	/* --ordered: this item's */
	char			*group_buf;
	size_t			 group_len;
	int64_t			 last_flush_us;
	unsigned		 emits;		/* records, for FLUSH_CHECK */
	struct ap_engine_tally	 tally;
};

/* engine.c: targets. */
void	ap_engine_target_start(struct ap_engine *,
	    const struct ap_input_item *);
void	ap_engine_target_try_next(struct target *);
void	ap_engine_target_finish(struct target *);
void	ap_engine_target_free(struct target *);	/* NULL ok */
void	ap_engine_deadline_arm(struct ap_engine *);
void	ap_engine_deadline_cb(evutil_socket_t, short, void *);

/* engine_out.c: records, flushing, progress, stderr. */
void	ap_engine_fail(struct ap_engine *, const char *what, int error);
void	ap_engine_emit(struct ap_engine *, struct ap_result *);
void	ap_engine_invalid(struct ap_engine *, const struct ap_input_item *,
	    const char *reason);
void	ap_engine_group_begin(struct ap_engine *);
void	ap_engine_group_end(struct ap_engine *, uint64_t seq);
void	ap_engine_flush(struct ap_engine *);
void	ap_engine_flush_cb(evutil_socket_t, short, void *);
void	ap_engine_note(struct ap_engine *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	ap_engine_verbose_attempt(const struct target *,
	    const struct ap_attempt *);
void	ap_engine_progress_erase(struct ap_engine *);
void	ap_engine_progress_cb(evutil_socket_t, short, void *);
void	ap_engine_sigusr1_cb(evutil_socket_t, short, void *);

/* engine_run.c: input and the run. */
void	ap_engine_fill(struct ap_engine *);
void	ap_engine_refill(struct ap_engine *);
void	ap_engine_stop(struct ap_engine *);

#endif
