/* SPDX-License-Identifier: ISC */
/* clock.h -- the two clocks asyncprobe reads: monotonic microseconds for
 * every duration and deadline, wall-clock milliseconds for timestamps. */
#ifndef AP_CLOCK_H
#define AP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
ap_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static inline int64_t
ap_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

#endif
