// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for tests: count the preadv2() calls a tool makes from
 * threads other than its main one, and write the count to the file
 * OFFTHREAD_COUNT at exit. Shows that helper threads did read.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long off_main;

ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off,
		int flags)
{
	ssize_t (*real)(int, const struct iovec *, int, off_t, int) =
		(ssize_t (*)(int, const struct iovec *, int, off_t, int))
		dlsym(RTLD_NEXT, "preadv2");

	if (gettid() != getpid())
		__atomic_add_fetch(&off_main, 1, __ATOMIC_RELAXED);
	return real(fd, iov, cnt, off, flags);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("OFFTHREAD_COUNT");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	fprintf(f, "%lu\n", off_main);
	fclose(f);
}
