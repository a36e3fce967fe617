/* SPDX-License-Identifier: ISC */
/* output.h -- record writers (SPEC 5): one ops table per format, looked up
 * by name.  Writers format and write; they never filter, exit or flush on
 * their own (the engine flushes when its loop is about to wait). */
#ifndef AP_OUTPUT_H
#define AP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "result.h"
#include "text.h"

struct ap_threshold;
struct ap_writer;
struct ap_writer_header;

/* The round a monitor-mode prom file sums up. */
struct ap_writer_round {
	uint64_t	 number;	/* the first is 1 */
	int64_t		 duration_us;
	int64_t		 end_ms;	/* Unix epoch */
};

/* A format is this table and one row in output.c's registry (zmap). */
struct ap_writer_ops {
	const char	*name;					/* "text", ... */
	/* Sees the whole run: every record whatever -a/-u say, from one
	 * engine in one event loop, and writes at end() (prom, nagios). */
	bool		 whole_run;
	/* Takes --label KEY=VALUE (prom): elsewhere it is a usage error. */
	bool		 labels;
	/* The header.  Written lazily, just before the first record
	 * reaches the stream (no records, no header); may be NULL. */
	int		(*begin)(struct ap_writer *);
	int		(*write)(struct ap_writer *, const struct ap_result *);
	int		(*end)(struct ap_writer *);		/* may be NULL */
	/* An input file could not be read (reason names it and why): a
	 * whole-run format says so; may be NULL. */
	void		(*input_error)(struct ap_writer *, const char *reason);
	/* The process exit status instead of the SPEC 6 one (status), for
	 * a format that speaks its own codes (nagios); may be NULL. */
	int		(*exit_code)(const struct ap_writer *, int status);
};

struct ap_writer {
	const struct ap_writer_ops	*ops;
	FILE				*fp;		/* borrowed */
	int				 verbose;	/* text: list attempts */
	bool				 no_header;	/* --no-header */
	void				*state;		/* the format's own */
	/* Frees state; set by the format that allocated it (prom and
	 * nagios gather records until end()).  NULL: nothing to free. */
	void				(*free_state)(struct ap_writer *);
	/* The header still to write, shared by every copy of the writer
	 * (-j engines and --ordered format records into copies); NULL
	 * when there is none. */
	struct ap_writer_header		*header;
	/* prom: the --label "KEY=VALUE" strings (checked by cli.c);
	 * borrowed.  per_address: -m, one series per address. */
	char *const			*labels;
	size_t				 nlabels;
	bool				 per_address;
	/* Monitor mode: every record carries its round (SPEC 5), and
	 * every writer is told which round it sums up and how long it took
	 * (set before end(); NULL outside monitor mode); prom says so. */
	bool				 rounds;
	const struct ap_writer_round	*round_info;
	/* nagios: --warn-down and --crit-down; borrowed, NULL means a
	 * count of 1 (the SPEC default). */
	const struct ap_threshold	*warn_down;
	const struct ap_threshold	*crit_down;
	/* blackbox: --expect was given (probe_failed_due_to_regex). */
	bool				 expect;
	/* nagios: the plugin exit code, valid once end() succeeded. */
	int				 code;
	bool				 ended;
};

/* NULL when there is no such format. */
const struct ap_writer_ops	*ap_output_find(const char *name);
/* "text, csv, json, prom, nagios" for --help and error messages. */
const char			*ap_output_list(void);
/* Add a format to the registry, after the others: the seam that lets a
 * test prove a format is one ops table and one row.  Call it before any
 * thread runs.  -1 when ops has no name or write(), the name is taken,
 * or the registry is full. */
int				 ap_output_register(const struct ap_writer_ops *);

/*
 * Each returns 0, or -1 when the stream failed (ferror).  begin() is
 * called once, before any engine runs and before any copy of the writer
 * is made: it only arranges for the header (unless no_header), which
 * write() puts on the stream, once, before the first record; it is safe
 * from several threads.
 */
int	ap_writer_begin(struct ap_writer *);
int	ap_writer_write(struct ap_writer *, const struct ap_result *);
/* The header is still to be written: the next write() puts it on the
 * writer's own stream (the terminal, say) even from a copy whose fp is
 * elsewhere. */
bool	ap_writer_header_pending(const struct ap_writer *);
int	ap_writer_end(struct ap_writer *);
/* Free what a format gathered when end() will not run (a write error, a
 * system failure).  end() frees it itself; safe to call again. */
void	ap_writer_discard(struct ap_writer *);
/* The ops' flag: the engine gives such a writer every record, runs one
 * loop, and keeps --ordered out of it. */
bool	ap_writer_whole_run(const struct ap_writer *);
/* Tell the format an input file could not be read. */
void	ap_writer_input_error(struct ap_writer *, const char *reason);
/* The exit status the run ends with: the format's, when it has its own
 * codes, else status (SPEC 6). */
int	ap_writer_exit_code(const struct ap_writer *, int status);
/* True when the format has its own exit codes (nagios). */
bool	ap_writer_has_exit_code(const struct ap_writer *);

/* Shared formatting helpers, so every format prints the same values. */
/* Microseconds as milliseconds with 3 decimals: "12.345". */
void	ap_format_ms(int64_t us, char *buf, size_t len);
/* probe_ip_protocol and probe_ip_addr_hash of a record's ip, as
 * blackbox_exporter says them (prom and the blackbox writer): 4 or 6 for
 * a numeric address, with its ipHash() in *hash, FNV-1a over the 4 or 16
 * bytes, a zone (fe80::1%eth0) no part of them; 0 and 0 for none
 * (unresolved, invalid). */
int	ap_format_ip_hash(const char *ip, uint32_t *hash);

/*
 * A record being formatted.  A writer appends its fields here and writes
 * the record with one fwrite(), instead of one stdio call per field.  It
 * starts in a buffer the writer owns (on its stack) and moves to the heap
 * only for a record that outgrows it (a long banner).
 */
#define AP_OBUF_STACK	1024	/* a typical record is 100 to 500 bytes */

struct ap_obuf {
	char	*p;		/* the record so far */
	size_t	 len;
	size_t	 cap;		/* bytes p can hold */
	char	*heap;		/* p once malloc'ed, else NULL */
	bool	 failed;	/* out of memory: flush() will fail */
};

void	ap_obuf_init(struct ap_obuf *, char *stack, size_t size);
/* Room for more bytes; the slow path of ap_obuf_add().  -1 when out of
 * memory: the record is then dropped at flush time, with ENOMEM. */
int	ap_obuf_grow(struct ap_obuf *, size_t more);
/* Write the record (one fwrite), free the heap copy, empty the buffer.
 * 0, or -1 with errno when out of memory or the stream failed. */
int	ap_obuf_flush(struct ap_obuf *, FILE *);
void	ap_obuf_uint(struct ap_obuf *, uint64_t);
/* As ap_format_ms() prints it. */
void	ap_obuf_ms(struct ap_obuf *, int64_t us);
/* RFC 3339 UTC with milliseconds: 2026-11-24T08:25:24.123Z; nothing for
 * a year that cannot be printed. */
void	ap_obuf_timestamp(struct ap_obuf *, int64_t ms);
/* The peer's bytes (a banner) for text and csv: each backslash as \\ and
 * the runs between through the format's own escape, so a banner spelling
 * "\x1b" never reads like one that sent the byte (what comes from the
 * input was escaped so by the line parser already). */
void	ap_obuf_peer(struct ap_obuf *, const char *s, size_t len,
	    void (*escape)(struct ap_obuf *, const char *, size_t));

/* Room for n more bytes at b->p + b->len, or NULL when out of memory;
 * the caller adds what it wrote there to b->len. */
static inline char *
ap_obuf_reserve(struct ap_obuf *b, size_t n)
{
	if (n > b->cap - b->len && ap_obuf_grow(b, n) == -1)
		return (NULL);
	return (b->p + b->len);
}

/*
 * Copy n bytes.  Runs of input are mostly under 32 bytes, and two
 * overlapping fixed-size moves copy them without a call to memcpy(); with
 * a constant n the compiler keeps only one branch.
 */
static inline void
ap_obuf_copy(char *d, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (n <= 3) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	} else if (n <= 8) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n <= 16) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n <= 32) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else
		memcpy(d, s, n);
}

/* Inline: a record is dozens of these, most of a few constant bytes. */
static inline void
ap_obuf_add(struct ap_obuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len && ap_obuf_grow(b, n) == -1)
		return;
	ap_obuf_copy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
ap_obuf_addc(struct ap_obuf *b, char c)
{
	if (b->len == b->cap && ap_obuf_grow(b, 1) == -1)
		return;
	b->p[b->len++] = c;
}

/* A string literal, its length known at compile time. */
#define AP_OBUF_LIT(b, lit)	ap_obuf_add((b), (lit), sizeof(lit) - 1)

/*
 * How many bytes at the start of s the writer's table maps to 0, that is
 * need no escaping.  Four at a time: plain runs are the common case, and
 * one test per four lookups halves the work of a byte loop.
 */
static inline size_t
ap_output_span(const unsigned char *table, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0;

	while (len - i >= 4 && (table[u[i]] | table[u[i + 1]] |
	    table[u[i + 2]] | table[u[i + 3]]) == 0)
		i += 4;
	while (i < len && table[u[i]] == 0)
		i++;
	return (i);
}

extern const struct ap_writer_ops ap_output_text;
extern const struct ap_writer_ops ap_output_csv;
extern const struct ap_writer_ops ap_output_json;
extern const struct ap_writer_ops ap_output_prom;
extern const struct ap_writer_ops ap_output_nagios;
/* --serve's /probe answer (blackbox_exporter's series); not in the -f
 * registry. */
extern const struct ap_writer_ops ap_output_blackbox;

#endif
