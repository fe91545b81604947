/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: growing arrays, for the library's variable-length lists. */
#ifndef PC_GROW_H
#define PC_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Ask for transparent huge pages on an array of @bytes at @p once it is
 * large: a first touch then faults 2 MiB at a time, where 4 KiB faults
 * cost more than the work on the keys (a third of a replay). The advice
 * covers whole pages around the array, so a large malloc() block stays
 * one mapping and realloc() can still move it with mremap(). Advice
 * only: failures are ignored.
 */
static inline void pc_huge(void *p, size_t bytes)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a, e;

	if (bytes < (4u << 20) || !pg || (pg & (pg - 1)))
		return;
	a = (uintptr_t)p & ~(pg - 1);
	e = ((uintptr_t)p + bytes + pg - 1) & ~(pg - 1);
	madvise((void *)a, e - a, MADV_HUGEPAGE);
}

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
	pc_huge(v, want * size);
	return 0;
}

#endif
