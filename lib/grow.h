/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: growing arrays, for the library's variable-length lists. */
#ifndef PC_GROW_H
#define PC_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Make room for one more element in *@arr (holding @n of @cap elements of
 * @size bytes), doubling from @first. 0, or -ENOMEM with *@arr untouched.
 */
static inline int pc_grow(void *arr, size_t n, size_t *cap, size_t size,
			  size_t first)
{
	void **p = arr;
	size_t want;
	void *v;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : first;
	if (want > SIZE_MAX / size)
		return -ENOMEM;
	v = realloc(*p, want * size);
	if (!v)
		return -ENOMEM;
	*p = v;
	*cap = want;
	return 0;
}

#endif
