// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library's radix sort against qsort: order, stability, skipped digits. */
#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "tap.h"

static int by_key_then_a(const void *x, const void *y)
{
	const struct pc_sortkey *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->a < q->a ? -1 : p->a > q->a;
}

static uint64_t rnd64(void)
{
	return (uint64_t)rand() << 42 ^ (uint64_t)rand() << 21 ^ (uint64_t)rand();
}

/*
 * @mask picks the key bits that vary, @base the ones that do not; a
 * holds the input position, so a stable sort equals qsort by (key, a).
 */
static void round_of(unsigned int seed, size_t n, uint64_t mask, uint64_t base,
		     const char *what)
{
	struct pc_sortkey *s = malloc((n ? n : 1) * sizeof(*s));
	struct pc_sortkey *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	struct pc_sortkey *want = malloc((n ? n : 1) * sizeof(*want));
	struct pc_sortkey *got;

	srand(seed);
	for (size_t i = 0; i < n; i++)
		s[i] = (struct pc_sortkey){ base | (rnd64() & mask),
					    (uint32_t)i, (uint32_t)rand() };
	memcpy(want, s, n * sizeof(*s));
	qsort(want, n, sizeof(*want), by_key_then_a);
	got = pc_radix_sort(s, tmp, n);
	ok(got && !memcmp(got, want, n * sizeof(*got)),
	   "%s: %zu keys sorted, equal keys in input order", what, n);
	free(s);
	free(tmp);
	free(want);
}

int main(void)
{
	round_of(1, 0, ~0ULL, 0, "no keys");
	round_of(2, 1, ~0ULL, 0, "one key");
	round_of(3, 5000, ~0ULL, 0, "all 64 bits");
	round_of(4, 5000, 0xFFFFF000ULL, 0, "4 KiB aligned, 32 bits");
	round_of(5, 5000, 0x7ULL << 61 | 0xE00, 0x5555ULL << 20,
		 "top and middle digits, the rest constant");
	round_of(6, 5000, 0xF, 0, "many equal keys");
	round_of(7, 5000, 0, 0xDEADBEEFCAFEULL, "all keys equal");
	return tap_done();
}
