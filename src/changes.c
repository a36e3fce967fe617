/* SPDX-License-Identifier: ISC */
/* changes.c -- see changes.h.  A record is known by its input line, its own
 * host:port (a line may hold several ports or a prefix) and, with -m, its
 * address.  The round being written appends to one table; at its end the
 * table is sorted and becomes the one the next round looks things up in
 * (binary search), and the older one is emptied for reuse.  Keys live in
 * one buffer per table, by offset, so it may grow while a round runs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "text.h"
#include "xmalloc.h"

struct change {
	uint32_t	 hash;
	uint32_t	 status;
	size_t		 key;		/* offset in the table's keys */
};

struct table {
	struct change	*v;
	size_t		 n, cap;
	char		*keys;		/* NUL-terminated, back to back */
	size_t		 klen, kcap;
};

struct ap_changes {
	struct table	 t[2];
	int		 cur;		/* being written; the other: before */
	bool		 per_address;
};

/* The order of a finished table: hash, then key. */
static int
change_cmp(const void *a, const void *b, void *arg)
{
	const struct change	*x = a, *y = b;
	const char		*keys = arg;

	if (x->hash != y->hash)
		return (x->hash < y->hash ? -1 : 1);
	return (strcmp(keys + x->key, keys + y->key));
}

/* The entry of a finished table with that hash and key, or NULL. */
static const struct change *
lookup(const struct table *t, uint32_t hash, const char *key)
{
	size_t	lo = 0, hi = t->n, mid;
	int	d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].hash != hash)
			d = t->v[mid].hash < hash ? -1 : 1;
		else
			d = strcmp(t->keys + t->v[mid].key, key);
		if (d == 0)
			return (&t->v[mid]);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

struct ap_changes *
ap_changes_new(bool per_address)
{
	struct ap_changes	*c = xcalloc(1, sizeof(*c));

	c->per_address = per_address;
	return (c);
}

void
ap_changes_free(struct ap_changes *c)
{
	int	i;

	if (c == NULL)
		return;
	for (i = 0; i < 2; i++) {
		free(c->t[i].v);
		free(c->t[i].keys);
	}
	free(c);
}

/* "FILE:LINE\thost:port[\tip]" into the table's keys; its offset. */
static size_t
key_add(struct table *t, const struct ap_changes *c, const struct ap_result *r)
{
	const char	*ip = c->per_address ? r->ip : "";
	size_t		 need, off = t->klen;

	need = (size_t)snprintf(NULL, 0, "%s:%lu\t%s:%u\t%s", r->file,
	    r->line, r->host, r->port, ip) + 1;
	if (t->kcap - t->klen < need) {
		while (t->kcap - t->klen < need)
			t->kcap = t->kcap == 0 ? 4096 : t->kcap * 2;
		t->keys = xreallocarray(t->keys, t->kcap, 1);
	}
	snprintf(t->keys + off, need, "%s:%lu\t%s:%u\t%s", r->file, r->line,
	    r->host, r->port, ip);
	t->klen += need;
	return (off);
}

bool
ap_changes_note(struct ap_changes *c, const struct ap_result *r)
{
	struct table		*t = &c->t[c->cur];
	const struct change	*found;
	struct change		 one;
	const char		*key;

	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 256 : t->cap * 2;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	one.key = key_add(t, c, r);
	key = t->keys + one.key;
	one.hash = ap_fnv1a(key, strlen(key), false);
	one.status = (uint32_t)r->status;
	t->v[t->n++] = one;
	found = lookup(&c->t[!c->cur], one.hash, key);
	return (found == NULL || found->status != one.status);
}

void
ap_changes_next_round(struct ap_changes *c)
{
	struct table	*t = &c->t[c->cur];

	qsort_r(t->v, t->n, sizeof(*t->v), change_cmp, t->keys);
	c->cur = !c->cur;
	c->t[c->cur].n = 0;
	c->t[c->cur].klen = 0;
}
