/* SPDX-License-Identifier: ISC */
/* input.h -- streams targets out of a list of files (or stdin) one at a
 * time, as the engine asks for them.  Lines are read through a fixed
 * buffer, so neither a huge line nor a huge file grows memory, and a pipe
 * that has nothing to say is never waited on: the caller is told to poll. */
#ifndef AP_INPUT_H
#define AP_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "line.h"

struct ap_input;

enum ap_input_rc {
	AP_INPUT_TARGET,	/* item describes one host:port to probe */
	AP_INPUT_INVALID,	/* item describes one invalid line */
	AP_INPUT_AGAIN,		/* nothing buffered; poll ap_input_fd() */
	AP_INPUT_BUSY,		/* read a lot, nothing to show yet (a huge
				   line): let the loop run, then call again */
	AP_INPUT_FILE_ERROR,	/* a file could not be opened or read:
				   message in item->reason; go on */
	AP_INPUT_EOF		/* every file done */
};

/* Everything is borrowed and valid until the next ap_input_next().  A
 * prefix line (192.0.2.0/28:22) is handed out one address and port at a
 * time, host the address; text stays the line as written. */
struct ap_input_item {
	const char	*text;		/* the line as written (trimmed) */
	const char	*host;
	bool		 host_is_ip;
	int		 ip_family;	/* AF_INET(6) when host_is_ip */
	unsigned char	 ip[16];	/* parsed once, by the line parser */
	uint32_t	 scope_id;	/* IPv6 zone (fe80::1%eth0), or 0 */
	uint16_t	 port;
	const char	*file;		/* "-" for stdin */
	unsigned long	 line;		/* 1-based */
	const char	*reason;	/* INVALID, FILE_ERROR: why */
	uint64_t	 index;		/* 0-based count of items handed out */
};

/* paths: NULL-terminated; empty means stdin.  A path that names no
 * existing file but parses as a target with an explicit port
 * ("example.org:443", "[::1]:22", "192.0.2.0/28:80") is that target, its
 * record's line "argv:N" for the N-th operand; any other missing path is
 * the usual FILE_ERROR.  defports: -p list or NULL (borrowed; must
 * outlive the input).  NULL + errno on allocation
 * failure only; unreadable files are reported by ap_input_next(). */
struct ap_input	*ap_input_new(char *const *paths,
		    const struct ap_portlist *defports);
/*
 * Monitor mode reads its list once (again on SIGHUP) and probes it every
 * round: each round's input reads from saved sources instead of paths.
 * A source is a saved copy of a file (fd, read from its start, borrowed
 * and never closed), a file that could not be read (error, handed out as
 * a FILE_ERROR each time), or an operand target (target).  name is what
 * records and messages show; it is copied.
 */
struct ap_input_source {
	const char	*name;
	int		 fd;		/* -1: none */
	int		 error;		/* errno; 0: none */
	bool		 target;
};
struct ap_input	*ap_input_new_sources(const struct ap_input_source *,
		    size_t n, const struct ap_portlist *defports);
void		 ap_input_free(struct ap_input *);	/* NULL ok */
enum ap_input_rc ap_input_next(struct ap_input *, struct ap_input_item *);
/* Also tell cb(reason, arg) of each file that cannot be opened or read,
 * as ap_input_next() hands out its FILE_ERROR (so a format that sums up
 * the run, nagios, can say the check did not run as asked).  cb runs in
 * the thread that called ap_input_next(). */
typedef void	 ap_input_error_cb(const char *reason, void *arg);
void		 ap_input_on_error(struct ap_input *, ap_input_error_cb *,
		    void *arg);
/* The descriptor to wait on for EV_READ after AP_INPUT_AGAIN. */
int		 ap_input_fd(const struct ap_input *);

#endif
