/* SPDX-License-Identifier: ISC */
/* line.c -- the input grammar of SPEC 2: one line to a host and a list
 * of ports, and the port lists shared with -p.  Every reason handed back
 * is safe to print: bytes from the input are escaped first. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "line.h"
#include "pool.h"
#include "text.h"

#define HOST_MAX	253	/* longest DNS name in text form */
#define TEXT_SHOW	200	/* escaped text is cut here, then "..." */
#define REASON_SHOW	40	/* input quoted inside a reason */

static bool
is_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

/* The text a record shows for a line: as is when it is fit to print and
 * short, else escaped and cut. */
static char *
make_text(const char *s, size_t len)
{
	char	*t;
	size_t	 tlen;

	static const struct ap_text_opts show = { NULL, true, true,
	    TEXT_SHOW };

	/* A tab is a separator people write: it passes. */
	if (len <= AP_LINE_MAX && ap_text_is_safe(s, len, true))
		return (ap_pool_xstrndup(s, len));
	tlen = TEXT_SHOW + 4;
	t = ap_pool_xmalloc(tlen);
	ap_text_escape(t, tlen, s, len, &show);
	return (t);
}

/* Quote input inside a reason: escaped and short. */
static const char *
quote(char *dst, size_t dstlen, const char *s, size_t len)
{
	static const struct ap_text_opts show = { NULL, true, true,
	    REASON_SHOW };

	ap_text_escape(dst, dstlen, s, len, &show);
	return (dst);
}

/* An IPv6 literal, a zone allowed: "fe80::1%eth0". */
static bool
is_ip6(const char *s)
{
	struct in6_addr	 a6;
	const char	*pct = strchr(s, '%');
	char		 buf[INET6_ADDRSTRLEN];
	uint32_t	 scope;

	if (pct == NULL)
		return (inet_pton(AF_INET6, s, &a6) == 1);
	if ((size_t)(pct - s) >= sizeof(buf))
		return (false);
	memcpy(buf, s, pct - s);
	buf[pct - s] = '\0';
	return (inet_pton(AF_INET6, buf, &a6) == 1 &&
	    ap_zone_parse(pct + 1, strlen(pct + 1), &scope) == 0);
}

int
ap_zone_parse(const char *z, size_t len, uint32_t *scope)
{
	char		 name[IF_NAMESIZE], back[IF_NAMESIZE];
	unsigned long	 v;
	size_t		 i;

	if (len == 0 || len >= sizeof(name))
		return (-1);
	for (i = 0; i < len; i++) {
		if (!((z[i] >= 'a' && z[i] <= 'z') ||
		    (z[i] >= 'A' && z[i] <= 'Z') ||
		    (z[i] >= '0' && z[i] <= '9') || z[i] == '-' ||
		    z[i] == '_' || z[i] == '.'))
			return (-1);
	}
	memcpy(name, z, len);
	name[len] = '\0';
	/* A number is the interface index itself, as RFC 4007 11.2 allows,
	 * when there is such an interface. */
	if (strspn(name, "0123456789") == len) {
		v = strtoul(name, NULL, 10);
		if (len > 10 || v == 0 || v > UINT32_MAX ||
		    if_indextoname((unsigned)v, back) == NULL)
			return (-1);
		*scope = (uint32_t)v;
		return (0);
	}
	if ((*scope = if_nametoindex(name)) == 0)
		return (-1);
	return (0);
}

/* Bytes a host name may hold: letters, digits, '-', '.', '_'. */
/* clang-format off */
static const unsigned char host_byte[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1
};
/* clang-format on */

/*
 * The other spellings inet_aton() takes, as ping and ssh read them: one
 * to four parts (the last fills the bytes left: 127.1 is 127.0.0.1),
 * each decimal, octal with a leading 0, or hex after 0x.  Only the slow
 * path: the caller tried the plain dotted quad first.  inet_aton() would
 * also take what follows a blank, so the bytes are checked first.
 */
static bool
parse_ip4_aton(const char *s, size_t len, unsigned char ip[4])
{
	struct in_addr	a;
	char		buf[AP_LINE_MAX + 1];	/* leading zeros: any number */
	size_t		i;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return (false);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == 'x' || s[i] == 'X' ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return (false);
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_aton(buf, &a) == 0)
		return (false);
	memcpy(ip, &a.s_addr, 4);	/* network order: the bytes in order */
	return (true);
}

/* An IPv4 literal on len bytes: four decimal octets without leading
 * zeros on the fast path, else any form inet_aton() reads. */
static bool
parse_ip4(const char *s, size_t len, unsigned char ip[4])
{
	unsigned char	a[4];
	unsigned	octet = 0, parts = 0;
	bool		digit = false;
	size_t		i;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digit && octet == 0)
				return (parse_ip4_aton(s, len, ip)); /* "01" */
			octet = octet * 10 + (unsigned)(s[i] - '0');
			if (octet > 255)
				return (parse_ip4_aton(s, len, ip));
			if (!digit && ++parts > 4)
				return (false);
			digit = true;
		} else if (s[i] == '.' && digit && parts < 4) {
			a[parts - 1] = (unsigned char)octet;
			octet = 0;
			digit = false;
		} else
			return (parse_ip4_aton(s, len, ip));
	}
	if (parts != 4 || !digit)
		return (parse_ip4_aton(s, len, ip));
	a[3] = (unsigned char)octet;
	memcpy(ip, a, sizeof(a));	/* as inet_pton: only on success */
	return (true);
}

/* A numeric host (addr: without zone or prefix length): its family and
 * address, kept so that nobody parses it again. */
static bool
parse_ip(struct ap_line *out, const char *addr)
{
	if (parse_ip4(addr, strlen(addr), out->ip))
		out->ip_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->ip) == 1)
		out->ip_family = AF_INET6;
	else
		return (false);
	return (true);
}

bool
ap_host_valid(const char *host)
{
	size_t	i, len;

	if (host == NULL || (len = strlen(host)) == 0)
		return (false);
	if (strchr(host, ':') != NULL)
		return (len < INET6_ADDRSTRLEN + IF_NAMESIZE && is_ip6(host));
	if (len > HOST_MAX)
		return (false);
	for (i = 0; i < len; i++) {
		if (!host_byte[(unsigned char)host[i]])
			return (false);
	}
	return (true);
}

/* Port lists. */

static void
portlist_add(struct ap_portlist *pl, size_t *cap, uint16_t lo, uint16_t hi)
{
	if (pl->nranges == *cap) {
		*cap = *cap == 0 ? 4 : *cap * 2;
		pl->ranges = ap_pool_xreallocarray(pl->ranges, *cap,
		    sizeof(*pl->ranges));
	}
	pl->ranges[pl->nranges].lo = lo;
	pl->ranges[pl->nranges].hi = hi;
	pl->nranges++;
	pl->count += (size_t)hi - lo + 1;
}

/* Decimal digits only, at most 9 of them (so no overflow); -1 if not. */
static long
parse_num(const char *s, size_t len)
{
	long	v = 0;
	size_t	i;

	if (len == 0 || len > 9)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

static bool
all_digits(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
	}
	return (len > 0);
}

/* One number of an element: digits in 1..65535.  Long digit strings are
 * out of range, not malformed. */
static int
parse_port(const char *s, size_t len, uint16_t *out, char *errbuf,
    size_t errlen)
{
	char	q[REASON_SHOW + 8];
	long	v;

	if (!all_digits(s, len)) {
		ap_set_error(errbuf, errlen, "bad port '%s'", quote(q, sizeof(q),
		    s, len));
		return (-1);
	}
	v = parse_num(s, len);
	if (v < 1 || v > 65535) {
		ap_set_error(errbuf, errlen, "port %s out of range 1-65535",
		    quote(q, sizeof(q), s, len));
		return (-1);
	}
	*out = (uint16_t)v;
	return (0);
}

/* A service name: what /etc/services spells, nothing a terminal minds. */
static bool
service_chars(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == '+' ||
		    s[i] == '/'))
			return (false);
	}
	return (len > 0);
}

/* One element: "22", "8000-8010" or a service name. */
static int
parse_element(const char *s, size_t len, struct ap_portlist *pl, size_t *cap,
    char *errbuf, size_t errlen)
{
	char		 q[REASON_SHOW + 8], name[64];
	struct servent	*se;
	const char	*dash;
	size_t		 nlo, nhi;
	uint16_t	 lo, hi;

	if (s[0] >= '0' && s[0] <= '9') {
		/* Numbers: a service name never starts with a digit here. */
		if ((dash = memchr(s, '-', len)) == NULL) {
			if (parse_port(s, len, &lo, errbuf, errlen) == -1)
				return (-1);
			hi = lo;
		} else {
			nlo = (size_t)(dash - s);
			nhi = len - nlo - 1;
			if (!all_digits(s, nlo) || !all_digits(dash + 1, nhi)) {
				ap_set_error(errbuf, errlen, "bad port range '%s'",
				    quote(q, sizeof(q), s, len));
				return (-1);
			}
			if (parse_port(s, nlo, &lo, errbuf, errlen) == -1 ||
			    parse_port(dash + 1, nhi, &hi, errbuf,
			    errlen) == -1)
				return (-1);
			if (lo > hi) {
				ap_set_error(errbuf, errlen, "reversed range %s",
				    quote(q, sizeof(q), s, len));
				return (-1);
			}
		}
	} else {
		if (!service_chars(s, len) || len >= sizeof(name)) {
			ap_set_error(errbuf, errlen, "bad port '%s'",
			    quote(q, sizeof(q), s, len));
			return (-1);
		}
		memcpy(name, s, len);
		name[len] = '\0';
		/* getservbyname() returns static storage: safe because only
		 * one thread parses at a time (-p before the threads start;
		 * with -j, lines only under the shared input's lock). */
		if ((se = getservbyname(name, "tcp")) == NULL ||
		    ntohs((uint16_t)se->s_port) == 0) {
			ap_set_error(errbuf, errlen, "unknown service '%s'", name);
			return (-1);
		}
		lo = hi = ntohs((uint16_t)se->s_port);
	}
	if (pl->count + ((size_t)hi - lo + 1) > AP_PORTS_MAX) {
		ap_set_error(errbuf, errlen, "more than %d ports", AP_PORTS_MAX);
		return (-1);
	}
	portlist_add(pl, cap, lo, hi);
	return (0);
}

/* Parse len bytes (not NUL-terminated) of a port list. */
static int
portlist_parse_len(const char *s, size_t len, struct ap_portlist *pl,
    char *errbuf, size_t errlen)
{
	char		 q[REASON_SHOW + 8];
	const char	*end = s + len, *p, *comma, *b, *e;
	size_t		 cap = 0;

	memset(pl, 0, sizeof(*pl));
	for (b = s; b < end && is_blank(*b); b++)
		;
	if (b == end) {
		ap_set_error(errbuf, errlen, "missing port");
		return (-1);
	}
	for (p = s; p <= end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		/* Blanks around an element are allowed: "22, 80". */
		for (b = p; b < comma && is_blank(*b); b++)
			;
		for (e = comma; e > b && is_blank(e[-1]); e--)
			;
		if (b == e) {
			ap_set_error(errbuf, errlen, "empty element in port list "
			    "'%s'", quote(q, sizeof(q), s, len));
			goto fail;
		}
		if (parse_element(b, (size_t)(e - b), pl, &cap, errbuf,
		    errlen) == -1)
			goto fail;
	}
	return (0);
fail:
	ap_portlist_free(pl);
	return (-1);
}

int
ap_portlist_parse(const char *s, struct ap_portlist *pl, char *errbuf,
    size_t errlen)
{
	return (portlist_parse_len(s, strlen(s), pl, errbuf, errlen));
}

void
ap_portlist_free(struct ap_portlist *pl)
{
	if (pl == NULL)
		return;
	ap_pool_free(pl->ranges);
	memset(pl, 0, sizeof(*pl));
}

/* Lines. */

/* Where the comment starts: a '#' first or after a blank; else len. */
static size_t
comment_start(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' ||
		    s[i - 1] == '\t'))
			return (i);
	}
	return (len);
}

/*
 * "addr/len" (the address numeric, no zone): every address of the prefix,
 * network and broadcast too, as nmap; the first kept in out->ip.
 */
static int
set_prefix(struct ap_line *out, const char *len_text, size_t n,
    char *errbuf, size_t errlen)
{
	char		 q[REASON_SHOW + 8], text[INET6_ADDRSTRLEN];
	unsigned	 bits, plen, hostbits, i;
	long		 v;

	if (!out->host_is_ip || out->scope_id != 0) {
		ap_set_error(errbuf, errlen, "a prefix needs a numeric address "
		    "without a zone: 192.0.2.0/28, [2001:db8::/124]");
		return (-1);
	}
	bits = out->ip_family == AF_INET ? 32 : 128;
	if ((v = parse_num(len_text, n)) < 0 || (unsigned long)v > bits) {
		ap_set_error(errbuf, errlen, "bad prefix length '%s'",
		    quote(q, sizeof(q), len_text, n));
		return (-1);
	}
	plen = (unsigned)v;
	if ((hostbits = bits - plen) > 16) {
		ap_set_error(errbuf, errlen, "prefix /%u has more than %d "
		    "addresses", plen, AP_PREFIX_MAX);
		return (-1);
	}
	/* From the network address on, whatever address was written. */
	for (i = plen; i < bits; i++)
		out->ip[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	out->naddrs = (uint32_t)1 << hostbits;
	if (out->naddrs == 1) {
		/* One address (/32, /128): the record names it, as those of
		 * a wider prefix name theirs, never "addr/32". */
		inet_ntop(out->ip_family, out->ip, text, sizeof(text));
		ap_pool_free(out->host);
		out->host = ap_pool_xstrndup(text, strlen(text));
	}
	return (0);
}

/* Check host (len bytes, NUL-free) and store it in out: a name, an
 * address (IPv6 with a zone), or a prefix. */
static int
set_host(struct ap_line *out, const char *h, size_t len, bool bracketed,
    char *errbuf, size_t errlen)
{
	char		 q[REASON_SHOW + 8];
	const char	*slash, *pct;
	char		*addr;
	size_t		 i, alen = len;
	bool		 ip6;

	if (len == 0) {
		ap_set_error(errbuf, errlen, "empty host");
		return (-1);
	}
	/* The zone and the prefix length are checked apart. */
	if ((slash = memchr(h, '/', len)) != NULL)
		alen = (size_t)(slash - h);
	if ((pct = memchr(h, '%', alen)) != NULL)
		alen = (size_t)(pct - h);
	for (i = 0; i < alen; i++) {
		/* ':' only for IPv6, checked below. */
		if (!host_byte[(unsigned char)h[i]] && h[i] != ':') {
			ap_set_error(errbuf, errlen, "bad character in host");
			return (-1);
		}
	}
	if (alen == 0) {
		ap_set_error(errbuf, errlen, "empty host");
		return (-1);
	}
	out->host = ap_pool_xstrndup(h, len);
	out->naddrs = 1;
	addr = ap_pool_xstrndup(h, alen);
	ip6 = bracketed || memchr(h, ':', alen) != NULL;
	if (ip6 && !is_ip6(addr)) {
		ap_set_error(errbuf, errlen, bracketed ?
		    "bad IPv6 address '%s' in brackets" :
		    "IPv6 address with a port must be bracketed: [::1]:443",
		    quote(q, sizeof(q), h, len));
		goto fail;
	}
	if (!ip6 && alen > HOST_MAX) {
		ap_set_error(errbuf, errlen, "host longer than %d bytes",
		    HOST_MAX);
		goto fail;
	}
	if (pct != NULL) {
		if (!ip6) {
			ap_set_error(errbuf, errlen, "a zone ('%%') only follows "
			    "an IPv6 address: [fe80::1%%eth0]:22");
			goto fail;
		}
		if (ap_zone_parse(pct + 1, (size_t)(h + len - pct - 1) -
		    (slash != NULL ? (size_t)(h + len - slash) : 0),
		    &out->scope_id) == -1) {
			ap_set_error(errbuf, errlen, "unknown zone '%s': no such "
			    "interface", quote(q, sizeof(q), pct + 1,
			    (size_t)(h + len - pct - 1)));
			goto fail;
		}
	}
	out->host_is_ip = parse_ip(out, addr);
	ap_pool_free(addr);
	if (slash != NULL)
		return (set_prefix(out, slash + 1, (size_t)(h + len - slash - 1),
		    errbuf, errlen));
	return (0);
fail:
	ap_pool_free(addr);
	return (-1);
}

/* Split a content (trimmed, comment removed, non-empty) into host and
 * port text.  *port is NULL when the line names no port. */
static int
split_line(struct ap_line *out, const char *s, size_t len, const char **port,
    size_t *portlen, char *errbuf, size_t errlen)
{
	const char	*end = s + len, *p, *close, *ws, *colon;
	size_t		 nopen = 0, nclose = 0, ncolon = 0, i;

	*port = NULL;
	*portlen = 0;
	for (i = 0; i < len; i++) {
		nopen += s[i] == '[';
		nclose += s[i] == ']';
		ncolon += s[i] == ':';
	}
	if (nopen != nclose || nopen > 1) {
		ap_set_error(errbuf, errlen, "unbalanced brackets");
		return (-1);
	}
	if (nopen == 1) {
		close = memchr(s, ']', len);
		if (s[0] != '[') {
			ap_set_error(errbuf, errlen, "brackets only go around an "
			    "IPv6 address: [::1]:443");
			return (-1);
		}
		if (set_host(out, s + 1, (size_t)(close - s - 1), true, errbuf,
		    errlen) == -1)
			return (-1);
		p = close + 1;
		if (p == end)
			return (0);
		if (*p != ':' && *p != ' ' && *p != '\t') {
			ap_set_error(errbuf, errlen, "expected ':PORT' after ']'");
			return (-1);
		}
		for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		*port = p;
		*portlen = (size_t)(end - p);
		return (0);
	}

	/*
	 * "host:port" when the only colon comes before any blank (the port
	 * list may hold blanks: "h:22, 80"); else "host port", where the
	 * host may be bare IPv6.
	 */
	for (ws = s; ws < end && *ws != ' ' && *ws != '\t'; ws++)
		;
	colon = memchr(s, ':', len);
	if (ws < end && (ncolon != 1 || colon > ws)) {
		if (set_host(out, s, (size_t)(ws - s), false, errbuf,
		    errlen) == -1)
			return (-1);
		for (p = ws; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		*port = p;
		*portlen = (size_t)(end - p);
		return (0);
	}

	/* Two or more colons: a bare IPv6 literal, never host:port. */
	if (ncolon != 1)
		return (set_host(out, s, len, false, errbuf, errlen));
	if (set_host(out, s, (size_t)(colon - s), false, errbuf,
	    errlen) == -1)
		return (-1);
	*port = colon + 1;
	*portlen = (size_t)(end - colon - 1);
	return (0);
}

/*
 * The line nearly every input is made of, "host:port" with no blank,
 * comment, bracket or list, in one scan.  False leaves out untouched for
 * the general parser, which is also the one that words every error; for
 * the lines taken here both give the same result (check_line compares
 * them, and so does the fuzzer).
 */
static bool
parse_plain(const char *s, size_t n, struct ap_line *out)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, colon, cap = 0;
	unsigned		 port = 0;

	for (i = 0; i < n && host_byte[u[i]]; i++)
		;
	if (i == 0 || i > HOST_MAX || i == n || s[i] != ':')
		return (false);
	colon = i;
	if (n - colon - 1 == 0 || n - colon - 1 > 5)
		return (false);
	for (i = colon + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	if (port < 1 || port > 65535)
		return (false);
	out->text = ap_pool_xstrndup(s, n);
	out->host = ap_pool_xstrndup(s, colon);
	out->naddrs = 1;
	if (parse_ip4(s, colon, out->ip)) {
		out->host_is_ip = true;
		out->ip_family = AF_INET;
	}
	portlist_add(&out->ports, &cap, (uint16_t)port, (uint16_t)port);
	return (true);
}

enum ap_line_rc
ap_line_parse(const char *line, size_t len, const struct ap_portlist *defports,
    struct ap_line *out, char *errbuf, size_t errlen)
{
	const char	*s = line, *port;
	size_t		 n = len, portlen;

	memset(out, 0, sizeof(*out));
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';

	/* One CR of a CRLF line does not count against the limit. */
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > AP_LINE_MAX) {
		out->text = make_text(s, n);
		ap_set_error(errbuf, errlen, "line longer than %d bytes",
		    AP_LINE_MAX);
		return (AP_LINE_INVALID);
	}
	if (parse_plain(s, n, out))
		return (AP_LINE_OK);
	while (n > 0 && is_blank(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	/* Before comments: a NUL anywhere means this is no text file. */
	if (memchr(s, '\0', n) != NULL) {
		out->text = make_text(s, n);
		ap_set_error(errbuf, errlen, "NUL byte in line");
		return (AP_LINE_INVALID);
	}
	n = comment_start(s, n);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	if (n == 0)
		return (AP_LINE_SKIP);
	out->text = make_text(s, n);

	if (split_line(out, s, n, &port, &portlen, errbuf, errlen) == -1)
		return (AP_LINE_INVALID);
	if (port == NULL) {
		if (defports == NULL || defports->count == 0) {
			ap_set_error(errbuf, errlen, "missing port (no -p given)");
			return (AP_LINE_INVALID);
		}
		return (AP_LINE_OK);
	}
	if (portlist_parse_len(port, portlen, &out->ports, errbuf,
	    errlen) == -1)
		return (AP_LINE_INVALID);
	return (AP_LINE_OK);
}

void
ap_line_free(struct ap_line *l)
{
	if (l == NULL)
		return;
	ap_pool_free(l->text);
	ap_pool_free(l->host);
	ap_portlist_free(&l->ports);
	memset(l, 0, sizeof(*l));
}

bool
ap_line_parse_operand(const char *s, struct ap_line *out)
{
	char	 why[AP_LINE_MAX / 4];

	if (ap_line_parse(s, strlen(s), NULL, out, why, sizeof(why)) !=
	    AP_LINE_OK || out->ports.count == 0) {
		ap_line_free(out);
		return (false);
	}
	return (true);
}
