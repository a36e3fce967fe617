/* SPDX-License-Identifier: ISC */
/* share.h -- what the engines of one run (-j N, one per thread) share: the
 * input, dealt out so that every target of one name goes to the same
 * engine (its resolver then asks once), the real output, and the counters
 * the progress line reads.  Each engine takes items in batches and writes
 * records in 64 KiB chunks, so the locks here are off the hot path. */
#ifndef AP_SHARE_H
#define AP_SHARE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "input.h"
#include "load.h"
#include "progress.h"
#include "result.h"

struct ap_share;

/* input is borrowed; out is the real output stream (borrowed). */
struct ap_share	*ap_share_new(struct ap_input *, int nengines, FILE *out);
void		 ap_share_free(struct ap_share *);	/* NULL ok */
/* Where engine idx is woken (a byte on fd): items arrived, or the input
 * ended, or (byte 'c') the run is cancelled. */
void		 ap_share_set_wake(struct ap_share *, int idx, int fd);
/* Wake every engine with byte c; or those whose bit (i % 64) is set. */
void		 ap_share_wake_all(struct ap_share *, char c);
void		 ap_share_wake_mask(struct ap_share *, uint64_t mask, char c);

/* The process's -c budget and --rate pacer, shared by the engines. */
void		 ap_share_limits(struct ap_share *, unsigned concurrency,
		    unsigned rate, int64_t catchup_us, int64_t start_us);
struct ap_budget *ap_share_budget(struct ap_share *);
struct ap_pacer	*ap_share_pacer(struct ap_share *);
/* The progress line the main thread draws (NULL: none), which writers to
 * the shared output hold while they write. */
void		 ap_share_set_progress(struct ap_share *,
		    struct ap_progress_line *);
struct ap_progress_line *ap_share_progress(struct ap_share *);

/* The next item for engine idx, as ap_input_next() would give it;
 * valid until the engine's next call.  AP_INPUT_AGAIN: wait for the
 * input's descriptor when *input_fd >= 0, else for a wake-up;
 * AP_INPUT_BUSY: call again soon. */
enum ap_input_rc ap_share_next(struct ap_share *, int idx,
		    struct ap_input_item *, int *input_fd);

/* Read no more input: each engine still gets the items already dealt to
 * it (to write them as cancelled), then AP_INPUT_EOF. */
void		 ap_share_cancel(struct ap_share *);

/* Write len bytes of whole records to the real output, or flush it
 * (buf NULL).  -1 with errno on a write error. */
int		 ap_share_write(struct ap_share *, const char *buf, size_t len);

/* Counters for the progress line, summed over the engines. */
struct ap_share_counts {
	atomic_uint_fast64_t	 done;
	atomic_uint_fast64_t	 status[AP_STATUS_COUNT];
};
struct ap_share_counts *ap_share_counts(struct ap_share *);

#endif
