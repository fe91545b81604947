// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for tests: truncate a file at a chosen moment of a
 * tool's run, as a device that shrinks (or a file truncated by someone
 * else) would do to a tool that has it open and mapped.
 *
 *   SHRINK_PATH  the file (as /proc/self/fd/N names it)
 *   SHRINK_SIZE  its new size in bytes
 *   SHRINK_AT    mmap:    right after that file is mapped
 *                pwritev: before the first pwritev() of the process
 *
 * Once per process.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd_names.h"

static int names_target(int fd)
{
	return fd_names(fd, getenv("SHRINK_PATH"));
}

static int at(const char *when)
{
	const char *s = getenv("SHRINK_AT");

	return s && !strcmp(s, when);
}

static void shrink(void)
{
	static int done;
	const char *size = getenv("SHRINK_SIZE");

	if (done++ || !size)
		return;
	if (truncate(getenv("SHRINK_PATH"), strtoll(size, NULL, 0)))
		perror("shrink: truncate");
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *(*real)(void *, size_t, int, int, int, off_t) =
		(void *(*)(void *, size_t, int, int, int, off_t))
		dlsym(RTLD_NEXT, "mmap");
	void *p = real(addr, len, prot, flags, fd, off);

	if (p != MAP_FAILED && at("mmap") && names_target(fd))
		shrink();
	return p;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t (*real)(int, const struct iovec *, int, off_t) =
		(ssize_t (*)(int, const struct iovec *, int, off_t))
		dlsym(RTLD_NEXT, "pwritev");

	if (at("pwritev"))
		shrink();
	return real(fd, iov, cnt, off);
}
