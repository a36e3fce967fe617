/* SPDX-License-Identifier: ISC */
/* probe.h -- ONE nonblocking TCP connect attempt to ONE address, on a
 * bufferevent.  Knows nothing about names, other addresses or output: the
 * engine decides what an outcome means for its target. */
#ifndef AP_PROBE_H
#define AP_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "addrlist.h"
#include "result.h"

struct event_base;
struct timeval;
struct ap_probe;

struct ap_probe_outcome {
	int		 error;		/* errno; 0 when connected */
	enum ap_stage	 stage;		/* how far the attempt got */
	int64_t		 duration_us;	/* start to outcome */
};

typedef void ap_probe_cb(struct ap_probe *, const struct ap_probe_outcome *,
		    void *arg);

/* Start connecting to dst (bound to src first when not NULL).  cb runs
 * exactly once, later, from the loop, never inside this call: a connect()
 * that succeeds or fails at once is reported like any other.  timeout
 * (NULL: none) bounds the attempt; it then fails with ETIMEDOUT.
 * Returns NULL with errno, and never calls cb, only for back-pressure:
 * the process or the system is out of descriptors, buffers or local
 * ports (EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL); *stage tells
 * where it struck.  Try again later. */
struct ap_probe	*ap_probe_start(struct event_base *, const struct ap_addr *dst,
		    const struct ap_addr *src, const struct timeval *timeout,
		    ap_probe_cb *, void *arg, enum ap_stage *stage);
/* Cancel a running attempt (cb will not run) or release a finished one.
 * A connected socket is closed with a reset, so no TIME_WAIT builds up on
 * this side.  NULL ok. */
void		 ap_probe_free(struct ap_probe *);
/* Whether errno from ap_probe_start() is back-pressure (see above). */
bool		 ap_probe_is_backpressure(int error);

#endif
