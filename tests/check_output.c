/* SPDX-License-Identifier: ISC */
/* check_output.c -- every writer into open_memstream() against golden
 * strings (records of each kind, escaping, the CSV header, text alignment,
 * -v attempts), the shared formatters, the -s summary, and write errors
 * reported as -1. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "output.h"
#include "result.h"
#include "stats.h"
#include "testutil.h"


/* Records: one of each kind, then the awkward bytes. */

static const struct ap_attempt att_connected[] = {
	{ "127.0.0.1", AF_INET, 0, AP_STAGE_HANDSHAKE, 0, 123 }
};
static const struct ap_attempt att_refused[] = {
	{ "::1", AF_INET6, ECONNREFUSED, AP_STAGE_HANDSHAKE, 0, 80 },
	{ "127.0.0.1", AF_INET, ECONNREFUSED, AP_STAGE_HANDSHAKE, 250000,
	    1234 }
};
static const struct ap_attempt att_degraded[] = {
	{ "2001:db8::1", AF_INET6, ENETUNREACH, AP_STAGE_CONNECT, 0, 15 },
	{ "127.0.0.1", AF_INET, 0, AP_STAGE_HANDSHAKE, 20, 45 }
};

static const struct ap_attempt att_denied[] = {
	{ "198.18.2.16", AF_INET, EHOSTUNREACH, AP_STAGE_HANDSHAKE, 0, 1500,
	    { AP_ICMP_V4, 3, 13, "198.18.0.1" } },
	{ "fd00:c::16", AF_INET6, EACCES, AP_STAGE_HANDSHAKE, 250000, 2000,
	    { AP_ICMP_V6, 1, 1, "fd00:a::1" } }
};

static const struct ap_result rec[] = {
	/* 0: connected */
	{ "localhost:22", "localhost", 22, AP_STATUS_CONNECTED, "127.0.0.1",
	    123, 4567, 0, NULL, 1, false, "targets.txt", 3, NULL, 0,
	    1795508724123LL, att_connected, 1 },
	/* 1: refused on both addresses */
	{ "db:5432", "db", 5432, AP_STATUS_REFUSED, "::1", -1, 251234,
	    ECONNREFUSED, NULL, 2, false, "targets.txt", 4, NULL, 0,
	    1795508724124LL, att_refused, 2 },
	/* 2: unresolved */
	{ "nosuch.test:80", "nosuch.test", 80, AP_STATUS_UNRESOLVED, "", -1,
	    12000, AP_ERR_NXDOMAIN, NULL, 0, false, "-", 5, NULL, 0,
	    1795508724125LL, NULL, 0 },
	/* 3: invalid: no host, no port, the parser's reason */
	{ "web:99999", NULL, 0, AP_STATUS_INVALID, "", -1, 0, 0,
	    "port out of range", 0, false, "-", 7, NULL, 0, 0, NULL, 0 },
	/* 4: degraded, a banner with CRLF, a file name needing quotes */
	{ "[2001:db8::1]:22 ", "mail", 25, AP_STATUS_CONNECTED, "127.0.0.1",
	    45, 65, 0, NULL, 2, true, "my targets, \"v2\".txt", 9,
	    "220 mail ESMTP\r\n", 16, 1795508724999LL, att_degraded, 2 },
	/* 5: , " CR LF TAB ESC DEL \, UTF-8 kept, invalid UTF-8 (lone
	 * 0xff, truncated 0xc3, a surrogate), NEL, RLO; NUL in the banner */
	{ "a,b \"q\"\r\n\t\x1b[31m\x7f\\ \xc3\xa9\xe6\x97\xa5 \xff\xc3 "
	    "\xed\xa0\x80\xc2\x85\xe2\x80\xae", "h\xc3\xa9", 1,
	    AP_STATUS_ERROR, "", -1, 1, EADDRINUSE, NULL, 1, false, "-", 10,
	    "x\0y\xf0\x9f\x98\x80", 7, 1795508724123LL, NULL, 0 },
	/* 6: a router's ICMP admin-prohibited on both families (SPEC 5) */
	{ "fw.test:443", "fw.test", 443, AP_STATUS_DENIED, "198.18.2.16", -1,
	    252000, EHOSTUNREACH, NULL, 2, false, "targets.txt", 12, NULL, 0,
	    1795508724200LL, att_denied, 2, &att_denied[0].icmp },
};
#define NREC	NELEM(rec)

/* Goldens: checked by eye and by Python csv/json readers. */

static const char *const golden_csv[NREC] = {
	/* 0 */
	"localhost:22,localhost,22,connected,127.0.0.1,"
	"0.123,4.567,,,,,1,false,targets.txt:3,,2026-11-24T08:25:24.123Z"
	",127.0.0.1=ok\r\n",
	/* 1 */
	"db:5432,db,5432,refused,::1,,251.234,ECONNREFUSED,"
	"Connection refused,,,2,false,targets.txt:4,"
	",2026-11-24T08:25:24.124Z,::1=ECONNREFUSED;127.0.0.1=ECONNREF"
	"USED\r\n",
	/* 2 */
	"nosuch.test:80,nosuch.test,80,unresolved,"
	",,12.000,NXDOMAIN,name does not exist,,,0,false,"
	"-:5,,2026-11-24T08:25:24.125Z,\r\n",
	/* 3 */
	"web:99999,,,invalid,,,0.000,,port out of range,,,"
	"0,false,-:7,,1970-01-01T00:00:00.000Z,\r\n",
	/* 4 */
	"\"[2001:db8::1]:22 \",mail,25,connected,127.0.0.1,"
	"0.045,0.065,,,,,2,true,\"my targets, \"\"v2\"\".txt:9\","
	"220 mail ESMTP\\x0d\\x0a,2026-11-24T08:25:24.999Z,"
	"2001:db8::1=ENETUNREACH;127.0.0.1=ok\r\n",
	/* 5 */
	"\"a,b \"\"q\"\"\\x0d\\x0a\\x09\\x1b[31m\\x7f\\ \xc3\xa9\xe6\x97"
	"\xa5 \\xff\\xc3 \\xed\\xa0\\x80\\xc2\\x85\\xe2\\x80\\xae\",h\xc3\xa9,1,"
	"error,,,0.001,EADDRINUSE,Address already in use,,,"
	"1,false,-:10,x\\x00y\xf0\x9f\x98\x80,"
	"2026-11-24T08:25:24.123Z,\r\n",
	/* 6 */
	"fw.test:443,fw.test,443,denied,198.18.2.16,,252.000,EHOSTUNREACH,"
	"No route to host,admin-prohibited,198.18.0.1,2,false,"
	"targets.txt:12,,2026-11-24T08:25:24.200Z,"
	"198.18.2.16=EHOSTUNREACH;fd00:c::16=EACCES\r\n",
};

static const char *const golden_json[NREC] = {
	/* 0 */
	"{\"target\":\"localhost:22\",\"host\":\"localhost\","
	"\"port\":22,\"status\":\"connected\",\"ip\":\"127.0.0.1\","
	"\"rtt_ms\":0.123,\"elapsed_ms\":4.567,\"errno\":null,"
	"\"error\":null,\"icmp\":null,\"icmp_from\":null,\"addresses\":1,\"degraded\":false,"
	"\"line\":\"targets.txt:3\",\"banner\":null,"
	"\"timestamp\":\"2026-11-24T08:25:24.123Z\","
	"\"attempts\":[{\"ip\":\"127.0.0.1\",\"errno\":null,"
	"\"stage\":\"handshake\",\"ms\":0.123,\"icmp\":null,\"icmp_from\":null}]}\n",
	/* 1 */
	"{\"target\":\"db:5432\",\"host\":\"db\",\"port\":5432,"
	"\"status\":\"refused\",\"ip\":\"::1\",\"rtt_ms\":null,"
	"\"elapsed_ms\":251.234,\"errno\":\"ECONNREFUSED\","
	"\"error\":\"Connection refused\",\"icmp\":null,\"icmp_from\":null,\"addresses\":2,"
	"\"degraded\":false,\"line\":\"targets.txt:4\","
	"\"banner\":null,\"timestamp\":\"2026-11-24T08:25:24.124Z\","
	"\"attempts\":[{\"ip\":\"::1\",\"errno\":\"ECONNREFUSED\","
	"\"stage\":\"handshake\",\"ms\":0.080,\"icmp\":null,\"icmp_from\":null},{\"ip\":\"127.0.0.1\","
	"\"errno\":\"ECONNREFUSED\",\"stage\":\"handshake\","
	"\"ms\":1.234,\"icmp\":null,\"icmp_from\":null}]}\n",
	/* 2 */
	"{\"target\":\"nosuch.test:80\",\"host\":\"nosuch.test\","
	"\"port\":80,\"status\":\"unresolved\",\"ip\":null,"
	"\"rtt_ms\":null,\"elapsed_ms\":12.000,\"errno\":\"NXDOMAIN\","
	"\"error\":\"name does not exist\",\"icmp\":null,\"icmp_from\":null,\"addresses\":0,"
	"\"degraded\":false,\"line\":\"-:5\",\"banner\":null,"
	"\"timestamp\":\"2026-11-24T08:25:24.125Z\","
	"\"attempts\":[]}\n",
	/* 3 */
	"{\"target\":\"web:99999\",\"host\":null,\"port\":null,"
	"\"status\":\"invalid\",\"ip\":null,\"rtt_ms\":null,"
	"\"elapsed_ms\":0.000,\"errno\":null,\"error\":\"port out "
	"of range\",\"icmp\":null,\"icmp_from\":null,\"addresses\":0,\"degraded\":false,"
	"\"line\":\"-:7\",\"banner\":null,\"timestamp\":\"1970-01-01T0"
	"0:00:00.000Z\",\"attempts\":[]}\n",
	/* 4 */
	"{\"target\":\"[2001:db8::1]:22 \",\"host\":\"mail\","
	"\"port\":25,\"status\":\"connected\",\"ip\":\"127.0.0.1\","
	"\"rtt_ms\":0.045,\"elapsed_ms\":0.065,\"errno\":null,"
	"\"error\":null,\"icmp\":null,\"icmp_from\":null,\"addresses\":2,\"degraded\":true,"
	"\"line\":\"my targets, \\\"v2\\\".txt:9\","
	"\"banner\":\"220 mail ESMTP\\r\\n\",\"timestamp\":\"2026-11-2"
	"4T08:25:24.999Z\",\"attempts\":[{\"ip\":\"2001:db8::1\","
	"\"errno\":\"ENETUNREACH\",\"stage\":\"connect\","
	"\"ms\":0.015,\"icmp\":null,\"icmp_from\":null},{\"ip\":\"127.0.0.1\",\"errno\":null,"
	"\"stage\":\"handshake\",\"ms\":0.045,\"icmp\":null,\"icmp_from\":null}]}\n",
	/* 5 */
	"{\"target\":\"a,b \\\"q\\\"\\r\\n\\t\\u001b[31m\\u007f\\\\ "
	"\xc3\xa9\xe6\x97\xa5 \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\u0"
	"085\\u202e\",\"host\":\"h\xc3\xa9\","
	"\"port\":1,\"status\":\"error\",\"ip\":null,"
	"\"rtt_ms\":null,\"elapsed_ms\":0.001,\"errno\":\"EADDRINUSE\""
	",\"error\":\"Address already in use\",\"icmp\":null,\"icmp_from\":null,\"addresses\":1,"
	"\"degraded\":false,\"line\":\"-:10\",\"banner\":\"x\\u0000y\xf0"
	"\x9f\x98\x80\",\"timestamp\":\"2026-11-24T08:25:24.123Z\","
	"\"attempts\":[]}\n",
	/* 6 */
	"{\"target\":\"fw.test:443\",\"host\":\"fw.test\",\"port\":443,"
	"\"status\":\"denied\",\"ip\":\"198.18.2.16\",\"rtt_ms\":null,"
	"\"elapsed_ms\":252.000,\"errno\":\"EHOSTUNREACH\","
	"\"error\":\"No route to host\",\"icmp\":\"admin-prohibited\","
	"\"icmp_from\":\"198.18.0.1\",\"addresses\":2,"
	"\"degraded\":false,\"line\":\"targets.txt:12\","
	"\"banner\":null,\"timestamp\":\"2026-11-24T08:25:24.200Z\","
	"\"attempts\":[{\"ip\":\"198.18.2.16\",\"errno\":\"EHOSTUNREACH\","
	"\"stage\":\"handshake\",\"ms\":1.500,\"icmp\":\"admin-prohibited\","
	"\"icmp_from\":\"198.18.0.1\"},{\"ip\":\"fd00:c::16\","
	"\"errno\":\"EACCES\",\"stage\":\"handshake\",\"ms\":2.000,"
	"\"icmp\":\"admin-prohibited\",\"icmp_from\":\"fd00:a::1\"}]}\n",
};

static const char *const golden_text[NREC] = {
	/* 0 */
	"localhost:22          connected   127.0.0.1           0.12"
	"3\n",
	/* 1 */
	"db:5432               refused     ::1                     "
	"-  ECONNREFUSED\n",
	/* 2 */
	"nosuch.test:80        unresolved  -                       "
	"-  NXDOMAIN\n",
	/* 3 */
	"web:99999             invalid     -                       "
	"-  port out of range\n",
	/* 4 */
	"mail:25               connected   127.0.0.1           0.04"
	"5  degraded; banner: 220 mail ESMTP\\x0d\\x0a\n",
	/* 5 */
	"h\xc3\xa9:1                  error       -                "
	"       -  EADDRINUSE; banner: x\\x00y\xf0\x9f\x98\x80\n",
	/* 6 */
	"fw.test:443           denied      198.18.2.16             -"
	"  EHOSTUNREACH; icmp admin-prohibited from 198.18.0.1\n",
};

static const char *const golden_text_v[NREC] = {
	/* 0 */
	"localhost:22          connected   127.0.0.1           0.12"
	"3\n    attempt 127.0.0.1 ok handshake 0.123 ms\n",
	/* 1 */
	"db:5432               refused     ::1                     "
	"-  ECONNREFUSED\n    attempt ::1 ECONNREFUSED handshake 0."
	"080 ms\n    attempt 127.0.0.1 ECONNREFUSED handshake 1.234"
	" ms\n",
	/* 2 */
	"nosuch.test:80        unresolved  -                       "
	"-  NXDOMAIN\n",
	/* 3 */
	"web:99999             invalid     -                       "
	"-  port out of range\n",
	/* 4 */
	"mail:25               connected   127.0.0.1           0.04"
	"5  degraded; banner: 220 mail ESMTP\\x0d\\x0a\n    attempt"
	" 2001:db8::1 ENETUNREACH connect 0.015 ms\n    attempt 127"
	".0.0.1 ok handshake 0.045 ms\n",
	/* 5 */
	"h\xc3\xa9:1                  error       -                "
	"       -  EADDRINUSE; banner: x\\x00y\xf0\x9f\x98\x80\n",
	/* 6 */
	"fw.test:443           denied      198.18.2.16             -"
	"  EHOSTUNREACH; icmp admin-prohibited from 198.18.0.1\n"
	"    attempt 198.18.2.16 EHOSTUNREACH handshake 1.500 ms icmp"
	" admin-prohibited from 198.18.0.1\n    attempt fd00:c::16 "
	"EACCES handshake 2.000 ms icmp admin-prohibited from fd00:a::1"
	"\n",
};

/* Helpers */

/* A format's writer over records into memory (tu_render()); the caller
 * frees the text. */
static char *
render(const char *format, int verbose, bool begin, const struct ap_result *r,
    size_t n, size_t *lenp)
{
	struct ap_writer	 w;

	memset(&w, 0, sizeof(w));
	ck_assert_ptr_nonnull(w.ops = ap_output_find(format));
	w.verbose = verbose;
	return (tu_render(&w, begin, r, n, lenp, NULL));
}

/* Compare with a golden, byte for byte (goldens hold no NUL). */
static void
assert_golden(const char *format, int verbose, size_t i, const char *want)
{
	char	*got;
	size_t	 len;

	got = render(format, verbose, false, &rec[i], 1, &len);
	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0,
	    "%s record %zu:\n got: %s\nwant: %s", format, i, got, want);
	free(got);
}

/* Registry and shared formatters */

START_TEST(test_registry)
{
	ck_assert_ptr_eq(ap_output_find("text"), &ap_output_text);
	ck_assert_ptr_eq(ap_output_find("csv"), &ap_output_csv);
	ck_assert_ptr_eq(ap_output_find("json"), &ap_output_json);
	ck_assert_str_eq(ap_output_text.name, "text");
	ck_assert_str_eq(ap_output_csv.name, "csv");
	ck_assert_str_eq(ap_output_json.name, "json");
	ck_assert_ptr_null(ap_output_find("xml"));
	ck_assert_ptr_null(ap_output_find("JSON"));
	ck_assert_ptr_null(ap_output_find(""));
	ck_assert_ptr_null(ap_output_find(NULL));
	ck_assert_str_eq(ap_output_list(), "text, csv, json, prom, nagios");
}
END_TEST

static const struct ms_case {
	int64_t		 us;
	const char	*want;
} ms_cases[] = {
	{ 0, "0.000" }, { 1, "0.001" }, { 999, "0.999" }, { 1000, "1.000" },
	{ 1234567, "1234.567" }, { -1, "-0.001" }, { -1500, "-1.500" },
	{ INT64_MAX, "9223372036854775.807" },
	{ INT64_MIN, "-9223372036854775.808" },
};

START_TEST(test_format_ms)
{
	char	 buf[32];

	ap_format_ms(ms_cases[_i].us, buf, sizeof(buf));
	ck_assert_str_eq(buf, ms_cases[_i].want);
}
END_TEST

static const struct ts_case {
	int64_t		 ms;
	const char	*want;
} ts_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1795508724123LL, "2026-11-24T08:25:24.123Z" },
	{ 951782400000LL, "2000-02-29T00:00:00.000Z" },
	{ 999, "1970-01-01T00:00:00.999Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
};

/* What ap_obuf_timestamp() appends, as a string in buf (64 bytes). */
static void
format_timestamp(int64_t ms, char *buf)
{
	struct ap_obuf	 b;

	ap_obuf_init(&b, buf, 64);
	ap_obuf_timestamp(&b, ms);
	ck_assert_ptr_null(b.heap);
	ck_assert_uint_lt(b.len, 64);
	buf[b.len] = '\0';
}

START_TEST(test_format_timestamp)
{
	char	 buf[64];

	format_timestamp(ts_cases[_i].ms, buf);
	ck_assert_str_eq(buf, ts_cases[_i].want);
}
END_TEST

/* Found by fuzz_writers: the extremes format without overflow (UBSan
 * watches) into a terminated string. */
START_TEST(test_format_timestamp_extremes)
{
	char	 buf[64];

	memset(buf, 'x', sizeof(buf));
	format_timestamp(INT64_MIN, buf);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));
	memset(buf, 'x', sizeof(buf));
	format_timestamp(INT64_MAX, buf);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));
}
END_TEST

START_TEST(test_format_truncates)
{
	char	 buf[6];

	ap_format_ms(1234567, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1234.");
}
END_TEST

/* Golden records */

#define CSV_HEADER	"target,host,port,status,ip,rtt_ms,elapsed_ms," \
	"errno,error,icmp,icmp_from,addresses,degraded,line,banner,timestamp," \
	"attempts\r\n"

/* The header comes just before the first record: none, no header. */
START_TEST(test_csv_header)
{
	char	*got;

	got = render("csv", 0, true, NULL, 0, NULL);
	ck_assert_str_eq(got, "");
	free(got);
	got = render("csv", 0, true, rec, 2, NULL);
	ck_assert_ptr_eq(strstr(got, CSV_HEADER), got);
	ck_assert_str_eq(got + strlen(CSV_HEADER),
	    "localhost:22,localhost,22,connected,127.0.0.1,"
	    "0.123,4.567,,,,,1,false,targets.txt:3,,2026-11-24T08:25:24.123Z"
	    ",127.0.0.1=ok\r\n"
	    "db:5432,db,5432,refused,::1,,251.234,ECONNREFUSED,"
	    "Connection refused,,,2,false,targets.txt:4,"
	    ",2026-11-24T08:25:24.124Z,::1=ECONNREFUSED;127.0.0.1=ECONNREF"
	    "USED\r\n");
	free(got);
}
END_TEST

/* --no-header: text and csv write the records only. */
START_TEST(test_no_header)
{
	static const char *const formats[] = { "text", "csv" };
	struct ap_writer	 w;
	char			*buf = NULL, *want;
	size_t			 len = 0;
	FILE			*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find(formats[_i]);
	w.fp = fp;
	w.no_header = true;
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	ck_assert_int_eq(ap_writer_write(&w, &rec[0]), 0);
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(fclose(fp), 0);
	want = render(formats[_i], 0, false, &rec[0], 1, NULL);
	ck_assert_str_eq(buf, want);
	free(want);
	free(buf);
}
END_TEST

/*
 * Copies of a writer (an -j engine's, an --ordered group's) format into
 * buffers of their own; the header still goes to the stream begun, once,
 * before the first record is formatted anywhere.
 */
START_TEST(test_header_from_copies)
{
	struct ap_writer	 w, c1, c2;
	char			*buf = NULL, *b1 = NULL, *b2 = NULL;
	size_t			 len = 0, l1 = 0, l2 = 0;
	FILE			*fp, *f1, *f2;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	ck_assert_ptr_nonnull(f1 = open_memstream(&b1, &l1));
	ck_assert_ptr_nonnull(f2 = open_memstream(&b2, &l2));
	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find("csv");
	w.fp = fp;
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	c1 = w;
	c1.fp = f1;
	c2 = w;
	c2.fp = f2;
	ck_assert_int_eq(ap_writer_write(&c2, &rec[1]), 0);
	ck_assert_int_eq(ap_writer_write(&c1, &rec[0]), 0);
	ck_assert_int_eq(ap_writer_write(&c2, &rec[2]), 0);
	ck_assert_int_eq(fclose(f1), 0);
	ck_assert_int_eq(fclose(f2), 0);
	ck_assert_int_eq(fflush(fp), 0);
	ck_assert_str_eq(buf, CSV_HEADER);
	ck_assert_ptr_null(strstr(b1, "target,host"));
	ck_assert_ptr_null(strstr(b2, "target,host"));
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(fclose(fp), 0);
	free(buf);
	free(b1);
	free(b2);
}
END_TEST

START_TEST(test_golden_csv)
{
	assert_golden("csv", 0, _i, golden_csv[_i]);
}
END_TEST

START_TEST(test_golden_json)
{
	assert_golden("json", 0, _i, golden_json[_i]);
}
END_TEST

START_TEST(test_golden_text)
{
	assert_golden("text", 0, _i, golden_text[_i]);
}
END_TEST

START_TEST(test_golden_text_verbose)
{
	assert_golden("text", 1, _i, golden_text_v[_i]);
}
END_TEST

START_TEST(test_json_no_header)
{
	char	*got;

	got = render("json", 0, true, NULL, 0, NULL);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

/*
 * The text columns line up: every field of rows 0 to 5 starts where its
 * header does, and an IPv4 row fits 80 columns.
 */
START_TEST(test_text_alignment)
{
	static const char *const heads[] = { "STATUS", "IP", "RTT_MS" };
	char	*got, *line[6], *p, *save = NULL;
	size_t	 i, n = 0, hcol;

	got = render("text", 0, true, rec, 5, NULL);
	for (p = strtok_r(got, "\n", &save); p != NULL && n < NELEM(line);
	    p = strtok_r(NULL, "\n", &save))
		line[n++] = p;
	ck_assert_uint_eq(n, 6);
	ck_assert_ptr_eq(strstr(line[0], "TARGET"), line[0]);
	for (i = 0; i < NELEM(heads); i++) {
		hcol = (size_t)(strstr(line[0], heads[i]) - line[0]);
		ck_assert_uint_eq(hcol, i == 0 ? 22 : i == 1 ? 34 : 53);
	}
	for (i = 1; i < n; i++) {
		/* Status at 22, ip at 34, rtt right-aligned to end at 58. */
		ck_assert_msg(line[i][21] == ' ' && line[i][22] != ' ',
		    "row %zu: %s", i, line[i]);
		ck_assert_msg(line[i][33] == ' ' && line[i][34] != ' ',
		    "row %zu: %s", i, line[i]);
		ck_assert_msg(line[i][58] != ' ' && (line[i][59] == '\0' ||
		    line[i][59] == ' '), "row %zu: %s", i, line[i]);
		/* The IPv4 rows, errno and all. */
		if (i != 2)
			ck_assert_msg(strlen(line[i]) <= 80 || i == 5,
			    "row %zu: %s", i, line[i]);
	}
	ck_assert_int_eq(line[0][58], 'S');	/* "RTT_MS" ends at 58 */
	free(got);
}
END_TEST

/* Escaping, one value at a time: the target field of each format. */

static const struct esc_case {
	const char	*in;
	const char	*json;		/* the JSON string, quotes included */
	const char	*csv;		/* the CSV field */
	const char	*text;		/* the text column, unpadded */
} esc_cases[] = {
	{ "plain:80", "\"plain:80\"", "plain:80", "plain:80" },
	{ "a,b", "\"a,b\"", "\"a,b\"", "a,b" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"", "\"say \"\"hi\"\"\"",
	    "say \"hi\"" },
	{ "cr\rlf\n", "\"cr\\rlf\\n\"", "cr\\x0dlf\\x0a", "cr\\x0dlf\\x0a" },
	{ "tab\there", "\"tab\\there\"", "tab\\x09here", "tab\\x09here" },
	{ "\x01\x1b\x7f\b\f", "\"\\u0001\\u001b\\u007f\\b\\f\"",
	    "\\x01\\x1b\\x7f\\x08\\x0c", "\\x01\\x1b\\x7f\\x08\\x0c" },
	{ "back\\slash", "\"back\\\\slash\"", "back\\slash",
	    "back\\slash" },
	{ " lead", "\" lead\"", "\" lead\"", " lead" },
	{ "trail\t", "\"trail\\t\"", "trail\\x09", "trail\\x09" },
	{ "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
	    "\"caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80\"",
	    "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80" },
	{ "\xff", "\"\\ufffd\"", "\\xff", "\\xff" },
	{ "x\xc3", "\"x\\ufffd\"", "x\\xc3", "x\\xc3" },
	{ "\xe6\x97", "\"\\ufffd\\ufffd\"", "\\xe6\\x97", "\\xe6\\x97" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "\\xc0\\xaf",
	    "\\xc0\\xaf" },				/* overlong "/" */
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"",
	    "\\xe0\\x80\\xaf", "\\xe0\\x80\\xaf" },
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
	    "\\xed\\xa0\\x80", "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "\\xf4\\x90\\x80\\x80",
	    "\\xf4\\x90\\x80\\x80" },			/* past U+10FFFF */
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf",
	    "\xf4\x8f\xbf\xbf" },			/* U+10FFFF */
	{ "\xc2\x85", "\"\\u0085\"", "\\xc2\\x85",
	    "\\xc2\\x85" },				/* NEL */
	{ "\xc2\xa0", "\"\xc2\xa0\"", "\xc2\xa0", "\xc2\xa0" },	/* NBSP */
	{ "\xe2\x80\xae", "\"\\u202e\"", "\\xe2\\x80\\xae",
	    "\\xe2\\x80\\xae" },			/* RLO */
	{ "\xe2\x80\x8b", "\"\\u200b\"", "\\xe2\\x80\\x8b",
	    "\\xe2\\x80\\x8b" },			/* ZWSP */
	{ "\xe2\x81\xa6", "\"\\u2066\"", "\\xe2\\x81\\xa6",
	    "\\xe2\\x81\\xa6" },			/* LRI */
	{ "", "\"\"", "", "-" },
};

/* A backslash the peer sent is \\ in text and csv, so a banner spelling
 * "\x1b" never reads like one that sent ESC; JSON says both its way. */
START_TEST(test_banner_backslash)
{
	static const struct {
		const char	*banner, *text, *csv, *json;
	} cases[] = {
		{ "a\\x1bb", "banner: a\\\\x1bb\n", ",a\\\\x1bb,",
		    "\"banner\":\"a\\\\x1bb\"" },
		{ "a\x1b" "b", "banner: a\\x1bb\n", ",a\\x1bb,",
		    "\"banner\":\"a\\u001bb\"" },
		{ "\\", "banner: \\\\\n", ",\\\\,", "\"banner\":\"\\\\\"" },
		{ "x, \\y", "banner: x, \\\\y\n", ",\"x, \\\\y\",",
		    "\"banner\":\"x, \\\\y\"" },
	};
	struct ap_result	 r = rec[0];
	char			*got;
	size_t			 i;

	for (i = 0; i < NELEM(cases); i++) {
		r.banner = cases[i].banner;
		r.banner_len = strlen(cases[i].banner);
		got = render("text", 0, false, &r, 1, NULL);
		ck_assert_msg(strstr(got, cases[i].text) != NULL, "text %zu: %s",
		    i, got);
		free(got);
		got = render("csv", 0, false, &r, 1, NULL);
		ck_assert_msg(strstr(got, cases[i].csv) != NULL, "csv %zu: %s",
		    i, got);
		free(got);
		got = render("json", 0, false, &r, 1, NULL);
		ck_assert_msg(strstr(got, cases[i].json) != NULL, "json %zu: %s",
		    i, got);
		free(got);
	}
}
END_TEST

START_TEST(test_escape)
{
	const struct esc_case	*c = &esc_cases[_i];
	struct ap_result	 r = rec[3];
	char			*got, *want;
	size_t			 len, i, cols;

	r.target = c->in;

	got = render("json", 0, false, &r, 1, NULL);
	ck_assert_int_ge(asprintf(&want, "{\"target\":%s,\"host\":null,",
	    c->json), 0);
	ck_assert_msg(strncmp(got, want, strlen(want)) == 0,
	    "json %d: %s", _i, got);
	free(want);
	free(got);

	got = render("csv", 0, false, &r, 1, NULL);
	ck_assert_int_ge(asprintf(&want, "%s,,,invalid,", c->csv), 0);
	ck_assert_msg(strncmp(got, want, strlen(want)) == 0,
	    "csv %d: %s", _i, got);
	free(want);
	free(got);

	/* Padded to 21 columns, one per character: escapes count in full. */
	got = render("text", 0, false, &r, 1, NULL);
	len = strlen(c->text);
	for (i = 0, cols = 0; i < len; i++)
		cols += ((unsigned char)c->text[i] & 0xc0) != 0x80;
	ck_assert_int_ge(asprintf(&want, "%s%*s invalid ", c->text,
	    cols < 21 ? (int)(21 - cols) : 0, ""), 0);
	ck_assert_msg(strncmp(got, want, strlen(want)) == 0,
	    "text %d: %s", _i, got);
	free(want);
	free(got);
}
END_TEST

/* The banner is bytes with a length: NUL and everything after it count. */
START_TEST(test_banner_bytes)
{
	struct ap_result	 r = rec[0];
	char			*got;

	r.banner = "a\0b\"";
	r.banner_len = 4;
	got = render("json", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, ",\"banner\":\"a\\u0000b\\\"\","));
	free(got);
	got = render("csv", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, ",\"a\\x00b\"\"\","));
	free(got);
	r.banner_len = 0;
	got = render("json", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, ",\"banner\":\"\","));
	free(got);
}
END_TEST

/* error_text wins over the errno's text, in every format. */
START_TEST(test_error_text_override)
{
	struct ap_result	 r = rec[1];
	char			*got;

	r.error_text = "reset by 127.0.0.1, twice";
	got = render("json", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, "\"errno\":\"ECONNREFUSED\","
	    "\"error\":\"reset by 127.0.0.1, twice\""));
	free(got);
	got = render("csv", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, ",ECONNREFUSED,\"reset by "
	    "127.0.0.1, twice\","));
	free(got);
	got = render("text", 0, false, &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(got, "  ECONNREFUSED: reset by "
	    "127.0.0.1, twice\n"));
	free(got);
}
END_TEST

/* Write errors */

/*
 * A full disk (/dev/full) shows at end() at the latest; a reader that went
 * away (a pipe closed at the other end) at the first write.
 */
START_TEST(test_dev_full)
{
	struct ap_writer	 w;
	const char		*formats[] = { "text", "csv", "json" };

	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find(formats[_i]);
	if ((w.fp = fopen("/dev/full", "w")) == NULL) {
		fprintf(stderr, "no /dev/full: skipped\n");
		return;
	}
	ck_assert_int_eq(ap_writer_begin(&w), 0);	/* still buffered */
	ck_assert_int_eq(ap_writer_write(&w, &rec[1]), 0);
	ck_assert_int_eq(ap_writer_end(&w), -1);
	fclose(w.fp);
}
END_TEST

START_TEST(test_closed_pipe)
{
	struct ap_writer	 w;
	const char		*formats[] = { "text", "csv", "json" };
	int			 fd[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fd), 0);
	close(fd[0]);
	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find(formats[_i]);
	ck_assert_ptr_nonnull(w.fp = fdopen(fd[1], "w"));
	setvbuf(w.fp, NULL, _IONBF, 0);
	ck_assert_int_eq(ap_writer_write(&w, &rec[0]), -1);
	ck_assert_int_eq(ap_writer_end(&w), -1);
	fclose(w.fp);
}
END_TEST

START_TEST(test_end_ok)
{
	struct ap_writer	 w;
	char			*buf = NULL;
	size_t			 len = 0;

	memset(&w, 0, sizeof(w));
	w.ops = &ap_output_csv;
	ck_assert_ptr_nonnull(w.fp = open_memstream(&buf, &len));
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	ck_assert_int_eq(ap_writer_write(&w, &rec[0]), 0);
	ck_assert_int_eq(ap_writer_end(&w), 0);
	/* end() flushed: the record is visible before fclose(). */
	ck_assert_uint_gt(len, 0);
	fclose(w.fp);
	free(buf);
}
END_TEST

/*
 * A format is its ops table: a writer defined here, in no registry row of
 * the library, gets its header, records, input errors and exit code
 * through the same wrappers the engine and main.c call.
 */
static int	 t_begins, t_writes, t_errors;

static int
t_begin(struct ap_writer *w)
{
	t_begins++;
	return (fputs("HEAD\n", w->fp) == EOF ? -1 : 0);
}

static int
t_write(struct ap_writer *w, const struct ap_result *r)
{
	t_writes++;
	return (fprintf(w->fp, "%s\n", r->target) < 0 ? -1 : 0);
}

static void
t_input_error(struct ap_writer *w, const char *reason)
{
	(void)w;
	(void)reason;
	t_errors++;
}

static int
t_exit_code(const struct ap_writer *w, int status)
{
	(void)w;
	return (status + 40);
}

static const struct ap_writer_ops test_writer = {
	.name = "test",
	.whole_run = true,
	.begin = t_begin,
	.write = t_write,
	.input_error = t_input_error,
	.exit_code = t_exit_code,
};

START_TEST(test_test_only_writer)
{
	struct ap_writer	 w;
	char			*buf = NULL;
	size_t			 len = 0;

	memset(&w, 0, sizeof(w));
	w.ops = &test_writer;
	ck_assert_ptr_nonnull(w.fp = open_memstream(&buf, &len));
	ck_assert(ap_writer_whole_run(&w));
	ck_assert(ap_writer_has_exit_code(&w));
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	ck_assert_int_eq(t_begins, 0);			/* lazily */
	ap_writer_input_error(&w, "x.txt: No such file or directory");
	ck_assert_int_eq(t_errors, 1);
	ck_assert_int_eq(ap_writer_write(&w, &rec[0]), 0);
	ck_assert_int_eq(ap_writer_write(&w, &rec[1]), 0);
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(t_begins, 1);
	ck_assert_int_eq(t_writes, 2);
	ck_assert_str_eq(buf, "HEAD\nlocalhost:22\ndb:5432\n");
	ck_assert_int_eq(ap_writer_exit_code(&w, 1), 41);
	fclose(w.fp);
	free(buf);
	/* Not in the library's registry: one row there makes a format. */
	ck_assert_ptr_null(ap_output_find("test"));
	ck_assert_str_eq(ap_output_list(), "text, csv, json, prom, nagios");
	/* The others: no hook, the SPEC 6 status stands; no input hook. */
	w.ops = &ap_output_json;
	ck_assert(!ap_writer_whole_run(&w));
	ck_assert_int_eq(ap_writer_exit_code(&w, 2), 2);
	ap_writer_input_error(&w, "ignored");
}
END_TEST

/*
 * ...and one row makes it a format: registered, the test writer is found
 * by name, listed for --help, taken by -f, and written through the same
 * wrappers.  Rows are never added twice.
 */
START_TEST(test_registered_writer)
{
	struct ap_options	 o;
	struct ap_writer	 w;
	char			 a0[] = "asyncprobe", a1[] = "-f", a2[] = "test";
	char			*argv[] = { a0, a1, a2, NULL };
	char			 err[256] = "", *buf = NULL;
	size_t			 len = 0;
	int			 begins = t_begins, writes = t_writes;

	ck_assert_str_eq(ap_output_list(), "text, csv, json, prom, nagios");
	ck_assert_int_eq(ap_output_register(&test_writer), 0);
	ck_assert_ptr_eq(ap_output_find("test"), &test_writer);
	ck_assert_str_eq(ap_output_list(),
	    "text, csv, json, prom, nagios, test");
	ck_assert_int_eq(ap_output_register(&test_writer), -1);
	ck_assert_int_eq(ap_output_register(&ap_output_csv), -1);
	ck_assert_ptr_eq(ap_output_find("csv"), &ap_output_csv);

	ck_assert_msg(ap_cli_parse(3, argv, &o, err, sizeof(err)) ==
	    AP_CLI_OK, "-f test: %s", err);
	ck_assert_ptr_eq(o.format, &test_writer);
	ap_options_free(&o);

	memset(&w, 0, sizeof(w));
	ck_assert_ptr_nonnull(w.ops = ap_output_find("test"));
	ck_assert_ptr_nonnull(w.fp = open_memstream(&buf, &len));
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	ck_assert_int_eq(ap_writer_write(&w, &rec[1]), 0);
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(t_begins - begins, 1);
	ck_assert_int_eq(t_writes - writes, 1);
	ck_assert_str_eq(buf, "HEAD\ndb:5432\n");
	fclose(w.fp);
	free(buf);
}
END_TEST

/* Stats */

static struct ap_stats *
stats_example(void)
{
	static const int64_t	 rtts[] = { 300, 45, 210, 80, 60, 150, 90, 70 };
	struct ap_stats		*st;
	struct ap_result	 r;
	size_t			 i;

	st = ap_stats_new();
	memset(&r, 0, sizeof(r));
	for (i = 0; i < NELEM(rtts); i++) {
		r.status = AP_STATUS_CONNECTED;
		r.rtt_us = rtts[i];
		r.addresses = i < 2 ? 2 : 1;
		r.degraded = i == 0;
		ap_stats_add(st, &r);
	}
	r.rtt_us = -1;
	r.degraded = false;
	r.addresses = 2;
	r.status = AP_STATUS_REFUSED;
	ap_stats_add(st, &r);
	ap_stats_add(st, &r);
	r.status = AP_STATUS_TIMEOUT;
	r.addresses = 1;
	ap_stats_add(st, &r);
	r.status = AP_STATUS_INVALID;
	r.addresses = 0;
	ap_stats_add(st, &r);
	return (st);
}

static char *
stats_render(const struct ap_stats *st, int64_t elapsed_us, unsigned peak)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	ck_assert_int_eq(ap_stats_print(st, fp, elapsed_us, peak), 0);
	fclose(fp);
	return (buf);
}

START_TEST(test_stats_golden)
{
	struct ap_stats	*st = stats_example();
	char		*got;

	ck_assert_uint_eq(st->targets, 12);
	ck_assert_uint_eq(st->status[AP_STATUS_CONNECTED], 8);
	ck_assert_uint_eq(st->nrtt, 8);
	got = stats_render(st, 1204000, 12);
	ck_assert_str_eq(got, "asyncprobe: 12 targets in 1.204 s (9.97/s): "
	    "8 connected, 2 refused, 1 timeout, 1 invalid; 1 degraded; "
	    "15 addresses tried; rtt min/median/p95/max "
	    "0.045/0.080/0.300/0.300 ms; peak 12 in flight\n");
	free(got);
	ap_stats_free(st);
}
END_TEST

START_TEST(test_stats_empty)
{
	struct ap_stats	*st = ap_stats_new();
	char		*got;

	got = stats_render(st, 0, 0);
	ck_assert_str_eq(got, "asyncprobe: 0 targets in 0.000 s; "
	    "0 degraded; 0 addresses tried; peak 0 in flight\n");
	free(got);
	ck_assert_int_eq(ap_stats_rank(NULL, 0, 50), -1);
	ap_stats_free(st);
	ap_stats_free(NULL);
}
END_TEST

START_TEST(test_stats_one)
{
	struct ap_stats		*st = ap_stats_new();
	struct ap_result	 r = rec[1];
	char			*got;

	ap_stats_add(st, &r);
	got = stats_render(st, 2500, 1);
	ck_assert_str_eq(got, "asyncprobe: 1 target in 0.002 s (400.00/s): "
	    "1 refused; 0 degraded; 2 addresses tried; peak 1 in flight\n");
	free(got);
	ap_stats_free(st);
}
END_TEST

/* Nearest rank over 1..20 ms. */
static const struct pct_case {
	unsigned	 pct;
	int64_t		 want;
} pct_cases[] = {
	{ 0, 1000 }, { 1, 1000 }, { 5, 1000 }, { 6, 2000 }, { 50, 10000 },
	{ 51, 11000 }, { 90, 18000 }, { 95, 19000 }, { 96, 20000 },
	{ 100, 20000 }, { 200, 20000 },
};

START_TEST(test_stats_percentile)
{
	int64_t		 v[20];
	unsigned	 i;

	for (i = 0; i < NELEM(v); i++)
		v[i] = (int64_t)(i + 1) * 1000;
	ck_assert_int_eq(ap_stats_rank(v, NELEM(v), pct_cases[_i].pct),
	    pct_cases[_i].want);
}
END_TEST

START_TEST(test_stats_merge)
{
	struct ap_stats	*a = stats_example(), *b = stats_example();
	struct ap_stats	*sum = ap_stats_new();
	char		*got;

	ap_stats_merge(sum, a);
	ap_stats_merge(sum, b);
	ck_assert_uint_eq(sum->targets, 24);
	ck_assert_uint_eq(sum->status[AP_STATUS_REFUSED], 4);
	ck_assert_uint_eq(sum->degraded, 2);
	ck_assert_uint_eq(sum->addresses, 30);
	ck_assert_uint_eq(sum->nrtt, 16);
	got = stats_render(sum, 2000000, 3);
	ck_assert_str_eq(got, "asyncprobe: 24 targets in 2.000 s (12.00/s): "
	    "16 connected, 4 refused, 2 timeout, 2 invalid; 2 degraded; "
	    "30 addresses tried; rtt min/median/p95/max "
	    "0.045/0.080/0.300/0.300 ms; peak 3 in flight\n");
	free(got);
	ap_stats_free(a);
	ap_stats_free(b);
	ap_stats_free(sum);
}
END_TEST

/* Many samples, added in reverse: the array grows, every rtt is kept and
 * the summary sorts them. */
START_TEST(test_stats_many)
{
	struct ap_stats		*st = ap_stats_new();
	struct ap_result	 r;
	int64_t			 i;
	char			*got;

	memset(&r, 0, sizeof(r));
	for (i = 10000; i >= 1; i--) {
		r.rtt_us = i;
		ap_stats_add(st, &r);
	}
	ck_assert_uint_eq(st->nrtt, 10000);
	got = stats_render(st, 1000000, 1);
	ck_assert_msg(strstr(got, "; rtt min/median/p95/max "
	    "0.001/5.000/9.500/10.000 ms;") != NULL, "%s", got);
	free(got);
	ap_stats_free(st);
}
END_TEST

static Suite *
output_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("output");

	tc = tcase_create("registry");
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_test_only_writer);
	tcase_add_test(tc, test_registered_writer);
	tcase_add_loop_test(tc, test_format_ms, 0, NELEM(ms_cases));
	tcase_add_loop_test(tc, test_format_timestamp, 0, NELEM(ts_cases));
	tcase_add_test(tc, test_format_timestamp_extremes);
	tcase_add_test(tc, test_format_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("golden");
	tcase_add_test(tc, test_csv_header);
	tcase_add_loop_test(tc, test_no_header, 0, 2);
	tcase_add_test(tc, test_header_from_copies);
	tcase_add_test(tc, test_json_no_header);
	tcase_add_loop_test(tc, test_golden_csv, 0, NREC);
	tcase_add_loop_test(tc, test_golden_json, 0, NREC);
	tcase_add_loop_test(tc, test_golden_text, 0, NREC);
	tcase_add_loop_test(tc, test_golden_text_verbose, 0, NREC);
	tcase_add_test(tc, test_text_alignment);
	suite_add_tcase(s, tc);

	tc = tcase_create("escaping");
	tcase_add_loop_test(tc, test_escape, 0, NELEM(esc_cases));
	tcase_add_test(tc, test_banner_backslash);
	tcase_add_test(tc, test_banner_bytes);
	tcase_add_test(tc, test_error_text_override);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_dev_full, 0, 3);
	tcase_add_loop_test(tc, test_closed_pipe, 0, 3);
	tcase_add_test(tc, test_end_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_test(tc, test_stats_golden);
	tcase_add_test(tc, test_stats_empty);
	tcase_add_test(tc, test_stats_one);
	tcase_add_loop_test(tc, test_stats_percentile, 0, NELEM(pct_cases));
	tcase_add_test(tc, test_stats_merge);
	tcase_add_test(tc, test_stats_many);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (ap_check_run(output_suite()));
}
