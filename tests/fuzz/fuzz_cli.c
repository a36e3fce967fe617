/* SPDX-License-Identifier: ISC */
/* fuzz_cli.c -- the option value parsers, ap_cli_parse() on a synthetic
 * argv, --resolve pins and the hosts table.  The input is one mode byte,
 * then pieces split at NUL bytes.  Each parser is held against an oracle
 * written here from its header comment, not from its code: durations and
 * thresholds against strtold()/strtod(), ap_unescape() against a second
 * decoder, --resolve against inet_pton(), the hosts table against a flat
 * list of (name, addresses). */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "cli.h"
#include "hosts.h"
#include "hostlist.h"

#define MAX_PIECES	24
#define ERRLEN		512
#define CLONES		40	/* names per pair with the "grow" bit */
#define MAX_ADDRS	256	/* more than a 1 KiB list can hold */
#define ADDR_KEY	21	/* family, address, zone */

/* argv strings must be writable: getopt may permute the vector. */
static char	prog[] = "asyncprobe";
static char	resolve_opt[] = "--resolve";

static const struct {
	int64_t	 min, max;
} dur_ranges[] = {
	{ 1, 24 * 3600 * 1000 },		/* -t */
	{ 0, INT64_MAX },			/* --attempt-delay */
	{ 0, 7 * 24 * 3600 * 1000LL },		/* --max-runtime */
	{ 10, 2000 },
};

static const struct {
	uint64_t min, max;
} uint_ranges[] = {
	{ 0, UINT64_MAX }, { 1, 65535 }, { 0, 10 }, { 1, 1000000 },
	{ 0, UINT32_MAX }
};

/* The digits, fraction and unit of a duration, or false. */
static bool
dur_syntax(const char *s, long double *ms)
{
	const char	*p = s;
	long double	 unit;
	char		*num;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return (false);
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9'))
			return (false);
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit = 1000;
	else if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (strcmp(p, "m") == 0)
		unit = 60000;
	else if (strcmp(p, "h") == 0)
		unit = 3600000;
	else
		return (false);
	if ((num = strndup(s, (size_t)(p - s))) == NULL)
		abort();
	*ms = strtold(num, NULL) * unit;
	free(num);
	return (true);
}

static void
check_duration(const char *s, int which)
{
	int64_t		 min = dur_ranges[which].min;
	int64_t		 max = dur_ranges[which].max, out = -12345;
	long double	 want;
	char		 err[ERRLEN] = "";
	bool		 syntax, edge;
	int		 rc;

	rc = ap_parse_duration_ms(s, min, max, &out, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	syntax = dur_syntax(s, &want);
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0', "no reason for '%s'",
		    fuzz_show(s, strlen(s)));
		FUZZ_CHECK(out == -12345, "*out set on error");
	}
	if (!syntax) {
		FUZZ_CHECK(rc == -1, "'%s' taken as %lld ms",
		    fuzz_show(s, strlen(s)), (long long)out);
		return;
	}
	/*
	 * Rounding to whole milliseconds may go either way right at a bound,
	 * and nothing past 2^62 us need be taken (the header's max is a
	 * sanity bound, not a promise to reach INT64_MAX).
	 */
	edge = fabsl(want - (long double)min) <= 1 ||
	    fabsl(want - (long double)max) <= 1 ||
	    want > (long double)(INT64_MAX / 2000);
	if (rc == 0) {
		FUZZ_CHECK(out >= min && out <= max, "%lld not in [%lld, %lld]",
		    (long long)out, (long long)min, (long long)max);
		FUZZ_CHECK(fabsl((long double)out - want) <= 1 + want * 1e-15L,
		    "'%s' -> %lld ms, want %Lf", s, (long long)out, want);
	} else if (!edge)
		FUZZ_CHECK(want < (long double)min || want > (long double)max,
		    "'%s' (%Lf ms) refused: %s", s, want, err);
}

static void
check_uint(const char *s, int which)
{
	uint64_t	 min = uint_ranges[which].min;
	uint64_t	 max = uint_ranges[which].max, out = 777, v = 0;
	char		 err[ERRLEN] = "";
	const char	*p;
	bool		 ok = *s != '\0', over = false;
	int		 rc;

	for (p = s; *p != '\0' && ok; p++) {
		if (*p < '0' || *p > '9')
			ok = false;
		else if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			over = true;
	}
	ok = ok && !over && v >= min && v <= max;
	rc = ap_parse_uint(s, min, max, &out, err, sizeof(err));
	FUZZ_CHECK(rc == (ok ? 0 : -1), "ap_parse_uint('%s', %llu, %llu) = "
	    "%d", fuzz_show(s, strlen(s)), (unsigned long long)min,
	    (unsigned long long)max, rc);
	if (rc == 0)
		FUZZ_CHECK(out == v, "%llu want %llu", (unsigned long long)out,
		    (unsigned long long)v);
	else
		FUZZ_CHECK(out == 777 && err[0] != '\0', "");
}

static void
check_threshold(const char *s)
{
	struct ap_threshold	 th, before;
	const char		*p = s;
	char			 err[ERRLEN] = "";
	bool			 ok, frac = false, pct;
	double			 want = 0;
	int			 rc;

	while (*p >= '0' && *p <= '9')
		p++;
	ok = p > s;
	if (ok && *p == '.') {
		frac = true;
		ok = p[1] >= '0' && p[1] <= '9';
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	pct = *p == '%';
	ok = ok && (pct ? p[1] == '\0' : *p == '\0');
	if (ok) {
		want = strtod(s, NULL);
		if (pct)
			ok = want <= 100;
		else
			ok = !frac && want <= (double)UINT32_MAX;
	}
	memset(&th, 0x5a, sizeof(th));
	memcpy(&before, &th, sizeof(th));
	rc = ap_parse_threshold(s, &th, err, sizeof(err));
	/* Within a rounding error of 100%, either answer will do. */
	if (pct && fabs(want - 100) < 1e-9 && ok != (rc == 0))
		return;
	FUZZ_CHECK(rc == (ok ? 0 : -1), "ap_parse_threshold('%s') = %d",
	    fuzz_show(s, strlen(s)), rc);
	if (rc == -1) {
		FUZZ_CHECK(memcmp(&th, &before, sizeof(th)) == 0,
		    "*th touched");
		FUZZ_CHECK(err[0] != '\0', "");
		return;
	}
	FUZZ_CHECK(th.set && th.percent == pct, "");
	FUZZ_CHECK(fabs(th.value - want) <= 1e-9 * (want > 1 ? want : 1),
	    "'%s' -> %.17g want %.17g", s, th.value, want);
	FUZZ_CHECK(th.value >= 0 && (!pct || th.value <= 100), "%g",
	    th.value);
}

static int
hexdigit(int c)
{
	const char	*hex = "0123456789abcdef", *p;

	if (c == 0 || (p = strchr(hex, tolower((unsigned char)c))) == NULL)
		return (-1);
	return ((int)(p - hex));
}

static void
check_unescape(const char *s)
{
	char		*out = (char *)&out, *want, err[ERRLEN] = "";
	size_t		 outlen = 4242, n = 0, i;
	bool		 ok = true;
	int		 rc;

	if ((want = malloc(strlen(s) + 1)) == NULL)
		abort();
	for (i = 0; ok && s[i] != '\0'; i++) {
		if (s[i] != '\\') {
			want[n++] = s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'r': want[n++] = '\r'; break;
		case 'n': want[n++] = '\n'; break;
		case 't': want[n++] = '\t'; break;
		case '0': want[n++] = '\0'; break;
		case '\\': case '"': case '\'': want[n++] = s[i]; break;
		case 'x':
			if (hexdigit(s[i + 1]) < 0 || hexdigit(s[i + 2]) < 0) {
				ok = false;
				break;
			}
			want[n++] = (char)(hexdigit(s[i + 1]) * 16 +
			    hexdigit(s[i + 2]));
			i += 2;
			break;
		default:
			ok = false;	/* also a '\' at the very end */
			break;
		}
	}
	rc = ap_unescape(s, &out, &outlen, err, sizeof(err));
	FUZZ_CHECK(rc == (ok ? 0 : -1), "ap_unescape('%s') = %d",
	    fuzz_show(s, strlen(s)), rc);
	if (rc == 0) {
		FUZZ_CHECK(outlen == n && memcmp(out, want, n) == 0,
		    "'%s' decoded to %zu bytes, want %zu", s, outlen, n);
		FUZZ_CHECK(out[outlen] == '\0', "no NUL after the bytes");
		free(out);
	} else
		FUZZ_CHECK(out == (char *)&out && outlen == 4242 &&
		    err[0] != '\0', "outputs touched on error");
	free(want);
}

/* One address of a --resolve list or a hosts entry, as the headers say:
 * IPv4 or IPv6, bare or bracketed, IPv6 with a zone.  out: family, the
 * 16 address bytes, the zone's 4. */
static bool
addr_parse(const char *s, size_t len, unsigned char out[ADDR_KEY])
{
	char		 buf[128];
	const char	*pct;
	uint32_t	 scope = 0;
	bool		 v6only = false;

	if (len == 0 || len >= sizeof(buf))
		return (false);
	memset(out, 0, ADDR_KEY);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		v6only = true;
	}
	if ((pct = memchr(s, '%', len)) != NULL) {
		if (!fuzz_zone_ok(pct + 1, (size_t)(s + len - pct - 1), &scope))
			return (false);
		len = (size_t)(pct - s);
		v6only = true;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	memcpy(out + 17, &scope, 4);
	out[0] = 4;
	if (!v6only && inet_pton(AF_INET, buf, out + 1) == 1)
		return (true);
	out[0] = 6;
	return (inet_pton(AF_INET6, buf, out + 1) == 1);
}

static bool
name_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > 253)
		return (false);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return (false);
	return (true);
}

/* The first non-empty element of a list parses. */
static bool
first_is_good(const char *list)
{
	unsigned char	 addr[ADDR_KEY];
	const char	*a = list + strspn(list, ","), *end;

	end = strchr(a, ',') ? strchr(a, ',') : a + strlen(a);
	return (end > a && addr_parse(a, (size_t)(end - a), addr));
}

/* Run ap_cli_parse() on a copy of argv (getopt permutes it). */
static enum ap_cli_rc
cli_parse(int argc, char *const *argv, struct ap_options *o, char *err,
    size_t errlen)
{
	char		**copy;
	enum ap_cli_rc	  rc;
	int		  i;

	if ((copy = calloc((size_t)argc + 1, sizeof(*copy))) == NULL)
		abort();
	for (i = 0; i < argc; i++)
		copy[i] = argv[i];
	rc = ap_cli_parse(argc, copy, o, err, errlen);
	free(copy);
	return (rc);
}

/* The addresses of a comma list, each once; false when one does not
 * parse (or the list has an empty element). */
static bool
list_parse(const char *list, unsigned char seen[][ADDR_KEY], size_t *nseen)
{
	unsigned char	 addr[ADDR_KEY];
	const char	*a, *end;
	size_t		 i;

	*nseen = 0;
	for (a = list; a != NULL; a = *end ? end + 1 : NULL) {
		end = strchr(a, ',') ? strchr(a, ',') : a + strlen(a);
		if (!addr_parse(a, (size_t)(end - a), addr))
			return (false);
		for (i = 0; i < *nseen; i++)
			if (memcmp(seen[i], addr, ADDR_KEY) == 0)
				break;
		if (i == *nseen && *nseen < MAX_ADDRS)
			memcpy(seen[(*nseen)++], addr, ADDR_KEY);
	}
	return (true);
}

/* --resolve=VALUE alone: accepted exactly when the oracle says so:
 * HOST:LIST, or curl's HOST:PORT:LIST when the rest is no list. */
static void
check_pin(const char *v)
{
	struct ap_options	 o;
	struct ap_hosts		*h;
	const struct ap_addr	*got;
	char			*arg, *argv[3], err[ERRLEN];
	const char		*colon = strchr(v, ':'), *list = NULL;
	unsigned char		 seen[MAX_ADDRS][ADDR_KEY];
	size_t			 n, nseen = 0, digits;
	unsigned long		 port = 0;
	bool			 ok;
	enum ap_cli_rc		 rc;

	ok = colon != NULL && name_ok(v, (size_t)(colon - v)) &&
	    colon[1] != '\0';
	if (ok && list_parse(colon + 1, seen, &nseen))
		list = colon + 1;
	else if (ok) {
		digits = strspn(colon + 1, "0123456789");
		if (digits >= 1 && digits <= 5 && colon[1 + digits] == ':') {
			port = strtoul(colon + 1, NULL, 10);
			if (port >= 1 && port <= 65535 &&
			    list_parse(colon + 2 + digits, seen, &nseen))
				list = colon + 2 + digits;
		}
		ok = list != NULL;
	}
	if (asprintf(&arg, "--resolve=%s", v) == -1)
		abort();
	argv[0] = prog;
	argv[1] = arg;
	argv[2] = NULL;
	rc = cli_parse(2, argv, &o, err, sizeof(err));
	FUZZ_CHECK(rc == (ok ? AP_CLI_OK : AP_CLI_ERROR), "--resolve '%s': "
	    "rc %d (%s)", fuzz_show(v, strlen(v)), (int)rc, err);
	if (rc == AP_CLI_OK) {
		FUZZ_CHECK(o.npins == 1, "%d pins", o.npins);
		FUZZ_CHECK(strlen(o.pins[0].host) == (size_t)(colon - v) &&
		    strncmp(o.pins[0].host, v, (size_t)(colon - v)) == 0,
		    "host '%s'", o.pins[0].host);
		/* The split agrees, and the parsed pin, in the hosts table
		 * the resolver keeps, is exactly the distinct addresses. */
		FUZZ_CHECK(o.pins[0].port == port && o.pins[0].naddrs >= nseen,
		    "port %u, %zu addresses", (unsigned)o.pins[0].port,
		    o.pins[0].naddrs);
		h = ap_hosts_new();
		ap_hosts_add(h, o.pins[0].host, o.pins[0].addrs,
		    o.pins[0].naddrs);
		got = ap_hosts_lookup(h, o.pins[0].host, &n);
		FUZZ_CHECK(got != NULL && n == nseen, "%zu addresses, want %zu",
		    n, nseen);
		ap_hosts_free(h);
	} else
		FUZZ_CHECK(err[0] != '\0', "no reason");
	ap_options_free(&o);
	free(arg);
}

static void
check_options(const struct ap_options *o)
{
	size_t	i, sum = 0;
	int	j;

	FUZZ_CHECK(o->timeout_ms >= 1 && o->timeout_ms <= 86400000, "%d",
	    o->timeout_ms);
	FUZZ_CHECK(o->attempt_timeout_ms >= 0 &&
	    o->attempt_timeout_ms <= 86400000, "");
	FUZZ_CHECK(o->attempt_delay_ms >= AP_ATTEMPT_DELAY_MIN_MS &&
	    o->attempt_delay_ms <= AP_ATTEMPT_DELAY_MAX_MS, "%d",
	    o->attempt_delay_ms);
	FUZZ_CHECK(o->family == AF_UNSPEC || o->family == AF_INET ||
	    o->family == AF_INET6, "");
	FUZZ_CHECK(o->retries >= 0 && o->retries <= AP_RETRIES_MAX, "");
	FUZZ_CHECK((o->send_data == NULL) == (o->send_len == 0), "");
	FUZZ_CHECK((o->expect == NULL) == (o->expect_len == 0), "");
	FUZZ_CHECK(o->banner_max >= 0 && o->banner_max <= AP_BANNER_MAX, "");
	FUZZ_CHECK(o->concurrency >= 1, "");
	FUZZ_CHECK(o->rate <= AP_RATE_MAX, "");
	FUZZ_CHECK(o->threads >= 0 && o->threads <= AP_THREADS_MAX, "");
	FUZZ_CHECK(o->shard_k >= 1 && o->shard_k <= o->shard_n &&
	    o->shard_n <= AP_SHARD_MAX, "%u/%u", o->shard_k, o->shard_n);
	FUZZ_CHECK(o->max_runtime_ms >= 0, "");
	FUZZ_CHECK(o->nresolvers >= 0 && o->nresolvers <= AP_MAX_RESOLVERS,
	    "");
	for (j = 0; j < o->npins; j++)
		FUZZ_CHECK(ap_host_valid(o->pins[j].host) &&
		    o->pins[j].naddrs >= 1, "pin %d", j);
	for (i = 0; i < o->ports.nranges; i++) {
		FUZZ_CHECK(o->ports.ranges[i].lo >= 1 &&
		    o->ports.ranges[i].lo <= o->ports.ranges[i].hi, "");
		sum += (size_t)o->ports.ranges[i].hi - o->ports.ranges[i].lo +
		    1;
	}
	FUZZ_CHECK(sum == o->ports.count && sum <= AP_PORTS_MAX, "");
	FUZZ_CHECK(!(o->only_alive && o->only_unreachable), "");
	FUZZ_CHECK(!o->min_up.set || !o->min_up.percent ||
	    o->min_up.value <= 100, "");
	FUZZ_CHECK(o->files != NULL, "");
}

/* The whole argv, twice: the same answer both times (getopt is reset). */
static void
check_argv(int argc, char **argv)
{
	struct ap_options	 o, o2;
	char			 err[ERRLEN], err2[ERRLEN];
	enum ap_cli_rc		 rc, rc2;

	memset(err, 'x', sizeof(err));
	rc = cli_parse(argc, argv, &o, err, sizeof(err));
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "errbuf open");
	FUZZ_CHECK(rc == AP_CLI_OK || rc == AP_CLI_HELP ||
	    rc == AP_CLI_VERSION || rc == AP_CLI_ERROR, "rc %d", (int)rc);
	if (rc == AP_CLI_OK)
		check_options(&o);
	if (rc == AP_CLI_ERROR)
		FUZZ_CHECK(err[0] != '\0', "error without a reason");
	rc2 = cli_parse(argc, argv, &o2, err2, sizeof(err2));
	FUZZ_CHECK(rc == rc2, "rc %d then %d", (int)rc, (int)rc2);
	if (rc == AP_CLI_ERROR)
		FUZZ_CHECK(strcmp(err, err2) == 0, "'%s' then '%s'", err, err2);
	ap_options_free(&o);
	ap_options_free(&o2);
}

/* The hosts table against a flat model: names without case, addresses
 * in the order first given, duplicates dropped. */
struct model_entry {
	char		*name;		/* lower case */
	unsigned char	 addrs[MAX_ADDRS][ADDR_KEY];
	size_t		 n;
};

static void
check_hosts(char **piece, int npieces, bool grow)
{
	static struct model_entry	 m[MAX_PIECES / 2 * (CLONES + 1)];
	struct ap_hosts			*h = ap_hosts_new();
	const struct ap_addr		*got;
	const char			*list, *a, *end;
	unsigned char			 addr[ADDR_KEY], one[ADDR_KEY];
	char				 err[ERRLEN], name[300], *p;
	size_t				 nm = 0, i, k, n, nadd;
	int				 pi, c, rc;
	bool				 ok;

	for (pi = 0; pi + 1 < npieces; pi += 2) {
		list = piece[pi + 1];
		/* Empty elements are skipped; any bad one spoils the call. */
		ok = true;
		nadd = 0;
		for (a = list; ; a = end + 1) {
			end = strchr(a, ',') ? strchr(a, ',') : a + strlen(a);
			if (end > a) {
				if (!addr_parse(a, (size_t)(end - a), addr))
					ok = false;
				nadd++;
			}
			if (*end == '\0')
				break;
		}
		ok = ok && nadd > 0;
		for (c = 0; c <= (grow ? CLONES : 0); c++) {
			snprintf(name, sizeof(name), c == 0 ? "%.250s" :
			    "%.250s#%d", piece[pi], c);
			rc = tu_hosts_add_list(h, name, list, err, sizeof(err));
			FUZZ_CHECK(rc == (ok ? 0 : -1), "add_list('%s') = %d",
			    fuzz_show(list, strlen(list)), rc);
			if (rc == -1)
				FUZZ_CHECK(err[0] != '\0', "");
			/*
			 * Not all or nothing: the header promises no undo, so
			 * the addresses before the bad one stay.  Model that.
			 */
			if (rc == -1 && (list[0] == '\0' ||
			    !first_is_good(list)))
				continue;
			for (p = name; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			for (k = 0; k < nm; k++)
				if (strcmp(m[k].name, name) == 0)
					break;
			if (k == nm) {
				if ((m[nm].name = strdup(name)) == NULL)
					abort();
				m[nm++].n = 0;
			}
			for (a = list; ; a = end + 1) {
				end = strchr(a, ',') ? strchr(a, ',') :
				    a + strlen(a);
				if (end > a && !addr_parse(a, (size_t)(end - a),
				    addr))
					break;
				if (end > a) {
					for (i = 0; i < m[k].n; i++)
						if (memcmp(m[k].addrs[i], addr,
						    ADDR_KEY) == 0)
							break;
					if (i == m[k].n && m[k].n < MAX_ADDRS)
						memcpy(m[k].addrs[m[k].n++],
						    addr, ADDR_KEY);
				}
				if (*end == '\0')
					break;
			}
		}
	}
	for (k = 0; k < nm; k++) {
		/* Upper case finds the same entry. */
		for (p = m[k].name; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		got = ap_hosts_lookup(h, m[k].name, &n);
		FUZZ_CHECK(got != NULL && n == m[k].n, "'%s': %zu addresses, "
		    "want %zu", fuzz_show(m[k].name, strlen(m[k].name)), n,
		    m[k].n);
		for (i = 0; i < n; i++) {
			memset(one, 0, sizeof(one));
			if (got[i].u.sa.sa_family == AF_INET) {
				one[0] = 4;
				memcpy(one + 1, &got[i].u.sin.sin_addr, 4);
			} else {
				FUZZ_CHECK(got[i].u.sa.sa_family == AF_INET6,
				    "");
				one[0] = 6;
				memcpy(one + 1, &got[i].u.sin6.sin6_addr, 16);
				memcpy(one + 17, &got[i].u.sin6.sin6_scope_id,
				    4);
			}
			FUZZ_CHECK(memcmp(one, m[k].addrs[i], ADDR_KEY) == 0,
			    "address %zu of '%s'", i, m[k].name);
		}
		free(m[k].name);
	}
	ap_hosts_free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *piece[MAX_PIECES], *argv[MAX_PIECES + 3], *p;
	int		 npieces = 0, argc = 0, i;
	uint8_t		 mode;

	if (size < 1)
		return (0);
	mode = data[0];
	if ((buf = malloc(size)) == NULL)
		return (0);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (p = buf; npieces < MAX_PIECES && p < buf + size; p += strlen(p) +
	    1)
		piece[npieces++] = p;

	for (i = 0; i < npieces; i++) {
		check_duration(piece[i], (mode + i) % 4);
		check_uint(piece[i], (mode + i) % 5);
		check_threshold(piece[i]);
		check_unescape(piece[i]);
		check_pin(piece[i]);
	}

	/* mode bit 0: "--resolve" before the pieces, as the brief's CLI. */
	argv[argc++] = prog;
	if (mode & 1)
		argv[argc++] = resolve_opt;
	for (i = 0; i < npieces; i++)
		argv[argc++] = piece[i];
	argv[argc] = NULL;
	check_argv(argc, argv);

	check_hosts(piece, npieces, (mode & 2) != 0);
	free(buf);
	return (0);
}
