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
	struct ap_icmp	 icmp;		/* the ICMP message behind error */
};

typedef void ap_probe_cb(struct ap_probe *, const struct ap_probe_outcome *,
		    void *arg);

/* Start connecting to dst (bound to src first when not NULL).  cb runs
 * exactly once, later, from the loop, never inside this call: a connect()
 * that succeeds or fails at once is reported like any other.  timeout
 * (NULL: none) bounds the attempt; it then fails with ETIMEDOUT.
 * Returns NULL with errno, and never calls cb, only for back-pressure:
 * the process or the system is out of descriptors, buffers or local
 * ports (EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL at connect(),
 * EADDRINUSE at bind()); *stage tells
 * where it struck.  Try again later. */
struct ap_probe	*ap_probe_start(struct event_base *, const struct ap_addr *dst,
		    const struct ap_addr *src, const struct timeval *timeout,
		    ap_probe_cb *, void *arg, enum ap_stage *stage);
/* Cancel a running attempt (cb will not run) or release a finished one.
 * A connected socket is closed with a reset, so no TIME_WAIT builds up on
 * this side.  NULL ok. */
void		 ap_probe_free(struct ap_probe *);
/* After a probe connected: what to say and what to listen for (Tcl's
 * "pending writes are flushed once connected").  send is written at once;
 * the peer's first bytes are read until expect appears, banner_max bytes
 * have come, or the peer closes. */
struct ap_exchange {
	const char	*send;		/* NULL: nothing to say */
	size_t		 send_len;
	const char	*expect;	/* NULL: no match wanted */
	size_t		 expect_len;
	size_t		 banner_max;	/* bytes to keep; 0: none */
};

/* The exchange's end: matched is true when expect appeared (or none was
 * asked); data holds the first bytes read (at most banner_max, or what
 * was read when expect is set and banner_max is 0: none), borrowed for
 * the call; error is the errno that cut it short (0: EOF or done). */
struct ap_exchange_outcome {
	bool		 matched;
	int		 error;
	const char	*data;
	size_t		 len;
};
typedef void ap_exchange_cb(struct ap_probe *,
		    const struct ap_exchange_outcome *, void *arg);

/* Start the exchange on a probe whose cb reported a connect; x is
 * borrowed until the exchange ends.  cb runs once, from the loop.  -1 with errno if it cannot start (then no cb). */
int		 ap_probe_exchange(struct ap_probe *, const struct ap_exchange *,
		    ap_exchange_cb *, void *arg);
/* End a running exchange now (the deadline): cb runs at once, inside
 * this call, with what was read so far and error ETIMEDOUT. */
void		 ap_probe_exchange_finish(struct ap_probe *);

/* Whether errno from ap_probe_start() is back-pressure (see above). */
bool		 ap_probe_is_backpressure(int error);

#endif
