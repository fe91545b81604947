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
	int restore = 0, info = 0, json = 0, force = 0, version = 0;
	struct poptOption table[] = {
		{ "restore", 0, POPT_ARG_NONE, &restore, 0,
		  "restore capture FILE into a sparse image IMAGE", NULL },
		{ "info", 0, POPT_ARG_NONE, &info, 0,
		  "check capture FILE and show what it holds", NULL },
		{ "force", 'f', POPT_ARG_NONE, &force, 0,
		  "overwrite a non-empty FILE (capture) or IMAGE (--restore)",
		  NULL },
		{ "json", 'j', POPT_ARG_NONE, &json, 0,
		  "JSON output (docs/metadump.md)", NULL },
		{ "version", 'V', POPT_ARG_NONE, &version, 0,
		  "print the version", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext pc;
	const char *a, *b;
	int ret;

	cli_init("pcache-metadump");
	pc = poptGetContext(NULL, argc, argv, table, 0);
	poptSetOtherOptionHelp(pc, "DEVICE FILE | --restore FILE IMAGE | "
			       "--info FILE");
	cli_parse(pc, CLI_EXIT_USAGE);
	if (version) {
		cli_print_version();
		poptFreeContext(pc);
		return CLI_EXIT_OK;
	}
	o.json = json;
	o.force = force;
	a = poptGetArg(pc);
	b = poptGetArg(pc);
	if (restore + info > 1 || !a || (info ? b != NULL : !b) ||
	    poptPeekArg(pc)) {
		cli_err("%s", restore + info > 1 ?
			"--restore and --info exclude each other" :
			info ? "--info takes one argument: FILE" :
			restore ? "--restore takes two arguments: FILE IMAGE" :
			"give DEVICE and FILE");
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_tool);
		poptFreeContext(pc);
		return CLI_EXIT_USAGE;
	}
	if (info)
		ret = md_info(a, &o);
	else if (restore)
		ret = md_restore(a, b, &o);
	else
		ret = md_capture(a, b, &o);
	poptFreeContext(pc);
	return ret;
}
