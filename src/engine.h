/* SPDX-License-Identifier: ISC */
/* engine.h -- the scan: pulls targets from the input as capacity frees
 * up, resolves them, races their addresses, and writes one record per
 * target through the writer.  One event loop; all run state hangs off
 * struct ap_engine, so several engines could run side by side. */
#ifndef AP_ENGINE_H
#define AP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "input.h"
#include "output.h"
#include "result.h"

/*
 * Event priorities of a base from ap_engine_base_new().  libevent runs only
 * the most urgent priority that has events ready, so a busy one starves
 * those below it: everything that must keep happening during a scan
 * (sockets, evdns, deadlines, the progress line, --serve's clients)
 * shares AP_PRIO_RUN, libevent's default.  Signals go first; the output
 * flush (record.c) and input yields wait for a quiet pass.
 */
enum { AP_PRIO_SIGNAL, AP_PRIO_RUN, AP_PRIO_IDLE, AP_NPRIO };

struct event_base;
struct ap_changes;
struct ap_engine;
struct ap_share;
struct ap_stats;

/* What main.c needs to choose the exit status (SPEC 6). */
struct ap_engine_tally {
	uint64_t	 status[AP_STATUS_COUNT];	/* records per status */
	uint64_t	 targets;			/* records in all */
	uint64_t	 file_errors;			/* unreadable inputs */
	int		 signal;			/* SIGINT, SIGTERM, 0 */
	bool		 output_closed;			/* EPIPE: quiet end */
	int		 system_error;			/* errno; 0 if none */
	const char	*system_what;			/* what failed */
};

/* Note that what ("write", "memory", "event loop", ...) failed with
 * error: a write that meets EPIPE means the output was closed (| head), a
 * quiet end (output_closed); anything else is a system error, the first
 * one kept.  The one place either is decided. */
void		 ap_tally_failed(struct ap_engine_tally *, const char *what,
		    int error);
/* The rule behind it: a write that failed with error met a closed output
 * (EPIPE), the quiet end of a reader gone away, not a system error.
 * main() asks it too, of stdout's last flush and close. */
bool		 ap_write_closed(int error);

/* All pointers are borrowed and must outlive the engine; stats may be
 * NULL.  NULL with a reason in errbuf on a bad configuration (a hosts
 * file that can't be read, a nameserver evdns refuses) or when the event
 * loop can't be made. */
struct ap_engine *ap_engine_new(const struct ap_options *, struct ap_input *,
		    struct ap_writer *, struct ap_stats *, char *errbuf,
		    size_t errlen);
/* -j: engine idx, taking its input from share and handing its records
 * to share's output; ap_engine_run() then writes no header or end, takes
 * no signals and draws no progress (the caller does, for all).  -c and
 * --rate are the share's, for the whole process. */
struct ap_engine *ap_engine_new_shared(const struct ap_options *,
		    struct ap_share *, int idx,
		    struct ap_writer *, struct ap_stats *, char *errbuf,
		    size_t errlen);
/*
 * Monitor mode: an engine on its host's event loop, for one round or one
 * /probe.  It takes no signals (the host does, and calls
 * ap_engine_cancel()), writes no header and no end (the host does, once
 * per output), and instead of returning from a loop of its own it calls
 * done() from the loop once its last record is out; the host then frees
 * it (not from inside done()).  base must come from ap_engine_base_new().
 */
struct ap_engine_host {
	struct event_base	*base;
	void			(*done)(struct ap_engine *, void *arg);
	void			*arg;
	uint64_t		 round;		/* every record carries it */
	struct ap_writer	*tap;		/* also gets every record */
	struct ap_changes	*changes;	/* --changes, or NULL */
	bool			 invalid_said;	/* bad lines and unreadable
						   files: said last round */
};

struct event_base *ap_engine_base_new(void);
struct ap_engine *ap_engine_new_hosted(const struct ap_options *,
		    struct ap_input *, const struct ap_engine_host *,
		    struct ap_writer *, struct ap_stats *, char *errbuf,
		    size_t errlen);
void		 ap_engine_start(struct ap_engine *);
/* End the run as a signal would: what is in flight is cancelled. */
void		 ap_engine_cancel(struct ap_engine *, int sig);
const struct ap_engine_tally *ap_engine_tally(const struct ap_engine *);

/* Run until every target read has its record, a signal arrives, or the
 * output fails.  Returns the tally (valid until ap_engine_free()). */
const struct ap_engine_tally *ap_engine_run(struct ap_engine *);
void		 ap_engine_free(struct ap_engine *);	/* NULL ok */
/* Peak number of this engine's targets in flight, and the process's
 * concurrency after the descriptor limit capped -c. */
unsigned	 ap_engine_peak_inflight(const struct ap_engine *);
unsigned	 ap_engine_concurrency(const struct ap_engine *);
/* How many records to expect, for the progress line; 0: not known. */
void		 ap_engine_set_total(struct ap_engine *, uint64_t);

#endif
