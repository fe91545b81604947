/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal TAP producer for the C unit tests. */
#ifndef PC_TAP_H
#define PC_TAP_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5)))
static inline int tap_ok(int pass, const char *file, int line,
			 const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return pass;
}

#define is_u64(got, want, ...)						\
	do {								\
		unsigned long long g_ = (got), w_ = (want);		\
		if (!ok(g_ == w_, __VA_ARGS__))				\
			printf("#   got 0x%llx, want 0x%llx\n", g_, w_);	\
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
