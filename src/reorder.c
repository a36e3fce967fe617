/* SPDX-License-Identifier: ISC */
/* reorder.c -- see reorder.h. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "reorder.h"
#include "xmalloc.h"

struct slot {
	char		*buf;
	size_t		 len;
	bool		 done;
};

struct ap_reorder {
	struct slot	*slots;
	size_t		 mask;		/* ring size - 1 */
	uint64_t	 next;		/* the item whose records go next */
};

struct ap_reorder *
ap_reorder_new(size_t window)
{
	struct ap_reorder	*r = xcalloc(1, sizeof(*r));
	size_t			 size = 1;

	while (size < window)
		size <<= 1;
	r->slots = xcalloc(size, sizeof(*r->slots));
	r->mask = size - 1;
	return (r);
}

void
ap_reorder_free(struct ap_reorder *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i <= r->mask; i++)
		free(r->slots[i].buf);
	free(r->slots);
	free(r);
}

int
ap_reorder_fits(const struct ap_reorder *r, uint64_t seq)
{
	return (seq - r->next <= r->mask);
}

void
ap_reorder_put(struct ap_reorder *r, uint64_t seq, char *buf, size_t len)
{
	struct slot	*s = &r->slots[seq & r->mask];

	s->buf = buf;
	s->len = len;
	s->done = true;
}

int
ap_reorder_flush(struct ap_reorder *r, FILE *fp)
{
	struct slot	*s;
	int		 rc = 0;

	while ((s = &r->slots[r->next & r->mask])->done) {
		if (rc == 0 && s->len > 0 &&
		    fwrite(s->buf, 1, s->len, fp) != s->len)
			rc = -1;
		free(s->buf);
		s->buf = NULL;
		s->done = false;
		r->next++;
	}
	return (rc);
}
