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
	int dry_run = 0, skip_bad = 0, verbose = 0, quiet = 0;
	int salvage = 0, force = 0;
	char *from = NULL;
	struct poptOption table[] = {
		CLI_OPT_DRY_RUN("dry-run", &dry_run,
				"show what would be written (the extents with "
				"-v); change nothing"),
		{ "skip-bad", 0, POPT_ARG_NONE, &skip_bad, 0,
		  "write the other extents when some fail their data CRC, "
		  "and report each skipped range", NULL },
		CLI_OPT_FORCE(&force, "write even to a backing device that "
			      "holds dm-pcache metadata"),
		{ "salvage", 0, POPT_ARG_NONE, &salvage, 0,
		  "also write back the keys of valid ksets past a damaged "
		  "kset that ends the log (newest wins), then leave an empty "
		  "log the kernel accepts", NULL },
		{ "from", 0, POPT_ARG_STRING, &from, 0,
		  "like --salvage, but the log resumes at this position (as "
		  "pcache-dump shows it); implies --salvage", "SEG:OFF" },
		CLI_OPT_JSON("JSON report (schema: docs/json-writeback.md)"),
		CLI_OPT_VERBOSE(&verbose, "list every extent written"),
		CLI_OPT_QUIET(&quiet, "no progress display"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = cli_context(NULL, argc, argv, table,
				     "[OPTION...] CACHE_DEVICE BACKING_DEVICE");
	const char *args[2];

	cli_parse(pc, table);
	cli_args(pc, args, 2, "CACHE_DEVICE and BACKING_DEVICE");
	if (from && cli_parse_pos(from, &w->from))
		cli_usage("--from: expected SEG:OFF, got '%s'", from);
	w->cache_path = strdup(args[0]);
	w->backing_path = strdup(args[1]);
	w->dry_run = dry_run;
	w->json = cli_json;
	w->skip_bad = skip_bad;
	w->force = force;
	w->salvage = salvage || from;
	w->from_set = from != NULL;
	free(from);
	w->verbose = verbose;
	cli_quiet = quiet || cli_json;
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
	w.exit_code = ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	wb_report(&w);
	if (fflush(stdout) && errno != EPIPE && !ret)
		ret = -EIO;
	wb_map_close(&w);
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
