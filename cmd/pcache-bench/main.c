// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * main.c - pcache-bench: measure a dm-pcache device and libpcache.
 *
 *   pcache-bench io [OPTION...] DEVICE
 *   pcache-bench lib [OPTION...] [IMAGE]
 */
#include <string.h>

#include "bench.h"

static void usage(FILE *f)
{
	fputs("Usage: pcache-bench COMMAND [OPTION...]\n"
	      "Measure a dm-pcache device and the libpcache library.\n"
	      "\n"
	      "Commands:\n"
	      "  io DEVICE     workload generator for a block device or file:\n"
	      "                IOPS, bandwidth, latency percentiles, dm-pcache status\n"
	      "  lib [IMAGE]   libpcache microbenchmarks (CRC32C, kset append,\n"
	      "                replay, scan, format) on an image\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     show this help (pcache-bench COMMAND --help for more)\n"
	      "  -V, --version  print the version\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 16 usage error.\n", f);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	cli_init(BENCH_NAME);
	install_sigint();	/* Ctrl-C from here on prints what was measured */
	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		cli_print_version();
		return EXIT_OK;
	}
	if (!strcmp(cmd, "io"))
		return cli_exit(cmd_io(argc - 1, (const char **)argv + 1));
	if (!strcmp(cmd, "lib"))
		return cli_exit(cmd_lib(argc - 1, (const char **)argv + 1));
	bench_err("unknown command '%s' (try --help)", cmd);
	return EXIT_USAGE;
}
