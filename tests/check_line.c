/* SPDX-License-Identifier: ISC */
/* check_line.c -- the SPEC 2 grammar: every line form, every reason a
 * line is refused, the escaped text of unprintable lines, port lists. */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "line.h"
#include "testutil.h"

#define OK	AP_LINE_OK
#define SKIP	AP_LINE_SKIP
#define BAD	AP_LINE_INVALID

/* "22,80" for short lists, "first..last(count)" for long ones. */
static void
ports_str(const struct ap_portlist *pl, char *buf, size_t len)
{
	size_t	i, o = 0;

	buf[0] = '\0';
	if (pl->count > 16) {
		snprintf(buf, len, "%u..%u(%zu)", ap_portlist_get(pl, 0),
		    ap_portlist_get(pl, pl->count - 1), pl->count);
		return;
	}
	for (i = 0; i < pl->count && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "",
		    ap_portlist_get(pl, i));
}

static const struct line_case {
	const char	*line;
	size_t		 len;		/* 0: strlen(line) */
	const char	*defports;	/* -p, or NULL */
	int		 rc;
	const char	*host;		/* OK: expected host */
	bool		 is_ip;
	const char	*ports;		/* OK: ports_str(), "" for none */
	const char	*reason;	/* BAD: exact reason */
	const char	*text;		/* NULL: same as line */
} line_cases[] = {
	/* the forms of SPEC 2 */
	{ "example.org:443", 0, NULL, OK, "example.org", false, "443", NULL,
	    NULL },
	{ "example.org 443", 0, NULL, OK, "example.org", false, "443", NULL,
	    NULL },
	{ "example.org\t443", 0, NULL, OK, "example.org", false, "443", NULL,
	    NULL },
	{ "example.org \t 443", 0, NULL, OK, "example.org", false, "443", NULL,
	    NULL },
	{ "db1:5432,6432", 0, NULL, OK, "db1", false, "5432,6432", NULL,
	    NULL },
	{ "web:8000-8003", 0, NULL, OK, "web", false, "8000,8001,8002,8003",
	    NULL, NULL },
	{ "mail:ssh", 0, NULL, OK, "mail", false, "22", NULL, NULL },
	{ "www:http", 0, NULL, OK, "www", false, "80", NULL, NULL },
	{ "www:http-alt", 0, NULL, OK, "www", false, "8080", NULL, NULL },
	{ "h:22,http,9000-9001", 0, NULL, OK, "h", false, "22,80,9000,9001",
	    NULL, NULL },
	{ "h 22,80", 0, NULL, OK, "h", false, "22,80", NULL, NULL },
	{ "h:22, 80", 0, NULL, OK, "h", false, "22,80", NULL, NULL },
	{ "[2001:db8::1]:22", 0, NULL, OK, "2001:db8::1", true, "22", NULL,
	    NULL },
	{ "[::1]:22,80", 0, NULL, OK, "::1", true, "22,80", NULL, NULL },
	{ "[::1] 443", 0, NULL, OK, "::1", true, "443", NULL, NULL },
	{ "::1 443", 0, NULL, OK, "::1", true, "443", NULL, NULL },
	{ "[::1]", 0, "22", OK, "::1", true, "", NULL, NULL },
	{ "::1", 0, "22", OK, "::1", true, "", NULL, NULL },
	{ "2001:db8::1", 0, "22", OK, "2001:db8::1", true, "", NULL, NULL },
	{ "::1:443", 0, "22", OK, "::1:443", true, "", NULL, NULL },
	{ "host", 0, "22", OK, "host", false, "", NULL, NULL },
	{ "host:80", 0, "22", OK, "host", false, "80", NULL, NULL },
	{ "127.0.0.1:80", 0, NULL, OK, "127.0.0.1", true, "80", NULL, NULL },
	{ "127.0.0.1", 0, "1", OK, "127.0.0.1", true, "", NULL, NULL },
	/* inet_aton's forms are addresses too (issue 11), never names. */
	{ "127.0.0", 0, "1", OK, "127.0.0", true, "", NULL, NULL },
	{ "127.1:22", 0, NULL, OK, "127.1", true, "22", NULL, NULL },
	/* Leading zeros in any number, as inet_aton() takes them. */
	{ "0x000000000000000000000000000000"
	  "0000000000000000000000000000007f.1:22", 0, NULL, OK,
	  "0x000000000000000000000000000000"
	  "0000000000000000000000000000007f.1", true, "22", NULL, NULL },
	{ "08.1.1.1:22", 0, NULL, OK, "08.1.1.1", false, "22", NULL, NULL },
	{ "a_b-c.Example.:1", 0, NULL, OK, "a_b-c.Example.", false, "1",
	    NULL, NULL },
	{ "h:1", 0, NULL, OK, "h", false, "1", NULL, NULL },
	{ "h:65535", 0, NULL, OK, "h", false, "65535", NULL, NULL },
	{ "h:0022", 0, NULL, OK, "h", false, "22", NULL, NULL },
	{ "h:1-65535", 0, NULL, OK, "h", false, "1..65535(65535)", NULL,
	    NULL },
	{ "h:1-65535,7", 0, NULL, OK, "h", false, "1..7(65536)", NULL, NULL },
	{ "h:5-5", 0, NULL, OK, "h", false, "5", NULL, NULL },
	/* blanks, CRLF, comments */
	{ "  example.org:443  ", 0, NULL, OK, "example.org", false, "443",
	    NULL, "example.org:443" },
	{ "\texample.org:443\t", 0, NULL, OK, "example.org", false, "443",
	    NULL, "example.org:443" },
	{ "example.org:443\r", 0, NULL, OK, "example.org", false, "443", NULL,
	    "example.org:443" },
	{ "h:22 # web", 0, NULL, OK, "h", false, "22", NULL, "h:22" },
	{ "h:22\t#web", 0, NULL, OK, "h", false, "22", NULL, "h:22" },
	{ "h 22 #c \r", 0, NULL, OK, "h", false, "22", NULL, "h 22" },
	{ "", 0, NULL, SKIP, NULL, false, NULL, NULL, NULL },
	{ " \t \r", 0, NULL, SKIP, NULL, false, NULL, NULL, NULL },
	{ "\r", 0, NULL, SKIP, NULL, false, NULL, NULL, NULL },
	{ "# h:22", 0, NULL, SKIP, NULL, false, NULL, NULL, NULL },
	{ "   #x", 0, NULL, SKIP, NULL, false, NULL, NULL, NULL },
	{ "#", 0, "22", SKIP, NULL, false, NULL, NULL, NULL },
	{ "h:22#web", 0, NULL, BAD, NULL, false, NULL, "bad port '22#web'",
	    NULL },
	/* missing parts */
	{ "host", 0, NULL, BAD, NULL, false, NULL,
	    "missing port (no -p given)", NULL },
	{ "::1", 0, NULL, BAD, NULL, false, NULL,
	    "missing port (no -p given)", NULL },
	{ "::1:443", 0, NULL, BAD, NULL, false, NULL,
	    "missing port (no -p given)", NULL },
	{ "[::1]", 0, NULL, BAD, NULL, false, NULL,
	    "missing port (no -p given)", NULL },
	{ "h:", 0, NULL, BAD, NULL, false, NULL, "missing port", NULL },
	{ "h:", 0, "22", BAD, NULL, false, NULL, "missing port", NULL },
	{ "[::1]:", 0, NULL, BAD, NULL, false, NULL, "missing port", NULL },
	{ ":22", 0, NULL, BAD, NULL, false, NULL, "empty host", NULL },
	{ "[]:22", 0, NULL, BAD, NULL, false, NULL, "empty host", NULL },
	{ "[]", 0, "22", BAD, NULL, false, NULL, "empty host", NULL },
	/* ports */
	{ "h:0", 0, NULL, BAD, NULL, false, NULL,
	    "port 0 out of range 1-65535", NULL },
	{ "h:65536", 0, NULL, BAD, NULL, false, NULL,
	    "port 65536 out of range 1-65535", NULL },
	{ "h 99999999999", 0, NULL, BAD, NULL, false, NULL,
	    "port 99999999999 out of range 1-65535", NULL },
	{ "h:0-5", 0, NULL, BAD, NULL, false, NULL,
	    "port 0 out of range 1-65535", NULL },
	{ "h:80-79", 0, NULL, BAD, NULL, false, NULL, "reversed range 80-79",
	    NULL },
	{ "h:80-", 0, NULL, BAD, NULL, false, NULL, "bad port range '80-'",
	    NULL },
	{ "h:1-2-3", 0, NULL, BAD, NULL, false, NULL,
	    "bad port range '1-2-3'", NULL },
	{ "h:22,,80", 0, NULL, BAD, NULL, false, NULL,
	    "empty element in port list '22,,80'", NULL },
	{ "h:22,", 0, NULL, BAD, NULL, false, NULL,
	    "empty element in port list '22,'", NULL },
	{ "h:,22", 0, NULL, BAD, NULL, false, NULL,
	    "empty element in port list ',22'", NULL },
	{ "h:foo", 0, NULL, BAD, NULL, false, NULL, "unknown service 'foo'",
	    NULL },
	{ "h:22x", 0, NULL, BAD, NULL, false, NULL, "bad port '22x'", NULL },
	{ "h:1-65535,1-2", 0, NULL, BAD, NULL, false, NULL,
	    "more than 65536 ports", NULL },
	{ "h 22 80", 0, NULL, BAD, NULL, false, NULL, "bad port '22 80'",
	    NULL },
	{ "h:22 80", 0, NULL, BAD, NULL, false, NULL, "bad port '22 80'",
	    NULL },
	{ "h: 22", 0, NULL, OK, "h", false, "22", NULL, NULL },
	{ "h :22", 0, NULL, BAD, NULL, false, NULL, "bad port ':22'", NULL },
	{ "h:\x01", 0, NULL, BAD, NULL, false, NULL, "bad port '\\x01'",
	    "h:\\x01" },
	/* brackets and IPv6 */
	{ "[::1:22", 0, NULL, BAD, NULL, false, NULL, "unbalanced brackets",
	    NULL },
	{ "::1]:22", 0, NULL, BAD, NULL, false, NULL, "unbalanced brackets",
	    NULL },
	{ "[[::1]]:22", 0, NULL, BAD, NULL, false, NULL,
	    "unbalanced brackets", NULL },
	{ "a[::1]:22", 0, NULL, BAD, NULL, false, NULL,
	    "brackets only go around an IPv6 address: [::1]:443", NULL },
	{ "[::1]x22", 0, NULL, BAD, NULL, false, NULL,
	    "expected ':PORT' after ']'", NULL },
	{ "[127.1.2.3]:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad IPv6 address '127.1.2.3' in brackets", NULL },
	{ "[host]:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad IPv6 address 'host' in brackets", NULL },
	{ "fe80::1:99999", 0, NULL, BAD, NULL, false, NULL,
	    "IPv6 address with a port must be bracketed: [::1]:443", NULL },
	{ "2001:db8::1:65536", 0, "22", BAD, NULL, false, NULL,
	    "IPv6 address with a port must be bracketed: [::1]:443", NULL },
	{ "[fe80::1%nosuchif0]:22", 0, NULL, BAD, NULL, false, NULL,
	    "unknown zone 'nosuchif0': no such interface", NULL },
	{ "fe80::1%nosuchif0", 0, "22", BAD, NULL, false, NULL,
	    "unknown zone 'nosuchif0': no such interface", NULL },
	{ "h%lo:22", 0, NULL, BAD, NULL, false, NULL,
	    "a zone ('%') only follows an IPv6 address: [fe80::1%eth0]:22",
	    NULL },
	/* bytes no host has; the text shown is escaped */
	{ "[::1 ]:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", NULL },
	{ "h\x01st:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\x01st:22" },
	{ "h\x1b:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\x1b:22" },
	{ "h\x7f:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\x7f:22" },
	{ "h\xc3\xa9:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", NULL },		/* valid UTF-8 */
	{ "h\xff:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\xff:22" },
	{ "h\xc0\xaf:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\xc0\\xaf:22" },	/* overlong */
	{ "h\xc2\x9b:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\xc2\\x9b:22" },	/* C1 CSI */
	{ "h\xed\xa0\x80:22", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "h\\xed\\xa0\\x80:22" }, /* surrogate */
	{ "a\\\x01:1", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", "a\\\\\\x01:1" },
	{ "a\\b:1", 0, NULL, BAD, NULL, false, NULL,
	    "bad character in host", NULL },
	{ "h/x:22", 0, NULL, BAD, NULL, false, NULL, "a prefix needs a "
	  "numeric address without a zone: 192.0.2.0/28, [2001:db8::/124]",
	    NULL },
	{ "h:22\0", 5, NULL, BAD, NULL, false, NULL, "NUL byte in line",
	    "h:22\\x00" },
	{ "h:22 #c\0", 8, NULL, BAD, NULL, false, NULL, "NUL byte in line",
	    "h:22 #c\\x00" },
	{ "\0", 1, "22", BAD, NULL, false, NULL, "NUL byte in line",
	    "\\x00" },
};

START_TEST(test_line_table)
{
	const struct line_case	*c = &line_cases[_i];
	struct ap_portlist	 def, *defp = NULL;
	struct ap_line		 l;
	enum ap_line_rc		 rc;
	char			 err[AP_ERRBUF_LEN], ports[64];
	size_t			 len = c->len ? c->len : strlen(c->line);

	if (c->defports != NULL) {
		ck_assert_int_eq(ap_portlist_parse(c->defports, &def, err,
		    sizeof(err)), 0);
		defp = &def;
	}
	rc = ap_line_parse(c->line, len, defp, &l, err, sizeof(err));
	ck_assert_msg((int)rc == c->rc, "case %d: rc %d, want %d (%s)", _i,
	    rc, c->rc, err);
	switch (rc) {
	case AP_LINE_SKIP:
		ck_assert_ptr_null(l.text);
		ck_assert_ptr_null(l.host);
		break;
	case AP_LINE_OK:
		ck_assert_str_eq(l.host, c->host);
		ck_assert_int_eq(l.host_is_ip, c->is_ip);
		ports_str(&l.ports, ports, sizeof(ports));
		ck_assert_str_eq(ports, c->ports);
		ck_assert_str_eq(l.text, c->text ? c->text : c->line);
		break;
	case AP_LINE_INVALID:
		ck_assert_str_eq(err, c->reason);
		ck_assert_ptr_nonnull(l.text);
		ck_assert_str_eq(l.text, c->text ? c->text : c->line);
		break;
	}
	ap_line_free(&l);
	ap_line_free(&l);	/* twice: it resets */
	if (defp != NULL)
		ap_portlist_free(defp);
}
END_TEST

/* Prefixes and zones: the first address, how many, the zone's index. */
static const struct addr_case {
	const char	*line;
	int		 rc;
	const char	*first;		/* OK: the first address */
	uint32_t	 naddrs;
	uint32_t	 scope;
	const char	*reason;	/* BAD */
} addr_cases[] = {
	{ "127.0.2.0/28:22", OK, "127.0.2.0", 16, 0, NULL },
	{ "127.0.2.7/28:22", OK, "127.0.2.0", 16, 0, NULL },	/* nmap */
	{ "127.0.0.0/30 22,80", OK, "127.0.0.0", 4, 0, NULL },
	{ "127.0.0.1/32:22", OK, "127.0.0.1", 1, 0, NULL },
	{ "127.1.0.0/16:22", OK, "127.1.0.0", 65536, 0, NULL },
	{ "[2001:db8::/124]:22", OK, "2001:db8::", 16, 0, NULL },
	{ "[2001:db8::ff/120]:22", OK, "2001:db8::", 256, 0, NULL },
	{ "[::1/128]:22", OK, "::1", 1, 0, NULL },
	{ "[2001:DB8:0::1/128]:22", OK, "2001:db8::1", 1, 0, NULL },
	{ "127.0.0.010/32:22", OK, "127.0.0.8", 1, 0, NULL },
	{ "[2001:db8::/112]:22", OK, "2001:db8::", 65536, 0, NULL },
	{ "[fe80::1%lo]:22", OK, "fe80::1", 1, 1, NULL },
	{ "[fe80::1%1]:22", OK, "fe80::1", 1, 1, NULL },
	{ "127.0.0.0/15:22", BAD, NULL, 0, 0,
	    "prefix /15 has more than 65536 addresses" },
	{ "[2001:db8::/111]:22", BAD, NULL, 0, 0,
	    "prefix /111 has more than 65536 addresses" },
	{ "127.0.2.0/33:22", BAD, NULL, 0, 0, "bad prefix length '33'" },
	{ "127.0.2.0/:22", BAD, NULL, 0, 0, "bad prefix length ''" },
	{ "127.0.2.0/2x:22", BAD, NULL, 0, 0, "bad prefix length '2x'" },
	{ "[2001:db8::/129]:22", BAD, NULL, 0, 0, "bad prefix length '129'" },
	{ "web/28:22", BAD, NULL, 0, 0, "a prefix needs a numeric address "
	    "without a zone: 192.0.2.0/28, [2001:db8::/124]" },
	{ "[fe80::%lo/120]:22", BAD, NULL, 0, 0, "a prefix needs a numeric "
	    "address without a zone: 192.0.2.0/28, [2001:db8::/124]" },
	{ "[fe80::1%]:22", BAD, NULL, 0, 0,
	    "unknown zone '': no such interface" },
	{ "[fe80::1%a b]:22", BAD, NULL, 0, 0,
	    "unknown zone 'a b': no such interface" },
	{ "[fe80::1%0]:22", BAD, NULL, 0, 0,
	    "unknown zone '0': no such interface" },
};

START_TEST(test_addr_table)
{
	const struct addr_case	*c = &addr_cases[_i];
	struct ap_line		 l;
	enum ap_line_rc		 rc;
	char			 err[AP_ERRBUF_LEN], text[64];

	rc = ap_line_parse(c->line, strlen(c->line), NULL, &l, err,
	    sizeof(err));
	ck_assert_msg((int)rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == AP_LINE_OK) {
		ck_assert(l.host_is_ip);
		ck_assert_ptr_nonnull(inet_ntop(l.ip_family, l.ip, text,
		    sizeof(text)));
		ck_assert_str_eq(text, c->first);
		ck_assert_uint_eq(l.naddrs, c->naddrs);
		ck_assert_uint_eq(l.scope_id, c->scope);
		ck_assert_str_eq(l.text, c->line);
		/* A one-address prefix names its address, never "a/32". */
		if (c->naddrs == 1 && strchr(c->line, '/') != NULL)
			ck_assert_str_eq(l.host, c->first);
	} else
		ck_assert_str_eq(err, c->reason);
	ap_line_free(&l);
}
END_TEST

/* Long lines: the limit is 1024 bytes, a CR of CRLF not counted. */
static const struct long_case {
	size_t		 len;		/* bytes before the CR */
	bool		 cr;
	int		 rc;
} long_cases[] = {
	{ 1024, false, OK }, { 1024, true, OK }, { 1025, false, BAD },
	{ 1025, true, BAD }, { 5000, false, BAD },
};

START_TEST(test_line_long)
{
	const struct long_case	*c = &long_cases[_i];
	struct ap_line		 l;
	char			*buf, err[AP_ERRBUF_LEN];
	size_t			 n = c->len + c->cr;

	/* "h:22" padded with blanks, which trimming removes later. */
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, ' ', n);
	memcpy(buf, "h:22", 4);
	if (c->cr)
		buf[n - 1] = '\r';
	ck_assert_int_eq(ap_line_parse(buf, n, NULL, &l, err, sizeof(err)),
	    c->rc);
	if (c->rc == OK) {
		ck_assert_str_eq(l.text, "h:22");
		ck_assert_uint_eq(ap_portlist_get(&l.ports, 0), 22);
	} else {
		ck_assert_str_eq(err, "line longer than 1024 bytes");
		ck_assert_uint_le(strlen(l.text), 203);
		ck_assert_str_eq(l.text + strlen(l.text) - 3, "...");
		ck_assert(strncmp(l.text, "h:22", 4) == 0);
	}
	ap_line_free(&l);
	free(buf);
}
END_TEST

/* A long line of unprintable bytes: escaped, and still cut short. */
START_TEST(test_line_long_binary)
{
	struct ap_line	l;
	char		buf[3000], err[AP_ERRBUF_LEN];
	size_t		i;

	memset(buf, 0xff, sizeof(buf));
	ck_assert_int_eq(ap_line_parse(buf, sizeof(buf), NULL, &l, err,
	    sizeof(err)), BAD);
	ck_assert_str_eq(err, "line longer than 1024 bytes");
	ck_assert_uint_le(strlen(l.text), 203);
	ck_assert(strncmp(l.text, "\\xff\\xff", 8) == 0);
	for (i = 0; l.text[i] != '\0'; i++)
		ck_assert(l.text[i] >= 0x20 && l.text[i] < 0x7f);
	ap_line_free(&l);

	/* Under the limit, but unprintable: escaped and cut too. */
	memset(buf, 0x01, 1000);
	ck_assert_int_eq(ap_line_parse(buf, 1000, NULL, &l, err,
	    sizeof(err)), BAD);
	ck_assert_str_eq(err, "bad character in host");
	ck_assert_uint_le(strlen(l.text), 203);
	ck_assert_str_eq(l.text + strlen(l.text) - 3, "...");
	ap_line_free(&l);
}
END_TEST

/* A host of 253 bytes is the longest a DNS name can be. */
START_TEST(test_line_host_length)
{
	struct ap_line	l;
	char		buf[300], err[AP_ERRBUF_LEN];

	memset(buf, 'a', sizeof(buf));
	memcpy(buf + 253, ":80", 3);
	ck_assert_int_eq(ap_line_parse(buf, 256, NULL, &l, err, sizeof(err)),
	    OK);
	ck_assert_uint_eq(strlen(l.host), 253);
	ap_line_free(&l);

	buf[253] = 'a';
	memcpy(buf + 254, ":80", 3);
	ck_assert_int_eq(ap_line_parse(buf, 257, NULL, &l, err, sizeof(err)),
	    BAD);
	ck_assert_str_eq(err, "host longer than 253 bytes");
	ap_line_free(&l);
}
END_TEST

/* errbuf may be absent; the parse still works. */
/* A numeric host comes with its parsed address; a name with none. */
START_TEST(test_line_ip_bytes)
{
	static const unsigned char v4[4] = { 127, 0, 0, 9 };
	static const unsigned char v6[16] = { [15] = 1 };
	struct ap_line	l;
	char		err[AP_ERRBUF_LEN];

	ck_assert_int_eq(ap_line_parse("127.0.0.9:80", 12, NULL, &l, err,
	    sizeof(err)), AP_LINE_OK);
	ck_assert_int_eq(l.ip_family, AF_INET);
	ck_assert_mem_eq(l.ip, v4, 4);
	ap_line_free(&l);
	ck_assert_int_eq(ap_line_parse("[::1]:22", 8, NULL, &l, err,
	    sizeof(err)), AP_LINE_OK);
	ck_assert_int_eq(l.ip_family, AF_INET6);
	ck_assert_mem_eq(l.ip, v6, 16);
	ap_line_free(&l);
	ck_assert_int_eq(ap_line_parse("web.test:80", 11, NULL, &l, err,
	    sizeof(err)), AP_LINE_OK);
	ck_assert(!l.host_is_ip);
	ck_assert_int_eq(l.ip_family, 0);
	ap_line_free(&l);
}
END_TEST

/* Every spelling inet_aton() reads, as ping and ssh read them; the
 * ones it refuses stay names (or invalid, for the DNS). */
static const struct aton_case {
	const char	*host;
	unsigned char	 ip[4];
	bool		 is_ip;
} aton_cases[] = {
	{ "127.1", { 127, 0, 0, 1 }, true },
	{ "127.2.3", { 127, 2, 0, 3 }, true },
	{ "127.65539", { 127, 1, 0, 3 }, true },	/* 0x10003 */
	{ "2130706433", { 127, 0, 0, 1 }, true },
	{ "0x7f.1", { 127, 0, 0, 1 }, true },
	{ "0X7F.0.0.0x1", { 127, 0, 0, 1 }, true },
	{ "0177.0.0.1", { 127, 0, 0, 1 }, true },
	{ "0127.2.3.4", { 87, 2, 3, 4 }, true },	/* octal */
	{ "127.2.3.04", { 127, 2, 3, 4 }, true },
	{ "127.0.0.1", { 127, 0, 0, 1 }, true },	/* the fast path */
	{ "08.1.1.1", { 0 }, false },		/* 8 is no octal digit */
	{ "127.256.1.1", { 0 }, false },
	{ "4294967423.0.0.1", { 0 }, false },
	{ "4294967296", { 0 }, false },
	{ "127e2.3.4.5", { 0 }, false },
	{ "1.2.3.4.5", { 0 }, false },
	{ "127..1", { 0 }, false },
	{ "127.1.", { 0 }, false },
	{ "0x", { 0 }, false },
	{ "deadbeef", { 0 }, false },		/* a name: no leading digit */
	{ "0xdeadbeef", { 0xde, 0xad, 0xbe, 0xef }, true },
};

START_TEST(test_line_aton)
{
	const struct aton_case	*c = &aton_cases[_i];
	struct ap_line		 l;
	char			 line[64], err[AP_ERRBUF_LEN];
	int			 n;

	n = snprintf(line, sizeof(line), "%s:80", c->host);
	ck_assert_int_eq(ap_line_parse(line, (size_t)n, NULL, &l, err,
	    sizeof(err)), AP_LINE_OK);
	ck_assert_msg(l.host_is_ip == c->is_ip, "%s", c->host);
	ck_assert_str_eq(l.host, c->host);
	if (c->is_ip) {
		ck_assert_int_eq(l.ip_family, AF_INET);
		ck_assert_mem_eq(l.ip, c->ip, 4);
	}
	ap_line_free(&l);
	/* The general parser (blanks around) says the same. */
	n = snprintf(line, sizeof(line), " %s 80 ", c->host);
	ck_assert_int_eq(ap_line_parse(line, (size_t)n, NULL, &l, err,
	    sizeof(err)), AP_LINE_OK);
	ck_assert_msg(l.host_is_ip == c->is_ip, "%s (general)", c->host);
	if (c->is_ip)
		ck_assert_mem_eq(l.ip, c->ip, 4);
	ap_line_free(&l);
}
END_TEST

START_TEST(test_line_no_errbuf)
{
	struct ap_line	l;

	ck_assert_int_eq(ap_line_parse("h:0", 3, NULL, &l, NULL, 0), BAD);
	ap_line_free(&l);
	ck_assert_int_eq(ap_line_parse("h:1", 3, NULL, &l, NULL, 0), OK);
	ap_line_free(&l);
	ap_line_free(NULL);
}
END_TEST

/* The services database must hold what the table relies on. */
START_TEST(test_services_present)
{
	struct ap_portlist	pl;
	char			err[AP_ERRBUF_LEN];

	ck_assert_msg(ap_portlist_parse("ssh,http", &pl, err,
	    sizeof(err)) == 0, "/etc/services lacks ssh or http: %s", err);
	ck_assert_uint_eq(ap_portlist_get(&pl, 0), 22);
	ck_assert_uint_eq(ap_portlist_get(&pl, 1), 80);
	ap_portlist_free(&pl);
}
END_TEST

static const struct plist_case {
	const char	*in;
	int		 rc;
	const char	*ports;		/* 0: ports_str() */
	size_t		 nranges;
	const char	*reason;	/* -1: exact reason */
} plist_cases[] = {
	{ "22", 0, "22", 1, NULL },
	{ "22,80", 0, "22,80", 2, NULL },
	{ "80,22", 0, "80,22", 2, NULL },		/* order kept */
	{ "8000-8020", 0, "8000..8020(21)", 1, NULL },
	{ "8000-8002", 0, "8000,8001,8002", 1, NULL },
	{ "ssh", 0, "22", 1, NULL },
	{ "22,http,9000-9001", 0, "22,80,9000,9001", 3, NULL },
	{ " 22 , 80 ", 0, "22,80", 2, NULL },
	{ "22,22", 0, "22,22", 2, NULL },
	{ "65535", 0, "65535", 1, NULL },
	{ "1-65535,1", 0, "1..1(65536)", 2, NULL },
	{ "0", -1, NULL, 0, "port 0 out of range 1-65535" },
	{ "65536", -1, NULL, 0, "port 65536 out of range 1-65535" },
	{ "70000-70001", -1, NULL, 0, "port 70000 out of range 1-65535" },
	{ "10-5", -1, NULL, 0, "reversed range 10-5" },
	{ "", -1, NULL, 0, "missing port" },
	{ "  ", -1, NULL, 0, "missing port" },
	{ "22,,80", -1, NULL, 0, "empty element in port list '22,,80'" },
	{ "foo", -1, NULL, 0, "unknown service 'foo'" },
	{ "ssh,foo", -1, NULL, 0, "unknown service 'foo'" },
	{ "22x", -1, NULL, 0, "bad port '22x'" },
	{ "-5", -1, NULL, 0, "unknown service '-5'" },
	{ "s\x1b[0m", -1, NULL, 0, "bad port 's\\x1b[0m'" },
	{ "1-65535,1-65535", -1, NULL, 0, "more than 65536 ports" },
	{ "1-65535,2-3", -1, NULL, 0, "more than 65536 ports" },
};

START_TEST(test_portlist_table)
{
	const struct plist_case	*c = &plist_cases[_i];
	struct ap_portlist	 pl;
	char			 err[AP_ERRBUF_LEN], ports[64];

	memset(&pl, 0xa5, sizeof(pl));
	ck_assert_msg(ap_portlist_parse(c->in, &pl, err, sizeof(err)) == c->rc,
	    "case %d: '%s' %s", _i, c->in, err);
	if (c->rc == 0) {
		ports_str(&pl, ports, sizeof(ports));
		ck_assert_str_eq(ports, c->ports);
		ck_assert_uint_eq(pl.nranges, c->nranges);
	} else {
		ck_assert_str_eq(err, c->reason);
		/* A failed parse leaves nothing to free. */
		ck_assert_ptr_null(pl.ranges);
		ck_assert_uint_eq(pl.count, 0);
	}
	ap_portlist_free(&pl);
}
END_TEST

START_TEST(test_portlist_get)
{
	struct ap_portlist	pl;
	char			err[AP_ERRBUF_LEN];

	ck_assert_int_eq(ap_portlist_parse("5,100-102,7", &pl, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(pl.count, 5);
	ck_assert_uint_eq(ap_portlist_get(&pl, 0), 5);
	ck_assert_uint_eq(ap_portlist_get(&pl, 1), 100);
	ck_assert_uint_eq(ap_portlist_get(&pl, 3), 102);
	ck_assert_uint_eq(ap_portlist_get(&pl, 4), 7);
	ck_assert_uint_eq(ap_portlist_get(&pl, 5), 0);	/* past the end */
	ap_portlist_free(&pl);
	ap_portlist_free(&pl);
	ap_portlist_free(NULL);
}
END_TEST

static const struct host_case {
	const char	*host;
	bool		 ok;
} host_cases[] = {
	{ "example.org", true }, { "a_b-c.d", true }, { "127.1.2.3", true },
	{ "::1", true }, { "2001:db8::1", true }, { "::ffff:127.1.2.3", true },
	{ "", false }, { "a b", false }, { "[::1]", false },
	{ "fe80::1%lo", true }, { "fe80::1%nosuchif0", false },
	{ "h\xc3\xa9", false }, { "h\n", false },
	{ "::1:99999", false }, { "a:b", false }, { "h/x", false },
};

START_TEST(test_host_valid)
{
	ck_assert_msg(ap_host_valid(host_cases[_i].host) == host_cases[_i].ok,
	    "case %d", _i);
}
END_TEST

START_TEST(test_host_valid_length)
{
	char	buf[300];

	memset(buf, 'a', sizeof(buf));
	buf[253] = '\0';
	ck_assert(ap_host_valid(buf));
	buf[253] = 'a';
	buf[254] = '\0';
	ck_assert(!ap_host_valid(buf));
	ck_assert(!ap_host_valid(NULL));
}
END_TEST


/*
 * "host:port" lines take a one-scan fast path; the same line with a blank
 * on each side takes the general parser (the blanks are trimmed).  Both
 * must give the same answer, field by field, error text included.
 */
static const char *const plain_cases[] = {
	"127.0.0.1:80", "127.1.2.3:65535", "127.2.3.4:1", "127.255.255.255:443",
	"127.0.0.0:22", "example.com:443", "a:1", "host_name-1.example:8080",
	"127.2.3:80", "127.2.3.4.5:80", "0127.2.3.4:80", "127.2.3.04:80",
	"127.256.1.1:80", "127..2.3:80", ".127.2.3.4:80", "127.2.3.4.:80",
	"127.2.3.4:0", "127.2.3.4:65536", "127.2.3.4:080", "127.2.3.4:00080",
	"127.2.3.4:999999", "127.2.3.4:", ":80", "h:8a", "h:http", "h:80,443",
	"h:22-25", "h::80", "-:80", "127e2.3.4.5:80", "123456789012:80",
	"[::1]:80", "::1", "h:+80", "h:-80", "4294967423.0.0.1:80",
	"h\x01:80", "h\xc3\xa9:80", "h:80 # c", "h 80",
};

static void
assert_same_line(enum ap_line_rc ra, const struct ap_line *a,
    const char *ea, enum ap_line_rc rb, const struct ap_line *b,
    const char *eb)
{
	size_t	i;

	ck_assert_int_eq(ra, rb);
	ck_assert_str_eq(ea, eb);
	if (ra != OK)
		return;
	ck_assert_str_eq(a->text, b->text);
	ck_assert_str_eq(a->host, b->host);
	ck_assert_int_eq(a->host_is_ip, b->host_is_ip);
	ck_assert_int_eq(a->ip_family, b->ip_family);
	ck_assert_mem_eq(a->ip, b->ip, sizeof(a->ip));
	ck_assert_uint_eq(a->ports.count, b->ports.count);
	ck_assert_uint_eq(a->ports.nranges, b->ports.nranges);
	for (i = 0; i < a->ports.nranges; i++) {
		ck_assert_uint_eq(a->ports.ranges[i].lo, b->ports.ranges[i].lo);
		ck_assert_uint_eq(a->ports.ranges[i].hi, b->ports.ranges[i].hi);
	}
}

START_TEST(test_line_fast_path_same)
{
	const char	*line = plain_cases[_i];
	char		 padded[128], ea[256], eb[256];
	struct ap_line	 a, b;
	enum ap_line_rc	 ra, rb;

	snprintf(padded, sizeof(padded), " %s\t", line);
	memset(&a, 0xa5, sizeof(a));		/* parse must set every field */
	memset(&b, 0x5a, sizeof(b));
	ra = ap_line_parse(line, strlen(line), NULL, &a, ea, sizeof(ea));
	rb = ap_line_parse(padded, strlen(padded), NULL, &b, eb, sizeof(eb));
	assert_same_line(ra, &a, ea, rb, &b, eb);
	ap_line_free(&a);
	ap_line_free(&b);
}
END_TEST

static Suite *
target_suite(void)
{
	Suite	*s = suite_create("line");
	TCase	*tc;

	tc = tcase_create("line");
	tcase_add_loop_test(tc, test_line_table, 0, NELEM(line_cases));
	tcase_add_loop_test(tc, test_addr_table, 0, NELEM(addr_cases));
	tcase_add_loop_test(tc, test_line_long, 0, NELEM(long_cases));
	tcase_add_test(tc, test_line_long_binary);
	tcase_add_test(tc, test_line_host_length);
	tcase_add_test(tc, test_line_ip_bytes);
	tcase_add_test(tc, test_line_no_errbuf);
	tcase_add_loop_test(tc, test_line_aton, 0, NELEM(aton_cases));
	tcase_add_loop_test(tc, test_line_fast_path_same, 0,
	    NELEM(plain_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("portlist");
	tcase_add_test(tc, test_services_present);
	tcase_add_loop_test(tc, test_portlist_table, 0, NELEM(plist_cases));
	tcase_add_test(tc, test_portlist_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_loop_test(tc, test_host_valid, 0, NELEM(host_cases));
	tcase_add_test(tc, test_host_valid_length);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(target_suite()));
}
