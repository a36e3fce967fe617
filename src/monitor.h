/* SPDX-License-Identifier: ISC */
/* monitor.h -- monitor mode (SPEC 1, --interval): the list probed in rounds
 * on one event loop, each round an engine of its own (so names are looked
 * up again), rounds DUR apart and never overlapping; --changes; -o put in
 * place after every round; SIGHUP re-reads the list before the next round;
 * --serve answers HTTP on the same loop. */
#ifndef AP_MONITOR_H
#define AP_MONITOR_H

#include <stddef.h>

#include "cli.h"
#include "engine.h"
#include "output.h"

struct ap_stats;

/*
 * Run rounds until --count, --max-runtime, a signal or a failing output
 * ends them.  writer: the records' format and flags (its fp is stdout, or
 * /dev/null for -q -f nagios; with -o each round writes a file of its
 * own).  *last gets the last round's tally (with the signal, if one ended
 * it), from which the caller works out the exit status, and *peak the
 * most targets in flight in any round; stats (or NULL) sums every round.
 * -1 with a reason in errbuf when monitor mode cannot start (a list file
 * cannot be read, the --serve address cannot be bound): nothing was
 * probed then.
 */
int	ap_monitor_run(const struct ap_options *, struct ap_writer *,
	    struct ap_stats *, struct ap_engine_tally *last, unsigned *peak,
	    char *errbuf, size_t errlen);

#endif
