/* SPDX-License-Identifier: ISC */
/* cli.h -- the command line (SPEC 1): getopt_long table, usage text, and
 * the value parsers (durations, counts, thresholds, C escapes) it shares
 * with tests.  Never exits and never prints: main.c decides what an
 * answer means. */
#ifndef AP_CLI_H
#define AP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addrlist.h"
#include "hosts.h"
#include "line.h"

#define AP_DEFAULT_TIMEOUT_MS		5000
#define AP_DEFAULT_ATTEMPT_DELAY_MS	250
#define AP_ATTEMPT_DELAY_MIN_MS		10
#define AP_ATTEMPT_DELAY_MAX_MS		2000
#define AP_DEFAULT_CONCURRENCY		1024
#define AP_MAX_RESOLVERS		8

#define AP_DEFAULT_BANNER_MAX		256	/* bare --banner */
#define AP_BANNER_MAX			65536
#define AP_RETRIES_MAX			10
#define AP_RATE_MAX			10000000
#define AP_THREADS_MAX			64
#define AP_SHARD_MAX			1000000
#define AP_LABELS_MAX			32

struct ap_writer_ops;

enum ap_progress { AP_PROGRESS_AUTO, AP_PROGRESS_ALWAYS, AP_PROGRESS_NEVER };

struct ap_threshold {		/* -x, --warn-down, --crit-down: N or N% */
	bool	 set;
	bool	 percent;
	double	 value;		/* count, or percent 0..100 */
};

struct ap_options {
	/* probing */
	int		 timeout_ms;		/* -t: per target, all in */
	int		 attempt_timeout_ms;	/* 0: = timeout_ms */
	int		 attempt_delay_ms;	/* clamped to 10..2000 */
	bool		 sequential;
	int		 family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	bool		 all_addresses;		/* -m: a record per address */
	struct ap_portlist ports;		/* -p; count 0 when unset */
	bool		 have_source;		/* -S given: */
	struct ap_addr	 source;		/* its address, port 0 */
	int		 retries;		/* -r: extra rounds, 0..10 */
	char		*send_data;		/* --send, decoded; NULL none */
	size_t		 send_len;
	char		*expect;		/* --expect, decoded, or NULL */
	size_t		 expect_len;		/* > 0 when expect is set */
	int		 banner_max;		/* --banner: 0 off or 1..65536;
						 * bare --banner: 256 */
	/* load */
	int		 concurrency;		/* -c */
	unsigned	 rate;			/* --rate per second, 0 no cap;
						 * at most 10000000 */
	int		 threads;		/* -j, 1..64; 0 not given: as
						 * many as online CPUs */
	unsigned	 shard_k, shard_n;	/* --shard K/N, 1 <= K <= N <=
						 * 1000000; default 1/1 */
	int		 max_runtime_ms;	/* --max-runtime; 0 none */
	/* names */
	char		*resolvers[AP_MAX_RESOLVERS];	/* "IP" or "IP:PORT" */
	int		 nresolvers;
	char		*hosts_file;		/* NULL: none; default /etc/hosts */
	struct ap_pin	*pins;			/* --resolve, parsed */
	int		 npins;
	bool		 numeric;		/* -n */
	/* output */
	const struct ap_writer_ops *format;	/* -f, from output.c's table */
	bool		 no_header;		/* --no-header */
	char		**labels;		/* --label KEY=VALUE, checked */
	size_t		 nlabels;
	char		*output;		/* -o FILE, or NULL: stdout */
	bool		 only_alive;		/* -a */
	bool		 only_unreachable;	/* -u */
	bool		 ordered;		/* --ordered: input order */
	bool		 quiet;			/* -q */
	bool		 stats;			/* -s */
	enum ap_progress progress;		/* --progress[=WHEN]; bare is
						 * ALWAYS, default AUTO */
	int		 verbose;		/* -v count */
	struct ap_threshold min_up;	/* -x; unset: all must connect */
	struct ap_threshold warn_down;	/* --warn-down; default count 1 */
	struct ap_threshold crit_down;	/* --crit-down; default count 1 */
	/* monitor mode (SPEC 1): rounds when interval_ms > 0 */
	int64_t		 interval_ms;		/* --interval; 0: one pass */
	uint64_t	 count;			/* --count; 0: forever */
	bool		 changes;		/* --changes */
	bool		 have_serve;		/* --serve given: */
	struct ap_addr	 serve;			/* its address and port (0:
						 * any free one) */
	bool		 serve_any;		/* --serve-any */
	/* operands */
	char		**files;		/* NULL-terminated; empty: stdin */
};

enum ap_cli_rc {
	AP_CLI_OK,		/* run with the options */
	AP_CLI_HELP,		/* print ap_cli_usage() to stdout, exit 0 */
	AP_CLI_VERSION,		/* print ap_cli_version() to stdout, exit 0 */
	AP_CLI_ERROR		/* errbuf names the option and value; exit 3 */
};

/* Fill o from argv (defaults first).  Resets getopt, so it may be called
 * more than once in one process.  o owns what it points to afterwards,
 * also on error: release with ap_options_free(). */
enum ap_cli_rc	ap_cli_parse(int argc, char **argv, struct ap_options *o,
		    char *errbuf, size_t errlen);
void		ap_options_free(struct ap_options *);	/* NULL ok */
void		ap_cli_usage(FILE *);
void		ap_cli_version(FILE *);

/* "250ms", "1.5s", "2m", "10" (seconds) -> milliseconds in [min, max].
 * 0 or -1 with a reason in errbuf. */
int	ap_parse_duration_ms(const char *, int64_t min_ms, int64_t max_ms,
	    int64_t *out, char *errbuf, size_t errlen);
/* Decimal digits only, no sign, no junk, in [min, max]. */
int	ap_parse_uint(const char *, uint64_t min, uint64_t max, uint64_t *out,
	    char *errbuf, size_t errlen);
/* "N" (a whole count, 0..4294967295) or "N%" (0..100, decimals allowed:
 * "12.5%") -> *th with set = true.  -1 with a reason in errbuf, *th
 * untouched. */
int	ap_parse_threshold(const char *, struct ap_threshold *, char *errbuf,
	    size_t errlen);
/* Decode C escapes: \r \n \t \\ \0 \xHH (exactly two hex digits) \" \'.
 * *out gets a new buffer (free() it) of *outlen bytes plus a NUL that
 * is not counted, since \0 may put NULs inside.  -1 with the escape named
 * in errbuf, and *out, *outlen untouched, on an unknown or cut escape. */
int	ap_unescape(const char *in, char **out, size_t *outlen, char *errbuf,
	    size_t errlen);

#endif
