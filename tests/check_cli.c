/* SPDX-License-Identifier: ISC */
/* check_cli.c -- ap_cli_parse() and its value parsers, table-driven: each
 * option's good values give the expected fields, each bad value gives
 * AP_CLI_ERROR with the exact message main.c will print. */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "xmalloc.h"
#include "testutil.h"

#define MAXARGS	24
#define THRHINT	"expected a count like 3 or a percentage like 50%"
#define ESCHINT	"(use \\r \\n \\t \\\\ \\0 \\xHH \\\" \\')"
#define DURHINT	"expected a duration like 10, 1.5s, 250ms or 2m"

/*
 * Run ap_cli_parse() on "asyncprobe" + args.  The strings are copied,
 * because getopt_long() permutes argv and the tables are const.
 */
static enum ap_cli_rc
run(const char *const *args, struct ap_options *o, char *err, size_t errlen)
{
	char		*argv[MAXARGS + 2];
	enum ap_cli_rc	 rc;
	int		 argc = 0, i;

	argv[argc++] = xstrdup("asyncprobe");
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_int_lt(i, MAXARGS);
		argv[argc++] = xstrdup(args[i]);
	}
	argv[argc] = NULL;
	rc = ap_cli_parse(argc, argv, o, err, errlen);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return (rc);
}

static void
cat(char *buf, size_t len, const char *s)
{
	strncat(buf, s, len - strlen(buf) - 1);
}

/* Bytes as C escapes, so NULs and CRs show; "-" for NULL. */
static void
bytes(char *buf, size_t len, const char *p, size_t n)
{
	char	tmp[8];
	size_t	i;

	if (p == NULL) {
		ck_assert_uint_eq(n, 0);
		cat(buf, len, "-");
		return;
	}
	ck_assert_int_eq(p[n], '\0');		/* terminated past the end */
	for (i = 0; i < n; i++) {
		if (p[i] > ' ' && p[i] < 0x7f && p[i] != '\\')
			snprintf(tmp, sizeof(tmp), "%c", p[i]);
		else
			snprintf(tmp, sizeof(tmp), "\\x%02x",
			    (unsigned char)p[i]);
		cat(buf, len, tmp);
	}
}

/* "-" unset, "3" a count, "12.5%" a percentage. */
static void
threshold(char *buf, size_t len, const char *key,
    const struct ap_threshold *th)
{
	char	tmp[64];

	cat(buf, len, key);
	if (!th->set)
		snprintf(tmp, sizeof(tmp), "-");
	else
		snprintf(tmp, sizeof(tmp), "%g%s", th->value,
		    th->percent ? "%" : "");
	cat(buf, len, tmp);
}

/*
 * Every field as " key=value ", so a table names only the fields it
 * expects to differ and a match cannot hit part of another value.
 */
static void
dump(const struct ap_options *o, char *buf, size_t len)
{
	char	tmp[256], addr[AP_IPSTR_LEN];
	size_t	i, k;
	int	j;

	snprintf(buf, len, " t=%d at=%d ad=%d seq=%d fam=%s m=%d ports=",
	    o->timeout_ms, o->attempt_timeout_ms, o->attempt_delay_ms,
	    o->sequential, o->family == AF_INET ? "4" :
	    o->family == AF_INET6 ? "6" : o->family == AF_UNSPEC ? "any" :
	    "?", o->all_addresses);
	if (o->ports.nranges == 0)
		cat(buf, len, "-");
	for (i = 0; i < o->ports.nranges; i++) {
		if (o->ports.ranges[i].lo == o->ports.ranges[i].hi)
			snprintf(tmp, sizeof(tmp), "%s%u", i ? "," : "",
			    o->ports.ranges[i].lo);
		else
			snprintf(tmp, sizeof(tmp), "%s%u-%u", i ? "," : "",
			    o->ports.ranges[i].lo, o->ports.ranges[i].hi);
		cat(buf, len, tmp);
	}
	if (o->have_source)
		ap_addr_ntop(&o->source, addr, sizeof(addr));
	snprintf(tmp, sizeof(tmp), " nports=%zu src=%s r=%d send=",
	    o->ports.count, o->have_source ? addr : "-", o->retries);
	cat(buf, len, tmp);
	bytes(buf, len, o->send_data, o->send_len);
	cat(buf, len, " expect=");
	bytes(buf, len, o->expect, o->expect_len);
	snprintf(tmp, sizeof(tmp), " banner=%d c=%d rate=%u j=%d shard=%u/%u "
	    "maxrt=%d resolvers=", o->banner_max, o->concurrency, o->rate,
	    o->threads, o->shard_k, o->shard_n, o->max_runtime_ms);
	cat(buf, len, tmp);
	if (o->nresolvers == 0)
		cat(buf, len, "-");
	for (j = 0; j < o->nresolvers; j++) {
		if (j > 0)
			cat(buf, len, "|");
		cat(buf, len, o->resolvers[j]);
	}
	cat(buf, len, " hosts=");
	cat(buf, len, o->hosts_file ? o->hosts_file : "-");
	cat(buf, len, " pins=");
	if (o->npins == 0)
		cat(buf, len, "-");
	for (j = 0; j < o->npins; j++) {
		if (j > 0)
			cat(buf, len, "|");
		cat(buf, len, o->pins[j].host);
		cat(buf, len, "=");
		if (o->pins[j].port != 0) {
			snprintf(tmp, sizeof(tmp), "%u:", o->pins[j].port);
			cat(buf, len, tmp);
		}
		for (k = 0; k < o->pins[j].naddrs; k++) {
			if (k > 0)
				cat(buf, len, ",");
			ap_addr_ntop(&o->pins[j].addrs[k], addr, sizeof(addr));
			cat(buf, len, addr);
		}
	}
	snprintf(tmp, sizeof(tmp), " n=%d fmt=%s out=%s a=%d u=%d ord=%d q=%d "
	    "s=%d prog=%s v=%d", o->numeric,
	    o->format != NULL ? o->format->name : "?",
	    o->output ? o->output : "-", o->only_alive, o->only_unreachable,
	    o->ordered, o->quiet, o->stats,
	    o->progress == AP_PROGRESS_AUTO ? "auto" :
	    o->progress == AP_PROGRESS_ALWAYS ? "always" :
	    o->progress == AP_PROGRESS_NEVER ? "never" : "?", o->verbose);
	cat(buf, len, tmp);
	threshold(buf, len, " x=", &o->min_up);
	threshold(buf, len, " warn=", &o->warn_down);
	threshold(buf, len, " crit=", &o->crit_down);
	snprintf(tmp, sizeof(tmp), " nohdr=%d labels=", o->no_header);
	cat(buf, len, tmp);
	if (o->nlabels == 0)
		cat(buf, len, "-");
	for (i = 0; i < o->nlabels; i++) {
		if (i > 0)
			cat(buf, len, "|");
		cat(buf, len, o->labels[i]);
	}
	strcpy(addr, "-");
	if (o->have_serve)
		ap_addr_ntop(&o->serve, addr, sizeof(addr));
	snprintf(tmp, sizeof(tmp), " every=%lld count=%llu changes=%d "
	    "serve=%s:%u any=%d", (long long)o->interval_ms,
	    (unsigned long long)o->count, o->changes, addr,
	    o->have_serve ? ntohs(o->serve.u.sin.sin_port) : 0u,
	    o->serve_any);
	cat(buf, len, tmp);
	cat(buf, len, " files=");
	ck_assert_ptr_nonnull(o->files);
	if (o->files[0] == NULL)
		cat(buf, len, "-");
	for (j = 0; o->files[j] != NULL; j++) {
		if (j > 0)
			cat(buf, len, "|");
		cat(buf, len, o->files[j]);
	}
	cat(buf, len, " ");
}

static const char defaults[] =
    " t=5000 at=0 ad=250 seq=0 fam=any m=0 ports=- nports=0 src=- r=0"
    " send=- expect=- banner=0 c=1024 rate=0 j=0 shard=1/1 maxrt=0"
    " resolvers=- hosts=/etc/hosts pins=- n=0 fmt=text out=- a=0 u=0 ord=0"
    " q=0 s=0 prog=auto v=0 x=- warn=1 crit=1 nohdr=0 labels=-"
    " every=0 count=0 changes=0 serve=-:0 any=0 files=- ";

START_TEST(test_defaults)
{
	static const char *const none[] = { NULL };
	struct ap_options	 o;
	char			 err[256], buf[2048];

	ck_assert_int_eq(run(none, &o, err, sizeof(err)), AP_CLI_OK);
	ck_assert_str_eq(err, "");
	dump(&o, buf, sizeof(buf));
	ck_assert_str_eq(buf, defaults);
	ap_options_free(&o);
}
END_TEST

/* Good values: each " key=value " in want must appear in the dump. */
static const struct good_case {
	const char	*args[MAXARGS];
	const char	*want[6];
} good[] = {
	/* probing */
	{ { "-t", "10", NULL }, { "t=10000" } },
	{ { "--timeout=1.5s", NULL }, { "t=1500" } },
	{ { "-t250ms", NULL }, { "t=250" } },
	{ { "-t", "2m", NULL }, { "t=120000" } },
	{ { "-t", "0.5", NULL }, { "t=500" } },
	{ { "-t", "1ms", NULL }, { "t=1" } },
	{ { "-t", "24h", NULL }, { "t=86400000" } },
	{ { "-t", "1", "-t", "2", NULL }, { "t=2000" } },
	{ { "--attempt-timeout", "300ms", NULL }, { "at=300", "t=5000" } },
	{ { "--attempt-delay", "100ms", NULL }, { "ad=100" } },
	{ { "--attempt-delay", "5ms", NULL }, { "ad=10" } },
	{ { "--attempt-delay", "0", NULL }, { "ad=10" } },
	{ { "--attempt-delay", "3s", NULL }, { "ad=2000" } },
	{ { "--attempt-delay=1000h", NULL }, { "ad=2000" } },
	{ { "--sequential", NULL }, { "seq=1" } },
	{ { "-4", NULL }, { "fam=4" } },
	{ { "-6", NULL }, { "fam=6" } },
	{ { "-4", "-4", NULL }, { "fam=4" } },
	{ { "-p", "22", NULL }, { "ports=22", "nports=1" } },
	{ { "--port", "22,80", NULL }, { "ports=22,80", "nports=2" } },
	{ { "-p8000-8010", NULL }, { "ports=8000-8010", "nports=11" } },
	{ { "-p", "ssh", NULL }, { "ports=22" } },
	{ { "-p", "22", "-p", "80", NULL }, { "ports=80", "nports=1" } },
	{ { "-S", "127.0.0.1", NULL }, { "src=127.0.0.1" } },
	{ { "--source", "::1", NULL }, { "src=::1" } },
	{ { "-S", "[::1]", "-6", NULL }, { "src=::1", "fam=6" } },
	{ { "-S", "127.0.0.2", "-4", NULL }, { "src=127.0.0.2", "fam=4" } },
	{ { "-m", NULL }, { "m=1" } },
	{ { "--all-addresses", "--sequential", NULL }, { "m=1", "seq=1" } },
	{ { "-m4", NULL }, { "m=1", "fam=4" } },
	{ { "-r", "0", NULL }, { "r=0" } },
	{ { "-r3", NULL }, { "r=3" } },
	{ { "--retries=10", NULL }, { "r=10" } },
	{ { "--send", "PING\\r\\n", NULL }, { "send=PING\\x0d\\x0a" } },
	{ { "--send", "a\\0b\\x00\\xfF\\t\\\\\\\"\\'", NULL },
	  { "send=a\\x00b\\x00\\xff\\x09\\x5c\"'" } },
	{ { "--send", "x", "--send", "yz", NULL }, { "send=yz" } },
	{ { "--send=\\0", NULL }, { "send=\\x00" } },
	{ { "--expect", "SSH-", NULL }, { "expect=SSH-", "send=-" } },
	{ { "--expect", "220 \\x41", NULL }, { "expect=220\\x20A" } },
	{ { "--banner", NULL }, { "banner=256" } },
	{ { "--banner=1", NULL }, { "banner=1" } },
	{ { "--banner=65536", NULL }, { "banner=65536" } },
	{ { "--banner=16", "--banner", NULL }, { "banner=256" } },
	/* a value must be attached: a separate one is an input file */
	{ { "--banner", "512", NULL }, { "banner=256", "files=512" } },
	/* load */
	{ { "-c", "1", NULL }, { "c=1" } },
	{ { "--concurrency=1000000", NULL }, { "c=1000000" } },
	{ { "-c", "007", NULL }, { "c=7" } },
	{ { "--rate", "0", NULL }, { "rate=0" } },
	{ { "--rate", "500", NULL }, { "rate=500" } },
	{ { "--rate=10000000", NULL }, { "rate=10000000" } },
	{ { "-j", "1", NULL }, { "j=1" } },
	{ { "--threads", "64", NULL }, { "j=64" } },
	{ { "-j8", NULL }, { "j=8" } },
	{ { "--shard", "1/1", NULL }, { "shard=1/1" } },
	{ { "--shard", "2/4", NULL }, { "shard=2/4" } },
	{ { "--shard=4/4", NULL }, { "shard=4/4" } },
	{ { "--shard", "007/0010", NULL }, { "shard=7/10" } },
	{ { "--shard", "1000000/1000000", NULL }, { "shard=1000000/1000000" } },
	{ { "--max-runtime", "90s", NULL }, { "maxrt=90000" } },
	{ { "--max-runtime", "1.5m", NULL }, { "maxrt=90000" } },
	{ { "--max-runtime", "0", NULL }, { "maxrt=0" } },
	{ { "--max-runtime", "168h", NULL }, { "maxrt=604800000" } },
	/* names */
	{ { "--resolver", "127.0.0.1", NULL }, { "resolvers=127.0.0.1" } },
	{ { "--resolver", "127.0.0.1:5353", "--resolver", "[::1]:53",
	    "--resolver", "::1", "--resolver", "[::1]", NULL },
	  { "resolvers=127.0.0.1:5353|[::1]:53|::1|[::1]" } },
	{ { "--hosts-file", "none", NULL }, { "hosts=-" } },
	{ { "--hosts-file", "/tmp/hosts", NULL }, { "hosts=/tmp/hosts" } },
	{ { "--resolve", "a.test:127.0.0.1", NULL },
	  { "pins=a.test=127.0.0.1" } },
	{ { "--resolve", "a.test:[::1],127.0.0.2", "--resolve",
	    "B_2.test:::1", NULL },
	  { "pins=a.test=::1,127.0.0.2|B_2.test=::1" } },
	{ { "-n", NULL }, { "n=1" } },
	{ { "--numeric", NULL }, { "n=1" } },
	/* output */
	{ { "-f", "csv", NULL }, { "fmt=csv" } },
	{ { "--format=json", NULL }, { "fmt=json" } },
	{ { "-f", "json", "-f", "text", NULL }, { "fmt=text" } },
	{ { "-f", "prom", NULL }, { "fmt=prom" } },
	{ { "--format", "nagios", NULL }, { "fmt=nagios" } },
	{ { "--ordered", NULL }, { "ord=1" } },
	{ { "--ordered", "-f", "prom", NULL }, { "ord=1", "fmt=prom" } },
	{ { "--ordered", "-fnagios", NULL }, { "ord=1", "fmt=nagios" } },
	{ { "--progress", NULL }, { "prog=always" } },
	{ { "--progress=always", NULL }, { "prog=always" } },
	{ { "--progress=never", NULL }, { "prog=never" } },
	{ { "--progress=never", "--progress=auto", NULL }, { "prog=auto" } },
	{ { "-q", "--progress", NULL }, { "q=1", "prog=always" } },
	{ { "-x", "3", NULL }, { "x=3", "warn=1", "crit=1" } },
	{ { "--min-up", "1", NULL }, { "x=1" } },
	{ { "-x50%", NULL }, { "x=50%" } },
	{ { "--min-up=12.5%", NULL }, { "x=12.5%" } },
	{ { "-x", "100%", NULL }, { "x=100%" } },
	{ { "-x", "0.5%", NULL }, { "x=0.5%" } },
	{ { "-f", "prom", "--label", "job=web", "--label", "site=a b=c",
	    NULL }, { "fmt=prom", "labels=job=web|site=a b=c" } },
	{ { "--label", "e=", "-fprom", NULL }, { "fmt=prom", "labels=e=" } },
	{ { "--no-header", NULL }, { "nohdr=1" } },
	{ { "--no-header", "-f", "csv", NULL }, { "fmt=csv", "nohdr=1" } },
	{ { "-S", "[fe80::1%lo]", NULL }, { "src=fe80::1%lo" } },
	{ { "--resolve", "a.test:443:127.0.0.1,[::1]", NULL },
	  { "pins=a.test=443:127.0.0.1,::1" } },
	{ { "--resolve", "a.test:fe80::1%lo", NULL },
	  { "pins=a.test=fe80::1%lo" } },
	{ { "-q", "-o", "-", NULL }, { "q=1", "out=-" } },
	{ { "--warn-down", "2", "--crit-down", "5", "-f", "nagios", NULL },
	  { "warn=2", "crit=5", "x=-" } },
	{ { "--warn-down=10%", "--crit-down=25.5%", "-f", "nagios", NULL },
	  { "warn=10%", "crit=25.5%" } },
	{ { "--crit-down", "3", "-f", "nagios", NULL },
	  { "warn=1", "crit=3", "fmt=nagios" } },
	{ { "-o", "out.txt", NULL }, { "out=out.txt" } },
	{ { "-o", "x", "--output", "-", NULL }, { "out=-" } },
	{ { "-a", NULL }, { "a=1", "u=0" } },
	{ { "--unreachable", NULL }, { "u=1", "a=0" } },
	{ { "-qs", NULL }, { "q=1", "s=1" } },
	{ { "--quiet", "--stats", NULL }, { "q=1", "s=1" } },
	{ { "-v", NULL }, { "v=1" } },
	{ { "-vvv", "--verbose", NULL }, { "v=4" } },
	/* operands, also after options and after "--" */
	{ { "a.txt", "-", "b.txt", NULL }, { "files=a.txt|-|b.txt" } },
	{ { "a.txt", "-t", "1", "b.txt", NULL },
	  { "files=a.txt|b.txt", "t=1000" } },
	{ { "-q", "--", "-t", NULL }, { "files=-t", "t=5000", "q=1" } },
	/* an abbreviation that is unique is accepted, as getopt_long does */
	{ { "--seq", "--conc=3", NULL }, { "seq=1", "c=3" } },
	{ { "--sha", "1/2", "--min=1", "--ord", NULL },
	  { "shard=1/2", "x=1", "ord=1" } },
	/* monitor mode */
	{ { "--interval", "30", NULL }, { "every=30000", "count=0" } },
	{ { "--interval=10ms", "--count", "5", "--changes", NULL },
	  { "every=10", "count=5", "changes=1" } },
	{ { "--interval", "1m", "--serve", "127.0.0.1:9115", NULL },
	  { "every=60000", "serve=127.0.0.1:9115", "any=0" } },
	{ { "--interval", "1s", "--serve", "[::1]:0", "--serve-any", NULL },
	  { "serve=::1:0", "any=1" } },
	{ { "--interval", "1s", "--serve", "0.0.0.0:80", "--label", "a=b",
	    NULL }, { "serve=0.0.0.0:80", "labels=a=b", "fmt=text" } },
	{ { "--interval", "1s", "-j", "1", NULL }, { "j=1" } },
};

START_TEST(test_good)
{
	const struct good_case	*gc = &good[_i];
	struct ap_options	 o;
	char			 err[256], buf[2048], key[256];
	int			 j;

	ck_assert_msg(run(gc->args, &o, err, sizeof(err)) == AP_CLI_OK,
	    "case %d (%s): %s", _i, gc->args[0], err);
	dump(&o, buf, sizeof(buf));
	for (j = 0; j < 6 && gc->want[j] != NULL; j++) {
		snprintf(key, sizeof(key), " %s ", gc->want[j]);
		ck_assert_msg(strstr(buf, key) != NULL,
		    "case %d (%s): want '%s' in '%s'", _i, gc->args[0],
		    gc->want[j], buf);
	}
	ap_options_free(&o);
}
END_TEST

/* Bad values and combinations: AP_CLI_ERROR and exactly this text. */
static const struct bad_case {
	const char	*args[MAXARGS];
	const char	*err;
} bad[] = {
	{ { "-t", "abc", NULL },
	  "invalid value 'abc' for -t/--timeout: " DURHINT },
	{ { "-t", "0", NULL },
	  "invalid value '0' for -t/--timeout: must be between 1ms and 24h" },
	{ { "-t", "0.0001", NULL },
	  "invalid value '0.0001' for -t/--timeout: must be between 1ms and "
	  "24h" },
	{ { "-t", "25h", NULL },
	  "invalid value '25h' for -t/--timeout: must be between 1ms and 24h" },
	{ { "-t", "-1", NULL },
	  "invalid value '-1' for -t/--timeout: " DURHINT },
	{ { "--timeout=", NULL },
	  "invalid value '' for -t/--timeout: " DURHINT },
	{ { "-t", "99999999999999999999999", NULL },
	  "invalid value '99999999999999999999999' for -t/--timeout: must be "
	  "between 1ms and 24h" },
	{ { "--attempt-timeout", "0", NULL },
	  "invalid value '0' for --attempt-timeout: must be between 1ms and "
	  "24h" },
	{ { "--attempt-timeout", "1.5.2", NULL },
	  "invalid value '1.5.2' for --attempt-timeout: " DURHINT },
	{ { "--attempt-delay", "-5ms", NULL },
	  "invalid value '-5ms' for --attempt-delay: " DURHINT },
	{ { "--attempt-delay", "fast", NULL },
	  "invalid value 'fast' for --attempt-delay: " DURHINT },
	{ { "--attempt-delay", "99999999999999999999", NULL },
	  "invalid value '99999999999999999999' for --attempt-delay: "
	  "too large" },
	{ { "-4", "-6", NULL }, "-4 and -6 are mutually exclusive" },
	{ { "-6", "-t", "1", "-4", NULL }, "-4 and -6 are mutually exclusive" },
	{ { "-S", "1.2.3", NULL },
	  "invalid value '1.2.3' for -S/--source: expected a numeric IPv4 or "
	  "IPv6 address" },
	{ { "-S", "[127.0.0.1]", NULL },
	  "invalid value '[127.0.0.1]' for -S/--source: expected a numeric "
	  "IPv4 or IPv6 address" },
	{ { "-S", "localhost", NULL },
	  "invalid value 'localhost' for -S/--source: expected a numeric IPv4 "
	  "or IPv6 address" },
	{ { "-S", "[::1", NULL },
	  "invalid value '[::1' for -S/--source: expected a numeric IPv4 or "
	  "IPv6 address" },
	{ { "-S", "::1", "-4", NULL },
	  "-S/--source ::1 is not an IPv4 address but -4 was given" },
	{ { "-6", "-S", "127.0.0.1", NULL },
	  "-S/--source 127.0.0.1 is not an IPv6 address but -6 was given" },
	{ { "-c", "0", NULL },
	  "invalid value '0' for -c/--concurrency: must be between 1 and "
	  "1000000" },
	{ { "-c", "1000001", NULL },
	  "invalid value '1000001' for -c/--concurrency: must be between 1 "
	  "and 1000000" },
	{ { "-c", "-1", NULL },
	  "invalid value '-1' for -c/--concurrency: expected a number" },
	{ { "--concurrency", "1e3", NULL },
	  "invalid value '1e3' for -c/--concurrency: expected a number" },
	{ { "-c", "18446744073709551616", NULL },
	  "invalid value '18446744073709551616' for -c/--concurrency: must be "
	  "between 1 and 1000000" },
	{ { "-r", "11", NULL },
	  "invalid value '11' for -r/--retries: must be between 0 and 10" },
	{ { "--retries", "-1", NULL },
	  "invalid value '-1' for -r/--retries: expected a number" },
	{ { "--send", "", NULL },
	  "invalid value '' for --send: expected at least one byte" },
	{ { "--send", "a\\q", NULL },
	  "invalid value 'a\\q' for --send: unknown escape '\\q' " ESCHINT },
	{ { "--send", "\\xg0", NULL },
	  "invalid value '\\xg0' for --send: bad escape '\\xg0': \\x needs "
	  "two hex digits" },
	{ { "--send", "ab\\", NULL },
	  "invalid value 'ab\\' for --send: incomplete escape '\\' at the "
	  "end" },
	{ { "--expect", "", NULL },
	  "invalid value '' for --expect: expected at least one byte" },
	{ { "--expect", "\\x4", NULL },
	  "invalid value '\\x4' for --expect: bad escape '\\x4': \\x needs "
	  "two hex digits" },
	{ { "--expect", "\\e[0m", NULL },
	  "invalid value '\\e[0m' for --expect: unknown escape '\\e' "
	  ESCHINT },
	{ { "--banner=0", NULL },
	  "invalid value '0' for --banner: must be between 1 and 65536" },
	{ { "--banner=65537", NULL },
	  "invalid value '65537' for --banner: must be between 1 and 65536" },
	{ { "--banner=", NULL },
	  "invalid value '' for --banner: expected a number" },
	{ { "--banner=1k", NULL },
	  "invalid value '1k' for --banner: expected a number" },
	{ { "--rate", "10000001", NULL },
	  "invalid value '10000001' for --rate: must be between 0 and "
	  "10000000" },
	{ { "--rate", "1.5", NULL },
	  "invalid value '1.5' for --rate: expected a number" },
	{ { "-j", "0", NULL },
	  "invalid value '0' for -j/--threads: must be between 1 and 64" },
	{ { "--threads=65", NULL },
	  "invalid value '65' for -j/--threads: must be between 1 and 64" },
	{ { "--shard", "3/2", NULL },
	  "invalid value '3/2' for --shard: K must be between 1 and 2" },
	{ { "--shard", "0/1", NULL },
	  "invalid value '0/1' for --shard: K must be between 1 and 1" },
	{ { "--shard", "1/0", NULL },
	  "invalid value '1/0' for --shard: N must be between 1 and 1000000" },
	{ { "--shard", "1/1000001", NULL },
	  "invalid value '1/1000001' for --shard: N must be between 1 and "
	  "1000000" },
	{ { "--shard", "99999999999999999999/2", NULL },
	  "invalid value '99999999999999999999/2' for --shard: K must be "
	  "between 1 and 2" },
	{ { "--shard", "1", NULL },
	  "invalid value '1' for --shard: expected K/N, such as 2/4" },
	{ { "--shard", "1/", NULL },
	  "invalid value '1/' for --shard: expected K/N, such as 2/4" },
	{ { "--shard", "/2", NULL },
	  "invalid value '/2' for --shard: expected K/N, such as 2/4" },
	{ { "--shard", "1/2/3", NULL },
	  "invalid value '1/2/3' for --shard: expected K/N, such as 2/4" },
	{ { "--shard", "-1/2", NULL },
	  "invalid value '-1/2' for --shard: expected K/N, such as 2/4" },
	{ { "--shard", " 1/2", NULL },
	  "invalid value ' 1/2' for --shard: expected K/N, such as 2/4" },
	{ { "--max-runtime", "soon", NULL },
	  "invalid value 'soon' for --max-runtime: " DURHINT },
	{ { "--max-runtime", "169h", NULL },
	  "invalid value '169h' for --max-runtime: must be between 0ms and "
	  "168h" },
	{ { "--resolver", "127.0.0.1:0", NULL },
	  "invalid value '127.0.0.1:0' for --resolver: port must be a number "
	  "from 1 to 65535" },
	{ { "--resolver", "[::1]:65536", NULL },
	  "invalid value '[::1]:65536' for --resolver: port must be a number "
	  "from 1 to 65535" },
	{ { "--resolver", "127.0.0.1:", NULL },
	  "invalid value '127.0.0.1:' for --resolver: port must be a number "
	  "from 1 to 65535" },
	{ { "--resolver", "ns.example", NULL },
	  "invalid value 'ns.example' for --resolver: expected IP or IP:PORT, "
	  "IPv6 as [ADDR]:PORT" },
	{ { "--resolver", "[::1", NULL },
	  "invalid value '[::1' for --resolver: expected IP or IP:PORT, "
	  "IPv6 as [ADDR]:PORT" },
	{ { "--resolver", "[::1]53", NULL },
	  "invalid value '[::1]53' for --resolver: expected IP or IP:PORT, "
	  "IPv6 as [ADDR]:PORT" },
	{ { "--resolver", "[127.0.0.1]:53", NULL },
	  "invalid value '[127.0.0.1]:53' for --resolver: expected IP or "
	  "IP:PORT, IPv6 as [ADDR]:PORT" },
	{ { "--resolver", "", NULL },
	  "invalid value '' for --resolver: expected IP or IP:PORT, IPv6 as "
	  "[ADDR]:PORT" },
	{ { "--resolver=127.0.0.1", "--resolver=127.0.0.2",
	    "--resolver=127.0.0.3", "--resolver=127.0.0.4",
	    "--resolver=127.0.0.5", "--resolver=127.0.0.6",
	    "--resolver=127.0.0.7", "--resolver=127.0.0.8",
	    "--resolver=127.0.0.9", NULL },
	  "invalid value '127.0.0.9' for --resolver: at most 8 resolvers" },
	{ { "--hosts-file", "", NULL },
	  "invalid value '' for --hosts-file: expected a file name or none" },
	{ { "--resolve", "a.test", NULL },
	  "invalid value 'a.test' for --resolve: expected "
	  "HOST:ADDR[,ADDR...]" },
	{ { "--resolve", ":127.0.0.1", NULL },
	  "invalid value ':127.0.0.1' for --resolve: expected "
	  "HOST:ADDR[,ADDR...]" },
	{ { "--resolve", "a.test:", NULL },
	  "invalid value 'a.test:' for --resolve: expected "
	  "HOST:ADDR[,ADDR...]" },
	{ { "--resolve", "bad host:127.0.0.1", NULL },
	  "invalid value 'bad host:127.0.0.1' for --resolve: invalid host "
	  "name 'bad host'" },
	{ { "--resolve", "a.test:127.0.0.1,", NULL },
	  "invalid value 'a.test:127.0.0.1,' for --resolve: empty address in "
	  "the list" },
	{ { "--resolve", "a.test:127.0.0.1,nope", NULL },
	  "invalid value 'a.test:127.0.0.1,nope' for --resolve: 'nope' is not "
	  "a numeric IPv4 or IPv6 address" },
	{ { "--resolve", "a.test:443:nope", NULL },
	  "invalid value 'a.test:443:nope' for --resolve: "
	  "'nope' is not a numeric IPv4 or IPv6 address" },
	{ { "--resolve", "a.test:99999:127.0.0.1", NULL },
	  "invalid value 'a.test:99999:127.0.0.1' for --resolve: "
	  "port 99999 out of range 1-65535" },
	{ { "-S", "fe80::1%nosuchif0", NULL },
	  "invalid value 'fe80::1%nosuchif0' for -S/--source: expected a "
	  "numeric IPv4 or IPv6 address" },
	{ { "-f", "xml", NULL },
	  "invalid value 'xml' for -f/--format: expected one of text, csv, "
	  "json, prom, nagios" },
	{ { "--format", "JSON", NULL },
	  "invalid value 'JSON' for -f/--format: expected one of text, csv, "
	  "json, prom, nagios" },
	{ { "-f", "prometheus", NULL },
	  "invalid value 'prometheus' for -f/--format: expected one of text, "
	  "csv, json, prom, nagios" },
	{ { "-x", "0", NULL },
	  "invalid value '0' for -x/--min-up: must be more than 0" },
	{ { "--min-up", "0%", NULL },
	  "invalid value '0%' for -x/--min-up: must be more than 0" },
	{ { "-q", "-o", "x.prom", NULL },
	  "-q/--quiet and -o/--output x.prom are mutually exclusive: -q "
	  "writes no records" },
	{ { "--label", "a=1", NULL },
	  "--label applies to -f prom and --serve, not -f text" },
	{ { "-f", "json", "--label", "a=1", NULL },
	  "--label applies to -f prom and --serve, not -f json" },
	{ { "-x", "5", "-f", "nagios", NULL },
	  "-x/--min-up: -f nagios has exit codes of its own (--warn-down, "
	  "--crit-down)" },
	{ { "--warn-down", "2", NULL },
	  "--warn-down and --crit-down apply to -f nagios, not -f text" },
	{ { "-f", "prom", "--crit-down", "10%", NULL },
	  "--warn-down and --crit-down apply to -f nagios, not -f prom" },
	{ { "--no-header", "-f", "json", NULL },
	  "--no-header: -f json has no header" },
	{ { "--no-header", "-f", "nagios", NULL },
	  "--no-header: -f nagios has no header" },
	{ { "--label", "job", NULL },
	  "invalid value 'job' for --label: expected KEY=VALUE" },
	{ { "--label", "=x", NULL },
	  "invalid value '=x' for --label: expected KEY=VALUE" },
	{ { "--label", "1job=x", NULL },
	  "invalid value '1job=x' for --label: a label name is letters, "
	  "digits and '_', not first a digit" },
	{ { "--label", "jo-b=x", NULL },
	  "invalid value 'jo-b=x' for --label: a label name is letters, "
	  "digits and '_', not first a digit" },
	{ { "--label", "__name__=x", NULL },
	  "invalid value '__name__=x' for --label: names starting with __ "
	  "are reserved" },
	{ { "--label", "target=x", NULL },
	  "invalid value 'target=x' for --label: asyncprobe sets 'target' "
	  "itself" },
	{ { "--label", "status=x", NULL },
	  "invalid value 'status=x' for --label: asyncprobe sets 'status' "
	  "itself" },
	{ { "--label", "a=1", "--label", "a=2", NULL },
	  "invalid value 'a=2' for --label: label 'a' given twice" },
	{ { "--label", "a=\x1b[2J", NULL },
	  "invalid value 'a=\x1b[2J' for --label: the value must be "
	  "printable UTF-8" },
	{ { "-o", "", NULL },
	  "invalid value '' for -o/--output: expected a file name" },
	{ { "-a", "-u", NULL },
	  "-a/--alive and -u/--unreachable are mutually exclusive" },
	{ { "--progress=yes", NULL },
	  "invalid value 'yes' for --progress: expected auto, always or "
	  "never" },
	{ { "--progress=", NULL },
	  "invalid value '' for --progress: expected auto, always or never" },
	{ { "-x", "abc", NULL },
	  "invalid value 'abc' for -x/--min-up: " THRHINT },
	{ { "-x", "1.5", NULL },
	  "invalid value '1.5' for -x/--min-up: a count must be a whole "
	  "number (add % for a percentage)" },
	{ { "-x", "101%", NULL },
	  "invalid value '101%' for -x/--min-up: a percentage must be between "
	  "0% and 100%" },
	{ { "--min-up", "-5", NULL },
	  "invalid value '-5' for -x/--min-up: " THRHINT },
	{ { "--warn-down", "%", NULL },
	  "invalid value '%' for --warn-down: " THRHINT },
	{ { "--warn-down", "", NULL },
	  "invalid value '' for --warn-down: " THRHINT },
	{ { "--crit-down", "4294967296", NULL },
	  "invalid value '4294967296' for --crit-down: a count must be between "
	  "0 and 4294967295" },
	{ { "--crit-down", "50 %", NULL },
	  "invalid value '50 %' for --crit-down: " THRHINT },
	/* getopt's own complaints, rephrased */
	{ { "--foo", NULL }, "unknown option '--foo'" },
	{ { "--foo=bar", "-t", "1", NULL }, "unknown option '--foo'" },
	{ { "a.txt", "b.txt", "--foo", NULL }, "unknown option '--foo'" },
	{ { "a.txt", "--quiet=1", NULL }, "option '--quiet' takes no value" },
	{ { "-z", NULL }, "unknown option '-z'" },
	{ { "-qz", NULL }, "unknown option '-z'" },
	{ { "--quiet", "-zq", NULL }, "unknown option '-z'" },
	{ { "-:", NULL }, "unknown option '-:'" },
	{ { "-t", NULL }, "option '-t' needs a value" },
	{ { "-qt", NULL }, "option '-t' needs a value" },
	{ { "a.txt", "--timeout", NULL }, "option '--timeout' needs a value" },
	{ { "--resolver", NULL }, "option '--resolver' needs a value" },
	{ { "--quiet=yes", NULL }, "option '--quiet' takes no value" },
	{ { "--sequential=1", NULL }, "option '--sequential' takes no value" },
	{ { "--res", "127.0.0.1", NULL },
	  "ambiguous option '--res' (--resolver, --resolve)" },
	{ { "--attempt=1", NULL },
	  "ambiguous option '--attempt' (--attempt-timeout, --attempt-delay)" },
	{ { "--ordered=1", NULL }, "option '--ordered' takes no value" },
	{ { "--all-addresses=yes", NULL },
	  "option '--all-addresses' takes no value" },
	{ { "--shard", NULL }, "option '--shard' needs a value" },
	{ { "-x", NULL }, "option '-x' needs a value" },
	{ { "--s", "x", NULL },
	  "ambiguous option '--s' (--sequential, --source, --send, --shard, "
	  "--stats, --serve, --serve-any)" },
	{ { "--count", "2", NULL },
	  "--count applies to monitor mode: give --interval too" },
	{ { "--changes", NULL },
	  "--changes applies to monitor mode: give --interval too" },
	{ { "--serve", "127.0.0.1:1", NULL },
	  "--serve applies to monitor mode: give --interval too" },
	{ { "--interval", "1s", "--serve-any", NULL },
	  "--serve-any applies to --serve" },
	{ { "--interval", "1s", "--changes", "-f", "nagios", NULL },
	  "--changes: -f nagios sums up every target each round" },
	{ { "--interval", "1s", "--changes", "-o", "x.json", NULL },
	  "--changes and -o/--output x.json: the file, replaced every round, "
	  "would hold only the last round's changes (append the standard "
	  "output instead)" },
	{ { "--interval", "1s", "-j", "2", NULL },
	  "-j/--threads 2: monitor mode runs on one event loop" },
	{ { "--interval", "9ms", NULL },
	  "invalid value '9ms' for --interval: must be between 10ms and "
	  "168h" },
	{ { "--interval", "1s", "--count", "0", NULL },
	  "invalid value '0' for --count: must be between 1 and "
	  "4294967295" },
	{ { "--interval", "1s", "--serve", "9115", NULL },
	  "invalid value '9115' for --serve: expected ADDR:PORT, such as "
	  "127.0.0.1:9115 or [::1]:9115" },
	{ { "--interval", "1s", "--serve", "::1:9115", NULL },
	  "invalid value '::1:9115' for --serve: an IPv6 address goes in "
	  "brackets: [::1]:9115" },
	{ { "--interval", "1s", "--serve", "host:9115", NULL },
	  "invalid value 'host:9115' for --serve: 'host' is not a numeric "
	  "IPv4 or IPv6 address" },
	{ { "--interval", "1s", "--serve", ":9115", NULL },
	  "invalid value ':9115' for --serve: expected a numeric address "
	  "before the port (0.0.0.0 for every one)" },
	{ { "--interval", "1s", "--serve", "127.0.0.1:65536", NULL },
	  "invalid value '127.0.0.1:65536' for --serve: must be between 0 "
	  "and 65535" },
};

START_TEST(test_bad)
{
	const struct bad_case	*bc = &bad[_i];
	struct ap_options	 o;
	char			 err[256];

	ck_assert_msg(run(bc->args, &o, err, sizeof(err)) == AP_CLI_ERROR,
	    "case %d (%s): not an error", _i, bc->args[0]);
	ck_assert_str_eq(err, bc->err);
	ap_options_free(&o);
}
END_TEST

/* -p errors come from ap_portlist_parse(); check only our half. */
static const char *const bad_ports[][3] = {
	{ "-p", "0", NULL }, { "-p", "65536", NULL },
	{ "-p", "22,", NULL }, { "--port", "nosuchservice", NULL },
	{ "-p", "90-80", NULL }, { "-p", "", NULL },
};

START_TEST(test_bad_port)
{
	const char *const	*args = bad_ports[_i];
	struct ap_options	 o;
	char			 err[256], want[128];

	snprintf(want, sizeof(want), "invalid value '%s' for -p/--port: ",
	    args[1]);
	ck_assert_int_eq(run(args, &o, err, sizeof(err)), AP_CLI_ERROR);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0 &&
	    strlen(err) > strlen(want) + 3, "got '%s'", err);
	ap_options_free(&o);
}
END_TEST

static const struct rc_case {
	const char	*args[MAXARGS];
	enum ap_cli_rc	 rc;
} rcs[] = {
	{ { "-h", NULL }, AP_CLI_HELP },
	{ { "--help", NULL }, AP_CLI_HELP },
	{ { "-V", NULL }, AP_CLI_VERSION },
	{ { "--version", NULL }, AP_CLI_VERSION },
	{ { "-t", "1", "--help", "-t", "abc", NULL }, AP_CLI_HELP },
	{ { "-t", "abc", "--help", NULL }, AP_CLI_ERROR },
	{ { "--version", "--help", NULL }, AP_CLI_VERSION },
	{ { "a.txt", "-V", NULL }, AP_CLI_VERSION },
};

START_TEST(test_rc)
{
	struct ap_options	 o;
	char			 err[256];

	ck_assert_int_eq(run(rcs[_i].args, &o, err, sizeof(err)), rcs[_i].rc);
	ap_options_free(&o);
}
END_TEST

/* Check runs tests in-process under CK_FORK=no: getopt must reset. */
START_TEST(test_twice)
{
	static const char *const a1[] = { "-qt", "3", "x.txt", NULL };
	static const char *const a2[] = { "-t", "abc", NULL };
	static const char *const a3[] = { "-v", "y.txt", NULL };
	struct ap_options	 o;
	char			 err[256], buf[2048];

	ck_assert_int_eq(run(a1, &o, err, sizeof(err)), AP_CLI_OK);
	dump(&o, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, " t=3000 "));
	ck_assert_ptr_nonnull(strstr(buf, " files=x.txt "));
	ap_options_free(&o);
	/* An error mid-argv must not leave getopt half-way through. */
	ck_assert_int_eq(run(a2, &o, err, sizeof(err)), AP_CLI_ERROR);
	ap_options_free(&o);
	ck_assert_int_eq(run(a3, &o, err, sizeof(err)), AP_CLI_OK);
	dump(&o, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, " t=5000 "));
	ck_assert_ptr_nonnull(strstr(buf, " q=0 "));
	ck_assert_ptr_nonnull(strstr(buf, " v=1 "));
	ck_assert_ptr_nonnull(strstr(buf, " files=y.txt "));
	ap_options_free(&o);
	/* Freeing twice, or NULL, is harmless. */
	ap_options_free(&o);
	ap_options_free(NULL);
}
END_TEST

/* An error part-way leaves o owning what it got so far: no leak. */
START_TEST(test_error_frees)
{
	static const char *const a[] = { "-p", "22", "-S", "::1",
	    "--resolver", "127.0.0.1", "--resolve", "a.test:127.0.0.1",
	    "-o", "out", "--send", "x", "--expect", "y", "--send", "z\\q",
	    "--resolve", "b.test:x", NULL };
	struct ap_options	 o;
	char			 err[256];

	ck_assert_int_eq(run(a, &o, err, sizeof(err)), AP_CLI_ERROR);
	ap_options_free(&o);
}
END_TEST

static const struct dur_case {
	const char	*s;
	int64_t		 min, max;
	int		 rc;
	int64_t		 ms;
	const char	*err;
} durs[] = {
	{ "250ms", 1, 86400000, 0, 250, NULL },
	{ "1.5s", 1, 86400000, 0, 1500, NULL },
	{ "2m", 1, 86400000, 0, 120000, NULL },
	{ "10", 1, 86400000, 0, 10000, NULL },
	{ "0.5", 1, 86400000, 0, 500, NULL },
	{ "1h", 1, 86400000, 0, 3600000, NULL },
	{ "0.25m", 1, 86400000, 0, 15000, NULL },
	{ "1.5ms", 1, 86400000, 0, 2, NULL },		/* nearest ms */
	{ "0.0015", 1, 86400000, 0, 2, NULL },
	{ "0.123456789123s", 1, 86400000, 0, 123, NULL },
	{ "007s", 1, 86400000, 0, 7000, NULL },
	{ "0", 0, 100, 0, 0, NULL },
	{ "24h", 1, 86400000, 0, 86400000, NULL },
	{ "1e3", 1, 86400000, -1, 0, DURHINT },
	{ "", 1, 86400000, -1, 0, DURHINT },
	{ "-1", 1, 86400000, -1, 0, DURHINT },
	{ "+1", 1, 86400000, -1, 0, DURHINT },
	{ "5x", 1, 86400000, -1, 0, DURHINT },
	{ "1.5.2", 1, 86400000, -1, 0, DURHINT },
	{ ".5", 1, 86400000, -1, 0, DURHINT },
	{ "5.", 1, 86400000, -1, 0, DURHINT },
	{ "s", 1, 86400000, -1, 0, DURHINT },
	{ " 5", 1, 86400000, -1, 0, DURHINT },
	{ "5 s", 1, 86400000, -1, 0, DURHINT },
	{ "5S", 1, 86400000, -1, 0, DURHINT },
	{ "5sec", 1, 86400000, -1, 0, DURHINT },
	{ "5ms5", 1, 86400000, -1, 0, DURHINT },
	{ "0x10", 1, 86400000, -1, 0, DURHINT },
	{ "99999999999999999999x", 1, 86400000, -1, 0, DURHINT },
	{ "0", 1, 86400000, -1, 0, "must be between 1ms and 24h" },
	{ "86400001ms", 1, 86400000, -1, 0, "must be between 1ms and 24h" },
	{ "99999999999999999999", 1, 86400000, -1, 0,
	  "must be between 1ms and 24h" },
	{ "9999999999999999h", 1, 86400000, -1, 0,
	  "must be between 1ms and 24h" },
	{ "5s", 10, 2000, -1, 0, "must be between 10ms and 2s" },
	{ "1s", 1500, 90000, -1, 0, "must be between 1500ms and 90s" },
	{ "99999999999999999999", 0, INT64_MAX, -1, 0, "too large" },
	{ "1", 2000, INT64_MAX, -1, 0, "must be at least 2s" },
};

START_TEST(test_duration)
{
	const struct dur_case	*dc = &durs[_i];
	int64_t			 ms = -42;
	char			 err[128] = "";
	int			 rc;

	rc = ap_parse_duration_ms(dc->s, dc->min, dc->max, &ms, err,
	    sizeof(err));
	ck_assert_msg(rc == dc->rc, "'%s': rc %d, err '%s'", dc->s, rc, err);
	if (rc == 0)
		ck_assert_int_eq(ms, dc->ms);
	else {
		ck_assert_int_eq(ms, -42);	/* untouched on error */
		ck_assert_str_eq(err, dc->err);
	}
}
END_TEST

static const struct uint_case {
	const char	*s;
	uint64_t	 min, max;
	int		 rc;
	uint64_t	 v;
	const char	*err;
} uints[] = {
	{ "1", 1, 10, 0, 1, NULL },
	{ "10", 1, 10, 0, 10, NULL },
	{ "0", 0, 10, 0, 0, NULL },
	{ "0010", 0, 10, 0, 10, NULL },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, NULL },
	{ "18446744073709551616", 0, UINT64_MAX, -1, 0,
	  "must be between 0 and 18446744073709551615" },
	{ "99999999999999999999999", 1, 10, -1, 0, "must be between 1 and 10" },
	{ "0", 1, 10, -1, 0, "must be between 1 and 10" },
	{ "11", 1, 10, -1, 0, "must be between 1 and 10" },
	{ "", 1, 10, -1, 0, "expected a number" },
	{ "-1", 0, 10, -1, 0, "expected a number" },
	{ "+1", 0, 10, -1, 0, "expected a number" },
	{ " 1", 0, 10, -1, 0, "expected a number" },
	{ "1 ", 0, 10, -1, 0, "expected a number" },
	{ "1x", 0, 10, -1, 0, "expected a number" },
	{ "1.0", 0, 10, -1, 0, "expected a number" },
	{ "1e1", 0, 100, -1, 0, "expected a number" },
	{ "0x1", 0, 100, -1, 0, "expected a number" },
};

START_TEST(test_uint)
{
	const struct uint_case	*uc = &uints[_i];
	uint64_t		 v = 42;
	char			 err[128] = "";
	int			 rc;

	rc = ap_parse_uint(uc->s, uc->min, uc->max, &v, err, sizeof(err));
	ck_assert_msg(rc == uc->rc, "'%s': rc %d, err '%s'", uc->s, rc, err);
	if (rc == 0)
		ck_assert_uint_eq(v, uc->v);
	else {
		ck_assert_uint_eq(v, 42);
		ck_assert_str_eq(err, uc->err);
	}
}
END_TEST

static const struct thr_case {
	const char	*s;
	int		 rc;
	bool		 percent;
	double		 value;
	const char	*err;
} thrs[] = {
	{ "0", 0, false, 0, NULL },
	{ "1", 0, false, 1, NULL },
	{ "007", 0, false, 7, NULL },
	{ "4294967295", 0, false, 4294967295.0, NULL },
	{ "0%", 0, true, 0, NULL },
	{ "50%", 0, true, 50, NULL },
	{ "12.5%", 0, true, 12.5, NULL },
	{ "99.99%", 0, true, 99.99, NULL },
	{ "100%", 0, true, 100, NULL },
	{ "100.000%", 0, true, 100, NULL },
	{ "0100%", 0, true, 100, NULL },
	{ "0.5%", 0, true, 0.5, NULL },
	{ "4294967296", -1, false, 0, "a count must be between 0 and "
	  "4294967295" },
	{ "99999999999999999999999", -1, false, 0, "a count must be between "
	  "0 and 4294967295" },
	{ "1.5", -1, false, 0, "a count must be a whole number (add % for a "
	  "percentage)" },
	{ "1.0", -1, false, 0, "a count must be a whole number (add % for a "
	  "percentage)" },
	{ "100.001%", -1, false, 0, "a percentage must be between 0% and "
	  "100%" },
	{ "101%", -1, false, 0, "a percentage must be between 0% and 100%" },
	{ "1000%", -1, false, 0, "a percentage must be between 0% and 100%" },
	{ "99999999999999999999%", -1, false, 0, "a percentage must be "
	  "between 0% and 100%" },
	{ "", -1, false, 0, THRHINT },
	{ "%", -1, false, 0, THRHINT },
	{ "%50", -1, false, 0, THRHINT },
	{ "50%%", -1, false, 0, THRHINT },
	{ "-1", -1, false, 0, THRHINT },
	{ "+1", -1, false, 0, THRHINT },
	{ ".5%", -1, false, 0, THRHINT },
	{ "5.%", -1, false, 0, THRHINT },
	{ "5.", -1, false, 0, THRHINT },
	{ "1e2", -1, false, 0, THRHINT },
	{ "1e2%", -1, false, 0, THRHINT },
	{ "inf%", -1, false, 0, THRHINT },
	{ "0x10", -1, false, 0, THRHINT },
	{ "5 %", -1, false, 0, THRHINT },
	{ " 5", -1, false, 0, THRHINT },
	{ "1,5%", -1, false, 0, THRHINT },
};

START_TEST(test_threshold)
{
	const struct thr_case	*tc = &thrs[_i];
	struct ap_threshold	 th = { false, true, -42 };
	char			 err[128] = "";
	int			 rc;

	rc = ap_parse_threshold(tc->s, &th, err, sizeof(err));
	ck_assert_msg(rc == tc->rc, "'%s': rc %d, err '%s'", tc->s, rc, err);
	if (rc == 0) {
		ck_assert(th.set);
		ck_assert_int_eq(th.percent, tc->percent);
		ck_assert_double_eq_tol(th.value, tc->value, 1e-9);
	} else {
		/* untouched on error */
		ck_assert(!th.set && th.percent);
		ck_assert_double_eq(th.value, -42);
		ck_assert_str_eq(err, tc->err);
	}
}
END_TEST

static const struct esc_case {
	const char	*in;
	int		 rc;
	const char	*out;		/* may hold NULs: see len */
	size_t		 len;
	const char	*err;
} escs[] = {
	{ "", 0, "", 0, NULL },
	{ "plain text", 0, "plain text", 10, NULL },
	{ "GET / HTTP/1.0\\r\\n\\r\\n", 0, "GET / HTTP/1.0\r\n\r\n", 18,
	  NULL },
	{ "\\t\\\\\\\"\\'", 0, "\t\\\"'", 4, NULL },
	{ "a\\0b", 0, "a\0b", 3, NULL },
	{ "\\012", 0, "\0" "12", 3, NULL },		/* \0 is not octal */
	{ "\\x00\\x41\\x7a\\xfF\\xA0", 0, "\0Az\xff\xa0", 5, NULL },
	{ "\\x414", 0, "A4", 2, NULL },		/* two digits, no more */
	{ "\\\\x41", 0, "\\x41", 4, NULL },		/* escaped backslash */
	{ "caf\xc3\xa9", 0, "caf\xc3\xa9", 5, NULL },	/* bytes pass */
	{ "\\q", -1, NULL, 0, "unknown escape '\\q' " ESCHINT },
	{ "ok\\N", -1, NULL, 0, "unknown escape '\\N' " ESCHINT },
	{ "\\a", -1, NULL, 0, "unknown escape '\\a' " ESCHINT },
	{ "\\1", -1, NULL, 0, "unknown escape '\\1' " ESCHINT },
	{ "\\ ", -1, NULL, 0, "unknown escape: '\\' then byte 0x20" },
	{ "\\\xc3\xa9", -1, NULL, 0,
	  "unknown escape: '\\' then byte 0xc3" },
	{ "\\x", -1, NULL, 0, "bad escape '\\x': \\x needs two hex digits" },
	{ "\\x4", -1, NULL, 0, "bad escape '\\x4': \\x needs two hex digits" },
	{ "\\x4g", -1, NULL, 0, "bad escape '\\x4g': \\x needs two hex "
	  "digits" },
	{ "\\xg4", -1, NULL, 0, "bad escape '\\xg4': \\x needs two hex "
	  "digits" },
	{ "ab\\xZZcd", -1, NULL, 0, "bad escape '\\xZZ': \\x needs two hex "
	  "digits" },
	{ "\\", -1, NULL, 0, "incomplete escape '\\' at the end" },
	{ "abc\\", -1, NULL, 0, "incomplete escape '\\' at the end" },
	{ "\\\\\\", -1, NULL, 0, "incomplete escape '\\' at the end" },
};

START_TEST(test_unescape)
{
	const struct esc_case	*ec = &escs[_i];
	char			*out = NULL, err[128] = "";
	size_t			 len = 42;
	int			 rc;

	rc = ap_unescape(ec->in, &out, &len, err, sizeof(err));
	ck_assert_msg(rc == ec->rc, "'%s': rc %d, err '%s'", ec->in, rc, err);
	if (rc == 0) {
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(len, ec->len);
		ck_assert_msg(memcmp(out, ec->out, len) == 0, "'%s'", ec->in);
		ck_assert_int_eq(out[len], '\0');
		free(out);
	} else {
		ck_assert_ptr_null(out);
		ck_assert_uint_eq(len, 42);
		ck_assert_str_eq(err, ec->err);
	}
}
END_TEST

/* A NULL or empty errbuf must not be written to. */
START_TEST(test_no_errbuf)
{
	struct ap_threshold	th;
	int64_t			ms;
	uint64_t		v;
	size_t			n;
	char			one[1] = { 'x' }, *out;

	ck_assert_int_eq(ap_parse_duration_ms("x", 1, 2, &ms, NULL, 0), -1);
	ck_assert_int_eq(ap_parse_uint("x", 1, 2, &v, NULL, 0), -1);
	ck_assert_int_eq(ap_parse_uint("x", 1, 2, &v, one, 0), -1);
	ck_assert_int_eq(one[0], 'x');
	ck_assert_int_eq(ap_parse_uint("", 1, 2, &v, one, sizeof(one)), -1);
	ck_assert_int_eq(one[0], '\0');		/* truncated, terminated */
	one[0] = 'x';
	ck_assert_int_eq(ap_parse_threshold("x", &th, NULL, 0), -1);
	ck_assert_int_eq(ap_parse_threshold("x", &th, one, 0), -1);
	ck_assert_int_eq(ap_unescape("\\q", &out, &n, NULL, 0), -1);
	ck_assert_int_eq(ap_unescape("\\q", &out, &n, one, 0), -1);
	ck_assert_int_eq(one[0], 'x');
	ck_assert_int_eq(ap_unescape("\\x", &out, &n, one, sizeof(one)), -1);
	ck_assert_int_eq(one[0], '\0');
}
END_TEST

static char *
capture(void (*fn)(FILE *))
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	fn(fp);
	ck_assert_int_eq(fclose(fp), 0);
	return (buf);
}

START_TEST(test_usage)
{
	static const char *const order[] = {
		"usage: asyncprobe ", "Probing:", "--timeout",
		"--attempt-timeout", "--attempt-delay", "--sequential",
		"\n  -4 ", "\n  -6 ", "-m, --all-addresses", "--port",
		"--source", "-r, --retries", "--send", "--expect", "--banner",
		"Load:", "--concurrency", "--rate", "-j, --threads", "--shard",
		"--max-runtime", "Names:", "--resolver", "--hosts-file",
		"--resolve ", "--numeric", "Output:", "--format",
		"text, csv, json, prom, nagios", "--output", "--alive",
		"--unreachable", "--ordered", "--quiet", "--label",
		"--no-header", "--stats",
		"--progress", "--verbose", "-x, --min-up", "--warn-down",
		"--crit-down", "--help", "--version", NULL
	};
	char		*text, *p, *nl, *line;
	const char	*at;
	int		 i;

	text = capture(ap_cli_usage);
	/* Each item appears, after the previous one. */
	at = text;
	for (i = 0; order[i] != NULL; i++) {
		p = strstr(at, order[i]);
		ck_assert_msg(p != NULL, "'%s' missing or out of order",
		    order[i]);
		at = p + strlen(order[i]);
	}
	/* A terminal's worth: no line over 79 columns. */
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl - line <= 79, "long line: %.*s",
		    (int)(nl - line), line);
	}
	free(text);
}
END_TEST

START_TEST(test_version)
{
	char	*text;

	text = capture(ap_cli_version);
	ck_assert_str_eq(PACKAGE_VERSION, "0.1.0");
	ck_assert_msg(strncmp(text, "asyncprobe 0.1.0\nlibevent 2.", 28) == 0,
	    "got '%s'", text);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	free(text);
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("cli");

	tc = tcase_create("options");
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_good, 0, NELEM(good));
	tcase_add_loop_test(tc, test_bad, 0, NELEM(bad));
	tcase_add_loop_test(tc, test_bad_port, 0, NELEM(bad_ports));
	tcase_add_loop_test(tc, test_rc, 0, NELEM(rcs));
	tcase_add_test(tc, test_twice);
	tcase_add_test(tc, test_error_frees);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_duration, 0, NELEM(durs));
	tcase_add_loop_test(tc, test_uint, 0, NELEM(uints));
	tcase_add_loop_test(tc, test_threshold, 0, NELEM(thrs));
	tcase_add_loop_test(tc, test_unescape, 0, NELEM(escs));
	tcase_add_test(tc, test_no_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (ap_check_run(cli_suite()));
}
