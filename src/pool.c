/* SPDX-License-Identifier: ISC */
/* pool.c -- see pool.h.  Blocks up to POOL_MAX bytes are rounded up to a
 * multiple of POOL_STEP and cached on a free list per size class; larger
 * ones go straight to malloc.  The lists are per thread (_Thread_local),
 * so an engine takes and gives back blocks without a lock; a block freed
 * by another thread than the one that made it simply joins that thread's
 * list.
 *
 * Under AddressSanitizer or valgrind every block goes to malloc and back
 * at once, so that a use after free is still caught. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
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

#if defined(__SANITIZE_ADDRESS__)
#define POOL_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_SANITIZED	1
#endif
#endif

/* In front of every block; 16 bytes keep the block as aligned as
 * malloc's. */
struct header {
	size_t		 size;		/* what was asked for */
	size_t		 cls;		/* free list, or POOL_CLASSES */
};

struct free_block {
	struct free_block	*next;
};

struct cache {
	struct free_block	*head[POOL_CLASSES];
	unsigned		 n[POOL_CLASSES];
};

static _Thread_local struct cache cache;

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

static size_t
class_of(size_t size)
{
	size_t	total = size + sizeof(struct header);

	if (total > POOL_MAX)
		return (POOL_CLASSES);
	return ((total - 1) / POOL_STEP);
}

void *
ap_pool_malloc(size_t size)
{
	struct header		*h;
	struct free_block	*b;
	size_t			 cls;

	if (size > SIZE_MAX - POOL_MAX) {
		errno = ENOMEM;
		return (NULL);
	}
	cls = class_of(size);
	if (cls < POOL_CLASSES && (b = cache.head[cls]) != NULL) {
		cache.head[cls] = b->next;
		cache.n[cls]--;
		/* A freed block is cold by the time it comes back: fetch
		 * the next one now, for the next call of this class. */
		if (b->next != NULL)
			__builtin_prefetch(b->next, 1);
		h = (struct header *)b;
	} else {
		h = malloc(cls < POOL_CLASSES ? (cls + 1) * POOL_STEP :
		    size + sizeof(*h));
		if (h == NULL)
			return (NULL);
	}
	h->size = size;
	h->cls = cls;
	return (h + 1);
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

void
ap_pool_free(void *p)
{
	struct header		*h;
	struct free_block	*b;

	if (p == NULL)
		return;
	h = (struct header *)p - 1;
	if (h->cls >= POOL_CLASSES || !ap_pool_caching() ||
	    cache.n[h->cls] >= AP_POOL_KEEP) {
		free(h);
		return;
	}
	b = (struct free_block *)h;
	b->next = cache.head[h->cls];
	cache.head[h->cls] = b;
	cache.n[h->cls]++;
}

void *
ap_pool_realloc(void *p, size_t size)
{
	struct header	*h;
	void		*q;

	if (p == NULL)
		return (ap_pool_malloc(size));
	h = (struct header *)p - 1;
	if (class_of(size) == h->cls && h->cls < POOL_CLASSES) {
		h->size = size;		/* still fits its block */
		return (p);
	}
	if ((q = ap_pool_malloc(size)) == NULL)
		return (NULL);
	memcpy(q, p, h->size < size ? h->size : size);
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
ap_pool_drain(void)
{
	struct free_block	*b;
	size_t			 i;

	for (i = 0; i < POOL_CLASSES; i++) {
		while ((b = cache.head[i]) != NULL) {
			cache.head[i] = b->next;
			free(b);
		}
		cache.n[i] = 0;
	}
}

void
ap_pool_use_for_libevent(void)
{
	event_set_mem_functions(ap_pool_malloc, ap_pool_realloc,
	    ap_pool_free);
}
