/* SPDX-License-Identifier: ISC */
/* check_pool.c -- the per-thread block pool: blocks hold what was asked
 * for, zeroed when asked, survive realloc, come back for the same size
 * class, last freed first (only when caching is on: not under ASan or
 * valgrind), plain malloc() blocks may be given to it, and big blocks
 * bypass the cache. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "pool.h"
#include "testutil.h"

/* Sizes around the class edges and past the largest class. */
static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 496, 1007, 1008,
    1009, 4096, 100000 };

START_TEST(test_malloc_usable)
{
	size_t		 n = sizes[_i];
	unsigned char	*p = ap_pool_malloc(n);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);	/* as malloc's */
	memset(p, 0xa5, n);	/* ASan/valgrind: all n bytes usable */
	ap_pool_free(p);
}
END_TEST

START_TEST(test_calloc_zeroed)
{
	size_t		 n = sizes[_i], i;
	unsigned char	*p;

	/* Dirty a block of the class first, so reuse must clear it. */
	p = ap_pool_malloc(n);
	memset(p, 0xff, n);
	ap_pool_free(p);
	p = ap_pool_calloc(1, n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(p[i], 0);
	ap_pool_free(p);
}
END_TEST

START_TEST(test_calloc_overflow)
{
	ck_assert_ptr_null(ap_pool_calloc(SIZE_MAX / 2, 3));
	ck_assert_ptr_null(ap_pool_malloc(SIZE_MAX - 8));
}
END_TEST

START_TEST(test_realloc_keeps_data)
{
	unsigned char	*p = NULL;
	size_t		 n, i, prev = 0;

	/* Grow through every class and beyond, then shrink. */
	for (n = 1; n <= 3000; n += 37) {
		p = ap_pool_realloc(p, n);
		ck_assert_ptr_nonnull(p);
		for (i = 0; i < prev; i++)
			ck_assert_uint_eq(p[i], (unsigned char)i);
		for (i = prev; i < n; i++)
			p[i] = (unsigned char)i;
		prev = n;
	}
	p = ap_pool_realloc(p, 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(p[i], (unsigned char)i);
	ap_pool_free(p);
	ap_pool_free(NULL);
}
END_TEST

START_TEST(test_reuse_same_class)
{
	void	*a, *b, *c;

	if (!ap_pool_caching())
		return;		/* ASan, valgrind: nothing is kept */
	a = ap_pool_malloc(200);
	ap_pool_free(a);
	b = ap_pool_malloc(195);	/* same 16-byte class */
	ck_assert_ptr_eq(a, b);
	ap_pool_free(b);
	c = ap_pool_malloc(300);	/* another class */
	ck_assert_ptr_ne(c, a);
	ap_pool_free(c);
}
END_TEST

START_TEST(test_big_not_cached)
{
	void	*a, *b;

	if (!ap_pool_caching())
		return;
	a = ap_pool_malloc(1 << 20);
	ap_pool_free(a);
	b = ap_pool_malloc(64);
	ck_assert_ptr_ne(a, b);
	ap_pool_free(b);
}
END_TEST

START_TEST(test_reuse_lifo)
{
	enum { N = 5000 };
	void	**v = calloc(N, sizeof(*v)), **w = calloc(N, sizeof(*w));
	size_t	  i;

	for (i = 0; i < N; i++)
		v[i] = ap_pool_malloc(48);
	for (i = 0; i < N; i++)
		ap_pool_free(v[i]);
	for (i = 0; i < N; i++) {
		w[i] = ap_pool_malloc(48);
		ck_assert_ptr_nonnull(w[i]);
		ck_assert_uint_eq((uintptr_t)w[i] % 16, 0);
		if (ap_pool_caching())
			/* Last freed, first reused: no block lost. */
			ck_assert_ptr_eq(w[i], v[N - 1 - i]);
	}
	for (i = 0; i < N; i++)
		ap_pool_free(w[i]);
	free(v);
	free(w);
}
END_TEST

START_TEST(test_plain_malloc_given_back)
{
	char	*p = malloc(40), *q = malloc(2000);

	ck_assert_ptr_nonnull(p);
	ap_pool_free(p);
	q = ap_pool_realloc(q, 4000);
	ck_assert_ptr_nonnull(q);
	ap_pool_free(q);
}
END_TEST

START_TEST(test_realloc_across_classes)
{
	unsigned char	*p = ap_pool_malloc(20);
	size_t		 i;

	for (i = 0; i < 20; i++)
		p[i] = (unsigned char)(i + 1);
	p = ap_pool_realloc(p, 30);	/* the same 32-byte block */
	p = ap_pool_realloc(p, 900);
	p = ap_pool_realloc(p, 5000);	/* out to malloc */
	p = ap_pool_realloc(p, 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(p[i], i + 1);
	ap_pool_free(p);
}
END_TEST

/* A block freed by another thread joins that thread's cache.
 * valgrind/ASan report a leak if one is lost. */
static void *
free_elsewhere(void *arg)
{
	ap_pool_free(arg);
	return (NULL);
}

START_TEST(test_cross_thread_free)
{
	pthread_t	 t;
	void		*p = ap_pool_xmalloc(100);

	ck_assert_int_eq(pthread_create(&t, NULL, free_elsewhere, p), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	p = ap_pool_xcalloc(2, 50);
	ap_pool_free(p);
}
END_TEST

START_TEST(test_xstrndup)
{
	char	*s = ap_pool_xstrndup("hello, world", 5);

	ck_assert_str_eq(s, "hello");
	ap_pool_free(s);
	s = ap_pool_xstrndup("ab", 10);		/* stops at the NUL */
	ck_assert_str_eq(s, "ab");
	s = ap_pool_xreallocarray(s, 100, 2);
	ck_assert_str_eq(s, "ab");
	ap_pool_free(s);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite	*s = suite_create("pool");
	TCase	*tc;

	tc = tcase_create("blocks");
	tcase_add_loop_test(tc, test_malloc_usable, 0, NELEM(sizes));
	tcase_add_loop_test(tc, test_calloc_zeroed, 0, NELEM(sizes));
	tcase_add_test(tc, test_calloc_overflow);
	tcase_add_test(tc, test_realloc_keeps_data);
	tcase_add_test(tc, test_xstrndup);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_test(tc, test_reuse_same_class);
	tcase_add_test(tc, test_big_not_cached);
	tcase_add_test(tc, test_reuse_lifo);
	tcase_add_test(tc, test_plain_malloc_given_back);
	tcase_add_test(tc, test_realloc_across_classes);
	tcase_add_test(tc, test_cross_thread_free);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(pool_suite()));
}
