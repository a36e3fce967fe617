/* SPDX-License-Identifier: ISC */
/* progress.h -- the live progress line on stderr (--progress, SIGUSR1):
 * done (of total when known), the rate, the counts per status, what is in
 * flight, and an estimate of the time left.  Formatting only: the engine
 * decides when and where it goes. */
#ifndef AP_PROGRESS_H
#define AP_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* The line on stderr.  Drawn in place on a terminal (erased before
 * anything else is written to it, records on a stdout that is the same
 * terminal included), a line of its own elsewhere.  The lock lets -j's
 * writers and the thread that draws take turns. */
struct ap_progress_line {
	pthread_mutex_t	 lock;
	bool		 tty;		/* stderr is a terminal */
	bool		 shared;	/* stdout is that terminal too */
	bool		 drawn;		/* a line is on screen */
};

void	ap_progress_line_init(struct ap_progress_line *, FILE *out);
void	ap_progress_line_destroy(struct ap_progress_line *);
/* Draw v: in place on a terminal unless own_line. */
void	ap_progress_draw(struct ap_progress_line *,
	    const struct ap_progress_view *, bool own_line);
/* Before writing to stderr, or to out when it shares the terminal:
 * lock, and erase a line that is drawn; then unlock when written. */
void	ap_progress_hold(struct ap_progress_line *, bool to_stderr);
void	ap_progress_release(struct ap_progress_line *);

#endif
