/* SPDX-License-Identifier: ISC */
/* resolve.h -- names to addresses.  Static answers (--resolve pins, then
 * the hosts file) are looked up at once; DNS goes through evdns as
 * separate AAAA and A queries (RFC 8305 3): an AAAA answer is handed out
 * at once, an A answer that comes first waits up to the resolution delay
 * for the AAAA one, and later answers are handed out as they come.  One
 * name is asked once per run: targets that ask at the same time share the
 * question, and its answer is kept (for the 4096 names answered last) for
 * those that come later. */
#ifndef AP_RESOLVE_H
#define AP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "addrlist.h"
#include "hosts.h"

struct event_base;
struct ap_resolver;
struct ap_lookup;

struct ap_resolver_config {
	int		 family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	const char	*hosts_file;		/* NULL: none */
	char *const	*nameservers;		/* "IP", "IP:PORT", "[v6]:P" */
	int		 nnameservers;		/* 0: /etc/resolv.conf */
	int		 resolution_delay_ms;	/* RFC 8305: 50 */
};

/* Addresses arrive with port 0, only of the configured family.  cb runs
 * from the loop, never inside ap_resolver_start(): zero or more times with
 * new addresses and done false, then once with done true (the last new
 * addresses, if any, and error: 0 when the name had any address, else
 * AP_ERR_NXDOMAIN, AP_ERR_NODATA, AP_ERR_SERVFAIL, AP_ERR_DNS or
 * ETIMEDOUT).  addrs is borrowed for the call. */
typedef void ap_resolver_cb(const struct ap_addr *addrs, size_t n,
		    bool done, int error, void *arg);

/* NULL with a reason in errbuf when a hosts file or nameserver is bad. */
struct ap_resolver *ap_resolver_new(struct event_base *,
		    const struct ap_resolver_config *, char *errbuf,
		    size_t errlen);
void		 ap_resolver_free(struct ap_resolver *);	/* NULL ok */
/* Pin a name to addresses, for every port or (curl's HOST:PORT:ADDR) one
 * port only: a --resolve pin as ap_pin_parse() made it. */
void		 ap_resolver_pin(struct ap_resolver *, const struct ap_pin *);
/* Pins, then the hosts file: the addresses of name filtered by family
 * into l (port 0).  False when neither knows the name. */
/* Whether a --resolve pin covers name on port, one for every port or one
 * for this port only (-n: the only names allowed). */
bool		 ap_resolver_pinned(const struct ap_resolver *,
		    const char *name, uint16_t port);
bool		 ap_resolver_static(struct ap_resolver *, const char *name,
		    struct ap_addrlist *l);
/* As ap_resolver_static(), a pin for name and this very port first. */
bool		 ap_resolver_static_port(struct ap_resolver *,
		    const char *name, uint16_t port, struct ap_addrlist *l);
/* Ask DNS.  NULL with errno only when the DNS client cannot be set up. */
struct ap_lookup *ap_resolver_start(struct ap_resolver *, const char *name,
		    ap_resolver_cb *, void *arg);
void		 ap_resolver_cancel(struct ap_lookup *);  /* NULL ok; no cb */

#endif
