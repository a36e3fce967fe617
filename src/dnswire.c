/* SPDX-License-Identifier: ISC */
/* dnswire.c -- see dnswire.h.  Names are compared in their wire form,
 * lower-cased (length-prefixed labels ending in the root's 0), so a label
 * holding a dot or any other byte compares exactly. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnswire.h"

#define HEADER_LEN	12
#define NAME_MAX_LEN	255	/* RFC 1035 2.3.4, in wire form */
#define LABEL_MAX_LEN	63
#define CLASS_IN	1
#define FLAG_QR		0x8000
#define FLAG_TC		0x0200
#define FLAG_RD		0x0100

/* One resource record of an answer, its owner read out. */
struct rr {
	uint8_t		 owner[NAME_MAX_LEN];
	size_t		 ownerlen;
	uint16_t	 type, class;
	size_t		 rdoff, rdlen;
};

static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c);
}

size_t
ap_dnswire_query(uint8_t *buf, size_t len, uint16_t id, const char *name,
    uint16_t qtype, bool edns)
{
	const char	*label, *dot;
	size_t		 o = HEADER_LEN, n;

	if (len < AP_DNSWIRE_QUERY_MAX || name[0] == '\0')
		return (0);
	memset(buf, 0, HEADER_LEN);
	put16(buf, id);
	put16(buf + 2, FLAG_RD);
	put16(buf + 4, 1);			/* QDCOUNT */
	put16(buf + 10, edns ? 1 : 0);		/* ARCOUNT: the OPT record */
	for (label = name; *label != '\0'; label = dot + 1) {
		if ((dot = strchr(label, '.')) == NULL)
			dot = label + strlen(label);
		n = (size_t)(dot - label);
		/* The label, its length byte and the root's must fit. */
		if (n == 0 || n > LABEL_MAX_LEN ||
		    o - HEADER_LEN + 1 + n + 1 > NAME_MAX_LEN)
			return (0);
		buf[o++] = (uint8_t)n;
		memcpy(buf + o, label, n);
		o += n;
		if (*dot == '\0')
			break;
	}
	buf[o++] = 0;
	put16(buf + o, qtype);
	put16(buf + o + 2, CLASS_IN);
	o += 4;
	if (edns) {
		/* RFC 6891 6.1.2: root owner, the payload size in the class,
		 * extended RCODE, version and flags 0, no options. */
		buf[o++] = 0;
		put16(buf + o, AP_DNS_TYPE_OPT);
		put16(buf + o + 2, AP_DNSWIRE_EDNS_PAYLOAD);
		memset(buf + o + 4, 0, 6);
		o += 10;
	}
	return (o);
}

/*
 * The name at off into out (wire form, lower case): 1, with where the
 * record goes on in *next; 0 when the packet ends inside the name's own
 * bytes; -1 when it is no name (a label type other than 0 and 3, a
 * pointer not before the one followed last, over 255 bytes, or a pointer
 * leading past the end).  Each pointer must point before the previous one
 * (or, the first, before itself), so every jump goes back: no loop.
 */
static int
read_name(const uint8_t *p, size_t len, size_t off, uint8_t *out,
    size_t *outlen, size_t *next)
{
	size_t	o = 0, limit = off, ptr, i, n;
	bool	jumped = false;

	for (;;) {
		if (off >= len)
			return (jumped ? -1 : 0);
		n = p[off];
		if (n == 0) {
			out[o++] = 0;
			*outlen = o;
			if (!jumped)
				*next = off + 1;
			return (1);
		}
		switch (n & 0xc0) {
		case 0xc0:
			if (off + 1 >= len)
				return (jumped ? -1 : 0);
			ptr = (n & 0x3f) << 8 | p[off + 1];
			if (ptr >= limit)
				return (-1);
			if (!jumped)
				*next = off + 2;
			jumped = true;
			limit = off = ptr;
			break;
		case 0x00:
			if (off + 1 + n > len)
				return (jumped ? -1 : 0);
			if (o + 1 + n + 1 > NAME_MAX_LEN)
				return (-1);
			out[o++] = (uint8_t)n;
			for (i = 0; i < n; i++)
				out[o++] = lower(p[off + 1 + i]);
			off += 1 + n;
			break;
		default:
			return (-1);
		}
	}
}

/* The record at *off: 1, *off past it; 0 cut by the packet's end; -1 no
 * record. */
static int
read_rr(const uint8_t *p, size_t len, size_t *off, struct rr *rr)
{
	size_t	next;
	int	rc;

	if ((rc = read_name(p, len, *off, rr->owner, &rr->ownerlen,
	    &next)) != 1)
		return (rc);
	if (len - next < 10)
		return (0);
	rr->type = get16(p + next);
	rr->class = get16(p + next + 2);
	rr->rdlen = get16(p + next + 8);	/* after the 32-bit TTL */
	rr->rdoff = next + 10;
	if (len - rr->rdoff < rr->rdlen)
		return (0);
	*off = rr->rdoff + rr->rdlen;
	return (1);
}

static bool
same_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return (alen == blen && memcmp(a, b, alen) == 0);
}

/* The name a CNAME record points to: 1 or -1 (it must lie inside the
 * record's data, pointers aside). */
static int
cname_target(const uint8_t *p, size_t len, const struct rr *rr,
    uint8_t *out, size_t *outlen)
{
	size_t	next;

	if (read_name(p, len, rr->rdoff, out, outlen, &next) != 1 ||
	    next > rr->rdoff + rr->rdlen)
		return (-1);
	return (1);
}

enum ap_dnswire_rc
ap_dnswire_parse(const uint8_t *pkt, size_t len, const uint8_t *query,
    size_t querylen, struct ap_dnswire_answer *ans)
{
	struct rr	 rr;
	uint8_t		 qname[NAME_MAX_LEN], name[NAME_MAX_LEN];
	uint8_t		 cur[NAME_MAX_LEN];
	size_t		 qnamelen, namelen, curlen, off, start, i, n, alen;
	uint16_t	 flags, qdcount, ancount, qtype;
	unsigned	 hops;
	bool		 found;
	int		 rc;

	memset(ans, 0, sizeof(*ans));
	if (len < HEADER_LEN || querylen < HEADER_LEN ||
	    get16(pkt) != get16(query))
		return (AP_DNSWIRE_FOREIGN);
	flags = get16(pkt + 2);
	/* A response (QR) to a standard query (opcode 0). */
	if ((flags & FLAG_QR) == 0 || (flags >> 11 & 0xf) != 0)
		return (AP_DNSWIRE_FOREIGN);
	ans->rcode = flags & 0xf;
	ans->tc = (flags & FLAG_TC) != 0;
	qdcount = get16(pkt + 4);
	ancount = get16(pkt + 6);

	/* What was asked, from the query itself. */
	if (read_name(query, querylen, HEADER_LEN, qname, &qnamelen,
	    &off) != 1 || querylen - off < 4)
		return (AP_DNSWIRE_MALFORMED);
	qtype = get16(query + off);
	if (qdcount == 0 && (ans->rcode == AP_DNS_RCODE_FORMERR ||
	    ans->rcode == AP_DNS_RCODE_NOTIMP))
		return (AP_DNSWIRE_ANSWER);
	if (qdcount != 1)
		return (AP_DNSWIRE_MALFORMED);
	if (read_name(pkt, len, HEADER_LEN, name, &namelen, &off) != 1 ||
	    len - off < 4)
		return (AP_DNSWIRE_MALFORMED);
	if (!same_name(name, namelen, qname, qnamelen) ||
	    get16(pkt + off) != qtype || get16(pkt + off + 2) != CLASS_IN)
		return (AP_DNSWIRE_FOREIGN);
	start = off + 4;

	/* Every record read once: all readable, and how many come before a
	 * cut.  Each takes at least 11 bytes, so a count larger than the
	 * packet ends at its end. */
	alen = qtype == AP_DNS_TYPE_A ? 4 : 16;
	off = start;
	for (n = 0; n < ancount; n++) {
		if ((rc = read_rr(pkt, len, &off, &rr)) == -1)
			return (AP_DNSWIRE_MALFORMED);
		if (rc == 0) {
			if (!ans->tc)
				return (AP_DNSWIRE_MALFORMED);
			break;		/* cut where the server truncated */
		}
		if (rr.type == qtype && rr.class == CLASS_IN &&
		    rr.rdlen != alen)
			return (AP_DNSWIRE_MALFORMED);
	}

	/* Follow the CNAME chain from the asked name. */
	memcpy(cur, qname, qnamelen);
	curlen = qnamelen;
	for (hops = 0;; hops++) {
		found = false;
		off = start;
		for (i = 0; i < n && !found; i++) {
			(void)read_rr(pkt, len, &off, &rr);
			if (rr.type != AP_DNS_TYPE_CNAME ||
			    rr.class != CLASS_IN ||
			    !same_name(rr.owner, rr.ownerlen, cur, curlen))
				continue;
			if (cname_target(pkt, len, &rr, cur, &curlen) == -1)
				return (AP_DNSWIRE_MALFORMED);
			found = true;
		}
		if (!found)
			break;
		if (hops == AP_DNSWIRE_MAX_CNAMES)
			return (AP_DNSWIRE_ANSWER);	/* a loop: none */
	}

	off = start;
	for (i = 0; i < n && ans->naddrs < AP_DNSWIRE_MAX_ADDRS; i++) {
		(void)read_rr(pkt, len, &off, &rr);
		if (rr.type == qtype && rr.class == CLASS_IN &&
		    same_name(rr.owner, rr.ownerlen, cur, curlen))
			memcpy(ans->addrs[ans->naddrs++], pkt + rr.rdoff, alen);
	}
	return (AP_DNSWIRE_ANSWER);
}
