/* SPDX-License-Identifier: ISC */
/* cli.h -- the command line (SPEC 1): getopt_long table, usage text, and
 * the value parsers (durations, counts) it shares with tests.  Never
 * exits and never prints: main.c decides what an answer means. */
#ifndef AP_CLI_H
#define AP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "target.h"

#define AP_DEFAULT_TIMEOUT_MS		5000
#define AP_DEFAULT_ATTEMPT_DELAY_MS	250
#define AP_ATTEMPT_DELAY_MIN_MS		10
#define AP_ATTEMPT_DELAY_MAX_MS		2000
#define AP_DEFAULT_CONCURRENCY		1024
#define AP_MAX_RESOLVERS		8

enum ap_format { AP_FORMAT_TEXT, AP_FORMAT_CSV, AP_FORMAT_JSON };

/* One --resolve HOST:ADDR[,ADDR...] pin, kept as written after the split. */
struct ap_pin {
	char		*host;
	char		*addrs;		/* "ADDR[,ADDR...]", brackets allowed */
};

struct ap_options {
	/* probing */
	int		 timeout_ms;		/* -t: per target, all in */
	int		 attempt_timeout_ms;	/* 0: = timeout_ms */
	int		 attempt_delay_ms;	/* clamped to 10..2000 */
	bool		 sequential;
	int		 family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	struct ap_portlist ports;		/* -p; count 0 when unset */
	char		*source;		/* -S address, or NULL */
	/* load */
	int		 concurrency;		/* -c */
	/* names */
	char		*resolvers[AP_MAX_RESOLVERS];	/* "IP" or "IP:PORT" */
	int		 nresolvers;
	char		*hosts_file;		/* NULL: none; default /etc/hosts */
	struct ap_pin	*pins;
	int		 npins;
	bool		 numeric;		/* -n */
	/* output */
	enum ap_format	 format;
	char		*output;		/* -o FILE, or NULL: stdout */
	bool		 only_alive;		/* -a */
	bool		 only_unreachable;	/* -u */
	bool		 quiet;			/* -q */
	bool		 stats;			/* -s */
	int		 verbose;		/* -v count */
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

#endif
