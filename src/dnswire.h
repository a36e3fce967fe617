/* SPDX-License-Identifier: ISC */
/* dnswire.h -- DNS messages on the wire (RFC 1035, EDNS0 of RFC 6891), as
 * much as asking a truncated question again needs (reask.h): one question
 * out, the addresses of its answer back.  Pure: no sockets, no libevent.
 * An answer is hostile input: every read is bounds-checked, a compression
 * pointer must point before the one followed last and a name holds at most
 * 255 bytes, so no packet makes the parser loop or read past its end. */
#ifndef AP_DNSWIRE_H
#define AP_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_DNS_TYPE_A		1
#define AP_DNS_TYPE_CNAME	5
#define AP_DNS_TYPE_AAAA	28
#define AP_DNS_TYPE_OPT		41
#define AP_DNS_RCODE_NOERROR	0
#define AP_DNS_RCODE_FORMERR	1
#define AP_DNS_RCODE_SERVFAIL	2
#define AP_DNS_RCODE_NXDOMAIN	3
#define AP_DNS_RCODE_NOTIMP	4

/* The UDP payload an EDNS0 query offers: a whole answer where a server
 * without EDNS cuts at 512 bytes. */
#define AP_DNSWIRE_EDNS_PAYLOAD	4096
/* Header, a 255-byte name, type and class, the OPT record. */
#define AP_DNSWIRE_QUERY_MAX	(12 + 255 + 4 + 11)
/* Addresses kept of one answer, as evdns keeps (MAX_V4_ADDRS). */
#define AP_DNSWIRE_MAX_ADDRS	32
/* CNAMEs followed inside one answer before the chain counts as a loop. */
#define AP_DNSWIRE_MAX_CNAMES	16

/* Write a standard query (RD set) for name, type qtype, class IN into
 * buf, with an OPT record offering AP_DNSWIRE_EDNS_PAYLOAD if edns.  The
 * query's length, or 0 when name is no DNS name (empty, an empty label, a
 * label over 63 bytes, over 255 bytes in all) or len is too small. */
size_t		 ap_dnswire_query(uint8_t *buf, size_t len, uint16_t id,
		    const char *name, uint16_t qtype, bool edns);

enum ap_dnswire_rc {
	AP_DNSWIRE_ANSWER,	/* the answer to the query: see the struct */
	AP_DNSWIRE_FOREIGN,	/* not its answer (too short for a header,
				 * another ID, not a response, another
				 * question): wait for the real one */
	AP_DNSWIRE_MALFORMED	/* its answer, but unreadable */
};

struct ap_dnswire_answer {
	int		 rcode;		/* AP_DNS_RCODE_* (the header's 4 bits) */
	bool		 tc;		/* the TC bit */
	size_t		 naddrs;
	/* The records of the query's type owned by the asked name, or by
	 * the last name of the CNAME chain that starts there, in answer
	 * order: 4 bytes each for A, 16 for AAAA. */
	uint8_t		 addrs[AP_DNSWIRE_MAX_ADDRS][16];
};

/* Read pkt as the answer to query (as ap_dnswire_query() wrote it): the
 * same ID, QR set, the same question (the name in any case).  A FORMERR or
 * NOTIMP answer without a question section is its answer too (servers that
 * reject EDNS send those).  Owner names are compared in any case.  With
 * the TC bit, a record cut by the end of the packet ends the section and
 * the records before it count; without it the answer is malformed. */
enum ap_dnswire_rc ap_dnswire_parse(const uint8_t *pkt, size_t len,
		    const uint8_t *query, size_t querylen,
		    struct ap_dnswire_answer *);

#endif
