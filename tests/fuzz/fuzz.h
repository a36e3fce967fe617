/* SPDX-License-Identifier: ISC */
/* fuzz.h -- helpers the libFuzzer harnesses share: a reader that carves
 * typed values out of the fuzz bytes, an abort() that says which invariant
 * broke, and a UTF-8 decoder written apart from src/ (it computes the code
 * point where src/output.c walks a table) so the two can disagree. */
#ifndef AP_FUZZ_H
#define AP_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>
#include <net/if.h>

/* Every harness defines this; libFuzzer, or tests/fuzz/driver.c, calls it. */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static inline void
fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

/* An invariant broke: say where and why, then crash so the fuzzer keeps
 * the input. */
static inline void
fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s:%d: invariant failed: %s", file, line, what);
	/* fmt is " " and the caller's format: never empty for -Wformat. */
	if (fmt[1] != '\0') {
		fputs(":", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__);	\
} while (0)

/* Print a byte string with C escapes, for failure messages. */
static inline const char *
fuzz_show(const void *p, size_t len)
{
	static char		 buf[1024];
	const unsigned char	*s = p;
	size_t			 i, o = 0;

	for (i = 0; i < len && o + 8 < sizeof(buf); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", s[i]);
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "...");
	buf[o] = '\0';
	return (buf);
}

/* The fuzz bytes as a stream of values; past the end everything is 0. */
struct fz {
	const uint8_t	*p;
	size_t		 n;
};

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t	v;

	if (f->n == 0)
		return (0);
	v = *f->p++;
	f->n--;
	return (v);
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 4; i++)
		v = v << 8 | fz_u8(f);
	return (v);
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t	hi = fz_u32(f);

	return (hi << 32 | fz_u32(f));
}

/* Up to max bytes (a length byte decides how many); *len gets the count.
 * Points into the fuzz data: not NUL-terminated. */
static inline const uint8_t *
fz_bytes(struct fz *f, size_t max, size_t *len)
{
	const uint8_t	*p;
	size_t		 n = fz_u8(f);

	if (n > max)
		n = max;
	if (n > f->n)
		n = f->n;
	p = f->p;
	f->p += n;
	f->n -= n;
	*len = n;
	return (p);
}

/*
 * Well-formed UTF-8 (RFC 3629) at s: the sequence length (1-4) with the
 * code point in *cp, or 0.  Decodes first and judges the value after:
 * overlong forms, surrogates and values past U+10FFFF are not characters.
 */
static inline size_t
fuzz_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t	 least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		 v;
	size_t			 n, i;

	if (len == 0)
		return (0);
	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return (0);
	*cp = v;
	return (n);
}

/* Append the UTF-8 form of cp (a valid scalar value) to out. */
static inline size_t
fuzz_utf8_put(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return (3);
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return (4);
}

/*
 * Text a terminal shows as is: valid UTF-8 with no C0 control but the ones
 * allowed in "extra" (e.g. "\t" or "\n"), no DEL and no C1 control.  The
 * offset of the first offending byte in *bad.
 */
static inline bool
fuzz_printable(const void *p, size_t len, const char *extra, size_t *bad)
{
	const unsigned char	*s = p;
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		if ((n = fuzz_utf8(s + i, len - i, &cp)) == 0 ||
		    (cp < 0x20 && (cp == 0 || extra == NULL ||
		    strchr(extra, (int)cp) == NULL)) ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			if (bad != NULL)
				*bad = i;
			return (false);
		}
	}
	return (true);
}

/* A zone as the headers promise it: an interface name, or the index of
 * one, in decimal; its index into *scope. */
static inline bool
fuzz_zone_ok(const char *z, size_t len, uint32_t *scope)
{
	char		 name[IF_NAMESIZE];
	size_t		 i;
	unsigned long	 v;

	if (len == 0 || len >= IF_NAMESIZE)
		return (false);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)z[i]) && z[i] != '-' &&
		    z[i] != '_' && z[i] != '.')
			return (false);
	memcpy(name, z, len);
	name[len] = '\0';
	if (strspn(name, "0123456789") == len) {
		v = strtoul(name, NULL, 10);
		*scope = (uint32_t)v;
		return (len <= 10 && v > 0 && v <= UINT32_MAX &&
		    if_indextoname((unsigned)v, name) != NULL);
	}
	return ((*scope = if_nametoindex(name)) != 0);
}

#endif
