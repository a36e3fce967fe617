/* SPDX-License-Identifier: ISC */
/* check_output_ops.c -- the formats for monitoring systems: prom (golden
 * text, label escaping, duplicate series, the exposition's structure, and
 * promtool when it is installed) and nagios (golden lines, every
 * threshold edge, escaping, the exit code), plus write errors. */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cli.h"
#include "output.h"
#include "result.h"
#include "testutil.h"


/* Records: one of each kind, wall-clock stamps a few ms apart. */

#define T0	1795508724000LL		/* 2026-11-24T08:25:24Z, in ms */

static const struct ap_result rec[] = {
	/* 0: connected */
	{ "localhost:22", "localhost", 22, AP_STATUS_CONNECTED, "127.0.0.1",
	    123, 4567, 0, NULL, 1, false, "t.txt", 1, NULL, 0, T0 + 5, NULL,
	    0 },
	/* 1: refused */
	{ "db:5432", "db", 5432, AP_STATUS_REFUSED, "::1", -1, 251234,
	    ECONNREFUSED, NULL, 2, false, "t.txt", 2, NULL, 0, T0 + 252,
	    NULL, 0 },
	/* 2: unresolved: no address */
	{ "nosuch.test:80", "nosuch.test", 80, AP_STATUS_UNRESOLVED, "", -1,
	    12000, AP_ERR_NXDOMAIN, NULL, 0, false, "t.txt", 3, NULL, 0,
	    T0 + 13, NULL, 0 },
	/* 3: timeout on an IPv6 literal (the start of the run: T0 - 1) */
	{ "[2001:db8::1]:22", "2001:db8::1", 22, AP_STATUS_TIMEOUT,
	    "2001:db8::1", -1, 1500000, ETIMEDOUT, NULL, 1, false, "t.txt", 4,
	    NULL, 0, T0 + 1499, NULL, 0 },
	/* 4: connected, the slower connect */
	{ "web:80", "web", 80, AP_STATUS_CONNECTED, "127.1.2.3", 4567, 4600,
	    0, NULL, 1, false, "t.txt", 5, NULL, 0, T0 + 7, NULL, 0 },
	/* 5: invalid: no host, no port */
	{ "web:99999", NULL, 0, AP_STATUS_INVALID, "", -1, 0, 0,
	    "port out of range", 0, false, "t.txt", 6, NULL, 0, T0 + 1,
	    NULL, 0 },
};

/* Helpers */

/* The prom writer's --label pairs and -m, for the next render. */
static char *const	*t_labels;
static size_t		 t_nlabels;
static bool		 t_per_address;

/* A format's writer with the thresholds, labels and -m above over
 * records into memory (tu_render(), which also holds a whole-run writer
 * to writing nothing before end()); the caller frees the text. */
static char *
render_th(const char *format, const struct ap_threshold *warn,
    const struct ap_threshold *crit, const struct ap_result *r, size_t n,
    int *codep)
{
	struct ap_writer	 w;

	memset(&w, 0, sizeof(w));
	ck_assert_ptr_nonnull(w.ops = ap_output_find(format));
	w.warn_down = warn;
	w.crit_down = crit;
	w.labels = t_labels;
	w.nlabels = t_nlabels;
	w.per_address = t_per_address;
	return (tu_render(&w, true, r, n, NULL, codep));
}

static char *
render(const char *format, const struct ap_result *r, size_t n, int *codep)
{
	return (render_th(format, NULL, NULL, r, n, codep));
}

/* Does promtool exist?  Checked once per test process. */
static bool
have_promtool(void)
{
	static int	 have = -1;

	if (have == -1)
		have = system("command -v promtool >/dev/null 2>&1") == 0;
	if (!have)
		fprintf(stderr, "promtool not found: promtool check skipped "
		    "(apt-get install prometheus)\n");
	return (have);
}

/* promtool's verdict on text: 0 when it passes "check metrics". */
static int
promtool(const char *text)
{
	FILE	*p;
	int	 status;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_ptr_nonnull(p = popen("promtool check metrics "
	    ">/dev/null 2>&1", "w"));
	fputs(text, p);
	status = pclose(p);
	ck_assert_int_ne(status, -1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

/* promtool accepts text, when promtool is here. */
static void
assert_promtool_ok(const char *text)
{
	if (have_promtool())
		ck_assert_msg(promtool(text) == 0, "promtool rejects:\n%s",
		    text);
}

/*
 * What promtool 2.42 does not check but node_exporter's textfile collector
 * rejects a file for: a series twice, a family's samples not together, a
 * family without its HELP and TYPE before its samples.  Returns the
 * number of samples, or -1 with the first breach in why.
 */
static long
exposition_check(const char *text, char *why, size_t whylen)
{
	char		*copy, *line, *save = NULL, *sp, *brace;
	char		*series[4096], *family[64], *help = NULL, *type = NULL;
	char		 cur[256] = "";
	size_t		 nseries = 0, nfamily = 0, i, len;
	long		 rc = -1;

	if ((copy = strdup(text)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return (-1);
	}
	if (*text != '\0' && text[strlen(text) - 1] != '\n') {
		snprintf(why, whylen, "no final newline");
		goto out;
	}
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			help = line + 7;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			type = line + 7;
			continue;
		}
		if (line[0] == '#')
			continue;
		/* name{labels} value: the series is all but the value. */
		if ((sp = strrchr(line, ' ')) == NULL) {
			snprintf(why, whylen, "no value: %s", line);
			goto out;
		}
		brace = strchr(line, '{');
		len = (size_t)((brace != NULL && brace < sp ? brace : sp) -
		    line);
		if (len == 0 || len >= sizeof(cur)) {
			snprintf(why, whylen, "bad name: %s", line);
			goto out;
		}
		if (strncmp(line, cur, len) != 0 || cur[len] != '\0') {
			for (i = 0; i < nfamily; i++) {
				/* '\0': that line's value space, cut. */
				if (strncmp(family[i], line, len) == 0 &&
				    strchr("{ ", family[i][len]) != NULL) {
					snprintf(why, whylen, "family split: "
					    "%s", line);
					goto out;
				}
			}
			if (help == NULL || strncmp(help, line, len) != 0 ||
			    help[len] != ' ' || type == NULL ||
			    strncmp(type, line, len) != 0 ||
			    strcmp(type + len, " gauge") != 0) {
				snprintf(why, whylen, "no HELP and TYPE "
				    "gauge before %s", line);
				goto out;
			}
			if (nfamily == NELEM(family)) {
				snprintf(why, whylen, "too many families");
				goto out;
			}
			memcpy(cur, line, len);
			cur[len] = '\0';
			family[nfamily++] = line;
		}
		*sp = '\0';
		for (i = 0; i < nseries; i++) {
			if (strcmp(series[i], line) == 0) {
				snprintf(why, whylen, "series twice: %s",
				    line);
				goto out;
			}
		}
		if (nseries == NELEM(series)) {
			snprintf(why, whylen, "too many series");
			goto out;
		}
		series[nseries++] = line;
	}
	rc = (long)nseries;
out:
	free(copy);
	return (rc);
}

static size_t
assert_exposition(const char *text)
{
	char	 why[512];
	long	 n;

	n = exposition_check(text, why, sizeof(why));
	ck_assert_msg(n >= 0, "%s\nin:\n%s", why, text);
	return ((size_t)n);
}

/* Registry */

START_TEST(test_registry)
{
	ck_assert_ptr_eq(ap_output_find("prom"), &ap_output_prom);
	ck_assert_ptr_eq(ap_output_find("nagios"), &ap_output_nagios);
	ck_assert_str_eq(ap_output_prom.name, "prom");
	ck_assert_str_eq(ap_output_nagios.name, "nagios");
	ck_assert_ptr_nonnull(ap_output_find("text"));
	ck_assert_ptr_null(ap_output_find("Prom"));
}
END_TEST

/* prom */

static const char golden_prom_head[] =
	"# HELP probe_success 1 when a TCP connect to the target succeeded, "
	"else 0.\n"
	"# TYPE probe_success gauge\n";

static const char golden_prom_tail[] =
	"# HELP asyncprobe_targets Records of this run per status.\n"
	"# TYPE asyncprobe_targets gauge\n";

static const char golden_prom[] =
	"# HELP probe_success 1 when a TCP connect to the target succeeded,"
	" else 0.\n"
	"# TYPE probe_success gauge\n"
	"probe_success{target=\"localhost:22\",host=\"localhost\",port=\"22"
	"\"} 1\n"
	"probe_success{target=\"db:5432\",host=\"db\",port=\"5432\"} 0\n"
	"probe_success{target=\"nosuch.test:80\",host=\"nosuch.test\",port="
	"\"80\"} 0\n"
	"probe_success{target=\"[2001:db8::1]:22\",host=\"2001:db8::1\",por"
	"t=\"22\"} 0\n"
	"probe_success{target=\"web:80\",host=\"web\",port=\"80\"} 1\n"
	"probe_success{target=\"web:99999\",host=\"\",port=\"\"} 0\n"
	"# HELP probe_duration_seconds Seconds from the target's start to i"
	"ts verdict.\n"
	"# TYPE probe_duration_seconds gauge\n"
	"probe_duration_seconds{target=\"localhost:22\",host=\"localhost\","
	"port=\"22\"} 0.004567\n"
	"probe_duration_seconds{target=\"db:5432\",host=\"db\",port=\"5432"
	"\"} 0.251234\n"
	"probe_duration_seconds{target=\"nosuch.test:80\",host=\"nosuch.tes"
	"t\",port=\"80\"} 0.012000\n"
	"probe_duration_seconds{target=\"[2001:db8::1]:22\",host=\"2001:db8"
	"::1\",port=\"22\"} 1.500000\n"
	"probe_duration_seconds{target=\"web:80\",host=\"web\",port=\"80\"}"
	" 0.004600\n"
	"probe_duration_seconds{target=\"web:99999\",host=\"\",port=\"\"} 0"
	".000000\n"
	"# HELP probe_ip_protocol IP version of the record's address: 4, 6,"
	" or 0 when none.\n"
	"# TYPE probe_ip_protocol gauge\n"
	"probe_ip_protocol{target=\"localhost:22\",host=\"localhost\",port="
	"\"22\"} 4\n"
	"probe_ip_protocol{target=\"db:5432\",host=\"db\",port=\"5432\"} 6"
	"\n"
	"probe_ip_protocol{target=\"nosuch.test:80\",host=\"nosuch.test\",p"
	"ort=\"80\"} 0\n"
	"probe_ip_protocol{target=\"[2001:db8::1]:22\",host=\"2001:db8::1\""
	",port=\"22\"} 6\n"
	"probe_ip_protocol{target=\"web:80\",host=\"web\",port=\"80\"} 4\n"
	"probe_ip_protocol{target=\"web:99999\",host=\"\",port=\"\"} 0\n"
	"# HELP probe_ip_addr_hash FNV-1a hash of the record's address byte"
	"s, to see it change.\n"
	"# TYPE probe_ip_addr_hash gauge\n"
	"probe_ip_addr_hash{target=\"localhost:22\",host=\"localhost\",port"
	"=\"22\"} 3668918509\n"
	"probe_ip_addr_hash{target=\"db:5432\",host=\"db\",port=\"5432\"} 1"
	"751717746\n"
	"probe_ip_addr_hash{target=\"[2001:db8::1]:22\",host=\"2001:db8::1"
	"\",port=\"22\"} 1851458804\n"
	"probe_ip_addr_hash{target=\"web:80\",host=\"web\",port=\"80\"} 170"
	"4651018\n"
	"# HELP asyncprobe_targets Records of this run per status.\n"
	"# TYPE asyncprobe_targets gauge\n"
	"asyncprobe_targets{status=\"connected\"} 2\n"
	"asyncprobe_targets{status=\"refused\"} 1\n"
	"asyncprobe_targets{status=\"timeout\"} 1\n"
	"asyncprobe_targets{status=\"unreachable\"} 0\n"
	"asyncprobe_targets{status=\"denied\"} 0\n"
	"asyncprobe_targets{status=\"unresolved\"} 1\n"
	"asyncprobe_targets{status=\"mismatch\"} 0\n"
	"asyncprobe_targets{status=\"error\"} 0\n"
	"asyncprobe_targets{status=\"invalid\"} 1\n"
	"asyncprobe_targets{status=\"cancelled\"} 0\n";

START_TEST(test_prom_golden)
{
	char	*got;

	got = render("prom", rec, NELEM(rec), NULL);
	ck_assert_str_eq(got, golden_prom);
	/* No probe_ip_addr_hash without an address (2 of them). */
	ck_assert_uint_eq(assert_exposition(got), 4 * NELEM(rec) - 2 +
	    AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);
}
END_TEST

/* No records: the families are declared, every status counts 0. */
START_TEST(test_prom_empty)
{
	char	*got, *p;
	int	 s;

	got = render("prom", NULL, 0, NULL);
	ck_assert_ptr_eq(strstr(got, golden_prom_head), got);
	ck_assert_ptr_nonnull(p = strstr(got, golden_prom_tail));
	p += strlen(golden_prom_tail);
	for (s = 0; s < AP_STATUS_COUNT; s++) {
		ck_assert_int_eq(strncmp(p, "asyncprobe_targets{status=\"",
		    27), 0);
		p += 27;
		ck_assert_int_eq(strncmp(p, ap_status_name(s),
		    strlen(ap_status_name(s))), 0);
		p += strlen(ap_status_name(s));
		ck_assert_int_eq(strncmp(p, "\"} 0\n", 5), 0);
		p += 5;
	}
	ck_assert_int_eq(*p, '\0');
	ck_assert_uint_eq(assert_exposition(got), AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);
}
END_TEST

/* Label escaping: one value in, the label text out. */
static const struct prom_esc_case {
	const char	*in;
	const char	*want;
} prom_esc_cases[] = {
	{ "plain:80", "plain:80" },
	{ "say \"hi\"", "say \\\"hi\\\"" },
	{ "back\\slash", "back\\\\slash" },
	{ "line\nfeed", "line\\nfeed" },
	{ "\\n", "\\\\n" },				/* not a newline */
	{ "cr\rtab\tesc\x1b", "cr\rtab\tesc\x1b" },	/* legal as is */
	{ "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80" },
	{ "\xff", "\xef\xbf\xbd" },
	{ "x\xc3", "x\xef\xbf\xbd" },			/* truncated */
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "", "" },
};

START_TEST(test_prom_escape)
{
	const struct prom_esc_case	*c = &prom_esc_cases[_i];
	struct ap_result		 r[2];
	char				*got, *want;

	/* In the target and the host label alike. */
	r[0] = rec[0];
	r[0].target = c->in;
	r[1] = rec[1];
	r[1].host = c->in;
	got = render("prom", r, 2, NULL);
	ck_assert_int_ge(asprintf(&want, "\nprobe_success{target=\"%s\","
	    "host=\"localhost\",port=\"22\"} 1\n"
	    "probe_success{target=\"db:5432\",host=\"%s\",port=\"5432\"}"
	    " 0\n", c->want, c->want), 0);
	ck_assert_msg(strstr(got, want) != NULL, "case %d:\n%s", _i, got);
	ck_assert_uint_eq(assert_exposition(got), 8 + AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(want);
	free(got);
}
END_TEST

/*
 * The same line twice: the first record of a label set stands, every
 * record still counts per status.  Another address of the same target is
 * the same series (no ip label: DNS round robin does not churn series),
 * unless -m asks for a record per address: then an ip label tells them
 * apart.
 */
START_TEST(test_prom_duplicates)
{
	struct ap_result	 r[5];
	char			*got;

	r[0] = rec[1];				/* db:5432 at ::1, refused */
	r[1] = rec[1];
	r[1].status = AP_STATUS_CONNECTED;	/* later, the same series */
	r[2] = rec[1];
	r[2].ip = "127.0.0.1";			/* another address */
	r[3] = rec[1];
	r[4] = rec[5];				/* invalid, no ip */
	got = render("prom", r, NELEM(r), NULL);
	ck_assert_ptr_eq(strstr(got, "# asyncprobe: 3 duplicate series "
	    "dropped, the first record of each kept\n"), got);
	ck_assert_ptr_nonnull(strstr(got, "\nprobe_success{target="
	    "\"db:5432\",host=\"db\",port=\"5432\"} 0\n"
	    "probe_success{target=\"web:99999\","));
	ck_assert_ptr_nonnull(strstr(got,
	    "asyncprobe_targets{status=\"connected\"} 1\n"
	    "asyncprobe_targets{status=\"refused\"} 3\n"));
	ck_assert_uint_eq(assert_exposition(got), 4 * 2 - 1 +
	    AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);

	t_per_address = true;
	got = render("prom", r, NELEM(r), NULL);
	t_per_address = false;
	ck_assert_ptr_eq(strstr(got, "# asyncprobe: 2 duplicate series "
	    "dropped, the first record of each kept\n"), got);
	ck_assert_ptr_nonnull(strstr(got, "\nprobe_success{target="
	    "\"db:5432\",host=\"db\",port=\"5432\",ip=\"::1\"} 0\n"
	    "probe_success{target=\"db:5432\",host=\"db\",port=\"5432\","
	    "ip=\"127.0.0.1\"} 0\nprobe_success{target=\"web:99999\","));
	ck_assert_uint_eq(assert_exposition(got), 4 * 3 - 1 +
	    AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);

	/* No duplicates, no comment. */
	got = render("prom", r, 1, NULL);
	ck_assert_ptr_null(strstr(got, "duplicate"));
	free(got);
}
END_TEST

/* --label KEY=VALUE: on every series, escaped, after the record's own. */
START_TEST(test_prom_labels)
{
	static char		 job[] = "job=web", site[] = "site=a \"b\"\\c";
	static char *const	 labels[] = { job, site };
	char			*got;

	t_labels = labels;
	t_nlabels = NELEM(labels);
	got = render("prom", rec, 2, NULL);
	t_labels = NULL;
	t_nlabels = 0;
	ck_assert_ptr_nonnull(strstr(got, "\nprobe_success{target="
	    "\"localhost:22\",host=\"localhost\",port=\"22\",job=\"web\","
	    "site=\"a \\\"b\\\"\\\\c\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nprobe_ip_addr_hash{target="
	    "\"db:5432\",host=\"db\",port=\"5432\",job=\"web\","
	    "site=\"a \\\"b\\\"\\\\c\"} 1751717746\n"));
	ck_assert_ptr_nonnull(strstr(got, "\nasyncprobe_targets{status="
	    "\"cancelled\",job=\"web\",site=\"a \\\"b\\\"\\\\c\"} 0\n"));
	ck_assert_uint_eq(assert_exposition(got), 8 + AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);

	/* With no record at all, the totals still carry them. */
	t_labels = labels;
	t_nlabels = 1;
	got = render("prom", NULL, 0, NULL);
	t_labels = NULL;
	t_nlabels = 0;
	ck_assert_ptr_nonnull(strstr(got, "\nasyncprobe_targets{status="
	    "\"connected\",job=\"web\"} 0\n"));
	free(got);
}
END_TEST

/* A cancelled target has no verdict: no probe_success (unknown is not
 * down), but it is counted. */
START_TEST(test_prom_cancelled)
{
	struct ap_result	 r[2];
	char			*got;

	r[0] = rec[0];
	r[1] = rec[1];
	r[1].status = AP_STATUS_CANCELLED;
	got = render("prom", r, 2, NULL);
	ck_assert_ptr_nonnull(strstr(got, "probe_success{target="
	    "\"localhost:22\","));
	ck_assert_ptr_null(strstr(got, "probe_success{target=\"db:5432\""));
	ck_assert_ptr_nonnull(strstr(got, "probe_duration_seconds{target="
	    "\"db:5432\""));
	ck_assert_ptr_nonnull(strstr(got,
	    "asyncprobe_targets{status=\"cancelled\"} 1\n"));
	assert_promtool_ok(got);
	free(got);
}
END_TEST

/* Enough records to grow the table several times, every other a repeat. */
START_TEST(test_prom_many)
{
	enum { N = 1000 };
	struct ap_result	*r;
	char			(*names)[32], *got, want[128];
	size_t			 i;

	r = calloc(N, sizeof(*r));
	names = calloc(N, sizeof(*names));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(names);
	for (i = 0; i < N; i++) {
		r[i] = rec[0];
		snprintf(names[i], sizeof(names[i]), "h%zu:22", i / 2);
		r[i].target = names[i];
	}
	got = render("prom", r, N, NULL);
	ck_assert_ptr_eq(strstr(got, "# asyncprobe: 500 duplicate "), got);
	snprintf(want, sizeof(want), "\nprobe_ip_protocol{target=\"h499:22\","
	    "host=\"localhost\",port=\"22\"} 4\n# HELP ");
	ck_assert_ptr_nonnull(strstr(got, want));
	ck_assert_ptr_nonnull(strstr(got,
	    "asyncprobe_targets{status=\"connected\"} 1000\n"));
	ck_assert_uint_eq(assert_exposition(got), 4 * N / 2 +
	    AP_STATUS_COUNT);
	free(got);
	free(names);
	free(r);
}
END_TEST

/* Everything at once, awkward bytes included, through promtool. */
START_TEST(test_prom_promtool_mixed)
{
	struct ap_result	 r[NELEM(rec) + 5];
	char			*got;
	size_t			 i;

	for (i = 0; i < NELEM(rec); i++)
		r[i] = rec[i];
	r[i] = rec[0];
	r[i].target = "q\"uote\\ new\nline \xff\xfe caf\xc3\xa9:1";
	r[i++].host = "h\xc3";
	r[i] = rec[0];
	r[i].target = "localhost:23";
	r[i].ip = "127.0.0.2";
	r[i++].elapsed_us = -5;
	r[i] = rec[3];
	r[i].status = AP_STATUS_CANCELLED;
	r[i++].target = "#not a comment";
	r[i] = rec[2];
	r[i].target = "other:80";
	r[i].elapsed_us = INT64_MAX;
	r[i++].status = AP_STATUS_MISMATCH;
	r[i++] = rec[1];			/* a repeat: dropped */
	got = render("prom", r, NELEM(r), NULL);
	ck_assert_ptr_eq(strstr(got, "# asyncprobe: 1 duplicate"), got);
	ck_assert_ptr_nonnull(strstr(got, "probe_duration_seconds{target="
	    "\"other:80\",host=\"nosuch.test\",port=\"80\"} "
	    "9223372036854.775807\n"));
	ck_assert_ptr_nonnull(strstr(got, "probe_duration_seconds{target="
	    "\"localhost:23\",host=\"localhost\",port=\"22\"} "
	    "-0.000005\n"));
	/* 10 records: 3 families each, the address hash for the 7 with an
	 * address, no probe_success for the cancelled one. */
	ck_assert_uint_eq(assert_exposition(got), 3 * (NELEM(r) - 1) + 7 -
	    1 + AP_STATUS_COUNT);
	if (have_promtool()) {
		ck_assert_msg(promtool(got) == 0, "promtool:\n%s", got);
		/* The check can fail: raw invalid UTF-8 in a label. */
		ck_assert_int_ne(promtool("# HELP a b\n# TYPE a gauge\n"
		    "a{b=\"\xff\"} 1\n"), 0);
	}
	free(got);
}
END_TEST

/* The checker itself catches what it is there for. */
static const struct bad_case {
	const char	*text;
	const char	*why;
} bad_cases[] = {
	{ "# HELP a x\n# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n",
	    "series twice: a{b=\"1\"}" },
	{ "# HELP a x\n# TYPE a gauge\na 1\n# HELP c x\n# TYPE c gauge\n"
	    "c 1\na{b=\"2\"} 1\n", "family split: a{b=\"2\"} 1" },
	{ "# HELP a x\na 1\n", "no HELP and TYPE gauge before a 1" },
	{ "# HELP a x\n# TYPE a gauge\na 1", "no final newline" },
	{ "# HELP ab x\n# TYPE ab gauge\nab 1\n# HELP a x\n"
	    "# TYPE a gauge\na 1\nab{c=\"\"} 1\n", "family split: "
	    "ab{c=\"\"} 1" },
};

START_TEST(test_exposition_checker)
{
	char	 why[512] = "";

	ck_assert_int_eq(exposition_check(bad_cases[_i].text, why,
	    sizeof(why)), -1);
	ck_assert_str_eq(why, bad_cases[_i].why);
	ck_assert_int_eq(exposition_check("# HELP a x\n# TYPE a gauge\n"
	    "a 1\n# HELP ab x\n# TYPE ab gauge\nab 1\n", why, sizeof(why)),
	    2);
}
END_TEST

/* An ICMP message behind a record's error: one asyncprobe_icmp sample for
 * it, labelled with the message and its sender; none for the others. */
static const struct ap_icmp icmp_admin = { AP_ICMP_V4, 3, 13, "198.18.0.1" };

START_TEST(test_prom_icmp)
{
	struct ap_result	 r[2];
	char			*got;

	r[0] = rec[0];
	r[1] = rec[1];
	r[1].status = AP_STATUS_DENIED;
	r[1].error = EHOSTUNREACH;
	r[1].icmp = &icmp_admin;
	got = render("prom", r, 2, NULL);
	ck_assert_msg(strstr(got, "\n# HELP asyncprobe_icmp 1 for a target "
	    "whose error an ICMP message caused, labelled with the message "
	    "and its sender.\n# TYPE asyncprobe_icmp gauge\n"
	    "asyncprobe_icmp{target=\"db:5432\",host=\"db\",port=\"5432\","
	    "icmp=\"admin-prohibited\",icmp_from=\"198.18.0.1\"} "
	    "1\n# HELP asyncprobe_targets") != NULL, "%s", got);
	ck_assert_uint_eq(assert_exposition(got), 8 + 1 + AP_STATUS_COUNT);
	assert_promtool_ok(got);
	free(got);
}
END_TEST

/* nagios */

/* A target an ICMP message failed says which and from whom. */
START_TEST(test_nagios_icmp)
{
	struct ap_result	 r[2];
	char			*got;
	int			 code;

	r[0] = rec[0];
	r[1] = rec[1];
	r[1].status = AP_STATUS_DENIED;
	r[1].error = EHOSTUNREACH;
	r[1].icmp = &icmp_admin;
	got = render("nagios", r, 2, &code);
	ck_assert_str_eq(got, "ASYNCPROBE CRITICAL - 1/2 targets down "
	    "(denied 1) | up=1;;;0;2 down=1;0;0;0;2 invalid=0;;;0 "
	    "rtt_max=0.000123s;;;0 elapsed=0.251s\n"
	    "db:5432 denied EHOSTUNREACH (admin-prohibited from 198.18.0.1)\n");
	ck_assert_int_eq(code, 2);
	free(got);
}
END_TEST
#define NAGIOS_DOWN3	"db:5432 refused ECONNREFUSED\n" \
	"nosuch.test:80 unresolved NXDOMAIN\n" \
	"[2001:db8::1]:22 timeout ETIMEDOUT\n"

START_TEST(test_nagios_golden)
{
	char	*got;
	int	 code;

	/* 2 up of 5 (no invalid): critical at the default 1, 1, whose
	 * ranges "0" alert above 0; then the long output. */
	got = render("nagios", rec, 5, &code);
	ck_assert_str_eq(got, "ASYNCPROBE CRITICAL - 3/5 targets down "
	    "(refused 1, timeout 1, unresolved 1) | up=2;;;0;5 down=3;0;0;0;5 "
	    "invalid=0;;;0 rtt_max=0.004567s;;;0 elapsed=1.500s\n"
	    NAGIOS_DOWN3);
	ck_assert_int_eq(code, 2);
	free(got);

	/* All up. */
	got = render("nagios", rec, 1, &code);
	ck_assert_str_eq(got, "ASYNCPROBE OK - 0/1 targets down | "
	    "up=1;;;0;1 down=0;0;0;0;1 invalid=0;;;0 rtt_max=0.000123s;;;0 "
	    "elapsed=0.004s\n");
	ck_assert_int_eq(code, 0);
	free(got);

	/* An invalid line is counted, not a target: CRITICAL stands. */
	got = render("nagios", rec, NELEM(rec), &code);
	ck_assert_str_eq(got, "ASYNCPROBE CRITICAL - 3/5 targets down "
	    "(refused 1, timeout 1, unresolved 1), 1 invalid line | "
	    "up=2;;;0;5 down=3;0;0;0;5 invalid=1;;;0 rtt_max=0.004567s;;;0 "
	    "elapsed=1.500s\n" NAGIOS_DOWN3);
	ck_assert_int_eq(code, 2);
	free(got);

	/* Nothing probed at all. */
	got = render("nagios", NULL, 0, &code);
	ck_assert_str_eq(got, "ASYNCPROBE UNKNOWN - no targets | "
	    "up=0;;;0;0 down=0;0;0;0;0 invalid=0;;;0 rtt_max=U;;;0 "
	    "elapsed=0.000s\n");
	ck_assert_int_eq(code, 3);
	free(got);
}
END_TEST

/* An input file that could not be read: UNKNOWN, with the reason, even
 * when the targets read say otherwise. */
START_TEST(test_nagios_unreadable)
{
	struct ap_writer	 w;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	memset(&w, 0, sizeof(w));
	w.ops = &ap_output_nagios;
	w.fp = fp;
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	ap_writer_input_error(&w, "a.txt: No such file or directory");
	ck_assert_int_eq(ap_writer_write(&w, &rec[1]), 0);
	ap_writer_input_error(&w, "b|c.txt: Permission denied");
	ck_assert_int_eq(ap_writer_end(&w), 0);
	ck_assert_int_eq(ap_writer_exit_code(&w, 1), 3);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_str_eq(buf, "ASYNCPROBE UNKNOWN - cannot read a.txt: No "
	    "such file or directory (and 1 more), 1/1 targets down (refused 1)"
	    " | up=0;;;0;1 down=1;0;0;0;1 invalid=0;;;0 rtt_max=U;;;0 "
	    "elapsed=0.251s\ndb:5432 refused ECONNREFUSED\n");
	free(buf);
}
END_TEST

/* The exit-code hook: the plugin's code, 3 for a system failure (4) or
 * a writer that never ended; other formats keep the SPEC 6 status. */
START_TEST(test_nagios_exit_hook)
{
	struct ap_writer	 w;

	memset(&w, 0, sizeof(w));
	w.ops = &ap_output_nagios;
	ck_assert(ap_writer_has_exit_code(&w));
	ck_assert(ap_writer_whole_run(&w));
	ck_assert_int_eq(ap_writer_exit_code(&w, 0), 3);
	w.ended = true;
	w.code = 1;
	ck_assert_int_eq(ap_writer_exit_code(&w, 0), 1);
	ck_assert_int_eq(ap_writer_exit_code(&w, 4), 3);
	w.ops = &ap_output_prom;
	ck_assert(!ap_writer_has_exit_code(&w));
	ck_assert(ap_writer_whole_run(&w));
	ck_assert_int_eq(ap_writer_exit_code(&w, 2), 2);
	w.ops = ap_output_find("csv");
	ck_assert(!ap_writer_whole_run(&w));
}
END_TEST

/*
 * Thresholds: "down" refused records among "total", CRITICAL at
 * down >= crit, else WARNING at down >= warn; a percentage is of all
 * targets, and perfdata shows a range that alerts at that very count:
 * "N-1" (alert above it), "@0:" for 0 (alert always).
 */
#define CNT(n)	{ true, false, (n) }
#define PCT(n)	{ true, true, (n) }
#define DEF	{ false, false, 0 }

static const struct th_case {
	struct ap_threshold	 warn, crit;
	unsigned		 total, down, invalid;
	int			 code;
	unsigned		 warn_n, crit_n;	/* in the perfdata */
} th_cases[] = {
	/* counts */
	{ CNT(1), CNT(1), 10, 0, 0, 0, 1, 1 },
	{ CNT(1), CNT(1), 10, 1, 0, 2, 1, 1 },
	{ CNT(2), CNT(4), 10, 1, 0, 0, 2, 4 },
	{ CNT(2), CNT(4), 10, 2, 0, 1, 2, 4 },	/* warn edge */
	{ CNT(2), CNT(4), 10, 3, 0, 1, 2, 4 },
	{ CNT(2), CNT(4), 10, 4, 0, 2, 2, 4 },	/* crit edge */
	{ CNT(2), CNT(4), 10, 10, 0, 2, 2, 4 },
	{ CNT(5), CNT(2), 10, 3, 0, 2, 5, 2 },	/* crit wins */
	{ CNT(11), CNT(11), 10, 10, 0, 0, 11, 11 },	/* unreachable */
	{ CNT(0), CNT(3), 10, 0, 0, 1, 0, 3 },	/* 0: always */
	/* percentages */
	{ PCT(20), PCT(50), 10, 1, 0, 0, 2, 5 },
	{ PCT(20), PCT(50), 10, 2, 0, 1, 2, 5 },	/* 20% exactly */
	{ PCT(20), PCT(50), 10, 4, 0, 1, 2, 5 },
	{ PCT(20), PCT(50), 10, 5, 0, 2, 2, 5 },	/* 50% exactly */
	{ PCT(15), PCT(100), 10, 1, 0, 0, 2, 10 },	/* 1.5 -> 2 */
	{ PCT(15), PCT(100), 10, 2, 0, 1, 2, 10 },
	{ PCT(15), PCT(100), 10, 9, 0, 1, 2, 10 },
	{ PCT(15), PCT(100), 10, 10, 0, 2, 2, 10 },
	{ PCT(33.3), PCT(66.7), 3, 1, 0, 1, 1, 3 },
	{ PCT(33.3), PCT(66.7), 3, 2, 0, 1, 1, 3 },	/* 66.7% > 2/3 */
	{ PCT(33.3), PCT(66.6), 3, 2, 0, 2, 1, 2 },
	{ PCT(0.5), PCT(1), 1000, 4, 0, 0, 5, 10 },
	{ PCT(0.5), PCT(1), 1000, 5, 0, 1, 5, 10 },
	{ PCT(0.5), PCT(1), 1000, 10, 0, 2, 5, 10 },
	{ CNT(3), PCT(50), 4, 2, 0, 2, 3, 2 },	/* mixed kinds */
	/* defaults: unset, or no threshold at all (NULL, below) */
	{ DEF, DEF, 4, 0, 0, 0, 1, 1 },
	{ DEF, DEF, 4, 1, 0, 2, 1, 1 },
	/* invalid records (counted in "down" here, the first ones) are no
	 * targets: UNKNOWN unless a threshold is crossed; no targets */
	{ CNT(5), CNT(5), 10, 1, 1, 3, 5, 5 },
	{ CNT(1), CNT(1), 10, 3, 1, 2, 1, 1 },
	{ CNT(1), CNT(2), 10, 2, 1, 1, 1, 2 },
	{ CNT(1), CNT(1), 1, 1, 1, 3, 1, 1 },
	{ CNT(1), CNT(1), 0, 0, 0, 3, 1, 1 },
	{ PCT(10), PCT(20), 0, 0, 0, 3, 0, 0 },
	{ CNT(0), CNT(0), 0, 0, 0, 3, 0, 0 },
};

/* The perfdata range alerting from n on. */
static void
range(char *buf, size_t len, unsigned n)
{
	if (n == 0)
		snprintf(buf, len, "@0:");
	else
		snprintf(buf, len, "%u", n - 1);
}

static void
th_run(const struct ap_threshold *warn, const struct ap_threshold *crit,
    const struct th_case *c, int i)
{
	char			 wr[16], cr[16];
	static const char *const codes[] = {
		"OK", "WARNING", "CRITICAL", "UNKNOWN"
	};
	struct ap_result	*r;
	char			*got, *want;
	unsigned		 k;
	int			 code;

	r = calloc(c->total + 1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	for (k = 0; k < c->total; k++) {
		if (k < c->invalid)
			r[k] = rec[5];
		else if (k < c->down)
			r[k] = rec[1];
		else
			r[k] = rec[0];
	}
	got = render_th("nagios", warn, crit, r, c->total, &code);
	ck_assert_msg(code == c->code, "case %d: code %d: %s", i, code, got);
	ck_assert_int_ge(asprintf(&want, "ASYNCPROBE %s - ", codes[c->code]),
	    0);
	ck_assert_msg(strncmp(got, want, strlen(want)) == 0, "case %d: %s", i,
	    got);
	free(want);
	range(wr, sizeof(wr), c->warn_n);
	range(cr, sizeof(cr), c->crit_n);
	ck_assert_int_ge(asprintf(&want, " | up=%u;;;0;%u down=%u;%s;%s;0;%u "
	    "invalid=%u;;;0 ", c->total - c->down, c->total - c->invalid,
	    c->down - c->invalid, wr, cr, c->total - c->invalid, c->invalid),
	    0);
	ck_assert_msg(strstr(got, want) != NULL, "case %d: %s", i, got);
	free(want);
	free(got);
	free(r);
}

START_TEST(test_nagios_thresholds)
{
	const struct th_case	*c = &th_cases[_i];

	th_run(&c->warn, &c->crit, c, _i);
	/* An unset threshold and none at all mean the same: 1. */
	if (!c->warn.set && !c->crit.set)
		th_run(NULL, NULL, c, _i);
}
END_TEST

/* Names in the long output: one line, no '|', nothing a screen obeys. */
static const struct nag_esc_case {
	const char	*host;
	const char	*want;		/* as listed */
} nag_esc_cases[] = {
	{ "plain", "plain:5432" },
	{ "pi|pe", "pi\\x7cpe:5432" },
	{ "new\nline\r", "new\\x0aline\\x0d:5432" },
	{ "tab\tesc\x1b[31m\x7f", "tab\\x09esc\\x1b[31m\\x7f:5432" },
	{ "back\\slash", "back\\\\slash:5432" },
	{ "caf\xc3\xa9", "caf\xc3\xa9:5432" },		/* UTF-8 kept */
	{ "\xff\xc3", "\\xff\\xc3:5432" },		/* not UTF-8 */
	{ "nel\xc2\x85", "nel\\xc2\\x85:5432" },	/* C1 control */
	{ "rlo\xe2\x80\xae", "rlo\\xe2\\x80\\xae:5432" },	/* bidi */
	{ "fe80::1%eth0", "[fe80::1%eth0]:5432" },
	/* Long names stop at 64 input bytes, never inside a character. */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa..." },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\xc3\xa9", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa..." },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:5432" },
};

START_TEST(test_nagios_escape)
{
	const struct nag_esc_case	*c = &nag_esc_cases[_i];
	struct ap_result		 r = rec[1];
	char				*got, *want, *bar;

	r.host = c->host;
	got = render("nagios", &r, 1, NULL);
	ck_assert_int_ge(asprintf(&want, "\n%s refused ECONNREFUSED\n",
	    c->want), 0);
	ck_assert_msg(strncmp(got, "ASYNCPROBE CRITICAL - 1/1 targets down "
	    "(refused 1) | up=0;", 50) == 0, "case %d: %s", _i, got);
	/* The status line, then one line naming it; one '|'. */
	ck_assert_ptr_nonnull(bar = strchr(got, '\n'));
	ck_assert_msg(strcmp(bar, want) == 0, "case %d: %s", _i, got);
	ck_assert_ptr_nonnull(bar = strchr(got, '|'));
	ck_assert_ptr_null(strchr(bar + 1, '|'));
	free(want);
	free(got);
}
END_TEST

/* An invalid line is counted, never listed as a target down. */
START_TEST(test_nagios_escape_target)
{
	struct ap_result	 r = rec[5];
	char			*got;
	int			 code;

	r.target = "a|b\n";
	got = render("nagios", &r, 1, &code);
	ck_assert_str_eq(got, "ASYNCPROBE UNKNOWN - 0/0 targets down, 1 "
	    "invalid line | up=0;;;0;0 down=0;0;0;0;0 invalid=1;;;0 "
	    "rtt_max=U;;;0 elapsed=0.000s\n");
	ck_assert_int_eq(code, 3);
	free(got);
}
END_TEST

/* At most 10 named, one line each, then "and N more"; with -m each
 * address's record is one. */
static const struct list_case {
	unsigned	 down;		/* distinct failing targets */
	unsigned	 repeat;	/* each record given this many times */
	unsigned	 more;		/* "and N more"; 0: no such line */
} list_cases[] = {
	{ 1, 1, 0 },
	{ 9, 1, 0 },
	{ 10, 1, 0 },
	{ 11, 1, 1 },
	{ 25, 1, 15 },
	{ 10, 3, 20 },
};

START_TEST(test_nagios_list)
{
	const struct list_case	*c = &list_cases[_i];
	struct ap_result	*r;
	char			(*names)[16], *got, *p, *q, want[64];
	unsigned		 i, n = c->down * c->repeat, lines = 0;

	r = calloc(n, sizeof(*r));
	names = calloc(c->down, sizeof(*names));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(names);
	for (i = 0; i < c->down; i++)
		snprintf(names[i], sizeof(names[i]), "h%u", i);
	for (i = 0; i < n; i++) {
		r[i] = rec[1];
		r[i].host = names[i / c->repeat];
	}
	got = render("nagios", r, n, NULL);
	p = strchr(got, '\n') + 1;
	for (i = 0; *p != '\0' && strncmp(p, "and ", 4) != 0; i++) {
		snprintf(want, sizeof(want), "h%u:5432 refused ECONNREFUSED\n",
		    i / c->repeat);
		ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "case %d: %s",
		    _i, got);
		q = strchr(p, '\n');
		p = q + 1;
		lines++;
	}
	ck_assert_uint_eq(lines, n < 10 ? n : 10);
	if (c->more > 0) {
		snprintf(want, sizeof(want), "and %u more\n", c->more);
		ck_assert_str_eq(p, want);
	} else
		ck_assert_str_eq(p, "");
	free(names);
	free(got);
	free(r);
}
END_TEST

/* rtt_max is the largest connect; elapsed spans first start to last end. */
START_TEST(test_nagios_rtt_elapsed)
{
	struct ap_result	 r[3];
	char			*got;

	r[0] = rec[0];			/* 123 us, T0 + 5 - 4.567 ms */
	r[1] = rec[4];			/* 4567 us, ends T0 + 7 */
	r[2] = rec[0];
	r[2].rtt_us = 0;
	r[2].elapsed_us = 10000;	/* starts T0 - 3 */
	r[2].timestamp_ms = T0 + 7;
	got = render("nagios", r, 3, NULL);
	ck_assert_str_eq(got, "ASYNCPROBE OK - 0/3 targets down | up=3;;;0;3 "
	    "down=0;0;0;0;3 invalid=0;;;0 rtt_max=0.004567s;;;0 "
	    "elapsed=0.010s\n");
	free(got);
}
END_TEST

/* Write errors and cleanup */

/* /dev/full: the writes only gather; end() sees the failure. */
START_TEST(test_dev_full)
{
	static const char *const formats[] = { "prom", "nagios" };
	struct ap_writer	 w;
	size_t			 i;

	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find(formats[_i]);
	if ((w.fp = fopen("/dev/full", "w")) == NULL) {
		fprintf(stderr, "no /dev/full: skipped\n");
		return;
	}
	ck_assert_int_eq(ap_writer_begin(&w), 0);
	/* No invalid record: the code would be 2 had the line left. */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(ap_writer_write(&w, &rec[i]), 0);
	ck_assert_int_eq(ap_writer_end(&w), -1);
	ck_assert_ptr_null(w.state);		/* freed all the same */
	if (ap_writer_has_exit_code(&w))	/* nagios: UNKNOWN */
		ck_assert_int_eq(ap_writer_exit_code(&w, 0), 3);
	fclose(w.fp);
}
END_TEST

/* When end() never runs, discard frees what was gathered (valgrind,
 * LeakSanitizer) and writes nothing; twice is harmless. */
START_TEST(test_discard)
{
	static const char *const formats[] = { "prom", "nagios" };
	struct ap_writer	 w;
	char			*buf = NULL;
	size_t			 len = 0, i;

	memset(&w, 0, sizeof(w));
	w.ops = ap_output_find(formats[_i]);
	ck_assert_ptr_nonnull(w.fp = open_memstream(&buf, &len));
	ap_writer_discard(&w);			/* nothing gathered yet */
	for (i = 0; i < NELEM(rec); i++)
		ck_assert_int_eq(ap_writer_write(&w, &rec[i]), 0);
	ck_assert_ptr_nonnull(w.state);
	ap_writer_discard(&w);
	ck_assert_ptr_null(w.state);
	ap_writer_discard(&w);
	ck_assert_int_eq(fclose(w.fp), 0);
	ck_assert_uint_eq(len, 0);
	free(buf);
}
END_TEST

static Suite *
output_ops_suite(void)
{
	Suite	*s = suite_create("output_ops");
	TCase	*tc;

	tc = tcase_create("registry");
	tcase_add_test(tc, test_registry);
	suite_add_tcase(s, tc);

	tc = tcase_create("prom");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_prom_golden);
	tcase_add_test(tc, test_prom_empty);
	tcase_add_loop_test(tc, test_prom_escape, 0,
	    (int)NELEM(prom_esc_cases));
	tcase_add_test(tc, test_prom_duplicates);
	tcase_add_test(tc, test_prom_icmp);
	tcase_add_test(tc, test_prom_labels);
	tcase_add_test(tc, test_prom_cancelled);
	tcase_add_test(tc, test_prom_many);
	tcase_add_test(tc, test_prom_promtool_mixed);
	tcase_add_loop_test(tc, test_exposition_checker, 0,
	    (int)NELEM(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("nagios");
	tcase_add_test(tc, test_nagios_golden);
	tcase_add_test(tc, test_nagios_icmp);
	tcase_add_test(tc, test_nagios_unreadable);
	tcase_add_test(tc, test_nagios_exit_hook);
	tcase_add_loop_test(tc, test_nagios_thresholds, 0,
	    (int)NELEM(th_cases));
	tcase_add_loop_test(tc, test_nagios_escape, 0,
	    (int)NELEM(nag_esc_cases));
	tcase_add_test(tc, test_nagios_escape_target);
	tcase_add_loop_test(tc, test_nagios_list, 0, (int)NELEM(list_cases));
	tcase_add_test(tc, test_nagios_rtt_elapsed);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_dev_full, 0, 2);
	tcase_add_loop_test(tc, test_discard, 0, 2);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(output_ops_suite()));
}
