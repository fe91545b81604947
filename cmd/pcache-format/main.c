// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-format: write a fresh dm-pcache cache on a device.
 *
 * Exit status: 0 formatted (or dry run done), 1 refused or failed, and 1
 * for a usage error too, as mke2fs and mkfs.xfs (see cmd/common/cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static struct fmt_opts opts = { .gc_percent = PCD_GC_PERCENT_DEFAULT };
static char *gc_arg, *segs_arg;

static struct poptOption options[] = {
	{ "data-crc", 'c', POPT_ARG_NONE, &opts.data_crc, 0,
	  "Checksum every cached extent (table line: data_crc true)", NULL },
	{ "gc-percent", 'g', POPT_ARG_STRING, &gc_arg, 0,
	  "Segment use (percent) at which GC starts, 0-90 (default 70)", "N" },
	{ "segments", 's', POPT_ARG_STRING, &segs_arg, 0,
	  "Use N segments of 16 MiB (at least 2) instead of as many as fit",
	  "N" },
	{ "lazy", 'l', POPT_ARG_NONE, &opts.lazy, 0,
	  "Write only the superblock and cache_info; the kernel initialises "
	  "the segments at first activation", NULL },
	CLI_OPT_FORCE(&opts.force,
		      "Overwrite an existing cache or filesystem signature"),
	{ "discard-dirty", 0, POPT_ARG_NONE, &opts.discard_dirty, 0,
	  "With --force: overwrite a cache that still holds dirty data", NULL },
	CLI_OPT_DRY_RUN("dry-run", &opts.dry_run,
			"Print the layout that would be written; write nothing"),
	CLI_OPT_JSON("Print the layout as JSON"),
	CLI_OPT_QUIET(&opts.quiet, "Print nothing but errors"),
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	POPT_TABLEEND
};

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	cli_progress("writing segments", done, total);
}

static void check_options(void)
{
	if (gc_arg)
		opts.gc_percent = (int)cli_uint_arg("--gc-percent", gc_arg, 0,
						    PCD_GC_PERCENT_MAX);
	/* one segment would hold the log and leave no room for data */
	if (segs_arg)
		opts.segments = (long long)cli_uint_arg("--segments", segs_arg,
							2, PCD_SEGS_MAX);
	if (opts.discard_dirty && !opts.force)
		cli_usage("--discard-dirty needs --force");
}

static int format(void)
{
	struct pc_format_opts fo = {
		.data_crc = opts.data_crc, .gc_percent = (uint32_t)opts.gc_percent,
		.seg_num = (uint32_t)opts.segments, .lazy = opts.lazy,
		.progress = progress,
	};
	unsigned int flags = PC_OPEN_EXCL | (opts.dry_run ? 0 : PC_OPEN_RDWR);
	struct pc_err err = { 0 };
	struct pc_layout l;
	struct pc_dev *dev;
	int ret = CLI_EXIT_FAIL;

	if (pc_dev_open(opts.device, flags, &dev, &err)) {
		cli_err("%s", err.msg);
		return CLI_EXIT_FAIL;
	}
	if (pc_format_plan(pc_dev_size(dev), &fo, &l, &err)) {
		cli_err("%s: %s", opts.device, err.msg);
		goto out;
	}
	if (safety_check(dev, &opts))
		goto out;
	dax_warnings(dev);
	if (!opts.dry_run && pc_format_write(dev, &l, &fo, &err)) {
		cli_err("%s", err.msg);
		goto out;
	}
	cli_progress_done();
	report_layout(&opts, &l, !opts.dry_run);
	ret = CLI_EXIT_OK;
out:
	pc_dev_close(dev);
	return ret;
}

int main(int argc, const char **argv)
{
	poptContext pc;
	int ret;

	cli_init("pcache-format");
	cli_usage_code = CLI_EXIT_FAIL;
	pc = cli_context(NULL, argc, argv, options, "[OPTION...] DEVICE");
	cli_parse(pc, options);
	opts.json = cli_json;
	cli_args(pc, &opts.device, 1, "DEVICE");
	cli_quiet = opts.quiet;
	check_options();
	ret = format();
	poptFreeContext(pc);
	free(gc_arg);
	free(segs_arg);
	return cli_exit(ret);
}
