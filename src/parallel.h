/* SPDX-License-Identifier: ISC */
/* parallel.h -- -j N: N engines, one event loop per thread, over one input
 * and into one output.  The main thread writes the header and the end,
 * takes the signals and draws the progress line for all of them. */
#ifndef AP_PARALLEL_H
#define AP_PARALLEL_H

#include <stddef.h>

#include "cli.h"
#include "engine.h"
#include "input.h"
#include "output.h"

struct ap_stats;

/* Run the scan on n threads; the merged tally goes to *tally, the summed
 * peak in flight to *peak.  -1 with a reason in errbuf when the engines
 * or threads cannot be set up (nothing was probed then). */
int	ap_parallel_run(const struct ap_options *, struct ap_input *,
	    struct ap_writer *, struct ap_stats *, int n, uint64_t total,
	    struct ap_engine_tally *tally, unsigned *peak, char *errbuf,
	    size_t errlen);

#endif
