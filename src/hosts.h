/* SPDX-License-Identifier: ISC */
/* hosts.h -- static name tables: a hosts(5) file and --resolve pins.  Names
 * compare without regard to case.  No libevent, no DNS. */
#ifndef AP_HOSTS_H
#define AP_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "addrlist.h"

struct ap_hosts;

/* A name's hash, blind to case (FNV-1a): for every table keyed by name. */
uint32_t	 ap_name_hash(const char *);

struct ap_hosts	*ap_hosts_new(void);
void		 ap_hosts_free(struct ap_hosts *);	/* NULL ok */
/* Read a hosts(5) file: "ADDR NAME [ALIAS...]", '#' comments; lines that
 * do not parse are skipped, as the C library does.  -1 with errno when
 * the file cannot be read. */
int		 ap_hosts_load(struct ap_hosts *, const char *path);
/* One --resolve pin, parsed once (by the command line). */
struct ap_pin {
	char		*host;			/* as written */
	uint16_t	 port;			/* 0: every port */
	struct ap_addr	*addrs;			/* port 0, as written */
	size_t		 naddrs;		/* >= 1 */
};
/*
 * The value of --resolve after "HOST:": "ADDR[,ADDR...]", or curl's
 * "PORT:ADDR[,ADDR...]" (a pin for that port only) when the value is not
 * a list of addresses by itself ("80:2001:db8::1" is one IPv6 address:
 * bracket it, "80:[2001:db8::1]").  Addresses bare or bracketed, IPv6
 * with a zone.  Fills pin's port (0 for the first form) and addresses,
 * not its host; -1 with a reason in errbuf, and then nothing to free.
 */
int		 ap_pin_parse(const char *value, struct ap_pin *pin,
		    char *errbuf, size_t errlen);
void		 ap_pin_free(struct ap_pin *);		/* NULL ok */
/* Add addresses to name (duplicates dropped). */
void		 ap_hosts_add(struct ap_hosts *, const char *name,
		    const struct ap_addr *, size_t n);
/* The addresses of name (port 0) in file order, or NULL with *n = 0. */
const struct ap_addr *ap_hosts_lookup(const struct ap_hosts *,
		    const char *name, size_t *n);

#endif
