// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LSD radix sort on 11-bit digits. A digit that is the same in every
 * element (the low bits of aligned offsets, the high bits of small
 * devices) costs no pass, so sorting the keys of a cache of a few GiB
 * written in 4 KiB blocks takes two passes over the array.
 */
#include <stdlib.h>
#include <string.h>

#include "radix.h"

#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define BUCKETS (1u << DIGIT_BITS)

static unsigned int digit(uint64_t key, unsigned int d)
{
	return (unsigned int)(key >> (d * DIGIT_BITS)) & (BUCKETS - 1);
}

struct pc_sortkey *pc_radix_sort(struct pc_sortkey *s, struct pc_sortkey *tmp,
				 size_t n)
{
	uint32_t (*cnt)[BUCKETS];

	if (n > UINT32_MAX)
		return NULL;
	cnt = calloc(DIGITS, sizeof(*cnt));
	if (!cnt)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (unsigned int d = 0; d < DIGITS; d++)
			cnt[d][digit(s[i].key, d)]++;
	for (unsigned int d = 0; d < DIGITS && n; d++) {
		uint32_t sum = 0;
		struct pc_sortkey *t;

		if (cnt[d][digit(s[0].key, d)] == n)
			continue;
		for (unsigned int b = 0; b < BUCKETS; b++) {
			uint32_t c = cnt[d][b];

			cnt[d][b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[d][digit(s[i].key, d)]++] = s[i];
		t = s;
		s = tmp;
		tmp = t;
	}
	free(cnt);
	return s;
}
