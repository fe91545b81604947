/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For the test shims: does descriptor @fd name the file @want? */
#ifndef PRELOAD_FD_NAMES_H
#define PRELOAD_FD_NAMES_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fd_names(int fd, const char *want)
{
	char link[64], path[4096];
	ssize_t n;

	if (!want || fd < 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = 0;
	return !strcmp(path, want);
}

#endif
