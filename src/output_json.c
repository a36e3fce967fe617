/* SPDX-License-Identifier: ISC */
/* output_json.c -- JSON Lines: one object per record, the SPEC 5 fields in
 * order, then the attempts.  Numbers are bare, absent values are null, and
 * every string is valid UTF-8 whatever bytes the input or the peer sent. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "output.h"


/*
 * Write len bytes as a JSON string.  Quotes, backslashes and control
 * characters are escaped (RFC 8259 7); DEL and the C1 controls too, so a
 * terminal showing the line is never driven by it.  Well-formed UTF-8 is
 * kept as is; each byte that starts no well-formed sequence becomes
 * U+FFFD, written "\ufffd".
 */
static void
json_escape(FILE *fp, const char *s, size_t len)
{
	size_t		 i, n;
	unsigned char	 c;

	for (i = 0; i < len; i += n) {
		c = (unsigned char)s[i];
		n = 1;
		switch (c) {
		case '"':
			fputs("\\\"", fp);
			continue;
		case '\\':
			fputs("\\\\", fp);
			continue;
		case '\b':
			fputs("\\b", fp);
			continue;
		case '\f':
			fputs("\\f", fp);
			continue;
		case '\n':
			fputs("\\n", fp);
			continue;
		case '\r':
			fputs("\\r", fp);
			continue;
		case '\t':
			fputs("\\t", fp);
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else if (c < 0x80)
			putc(c, fp);
		else if ((n = ap_output_utf8_len(s + i, len - i)) == 0) {
			fputs("\\ufffd", fp);
			n = 1;
		} else if (n == 2 && c == 0xc2 &&
		    (unsigned char)s[i + 1] < 0xa0)
			/* C1 controls (U+0080..U+009F) are controls too. */
			fprintf(fp, "\\u%04x", (unsigned char)s[i + 1]);
		else
			fwrite(s + i, 1, n, fp);
	}
}

static void
json_string_len(FILE *fp, const char *s, size_t len)
{
	putc('"', fp);
	json_escape(fp, s, len);
	putc('"', fp);
}

/* A string, or null for NULL. */
static void
json_string(FILE *fp, const char *s)
{
	if (s == NULL)
		fputs("null", fp);
	else
		json_string_len(fp, s, strlen(s));
}

/* A string, or null for NULL and "" (ip, errno, stage). */
static void
json_nonempty(FILE *fp, const char *s)
{
	json_string(fp, s == NULL || *s == '\0' ? NULL : s);
}

static void
json_attempts(FILE *fp, const struct ap_result *r)
{
	const struct ap_attempt	*a;
	char			 ms[32];
	size_t			 i;

	fputs(",\"attempts\":[", fp);
	for (i = 0; i < r->nattempts && r->attempts != NULL; i++) {
		a = &r->attempts[i];
		if (i > 0)
			putc(',', fp);
		fputs("{\"ip\":", fp);
		json_nonempty(fp, a->ip);
		fputs(",\"errno\":", fp);
		json_nonempty(fp, ap_errno_name(a->error));
		fputs(",\"stage\":", fp);
		json_nonempty(fp, ap_stage_name(a->stage));
		ap_format_ms(a->duration_us, ms, sizeof(ms));
		fprintf(fp, ",\"ms\":%s}", ms);
	}
	putc(']', fp);
}

static int
json_write(struct ap_writer *w, const struct ap_result *r)
{
	FILE		*fp = w->fp;
	const char	*text;
	char		 buf[64];

	fputs("{\"target\":", fp);
	json_string(fp, r->target);
	fputs(",\"host\":", fp);
	json_string(fp, r->host);
	/* Port 0 is no port at all (an invalid line): null, not a number. */
	if (r->port == 0)
		fputs(",\"port\":null", fp);
	else
		fprintf(fp, ",\"port\":%u", r->port);
	fputs(",\"status\":", fp);
	json_string(fp, ap_status_name(r->status));
	fputs(",\"ip\":", fp);
	json_nonempty(fp, r->ip);
	if (r->rtt_us < 0)
		fputs(",\"rtt_ms\":null", fp);
	else {
		ap_format_ms(r->rtt_us, buf, sizeof(buf));
		fprintf(fp, ",\"rtt_ms\":%s", buf);
	}
	ap_format_ms(r->elapsed_us, buf, sizeof(buf));
	fprintf(fp, ",\"elapsed_ms\":%s", buf);
	fputs(",\"errno\":", fp);
	json_nonempty(fp, ap_errno_name(r->error));
	fputs(",\"error\":", fp);
	text = r->error_text != NULL ? r->error_text : ap_error_text(r->error);
	json_nonempty(fp, text);
	fprintf(fp, ",\"addresses\":%u,\"degraded\":%s", r->addresses,
	    r->degraded ? "true" : "false");
	/* "FILE:LINE"; the file name may hold any byte. */
	fputs(",\"line\":\"", fp);
	json_escape(fp, r->file != NULL ? r->file : "-",
	    r->file != NULL ? strlen(r->file) : 1);
	fprintf(fp, ":%lu\"", r->line);
	fputs(",\"banner\":", fp);
	if (r->banner == NULL)
		fputs("null", fp);
	else
		json_string_len(fp, r->banner, r->banner_len);
	ap_format_timestamp(r->timestamp_ms, buf, sizeof(buf));
	fputs(",\"timestamp\":", fp);
	json_string(fp, buf);
	json_attempts(fp, r);
	fputs("}\n", fp);
	return (ferror(fp) ? -1 : 0);
}

const struct ap_writer_ops ap_output_json = {
	"json",
	NULL,
	json_write,
	NULL
};
