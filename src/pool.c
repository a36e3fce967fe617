/* SPDX-License-Identifier: ISC */
/* pool.c -- see pool.h.  Blocks up to POOL_MAX bytes are rounded up to a
 * multiple of POOL_STEP and carved out of 64 KiB slabs, one size class a
 * slab, in a region of address space reserved once (MAP_NORESERVE: only
 * what is touched costs memory).  A block carries no header: its slab's
 * head, found by masking the address, names its class, and an address
 * outside the region is a plain malloc() block (a large one, or the
 * region ran out).  Freed blocks wait on a free list per size class and
 * per thread (_Thread_local), so an engine takes and gives back blocks
 * without a lock; a block freed by another thread than the one that made
 * it simply joins that thread's list.  Slabs are never given back: the
 * pool holds at most what was once in use at the same time.
 *
 * Under AddressSanitizer or valgrind every block goes to malloc and back
 * at once, so that a use after free is still caught. */
#include "config.h"

#include <sys/mman.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include <event2/event.h>

#include "pool.h"
#include "xmalloc.h"

#define POOL_STEP	16
#define POOL_MAX	1024
#define POOL_CLASSES	(POOL_MAX / POOL_STEP)
#define SLAB_SIZE	((uintptr_t)65536)
#define SLAB_HEAD	64		/* the slab's head, cache-line sized */
/* Address space reserved for slabs, tried largest first. */
static const size_t region_sizes[] = {
	(size_t)8 << 30, (size_t)1 << 30, (size_t)128 << 20
};

#if defined(__SANITIZE_ADDRESS__)
#define POOL_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_SANITIZED	1
#endif
#endif

struct slab {
	uint32_t		 cls;
};

struct free_block {
	struct free_block	*next;
};

struct cache {
	struct free_block	*head[POOL_CLASSES];
	char			*bump[POOL_CLASSES];	/* next fresh block */
	char			*end[POOL_CLASSES];	/* of the bump slab */
};

static _Thread_local struct cache cache;

/* The region: [base, top) reserved, [base, next) handed out as slabs. */
static uintptr_t	region_base, region_top;
static atomic_uintptr_t	region_next;
static pthread_once_t	region_once = PTHREAD_ONCE_INIT;

bool
ap_pool_caching(void)
{
#ifdef POOL_SANITIZED
	return (false);
#elif defined(HAVE_VALGRIND_VALGRIND_H)
	return (!RUNNING_ON_VALGRIND);
#else
	return (true);
#endif
}

static void
region_reserve(void)
{
	size_t	i;
	void	*p;

	if (!ap_pool_caching())
		return;
	for (i = 0; i < sizeof(region_sizes) / sizeof(region_sizes[0]); i++) {
		p = mmap(NULL, region_sizes[i] + SLAB_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		/* Slabs sit on SLAB_SIZE boundaries, so masking an address
		 * finds its slab's head. */
		region_base = ((uintptr_t)p + SLAB_SIZE - 1) & ~(SLAB_SIZE - 1);
		region_top = region_base + region_sizes[i];
		atomic_store(&region_next, region_base);
		return;
	}
}

static bool
in_region(const void *p)
{
	return ((uintptr_t)p >= region_base && (uintptr_t)p < region_top);
}

static size_t
class_of(size_t size)
{
	return (size == 0 ? 0 : (size - 1) / POOL_STEP);
}

static size_t
class_size(size_t cls)
{
	return ((cls + 1) * POOL_STEP);
}

/* A fresh slab for this thread's class cls; false when none is left. */
static bool
slab_new(size_t cls)
{
	struct slab	*sl;
	uintptr_t	 at;

	pthread_once(&region_once, region_reserve);
	if (region_base == 0)
		return (false);
	at = atomic_fetch_add(&region_next, SLAB_SIZE);
	if (at + SLAB_SIZE > region_top)
		return (false);
	sl = (struct slab *)at;
	sl->cls = (uint32_t)cls;
	cache.bump[cls] = (char *)at + SLAB_HEAD;
	cache.end[cls] = (char *)at + SLAB_SIZE;
	return (true);
}

void *
ap_pool_malloc(size_t size)
{
	struct free_block	*b;
	size_t			 cls, csize;
	void			*p;

	if (size > PTRDIFF_MAX) {	/* as malloc would say, ASan or not */
		errno = ENOMEM;
		return (NULL);
	}
	if (size > POOL_MAX || !ap_pool_caching())
		return (malloc(size == 0 ? 1 : size));
	cls = class_of(size);
	if ((b = cache.head[cls]) != NULL) {
		cache.head[cls] = b->next;
		/* A freed block is cold by the time it comes back: fetch
		 * the next one now, for the next call of this class. */
		if (b->next != NULL)
			__builtin_prefetch(b->next, 1);
		return (b);
	}
	csize = class_size(cls);
	if ((cache.bump[cls] == NULL ||
	    cache.bump[cls] + csize > cache.end[cls]) && !slab_new(cls))
		return (malloc(size == 0 ? 1 : size));	/* region full */
	p = cache.bump[cls];
	cache.bump[cls] += csize;
	return (p);
}

void *
ap_pool_calloc(size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((p = ap_pool_malloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return (p);
}

static size_t
block_class(const void *p)
{
	return (((const struct slab *)((uintptr_t)p & ~(SLAB_SIZE - 1)))->cls);
}

void
ap_pool_free(void *p)
{
	struct free_block	*b = p;
	size_t			 cls;

	if (p == NULL)
		return;
	if (!in_region(p)) {
		free(p);
		return;
	}
	cls = block_class(p);
	b->next = cache.head[cls];
	cache.head[cls] = b;
}

void *
ap_pool_realloc(void *p, size_t size)
{
	size_t	have;
	void	*q;

	if (p == NULL)
		return (ap_pool_malloc(size));
	if (!in_region(p))
		return (realloc(p, size == 0 ? 1 : size));
	have = class_size(block_class(p));
	if (size <= have && class_of(size) == block_class(p))
		return (p);		/* still fits its block */
	if ((q = ap_pool_malloc(size)) == NULL)
		return (NULL);
	memcpy(q, p, have < size ? have : size);
	ap_pool_free(p);
	return (q);
}

void *
ap_pool_xmalloc(size_t size)
{
	void	*p;

	if ((p = ap_pool_malloc(size)) == NULL)
		xmalloc_fail(size);
	return (p);
}

void *
ap_pool_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = ap_pool_calloc(n, size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

void *
ap_pool_xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fail(SIZE_MAX);
	if ((p = ap_pool_realloc(old, n * size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

char *
ap_pool_xstrndup(const char *s, size_t len)
{
	char	*p;

	len = strnlen(s, len);
	p = ap_pool_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

void
ap_pool_use_for_libevent(void)
{
	event_set_mem_functions(ap_pool_malloc, ap_pool_realloc,
	    ap_pool_free);
}
