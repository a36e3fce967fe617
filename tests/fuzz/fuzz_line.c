/* SPDX-License-Identifier: ISC */
/* fuzz_line.c -- the line grammar (SPEC 2) on arbitrary bytes: every
 * answer must be one a caller can trust without checking it again.  The
 * first byte picks the -p default list; the rest is the line. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "line.h"

#define ERRLEN		256
#define TEXT_MAX	AP_LINE_MAX	/* a text shown as is */
#define CANON_MAX	(AP_LINE_MAX + 64)

static const char *const defaults[] = {
	NULL, "22", "80,443,8000-8010", "1-65535", "ssh,http", "65535"
};

/* A zone as the headers promise it (fuzz.h), for a NUL-ended name. */
static bool
zone_ok(const char *z)
{
	uint32_t	scope;

	return (fuzz_zone_ok(z, strlen(z), &scope));
}

/* An address, IPv6 with a zone, or a prefix "addr/len" (no zone): the
 * numeric hosts of SPEC 2. */
static bool
aton_whole(const char *s)
{
	struct in_addr	in;

	/* glibc's inet_aton stops at white space: the host has none. */
	return (*s != '\0' && strpbrk(s, " \t\n\v\f\r") == NULL &&
	    inet_aton(s, &in) == 1);
}

static bool
is_numeric(const char *host)
{
	unsigned char	 a[16];
	char		 buf[AP_LINE_MAX + 1];	/* a host is at most a line */
	const char	*cut;
	size_t		 n;

	/* IPv4 as inet_aton reads it (SPEC 2: 127.1, 0x7f.1, 2130706433),
	 * when the whole host is digits, dots and hex. */
	if ((cut = strpbrk(host, "%/")) == NULL)
		return (aton_whole(host) ||
		    inet_pton(AF_INET6, host, a) == 1);
	if ((n = (size_t)(cut - host)) >= sizeof(buf))
		return (false);
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (*cut == '%')
		return (inet_pton(AF_INET6, buf, a) == 1 && zone_ok(cut + 1));
	return (aton_whole(buf) ||
	    inet_pton(AF_INET6, buf, a) == 1);
}

/* A port list as ap_portlist_parse() promises it: ranges in 1..65535,
 * lo <= hi, count their sum and at most AP_PORTS_MAX. */
static void
check_portlist(const struct ap_portlist *pl, bool may_be_empty)
{
	size_t	i, sum = 0;

	FUZZ_CHECK(may_be_empty || pl->count > 0, "%zu", pl->count);
	FUZZ_CHECK((pl->nranges == 0) == (pl->count == 0), "%zu ranges, "
	    "%zu ports", pl->nranges, pl->count);
	for (i = 0; i < pl->nranges; i++) {
		FUZZ_CHECK(pl->ranges[i].lo >= 1, "range %zu", i);
		FUZZ_CHECK(pl->ranges[i].lo <= pl->ranges[i].hi, "%u-%u",
		    pl->ranges[i].lo, pl->ranges[i].hi);
		sum += (size_t)pl->ranges[i].hi - pl->ranges[i].lo + 1;
	}
	FUZZ_CHECK(sum == pl->count, "sum %zu count %zu", sum, pl->count);
	FUZZ_CHECK(pl->count <= AP_PORTS_MAX, "%zu", pl->count);
	if (pl->count > 0) {
		FUZZ_CHECK(ap_portlist_get(pl, 0) == pl->ranges[0].lo, "");
		FUZZ_CHECK(ap_portlist_get(pl, pl->count - 1) ==
		    pl->ranges[pl->nranges - 1].hi, "");
		FUZZ_CHECK(ap_portlist_get(pl, pl->count / 2) >= 1, "");
	}
	FUZZ_CHECK(ap_portlist_get(pl, pl->count) == 0, "past the end");
}

/* The reason for a refusal: said, and safe to print on a terminal. */
static void
check_reason(const char *err, const void *in, size_t inlen)
{
	size_t	bad;

	FUZZ_CHECK(err[0] != '\0', "no reason for '%s'", fuzz_show(in,
	    inlen));
	FUZZ_CHECK(fuzz_printable(err, strlen(err), "\t", &bad),
	    "byte %zu of reason '%s'", bad, fuzz_show(err, strlen(err)));
}

/* Print host and ports back as a line and parse that: the same answer. */
static void
check_reparse(const struct ap_line *l, const struct ap_portlist *defports)
{
	struct ap_line	 again;
	char		 canon[CANON_MAX], err[ERRLEN];
	size_t		 o, i;
	int		 n;

	if (strchr(l->host, ':') != NULL)
		o = (size_t)snprintf(canon, sizeof(canon), "[%s]", l->host);
	else
		o = (size_t)snprintf(canon, sizeof(canon), "%s", l->host);
	for (i = 0; i < l->ports.nranges && o < sizeof(canon); i++) {
		if (l->ports.ranges[i].lo == l->ports.ranges[i].hi)
			n = snprintf(canon + o, sizeof(canon) - o, "%c%u",
			    i == 0 ? ':' : ',', l->ports.ranges[i].lo);
		else
			n = snprintf(canon + o, sizeof(canon) - o, "%c%u-%u",
			    i == 0 ? ':' : ',', l->ports.ranges[i].lo,
			    l->ports.ranges[i].hi);
		o += (size_t)n;
	}
	if (o > AP_LINE_MAX)
		return;		/* many ranges: a longer line than allowed */
	FUZZ_CHECK(ap_line_parse(canon, o, defports, &again, err,
	    sizeof(err)) == AP_LINE_OK, "'%s' -> %s", canon, err);
	FUZZ_CHECK(strcmp(again.host, l->host) == 0, "'%s' vs '%s'",
	    again.host, l->host);
	FUZZ_CHECK(again.host_is_ip == l->host_is_ip, "%s", canon);
	FUZZ_CHECK(again.ports.count == l->ports.count, "%s", canon);
	FUZZ_CHECK(again.ports.nranges == l->ports.nranges, "%s", canon);
	for (i = 0; i < l->ports.nranges; i++) {
		FUZZ_CHECK(again.ports.ranges[i].lo == l->ports.ranges[i].lo &&
		    again.ports.ranges[i].hi == l->ports.ranges[i].hi, "%s",
		    canon);
	}
	ap_line_free(&again);
}

/*
 * The same line with a blank on each side takes the general parser (the
 * blanks are trimmed), never the "host:port" fast path: both must answer
 * alike, error text included.
 */
static void
check_padded(const char *line, size_t len, const struct ap_portlist *defports,
    enum ap_line_rc rc, const struct ap_line *l, const char *err)
{
	struct ap_line	 p;
	enum ap_line_rc	 prc;
	char		 padded[AP_LINE_MAX + 2], perr[ERRLEN];
	size_t		 i;

	if (len + 2 > AP_LINE_MAX)
		return;		/* the padding alone would make it too long */
	padded[0] = ' ';
	memcpy(padded + 1, line, len);
	padded[len + 1] = '\t';
	prc = ap_line_parse(padded, len + 2, defports, &p, perr, sizeof(perr));
	FUZZ_CHECK(prc == rc, "rc %d, padded %d: '%s'", (int)rc, (int)prc,
	    fuzz_show(line, len));
	FUZZ_CHECK(strcmp(perr, err) == 0, "'%s' vs '%s'", err, perr);
	if (rc == AP_LINE_OK) {
		FUZZ_CHECK(strcmp(p.text, l->text) == 0 &&
		    strcmp(p.host, l->host) == 0 &&
		    p.host_is_ip == l->host_is_ip &&
		    p.ip_family == l->ip_family &&
		    memcmp(p.ip, l->ip, sizeof(p.ip)) == 0 &&
		    p.scope_id == l->scope_id && p.naddrs == l->naddrs &&
		    p.ports.nranges == l->ports.nranges &&
		    p.ports.count == l->ports.count, "'%s'",
		    fuzz_show(line, len));
		for (i = 0; i < l->ports.nranges; i++)
			FUZZ_CHECK(p.ports.ranges[i].lo == l->ports.ranges[i].lo &&
			    p.ports.ranges[i].hi == l->ports.ranges[i].hi,
			    "'%s'", fuzz_show(line, len));
	}
	ap_line_free(&p);
}

static void
check_line(const char *line, size_t len, const struct ap_portlist *defports)
{
	struct ap_line		 l;
	enum ap_line_rc		 rc;
	char			 err[ERRLEN];
	size_t			 bad, tlen;

	memset(err, 'X', sizeof(err));
	rc = ap_line_parse(line, len, defports, &l, err, sizeof(err));
	FUZZ_CHECK(rc == AP_LINE_OK || rc == AP_LINE_SKIP ||
	    rc == AP_LINE_INVALID, "rc %d", (int)rc);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "errbuf open");
	check_padded(line, len, defports, rc, &l, err);
	if (rc == AP_LINE_SKIP) {
		FUZZ_CHECK(l.text == NULL && l.host == NULL &&
		    l.ports.count == 0, "SKIP with a result");
		ap_line_free(&l);
		return;
	}

	/* OK and INVALID both carry a text a terminal may show. */
	FUZZ_CHECK(l.text != NULL, "no text for '%s'", fuzz_show(line, len));
	tlen = strlen(l.text);
	FUZZ_CHECK(tlen > 0 && tlen <= TEXT_MAX, "text length %zu", tlen);
	FUZZ_CHECK(fuzz_printable(l.text, tlen, "\t", &bad),
	    "byte %zu of text '%s'", bad, fuzz_show(l.text, tlen));

	if (rc == AP_LINE_INVALID) {
		check_reason(err, line, len);
		ap_line_free(&l);
		return;
	}

	FUZZ_CHECK(l.host != NULL && l.host[0] != '\0', "empty host for "
	    "'%s'", fuzz_show(line, len));
	FUZZ_CHECK(ap_host_valid(l.host) || is_numeric(l.host), "host '%s'",
	    fuzz_show(l.host, strlen(l.host)));
	FUZZ_CHECK(l.host_is_ip == is_numeric(l.host), "host_is_ip %d for "
	    "'%s'", l.host_is_ip, l.host);
	FUZZ_CHECK(len <= AP_LINE_MAX + 1, "OK for a %zu-byte line", len);
	/* A prefix: a power of two addresses, at most AP_PREFIX_MAX. */
	FUZZ_CHECK(l.naddrs >= 1 && l.naddrs <= AP_PREFIX_MAX &&
	    (l.naddrs & (l.naddrs - 1)) == 0 &&
	    (l.naddrs == 1 || strchr(l.host, '/') != NULL), "%u addresses "
	    "for '%s'", l.naddrs, l.host);
	FUZZ_CHECK(l.scope_id == 0 || strchr(l.host, '%') != NULL, "zone %u "
	    "for '%s'", l.scope_id, l.host);
	FUZZ_CHECK(memchr(line, '\0', len) == NULL, "OK with a NUL byte");
	check_portlist(&l.ports, true);
	/* No port written: only fine when there is a default to use. */
	if (l.ports.count == 0)
		FUZZ_CHECK(defports != NULL && defports->count > 0,
		    "no port and no default: '%s'", fuzz_show(line, len));
	check_reparse(&l, defports);
	ap_line_free(&l);
}

/* ap_host_valid() against its documented rule, written out again. */
static void
check_host_valid(const char *s)
{
	size_t	len = strlen(s), i;
	bool	want = len > 0 && len <= 253, got = ap_host_valid(s);
	unsigned char a6[16];

	const char *pct = strchr(s, '%');
	char	 addr[128];

	if (strchr(s, ':') != NULL && pct == NULL)
		want = inet_pton(AF_INET6, s, a6) == 1;
	else if (strchr(s, ':') != NULL) {
		/* An IPv6 address with a zone. */
		want = (size_t)(pct - s) < sizeof(addr);
		if (want) {
			memcpy(addr, s, (size_t)(pct - s));
			addr[pct - s] = '\0';
			want = inet_pton(AF_INET6, addr, a6) == 1 &&
			    zone_ok(pct + 1);
		}
	} else {
		for (i = 0; i < len && want; i++)
			want = (s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			    s[i] == '.' || s[i] == '_';
	}
	FUZZ_CHECK(got == want, "ap_host_valid('%s') = %d",
	    fuzz_show(s, len), got);
}

static void
check_portlist_parse(const char *s)
{
	struct ap_portlist	 pl;
	char			 err[ERRLEN];

	memset(&pl, 0xa5, sizeof(pl));
	err[0] = '\0';
	if (ap_portlist_parse(s, &pl, err, sizeof(err)) == 0) {
		check_portlist(&pl, false);
		ap_portlist_free(&pl);
	} else
		check_reason(err, s, strlen(s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ap_portlist	 lists[sizeof(defaults) /
					    sizeof(defaults[0])];
	static bool			 ready;
	const struct ap_portlist	*defports;
	char				 err[ERRLEN], *copy;
	size_t				 i;

	if (!ready) {
		for (i = 1; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			if (ap_portlist_parse(defaults[i], &lists[i], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "-p %s: %s\n", defaults[i],
				    err);
				abort();
			}
		}
		ready = true;
	}
	if (size == 0)
		return (0);
	i = data[0] % (sizeof(defaults) / sizeof(defaults[0]));
	defports = i == 0 ? NULL : &lists[i];
	data++;
	size--;

	/* The same bytes with and without a default. */
	check_line((const char *)data, size, defports);
	check_line((const char *)data, size, NULL);

	/* As C strings, the way -p and --resolve see them. */
	if ((copy = malloc(size + 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	copy[size] = '\0';
	check_host_valid(copy);
	check_portlist_parse(copy);
	free(copy);
	return (0);
}
