/* SPDX-License-Identifier: ISC */
/* output_json.c -- JSON Lines: one object per record, the SPEC 5 fields in
 * order, then the attempts.  Numbers are bare, absent values are null, and
 * every string is valid UTF-8 whatever bytes the input or the peer sent.
 * Each line is built in a buffer and written with one fwrite(). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "output.h"


/*
 * 1 for the bytes json_escape() must look at: quotes, backslashes, the
 * controls and DEL, and every byte from 0x80 (UTF-8 is checked, and the
 * C1 controls escaped).  The rest is copied in runs.
 */
static const unsigned char json_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x20: '"' */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x50: '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x70: DEL */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/* "\uXXXX" of a code point of the BMP, lowercase as RFC 8259's examples
 * write it. */
static void
json_u(struct ap_obuf *b, unsigned cp)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 esc[6] = { '\\', 'u' };

	esc[2] = hex[(cp >> 12) & 0x0f];
	esc[3] = hex[(cp >> 8) & 0x0f];
	esc[4] = hex[(cp >> 4) & 0x0f];
	esc[5] = hex[cp & 0x0f];
	ap_obuf_add(b, esc, sizeof(esc));
}

/* The code point of the well-formed 2- or 3-byte sequence at s (every
 * character text.c calls dangerous is one). */
static unsigned
utf8_bmp(const unsigned char *s, size_t n)
{
	if (n == 2)
		return (((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu));
	return (((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) |
	    (s[2] & 0x3fu));
}

/*
 * One byte (or UTF-8 sequence) json_special[] flagged at s; returns how
 * many bytes of s it took.  Quotes, backslashes and control characters are
 * escaped (RFC 8259 7); DEL, the C1 controls and the bidirectional and
 * zero-width characters too, so a terminal showing the line is never
 * driven or fooled by it.  Well-formed UTF-8 is kept as is; each
 * byte that starts no well-formed sequence becomes U+FFFD, "\ufffd".
 */
static size_t
json_escape_one(struct ap_obuf *b, const char *s, size_t len)
{
	unsigned char	 c = (unsigned char)s[0];
	size_t		 n;

	switch (c) {
	case '"':
		AP_OBUF_LIT(b, "\\\"");
		return (1);
	case '\\':
		AP_OBUF_LIT(b, "\\\\");
		return (1);
	case '\b':
		AP_OBUF_LIT(b, "\\b");
		return (1);
	case '\f':
		AP_OBUF_LIT(b, "\\f");
		return (1);
	case '\n':
		AP_OBUF_LIT(b, "\\n");
		return (1);
	case '\r':
		AP_OBUF_LIT(b, "\\r");
		return (1);
	case '\t':
		AP_OBUF_LIT(b, "\\t");
		return (1);
	}
	if (c < 0x80) {
		json_u(b, c);			/* other controls, DEL */
		return (1);
	}
	if ((n = ap_text_utf8_len(s, len)) == 0) {
		AP_OBUF_LIT(b, "\\ufffd");
		return (1);
	}
	/* The C1 controls, and the format characters that reorder or hide
	 * text (text.h): written as escapes, never raw. */
	if (ap_text_dangerous(s, n))
		json_u(b, utf8_bmp((const unsigned char *)s, n));
	else
		ap_obuf_add(b, s, n);
	return (n);
}

/* len bytes as the inside of a JSON string: plain runs copied whole. */
static void
json_escape(struct ap_obuf *b, const char *s, size_t len)
{
	size_t	 i = 0, run;

	while (i < len) {
		run = ap_output_span(json_special, s + i, len - i);
		ap_obuf_add(b, s + i, run);
		if ((i += run) < len)
			i += json_escape_one(b, s + i, len - i);
	}
}

static void
json_string_len(struct ap_obuf *b, const char *s, size_t len)
{
	ap_obuf_addc(b, '"');
	json_escape(b, s, len);
	ap_obuf_addc(b, '"');
}

/* A key and its colon as arguments: the text and its length. */
#define JSON_KEY(k)	(k), sizeof(k) - 1

/*
 * Key, then value written as is between quotes.  One reservation for the
 * lot: a record is a dozen of these, and the checks of one append per
 * piece were a third of the work.
 */
static inline void
json_key_plain(struct ap_obuf *b, const char *key, size_t keylen,
    const char *s, size_t len)
{
	char	*p;

	if ((p = ap_obuf_reserve(b, keylen + len + 2)) == NULL)
		return;
	ap_obuf_copy(p, key, keylen);
	p += keylen;
	*p++ = '"';
	ap_obuf_copy(p, s, len);
	p[len] = '"';
	b->len += keylen + len + 2;
}

/* Key, then a string value: escaped as needed, or null for NULL. */
static inline void
json_key_string(struct ap_obuf *b, const char *key, size_t keylen,
    const char *s)
{
	size_t	 len;

	if (s == NULL) {
		ap_obuf_add(b, key, keylen);
		AP_OBUF_LIT(b, "null");
		return;
	}
	len = strlen(s);
	if (ap_output_span(json_special, s, len) == len)
		json_key_plain(b, key, keylen, s, len);
	else {
		ap_obuf_add(b, key, keylen);
		json_string_len(b, s, len);
	}
}

/* As json_key_string(), with null for "" too (ip, error). */
static inline void
json_key_nonempty(struct ap_obuf *b, const char *key, size_t keylen,
    const char *s)
{
	json_key_string(b, key, keylen, s == NULL || *s == '\0' ? NULL : s);
}

/*
 * Key, then one of our own words (a status, errno or stage name: letters,
 * digits, '-'), or null for "": never anything to escape, so no scan.
 */
static inline void
json_key_word(struct ap_obuf *b, const char *key, size_t keylen,
    const char *s)
{
	if (*s == '\0') {
		ap_obuf_add(b, key, keylen);
		AP_OBUF_LIT(b, "null");
	} else
		json_key_plain(b, key, keylen, s, strlen(s));
}

/* "icmp" and "icmp_from": a reason word and a numeric address, or null
 * for both when no ICMP message was behind the error. */
static void
json_icmp(struct ap_obuf *b, const struct ap_icmp *m)
{
	if (m == NULL || m->origin == AP_ICMP_NONE) {
		AP_OBUF_LIT(b, ",\"icmp\":null,\"icmp_from\":null");
		return;
	}
	json_key_word(b, JSON_KEY(",\"icmp\":"), ap_icmp_name(m));
	json_key_word(b, JSON_KEY(",\"icmp_from\":"), m->from);
}

static void
json_attempts(struct ap_obuf *b, const struct ap_result *r)
{
	const struct ap_attempt	*a;
	size_t			 i;

	AP_OBUF_LIT(b, ",\"attempts\":[");
	for (i = 0; i < r->nattempts && r->attempts != NULL; i++) {
		a = &r->attempts[i];
		if (i > 0)
			ap_obuf_addc(b, ',');
		json_key_nonempty(b, JSON_KEY("{\"ip\":"), a->ip);
		json_key_word(b, JSON_KEY(",\"errno\":"),
		    ap_errno_name(a->error));
		json_key_word(b, JSON_KEY(",\"stage\":"),
		    ap_stage_name(a->stage));
		AP_OBUF_LIT(b, ",\"ms\":");
		ap_obuf_ms(b, a->duration_us);
		json_icmp(b, &a->icmp);
		ap_obuf_addc(b, '}');
	}
	ap_obuf_addc(b, ']');
}

static int
json_write(struct ap_writer *w, const struct ap_result *r)
{
	struct ap_obuf	 b;
	const char	*text, *file;
	char		 stack[AP_OBUF_STACK];

	ap_obuf_init(&b, stack, sizeof(stack));
	json_key_string(&b, JSON_KEY("{\"target\":"), r->target);
	json_key_string(&b, JSON_KEY(",\"host\":"), r->host);
	/* Port 0 is no port at all (an invalid line): null, not a number. */
	AP_OBUF_LIT(&b, ",\"port\":");
	if (r->port == 0)
		AP_OBUF_LIT(&b, "null");
	else
		ap_obuf_uint(&b, r->port);
	json_key_word(&b, JSON_KEY(",\"status\":"), ap_status_name(r->status));
	json_key_nonempty(&b, JSON_KEY(",\"ip\":"), r->ip);
	AP_OBUF_LIT(&b, ",\"rtt_ms\":");
	if (r->rtt_us < 0)
		AP_OBUF_LIT(&b, "null");
	else
		ap_obuf_ms(&b, r->rtt_us);
	AP_OBUF_LIT(&b, ",\"elapsed_ms\":");
	ap_obuf_ms(&b, r->elapsed_us);
	json_key_word(&b, JSON_KEY(",\"errno\":"), ap_errno_name(r->error));
	text = r->error_text != NULL ? r->error_text : ap_error_text(r->error);
	json_key_nonempty(&b, JSON_KEY(",\"error\":"), text);
	json_icmp(&b, r->icmp);
	AP_OBUF_LIT(&b, ",\"addresses\":");
	ap_obuf_uint(&b, r->addresses);
	if (r->degraded)
		AP_OBUF_LIT(&b, ",\"degraded\":true,\"line\":\"");
	else
		AP_OBUF_LIT(&b, ",\"degraded\":false,\"line\":\"");
	/* "FILE:LINE"; the file name may hold any byte. */
	file = r->file != NULL ? r->file : "-";
	json_escape(&b, file, strlen(file));
	ap_obuf_addc(&b, ':');
	ap_obuf_uint(&b, r->line);
	AP_OBUF_LIT(&b, "\",\"banner\":");
	if (r->banner == NULL)
		AP_OBUF_LIT(&b, "null");
	else
		json_string_len(&b, r->banner, r->banner_len);
	/* The timestamp is digits and punctuation: nothing to escape. */
	AP_OBUF_LIT(&b, ",\"timestamp\":\"");
	ap_obuf_timestamp(&b, r->timestamp_ms);
	ap_obuf_addc(&b, '"');
	if (w->rounds) {
		AP_OBUF_LIT(&b, ",\"round\":");
		ap_obuf_uint(&b, r->round);
	}
	json_attempts(&b, r);
	AP_OBUF_LIT(&b, "}\n");
	return (ap_obuf_flush(&b, w->fp));
}

const struct ap_writer_ops ap_output_json = {
	.name = "json",
	.write = json_write,
};
