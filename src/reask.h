/* SPDX-License-Identifier: ISC */
/* reask.h -- ask one DNS question again ourselves, over UDP with EDNS0,
 * when evdns got a truncated answer: libevent 2.1's evdns has no TCP and
 * drops the records of an answer with the TC bit, so they cannot come from
 * it.  Offering a 4096-byte payload (dnswire.h) gets the whole answer from
 * a server that cut at 512 bytes; a server that answers FORMERR or NOTIMP
 * to the OPT record is asked once more without it.  One try each, on a
 * nonblocking connected UDP socket with an ID of its own. */
#ifndef AP_REASK_H
#define AP_REASK_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "dnswire.h"

struct event_base;
struct ap_reask;

/* The addresses the answer carried, whether or not its TC bit was set,
 * and its RCODE (NOERROR, NXDOMAIN or SERVFAIL): ans is NULL when there
 * was no usable answer (a timeout, an error from the socket, an
 * unreadable answer, another RCODE).  The re-ask is freed once cb
 * returns; ans is borrowed for the call. */
typedef void ap_reask_cb(const struct ap_dnswire_answer *ans, void *arg);

/* Ask name (qtype AP_DNS_TYPE_A or _AAAA) of the server at ns, waiting up
 * to timeout_ms for each answer.  cb runs once, from the loop, never
 * inside this call.  NULL with errno when it cannot be asked (EINVAL: no
 * DNS name); then no cb. */
struct ap_reask	*ap_reask_start(struct event_base *, const struct sockaddr *ns,
		    socklen_t nslen, const char *name, uint16_t qtype,
		    int timeout_ms, ap_reask_cb *, void *arg);
void		 ap_reask_cancel(struct ap_reask *);	/* NULL ok; no cb */

#endif
