/* SPDX-License-Identifier: ISC */
/* fuzz_writers.c -- records built from the fuzz bytes (strings with any
 * byte, any status, errno, number and attempt) through the json, csv and
 * text writers into open_memstream() buffers, then read back with parsers
 * written here: a strict RFC 8259 parser that decodes every string, and a
 * strict RFC 4180 parser.  Every field must come back as it went in, after
 * the one documented change: in JSON a byte that starts no well-formed
 * UTF-8 sequence becomes U+FFFD; in CSV, as in text, every byte of a
 * control, of invalid UTF-8 or of a character a terminal obeys becomes
 * \xHH.  The text and csv writers must leave no byte that drives a
 * terminal. */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "output.h"
#include "result.h"

#define MAX_RECORDS	4
#define MAX_ATTEMPTS	4
#define STR_MAX		200
#define NFIELDS		17

static const char *const status_words[AP_STATUS_COUNT] = {
	"connected", "refused", "timeout", "unreachable", "denied",
	"unresolved", "mismatch", "error", "invalid", "cancelled"
};
static const char *const stage_words[] = {
	"", "resolve", "socket", "bind", "connect", "handshake"
};
static const char *const json_keys[] = {
	"target", "host", "port", "status", "ip", "rtt_ms", "elapsed_ms",
	"errno", "error", "icmp", "icmp_from", "addresses", "degraded",
	"line", "banner", "timestamp", "attempts"
};
static const char csv_header[] = "target,host,port,status,ip,rtt_ms,"
    "elapsed_ms,errno,error,icmp,icmp_from,addresses,degraded,line,banner,"
    "timestamp,attempts";
static const int some_errors[] = {
	0, ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
	EACCES, EPERM, EADDRNOTAVAIL, EMFILE, ECANCELED, AP_ERR_NXDOMAIN,
	AP_ERR_NODATA, AP_ERR_SERVFAIL, AP_ERR_DNS, 0
};

/* A growing byte buffer. */
struct sb {
	unsigned char	*b;
	size_t		 n, cap;
};

static void
sb_put(struct sb *s, const void *p, size_t n)
{
	if (s->n + n + 1 > s->cap) {
		s->cap = (s->n + n + 1) * 2;
		if ((s->b = realloc(s->b, s->cap)) == NULL)
			abort();
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
	s->b[s->n] = '\0';
}

static void
sb_puts(struct sb *s, const char *str)
{
	sb_put(s, str, strlen(str));
}

/* The writers' one change: a byte starting no well-formed sequence is
 * U+FFFD.  CSV also turns NUL into U+FFFD; JSON keeps it as \u0000. */
static void
sb_repl(struct sb *s, const void *p, size_t len, bool nul_too)
{
	const unsigned char	*u = p;
	uint32_t		 cp;
	size_t			 i, n;

	sb_put(s, "", 0);
	for (i = 0; i < len; i += n) {
		n = fuzz_utf8(u + i, len - i, &cp);
		if (n == 0 || (nul_too && cp == 0)) {
			sb_put(s, "\xef\xbf\xbd", 3);
			n = 1;
		} else
			sb_put(s, u + i, n);
	}
}

/* A character a terminal would obey rather than show: C1, and the
 * bidirectional and zero-width format characters. */
static bool
cp_dangerous(uint32_t cp)
{
	return ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

/* CSV's change, as text's: every byte of what is not printable ASCII or
 * harmless well-formed UTF-8 as \xHH; with peer (a banner), a backslash
 * as \\ too. */
static void
sb_csv(struct sb *s, const void *p, size_t len, bool peer)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*u = p;
	uint32_t		 cp;
	size_t			 i, n, k;
	char			 esc[4] = { '\\', 'x' };

	sb_put(s, "", 0);
	for (i = 0; i < len; i += n) {
		n = fuzz_utf8(u + i, len - i, &cp);
		if (peer && cp == '\\' && n == 1) {
			sb_put(s, "\\\\", 2);
			continue;
		}
		if (n != 0 && cp >= 0x20 && cp != 0x7f && !cp_dangerous(cp)) {
			sb_put(s, u + i, n);
			continue;
		}
		if (n == 0)
			n = 1;
		for (k = 0; k < n; k++) {
			esc[2] = hex[u[i + k] >> 4];
			esc[3] = hex[u[i + k] & 0x0f];
			sb_put(s, esc, 4);
		}
	}
}

/* Microseconds as milliseconds, 3 decimals, exact for any int64_t. */
static void
fmt_ms(int64_t us, char *buf, size_t len)
{
	uint64_t	 mag = us < 0 ? (uint64_t)-(us + 1) + 1 : (uint64_t)us;

	snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, us < 0 ? "-" : "",
	    mag / 1000, mag % 1000);
}

/* RFC 3339 for years 1970-9999 from the day count (Hinnant's civil
 * calendar), not from gmtime(); "" elsewhere, where the check is off. */
static bool
fmt_time(int64_t ms, char *buf, size_t len)
{
	int64_t	 days, rem, z, era, doe, yoe, y, doy, mp, d, m;

	if (ms < 0 || ms >= 253402300800000LL)
		return (false);
	days = ms / 86400000;
	rem = ms % 86400000;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y,
	    (int)m, (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return (true);
}

/* One generated record and the storage it borrows. */
struct rec {
	struct ap_result	 r;
	struct ap_attempt	 att[MAX_ATTEMPTS];
	char			*str[6];	/* target host ip error file
						   banner */
};

/* A string of up to max bytes, or NULL when null; as a C string it ends
 * at its first NUL, which is what a writer sees. */
static char *
gen_str(struct fz *f, bool null, size_t *lenp)
{
	const uint8_t	*p;
	char		*s;
	size_t		 len;

	p = fz_bytes(f, STR_MAX, &len);
	if (null)
		return (NULL);
	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (s);
}

static int64_t
gen_i64(struct fz *f)
{
	switch (fz_u8(f) % 4) {
	case 0:
		return (-1);
	case 1:
		return ((int64_t)fz_u32(f));
	case 2:
		return ((int64_t)fz_u8(f) - 128);
	default:
		return ((int64_t)fz_u64(f));
	}
}

static int
gen_error(struct fz *f)
{
	uint8_t	 c = fz_u8(f);

	if (c < sizeof(some_errors) / sizeof(some_errors[0]))
		return (some_errors[c]);
	if (c < 200)
		return (c - 150);	/* small, negative too */
	return ((int)fz_u32(f));
}

static void
gen_record(struct fz *f, struct rec *x)
{
	struct ap_result	*r = &x->r;
	struct ap_attempt	*a;
	unsigned char		 addr[16];
	uint8_t			 flags = fz_u8(f), c;
	size_t			 i, blen = 0;

	memset(x, 0, sizeof(*x));
	r->target = x->str[0] = gen_str(f, flags & 1, NULL);
	r->host = x->str[1] = gen_str(f, flags & 2, NULL);
	r->ip = x->str[2] = gen_str(f, flags & 4, NULL);
	r->error_text = x->str[3] = gen_str(f, !(flags & 8), NULL);
	r->file = x->str[4] = gen_str(f, flags & 16, NULL);
	r->banner = x->str[5] = gen_str(f, flags & 32, &blen);
	r->banner_len = r->banner != NULL ? blen : 0;
	r->degraded = (flags & 64) != 0;
	c = fz_u8(f);
	r->port = c < 32 ? 0 : c < 128 ? (unsigned)(fz_u32(f) & 0xffff) :
	    fz_u32(f);
	r->status = (enum ap_status)(fz_u8(f) % AP_STATUS_COUNT);
	r->rtt_us = gen_i64(f);
	r->elapsed_us = gen_i64(f);
	r->error = gen_error(f);
	r->addresses = fz_u32(f);
	r->line = (unsigned long)fz_u64(f);
	r->timestamp_ms = fz_u8(f) < 200 ? 1700000000000LL +
	    (int64_t)fz_u32(f) : (int64_t)fz_u64(f);
	r->nattempts = fz_u8(f) % (MAX_ATTEMPTS + 1);
	r->attempts = r->nattempts > 0 || (flags & 128) ? x->att : NULL;
	for (i = 0; i < r->nattempts; i++) {
		a = &x->att[i];
		c = fz_u8(f);
		memset(addr, 0, sizeof(addr));
		addr[0] = fz_u8(f);
		addr[15] = fz_u8(f);
		a->family = c & 1 ? AF_INET6 : AF_INET;
		inet_ntop(a->family, addr, a->ip, sizeof(a->ip));
		if (c & 2)
			a->ip[0] = '\0';
		a->error = gen_error(f);
		a->stage = (enum ap_stage)(fz_u8(f) % 6);
		a->start_us = gen_i64(f);
		a->duration_us = gen_i64(f);
	}
}

static void
rec_free(struct rec *x)
{
	size_t	i;

	for (i = 0; i < 6; i++)
		free(x->str[i]);
}

/* Run one writer over the records; its whole output in *out. */
static void
run_writer(const struct ap_writer_ops *ops, int verbose, struct rec *v,
    size_t n, char **out, size_t *outlen)
{
	struct ap_writer	 w;
	FILE			*fp;
	size_t			 i;

	if ((fp = open_memstream(out, outlen)) == NULL)
		abort();
	memset(&w, 0, sizeof(w));
	w.ops = ops;
	w.fp = fp;
	w.verbose = verbose;
	FUZZ_CHECK(ap_writer_begin(&w) == 0, "%s begin", ops->name);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(ap_writer_write(&w, &v[i].r) == 0, "%s write",
		    ops->name);
	FUZZ_CHECK(ap_writer_end(&w) == 0, "%s end", ops->name);
	if (fclose(fp) == EOF)
		abort();
}

/* JSON values, strictly as RFC 8259 has them. */
enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype	 t;
	struct sb	 s;		/* number text or decoded string */
	struct jv	*items;		/* array items or object values */
	struct sb	*keys;		/* object keys, decoded */
	size_t		 n;
};

struct jp {
	const unsigned char	*p, *end;
};

static void
jv_free(struct jv *v)
{
	size_t	i;

	free(v->s.b);
	for (i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i].b);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static int
jp_hex4(struct jp *j, uint32_t *v)
{
	int	i, d;

	*v = 0;
	if (j->end - j->p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		if ((d = hexval(j->p[i])) == -1)
			return (-1);
		*v = *v << 4 | (uint32_t)d;
	}
	j->p += 4;
	return (0);
}

/* A string after its opening quote, decoded into out. */
static int
jp_string(struct jp *j, struct sb *out)
{
	unsigned char	 u[4];
	uint32_t	 cp, lo;
	size_t		 n;

	sb_put(out, "", 0);
	for (;;) {
		if (j->p == j->end || *j->p < 0x20)
			return (-1);	/* unterminated, or a raw control */
		if (*j->p == '"') {
			j->p++;
			return (0);
		}
		if (*j->p != '\\') {
			if ((n = fuzz_utf8(j->p, (size_t)(j->end - j->p),
			    &cp)) == 0)
				return (-1);
			sb_put(out, j->p, n);
			j->p += n;
			continue;
		}
		if (++j->p == j->end)
			return (-1);
		switch (*j->p++) {
		case '"': sb_put(out, "\"", 1); break;
		case '\\': sb_put(out, "\\", 1); break;
		case '/': sb_put(out, "/", 1); break;
		case 'b': sb_put(out, "\b", 1); break;
		case 'f': sb_put(out, "\f", 1); break;
		case 'n': sb_put(out, "\n", 1); break;
		case 'r': sb_put(out, "\r", 1); break;
		case 't': sb_put(out, "\t", 1); break;
		case 'u':
			if (jp_hex4(j, &cp) == -1)
				return (-1);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return (-1);	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 2 || j->p[0] != '\\' ||
				    j->p[1] != 'u')
					return (-1);
				j->p += 2;
				if (jp_hex4(j, &lo) == -1 || lo < 0xdc00 ||
				    lo > 0xdfff)
					return (-1);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			sb_put(out, u, fuzz_utf8_put(cp, u));
			break;
		default:
			return (-1);
		}
	}
}

static bool
jp_digit(struct jp *j)
{
	return (j->p < j->end && *j->p >= '0' && *j->p <= '9');
}

static int
jp_number(struct jp *j, struct sb *out)
{
	const unsigned char	*start = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (!jp_digit(j))
		return (-1);
	if (*j->p++ != '0')
		while (jp_digit(j))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jp_digit(j))
			return (-1);
		while (jp_digit(j))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jp_digit(j))
			return (-1);
		while (jp_digit(j))
			j->p++;
	}
	sb_put(out, start, (size_t)(j->p - start));
	return (0);
}

static int
jp_word(struct jp *j, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return (-1);
	j->p += n;
	return (0);
}

static int
jp_value(struct jp *j, struct jv *v, int depth)
{
	size_t	cap = 0;

	memset(v, 0, sizeof(*v));
	if (depth > 8 || j->p == j->end)
		return (-1);
	switch (*j->p) {
	case 'n':
		v->t = J_NULL;
		return (jp_word(j, "null"));
	case 't':
		v->t = J_TRUE;
		return (jp_word(j, "true"));
	case 'f':
		v->t = J_FALSE;
		return (jp_word(j, "false"));
	case '"':
		v->t = J_STR;
		j->p++;
		return (jp_string(j, &v->s));
	case '[':
	case '{':
		v->t = *j->p++ == '[' ? J_ARR : J_OBJ;
		jp_ws(j);
		if (j->p < j->end && *j->p == (v->t == J_ARR ? ']' : '}')) {
			j->p++;
			return (0);
		}
		for (;;) {
			if (v->n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				if ((v->items = realloc(v->items, cap *
				    sizeof(*v->items))) == NULL ||
				    (v->keys = realloc(v->keys, cap *
				    sizeof(*v->keys))) == NULL)
					abort();
			}
			memset(&v->keys[v->n], 0, sizeof(v->keys[v->n]));
			memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
			v->n++;
			if (v->t == J_OBJ) {
				if (j->p == j->end || *j->p != '"')
					return (-1);
				j->p++;
				if (jp_string(j, &v->keys[v->n - 1]) == -1)
					return (-1);
				jp_ws(j);
				if (j->p == j->end || *j->p++ != ':')
					return (-1);
				jp_ws(j);
			}
			if (jp_value(j, &v->items[v->n - 1], depth + 1) == -1)
				return (-1);
			jp_ws(j);
			if (j->p == j->end)
				return (-1);
			if (*j->p == ',') {
				j->p++;
				jp_ws(j);
				continue;
			}
			if (*j->p++ != (v->t == J_ARR ? ']' : '}'))
				return (-1);
			return (0);
		}
	default:
		v->t = J_NUM;
		return (jp_number(j, &v->s));
	}
}

/* A JSON value equal to the expected string, or null when want is NULL. */
static void
check_jstr(const struct jv *v, const char *key, const struct sb *want)
{
	if (want == NULL) {
		FUZZ_CHECK(v->t == J_NULL, "\"%s\" not null", key);
		return;
	}
	FUZZ_CHECK(v->t == J_STR, "\"%s\" not a string (%d)", key, v->t);
	FUZZ_CHECK(v->s.n == want->n && memcmp(v->s.b, want->b, want->n) == 0,
	    "\"%s\" round trip: got '%s'", key, fuzz_show(v->s.b, v->s.n));
}

static void
check_jnum(const struct jv *v, const char *key, const char *want)
{
	if (want == NULL) {
		FUZZ_CHECK(v->t == J_NULL, "\"%s\" not null", key);
		return;
	}
	FUZZ_CHECK(v->t == J_NUM && strcmp((char *)v->s.b, want) == 0,
	    "\"%s\" is '%s' want '%s'", key, v->t == J_NUM ?
	    (char *)v->s.b : "?", want);
}

/* Expected string: NULL stays NULL, with "" as NULL too when empty_null. */
static struct sb *
want_str(struct sb *s, const char *str, size_t len, bool empty_null,
    bool nul_too)
{
	memset(s, 0, sizeof(*s));
	if (str == NULL || (empty_null && len == 0))
		return (NULL);
	sb_repl(s, str, len, nul_too);
	return (s);
}

static const char *
error_text(const struct ap_result *r)
{
	return (r->error_text != NULL ? r->error_text :
	    ap_error_text(r->error));
}

/* An errno name fit for an unquoted CSV field and a JSON string as is. */
static void
check_errno_name(int error)
{
	const char	*name = ap_errno_name(error), *p;

	FUZZ_CHECK((error == 0) == (*name == '\0'), "%d -> '%s'", error,
	    name);
	for (p = name; *p != '\0'; p++)
		FUZZ_CHECK((*p >= 'A' && *p <= 'Z') || (*p >= '0' &&
		    *p <= '9') || *p == '_' || *p == '-', "%d -> '%s'",
		    error, name);
}

static void
check_json_record(const struct jv *o, const struct ap_result *r)
{
	const struct jv		*v = o->items, *a;
	struct sb		 s, *w;
	const char		*text;
	char			 num[64], ts[64];
	size_t			 i;

	FUZZ_CHECK(o->t == J_OBJ && o->n == NFIELDS, "%zu members", o->n);
	for (i = 0; i < NFIELDS; i++)
		FUZZ_CHECK(strcmp((char *)o->keys[i].b, json_keys[i]) == 0,
		    "member %zu is \"%s\"", i, (char *)o->keys[i].b);

	w = want_str(&s, r->target, r->target ? strlen(r->target) : 0, false,
	    false);
	check_jstr(&v[0], "target", w);
	free(s.b);
	w = want_str(&s, r->host, r->host ? strlen(r->host) : 0, false,
	    false);
	check_jstr(&v[1], "host", w);
	free(s.b);
	snprintf(num, sizeof(num), "%u", r->port);
	check_jnum(&v[2], "port", r->port == 0 ? NULL : num);
	FUZZ_CHECK(v[3].t == J_STR && strcmp((char *)v[3].s.b,
	    status_words[r->status]) == 0, "status");
	w = want_str(&s, r->ip, r->ip ? strlen(r->ip) : 0, true, false);
	check_jstr(&v[4], "ip", w);
	free(s.b);
	fmt_ms(r->rtt_us, num, sizeof(num));
	check_jnum(&v[5], "rtt_ms", r->rtt_us < 0 ? NULL : num);
	fmt_ms(r->elapsed_us, num, sizeof(num));
	check_jnum(&v[6], "elapsed_ms", num);
	check_errno_name(r->error);
	text = ap_errno_name(r->error);
	w = want_str(&s, text, strlen(text), true, false);
	check_jstr(&v[7], "errno", w);
	free(s.b);
	text = error_text(r);
	w = want_str(&s, text, strlen(text), true, false);
	check_jstr(&v[8], "error", w);
	free(s.b);
	/* The records made here carry no ICMP detail. */
	FUZZ_CHECK(r->icmp == NULL && v[9].t == J_NULL && v[10].t == J_NULL,
	    "icmp");
	snprintf(num, sizeof(num), "%u", r->addresses);
	check_jnum(&v[11], "addresses", num);
	FUZZ_CHECK(v[12].t == (r->degraded ? J_TRUE : J_FALSE), "degraded");
	text = r->file != NULL ? r->file : "-";
	memset(&s, 0, sizeof(s));
	sb_repl(&s, text, strlen(text), false);
	snprintf(num, sizeof(num), ":%lu", r->line);
	sb_puts(&s, num);
	check_jstr(&v[13], "line", &s);
	free(s.b);
	w = want_str(&s, r->banner, r->banner_len, false, false);
	check_jstr(&v[14], "banner", w);
	free(s.b);
	FUZZ_CHECK(v[15].t == J_STR, "timestamp");
	if (fmt_time(r->timestamp_ms, ts, sizeof(ts)))
		FUZZ_CHECK(strcmp((char *)v[15].s.b, ts) == 0, "timestamp "
		    "'%s' want '%s'", (char *)v[15].s.b, ts);

	a = &v[16];
	FUZZ_CHECK(a->t == J_ARR && a->n == (r->attempts != NULL ?
	    r->nattempts : 0), "attempts");
	for (i = 0; i < a->n; i++) {
		const struct ap_attempt	*at = &r->attempts[i];
		const struct jv		*m = a->items[i].items;
		static const char *const akeys[] = { "ip", "errno", "stage",
		    "ms", "icmp", "icmp_from" };
		size_t			 k;

		FUZZ_CHECK(a->items[i].t == J_OBJ && a->items[i].n == 6, "");
		FUZZ_CHECK(at->icmp.origin != AP_ICMP_NONE || (m[4].t == J_NULL &&
		    m[5].t == J_NULL), "attempts.icmp");
		for (k = 0; k < 6; k++)
			FUZZ_CHECK(strcmp((char *)a->items[i].keys[k].b,
			    akeys[k]) == 0, "attempt member %zu", k);
		w = want_str(&s, at->ip, strlen(at->ip), true, false);
		check_jstr(&m[0], "attempts.ip", w);
		free(s.b);
		check_errno_name(at->error);
		text = ap_errno_name(at->error);
		w = want_str(&s, text, strlen(text), true, false);
		check_jstr(&m[1], "attempts.errno", w);
		free(s.b);
		text = stage_words[at->stage];
		w = want_str(&s, text, strlen(text), true, false);
		check_jstr(&m[2], "attempts.stage", w);
		free(s.b);
		fmt_ms(at->duration_us, num, sizeof(num));
		check_jnum(&m[3], "attempts.ms", num);
	}
}

static void
check_json(const char *out, size_t len, struct rec *v, size_t n)
{
	const unsigned char	*p = (const unsigned char *)out, *nl;
	struct jp		 j;
	struct jv		 o;
	size_t			 i, bad;

	/* Escaped: no raw control, DEL or C1 byte, all valid UTF-8. */
	FUZZ_CHECK(fuzz_printable(out, len, "\n", &bad), "json byte %zu "
	    "'%s'", bad, fuzz_show(out + bad, len - bad < 16 ? len - bad :
	    16));
	for (i = 0; i < n; i++) {
		nl = memchr(p, '\n', len - (size_t)(p - (const unsigned char *)
		    out));
		FUZZ_CHECK(nl != NULL, "record %zu has no newline", i);
		j.p = p;
		j.end = nl;
		FUZZ_CHECK(jp_value(&j, &o, 0) == 0 && j.p == j.end,
		    "record %zu is not JSON at byte %zu: '%s'", i,
		    (size_t)(j.p - p), fuzz_show(p, (size_t)(nl - p)));
		check_json_record(&o, &v[i].r);
		jv_free(&o);
		p = nl + 1;
	}
	FUZZ_CHECK(p == (const unsigned char *)out + len, "bytes after the "
	    "last record");
}

/* RFC 4180, strictly: fields as decoded byte strings, CRLF after each
 * record, quotes only around a whole field. */
struct csv_rec {
	struct sb	f[NFIELDS + 1];
	size_t		n;
};

static int
csv_parse_record(const unsigned char **pp, const unsigned char *end,
    struct csv_rec *rec)
{
	const unsigned char	*p = *pp;
	struct sb		*f;

	memset(rec, 0, sizeof(*rec));
	for (;;) {
		if (rec->n == NFIELDS + 1)
			return (-1);
		f = &rec->f[rec->n++];
		sb_put(f, "", 0);
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p == end)
					return (-1);
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						sb_put(f, "\"", 1);
						p++;
						continue;
					}
					p++;
					break;
				}
				sb_put(f, p, 1);
			}
		} else {
			for (; p < end && *p != ',' && *p != '\r'; p++) {
				if (*p == '"' || *p == '\n')
					return (-1);
				sb_put(f, p, 1);
			}
		}
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			*pp = p + 2;
			return (0);
		}
		return (-1);
	}
}

static void
csv_rec_free(struct csv_rec *rec)
{
	size_t	i;

	for (i = 0; i < NFIELDS + 1; i++)
		free(rec->f[i].b);
}

static void
check_cfield(const struct csv_rec *c, size_t i, const struct sb *want,
    const char *lit)
{
	const void	*b = want != NULL ? (const void *)want->b : lit;
	size_t		 n = want != NULL ? want->n : strlen(lit);

	FUZZ_CHECK(c->f[i].n == n && memcmp(c->f[i].b, b, n) == 0,
	    "csv field %s is '%s'", json_keys[i], fuzz_show(c->f[i].b,
	    c->f[i].n));
}

static void
check_csv_record(const struct csv_rec *c, const struct ap_result *r)
{
	struct sb	 s;
	const char	*text;
	char		 num[64], ts[64];
	size_t		 i;

	FUZZ_CHECK(c->n == NFIELDS, "%zu fields", c->n);
#define CSTR(i, str, len) CSTR_AS(i, str, len, false)
#define CSTR_AS(i, str, len, peer) do {					\
	memset(&s, 0, sizeof(s));					\
	if ((str) != NULL)						\
		sb_csv(&s, (str), (len), (peer));			\
	check_cfield(c, (i), (str) != NULL ? &s : NULL, "");		\
	free(s.b);							\
} while (0)
	CSTR(0, r->target, r->target ? strlen(r->target) : 0);
	CSTR(1, r->host, r->host ? strlen(r->host) : 0);
	snprintf(num, sizeof(num), "%u", r->port);
	check_cfield(c, 2, NULL, r->port == 0 ? "" : num);
	check_cfield(c, 3, NULL, status_words[r->status]);
	CSTR(4, r->ip, r->ip ? strlen(r->ip) : 0);
	fmt_ms(r->rtt_us, num, sizeof(num));
	check_cfield(c, 5, NULL, r->rtt_us < 0 ? "" : num);
	fmt_ms(r->elapsed_us, num, sizeof(num));
	check_cfield(c, 6, NULL, num);
	check_cfield(c, 7, NULL, ap_errno_name(r->error));
	text = error_text(r);
	CSTR(8, text, strlen(text));
	check_cfield(c, 9, NULL, "");		/* no ICMP detail here */
	check_cfield(c, 10, NULL, "");
	snprintf(num, sizeof(num), "%u", r->addresses);
	check_cfield(c, 11, NULL, num);
	check_cfield(c, 12, NULL, r->degraded ? "true" : "false");
	text = r->file != NULL ? r->file : "-";
	memset(&s, 0, sizeof(s));
	sb_csv(&s, text, strlen(text), false);
	snprintf(num, sizeof(num), ":%lu", r->line);
	sb_puts(&s, num);
	check_cfield(c, 13, &s, NULL);
	free(s.b);
	CSTR_AS(14, r->banner, r->banner_len, true);
#undef CSTR
#undef CSTR_AS
	if (fmt_time(r->timestamp_ms, ts, sizeof(ts)))
		check_cfield(c, 15, NULL, ts);
	memset(&s, 0, sizeof(s));
	sb_put(&s, "", 0);
	for (i = 0; r->attempts != NULL && i < r->nattempts; i++) {
		if (i > 0)
			sb_puts(&s, ";");
		sb_puts(&s, r->attempts[i].ip);
		sb_puts(&s, "=");
		sb_puts(&s, r->attempts[i].error == 0 ? "ok" :
		    ap_errno_name(r->attempts[i].error));
	}
	check_cfield(c, 16, &s, NULL);
	free(s.b);
}

static void
check_csv(const char *out, size_t len, struct rec *v, size_t n)
{
	const unsigned char	*p = (const unsigned char *)out;
	const unsigned char	*end = p + len;
	struct csv_rec		 c;
	struct sb		 hdr;
	uint32_t		 cp;
	size_t			 i, bad;

	/* UTF-8 text, no control but the CRLF that ends a row, nothing a
	 * terminal or spreadsheet would obey. */
	for (bad = 0; bad < len; bad += i) {
		i = fuzz_utf8(p + bad, len - bad, &cp);
		FUZZ_CHECK(i > 0 && cp != 0, "csv: byte %zu is not UTF-8 text",
		    bad);
		FUZZ_CHECK(cp >= 0x20 || (cp == '\r' && bad + 1 < len &&
		    p[bad + 1] == '\n') || (cp == '\n' && bad > 0 &&
		    p[bad - 1] == '\r'), "csv: control 0x%02x at byte %zu",
		    (unsigned)cp, bad);
		FUZZ_CHECK(cp != 0x7f && !cp_dangerous(cp), "csv: U+%04X at "
		    "byte %zu", (unsigned)cp, bad);
	}
	FUZZ_CHECK(csv_parse_record(&p, end, &c) == 0 && c.n == NFIELDS,
	    "csv header");
	memset(&hdr, 0, sizeof(hdr));
	for (i = 0; i < c.n; i++) {
		sb_put(&hdr, i > 0 ? "," : "", i > 0);
		sb_put(&hdr, c.f[i].b, c.f[i].n);
	}
	FUZZ_CHECK(strcmp((char *)hdr.b, csv_header) == 0, "header '%s'",
	    (char *)hdr.b);
	free(hdr.b);
	csv_rec_free(&c);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(csv_parse_record(&p, end, &c) == 0,
		    "record %zu is not RFC 4180 at byte %zu", i,
		    (size_t)(p - (const unsigned char *)out));
		check_csv_record(&c, &v[i].r);
		csv_rec_free(&c);
	}
	FUZZ_CHECK(p == end, "bytes after the last record");
}

/* Nothing that moves the cursor, recolours or reorders, in what a format
 * wrote (csv checks its own, with its CRLF): well-formed UTF-8 with no C0
 * control but '\n', no DEL, no C1, none of the bidirectional and
 * zero-width format characters.  Returns the count of '\n'. */
static size_t
check_shown(const char *fmt, const char *out, size_t len)
{
	const unsigned char	*u = (const unsigned char *)out;
	uint32_t		 cp;
	size_t			 i, k, nl = 0;

	for (i = 0; i < len; i += k) {
		k = fuzz_utf8(u + i, len - i, &cp);
		FUZZ_CHECK(k > 0, "%s: invalid UTF-8 at byte %zu", fmt, i);
		FUZZ_CHECK(cp >= 0x20 || cp == '\n',
		    "%s: control 0x%02x at byte %zu", fmt, (unsigned)cp, i);
		FUZZ_CHECK(!cp_dangerous(cp) && cp != 0x7f, "%s: U+%04X at "
		    "byte %zu", fmt, (unsigned)cp, i);
		nl += cp == '\n';
	}
	return (nl);
}

static void
check_text(const char *out, size_t len, struct rec *v, size_t n,
    int verbose)
{
	size_t	 i, lines = 1, nl;

	nl = check_shown("text", out, len);
	for (i = 0; i < n; i++)
		lines += 1 + (verbose > 0 && v[i].r.attempts != NULL ?
		    v[i].r.nattempts : 0);
	FUZZ_CHECK(nl == lines && (len == 0 || out[len - 1] == '\n'),
	    "text: %zu lines, want %zu", nl, lines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec	 v[MAX_RECORDS];
	struct fz	 f = { data, size };
	char		*out;
	size_t		 n, i, outlen;
	int		 verbose;

	if (size == 0)
		return (0);
	n = 1 + fz_u8(&f) % MAX_RECORDS;
	verbose = fz_u8(&f) & 1;
	for (i = 0; i < n; i++)
		gen_record(&f, &v[i]);

	run_writer(&ap_output_json, verbose, v, n, &out, &outlen);
	check_json(out, outlen, v, n);
	(void)check_shown("json", out, outlen);
	free(out);
	run_writer(&ap_output_csv, verbose, v, n, &out, &outlen);
	check_csv(out, outlen, v, n);
	free(out);
	run_writer(&ap_output_text, verbose, v, n, &out, &outlen);
	check_text(out, outlen, v, n, verbose);
	free(out);

	for (i = 0; i < n; i++)
		rec_free(&v[i]);
	return (0);
}
