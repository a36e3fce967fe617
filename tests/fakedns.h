/* SPDX-License-Identifier: ISC */
/* fakedns.h -- the tests' one fake DNS server: table-driven, UDP on
 * 127.0.0.1, in the caller's event loop (libevent's evdns server API).
 * aptest-dns runs it as a process for the integration tests; check_resolve
 * runs it beside the resolver it tests.
 *
 * Table lines (# comments, blank lines skipped):
 *	NAME A ADDR...		NAME AAAA ADDR...
 *	NAME OUTCOME		NAME A|AAAA OUTCOME
 * OUTCOME is NXDOMAIN, SERVFAIL, NODATA (NOERROR, no answer) or DROP (no
 * reply at all); options delay=MS and ttl=SEC may follow on any line.  A
 * known name with no line for the asked type answers NODATA; an unknown
 * name answers NXDOMAIN.  A NAME of "*.SUFFIX" stands for every name that
 * ends in ".SUFFIX" (so a benchmark can serve any number of names from one
 * line); exact names are matched first.  Names match in any case: evdns
 * randomizes the case of its questions (0x20). */
#ifndef AP_FAKEDNS_H
#define AP_FAKEDNS_H

#include <stddef.h>
#include <stdio.h>

struct event_base;
struct fakedns;

/* Serve table on 127.0.0.1:port (0: the kernel picks).  NULL with a
 * reason in errbuf ("3: bad address", or the failing call and errno). */
struct fakedns	*fakedns_new(struct event_base *, const char *table,
		    unsigned short port, char *errbuf, size_t errlen);
unsigned short	 fakedns_port(const struct fakedns *);
/* Questions asked so far of one type (EVDNS_TYPE_A, EVDNS_TYPE_AAAA). */
unsigned	 fakedns_queries(const struct fakedns *, int type);
/* Write each question to fp as "TYPE name" (lower case), flushed at once,
 * so a test can read what was asked; NULL: no log. */
void		 fakedns_log(struct fakedns *, FILE *fp);
/* Drop the replies still waiting for their delay, close the port, free.
 * NULL ok. */
void		 fakedns_free(struct fakedns *);

#endif
