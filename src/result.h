/* SPDX-License-Identifier: ISC */
/* result.h -- the shared vocabulary: statuses, connect stages, error codes,
 * one attempt and one record, and the final prioritized error (SPEC 4).
 * Pure: no libevent, no I/O, so every rule here is unit tested alone. */
#ifndef AP_RESULT_H
#define AP_RESULT_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ap_status {
	AP_STATUS_CONNECTED,
	AP_STATUS_REFUSED,
	AP_STATUS_TIMEOUT,
	AP_STATUS_UNREACHABLE,
	AP_STATUS_DENIED,
	AP_STATUS_UNRESOLVED,
	AP_STATUS_MISMATCH,
	AP_STATUS_ERROR,
	AP_STATUS_INVALID,
	AP_STATUS_CANCELLED,
	AP_STATUS_COUNT
};

/* How far one attempt got towards the target; a larger value got further
 * (SPEC 4: handshake > connect > bind > socket > resolve). */
enum ap_stage {
	AP_STAGE_NONE,		/* no attempt at all */
	AP_STAGE_RESOLVE,
	AP_STAGE_SOCKET,
	AP_STAGE_BIND,
	AP_STAGE_CONNECT,	/* connect() refused locally, nothing sent */
	AP_STAGE_HANDSHAKE	/* the SYN left */
};

/* DNS outcomes share the errno namespace of records; they sit far above
 * any system errno so the two never collide. */
#define AP_ERR_NXDOMAIN		100001
#define AP_ERR_NODATA		100002
#define AP_ERR_SERVFAIL		100003
#define AP_ERR_DNS		100004	/* other resolver failure */
#define AP_ERR_TRUNCATED	100005	/* TC bit; named DNSERROR too */

#define AP_IPSTR_LEN		64	/* INET6_ADDRSTRLEN and a zone */
#define AP_ERRBUF_LEN		256

/*
 * The ICMP message behind an attempt's failure, as the kernel's error
 * queue reported it (IP_RECVERR / IPV6_RECVERR, SPEC 3.7): which message
 * and who sent it.  origin 0: none (a reset, a timeout, a local error).
 */
#define AP_ICMP_NONE		0
#define AP_ICMP_V4		4	/* ICMP */
#define AP_ICMP_V6		6	/* ICMPv6 */

struct ap_icmp {
	uint8_t		 origin;		/* AP_ICMP_* */
	uint8_t		 type;
	uint8_t		 code;
	char		 from[AP_IPSTR_LEN];	/* the sender, numeric */
};

/* One connect attempt to one address, as kept for json and -v. */
struct ap_attempt {
	char		 ip[AP_IPSTR_LEN];	/* numeric address */
	int		 family;		/* AF_INET or AF_INET6 */
	int		 error;			/* errno; 0 when connected */
	enum ap_stage	 stage;			/* furthest stage reached */
	int64_t		 start_us;		/* since target start */
	int64_t		 duration_us;		/* start to outcome */
	struct ap_icmp	 icmp;			/* behind error, if any */
};

/* One record (SPEC 5).  Every pointer is borrowed from the engine's target
 * and valid only inside the writer's write(). */
struct ap_result {
	const char		*target;	/* the line as written */
	const char		*host;
	unsigned		 port;
	enum ap_status		 status;
	const char		*ip;		/* winner or final error's; "" */
	int64_t			 rtt_us;	/* winning connect; -1 if none */
	int64_t			 elapsed_us;	/* target start to verdict */
	int			 error;		/* errno or AP_ERR_*; 0 if none */
	const char		*error_text;	/* overrides the errno's text */
	unsigned		 addresses;	/* how many were tried */
	bool			 degraded;	/* an earlier address failed */
	const char		*file;		/* input name, "-" for stdin */
	unsigned long		 line;		/* 1-based */
	const char		*banner;	/* NULL: none */
	size_t			 banner_len;
	int64_t			 timestamp_ms;	/* verdict, Unix epoch, UTC */
	const struct ap_attempt	*attempts;
	size_t			 nattempts;
	/* The ICMP message behind error (SPEC 5 prints it after error);
	 * NULL: none.  Last here so that positional initializers stay. */
	const struct ap_icmp	*icmp;
	uint64_t		 round;		/* monitor mode; 0: not */
};

/* The record of a target before anything is known of its race: the
 * target as written, host, port and input line; no address (ip ""), no
 * RTT (-1), no attempts, status 0 and the rest zero.  The one place a
 * record starts: the race fills in its verdict, the recorder an invalid
 * or cancelled line's status. */
void		 ap_result_init(struct ap_result *, const char *target,
		    const char *host, unsigned port, const char *file,
		    unsigned long line);

/* Fill a caller's error buffer (NULL or 0 length: nothing), as every
 * parser and setup function reports why it said no. */
void		 ap_set_error(char *errbuf, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

const char	*ap_status_name(enum ap_status);
const char	*ap_stage_name(enum ap_stage);
/* "ECONNREFUSED", "NXDOMAIN", ...; "" for 0; "E<number>" if unknown. */
const char	*ap_errno_name(int error);
/* Human text for an errno or AP_ERR_* code; "" for 0. */
const char	*ap_error_text(int error);
/* The status a final error means (SPEC 4 table). */
enum ap_status	 ap_status_from_error(int error);
/* nmap's reason word for an ICMP message ("admin-prohibited",
 * "host-unreach", ...); "" for none (NULL or origin 0). */
const char	*ap_icmp_name(const struct ap_icmp *);
/* The status of one failed or successful attempt: its errno, unless the
 * ICMP message behind it says more (SPEC 4: administratively prohibited
 * is denied on both families, protocol unreachable unreachable, port
 * unreachable refused).  The engine calls this, not
 * ap_status_from_error(), for anything an attempt produced. */
enum ap_status	 ap_attempt_status(const struct ap_attempt *);
/* Stage an error from a synchronous connect() belongs to: a refusal or
 * reset means the SYN left (handshake); anything else was local. */
enum ap_stage	 ap_stage_of_connect_error(int error);

/* The final prioritized error: the index of the attempt that got furthest
 * (stage, then the order SPEC 4 gives within the stage, the ICMP message
 * included, then the attempt started first).  Ignores successful attempts; -1 when none failed.
 * The answer depends only on the set of attempts, not on their order
 * (ties fall to start_us, then to the address text). */
int		 ap_result_final_error(const struct ap_attempt *, size_t n);

#endif
