/* SPDX-License-Identifier: ISC */
/* progress.h -- the live progress line on stderr (--progress, SIGUSR1):
 * done (of total when known), the rate, the counts per status, what is in
 * flight, and an estimate of the time left.  Formatting only: the engine
 * decides when and where it goes. */
#ifndef AP_PROGRESS_H
#define AP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct ap_progress_view {
	uint64_t	 done;			/* records written */
	uint64_t	 status[AP_STATUS_COUNT];
	unsigned	 inflight;
	int64_t		 elapsed_us;
	uint64_t	 total;			/* 0: not known */
};

/* One line, no newline: "1200/5000 done (24%), 812/s, 1100 connected,
 * 100 refused; 512 in flight; ETA 5s".  Returns the length (truncated to
 * len - 1). */
size_t	ap_progress_format(const struct ap_progress_view *, char *buf,
	    size_t len);

#endif
