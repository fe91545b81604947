// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-format: write a fresh dm-pcache cache on a device.
 *
 * Exit status: 0 formatted (or dry run done), 1 refused or failed,
 * 16 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static struct fmt_opts opts = { .gc_percent = PCD_GC_PERCENT_DEFAULT };
static int show_version;

static struct poptOption options[] = {
	{ "data-crc", 'c', POPT_ARG_NONE, &opts.data_crc, 0,
	  "Checksum every cached extent (table line: data_crc true)", NULL },
	{ "gc-percent", 'g', POPT_ARG_INT, &opts.gc_percent, 0,
	  "Segment use (percent) at which GC starts, 0-90 (default 70)", "N" },
	{ "segments", 's', POPT_ARG_LONGLONG, &opts.segments, 0,
	  "Use N segments of 16 MiB instead of as many as fit", "N" },
	{ "lazy", 'l', POPT_ARG_NONE, &opts.lazy, 0,
	  "Write only the superblock and cache_info; the kernel initialises "
	  "the segments at first activation", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opts.force, 0,
	  "Overwrite an existing cache or filesystem signature", NULL },
	{ "discard-dirty", 0, POPT_ARG_NONE, &opts.discard_dirty, 0,
	  "With --force: overwrite a cache that still holds dirty data", NULL },
	{ "dry-run", 'n', POPT_ARG_NONE, &opts.dry_run, 0,
	  "Print the layout that would be written; write nothing", NULL },
	{ "json", 'j', POPT_ARG_NONE, &opts.json, 0,
	  "Print the layout as JSON", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, &opts.quiet, 0,
	  "Print nothing but errors", NULL },
	{ "version", 'V', POPT_ARG_NONE, &show_version, 0,
	  "Print the version and exit", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	cli_progress("writing segments", done, total);
}

static int check_options(void)
{
	if (opts.gc_percent < 0 || opts.gc_percent > (int)PCD_GC_PERCENT_MAX) {
		cli_err("--gc-percent: %d is outside 0-%u", opts.gc_percent,
			PCD_GC_PERCENT_MAX);
		return -1;
	}
	if (opts.segments < 0 || opts.segments > PCD_SEGS_MAX) {
		cli_err("--segments: %lld is outside 1-%u", opts.segments,
			PCD_SEGS_MAX);
		return -1;
	}
	if (opts.discard_dirty && !opts.force) {
		cli_err("--discard-dirty needs --force");
		return -1;
	}
	return 0;
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
	pc = poptGetContext("pcache-format", argc, argv, options, 0);
	poptSetOtherOptionHelp(pc, "[OPTION...] DEVICE");
	cli_parse(pc, CLI_EXIT_USAGE);
	if (show_version) {
		cli_print_version();
		poptFreeContext(pc);
		return CLI_EXIT_OK;
	}
	opts.device = poptGetArg(pc);
	if (!opts.device || poptPeekArg(pc)) {
		cli_err(opts.device ? "too many arguments" :
				      "missing DEVICE argument");
		fprintf(stderr, "Try 'pcache-format --help' for more "
			"information.\n");
		poptFreeContext(pc);
		return CLI_EXIT_USAGE;
	}
	cli_quiet = opts.quiet;
	ret = check_options() ? CLI_EXIT_USAGE : format();
	poptFreeContext(pc);
	return ret;
}
