/* SPDX-License-Identifier: ISC */
/* hostlist.h -- "ADDR[,ADDR...]" added to a name in a hosts table, for the
 * hosts suite and fuzz_cli: a table filled from text through the library's
 * own ap_addr_pton() and ap_hosts_add() (the program fills its tables from
 * hosts files and --resolve pins, never from such a list).  Header-only
 * and without Check, so a fuzz harness includes it too. */
#ifndef AP_HOSTLIST_H
#define AP_HOSTLIST_H

#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "hosts.h"
#include "result.h"

/* Each element IPv4 or IPv6, bare or bracketed; empty ones are skipped.
 * -1 with a reason in errbuf when one does not parse (the addresses
 * before it stay added) or there is none. */
static inline int
tu_hosts_add_list(struct ap_hosts *h, const char *name, const char *addrs,
    char *errbuf, size_t errlen)
{
	char		*copy = strdup(addrs), *tok, *save;
	struct ap_addr	 a;
	int		 n = 0;

	if (copy == NULL)
		abort();
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (ap_addr_pton(tok, 0, &a) == -1) {
			ap_set_error(errbuf, errlen, "'%s' is not an IPv4 "
			    "or IPv6 address", tok);
			free(copy);
			return (-1);
		}
		ap_hosts_add(h, name, &a, 1);
		n++;
	}
	free(copy);
	if (n == 0) {
		ap_set_error(errbuf, errlen, "no address given for '%s'",
		    name);
		return (-1);
	}
	return (0);
}

#endif
