// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for tests: a bad sector. Reads (pread, pread64,
 * preadv2) of the file FAIL_PATH (as /proc/self/fd/N names it) that touch
 * bytes [FAIL_OFF, FAIL_OFF + FAIL_LEN) fail with EIO, as a medium error
 * would. Other reads and files are untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd_names.h"

static int bad(int fd, off_t off, size_t len)
{
	const char *o = getenv("FAIL_OFF"), *l = getenv("FAIL_LEN");
	long long from = strtoll(o ? o : "0", NULL, 0);
	long long n = strtoll(l ? l : "512", NULL, 0);

	if (off + (off_t)len <= from || off >= from + n)
		return 0;
	return fd_names(fd, getenv("FAIL_PATH"));
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t (*real)(int, void *, size_t, off_t) =
		(ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");

	if (bad(fd, off, len)) {
		errno = EIO;
		return -1;
	}
	return real(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off,
		int flags)
{
	ssize_t (*real)(int, const struct iovec *, int, off_t, int) =
		(ssize_t (*)(int, const struct iovec *, int, off_t, int))
		dlsym(RTLD_NEXT, "preadv2");
	size_t len = 0;

	for (int i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (bad(fd, off, len)) {
		errno = EIO;
		return -1;
	}
	return real(fd, iov, cnt, off, flags);
}
