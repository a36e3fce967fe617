/* SPDX-License-Identifier: ISC */
/* result.c -- status, stage and error vocabulary, and the choice of the one
 * final error a failed target reports (SPEC 4).  Pure: no I/O, no libevent;
 * the engine fills the attempts, the writers print what this file names. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "result.h"

/*
 * strerrorname_np() and strerrordesc_np() (glibc 2.32, found by configure:
 * HAVE_STRERRORNAME_NP) are thread-safe and name every errno the C library
 * knows; without them, errno_names below and strerror_r() do.
 */

/* The SPEC 4 words, in enum order: the only place they are spelled. */
static const char *const status_names[AP_STATUS_COUNT] = {
	"connected",
	"refused",
	"timeout",
	"unreachable",
	"denied",
	"unresolved",
	"mismatch",
	"error",
	"invalid",
	"cancelled"
};

static const char *const stage_names[] = {
	"",			/* AP_STAGE_NONE */
	"resolve",
	"socket",
	"bind",
	"connect",
	"handshake"
};

#define E(e)	{ e, #e }
/*
 * The errnos a connect scanner meets, named without help from the C
 * library so records read the same everywhere.  Where two names share a
 * value (EWOULDBLOCK, EDEADLOCK, ENOTSUP on Linux) the first row wins.
 */
static const struct errno_name {
	int		 error;
	const char	*name;
} errno_names[] = {
	E(ECONNREFUSED), E(ECONNRESET), E(ECONNABORTED), E(ETIMEDOUT),
	E(EHOSTUNREACH), E(ENETUNREACH), E(EHOSTDOWN), E(ENETDOWN),
	E(ENETRESET), E(EACCES), E(EPERM), E(EADDRNOTAVAIL), E(EADDRINUSE),
	E(EINVAL), E(EMFILE), E(ENFILE), E(ENOBUFS), E(ENOMEM),
	E(ECANCELED), E(EAFNOSUPPORT), E(EPROTONOSUPPORT), E(EPROTOTYPE),
	E(EOPNOTSUPP), E(EPIPE), E(EINPROGRESS), E(EALREADY), E(EISCONN),
	E(ENOTCONN), E(EAGAIN), E(EINTR), E(EBADF), E(EFAULT), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(ENOPROTOOPT), E(ESHUTDOWN),
	E(ENOENT), E(EIO), E(ENOSPC), E(ENOSYS),
#ifdef EPROTO
	E(EPROTO),
#endif
	{ AP_ERR_NXDOMAIN, "NXDOMAIN" },
	{ AP_ERR_NODATA, "NODATA" },
	{ AP_ERR_SERVFAIL, "SERVFAIL" },
	{ AP_ERR_DNS, "DNSERROR" },
	/* The same word in records: only the text tells them apart. */
	{ AP_ERR_TRUNCATED, "DNSERROR" }
};
#undef E

/* Buffers for unknown codes; per thread because -j runs one loop each. */
static _Thread_local char unknown_name[32];
static _Thread_local char unknown_text[64];

void
ap_set_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

void
ap_result_init(struct ap_result *r, const char *target, const char *host,
    unsigned port, const char *file, unsigned long line)
{
	memset(r, 0, sizeof(*r));
	r->target = target;
	r->host = host;
	r->port = port;
	r->ip = "";
	r->rtt_us = -1;
	r->file = file;
	r->line = line;
}

const char *
ap_status_name(enum ap_status status)
{
	/* A status out of range is a bug; "error" keeps records parseable. */
	if ((unsigned)status >= AP_STATUS_COUNT)
		return ("error");
	return (status_names[status]);
}

const char *
ap_stage_name(enum ap_stage stage)
{
	if ((unsigned)stage >= sizeof(stage_names) / sizeof(stage_names[0]))
		return ("");
	return (stage_names[stage]);
}

const char *
ap_errno_name(int error)
{
	size_t		 i;
#ifdef HAVE_STRERRORNAME_NP
	const char	*name;
#endif

	if (error == 0)
		return ("");
	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (errno_names[i].error == error)
			return (errno_names[i].name);
	}
#ifdef HAVE_STRERRORNAME_NP
	if (error > 0 && (name = strerrorname_np(error)) != NULL)
		return (name);
#endif
	snprintf(unknown_name, sizeof(unknown_name), "E%d", error);
	return (unknown_name);
}

const char *
ap_error_text(int error)
{
#ifdef HAVE_STRERRORNAME_NP
	const char	*text;
#endif

	switch (error) {
	case 0:
		return ("");
	case AP_ERR_NXDOMAIN:
		return ("name does not exist");
	case AP_ERR_NODATA:
		return ("name has no address of the requested family");
	case AP_ERR_SERVFAIL:
		return ("DNS server failure");
	case AP_ERR_DNS:
		return ("DNS resolution failed");
	case AP_ERR_TRUNCATED:
		return ("DNS answer truncated (TC bit) and no TCP fallback");
	case ETIMEDOUT:
		/* BSD libcs say "Operation timed out"; keep one text. */
		return ("Connection timed out");
	}
#ifdef HAVE_STRERRORNAME_NP
	/* strerror() may use a shared buffer; this never does. */
	if (error > 0 && (text = strerrordesc_np(error)) != NULL)
		return (text);
	snprintf(unknown_text, sizeof(unknown_text), "Unknown error %d",
	    error);
	return (unknown_text);
#elif defined(__GLIBC__)
	/* Old glibc: the GNU strerror_r() returns the text it chose. */
	return (strerror_r(error, unknown_text, sizeof(unknown_text)));
#else
	if (strerror_r(error, unknown_text, sizeof(unknown_text)) != 0)
		snprintf(unknown_text, sizeof(unknown_text),
		    "Unknown error %d", error);
	return (unknown_text);
#endif
}

enum ap_status
ap_status_from_error(int error)
{
	switch (error) {
	case 0:
		return (AP_STATUS_CONNECTED);
	case ECONNREFUSED:
	case ECONNRESET:
		return (AP_STATUS_REFUSED);
	case ETIMEDOUT:
		return (AP_STATUS_TIMEOUT);
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENOPROTOOPT:	/* ICMP protocol unreachable */
		return (AP_STATUS_UNREACHABLE);
	case EACCES:
	case EPERM:
		return (AP_STATUS_DENIED);
	case AP_ERR_NXDOMAIN:
	case AP_ERR_NODATA:
	case AP_ERR_SERVFAIL:
	case AP_ERR_DNS:
	case AP_ERR_TRUNCATED:
		return (AP_STATUS_UNRESOLVED);
	case ECANCELED:
		return (AP_STATUS_CANCELLED);
	default:
		return (AP_STATUS_ERROR);
	}
}

/*
 * ICMP messages by what they say (SPEC 4), for both families: the errno
 * the kernel maps a message to differs between them (IPv4 code 13 is
 * EHOSTUNREACH, IPv6 code 1 EACCES) and says less than the message.
 */
enum icmp_class {
	IC_NONE,		/* no message, or one that says nothing more */
	IC_UNREACH,		/* no way there: net, host, protocol, ttl */
	IC_PROHIBITED,		/* a policy said no */
	IC_PORT			/* the host itself said the port is closed */
};

static const struct icmp_word {
	uint8_t		 origin, type, code;
	enum icmp_class	 class;
	const char	*name;
} icmp_words[] = {
	/* RFC 792, RFC 1812 5.2.7.1; nmap's reason words. */
	{ AP_ICMP_V4, 3, 0, IC_UNREACH, "net-unreach" },
	{ AP_ICMP_V4, 3, 1, IC_UNREACH, "host-unreach" },
	{ AP_ICMP_V4, 3, 2, IC_UNREACH, "proto-unreach" },
	{ AP_ICMP_V4, 3, 3, IC_PORT, "port-unreach" },
	{ AP_ICMP_V4, 3, 4, IC_NONE, "frag-needed" },
	{ AP_ICMP_V4, 3, 5, IC_UNREACH, "source-route-failed" },
	{ AP_ICMP_V4, 3, 6, IC_UNREACH, "net-unknown" },
	{ AP_ICMP_V4, 3, 7, IC_UNREACH, "host-unknown" },
	{ AP_ICMP_V4, 3, 8, IC_UNREACH, "host-isolated" },
	{ AP_ICMP_V4, 3, 9, IC_PROHIBITED, "net-prohibited" },
	{ AP_ICMP_V4, 3, 10, IC_PROHIBITED, "host-prohibited" },
	{ AP_ICMP_V4, 3, 11, IC_UNREACH, "net-tos-unreach" },
	{ AP_ICMP_V4, 3, 12, IC_UNREACH, "host-tos-unreach" },
	{ AP_ICMP_V4, 3, 13, IC_PROHIBITED, "admin-prohibited" },
	{ AP_ICMP_V4, 3, 14, IC_PROHIBITED, "precedence-violation" },
	{ AP_ICMP_V4, 3, 15, IC_PROHIBITED, "precedence-cutoff" },
	{ AP_ICMP_V4, 11, 0, IC_UNREACH, "time-exceeded" },
	{ AP_ICMP_V4, 11, 1, IC_UNREACH, "time-exceeded" },
	{ AP_ICMP_V4, 12, 0, IC_UNREACH, "param-problem" },
	{ AP_ICMP_V4, 12, 1, IC_UNREACH, "param-problem" },
	{ AP_ICMP_V4, 12, 2, IC_UNREACH, "param-problem" },
	/* RFC 4443 3.1: destination unreachable, and the others. */
	{ AP_ICMP_V6, 1, 0, IC_UNREACH, "net-unreach" },	/* no route */
	{ AP_ICMP_V6, 1, 1, IC_PROHIBITED, "admin-prohibited" },
	{ AP_ICMP_V6, 1, 2, IC_UNREACH, "beyond-scope" },
	{ AP_ICMP_V6, 1, 3, IC_UNREACH, "host-unreach" },	/* address */
	{ AP_ICMP_V6, 1, 4, IC_PORT, "port-unreach" },
	{ AP_ICMP_V6, 1, 5, IC_PROHIBITED, "policy-fail" },
	{ AP_ICMP_V6, 1, 6, IC_PROHIBITED, "reject-route" },
	{ AP_ICMP_V6, 2, 0, IC_NONE, "packet-too-big" },
	{ AP_ICMP_V6, 3, 0, IC_UNREACH, "time-exceeded" },
	{ AP_ICMP_V6, 3, 1, IC_UNREACH, "time-exceeded" },
	{ AP_ICMP_V6, 4, 0, IC_UNREACH, "param-problem" },
	/* An unknown next header: IPv6's protocol unreachable. */
	{ AP_ICMP_V6, 4, 1, IC_UNREACH, "proto-unreach" },
	{ AP_ICMP_V6, 4, 2, IC_UNREACH, "param-problem" },
};

static const struct icmp_word *
icmp_lookup(const struct ap_icmp *m)
{
	size_t	 i;

	if (m == NULL || m->origin == AP_ICMP_NONE)
		return (NULL);
	for (i = 0; i < sizeof(icmp_words) / sizeof(icmp_words[0]); i++) {
		if (icmp_words[i].origin == m->origin &&
		    icmp_words[i].type == m->type &&
		    icmp_words[i].code == m->code)
			return (&icmp_words[i]);
	}
	return (NULL);
}

const char *
ap_icmp_name(const struct ap_icmp *m)
{
	static _Thread_local char	 other[32];
	const struct icmp_word		*w;

	if (m == NULL || m->origin == AP_ICMP_NONE)
		return ("");
	if ((w = icmp_lookup(m)) != NULL)
		return (w->name);
	/* A message no table names: its numbers, still one word. */
	snprintf(other, sizeof(other), "icmp%s-%u-%u",
	    m->origin == AP_ICMP_V6 ? "6" : "", m->type, m->code);
	return (other);
}

/* What an attempt's ICMP message says; IC_NONE for an attempt that did
 * not fail or was not failed by one. */
static enum icmp_class
attempt_icmp_class(const struct ap_attempt *a)
{
	const struct icmp_word	*w;

	if (a->error == 0 || a->error == ETIMEDOUT || a->error == ECANCELED)
		return (IC_NONE);
	if ((w = icmp_lookup(&a->icmp)) == NULL)
		return (IC_NONE);
	return (w->class);
}

enum ap_status
ap_attempt_status(const struct ap_attempt *a)
{
	switch (attempt_icmp_class(a)) {
	case IC_UNREACH:
		return (AP_STATUS_UNREACHABLE);
	case IC_PROHIBITED:
		return (AP_STATUS_DENIED);
	case IC_PORT:
		return (AP_STATUS_REFUSED);
	case IC_NONE:
		break;
	}
	return (ap_status_from_error(a->error));
}

enum ap_stage
ap_stage_of_connect_error(int error)
{
	switch (error) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ETIMEDOUT:
		/*
		 * Only a peer (or a lost SYN) produces these: the SYN left.
		 * A synchronous connect() rarely reports ETIMEDOUT, but if it
		 * does the packet was sent.
		 */
		return (AP_STAGE_HANDSHAKE);
	default:
		/* EHOSTUNREACH here is the local routing table, not an ICMP. */
		return (AP_STAGE_CONNECT);
	}
}

/*
 * Rank of an attempt's failure within its stage, larger is further
 * (SPEC 4).  In the handshake a reset proves the host is alive, a policy
 * refusal that a router answered (ICMP administratively prohibited) is
 * the most specific word from the network, any other answer (ICMP
 * unreachable, time exceeded, an errno that came after the SYN left)
 * proves a router spoke, and a timeout proves nothing.  An attempt
 * abandoned for another (ECANCELED) says nothing at all.  At connect() a
 * policy refusal is the most specific local verdict.
 */
static int
attempt_rank(const struct ap_attempt *a)
{
	switch (a->stage) {
	case AP_STAGE_HANDSHAKE:
		switch (ap_attempt_status(a)) {
		case AP_STATUS_REFUSED:
			return (4);
		case AP_STATUS_DENIED:
			return (3);
		default:
			break;
		}
		switch (a->error) {
		case ETIMEDOUT:
			return (1);
		case ECANCELED:
			return (0);
		}
		return (2);
	case AP_STAGE_CONNECT:
		switch (a->error) {
		case EACCES:
		case EPERM:
			return (4);
		case EADDRNOTAVAIL:
			return (3);
		case EHOSTUNREACH:
			return (2);
		case ENETUNREACH:
			return (1);
		}
		return (0);
	default:
		/* bind, socket, resolve: no order inside the stage. */
		return (0);
	}
}

/*
 * <0 when a beats b as the final error.  A total order on content, so the
 * winner is the same whatever order the resolver returned addresses in.
 */
static int
attempt_cmp(const struct ap_attempt *a, const struct ap_attempt *b)
{
	int	 ra, rb, c;

	if (a->stage != b->stage)
		return (a->stage > b->stage ? -1 : 1);
	ra = attempt_rank(a);
	rb = attempt_rank(b);
	if (ra != rb)
		return (ra > rb ? -1 : 1);
	if (a->start_us != b->start_us)
		return (a->start_us < b->start_us ? -1 : 1);
	if ((c = strncmp(a->ip, b->ip, sizeof(a->ip))) != 0)
		return (c);
	/* Same address, same start: only the error itself is left. */
	if (a->error != b->error)
		return (a->error < b->error ? -1 : 1);
	if (a->icmp.type != b->icmp.type)
		return (a->icmp.type < b->icmp.type ? -1 : 1);
	if (a->icmp.code != b->icmp.code)
		return (a->icmp.code < b->icmp.code ? -1 : 1);
	if (a->duration_us != b->duration_us)
		return (a->duration_us < b->duration_us ? -1 : 1);
	return (0);
}

int
ap_result_final_error(const struct ap_attempt *attempts, size_t n)
{
	size_t	 i;
	int	 best = -1;

	if (attempts == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (attempts[i].error == 0)
			continue;
		if (best == -1 ||
		    attempt_cmp(&attempts[i], &attempts[best]) < 0)
			best = (int)i;
	}
	return (best);
}
