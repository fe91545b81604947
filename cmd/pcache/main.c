// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache: manage dm-pcache devices (create, remove, status, list, set,
 * wait, activate, deactivate, is-backing). Run as pcache-generator it is
 * the systemd generator for /etc/pcachetab.
 *
 * Exit status: 0 success, 1 failure or refusal, 16 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcache.h"

struct subcmd {
	const char *name;
	int (*run)(int argc, const char **argv);
	const char *what;
};

static const struct subcmd subcmds[] = {
	{ "create", cmd_create, "create a dm-pcache device" },
	{ "remove", cmd_remove, "drain writeback, then remove a device" },
	{ "status", cmd_status, "decode the status of devices" },
	{ "list", cmd_list, "list dm-pcache devices" },
	{ "set", cmd_set, "change gc_percent of a live device" },
	{ "wait", cmd_wait, "wait until a device is clean" },
	{ "activate", cmd_activate, "create devices listed in pcachetab" },
	{ "deactivate", cmd_deactivate, "remove devices listed in pcachetab" },
	{ "is-backing", cmd_is_backing, "is a device a backing device? (udev)" },
	{ NULL, NULL, NULL },
};

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

poptContext sub_parse(const char *sub, int argc, const char **argv,
		      struct poptOption *opts, const char *args)
{
	static char ctxname[64];
	static const char *args_copy[256];
	poptContext pc;

	/* --help says "Usage: pcache SUB", not "Usage: SUB" */
	snprintf(ctxname, sizeof(ctxname), "pcache %s", sub);
	if (argc > 0 && argc < 256) {
		memcpy(args_copy, argv, (size_t)argc * sizeof(*argv));
		args_copy[0] = ctxname;
		argv = args_copy;
	}
	pc = cli_context(ctxname, argc, argv, opts, args);
	cli_cmd = ctxname;
	cli_parse(pc, opts);
	return pc;
}

const char *sub_name(poptContext pc)
{
	const char *name;

	cli_args(pc, &name, 1, "NAME");
	return name;
}

int sub_gc_percent(const char *arg)
{
	if (!arg)
		return GC_UNSET;
	/* some kernels truncate a larger value to 8 bits without a word */
	return (int)cli_uint_arg("--gc-percent", arg, 0, PCD_GC_PERCENT_MAX);
}

static void top_help(FILE *f)
{
	const struct subcmd *s;

	fprintf(f, "Usage: pcache COMMAND [OPTION...] [ARG...]\n\n"
		"Commands:\n");
	for (s = subcmds; s->name; s++)
		fprintf(f, "  %-11s %s\n", s->name, s->what);
	fprintf(f, "\nOptions:\n"
		"  -V, --version     Print the version and exit\n"
		"  -h, --help        Show this help message\n\n"
		"'pcache COMMAND --help' lists the options of COMMAND.\n");
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int main(int argc, const char **argv)
{
	const struct subcmd *s;

	if (argc > 0 && !strcmp(base(argv[0]), "pcache-generator")) {
		cli_init("pcache-generator");
		return generator_main(argc, argv);
	}
	cli_init("pcache");
	if (argc < 2) {
		cli_err("missing COMMAND");
		top_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		cli_print_version();
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "-?")) {
		top_help(stdout);
		return CLI_EXIT_OK;
	}
	for (s = subcmds; s->name; s++)
		if (!strcmp(argv[1], s->name))
			break;
	if (!s->name) {
		cli_err("unknown command '%s'", argv[1]);
		fprintf(stderr, "Try 'pcache --help' for more information.\n");
		return CLI_EXIT_USAGE;
	}
	{
		static char tool[64];

		snprintf(tool, sizeof(tool), "pcache %s", s->name);
		cli_init(tool);
	}
	dm_setup();
	return s->run(argc - 1, argv + 1);
}
