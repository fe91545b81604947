// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-writeback: write a dm-pcache cache's dirty data to its backing
 * device without the kernel module, then mark the cache clean exactly as
 * the kernel's writeback would (FORMAT.md 11, 18.2).
 *
 *   pcache-writeback [options] CACHE_DEVICE BACKING_DEVICE
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wb.h"

static void parse_args(int argc, const char **argv, struct wb *w)
{
	int dry_run = 0, json = 0, skip_bad = 0, verbose = 0, quiet = 0;
	int salvage = 0, version = 0, force = 0;
	char *from = NULL;
	struct poptOption table[] = {
		{ "dry-run", 'n', POPT_ARG_NONE, &dry_run, 0,
		  "list what would be written; change nothing", NULL },
		{ "skip-bad", 0, POPT_ARG_NONE, &skip_bad, 0,
		  "write the other extents when some fail their data CRC, "
		  "and report each skipped range", NULL },
		{ "force", 'f', POPT_ARG_NONE, &force, 0,
		  "write even to a backing device that holds dm-pcache "
		  "metadata", NULL },
		{ "salvage", 0, POPT_ARG_NONE, &salvage, 0,
		  "also write back the keys of valid ksets past a damaged "
		  "kset that ends the log (newest wins), then leave an empty "
		  "log the kernel accepts", NULL },
		{ "from", 0, POPT_ARG_STRING, &from, 0,
		  "like --salvage, but the log resumes at this position (as "
		  "pcache-dump shows it); implies --salvage", "SEG:OFF" },
		{ "json", 'j', POPT_ARG_NONE, &json, 0,
		  "JSON report (schema: docs/json-writeback.md)", NULL },
		{ "verbose", 'v', POPT_ARG_NONE, &verbose, 0,
		  "list every extent written", NULL },
		{ "quiet", 'q', POPT_ARG_NONE, &quiet, 0,
		  "no progress display", NULL },
		{ "version", 'V', POPT_ARG_NONE, &version, 0,
		  "print the version", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext pc = poptGetContext(cli_tool, argc, argv, table, 0);
	const char *a, *b, *extra;

	poptSetOtherOptionHelp(pc, "[OPTION...] CACHE_DEVICE BACKING_DEVICE");
	cli_parse(pc, CLI_EXIT_USAGE);
	if (version) {
		cli_print_version();
		poptFreeContext(pc);
		exit(CLI_EXIT_OK);
	}
	a = poptGetArg(pc);
	b = poptGetArg(pc);
	extra = poptGetArg(pc);
	if (!a || !b || extra) {
		if (extra)
			cli_err("unexpected argument '%s'", extra);
		else
			cli_err("need CACHE_DEVICE and BACKING_DEVICE");
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_tool);
		exit(CLI_EXIT_USAGE);
	}
	w->cache_path = strdup(a);
	w->backing_path = strdup(b);
	w->dry_run = dry_run;
	w->json = json;
	w->skip_bad = skip_bad;
	w->force = force;
	w->salvage = salvage || from;
	if (from && cli_parse_pos(from, &w->from)) {
		cli_err("--from: expected SEG:OFF, got '%s'", from);
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_tool);
		exit(CLI_EXIT_USAGE);
	}
	w->from_set = from != NULL;
	free(from);
	w->verbose = verbose;
	cli_quiet = quiet || json;
	poptFreeContext(pc);
}

static int run(struct wb *w)
{
	int ret;

	ret = wb_open(w);
	if (!ret)
		ret = wb_plan(w);
	if (ret)
		return ret;
	if (w->dry_run) {
		w->result = "dry_run";
		return 0;
	}
	ret = wb_copy(w);
	if (!ret)
		ret = w->salvaging ? wb_salvage_finish(w) : wb_finish(w);
	/* a salvage has emptied the log already, skipped keys with it */
	if (!ret && !w->salvaging)
		ret = wb_after_skip(w);
	return ret;
}

int main(int argc, char **argv)
{
	struct wb w = { .result = "refused" };
	int ret;

	cli_init("pcache-writeback");
	parse_args(argc, (const char **)argv, &w);
	ret = run(&w);
	if (ret && !w.error[0])
		wb_refuse(&w, "%s: %s", w.cache_path, strerror(-ret));
	wb_report(&w);
	if (fflush(stdout) && errno != EPIPE && !ret)
		ret = -EIO;
	free(w.items);
	if (w.replayed)
		pc_replay_free(&w.r);
	pc_salvage_free(&w.past);
	pc_cache_free(w.c);
	pc_dev_close(w.dev);
	pc_dev_close(w.bdev);
	free((void *)w.cache_path);
	free((void *)w.backing_path);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
