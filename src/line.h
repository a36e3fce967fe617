/* SPDX-License-Identifier: ISC */
/* line.h -- one input line to a host and a list of ports (SPEC 2), and
 * the port-list grammar shared with -p.  Pure: no I/O beyond the services
 * database (getservbyname), no libevent. */
#ifndef AP_LINE_H
#define AP_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_LINE_MAX		1024	/* longer lines are invalid */
#define AP_PORTS_MAX		65536	/* ports one line may expand to */
#define AP_PREFIX_MAX		65536	/* addresses one prefix may hold */

struct ap_port_range {
	uint16_t	 lo, hi;		/* inclusive, lo <= hi, lo >= 1 */
};

struct ap_portlist {
	struct ap_port_range	*ranges;
	size_t			 nranges;
	size_t			 count;		/* ports in all ranges */
};

/* "22", "22,80", "8000-8010", "ssh", "22,http,9000-9001".  0 or -1 with a
 * reason in errbuf ("port 0 out of range 1-65535", "unknown service
 * 'foo'").  On success pl owns fresh memory: ap_portlist_free(). */
int	 ap_portlist_parse(const char *, struct ap_portlist *, char *errbuf,
	    size_t errlen);
void	 ap_portlist_free(struct ap_portlist *);	/* NULL ok */
/* The i-th port, 0 <= i < count, in the order written; 0 past the end.
 * Inline: the engine walks the ranges itself, so only the tests and the
 * fuzzers ask, and the binary does not carry it. */
static inline uint16_t
ap_portlist_get(const struct ap_portlist *pl, size_t i)
{
	size_t	r, n;

	for (r = 0; r < pl->nranges; r++) {
		n = (size_t)pl->ranges[r].hi - pl->ranges[r].lo + 1;
		if (i < n)
			return ((uint16_t)(pl->ranges[r].lo + i));
		i -= n;
	}
	return (0);
}

/* One parsed line. */
struct ap_line {
	char			*text;		/* trimmed, comment removed */
	char			*host;		/* brackets removed */
	bool			 host_is_ip;	/* numeric IPv4 or IPv6 */
	int			 ip_family;	/* AF_INET(6) when host_is_ip */
	unsigned char		 ip[16];	/* the address, network order;
						 * of a prefix: its first */
	uint32_t		 scope_id;	/* zone of an IPv6 host
						 * (fe80::1%eth0), else 0 */
	uint32_t		 naddrs;	/* prefix "addr/len": the
						 * addresses from ip on, all of
						 * them (nmap); else 1 */
	struct ap_portlist	 ports;		/* empty: use the -p default */
};

enum ap_line_rc {
	AP_LINE_OK = 0,
	AP_LINE_SKIP = 1,	/* blank or comment only */
	AP_LINE_INVALID = -1	/* reason in errbuf; text still set */
};

/* Parse one line of len bytes (no newline; may contain NULs, which make it
 * invalid).  A host may be a prefix, "192.0.2.0/28" or "2001:db8::/124"
 * (at most AP_PREFIX_MAX addresses), or an IPv6 address with a zone,
 * "fe80::1%eth0" (an interface name or number).  defports is the -p list, or NULL: a line without a port then
 * is invalid.  On OK and INVALID, out->text is set (escaped if it held
 * bytes unfit to print) and out must be released with ap_line_free().
 * With AP_LINE_OK and ports.count == 0 the caller uses defports. */
enum ap_line_rc	ap_line_parse(const char *line, size_t len,
		    const struct ap_portlist *defports, struct ap_line *out,
		    char *errbuf, size_t errlen);
void		ap_line_free(struct ap_line *);	/* NULL ok */
/* An operand that names no file but is a target with a port of its own
 * ("example.org:443", "[::1]:22"; never -p's, so "example.org" alone stays
 * a missing file): true with out set, to release with ap_line_free();
 * false with nothing to free.  The input and monitor mode's saved list
 * decide it alike. */
bool		ap_line_parse_operand(const char *, struct ap_line *out);

/* A host as DNS or an address literal may have it: 1-253 bytes of
 * letters, digits, '-', '.', '_' (or an IPv6 literal, a zone allowed).
 * Used by the line parser and --resolve. */
bool		ap_host_valid(const char *);
/* An IPv6 zone, len bytes: an interface name, or its index in decimal
 * (RFC 4007 11.2).  0 with *scope set, or -1 when there is no such
 * interface. */
int		ap_zone_parse(const char *, size_t len, uint32_t *scope);

#endif
