/* SPDX-License-Identifier: ISC */
/* output_csv.c -- RFC 4180 CSV: a header row, then one row per record with
 * the SPEC 5 fields in order and an extra "attempts" column.  Rows end in
 * CRLF as the RFC says; absent values are empty fields. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "output.h"


#define CSV_EOL		"\r\n"

static const char csv_header[] =
    "target,host,port,status,ip,rtt_ms,elapsed_ms,errno,error,addresses,"
    "degraded,line,banner,timestamp,attempts" CSV_EOL;

/*
 * A field must be quoted when it holds a separator, a quote or a line
 * break (RFC 4180 2.6), and we also quote leading or trailing blanks,
 * which spreadsheets otherwise trim.
 */
static bool
csv_needs_quotes(const char *s, size_t len)
{
	size_t	 i;

	if (len > 0 && (s[0] == ' ' || s[0] == '\t' ||
	    s[len - 1] == ' ' || s[len - 1] == '\t'))
		return (true);
	for (i = 0; i < len; i++) {
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return (true);
	}
	return (false);
}

/*
 * Write a field's bytes: inner quotes doubled, everything else as is, except
 * that NUL and bytes starting no well-formed UTF-8 sequence become U+FFFD,
 * so the file stays valid UTF-8 text for any CSV reader.
 */
static void
csv_body(FILE *fp, const char *s, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '"')
			fputs("\"\"", fp);
		else if (s[i] == '\0' ||
		    (n = ap_output_utf8_len(s + i, len - i)) == 0) {
			fputs("\xef\xbf\xbd", fp);
			n = 1;
		} else
			fwrite(s + i, 1, n, fp);
	}
}

static void
csv_field_len(FILE *fp, const char *s, size_t len)
{
	bool	 quote;

	if ((quote = csv_needs_quotes(s, len)))
		putc('"', fp);
	csv_body(fp, s, len);
	if (quote)
		putc('"', fp);
}

static void
csv_field(FILE *fp, const char *s)
{
	if (s != NULL)
		csv_field_len(fp, s, strlen(s));
}

static int
csv_begin(struct ap_writer *w)
{
	fputs(csv_header, w->fp);
	return (ferror(w->fp) ? -1 : 0);
}

static int
csv_write(struct ap_writer *w, const struct ap_result *r)
{
	FILE			*fp = w->fp;
	const struct ap_attempt	*a;
	const char		*text, *file;
	char			 buf[64];
	size_t			 i;
	bool			 quote;

	csv_field(fp, r->target);
	putc(',', fp);
	csv_field(fp, r->host);
	putc(',', fp);
	if (r->port != 0)
		fprintf(fp, "%u", r->port);
	putc(',', fp);
	csv_field(fp, ap_status_name(r->status));
	putc(',', fp);
	csv_field(fp, r->ip);
	putc(',', fp);
	if (r->rtt_us >= 0) {
		ap_format_ms(r->rtt_us, buf, sizeof(buf));
		fputs(buf, fp);
	}
	putc(',', fp);
	ap_format_ms(r->elapsed_us, buf, sizeof(buf));
	fputs(buf, fp);
	putc(',', fp);
	csv_field(fp, ap_errno_name(r->error));
	putc(',', fp);
	text = r->error_text != NULL ? r->error_text : ap_error_text(r->error);
	csv_field(fp, text);
	fprintf(fp, ",%u,%s,", r->addresses, r->degraded ? "true" : "false");
	/*
	 * "FILE:LINE" is one field; ":LINE" never needs quotes, so the file
	 * name decides (quoting more than needed is always allowed).
	 */
	file = r->file != NULL ? r->file : "-";
	if ((quote = csv_needs_quotes(file, strlen(file))))
		putc('"', fp);
	csv_body(fp, file, strlen(file));
	fprintf(fp, ":%lu", r->line);
	if (quote)
		putc('"', fp);
	putc(',', fp);
	if (r->banner != NULL)
		csv_field_len(fp, r->banner, r->banner_len);
	putc(',', fp);
	ap_format_timestamp(r->timestamp_ms, buf, sizeof(buf));
	fputs(buf, fp);
	putc(',', fp);
	/*
	 * "ip=ERRNO;..." needs no quoting: numeric addresses and errno names
	 * never hold a comma, a quote or a line break.
	 */
	for (i = 0; i < r->nattempts && r->attempts != NULL; i++) {
		a = &r->attempts[i];
		fprintf(fp, "%s%.*s=%s", i > 0 ? ";" : "", (int)sizeof(a->ip),
		    a->ip, a->error == 0 ? "ok" : ap_errno_name(a->error));
	}
	fputs(CSV_EOL, fp);
	return (ferror(fp) ? -1 : 0);
}

const struct ap_writer_ops ap_output_csv = {
	"csv",
	csv_begin,
	csv_write,
	NULL
};
