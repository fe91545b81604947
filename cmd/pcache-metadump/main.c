// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-metadump: a metadata-only capture of a dm-pcache cache device,
 * for bug reports, and its restore into a sparse image.
 *
 *   pcache-metadump [--json] DEVICE FILE
 *   pcache-metadump --restore [--force] FILE IMAGE
 *   pcache-metadump --info [--json] FILE
 */
#include <stdlib.h>
#include <string.h>

#include "metadump.h"

int main(int argc, const char **argv)
{
	struct md_opts o = { 0 };
	int restore = 0, info = 0, force = 0;
	struct poptOption table[] = {
		{ "restore", 0, POPT_ARG_NONE, &restore, 0,
		  "restore capture FILE into a sparse image IMAGE", NULL },
		{ "info", 0, POPT_ARG_NONE, &info, 0,
		  "check capture FILE and show what it holds", NULL },
		CLI_OPT_FORCE(&force, "overwrite a non-empty FILE (capture) or "
			      "IMAGE (--restore)"),
		CLI_OPT_JSON("JSON output (docs/metadump.md)"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	const char *args[2] = { NULL, NULL };
	poptContext pc;
	int ret;

	cli_init("pcache-metadump");
	pc = cli_context(NULL, argc, argv, table, "DEVICE FILE | --restore "
			 "FILE IMAGE | --info FILE");
	cli_parse(pc, table);
	if (restore && info)
		cli_usage("--restore and --info exclude each other");
	cli_args(pc, args, info ? 1 : 2, info ? "FILE" :
		 restore ? "FILE and IMAGE" : "DEVICE and FILE");
	o.json = cli_json;
	o.force = force;
	if (info)
		ret = md_info(args[0], &o);
	else if (restore)
		ret = md_restore(args[0], args[1], &o);
	else
		ret = md_capture(args[0], args[1], &o);
	poptFreeContext(pc);
	return cli_exit(ret);
}
