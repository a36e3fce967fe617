/* SPDX-License-Identifier: ISC */
/* check_load.c -- the process-wide load limits (load.c): the -c budget
 * never hands out more than its slots and tells who waited; the --rate
 * pacer keeps one schedule, makes up at most its catch-up after a late
 * timer, and never bursts after an idle gap. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <check.h>

#include "load.h"
#include "testutil.h"

START_TEST(test_budget_slots)
{
	struct ap_budget	b;
	unsigned		i;

	ap_budget_init(&b, 3);
	for (i = 0; i < 3; i++)
		ck_assert(ap_budget_take(&b));
	ck_assert(!ap_budget_take(&b));
	ck_assert_uint_eq(ap_budget_used(&b), 3);
	ck_assert_uint_eq(ap_budget_peak(&b), 3);
	/* Nobody waited: a give wakes nobody. */
	ck_assert_uint_eq(ap_budget_give(&b), 0);
	ck_assert(ap_budget_take(&b));
	ck_assert(!ap_budget_take(&b));
}
END_TEST

START_TEST(test_budget_waiters_woken_once)
{
	struct ap_budget	b;

	ap_budget_init(&b, 1);
	ck_assert(ap_budget_take(&b));
	ck_assert(!ap_budget_take(&b));
	/* Engines 1 and 3 find it full and wait. */
	ck_assert(!ap_budget_wait(&b, 1));
	ck_assert(!ap_budget_wait(&b, 3));
	ck_assert_uint_eq(ap_budget_give(&b), (1u << 1) | (1u << 3));
	/* Told once: the next give wakes nobody. */
	ck_assert(ap_budget_take(&b));
	ck_assert_uint_eq(ap_budget_give(&b), 0);
	/* A slot that came free between the take and the wait is seen. */
	ck_assert(ap_budget_wait(&b, 2));
}
END_TEST

START_TEST(test_budget_zero_is_one)
{
	struct ap_budget	b;

	ap_budget_init(&b, 0);
	ck_assert(ap_budget_take(&b));
	ck_assert(!ap_budget_take(&b));
}
END_TEST

/* Two threads hammer one budget: never more than max at once. */
static struct ap_budget	shared;
static _Atomic unsigned	inside, worst;

static void *
hammer(void *arg)
{
	unsigned	i, now, w;

	(void)arg;
	for (i = 0; i < 200000; i++) {
		if (!ap_budget_take(&shared))
			continue;
		now = ++inside;
		w = worst;
		while (now > w && !atomic_compare_exchange_weak_explicit(
		    &worst, &w, now, memory_order_relaxed,
		    memory_order_relaxed))
			;
		inside--;
		ap_budget_give(&shared);
	}
	return (NULL);
}

START_TEST(test_budget_threads)
{
	pthread_t	t[2];
	int		i;

	ap_budget_init(&shared, 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_le(worst, 2);
	ck_assert_uint_eq(ap_budget_used(&shared), 0);
}
END_TEST

START_TEST(test_pacer_unlimited)
{
	struct ap_pacer	p;

	ap_pacer_init(&p, 0, 10000, 0);
	ck_assert(!ap_pacer_limited(&p));
	ck_assert_int_eq(ap_pacer_take(&p, 0), 0);
	ck_assert_int_eq(ap_pacer_take(&p, 0), 0);
}
END_TEST

START_TEST(test_pacer_schedule)
{
	struct ap_pacer	p;

	/* 10/s from t=1 s: starts at 1.0, 1.1, 1.2 s ... */
	ap_pacer_init(&p, 10, 10000, 1000000);
	ck_assert(ap_pacer_limited(&p));
	ck_assert_int_eq(ap_pacer_take(&p, 1000000), 0);
	ck_assert_int_eq(ap_pacer_take(&p, 1000000), 100000);
	ck_assert_int_eq(ap_pacer_peek(&p, 1050000), 50000);
	ck_assert_int_eq(ap_pacer_take(&p, 1100000), 0);
	ck_assert_int_eq(ap_pacer_peek(&p, 1100000), 100000);
}
END_TEST

START_TEST(test_pacer_catch_up_bounded)
{
	struct ap_pacer	p;
	int		n = 0;

	/* 1000/s (1 ms apart), the timer 30 ms late: at most the 10 ms
	 * catch-up is made up at once, not 30 starts. */
	ap_pacer_init(&p, 1000, 10000, 0);
	ck_assert_int_eq(ap_pacer_take(&p, 0), 0);
	while (ap_pacer_take(&p, 30000) == 0)
		n++;
	ck_assert_int_ge(n, 10);
	ck_assert_int_le(n, 11);
}
END_TEST

START_TEST(test_pacer_no_burst_after_idle)
{
	struct ap_pacer	p;
	int		n = 0;

	/* 100/s, idle for 10 s: still at most the catch-up at once. */
	ap_pacer_init(&p, 100, 10000, 0);
	ck_assert_int_eq(ap_pacer_take(&p, 0), 0);
	while (ap_pacer_take(&p, 10000000) == 0)
		n++;
	ck_assert_int_le(n, 2);
}
END_TEST

START_TEST(test_pacer_fractional_rate)
{
	struct ap_pacer	p;
	int64_t		t = 0;
	int		i;

	/* 3/s: 333,333.3 us apart, kept exact over many starts (the
	 * schedule is held in 1/1024 us, and a timer up to the catch-up
	 * late loses nothing). */
	ap_pacer_init(&p, 3, AP_RATE_CATCHUP_US, 0);
	for (i = 0; i < 3000; i++) {
		int64_t wait = ap_pacer_take(&p, t);

		if (wait > 0) {
			t += wait;
			ck_assert_int_eq(ap_pacer_take(&p, t), 0);
		}
	}
	/* 3000 starts at 3/s: the last at 999.67 s. */
	ck_assert_int_ge(t, 999666000);
	ck_assert_int_le(t, 999668000);
}
END_TEST

static Suite *
load_suite(void)
{
	Suite	*s = suite_create("load");
	TCase	*tc;

	tc = tcase_create("budget");
	tcase_add_test(tc, test_budget_slots);
	tcase_add_test(tc, test_budget_waiters_woken_once);
	tcase_add_test(tc, test_budget_zero_is_one);
	tcase_add_test(tc, test_budget_threads);
	suite_add_tcase(s, tc);
	tc = tcase_create("pacer");
	tcase_add_test(tc, test_pacer_unlimited);
	tcase_add_test(tc, test_pacer_schedule);
	tcase_add_test(tc, test_pacer_catch_up_bounded);
	tcase_add_test(tc, test_pacer_no_burst_after_idle);
	tcase_add_test(tc, test_pacer_fractional_rate);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (ap_check_run(load_suite()));
}
