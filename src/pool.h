/* SPDX-License-Identifier: ISC */
/* pool.h -- a per-thread cache of freed small blocks, for what a scan
 * allocates and frees once per target: our targets and probes, and
 * libevent's bufferevents (through event_set_mem_functions()).  Each
 * finished target hands its blocks to the next one instead of to malloc,
 * whose slow path these come and go in batches too large for its own
 * per-thread cache.
 *
 * Blocks carry a 16-byte header naming their size class, so only blocks
 * from this module may be given back to it.  A cache holds at most what
 * its thread once had in use at the same time, and never more than
 * AP_POOL_KEEP blocks of one class. */
#ifndef AP_POOL_H
#define AP_POOL_H

#include <stdbool.h>
#include <stddef.h>

#define AP_POOL_KEEP	4096

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
 * valgrind, where each goes back to malloc at once. */
bool	 ap_pool_caching(void);

/* Give this thread's cached blocks back to malloc.  asyncprobe does not
 * at the end of a run: its threads end with the process, which returns
 * the memory in one piece, while handing tens of thousands of blocks to
 * free() one by one takes milliseconds (4,000 targets in flight: 4 ms,
 * a tenth of the run's CPU time).  Nothing is cached under ASan or
 * valgrind, so their leak checks see every block freed. */
void	 ap_pool_drain(void);

/* Route libevent's allocations through the pool.  Call before any other
 * libevent call: a block libevent took from plain malloc must not come
 * back here. */
void	 ap_pool_use_for_libevent(void);

#endif
