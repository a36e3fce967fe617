/* SPDX-License-Identifier: ISC */
/* pool.h -- a per-thread cache of freed small blocks, for what a scan
 * allocates and frees once per target: our targets and probes, and
 * libevent's bufferevents (through event_set_mem_functions()).  Each
 * finished target hands its blocks to the next one instead of to malloc,
 * whose slow path these come and go in batches too large for its own
 * per-thread cache.
 *
 * Small blocks come from slabs of one size class and carry no header
 * (a scan's target costs seven of them, libevent's included), so only
 * blocks from this module may be given back to it; a pointer from plain
 * malloc() may be too.  The pool holds at most what was once in use at
 * the same time. */
#ifndef AP_POOL_H
#define AP_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* NULL on exhaustion (errno ENOMEM), as malloc. */
void	*ap_pool_malloc(size_t);
void	*ap_pool_calloc(size_t, size_t);
void	*ap_pool_realloc(void *, size_t);
void	 ap_pool_free(void *);		/* NULL ok */

/* Exit on exhaustion, as xmalloc and friends. */
void	*ap_pool_xmalloc(size_t);
void	*ap_pool_xcalloc(size_t, size_t);
void	*ap_pool_xreallocarray(void *, size_t, size_t);
char	*ap_pool_xstrndup(const char *, size_t);

/* Whether freed blocks are kept: not under AddressSanitizer or
 * valgrind, where each goes back to malloc at once, so their leak checks
 * see every block freed.  Slabs are never given back: the process returns
 * them in one piece at its end, where handing tens of thousands of blocks
 * to free() one by one would take milliseconds. */
bool	 ap_pool_caching(void);

/* Route libevent's allocations through the pool.  Call before any other
 * libevent call: a block libevent took from plain malloc must not come
 * back here. */
void	 ap_pool_use_for_libevent(void);

#endif
