/* SPDX-License-Identifier: ISC */
/* reorder.h -- --ordered: records finish in any order but leave in input
 * order.  Each input item's finished records (already formatted) wait in
 * a fixed ring until every item before it has left.  The engine reads no
 * item further ahead than the ring holds, so memory stays bounded. */
#ifndef AP_REORDER_H
#define AP_REORDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ap_reorder;

/* window: items that may be outstanding at once (rounded up to a power
 * of two). */
struct ap_reorder *ap_reorder_new(size_t window);
void		 ap_reorder_free(struct ap_reorder *);	/* NULL ok */
/* Whether item seq may be started now (it fits in the window). */
int		 ap_reorder_fits(const struct ap_reorder *, uint64_t seq);
/* Item seq is done; buf (malloc'd, may be NULL for no record) is owned
 * by the ring from now on.  Each seq is put exactly once. */
void		 ap_reorder_put(struct ap_reorder *, uint64_t seq, char *buf,
		    size_t len);
/* Write every record now in order to fp; -1 on a write error. */
int		 ap_reorder_flush(struct ap_reorder *, FILE *fp);

#endif
