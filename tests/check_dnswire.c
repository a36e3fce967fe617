/* SPDX-License-Identifier: ISC */
/* check_dnswire.c -- DNS on the wire: the query a truncated question is
 * asked again with (byte for byte, with and without EDNS0), and answers
 * read as the re-ask reads them, hostile ones above all: compression
 * loops, pointers out of bounds or forward, counts larger than the packet,
 * another ID or question, short packets, cut records, CNAME chains and
 * loops.  Every packet sits in a buffer of its exact size, so a read past
 * its end is a sanitizer error; every cut of every packet and random
 * damage to them must be answered without one. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "testutil.h"

#define QID		0x1234

/* Hex with spaces into a malloc'd buffer of exactly the bytes. */
static uint8_t *
unhex(const char *hex, size_t *len)
{
	uint8_t		*out = malloc(strlen(hex) / 2 + 1);
	unsigned	 v;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(out);
	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ck_assert_msg(sscanf(hex, "%2x", &v) == 1 && hex[1] != '\0' &&
		    hex[1] != ' ', "bad hex at '%s'", hex);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	*len = n;
	return (realloc(out, n > 0 ? n : 1));
}

static void
hex_of(const uint8_t *p, size_t len, char *buf, size_t buflen)
{
	size_t	i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < len && o + 3 < buflen; i++)
		o += (size_t)snprintf(buf + o, buflen - o, "%02x", p[i]);
}

/* --- queries ------------------------------------------------------------ */

struct query_case {
	const char	*name;
	uint16_t	 qtype;
	bool		 edns;
	const char	*want;		/* hex without spaces; NULL: refused */
};

#define QHDR(ar)	"12340100000100000000000" ar
/* Root owner, type 41, payload 4096, TTL and RDLENGTH 0. */
#define OPT		"00" "0029" "1000" "00000000" "0000"

static const struct query_case query_cases[] = {
	{ "a.test", AP_DNS_TYPE_A, false,
	    QHDR("0") "0161047465737400" "00010001" },
	{ "a.test.", AP_DNS_TYPE_A, false,
	    QHDR("0") "0161047465737400" "00010001" },
	{ "Mixed.Case", AP_DNS_TYPE_AAAA, false,
	    QHDR("0") "054d69786564044361736500" "001c0001" },
	{ "a.test", AP_DNS_TYPE_A, true,
	    QHDR("1") "0161047465737400" "00010001" OPT },
	{ "x", AP_DNS_TYPE_AAAA, true,
	    QHDR("1") "017800" "001c0001" OPT },
	{ "", AP_DNS_TYPE_A, false, NULL },
	{ ".", AP_DNS_TYPE_A, false, NULL },
	{ "a..b", AP_DNS_TYPE_A, false, NULL },
	{ ".a", AP_DNS_TYPE_A, false, NULL },
	{ "a.b..", AP_DNS_TYPE_A, false, NULL },
};

START_TEST(test_query)
{
	const struct query_case	*c = &query_cases[_i];
	uint8_t			 buf[AP_DNSWIRE_QUERY_MAX];
	char			 got[2 * AP_DNSWIRE_QUERY_MAX + 1];
	size_t			 n;

	n = ap_dnswire_query(buf, sizeof(buf), QID, c->name, c->qtype,
	    c->edns);
	if (c->want == NULL) {
		ck_assert_msg(n == 0, "'%s' gave %zu bytes", c->name, n);
		return;
	}
	hex_of(buf, n, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "'%s': %s, want %s",
	    c->name, got, c->want);
}
END_TEST

/* Labels of 63 bytes pass, of 64 not; 255 bytes of wire name pass (a
 * 253-character name), 256 not. */
START_TEST(test_query_limits)
{
	uint8_t	buf[AP_DNSWIRE_QUERY_MAX], small[AP_DNSWIRE_QUERY_MAX - 1];
	char	name[300];

	memset(name, 'a', 63);
	name[63] = '\0';
	ck_assert_uint_eq(ap_dnswire_query(buf, sizeof(buf), 1, name,
	    AP_DNS_TYPE_A, false), 12 + 65 + 4);
	memset(name, 'a', 64);
	name[64] = '\0';
	ck_assert_uint_eq(ap_dnswire_query(buf, sizeof(buf), 1, name,
	    AP_DNS_TYPE_A, false), 0);
	/* 63.63.63.61: 4 length bytes + 250 + root = 255. */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ck_assert_uint_eq(ap_dnswire_query(buf, sizeof(buf), 1, name,
	    AP_DNS_TYPE_A, true), 12 + 255 + 4 + 11);
	name[253] = 'b';
	name[254] = '\0';
	ck_assert_uint_eq(ap_dnswire_query(buf, sizeof(buf), 1, name,
	    AP_DNS_TYPE_A, true), 0);
	ck_assert_uint_eq(ap_dnswire_query(small, sizeof(small), 1, "a.test",
	    AP_DNS_TYPE_A, true), 0);
}
END_TEST

/* --- answers ------------------------------------------------------------ */

/* Headers: ID, flags, QD, AN, NS, AR. */
#define H(flags, qd, an)	"1234" flags "000" qd "00" an "00000000"
#define OK		"8180"		/* QR RD RA, NOERROR */
#define TC		"8380"		/* and TC */
/* a.test: the question at offset 12, the name pointer to it c00c. */
#define QN		"0161047465737400"
#define QA		QN "00010001"
#define QAAAA		QN "001c0001"
#define P		"c00c"
#define AREC(ip)	"00010001" "0000003c" "0004" ip
#define L1		"7f000001"
#define L2		"7f000002"
#define L3		"7f000003"
/* A label of 63 bytes. */
#define A8		"6161616161616161"
#define L63		"3f" A8 A8 A8 A8 A8 A8 A8 "61616161616161"

struct parse_case {
	const char		*what;
	uint16_t		 qtype;
	const char		*pkt;
	enum ap_dnswire_rc	 rc;
	int			 rcode;
	bool			 tc;
	const char		*addrs;	/* "a,b" */
};

#define ANSWER	AP_DNSWIRE_ANSWER
#define FOREIGN	AP_DNSWIRE_FOREIGN
#define BAD	AP_DNSWIRE_MALFORMED

static const struct parse_case parse_cases[] = {
	{ "one A", AP_DNS_TYPE_A, H(OK, "1", "01") QA P AREC(L1),
	    ANSWER, 0, false, "127.0.0.1" },
	{ "two A in order", AP_DNS_TYPE_A,
	    H(OK, "1", "02") QA P AREC(L2) P AREC(L1),
	    ANSWER, 0, false, "127.0.0.2,127.0.0.1" },
	{ "names in any case", AP_DNS_TYPE_A,
	    H(OK, "1", "01") "0141045445537400" "00010001"
	    "0141047445735400" AREC(L1), ANSWER, 0, false, "127.0.0.1" },
	{ "AAAA", AP_DNS_TYPE_AAAA, H(OK, "1", "01") QAAAA
	    P "001c0001" "0000003c" "0010" "00000000000000000000000000000001",
	    ANSWER, 0, false, "::1" },
	{ "TC with a record", AP_DNS_TYPE_A, H(TC, "1", "01") QA P AREC(L1),
	    ANSWER, 0, true, "127.0.0.1" },
	{ "TC without records", AP_DNS_TYPE_A, H(TC, "1", "00") QA,
	    ANSWER, 0, true, "" },
	{ "TC cut inside the second record", AP_DNS_TYPE_A,
	    H(TC, "1", "03") QA P AREC(L1) P "00010001" "0000",
	    ANSWER, 0, true, "127.0.0.1" },
	{ "TC cut inside an owner name", AP_DNS_TYPE_A,
	    H(TC, "1", "02") QA P AREC(L1) "0565",
	    ANSWER, 0, true, "127.0.0.1" },
	{ "cut without TC", AP_DNS_TYPE_A, H(OK, "1", "01") QA P "000100",
	    BAD, 0, false, "" },
	{ "count larger than the packet", AP_DNS_TYPE_A,
	    H(OK, "1", "05") QA P AREC(L1), BAD, 0, false, "" },
	{ "count 65535 with TC", AP_DNS_TYPE_A,
	    "1234" TC "0001ffff00000000" QA P AREC(L1),
	    ANSWER, 0, true, "127.0.0.1" },
	{ "another ID", AP_DNS_TYPE_A,
	    "4321" OK "0001000100000000" QA P AREC(L1),
	    FOREIGN, 0, false, "" },
	{ "a query, not a response", AP_DNS_TYPE_A,
	    H("0100", "1", "01") QA P AREC(L1), FOREIGN, 0, false, "" },
	{ "another opcode", AP_DNS_TYPE_A,
	    H("9180", "1", "01") QA P AREC(L1), FOREIGN, 0, false, "" },
	{ "empty", AP_DNS_TYPE_A, "", FOREIGN, 0, false, "" },
	{ "shorter than a header", AP_DNS_TYPE_A, "1234818000010001000000",
	    FOREIGN, 0, false, "" },
	{ "another question", AP_DNS_TYPE_A,
	    H(OK, "1", "01") "0162047465737400" "00010001" P AREC(L1),
	    FOREIGN, 0, false, "" },
	{ "another type asked", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QAAAA P AREC(L1), FOREIGN, 0, false, "" },
	{ "another class asked", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QN "00010003" P AREC(L1), FOREIGN, 0, false, "" },
	{ "a header announcing a question", AP_DNS_TYPE_A, H(OK, "1", "00"),
	    BAD, 0, false, "" },
	{ "two questions", AP_DNS_TYPE_A, H(OK, "2", "00") QA QA,
	    BAD, 0, false, "" },
	{ "FORMERR without a question", AP_DNS_TYPE_A, H("8181", "0", "00"),
	    ANSWER, AP_DNS_RCODE_FORMERR, false, "" },
	{ "NOTIMP without a question", AP_DNS_TYPE_A, H("8184", "0", "00"),
	    ANSWER, AP_DNS_RCODE_NOTIMP, false, "" },
	{ "FORMERR with the question", AP_DNS_TYPE_A, H("8181", "1", "00") QA,
	    ANSWER, AP_DNS_RCODE_FORMERR, false, "" },
	{ "SERVFAIL without a question", AP_DNS_TYPE_A, H("8182", "0", "00"),
	    BAD, 2, false, "" },
	{ "NXDOMAIN", AP_DNS_TYPE_A, H("8183", "1", "00") QA,
	    ANSWER, AP_DNS_RCODE_NXDOMAIN, false, "" },
	{ "question name a pointer to itself", AP_DNS_TYPE_A,
	    H(OK, "1", "00") "c00c" "00010001", BAD, 0, false, "" },
	{ "owner names pointing at each other", AP_DNS_TYPE_A,
	    H(OK, "1", "02") QA "c028" AREC(L1) "c018" AREC(L1),
	    BAD, 0, false, "" },
	{ "a label then a pointer back to it", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "0178" "c018" AREC(L1), BAD, 0, false, "" },
	{ "pointer out of bounds", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "c0ff" AREC(L1), BAD, 0, false, "" },
	{ "pointer past 16 KiB", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "ffff" AREC(L1), BAD, 0, false, "" },
	{ "pointer forward", AP_DNS_TYPE_A,
	    H(OK, "1", "02") QA "c028" AREC(L1) P AREC(L1),
	    BAD, 0, false, "" },
	{ "pointer cut in half", AP_DNS_TYPE_A, H(OK, "1", "01") QA "c0",
	    BAD, 0, false, "" },
	{ "extended label type", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "4100" AREC(L1), BAD, 0, false, "" },
	{ "label type 10", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "8100" AREC(L1), BAD, 0, false, "" },
	{ "A of another owner", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA "046576696c047465737400" AREC(L1),
	    ANSWER, 0, false, "" },
	{ "A 5 bytes long", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA P "00010001" "0000003c" "0005" L1 "00",
	    BAD, 0, false, "" },
	{ "AAAA to an A question", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA P "001c0001" "0000003c" "0010"
	    "00000000000000000000000000000001", ANSWER, 0, false, "" },
	{ "A of class CH", AP_DNS_TYPE_A,
	    H(OK, "1", "01") QA P "00010003" "0000003c" "0004" L1,
	    ANSWER, 0, false, "" },
	/* a.test -> B.test -> c.test; c.test A; a decoy A for b. */
	{ "CNAME chain", AP_DNS_TYPE_A, H(OK, "1", "04") QA
	    P "00050001" "0000003c" "0008" "0142047465737400"
	    "0162" "c00e" "00050001" "0000003c" "0004" "0163c00e"
	    "0162c00e" AREC(L2)
	    "0143c00e" AREC(L3), ANSWER, 0, false, "127.0.0.3" },
	{ "CNAME loop", AP_DNS_TYPE_A, H(OK, "1", "03") QA
	    P "00050001" "0000003c" "0004" "0162c00e"
	    "0162c00e" "00050001" "0000003c" "0002" "c00c"
	    P AREC(L1), ANSWER, 0, false, "" },
	{ "CNAME to itself", AP_DNS_TYPE_A, H(OK, "1", "02") QA
	    P "00050001" "0000003c" "0002" "c00c" P AREC(L1),
	    ANSWER, 0, false, "" },
	{ "CNAME only", AP_DNS_TYPE_A, H(OK, "1", "01") QA
	    P "00050001" "0000003c" "0004" "0162c00e", ANSWER, 0, false, "" },
	{ "CNAME target past its data", AP_DNS_TYPE_A, H(OK, "1", "01") QA
	    P "00050001" "0000003c" "0002" "0162c00e",
	    BAD, 0, false, "" },
	{ "owner longer than 255 bytes", AP_DNS_TYPE_A, H(OK, "1", "01") QA
	    L63 L63 L63 L63 "00" AREC(L1), BAD, 0, false, "" },
};

static void
addrs_text(const struct ap_dnswire_answer *a, uint16_t qtype, char *buf,
    size_t len)
{
	char	 ip[INET6_ADDRSTRLEN];
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < a->naddrs; i++) {
		inet_ntop(qtype == AP_DNS_TYPE_A ? AF_INET : AF_INET6,
		    a->addrs[i], ip, sizeof(ip));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    ip);
	}
}

static size_t
make_query(uint8_t *buf, uint16_t qtype)
{
	size_t	n = ap_dnswire_query(buf, AP_DNSWIRE_QUERY_MAX, QID, "a.test",
	    qtype, true);

	ck_assert_uint_gt(n, 0);
	return (n);
}

START_TEST(test_parse)
{
	const struct parse_case		*c = &parse_cases[_i];
	struct ap_dnswire_answer	 a;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX], *pkt;
	size_t				 qlen, len;
	enum ap_dnswire_rc		 rc;
	char				 got[512];

	qlen = make_query(q, c->qtype);
	pkt = unhex(c->pkt, &len);
	memset(&a, 0xa5, sizeof(a));
	rc = ap_dnswire_parse(pkt, len, q, qlen, &a);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->what, (int)rc,
	    (int)c->rc);
	if (rc != AP_DNSWIRE_FOREIGN) {
		ck_assert_msg(a.rcode == c->rcode, "%s: rcode %d", c->what,
		    a.rcode);
		ck_assert_msg(a.tc == c->tc, "%s: tc %d", c->what, a.tc);
	}
	if (rc != AP_DNSWIRE_ANSWER)
		ck_assert_msg(a.naddrs == 0, "%s: %zu addresses", c->what,
		    a.naddrs);
	addrs_text(&a, c->qtype, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->addrs) == 0, "%s: '%s', want '%s'",
	    c->what, got, c->addrs);
	free(pkt);
}
END_TEST

/* 40 records: the first 32 are kept, as evdns keeps them. */
START_TEST(test_parse_many)
{
	struct ap_dnswire_answer	 a;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX], *pkt;
	size_t				 qlen, len, o, i;

	qlen = make_query(q, AP_DNS_TYPE_A);
	len = 12 + 12 + 40 * 16;
	pkt = malloc(len);
	ck_assert_ptr_nonnull(pkt);
	memcpy(pkt, "\x12\x34\x81\x80\x00\x01\x00\x28\x00\x00\x00\x00", 12);
	memcpy(pkt + 12, "\x01" "a" "\x04" "test" "\x00\x00\x01\x00\x01", 12);
	for (i = 0, o = 24; i < 40; i++, o += 16) {
		memcpy(pkt + o, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c"
		    "\x00\x04\x7f\x00\x01", 15);
		pkt[o + 15] = (uint8_t)(i + 1);
	}
	ck_assert_int_eq(ap_dnswire_parse(pkt, len, q, qlen, &a),
	    AP_DNSWIRE_ANSWER);
	ck_assert_uint_eq(a.naddrs, AP_DNSWIRE_MAX_ADDRS);
	ck_assert_uint_eq(a.addrs[31][3], 32);
	free(pkt);
}
END_TEST

/* Every cut of every packet, in a buffer of exactly its size: answered
 * (the sanitizers watch the reads), never with more addresses than the
 * whole packet gave, and with none unless it is an answer. */
START_TEST(test_parse_every_cut)
{
	const struct parse_case		*c = &parse_cases[_i];
	struct ap_dnswire_answer	 a, whole;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX], *pkt, *cut;
	size_t				 qlen, len, n;
	enum ap_dnswire_rc		 rc;

	qlen = make_query(q, c->qtype);
	pkt = unhex(c->pkt, &len);
	(void)ap_dnswire_parse(pkt, len, q, qlen, &whole);
	for (n = 0; n < len; n++) {
		cut = malloc(n > 0 ? n : 1);
		ck_assert_ptr_nonnull(cut);
		memcpy(cut, pkt, n);
		rc = ap_dnswire_parse(cut, n, q, qlen, &a);
		ck_assert(rc == AP_DNSWIRE_ANSWER || rc == AP_DNSWIRE_FOREIGN ||
		    rc == AP_DNSWIRE_MALFORMED);
		ck_assert_msg(a.naddrs <= whole.naddrs, "%s cut at %zu: %zu "
		    "addresses", c->what, n, a.naddrs);
		if (rc != AP_DNSWIRE_ANSWER)
			ck_assert_msg(a.naddrs == 0, "%s cut at %zu", c->what,
			    n);
		free(cut);
	}
	free(pkt);
}
END_TEST

/* Random damage to every packet (a fixed seed, so a failure repeats). */
START_TEST(test_parse_damage)
{
	struct ap_dnswire_answer	 a;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX], *pkt;
	size_t				 qlen, len, c, k, j;
	unsigned			 seed = 11;

	for (c = 0; c < NELEM(parse_cases); c++) {
		qlen = make_query(q, parse_cases[c].qtype);
		for (k = 0; k < 2000; k++) {
			pkt = unhex(parse_cases[c].pkt, &len);
			if (len == 0) {
				free(pkt);
				break;
			}
			for (j = 0; j < 1 + k % 4; j++) {
				seed = seed * 1103515245 + 12345;
				pkt[(seed >> 8) % len] = (uint8_t)(seed >> 16);
			}
			(void)ap_dnswire_parse(pkt, len, q, qlen, &a);
			ck_assert_uint_le(a.naddrs, AP_DNSWIRE_MAX_ADDRS);
			free(pkt);
		}
	}
}
END_TEST

/* A reply made of the query itself (QR set, no records) is its answer,
 * for any name the query builder takes. */
START_TEST(test_own_query_answers)
{
	static const char *const names[] = { "a.test", "A.TeSt.", "x",
	    "with_underscore.example", "a.b.c.d.e.f.g.h.i.j.k" };
	struct ap_dnswire_answer a;
	uint8_t		 q[AP_DNSWIRE_QUERY_MAX], r[AP_DNSWIRE_QUERY_MAX];
	size_t		 i, n;

	for (i = 0; i < NELEM(names); i++) {
		n = ap_dnswire_query(q, sizeof(q), 77, names[i],
		    AP_DNS_TYPE_AAAA, true);
		ck_assert_uint_gt(n, 0);
		memcpy(r, q, n);
		r[2] |= 0x80;
		ck_assert_int_eq(ap_dnswire_parse(r, n, q, n, &a),
		    AP_DNSWIRE_ANSWER);
		ck_assert_uint_eq(a.naddrs, 0);
		ck_assert_int_eq(a.rcode, 0);
	}
}
END_TEST

static Suite *
dnswire_suite(void)
{
	Suite	*s = suite_create("dnswire");
	TCase	*tc;

	tc = tcase_create("query");
	tcase_add_loop_test(tc, test_query, 0, NELEM(query_cases));
	tcase_add_test(tc, test_query_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, NELEM(parse_cases));
	tcase_add_test(tc, test_parse_many);
	tcase_add_loop_test(tc, test_parse_every_cut, 0, NELEM(parse_cases));
	tcase_add_test(tc, test_parse_damage);
	tcase_add_test(tc, test_own_query_answers);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(dnswire_suite()));
}
