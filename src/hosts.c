/* SPDX-License-Identifier: ISC */
/* hosts.c -- see hosts.h.  A chained hash table keyed by the lower-cased
 * name; big ad-block hosts files (10^5 lines) load in milliseconds. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "text.h"
#include "xmalloc.h"

struct host_entry {
	struct host_entry	*next;		/* hash chain */
	char			*name;		/* lower case */
	struct ap_addr		*addrs;
	size_t			 naddrs;
};

struct ap_hosts {
	struct host_entry	**buckets;
	size_t			  nbuckets;	/* a power of two */
	size_t			  nentries;
};

uint32_t
ap_name_hash(const char *s)
{
	return (ap_fnv1a(s, strlen(s), true));
}

struct ap_hosts *
ap_hosts_new(void)
{
	struct ap_hosts	*h = xcalloc(1, sizeof(*h));

	h->nbuckets = 64;
	h->buckets = xcalloc(h->nbuckets, sizeof(*h->buckets));
	return (h);
}

void
ap_hosts_free(struct ap_hosts *h)
{
	struct host_entry	*e, *next;
	size_t			 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nbuckets; i++) {
		for (e = h->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e->name);
			free(e->addrs);
			free(e);
		}
	}
	free(h->buckets);
	free(h);
}

static struct host_entry *
find(const struct ap_hosts *h, const char *name)
{
	struct host_entry	*e;

	e = h->buckets[ap_name_hash(name) & (h->nbuckets - 1)];
	for (; e != NULL; e = e->next)
		if (strcasecmp(e->name, name) == 0)
			return (e);
	return (NULL);
}

static void
grow(struct ap_hosts *h)
{
	struct host_entry	**old = h->buckets, *e, *next;
	size_t			  oldn = h->nbuckets, i, b;

	h->nbuckets *= 2;
	h->buckets = xcalloc(h->nbuckets, sizeof(*h->buckets));
	for (i = 0; i < oldn; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			b = ap_name_hash(e->name) & (h->nbuckets - 1);
			e->next = h->buckets[b];
			h->buckets[b] = e;
		}
	}
	free(old);
}

static void
add_addr(struct ap_hosts *h, const char *name, const struct ap_addr *a)
{
	struct host_entry	*e;
	size_t			 i, b;
	char			*p;

	if ((e = find(h, name)) == NULL) {
		if (h->nentries >= h->nbuckets)
			grow(h);
		e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(name);
		for (p = e->name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		b = ap_name_hash(name) & (h->nbuckets - 1);
		e->next = h->buckets[b];
		h->buckets[b] = e;
		h->nentries++;
	}
	for (i = 0; i < e->naddrs; i++)
		if (ap_addr_equal(&e->addrs[i], a))
			return;
	e->addrs = xreallocarray(e->addrs, e->naddrs + 1, sizeof(*e->addrs));
	e->addrs[e->naddrs++] = *a;
}

int
ap_hosts_load(struct ap_hosts *h, const char *path)
{
	FILE		*fp;
	char		*line = NULL, *p, *tok, *save;
	size_t		 cap = 0;
	struct ap_addr	 a;

	if ((fp = fopen(path, "re")) == NULL)
		return (-1);
	while (getline(&line, &cap, fp) != -1) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if ((tok = strtok_r(line, " \t\r\n", &save)) == NULL)
			continue;
		/* A scoped address (fe80::1%eth0) is skipped: inet_pton
		 * rejects it, as it rejects any other junk. */
		if (ap_addr_pton(tok, 0, &a) == -1)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL)
			add_addr(h, tok, &a);
	}
	free(line);
	if (ferror(fp)) {
		fclose(fp);
		errno = EIO;
		return (-1);
	}
	fclose(fp);
	return (0);
}

/* Every element of a comma list is an address: true with them in pin;
 * else the first that is not is named in errbuf and pin is untouched. */
static bool
addr_list_parse(const char *list, struct ap_pin *pin, char *errbuf,
    size_t errlen)
{
	const char	*a, *end;
	char		 one[128];
	struct ap_addr	 addr, *addrs = NULL;
	size_t		 len, n = 0;

	for (a = list; ; a = end + 1) {
		if ((end = strchr(a, ',')) == NULL)
			end = a + strlen(a);
		len = (size_t)(end - a);
		if (len == 0) {
			snprintf(errbuf, errlen, "empty address in the list");
			goto fail;
		}
		snprintf(one, sizeof(one), "%.*s", (int)len, a);
		if (len >= sizeof(one) || ap_addr_pton(one, 0, &addr) == -1) {
			snprintf(errbuf, errlen, "'%s' is not a numeric IPv4 or "
			    "IPv6 address", one);
			goto fail;
		}
		addrs = xreallocarray(addrs, n + 1, sizeof(*addrs));
		addrs[n++] = addr;
		if (*end == '\0')
			break;
	}
	pin->addrs = addrs;
	pin->naddrs = n;
	return (true);
fail:
	free(addrs);
	return (false);
}

int
ap_pin_parse(const char *value, struct ap_pin *pin, char *errbuf,
    size_t errlen)
{
	char		 why[256];
	size_t		 n = strspn(value, "0123456789");
	unsigned long	 v;

	pin->port = 0;
	if (addr_list_parse(value, pin, why, sizeof(why)))
		return (0);
	if (n > 0 && n <= 5 && value[n] == ':') {
		v = strtoul(value, NULL, 10);
		if (v < 1 || v > 65535) {
			snprintf(errbuf, errlen, "port %lu out of range 1-65535",
			    v);
			return (-1);
		}
		if (!addr_list_parse(value + n + 1, pin, errbuf, errlen))
			return (-1);
		pin->port = (uint16_t)v;
		return (0);
	}
	snprintf(errbuf, errlen, "%s", why);
	return (-1);
}

void
ap_pin_free(struct ap_pin *pin)
{
	if (pin == NULL)
		return;
	free(pin->host);
	free(pin->addrs);
}

void
ap_hosts_add(struct ap_hosts *h, const char *name, const struct ap_addr *a,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		add_addr(h, name, &a[i]);
}

const struct ap_addr *
ap_hosts_lookup(const struct ap_hosts *h, const char *name, size_t *n)
{
	struct host_entry	*e;

	if ((e = find(h, name)) == NULL) {
		*n = 0;
		return (NULL);
	}
	*n = e->naddrs;
	return (e->addrs);
}
