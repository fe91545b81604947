// SPDX-License-Identifier: GPL-2.0 OR MIT
/* lib.c - "pcache-bench lib": placeholder until lib/pcache.h exists. */
#include "bench.h"

int cmd_lib(int argc, const char **argv)
{
	(void)argc; (void)argv;
	bench_err("lib: not built yet");
	return EXIT_FAIL;
}
