/* SPDX-License-Identifier: ISC */
/* output_text.c -- aligned columns for people (target, status, ip, rtt,
 * then the error in words), like fping or nmap; with verbose, one indented
 * line per attempt.  Input bytes are escaped so they never drive a
 * terminal; machines should read csv or json instead. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output.h"


/* Column widths: a long DNS name or a full IPv6 address pushes the row. */
#define TEXT_TARGET_W	32
#define TEXT_STATUS_W	11	/* "unreachable" */
#define TEXT_IP_W	39	/* longest IPv6 text without a zone */
#define TEXT_RTT_W	9

/*
 * Code points that move the cursor or reorder what a terminal shows: the
 * C1 controls and the bidirectional and zero-width format characters
 * ("Trojan Source").  They are escaped byte by byte like invalid input.
 */
static int
text_dangerous(const unsigned char *s, size_t n)
{
	uint32_t	 cp;

	if (n == 2)
		return (s[0] == 0xc2 && s[1] < 0xa0);
	if (n != 3)
		return (0);
	cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
	    (s[2] & 0x3f);
	return ((cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

/*
 * Write len bytes with unprintable ones as \xHH and a backslash as \\, so
 * the output is unambiguous.  Returns the columns used (one per character;
 * wide characters are counted as one, which is close enough here).
 */
static size_t
text_escape(FILE *fp, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, j, n, cols = 0;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] == '\\') {
			fputs("\\\\", fp);
			cols += 2;
		} else if (u[i] >= 0x20 && u[i] < 0x7f) {
			putc(u[i], fp);
			cols++;
		} else if (u[i] >= 0x80 &&
		    (n = ap_output_utf8_len(s + i, len - i)) != 0 &&
		    !text_dangerous(u + i, n)) {
			fwrite(s + i, 1, n, fp);
			cols++;
		} else {
			if (n == 0)
				n = 1;
			for (j = 0; j < n; j++)
				fprintf(fp, "\\x%02x", u[i + j]);
			cols += 4 * n;
		}
	}
	return (cols);
}

/* An escaped string padded to width columns, "-" when empty. */
static void
text_column(FILE *fp, const char *s, size_t width)
{
	size_t	 cols;

	if (s == NULL || *s == '\0')
		s = "-";
	cols = text_escape(fp, s, strlen(s));
	for (; cols < width; cols++)
		putc(' ', fp);
}

static int
text_begin(struct ap_writer *w)
{
	fprintf(w->fp, "%-*s %-*s %-*s %*s  %s\n", TEXT_TARGET_W, "TARGET",
	    TEXT_STATUS_W, "STATUS", TEXT_IP_W, "IP", TEXT_RTT_W, "RTT_MS",
	    "ERROR");
	return (ferror(w->fp) ? -1 : 0);
}

/*
 * The last column says why, in words: "ECONNREFUSED: Connection refused",
 * the parser's reason for an invalid line, then "degraded" and the banner
 * when there are.  Nothing (not even blanks) when all went well.
 */
static void
text_detail(FILE *fp, const struct ap_result *r)
{
	const char	*text;
	const char	*sep = "  ";

	text = r->error_text != NULL ? r->error_text : ap_error_text(r->error);
	if (r->error != 0 || (text != NULL && *text != '\0')) {
		fputs(sep, fp);
		if (r->error != 0)
			fprintf(fp, "%s: ", ap_errno_name(r->error));
		text_escape(fp, text, strlen(text));
		sep = "; ";
	}
	if (r->degraded) {
		fprintf(fp, "%sdegraded", sep);
		sep = "; ";
	}
	if (r->banner != NULL) {
		fprintf(fp, "%sbanner: ", sep);
		text_escape(fp, r->banner, r->banner_len);
	}
}

static int
text_write(struct ap_writer *w, const struct ap_result *r)
{
	FILE			*fp = w->fp;
	const struct ap_attempt	*a;
	char			 ms[32];
	size_t			 i;

	text_column(fp, r->target, TEXT_TARGET_W);
	putc(' ', fp);
	text_column(fp, ap_status_name(r->status), TEXT_STATUS_W);
	putc(' ', fp);
	text_column(fp, r->ip, TEXT_IP_W);
	if (r->rtt_us >= 0)
		ap_format_ms(r->rtt_us, ms, sizeof(ms));
	else
		strcpy(ms, "-");
	fprintf(fp, " %*s", TEXT_RTT_W, ms);
	text_detail(fp, r);
	putc('\n', fp);

	for (i = 0; w->verbose > 0 && i < r->nattempts &&
	    r->attempts != NULL; i++) {
		a = &r->attempts[i];
		ap_format_ms(a->duration_us, ms, sizeof(ms));
		fputs("    attempt ", fp);
		text_escape(fp, a->ip, strnlen(a->ip, sizeof(a->ip)));
		fprintf(fp, " %s %s %s ms\n",
		    a->error == 0 ? "ok" : ap_errno_name(a->error),
		    *ap_stage_name(a->stage) == '\0' ? "-" :
		    ap_stage_name(a->stage), ms);
	}
	return (ferror(fp) ? -1 : 0);
}

const struct ap_writer_ops ap_output_text = {
	"text",
	text_begin,
	text_write,
	NULL
};
