/* SPDX-License-Identifier: ISC */
/* addrlist.h -- the addresses of one target, in the order they are tried:
 * duplicates dropped, families interleaved IPv6 first (RFC 8305 4).  An
 * address that arrives late joins in its interleaved place among those not
 * yet tried.  Pure: no libevent, no I/O. */
#ifndef AP_ADDRLIST_H
#define AP_ADDRLIST_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One socket address, small enough to keep many of. */
struct ap_addr {
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	} u;
	socklen_t	len;
};

struct ap_addrlist {
	struct ap_addr	*v6, *v4;	/* in arrival order */
	/* 16 bits: a list lives in every race, and no DNS answer holds
	 * 65,535 addresses of one family (more are dropped). */
	uint16_t	 n6, n4;	/* how many of each arrived */
	uint16_t	 next6, next4;	/* how many of each handed out */
	uint8_t		 last_family;	/* of the last address handed out */
	/* The first address to arrive lives here, so that a target with
	 * one address (most of them) allocates nothing: the list must not
	 * be copied by value once it holds one. */
	struct ap_addr	 first;
};

/* Copy sa in; false if it is a duplicate, not AF_INET/AF_INET6, or its
 * family has 65,535 addresses already. */
bool	 ap_addrlist_add(struct ap_addrlist *, const struct sockaddr *,
	    socklen_t);
/* The next address to try, alternating families IPv6 first; NULL when
 * every address that arrived has been handed out. */
const struct ap_addr *ap_addrlist_next(struct ap_addrlist *);
/* Give the address ap_addrlist_next() returned last back, so it comes out
 * again next (a start that hit back-pressure). */
void	 ap_addrlist_unget(struct ap_addrlist *, const struct ap_addr *);
/* Hand every address out again, from the first (a -r round). */
void	 ap_addrlist_rewind(struct ap_addrlist *);
/* How many distinct addresses have been handed out. */
size_t	 ap_addrlist_handed(const struct ap_addrlist *);
size_t	 ap_addrlist_count(const struct ap_addrlist *);
size_t	 ap_addrlist_pending(const struct ap_addrlist *);
void	 ap_addrlist_clear(struct ap_addrlist *);	/* frees; reusable */

/* Numeric text of the address, no port, no brackets. */
void	 ap_addr_ntop(const struct ap_addr *, char *buf, size_t len);
/* Numeric IPv4 or IPv6 (bare or [bracketed]) plus port; -1 if not one. */
int	 ap_addr_pton(const char *text, uint16_t port, struct ap_addr *);
void	 ap_addr_set_port(struct ap_addr *, uint16_t port);
/* From a family and its 4 or 16 address bytes (network order). */
void	 ap_addr_from_bytes(struct ap_addr *, int family, const void *bytes,
	    uint16_t port);
bool	 ap_addr_equal(const struct ap_addr *, const struct ap_addr *);

#endif
