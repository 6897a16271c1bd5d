/* SPDX-License-Identifier: MIT */
/* LeakSanitizer reports a leak but lets a Criterion test pass; this aborts
 * the teardown instead. Use as (part of) a suite's .fini (a no-op without
 * ASan). Criterion reports an abort in a .fini only as a warning ("crashed
 * during its setup or teardown") and counts the test as passed, so
 * scripts/test-summary.sh fails the test run on that warning. */
#ifndef CANDYVEND_TEST_LEAK_CHECK_H
#define CANDYVEND_TEST_LEAK_CHECK_H

#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define CV_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CV_TEST_LSAN 1
#endif
#endif

#ifdef CV_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static inline void cv_test_leak_check(void)
{
#ifdef CV_TEST_LSAN
	if (__lsan_do_recoverable_leak_check() != 0)
		abort();
#endif
}

#endif
