/* SPDX-License-Identifier: ISC */
/* check_text.c -- terminal-safe text: which sequences are well-formed
 * UTF-8, which of those a terminal would obey, the \xHH escaper with its
 * limits, and the FNV-1a hash against published vectors. */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"
#include "testutil.h"


static const struct utf8_case {
	const char	*s;
	size_t		 len;
	size_t		 utf8;		/* ap_text_utf8_len */
	size_t		 safe;		/* ap_text_safe_len */
} utf8_cases[] = {
	{ "a", 1, 1, 1 },
	{ "\t", 1, 1, 0 },			/* a control */
	{ "\x1b", 1, 1, 0 },
	{ "\x7f", 1, 1, 0 },			/* DEL */
	{ "", 1, 1, 0 },			/* NUL */
	{ "\xc3\xa9", 2, 2, 2 },		/* e acute */
	{ "\xe6\x97\xa5", 3, 3, 3 },
	{ "\xf0\x9f\x98\x80", 4, 4, 4 },
	{ "\xc2\x9b", 2, 2, 0 },		/* C1 CSI */
	{ "\xc2\xa0", 2, 2, 2 },		/* NBSP: shown */
	{ "\xe2\x80\xae", 3, 3, 0 },		/* RLO */
	{ "\xe2\x81\xa6", 3, 3, 0 },		/* LRI */
	{ "\xe2\x80\x8b", 3, 3, 0 },		/* zero width space */
	{ "\xe2\x80\x90", 3, 3, 3 },		/* hyphen: shown */
	{ "\xc0\xaf", 2, 0, 0 },		/* overlong */
	{ "\xe0\x80\xaf", 3, 0, 0 },		/* overlong */
	{ "\xed\xa0\x80", 3, 0, 0 },		/* surrogate */
	{ "\xf4\x90\x80\x80", 4, 0, 0 },	/* past U+10FFFF */
	{ "\xff", 1, 0, 0 },
	{ "\x80", 1, 0, 0 },			/* stray continuation */
	{ "\xc3", 1, 0, 0 },			/* truncated */
	{ "\xe6\x97", 2, 0, 0 },		/* truncated */
};

START_TEST(test_utf8_table)
{
	const struct utf8_case	*c = &utf8_cases[_i];

	ck_assert_uint_eq(ap_text_utf8_len(c->s, c->len), c->utf8);
	ck_assert_uint_eq(ap_text_safe_len(c->s, c->len), c->safe);
	ck_assert(ap_text_is_safe(c->s, c->len, false) == (c->safe == c->len));
}
END_TEST

/* The C1 controls and the bidirectional and zero-width characters, and
 * nothing else: not NBSP, not the letters beside them. */
START_TEST(test_dangerous)
{
	ck_assert(ap_text_dangerous("\xc2\x80", 2));
	ck_assert(ap_text_dangerous("\xc2\x9b", 2));	/* CSI */
	ck_assert(ap_text_dangerous("\xc2\x9f", 2));
	ck_assert(!ap_text_dangerous("\xc2\xa0", 2));	/* NBSP */
	ck_assert(!ap_text_dangerous("\xc3\x80", 2));
	ck_assert(ap_text_dangerous("\xe2\x80\xae", 3));	/* RLO */
	ck_assert(ap_text_dangerous("\xe2\x80\x8b", 3));	/* ZWSP */
	ck_assert(ap_text_dangerous("\xe2\x81\xa9", 3));	/* PDI */
	ck_assert(!ap_text_dangerous("\xe2\x80\x8a", 3));	/* hair space */
	ck_assert(!ap_text_dangerous("\xe2\x81\xaa", 3));
	ck_assert(!ap_text_dangerous("\x1b", 1));
}
END_TEST

static const struct escape_case {
	const char		*in;
	struct ap_text_opts	 opts;
	const char		*out;
} escape_cases[] = {
	{ "plain", { NULL, false, false, 100 }, "plain" },
	{ "a\x1b[2Jb", { NULL, false, false, 100 }, "a\\x1b[2Jb" },
	{ "a\tb", { NULL, false, false, 100 }, "a\\x09b" },
	{ "a\tb", { NULL, false, true, 100 }, "a\tb" },
	{ "a\\b", { NULL, false, false, 100 }, "a\\b" },
	{ "a\\b", { NULL, true, false, 100 }, "a\\\\b" },
	{ "a|b", { "|", false, false, 100 }, "a\\x7cb" },
	{ "\xc3\xa9\xff\xe2\x80\xae", { NULL, false, false, 100 },
	    "\xc3\xa9\\xff\\xe2\\x80\\xae" },
	/* Cut before the character that would pass max, then "...". */
	{ "abcdefgh", { NULL, false, false, 5 }, "abcde..." },
	{ "abc\x1b", { NULL, false, false, 5 }, "abc..." },
	{ "ab\xc3\xa9z", { NULL, false, false, 3 }, "ab..." },
	{ "abcde", { NULL, false, false, 5 }, "abcde" },
};

START_TEST(test_escape_table)
{
	const struct escape_case	*c = &escape_cases[_i];
	char				 buf[128];
	size_t				 n;

	n = ap_text_escape(buf, sizeof(buf), c->in, strlen(c->in), &c->opts);
	ck_assert_str_eq(buf, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
}
END_TEST

/* A small buffer wins over max: the copy and "..." still fit. */
START_TEST(test_escape_small_buffer)
{
	static const struct ap_text_opts	 o = { NULL, false, false, 100 };
	char					 buf[8];

	ap_text_escape(buf, sizeof(buf), "abcdefghijkl", 12, &o);
	ck_assert_str_eq(buf, "abcd...");
	ap_text_escape(buf, 1, "abc", 3, &o);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_fnv1a)
{
	static const unsigned char	 lo4[] = { 127, 0, 0, 1 };
	static const unsigned char	 lo6[16] = { [15] = 1 };

	/* The FNV authors' vectors, then blackbox_exporter's ipHash(). */
	ck_assert_uint_eq(ap_fnv1a("", 0, false), 0x811c9dc5u);
	ck_assert_uint_eq(ap_fnv1a("a", 1, false), 0xe40c292cu);
	ck_assert_uint_eq(ap_fnv1a("foobar", 6, false), 0xbf9cf968u);
	ck_assert_uint_eq(ap_fnv1a(lo4, 4, false), 3668918509u);
	ck_assert_uint_eq(ap_fnv1a(lo6, 16, false), 1751717746u);
	/* Names are blind to case; label sets are not. */
	ck_assert_uint_eq(ap_fnv1a("Example.ORG", 11, true),
	    ap_fnv1a("example.org", 11, false));
	ck_assert_uint_ne(ap_fnv1a("Example.ORG", 11, false),
	    ap_fnv1a("example.org", 11, false));
}
END_TEST

static Suite *
text_suite(void)
{
	Suite	*s = suite_create("text");
	TCase	*tc;

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_utf8_table, 0, NELEM(utf8_cases));
	tcase_add_test(tc, test_dangerous);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape_table, 0, NELEM(escape_cases));
	tcase_add_test(tc, test_escape_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("hash");
	tcase_add_test(tc, test_fnv1a);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(text_suite()));
}
