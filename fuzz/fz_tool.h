/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_tool.h - run a whole command's main() (compiled with -Dmain=NAME, see
 * fuzz/build.mk) on a fuzz input, with its stdout thrown away so that the
 * corpus replay's TAP stream stays clean. stderr is kept: the sanitizers
 * report there.
 */
#ifndef PC_FZ_TOOL_H
#define PC_FZ_TOOL_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define FZ_ARGS_MAX	24

struct fz_argv {
	int argc;
	char *argv[FZ_ARGS_MAX + 1];
};

static inline void fz_arg(struct fz_argv *a, char *s)
{
	if (a->argc < FZ_ARGS_MAX) {
		a->argv[a->argc++] = s;
		a->argv[a->argc] = NULL;
	}
}

static inline int fz_run_quiet(int (*tool_main)(int, char **),
			       struct fz_argv *a)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int saved, rc;

	fflush(stdout);
	saved = dup(1);
	if (null >= 0)
		dup2(null, 1);
	rc = tool_main(a->argc, a->argv);
	fflush(stdout);
	clearerr(stdout);
	if (saved >= 0) {
		dup2(saved, 1);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return rc;
}

#endif
