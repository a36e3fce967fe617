/* SPDX-License-Identifier: ISC */
/* addrlist.c -- see addrlist.h.  Lists are short (a name rarely has more
 * than a handful of addresses), so duplicates are found by a linear scan. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "addrlist.h"
#include "line.h"
#include "pool.h"

bool
ap_addr_equal(const struct ap_addr *a, const struct ap_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return (false);
	if (a->u.sa.sa_family == AF_INET)
		return (a->u.sin.sin_port == b->u.sin.sin_port &&
		    a->u.sin.sin_addr.s_addr == b->u.sin.sin_addr.s_addr);
	return (a->u.sin6.sin6_port == b->u.sin6.sin6_port &&
	    a->u.sin6.sin6_scope_id == b->u.sin6.sin6_scope_id &&
	    memcmp(&a->u.sin6.sin6_addr, &b->u.sin6.sin6_addr,
	    sizeof(a->u.sin6.sin6_addr)) == 0);
}

static bool
contains(const struct ap_addr *v, size_t n, const struct ap_addr *a)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ap_addr_equal(&v[i], a))
			return (true);
	return (false);
}

/* How many addresses v has room for, holding n: the inline one, or an
 * array of 4 that doubles as it fills (no count kept: a list is small
 * and made for each target). */
static size_t
capacity(const struct ap_addrlist *l, const struct ap_addr *v, size_t n)
{
	size_t	cap = 4;

	if (v == NULL)
		return (0);
	if (v == &l->first)
		return (1);
	while (cap < n)
		cap *= 2;
	return (cap);
}

bool
ap_addrlist_add(struct ap_addrlist *l, const struct sockaddr *sa,
    socklen_t len)
{
	struct ap_addr	  a;
	struct ap_addr	**v, *grown;
	uint16_t	 *n;
	size_t		  cap;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(&a.u.sin, sa, sizeof(a.u.sin));
		a.len = sizeof(a.u.sin);
		v = &l->v4, n = &l->n4;
	} else if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		memcpy(&a.u.sin6, sa, sizeof(a.u.sin6));
		a.len = sizeof(a.u.sin6);
		v = &l->v6, n = &l->n6;
	} else
		return (false);
	if (*n == UINT16_MAX || contains(*v, *n, &a))
		return (false);
	if (*n == (cap = capacity(l, *v, *n))) {
		if (l->n6 + l->n4 == 0)
			*v = &l->first;
		else if (*v == &l->first) {
			grown = ap_pool_xreallocarray(NULL, 4, sizeof(**v));
			grown[0] = l->first;
			*v = grown;
		} else
			*v = ap_pool_xreallocarray(*v, cap == 0 ? 4 : cap * 2,
			    sizeof(**v));
	}
	(*v)[(*n)++] = a;
	return (true);
}

const struct ap_addr *
ap_addrlist_next(struct ap_addrlist *l)
{
	bool	have6 = l->next6 < l->n6, have4 = l->next4 < l->n4;

	/* Alternate between families, IPv6 first (RFC 8305 4); when one
	 * family runs out, the other goes on alone. */
	if (have6 && (!have4 || l->last_family != AF_INET6)) {
		l->last_family = AF_INET6;
		return (&l->v6[l->next6++]);
	}
	if (have4) {
		l->last_family = AF_INET;
		return (&l->v4[l->next4++]);
	}
	return (NULL);
}

void
ap_addrlist_unget(struct ap_addrlist *l, const struct ap_addr *a)
{
	if (a->u.sa.sa_family == AF_INET6 && l->next6 > 0 &&
	    a == &l->v6[l->next6 - 1]) {
		l->next6--;
		/* Hand the same family out again next time. */
		l->last_family = AF_INET;
	} else if (a->u.sa.sa_family == AF_INET && l->next4 > 0 &&
	    a == &l->v4[l->next4 - 1]) {
		l->next4--;
		l->last_family = AF_INET6;
	}
}

void
ap_addrlist_rewind(struct ap_addrlist *l)
{
	l->next6 = l->next4 = 0;
	l->last_family = 0;
}

size_t
ap_addrlist_handed(const struct ap_addrlist *l)
{
	return (l->next6 + l->next4);
}

size_t
ap_addrlist_count(const struct ap_addrlist *l)
{
	return (l->n6 + l->n4);
}

size_t
ap_addrlist_pending(const struct ap_addrlist *l)
{
	return ((l->n6 - l->next6) + (l->n4 - l->next4));
}

void
ap_addrlist_clear(struct ap_addrlist *l)
{
	if (l->v6 != &l->first)
		ap_pool_free(l->v6);
	if (l->v4 != &l->first)
		ap_pool_free(l->v4);
	memset(l, 0, sizeof(*l));
}

/* Dotted quad by hand: inet_ntop() goes through sprintf(), and this runs
 * once per attempt. */
static void
ntop4(const struct in_addr *in, char *buf, size_t len)
{
	const unsigned char	*b = (const unsigned char *)&in->s_addr;
	char			 tmp[16], *p = tmp;
	int			 i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(p - tmp) > len) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, tmp, (size_t)(p - tmp));
}

void
ap_addr_ntop(const struct ap_addr *a, char *buf, size_t len)
{
	char	 zone[IF_NAMESIZE];
	size_t	 n;

	if (a->u.sa.sa_family == AF_INET) {
		ntop4(&a->u.sin.sin_addr, buf, len);
		return;
	}
	if (inet_ntop(AF_INET6, &a->u.sin6.sin6_addr, buf,
	    (socklen_t)len) == NULL) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	/* A zone as it was written, by name (or number, when it has none
	 * any more), so "fe80::1%eth0" reads back the same. */
	if (a->u.sin6.sin6_scope_id != 0 && (n = strlen(buf)) + 1 < len) {
		if (if_indextoname(a->u.sin6.sin6_scope_id, zone) != NULL)
			snprintf(buf + n, len - n, "%%%s", zone);
		else
			snprintf(buf + n, len - n, "%%%u",
			    (unsigned)a->u.sin6.sin6_scope_id);
	}
}

int
ap_addr_pton(const char *text, uint16_t port, struct ap_addr *a)
{
	char		 buf[64];
	const char	*pct;
	size_t		 len = strlen(text);
	uint32_t	 scope = 0;
	bool		 v6only = false;

	memset(a, 0, sizeof(*a));
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
		v6only = true;
	}
	/* fe80::1%eth0: the zone, then the address alone. */
	if ((pct = memchr(text, '%', len)) != NULL) {
		if (ap_zone_parse(pct + 1, (size_t)(text + len - pct - 1),
		    &scope) == -1)
			return (-1);
		len = (size_t)(pct - text);
		v6only = true;
	}
	if (len >= sizeof(buf))
		return (-1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (!v6only && inet_pton(AF_INET, buf, &a->u.sin.sin_addr) == 1) {
		a->u.sin.sin_family = AF_INET;
		a->len = sizeof(a->u.sin);
	} else if (inet_pton(AF_INET6, buf, &a->u.sin6.sin6_addr) == 1) {
		a->u.sin6.sin6_family = AF_INET6;
		a->u.sin6.sin6_scope_id = scope;
		a->len = sizeof(a->u.sin6);
	} else
		return (-1);
	ap_addr_set_port(a, port);
	return (0);
}

void
ap_addr_from_bytes(struct ap_addr *a, int family, const void *bytes,
    uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		a->u.sin6.sin6_family = AF_INET6;
		memcpy(&a->u.sin6.sin6_addr, bytes, 16);
		a->len = sizeof(a->u.sin6);
	} else {
		a->u.sin.sin_family = AF_INET;
		memcpy(&a->u.sin.sin_addr, bytes, 4);
		a->len = sizeof(a->u.sin);
	}
	ap_addr_set_port(a, port);
}

void
ap_addr_set_port(struct ap_addr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET6)
		a->u.sin6.sin6_port = htons(port);
	else
		a->u.sin.sin_port = htons(port);
}
