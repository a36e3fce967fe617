/* SPDX-License-Identifier: ISC */
/* cli.c -- argv to struct ap_options (SPEC 1): the getopt_long table, the
 * usage text and the number and duration parsers.  Never exits and never
 * prints an error itself; main.c turns the return code into an exit. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addrlist.h"
#include "cli.h"
#include "hosts.h"
#include "output.h"
#include "result.h"
#include "line.h"
#include "text.h"
#include "xmalloc.h"

#define TIMEOUT_MIN_MS		1
#define TIMEOUT_MAX_MS		(24 * 3600 * 1000)
#define CONCURRENCY_MAX		1000000
#define RUNTIME_MAX_MS		(7 * 24 * 3600 * 1000)
#define INTERVAL_MIN_MS		10
#define THRESHOLD_COUNT_MAX	UINT32_MAX

#define DURATION_HINT	"expected a duration like 10, 1.5s, 250ms or 2m"

enum {
	OPT_ATTEMPT_TIMEOUT = 256,	/* long-only options, past any char */
	OPT_ATTEMPT_DELAY,
	OPT_SEQUENTIAL,
	OPT_SEND,
	OPT_EXPECT,
	OPT_BANNER,
	OPT_RATE,
	OPT_SHARD,
	OPT_MAX_RUNTIME,
	OPT_RESOLVER,
	OPT_HOSTS_FILE,
	OPT_RESOLVE,
	OPT_ORDERED,
	OPT_LABEL,
	OPT_NO_HEADER,
	OPT_PROGRESS,
	OPT_WARN_DOWN,
	OPT_CRIT_DOWN,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_CHANGES,
	OPT_SERVE,
	OPT_SERVE_ANY
};

/*
 * Keep in SPEC order, and in the same order as usage_text[] and the .Bl list
 * in man/asyncprobe.1: scripts/check-options.sh compares the three.  -4 and
 * -6 have no long names; they sit between --sequential and --all-addresses.
 * --banner and --progress take an optional value, which must then be
 * attached with '=': "--banner 512" would make 512 an input file.
 */
static const struct option longopts[] = {
	{ "timeout",		required_argument, NULL, 't' },
	{ "attempt-timeout",	required_argument, NULL, OPT_ATTEMPT_TIMEOUT },
	{ "attempt-delay",	required_argument, NULL, OPT_ATTEMPT_DELAY },
	{ "sequential",		no_argument, NULL, OPT_SEQUENTIAL },
	{ "all-addresses",	no_argument, NULL, 'm' },
	{ "port",		required_argument, NULL, 'p' },
	{ "source",		required_argument, NULL, 'S' },
	{ "retries",		required_argument, NULL, 'r' },
	{ "send",		required_argument, NULL, OPT_SEND },
	{ "expect",		required_argument, NULL, OPT_EXPECT },
	{ "banner",		optional_argument, NULL, OPT_BANNER },
	{ "concurrency",	required_argument, NULL, 'c' },
	{ "rate",		required_argument, NULL, OPT_RATE },
	{ "threads",		required_argument, NULL, 'j' },
	{ "shard",		required_argument, NULL, OPT_SHARD },
	{ "max-runtime",	required_argument, NULL, OPT_MAX_RUNTIME },
	{ "resolver",		required_argument, NULL, OPT_RESOLVER },
	{ "hosts-file",		required_argument, NULL, OPT_HOSTS_FILE },
	{ "resolve",		required_argument, NULL, OPT_RESOLVE },
	{ "numeric",		no_argument, NULL, 'n' },
	{ "format",		required_argument, NULL, 'f' },
	{ "output",		required_argument, NULL, 'o' },
	{ "alive",		no_argument, NULL, 'a' },
	{ "unreachable",	no_argument, NULL, 'u' },
	{ "ordered",		no_argument, NULL, OPT_ORDERED },
	{ "quiet",		no_argument, NULL, 'q' },
	{ "label",		required_argument, NULL, OPT_LABEL },
	{ "no-header",		no_argument, NULL, OPT_NO_HEADER },
	{ "stats",		no_argument, NULL, 's' },
	{ "progress",		optional_argument, NULL, OPT_PROGRESS },
	{ "verbose",		no_argument, NULL, 'v' },
	{ "min-up",		required_argument, NULL, 'x' },
	{ "warn-down",		required_argument, NULL, OPT_WARN_DOWN },
	{ "crit-down",		required_argument, NULL, OPT_CRIT_DOWN },
	{ "interval",		required_argument, NULL, OPT_INTERVAL },
	{ "count",		required_argument, NULL, OPT_COUNT },
	{ "changes",		no_argument, NULL, OPT_CHANGES },
	{ "serve",		required_argument, NULL, OPT_SERVE },
	{ "serve-any",		no_argument, NULL, OPT_SERVE_ANY },
	{ "help",		no_argument, NULL, 'h' },
	{ "version",		no_argument, NULL, 'V' },
	{ NULL,			0, NULL, 0 }
};

/* Leading ':' so a missing value returns ':' rather than '?'. */
static const char shortopts[] = ":t:46mp:S:r:c:j:nf:o:auqsvx:hV";

static const char usage_text[] =
"usage: asyncprobe [-46ahmnqsuVv] [-c count] [-f format] [-j threads]\n"
"                  [-o file] [-p ports] [-r retries] [-S addr]\n"
"                  [-t duration] [-x count[%]] [option ...] [file ...]\n"
"\n"
"Probing:\n"
"  -t, --timeout DUR          deadline per target, all addresses (default 5s)\n"
"      --attempt-timeout DUR  cap for one address attempt (default: -t)\n"
"      --attempt-delay DUR    Happy Eyeballs stagger, 10ms..2s (250ms)\n"
"      --sequential           next address only after the previous one failed\n"
"  -4                         IPv4 addresses only\n"
"  -6                         IPv6 addresses only\n"
"  -m, --all-addresses        probe every address, one record for each\n"
"  -p, --port PORTS           ports for lines without one: 22,80,8000-8010\n"
"  -S, --source ADDR          bind outgoing connects to this local address\n"
"  -r, --retries N            extra rounds after a timeout, 0..10 (default 0)\n"
"      --send DATA            bytes to send once connected; \\r \\n \\xHH ...\n"
"      --expect TEXT          read until TEXT arrives, else status mismatch\n"
"      --banner[=N]           record up to N bytes the peer sends first (256)\n"
"Load:\n"
"  -c, --concurrency N        targets in flight at once (default 1024)\n"
"      --rate N               connect attempts per second (default 0: no cap)\n"
"  -j, --threads N            event loops, 1..64 (default: online CPUs)\n"
"      --shard K/N            probe only targets K, K+N, K+2N, ... (1/1)\n"
"      --max-runtime DUR      stop then; unfinished targets are cancelled\n"
"Names:\n"
"      --resolver IP[:PORT]   DNS server instead of resolv.conf (repeatable)\n"
"      --hosts-file FILE      hosts file read before DNS, or none\n"
"      --resolve HOST:ADDR[,ADDR...]\n"
"                             pin a name to addresses, no DNS (repeatable)\n"
"  -n, --numeric              no DNS at all: unpinned names are invalid\n"
"Output:\n"
"  -f, --format FMT           @FORMATS@ (default text)\n"
"  -o, --output FILE          write records to FILE (default stdout)\n"
"  -a, --alive                only targets that connected\n"
"  -u, --unreachable          only targets that did not connect\n"
"      --ordered              records in input order, not completion order\n"
"  -q, --quiet                no records: exit status only\n"
"      --label KEY=VALUE      -f prom, --serve: a label on every series\n"
"      --no-header            no header line in text and csv\n"
"  -s, --stats                summary on stderr\n"
"      --progress[=WHEN]      progress line on stderr: auto, always or never\n"
"  -v, --verbose              one line per attempt on stderr (repeatable)\n"
"  -x, --min-up N[%]          exit 0 if at least N (or N%) targets connected\n"
"      --warn-down N[%]       -f nagios: WARNING from N (or N%) down (1)\n"
"      --crit-down N[%]       -f nagios: CRITICAL from N (or N%) down (1)\n"
"Monitor:\n"
"      --interval DUR         probe the list again every DUR, for ever\n"
"      --count N              stop after N rounds\n"
"      --changes              write a record only when its status changed\n"
"      --serve ADDR:PORT      HTTP: /metrics (last round), /probe?target=\n"
"      --serve-any            /probe any target, not only the listed ones\n"
"Other:\n"
"  -h, --help                 print this help and exit\n"
"  -V, --version              print the version and exit\n"
"\n"
"DUR is 10 (seconds), 1.5s, 250ms or 2m.  No file, or -, reads stdin.\n"
"Exit status: 0 all connected (or -x met), 1 some did not, 2 some name did\n"
"not resolve, 3 usage or input error, 4 system failure.\n";

/* The largest unit that divides ms evenly, so 86400000 reads "24h". */
static void
format_duration(int64_t ms, char *buf, size_t len)
{
	static const struct {
		int64_t		 ms;
		const char	*suffix;
	} units[] = {
		{ 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" }
	};
	size_t	i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].ms == 0)
			break;
	}
	if (i == sizeof(units) / sizeof(units[0]))
		i--;
	snprintf(buf, len, "%" PRId64 "%s", ms / units[i].ms, units[i].suffix);
}

static void
duration_range_error(int64_t min_ms, int64_t max_ms, char *errbuf,
    size_t errlen)
{
	char	lo[32], hi[32];

	format_duration(min_ms, lo, sizeof(lo));
	if (max_ms == INT64_MAX) {
		ap_set_error(errbuf, errlen, "must be at least %s", lo);
		return;
	}
	format_duration(max_ms, hi, sizeof(hi));
	ap_set_error(errbuf, errlen, "must be between %s and %s", lo, hi);
}

int
ap_parse_duration_ms(const char *s, int64_t min_ms, int64_t max_ms,
    int64_t *out, char *errbuf, size_t errlen)
{
	const char	*p, *ip_start, *frac_start = NULL;
	size_t		 ip_len, frac_len = 0, i;
	uint64_t	 ip = 0, frac = 0, scale = 1000000000, unit_ms, us;
	int		 overflow = 0;

	/*
	 * Check the whole syntax first, so "99999999999999999999x" is junk
	 * rather than "too large": digits, an optional fraction, a unit.
	 * No sign, no exponent, no spaces: strtod() would take all three.
	 */
	p = ip_start = s;
	while (*p >= '0' && *p <= '9')
		p++;
	ip_len = p - ip_start;
	if (*p == '.') {
		frac_start = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		frac_len = p - frac_start;
		if (frac_len == 0)
			goto syntax;
	}
	if (ip_len == 0)
		goto syntax;
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit_ms = 1000;
	else if (strcmp(p, "ms") == 0)
		unit_ms = 1;
	else if (strcmp(p, "m") == 0)
		unit_ms = 60000;
	else if (strcmp(p, "h") == 0)
		unit_ms = 3600000;
	else
		goto syntax;

	for (i = 0; i < ip_len; i++) {
		if (ip > (UINT64_MAX - 9) / 10)
			overflow = 1;
		else
			ip = ip * 10 + (uint64_t)(ip_start[i] - '0');
	}
	/* Nanosecond precision is plenty; later digits only need be digits. */
	for (i = 0; i < frac_len && i < 9; i++) {
		scale /= 10;
		frac += (uint64_t)(frac_start[i] - '0') * scale;
	}

	/* Work in microseconds, then round to the nearest millisecond. */
	if (overflow || ip > (uint64_t)(INT64_MAX / 2) / (unit_ms * 1000))
		goto range_hi;
	us = ip * unit_ms * 1000 + frac * unit_ms / 1000000;
	us = (us + 500) / 1000;
	if ((int64_t)us < min_ms)
		goto range;
	if ((int64_t)us > max_ms)
		goto range_hi;
	*out = (int64_t)us;
	return (0);

syntax:
	ap_set_error(errbuf, errlen, DURATION_HINT);
	return (-1);
range_hi:
	if (max_ms == INT64_MAX) {
		ap_set_error(errbuf, errlen, "too large");
		return (-1);
	}
range:
	duration_range_error(min_ms, max_ms, errbuf, errlen);
	return (-1);
}

int
ap_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *errbuf, size_t errlen)
{
	const char	*p;
	uint64_t	 v = 0;
	int		 overflow = 0;

	if (*s == '\0')
		goto syntax;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			overflow = 1;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (overflow || v < min || v > max) {
		ap_set_error(errbuf, errlen, "must be between %" PRIu64 " and %"
		    PRIu64, min, max);
		return (-1);
	}
	*out = v;
	return (0);

syntax:
	ap_set_error(errbuf, errlen, "expected a number");
	return (-1);
}

int
ap_parse_threshold(const char *s, struct ap_threshold *th, char *errbuf,
    size_t errlen)
{
	const char	*p, *frac_start = NULL;
	size_t		 len = strlen(s), ip_len, frac_len = 0, i;
	uint64_t	 v;
	double		 value = 0, scale = 1;
	bool		 percent;

	/* Digits, then an optional fraction, then an optional '%'. */
	percent = len > 0 && s[len - 1] == '%';
	if (percent)
		len--;
	ip_len = strspn(s, "0123456789");
	if (ip_len > len)
		ip_len = len;
	p = s + ip_len;
	if (p < s + len && *p == '.') {
		frac_start = ++p;
		while (p < s + len && *p >= '0' && *p <= '9')
			p++;
		frac_len = p - frac_start;
	}
	if (ip_len == 0 || p != s + len || (frac_start != NULL &&
	    frac_len == 0)) {
		ap_set_error(errbuf, errlen, "expected a count like 3 or a "
		    "percentage like 50%%");
		return (-1);
	}

	if (!percent) {
		if (frac_start != NULL) {
			ap_set_error(errbuf, errlen, "a count must be a whole "
			    "number (add %% for a percentage)");
			return (-1);
		}
		if (ap_parse_uint(s, 0, THRESHOLD_COUNT_MAX, &v, NULL, 0) ==
		    -1) {
			ap_set_error(errbuf, errlen, "a count must be between 0 and "
			    "%" PRIu64, (uint64_t)THRESHOLD_COUNT_MAX);
			return (-1);
		}
		value = (double)v;
	} else {
		/*
		 * By hand rather than strtod(), which would take a sign, an
		 * exponent, "inf" and the locale's decimal point.  Leading
		 * zeros aside, more than three digits is over 100 anyway.
		 */
		while (ip_len > 1 && *s == '0') {
			s++;
			ip_len--;
		}
		if (ip_len > 3)
			goto range;
		for (i = 0; i < ip_len; i++)
			value = value * 10 + (s[i] - '0');
		for (i = 0; i < frac_len && i < 15; i++) {
			scale /= 10;
			value += (frac_start[i] - '0') * scale;
		}
		if (value > 100)
			goto range;
	}
	th->set = true;
	th->percent = percent;
	th->value = value;
	return (0);

range:
	ap_set_error(errbuf, errlen, "a percentage must be between 0%% and 100%%");
	return (-1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
ap_unescape(const char *in, char **out, size_t *outlen, char *errbuf,
    size_t errlen)
{
	const char	*p;
	char		*buf;
	size_t		 n = 0;
	int		 hi, lo, avail;

	/* Decoding never grows the text, so its length bounds the buffer. */
	buf = xmalloc(strlen(in) + 1);
	for (p = in; *p != '\0'; p++) {
		if (*p != '\\') {
			buf[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'r':
			buf[n++] = '\r';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case '0':
			buf[n++] = '\0';
			break;
		case '\\':
		case '"':
		case '\'':
			buf[n++] = *p;
			break;
		case 'x':
			hi = hexval(p[1]);
			lo = hi == -1 ? -1 : hexval(p[2]);
			if (lo == -1) {
				/* Quote what is there, up to two bytes. */
				avail = p[1] == '\0' ? 0 : p[2] == '\0' ? 1 : 2;
				ap_set_error(errbuf, errlen, "bad escape '\\x%.*s': "
				    "\\x needs two hex digits", avail, p + 1);
				goto fail;
			}
			buf[n++] = (char)(hi << 4 | lo);
			p += 2;
			break;
		case '\0':
			ap_set_error(errbuf, errlen, "incomplete escape '\\' at the "
			    "end");
			goto fail;
		default:
			if (*p > ' ' && *p < 0x7f)
				ap_set_error(errbuf, errlen, "unknown escape '\\%c' "
				    "(use \\r \\n \\t \\\\ \\0 \\xHH \\\" \\')",
				    *p);
			else
				ap_set_error(errbuf, errlen, "unknown escape: '\\' "
				    "then byte 0x%02x", (unsigned char)*p);
			goto fail;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return (0);

fail:
	free(buf);
	return (-1);
}

/* K/N with 1 <= K <= N <= AP_SHARD_MAX. */
static int
parse_shard(const char *s, unsigned *k, unsigned *n, char *why,
    size_t whylen)
{
	const char	*slash;
	char		*kstr;
	uint64_t	 kv, nv;
	size_t		 klen;
	int		 rc;

	if ((slash = strchr(s, '/')) == NULL ||
	    (klen = strspn(s, "0123456789")) == 0 || s + klen != slash ||
	    slash[1] == '\0' ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1)) {
		ap_set_error(why, whylen, "expected K/N, such as 2/4");
		return (-1);
	}
	if (ap_parse_uint(slash + 1, 1, AP_SHARD_MAX, &nv, NULL, 0) == -1) {
		ap_set_error(why, whylen, "N must be between 1 and %d",
		    AP_SHARD_MAX);
		return (-1);
	}
	kstr = xstrndup(s, klen);
	rc = ap_parse_uint(kstr, 1, nv, &kv, NULL, 0);
	free(kstr);
	if (rc == -1) {
		ap_set_error(why, whylen, "K must be between 1 and %" PRIu64, nv);
		return (-1);
	}
	*k = (unsigned)kv;
	*n = (unsigned)nv;
	return (0);
}

/* --send and --expect: decoded, and at least one byte. */
static int
set_bytes(char **dst, size_t *dstlen, const char *arg, char *why,
    size_t whylen)
{
	char	*buf;
	size_t	 len;

	if (ap_unescape(arg, &buf, &len, why, whylen) == -1)
		return (-1);
	if (len == 0) {
		free(buf);
		ap_set_error(why, whylen, "expected at least one byte");
		return (-1);
	}
	free(*dst);
	*dst = buf;
	*dstlen = len;
	return (0);
}

/* IP, IP:PORT, IPv6, [IPv6] or [IPv6]:PORT, as evdns takes them. */
static int
check_resolver(const char *s, char *why, size_t whylen)
{
	const char	*colon, *close, *port = NULL;
	char		 addr[INET6_ADDRSTRLEN + 1];
	struct in6_addr	 a6;
	struct in_addr	 a4;
	uint64_t	 v;
	size_t		 len;
	int		 af;

	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL)
			goto syntax;
		len = close - (s + 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			goto syntax;
		af = AF_INET6;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		len = colon - s;
		port = colon + 1;
		af = AF_INET;
	} else {
		/* No colon: IPv4; two or more: a bare IPv6, no port. */
		len = strlen(s);
		af = colon == NULL ? AF_INET : AF_INET6;
	}
	if (len == 0 || len >= sizeof(addr))
		goto syntax;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(af, addr, af == AF_INET ? (void *)&a4 : (void *)&a6) != 1)
		goto syntax;
	if (port != NULL &&
	    ap_parse_uint(port, 1, 65535, &v, NULL, 0) == -1) {
		ap_set_error(why, whylen, "port must be a number from 1 to 65535");
		return (-1);
	}
	return (0);

syntax:
	ap_set_error(why, whylen, "expected IP or IP:PORT, IPv6 as [ADDR]:PORT");
	return (-1);
}

/* HOST:ADDR[,ADDR...] or curl's HOST:PORT:ADDR[,ADDR...]; fills pin on
 * success, parsed for the resolver. */
static int
parse_pin(const char *s, struct ap_pin *pin, char *why, size_t whylen)
{
	const char	*colon;
	char		*host;

	if ((colon = strchr(s, ':')) == NULL || colon == s ||
	    colon[1] == '\0') {
		ap_set_error(why, whylen, "expected HOST:ADDR[,ADDR...]");
		return (-1);
	}
	host = xstrndup(s, colon - s);
	if (!ap_host_valid(host)) {
		ap_set_error(why, whylen, "invalid host name '%s'", host);
		free(host);
		return (-1);
	}
	if (ap_pin_parse(colon + 1, pin, why, whylen) == -1) {
		free(host);
		return (-1);
	}
	pin->host = host;
	return (0);
}

/*
 * --label KEY=VALUE: a Prometheus label name (letters, digits, '_', not
 * first a digit, no "__" prefix: reserved) that no series has already
 * (target, host, port, ip, status) and no earlier --label gave.
 */
static int
check_label(const char *s, const struct ap_options *o, char *why,
    size_t whylen)
{
	static const char *const taken[] = { "target", "host", "port", "ip",
	    "status" };
	const char	*eq = strchr(s, '=');
	size_t		 n, i;

	if (eq == NULL || eq == s) {
		ap_set_error(why, whylen, "expected KEY=VALUE");
		return (-1);
	}
	n = (size_t)(eq - s);
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9'))) {
			ap_set_error(why, whylen, "a label name is letters, "
			    "digits and '_', not first a digit");
			return (-1);
		}
	}
	if (n >= 2 && s[0] == '_' && s[1] == '_') {
		ap_set_error(why, whylen, "names starting with __ are "
		    "reserved");
		return (-1);
	}
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		if (strlen(taken[i]) == n && strncmp(s, taken[i], n) == 0) {
			ap_set_error(why, whylen, "asyncprobe sets '%s' itself",
			    taken[i]);
			return (-1);
		}
	}
	for (i = 0; i < o->nlabels; i++) {
		if (strncmp(o->labels[i], s, n + 1) == 0) {
			ap_set_error(why, whylen, "label '%.*s' given twice",
			    (int)n, s);
			return (-1);
		}
	}
	if (o->nlabels == AP_LABELS_MAX) {
		ap_set_error(why, whylen, "at most %d labels", AP_LABELS_MAX);
		return (-1);
	}
	if (!ap_text_is_safe(eq + 1, strlen(eq + 1), false)) {
		ap_set_error(why, whylen, "the value must be printable UTF-8");
		return (-1);
	}
	return (0);
}

/* "-t/--timeout", "--sequential" or "-4": how errors name an option. */
static void
option_name(int val, char *buf, size_t len)
{
	const struct option	*lo;

	for (lo = longopts; lo->name != NULL; lo++) {
		if (lo->val != val)
			continue;
		if (val < 256)
			snprintf(buf, len, "-%c/--%s", val, lo->name);
		else
			snprintf(buf, len, "--%s", lo->name);
		return;
	}
	snprintf(buf, len, "-%c", val);
}

static int
bad_value(int val, const char *arg, const char *why, char *errbuf,
    size_t errlen)
{
	char	name[64];

	option_name(val, name, sizeof(name));
	ap_set_error(errbuf, errlen, "invalid value '%s' for %s: %s", arg, name,
	    why);
	return (-1);
}

/* Long options that s ("--res" or "--res=x") abbreviates, for messages. */
static void
getopt_error(int c, char **argv, int argc, char *errbuf, size_t errlen)
{
	const struct option	*lo;
	const char		*arg = argv[optind - 1];
	char			 cands[256] = "";
	size_t			 n, ncands = 0;

	if (c == ':') {
		/* A value can only be missing at the very end of argv. */
		arg = argv[argc - 1];
		if (strncmp(arg, "--", 2) == 0)
			ap_set_error(errbuf, errlen, "option '%s' needs a value",
			    arg);
		else
			ap_set_error(errbuf, errlen, "option '-%c' needs a value",
			    optopt);
		return;
	}
	if (optopt != 0 && optopt < 256 &&
	    (optopt == ':' || strchr(shortopts, optopt) == NULL)) {
		ap_set_error(errbuf, errlen, "unknown option '-%c'", optopt);
		return;
	}
	if (optopt > 0) {
		/* A known option that takes no value, as --quiet=yes. */
		for (lo = longopts; lo->name != NULL; lo++) {
			if (lo->val == optopt)
				break;
		}
		ap_set_error(errbuf, errlen, "option '--%s' takes no value",
		    lo->name != NULL ? lo->name : "?");
		return;
	}
	n = strcspn(arg, "=");
	if (strncmp(arg, "--", 2) == 0 && n > 2) {
		for (lo = longopts; lo->name != NULL; lo++) {
			if (strncmp(lo->name, arg + 2, n - 2) != 0)
				continue;
			if (ncands++ > 0)
				strncat(cands, ", ",
				    sizeof(cands) - strlen(cands) - 1);
			strncat(cands, "--", sizeof(cands) - strlen(cands) - 1);
			strncat(cands, lo->name,
			    sizeof(cands) - strlen(cands) - 1);
		}
	}
	if (ncands > 1)
		ap_set_error(errbuf, errlen, "ambiguous option '%.*s' (%s)",
		    (int)n, arg, cands);
	else
		ap_set_error(errbuf, errlen, "unknown option '%.*s'", (int)n, arg);
}

static void
set_string(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

/* --serve ADDR:PORT: a numeric address (IPv6 in brackets) and a port,
 * 0 for any free one (the one bound is said on stderr). */
static int
parse_serve(const char *arg, struct ap_options *o, char *why, size_t len)
{
	struct ap_addr	 a;
	const char	*colon = strrchr(arg, ':');
	char		 host[AP_IPSTR_LEN];
	uint64_t	 port;
	size_t		 n;

	if (colon == NULL) {
		snprintf(why, len, "expected ADDR:PORT, such as "
		    "127.0.0.1:9115 or [::1]:9115");
		return (-1);
	}
	n = (size_t)(colon - arg);
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') {
		arg++;
		n -= 2;
	} else if (memchr(arg, ':', n) != NULL) {
		snprintf(why, len, "an IPv6 address goes in brackets: "
		    "[::1]:9115");
		return (-1);
	}
	if (n == 0 || n >= sizeof(host)) {
		snprintf(why, len, "expected a numeric address before the "
		    "port (0.0.0.0 for every one)");
		return (-1);
	}
	memcpy(host, arg, n);
	host[n] = '\0';
	if (ap_addr_pton(host, 0, &a) == -1) {
		snprintf(why, len, "'%s' is not a numeric IPv4 or IPv6 "
		    "address", host);
		return (-1);
	}
	if (ap_parse_uint(colon + 1, 0, 65535, &port, why, len) == -1)
		return (-1);
	ap_addr_set_port(&a, (uint16_t)port);
	o->serve = a;
	o->have_serve = true;
	return (0);
}

static int
parse_one(int c, const char *arg, struct ap_options *o, int *seen4,
    int *seen6, char *errbuf, size_t errlen)
{
	struct ap_portlist	 pl;
	char			 why[AP_LINE_MAX / 4];
	int64_t			 ms;
	uint64_t		 u;

	switch (c) {
	case 't':
		if (ap_parse_duration_ms(arg, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
		    &ms, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->timeout_ms = (int)ms;
		break;
	case OPT_ATTEMPT_TIMEOUT:
		if (ap_parse_duration_ms(arg, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
		    &ms, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->attempt_timeout_ms = (int)ms;
		break;
	case OPT_ATTEMPT_DELAY:
		/* Out of range is clamped, as RFC 8305 section 5 bounds it. */
		if (ap_parse_duration_ms(arg, 0, INT64_MAX, &ms, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		if (ms < AP_ATTEMPT_DELAY_MIN_MS)
			ms = AP_ATTEMPT_DELAY_MIN_MS;
		if (ms > AP_ATTEMPT_DELAY_MAX_MS)
			ms = AP_ATTEMPT_DELAY_MAX_MS;
		o->attempt_delay_ms = (int)ms;
		break;
	case OPT_SEQUENTIAL:
		o->sequential = true;
		break;
	case '4':
		*seen4 = 1;
		o->family = AF_INET;
		break;
	case '6':
		*seen6 = 1;
		o->family = AF_INET6;
		break;
	case 'm':
		o->all_addresses = true;
		break;
	case 'p':
		if (ap_portlist_parse(arg, &pl, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		ap_portlist_free(&o->ports);
		o->ports = pl;
		break;
	case 'S':
		if (ap_addr_pton(arg, 0, &o->source) == -1)
			return (bad_value(c, arg, "expected a numeric IPv4 or "
			    "IPv6 address", errbuf, errlen));
		o->have_source = true;
		break;
	case 'r':
		if (ap_parse_uint(arg, 0, AP_RETRIES_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->retries = (int)u;
		break;
	case OPT_SEND:
		if (set_bytes(&o->send_data, &o->send_len, arg, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_EXPECT:
		if (set_bytes(&o->expect, &o->expect_len, arg, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_BANNER:
		/* Only "--banner=N" has a value; bare --banner is 256. */
		if (arg == NULL)
			u = AP_DEFAULT_BANNER_MAX;
		else if (ap_parse_uint(arg, 1, AP_BANNER_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->banner_max = (int)u;
		break;
	case 'c':
		if (ap_parse_uint(arg, 1, CONCURRENCY_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->concurrency = (int)u;
		break;
	case OPT_RATE:
		if (ap_parse_uint(arg, 0, AP_RATE_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->rate = (unsigned)u;
		break;
	case 'j':
		if (ap_parse_uint(arg, 1, AP_THREADS_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->threads = (int)u;
		break;
	case OPT_SHARD:
		if (parse_shard(arg, &o->shard_k, &o->shard_n, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_MAX_RUNTIME:
		/* 0 is "no limit", as the default, for scripts. */
		if (ap_parse_duration_ms(arg, 0, RUNTIME_MAX_MS, &ms, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->max_runtime_ms = (int)ms;
		break;
	case OPT_RESOLVER:
		if (check_resolver(arg, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		if (o->nresolvers == AP_MAX_RESOLVERS) {
			snprintf(why, sizeof(why), "at most %d resolvers",
			    AP_MAX_RESOLVERS);
			return (bad_value(c, arg, why, errbuf, errlen));
		}
		o->resolvers[o->nresolvers++] = xstrdup(arg);
		break;
	case OPT_HOSTS_FILE:
		if (*arg == '\0')
			return (bad_value(c, arg, "expected a file name or "
			    "none", errbuf, errlen));
		set_string(&o->hosts_file, strcmp(arg, "none") == 0 ? NULL :
		    arg);
		break;
	case OPT_RESOLVE:
		o->pins = xreallocarray(o->pins, o->npins + 1,
		    sizeof(*o->pins));
		if (parse_pin(arg, &o->pins[o->npins], why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->npins++;
		break;
	case 'n':
		o->numeric = true;
		break;
	case 'f':
		if ((o->format = ap_output_find(arg)) == NULL) {
			snprintf(why, sizeof(why), "expected one of %s",
			    ap_output_list());
			return (bad_value(c, arg, why, errbuf, errlen));
		}
		break;
	case 'o':
		if (*arg == '\0')
			return (bad_value(c, arg, "expected a file name",
			    errbuf, errlen));
		/* "-o -" is stdout, as for the input operands. */
		set_string(&o->output, strcmp(arg, "-") == 0 ? NULL : arg);
		break;
	case 'a':
		o->only_alive = true;
		break;
	case 'u':
		o->only_unreachable = true;
		break;
	case OPT_ORDERED:
		o->ordered = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_LABEL:
		if (check_label(arg, o, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->labels = xreallocarray(o->labels, o->nlabels + 1,
		    sizeof(*o->labels));
		o->labels[o->nlabels++] = xstrdup(arg);
		break;
	case OPT_NO_HEADER:
		o->no_header = true;
		break;
	case 's':
		o->stats = true;
		break;
	case OPT_PROGRESS:
		/* Bare --progress asks for it, as -v asks for more. */
		if (arg == NULL || strcmp(arg, "always") == 0)
			o->progress = AP_PROGRESS_ALWAYS;
		else if (strcmp(arg, "auto") == 0)
			o->progress = AP_PROGRESS_AUTO;
		else if (strcmp(arg, "never") == 0)
			o->progress = AP_PROGRESS_NEVER;
		else
			return (bad_value(c, arg, "expected auto, always or "
			    "never", errbuf, errlen));
		break;
	case 'v':
		if (o->verbose < 100)
			o->verbose++;
		break;
	case 'x':
		if (ap_parse_threshold(arg, &o->min_up, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		/* fping refuses -x 0 too: a check that cannot fail. */
		if (o->min_up.value <= 0)
			return (bad_value(c, arg, "must be more than 0", errbuf,
			    errlen));
		break;
	case OPT_WARN_DOWN:
		if (ap_parse_threshold(arg, &o->warn_down, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_CRIT_DOWN:
		if (ap_parse_threshold(arg, &o->crit_down, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_INTERVAL:
		if (ap_parse_duration_ms(arg, INTERVAL_MIN_MS, RUNTIME_MAX_MS,
		    &ms, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->interval_ms = ms;
		break;
	case OPT_COUNT:
		if (ap_parse_uint(arg, 1, UINT32_MAX, &u, why,
		    sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		o->count = u;
		break;
	case OPT_CHANGES:
		o->changes = true;
		break;
	case OPT_SERVE:
		if (parse_serve(arg, o, why, sizeof(why)) == -1)
			return (bad_value(c, arg, why, errbuf, errlen));
		break;
	case OPT_SERVE_ANY:
		o->serve_any = true;
		break;
	}
	return (0);
}

/* SPEC 1: the monitor options mean something only in monitor mode, and
 * monitor mode runs on one event loop, the one that serves HTTP. */
static int
check_monitor(const struct ap_options *o, char *errbuf, size_t errlen)
{
	const char	*needs = NULL;

	if (o->interval_ms == 0) {
		if (o->count > 0)
			needs = "--count";
		else if (o->changes)
			needs = "--changes";
		else if (o->have_serve)
			needs = "--serve";
		if (needs != NULL) {
			ap_set_error(errbuf, errlen, "%s applies to monitor "
			    "mode: give --interval too", needs);
			return (-1);
		}
	}
	if (o->serve_any && !o->have_serve) {
		ap_set_error(errbuf, errlen, "--serve-any applies to --serve");
		return (-1);
	}
	if (o->changes && o->output != NULL) {
		ap_set_error(errbuf, errlen, "--changes and -o/--output %s: the "
		    "file, replaced every round, would hold only the last "
		    "round's changes (append the standard output instead)",
		    o->output);
		return (-1);
	}
	if (o->changes && o->format->whole_run) {
		ap_set_error(errbuf, errlen, "--changes: -f %s sums up every "
		    "target each round", o->format->name);
		return (-1);
	}
	if (o->interval_ms > 0 && o->threads > 1) {
		ap_set_error(errbuf, errlen, "-j/--threads %d: monitor mode "
		    "runs on one event loop", o->threads);
		return (-1);
	}
	return (0);
}

enum ap_cli_rc
ap_cli_parse(int argc, char **argv, struct ap_options *o, char *errbuf,
    size_t errlen)
{
	char	 source[AP_IPSTR_LEN];
	int	 c, i, n, seen4 = 0, seen6 = 0;
	bool	 thresholds = false;	/* --warn-down or --crit-down */

	memset(o, 0, sizeof(*o));
	o->timeout_ms = AP_DEFAULT_TIMEOUT_MS;
	o->attempt_delay_ms = AP_DEFAULT_ATTEMPT_DELAY_MS;
	o->family = AF_UNSPEC;
	o->concurrency = AP_DEFAULT_CONCURRENCY;
	o->hosts_file = xstrdup("/etc/hosts");
	o->shard_k = o->shard_n = 1;
	o->format = ap_output_find("text");
	o->progress = AP_PROGRESS_AUTO;
	/* nagios: any target down is already CRITICAL, like check_tcp. */
	o->warn_down.set = o->crit_down.set = true;
	o->warn_down.value = o->crit_down.value = 1;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';

	/* Start over each time: tests, and main.c, may call us again. */
#ifdef __GLIBC__
	optind = 0;
#else
	optreset = 1;
	optind = 1;
#endif
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case ':':
		case '?':
			getopt_error(c, argv, argc, errbuf, errlen);
			return (AP_CLI_ERROR);
		case 'h':
			return (AP_CLI_HELP);
		case 'V':
			return (AP_CLI_VERSION);
		default:
			if (parse_one(c, optarg, o, &seen4, &seen6, errbuf,
			    errlen) == -1)
				return (AP_CLI_ERROR);
			if (c == OPT_WARN_DOWN || c == OPT_CRIT_DOWN)
				thresholds = true;
			break;
		}
	}

	if (seen4 && seen6) {
		ap_set_error(errbuf, errlen, "-4 and -6 are mutually exclusive");
		return (AP_CLI_ERROR);
	}
	if (o->only_alive && o->only_unreachable) {
		ap_set_error(errbuf, errlen, "-a/--alive and -u/--unreachable are "
		    "mutually exclusive");
		return (AP_CLI_ERROR);
	}
	/* SPEC 1: an option that would be ignored is a usage error. */
	if (o->nlabels > 0 && !o->format->labels && !o->have_serve) {
		ap_set_error(errbuf, errlen, "--label applies to -f prom and "
		    "--serve, not -f %s", o->format->name);
		return (AP_CLI_ERROR);
	}
	if (o->min_up.set && o->format->exit_code != NULL) {
		ap_set_error(errbuf, errlen, "-x/--min-up: -f %s has exit codes "
		    "of its own (--warn-down, --crit-down)", o->format->name);
		return (AP_CLI_ERROR);
	}
	if (thresholds && o->format->exit_code == NULL) {
		ap_set_error(errbuf, errlen, "--warn-down and --crit-down apply "
		    "to -f nagios, not -f %s", o->format->name);
		return (AP_CLI_ERROR);
	}
	if (o->no_header && o->format->begin == NULL) {
		ap_set_error(errbuf, errlen, "--no-header: -f %s has no header",
		    o->format->name);
		return (AP_CLI_ERROR);
	}
	if (o->quiet && o->output != NULL) {
		/* The file would be replaced by an empty one every run. */
		ap_set_error(errbuf, errlen, "-q/--quiet and -o/--output %s are "
		    "mutually exclusive: -q writes no records", o->output);
		return (AP_CLI_ERROR);
	}
	if (check_monitor(o, errbuf, errlen) == -1)
		return (AP_CLI_ERROR);
	if (o->have_source && o->family != AF_UNSPEC &&
	    o->source.u.sa.sa_family != o->family) {
		ap_addr_ntop(&o->source, source, sizeof(source));
		ap_set_error(errbuf, errlen, "-S/--source %s is not an %s address "
		    "but %s was given", source,
		    o->family == AF_INET ? "IPv4" : "IPv6",
		    o->family == AF_INET ? "-4" : "-6");
		return (AP_CLI_ERROR);
	}

	n = argc > optind ? argc - optind : 0;
	o->files = xcalloc((size_t)n + 1, sizeof(*o->files));
	for (i = 0; i < n; i++)
		o->files[i] = xstrdup(argv[optind + i]);
	return (AP_CLI_OK);
}

void
ap_options_free(struct ap_options *o)
{
	int	i;

	if (o == NULL)
		return;
	ap_portlist_free(&o->ports);
	free(o->send_data);
	free(o->expect);
	for (i = 0; i < o->nresolvers; i++)
		free(o->resolvers[i]);
	free(o->hosts_file);
	for (i = 0; i < o->npins; i++)
		ap_pin_free(&o->pins[i]);
	free(o->pins);
	free(o->output);
	for (i = 0; i < (int)o->nlabels; i++)
		free(o->labels[i]);
	free(o->labels);
	if (o->files != NULL) {
		for (i = 0; o->files[i] != NULL; i++)
			free(o->files[i]);
		free(o->files);
	}
	memset(o, 0, sizeof(*o));
}

/* The format list comes from the writer registry. */
void
ap_cli_usage(FILE *fp)
{
	const char	*at = strstr(usage_text, "@FORMATS@");

	fwrite(usage_text, 1, at - usage_text, fp);
	fputs(ap_output_list(), fp);
	fputs(at + strlen("@FORMATS@"), fp);
}

void
ap_cli_version(FILE *fp)
{
	fprintf(fp, "%s %s\nlibevent %s\n", PACKAGE_NAME, PACKAGE_VERSION,
	    event_get_version());
}
