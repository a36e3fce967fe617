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
 * strerrorname_np() and strerrordesc_np() (glibc 2.32) are thread-safe and
 * name every errno the C library knows.  Configure does not probe for them
 * yet, so fall back on the glibc version.
 */
#if !defined(HAVE_STRERRORNAME_NP) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define HAVE_STRERRORNAME_NP 1
#endif

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
	{ AP_ERR_DNS, "DNSERROR" }
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

const char *
ap_status_name(enum ap_status status)
{
	/* A status out of range is a bug; "error" keeps records parseable. */
	if ((unsigned)status >= AP_STATUS_COUNT)
		return ("error");
	return (status_names[status]);
}

enum ap_status
ap_status_from_name(const char *name)
{
	unsigned	 i;

	if (name == NULL)
		return (AP_STATUS_COUNT);
	for (i = 0; i < AP_STATUS_COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0)
			return ((enum ap_status)i);
	}
	return (AP_STATUS_COUNT);
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
		return (AP_STATUS_UNREACHABLE);
	case EACCES:
	case EPERM:
		return (AP_STATUS_DENIED);
	case AP_ERR_NXDOMAIN:
	case AP_ERR_NODATA:
	case AP_ERR_SERVFAIL:
	case AP_ERR_DNS:
		return (AP_STATUS_UNRESOLVED);
	case ECANCELED:
		return (AP_STATUS_CANCELLED);
	default:
		return (AP_STATUS_ERROR);
	}
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
 * Rank of an error within its stage, larger is further (SPEC 4).  In the
 * handshake a reset proves the host is alive, an ICMP unreachable proves a
 * router answered, a timeout proves nothing.  At connect() a policy
 * refusal is the most specific local verdict.
 */
static int
error_rank(enum ap_stage stage, int error)
{
	switch (stage) {
	case AP_STAGE_HANDSHAKE:
		switch (error) {
		case ECONNREFUSED:
		case ECONNRESET:
			return (3);
		case EHOSTUNREACH:
		case ENETUNREACH:
			return (2);
		case ETIMEDOUT:
			return (1);
		}
		return (0);
	case AP_STAGE_CONNECT:
		switch (error) {
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
	ra = error_rank(a->stage, a->error);
	rb = error_rank(b->stage, b->error);
	if (ra != rb)
		return (ra > rb ? -1 : 1);
	if (a->start_us != b->start_us)
		return (a->start_us < b->start_us ? -1 : 1);
	if ((c = strncmp(a->ip, b->ip, sizeof(a->ip))) != 0)
		return (c);
	/* Same address, same start: only the error itself is left. */
	if (a->error != b->error)
		return (a->error < b->error ? -1 : 1);
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
