/* SPDX-License-Identifier: ISC */
/* output_text.c -- aligned columns for people (target, status, ip, rtt,
 * then the error in words), like fping or nmap; with verbose, one indented
 * line per attempt.  Input bytes are escaped so they never drive a
 * terminal; machines should read csv or json instead.  Each record is built
 * in a buffer and written with one fwrite(). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output.h"


/*
 * Column widths for the common row, an IPv4 target: 21 + 11 + 15 + 9 and
 * the errno name fit 80 columns ("| cut -c1-80" keeps them); a long name
 * or an IPv6 address pushes its own row wider, never the others.
 */
#define TEXT_TARGET_W	21	/* "255.255.255.255:65535" */
#define TEXT_STATUS_W	11	/* "unreachable" */
#define TEXT_IP_W	15	/* "255.255.255.255" */
#define TEXT_RTT_W	9
#define TEXT_ROUND_W	5	/* monitor mode only */

/*
 * 1 for the bytes text_escape() must look at: the controls, DEL and
 * every byte from 0x80.  The rest is printable ASCII, copied in runs.
 */
static const unsigned char text_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x50: a backslash passes as it is, so a target escaped by the
	 * line parser reads the same here as in csv and json */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
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

/* Blanks for padding columns, wider than any column. */
static const char text_blanks[] = "                                        ";

/*
 * Append len bytes with unprintable ones as \xHH.  A backslash passes:
 * what comes from the input was escaped by the line parser already, its
 * own backslashes as \\ (ap_obuf_peer() is for the peer's bytes).
 * Returns the columns used (one per character; wide characters are
 * counted as one, which is close enough here).
 */
static size_t
text_escape(struct ap_obuf *b, const char *s, size_t len)
{
	size_t	 i = 0, run, n, cols = 0;
	char	 esc[4];

	while (i < len) {
		run = ap_output_span(text_special, s + i, len - i);
		ap_obuf_add(b, s + i, run);
		cols += run;
		if ((i += run) == len)
			break;
		/* Each byte of what may not be shown is \xHH: the rest of a
		 * dangerous sequence is continuation bytes, escaped in turn. */
		if ((n = ap_text_safe_len(s + i, len - i)) != 0) {
			ap_obuf_add(b, s + i, n);
			cols++;
		} else {
			n = 1;
			ap_text_hex((unsigned char)s[i], esc);
			ap_obuf_add(b, esc, sizeof(esc));
			cols += sizeof(esc);
		}
		i += n;
	}
	return (cols);
}

/* text_escape() for ap_obuf_peer(), which counts no columns. */
static void
text_escape_run(struct ap_obuf *b, const char *s, size_t len)
{
	(void)text_escape(b, s, len);
}

/* Blanks from cols up to width; nothing when cols is already there. */
static void
text_pad(struct ap_obuf *b, size_t cols, size_t width)
{
	if (cols < width)
		ap_obuf_add(b, text_blanks, width - cols);
}

/* An escaped string padded to width columns, "-" when empty. */
static void
text_column(struct ap_obuf *b, const char *s, size_t width)
{
	if (s == NULL || *s == '\0')
		s = "-";
	text_pad(b, text_escape(b, s, strlen(s)), width);
}

/* A string known to need no escaping (our own words). */
static void
text_word(struct ap_obuf *b, const char *s)
{
	ap_obuf_add(b, s, strlen(s));
}

/*
 * The record's own host:port, so each port of "web:8080,8081" and each
 * address of a prefix is told apart; IPv6 in brackets.  A line that never
 * parsed has neither: the line as written stands instead.
 */
static void
text_target(struct ap_obuf *b, const struct ap_result *r)
{
	size_t	 cols = 0, n;

	if (r->host == NULL || *r->host == '\0' || r->port == 0) {
		text_column(b, r->target, TEXT_TARGET_W);
		return;
	}
	n = strlen(r->host);
	if (memchr(r->host, ':', n) != NULL) {
		ap_obuf_addc(b, '[');
		cols = text_escape(b, r->host, n) + 2;
		ap_obuf_addc(b, ']');
	} else
		cols = text_escape(b, r->host, n);
	ap_obuf_addc(b, ':');
	ap_obuf_uint(b, r->port);
	cols += 1 + (r->port >= 10000 ? 5 : r->port >= 1000 ? 4 :
	    r->port >= 100 ? 3 : r->port >= 10 ? 2 : 1);
	text_pad(b, cols, TEXT_TARGET_W);
}

static int
text_begin(struct ap_writer *w)
{
	fprintf(w->fp, "%-*s %-*s %-*s %*s", TEXT_TARGET_W, "TARGET",
	    TEXT_STATUS_W, "STATUS", TEXT_IP_W, "IP", TEXT_RTT_W, "RTT_MS");
	if (w->rounds)
		fprintf(w->fp, " %*s", TEXT_ROUND_W, "ROUND");
	fputs("  ERROR\n", w->fp);
	return (ferror(w->fp) ? -1 : 0);
}

/*
 * The last column says why: the errno name ("ECONNREFUSED"; the status
 * and csv or json have the strerror() words), the engine's own words when
 * it has them (the parser's reason for an invalid line), then "degraded"
 * and the banner when there are.  Nothing (not even
 * blanks) when all went well.
 */
static void
text_detail(struct ap_obuf *b, const struct ap_result *r)
{
	const char	*text;
	bool		 first = true;

	text = r->error_text;
	if (r->error != 0 || (text != NULL && *text != '\0')) {
		AP_OBUF_LIT(b, "  ");
		if (r->error != 0)
			text_word(b, ap_errno_name(r->error));
		/* Words of our own (a reset's sender, the parser's reason),
		 * not the errno's: they say more than the status does. */
		if (r->error != 0 && text != NULL && *text != '\0')
			AP_OBUF_LIT(b, ": ");
		if (text != NULL)
			text_escape(b, text, strlen(text));
		first = false;
	}
	if (r->icmp != NULL && r->icmp->origin != AP_ICMP_NONE) {
		/* nmap's "admin-prohibited from 198.51.100.1". */
		if (first)
			AP_OBUF_LIT(b, "  icmp ");
		else
			AP_OBUF_LIT(b, "; icmp ");
		text_word(b, ap_icmp_name(r->icmp));
		AP_OBUF_LIT(b, " from ");
		text_word(b, r->icmp->from);
		first = false;
	}
	if (r->degraded) {
		if (first)
			AP_OBUF_LIT(b, "  degraded");
		else
			AP_OBUF_LIT(b, "; degraded");
		first = false;
	}
	if (r->banner != NULL) {
		if (first)
			AP_OBUF_LIT(b, "  banner: ");
		else
			AP_OBUF_LIT(b, "; banner: ");
		ap_obuf_peer(b, r->banner, r->banner_len, text_escape_run);
	}
}

/* "    attempt IP ERRNO STAGE MS ms", one line per attempt for -v. */
static void
text_attempt(struct ap_obuf *b, const struct ap_attempt *a)
{
	const char	*stage = ap_stage_name(a->stage);

	AP_OBUF_LIT(b, "    attempt ");
	text_escape(b, a->ip, strnlen(a->ip, sizeof(a->ip)));
	ap_obuf_addc(b, ' ');
	if (a->error == 0)
		AP_OBUF_LIT(b, "ok");
	else
		text_word(b, ap_errno_name(a->error));
	ap_obuf_addc(b, ' ');
	text_word(b, *stage == '\0' ? "-" : stage);
	ap_obuf_addc(b, ' ');
	ap_obuf_ms(b, a->duration_us);
	AP_OBUF_LIT(b, " ms");
	if (a->icmp.origin != AP_ICMP_NONE) {
		AP_OBUF_LIT(b, " icmp ");
		text_word(b, ap_icmp_name(&a->icmp));
		AP_OBUF_LIT(b, " from ");
		text_word(b, a->icmp.from);
	}
	ap_obuf_addc(b, '\n');
}

static int
text_write(struct ap_writer *w, const struct ap_result *r)
{
	struct ap_obuf	 b;
	char		 stack[AP_OBUF_STACK], ms[32];
	size_t		 i, n;

	ap_obuf_init(&b, stack, sizeof(stack));
	text_target(&b, r);
	ap_obuf_addc(&b, ' ');
	text_column(&b, ap_status_name(r->status), TEXT_STATUS_W);
	ap_obuf_addc(&b, ' ');
	text_column(&b, r->ip, TEXT_IP_W);
	/* The rtt is right-aligned: its length first, then the blanks. */
	if (r->rtt_us >= 0)
		ap_format_ms(r->rtt_us, ms, sizeof(ms));
	else
		strcpy(ms, "-");
	n = strlen(ms);
	ap_obuf_addc(&b, ' ');
	text_pad(&b, n, TEXT_RTT_W);
	ap_obuf_add(&b, ms, n);
	if (w->rounds) {
		n = (size_t)snprintf(ms, sizeof(ms), "%" PRIu64, r->round);
		ap_obuf_addc(&b, ' ');
		text_pad(&b, n, TEXT_ROUND_W);
		ap_obuf_add(&b, ms, n);
	}
	text_detail(&b, r);
	ap_obuf_addc(&b, '\n');

	for (i = 0; w->verbose > 0 && i < r->nattempts &&
	    r->attempts != NULL; i++)
		text_attempt(&b, &r->attempts[i]);
	return (ap_obuf_flush(&b, w->fp));
}

const struct ap_writer_ops ap_output_text = {
	.name = "text",
	.begin = text_begin,
	.write = text_write,
};
