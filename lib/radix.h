/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: a linear-time sort of 64-bit keys with two 32-bit payloads. */
#ifndef PC_RADIX_H
#define PC_RADIX_H

#include <stddef.h>
#include <stdint.h>

struct pc_sortkey {
	uint64_t key;
	uint32_t a, b;
};

/*
 * Sort @n (at most UINT32_MAX) elements of @s by key, stable; @tmp has room
 * for @n. Returns the sorted array (@s or @tmp), or NULL without memory.
 */
struct pc_sortkey *pc_radix_sort(struct pc_sortkey *s, struct pc_sortkey *tmp,
				 size_t n);

#endif
