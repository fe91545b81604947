// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-fsck: check a dm-pcache cache device offline, before activation,
 * and repair what can be proven safe. The checks live in lib/check; this
 * file holds the options and the exit status; report.c the reports.
 *
 * Exit status (as e2fsck, OR-ed): 0 clean, 1 errors corrected, 4 errors
 * left uncorrected, 8 operational error, 16 usage error, 32 cancelled.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsck.h"

static struct {
	int no_modify, preen, yes, force, verbose, verify_data;
	int no_verify_data;
	int quiet, list;
	char *backing_size;
	char *backing;
	char *data_crc;
	char *progress_fd;
	char *module;
	int data_crc_val;		/* parsed --data-crc, -1 without */
	uint64_t backing_size_val;	/* parsed --backing-size, 0 without */
} opt;

static volatile sig_atomic_t cancelled;
/* -C FD with FD > 0: "PHASE DONE TOTAL DEVICE" lines for fsck(8) */
static FILE *progress_out;
static const char *progress_dev;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

static struct poptOption options[] = {
	CLI_OPT_DRY_RUN("no-modify", &opt.no_modify,
			"check only; open read-only (the default)"),
	{ "preen", 'p', POPT_ARG_NONE, &opt.preen, 0,
	  "repair what is safe without asking (-a: the same, as e2fsck)",
	  NULL },
	{ NULL, 'a', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt.preen, 0,
	  "the same as -p", NULL },
	{ "yes", 'y', POPT_ARG_NONE, &opt.yes, 0,
	  "repair everything repairable", NULL },
	CLI_OPT_FORCE(&opt.force, "ignored (the check always runs in full)"),
	CLI_OPT_VERBOSE(&opt.verbose,
			"also print the log usage per segment"),
	CLI_OPT_QUIET(&opt.quiet,
		      "print nothing but errors (exit status only)"),
	CLI_OPT_JSON("machine-readable report on stdout"),
	{ "progress-fd", 'C', POPT_ARG_STRING, &opt.progress_fd, 0,
	  "progress for fsck(8): 0 = progress display, N = lines "
	  "\"PHASE DONE TOTAL DEVICE\" to descriptor N", "FD" },
	{ "backing-size", 0, POPT_ARG_STRING, &opt.backing_size, 0,
	  "backing device size (bytes or k, m, g, t), to bound keys", "SIZE" },
	{ "backing", 0, POPT_ARG_STRING, &opt.backing, 0,
	  "backing device: bound keys by its size, compare the data that "
	  "should already be on it", "DEVICE" },
	{ "no-verify-data", 0, POPT_ARG_NONE, &opt.no_verify_data, 0,
	  "do not verify the data CRC of every key (caches with data_crc; "
	  "the kernel does at activation)", NULL },
	{ "verify-data", 0, POPT_ARG_NONE, &opt.verify_data, 0,
	  "verify the data CRC of every key (the default)", NULL },
	{ "data-crc", 0, POPT_ARG_STRING, &opt.data_crc, 0,
	  "the data_crc option of the table line that will be used",
	  "true|false" },
	{ "module", 0, POPT_ARG_STRING, &opt.module, 0,
	  "whose verdict to give: upstream's kernel module (the default) or "
	  "ours (stricter)", "upstream|ours" },
	{ "list-findings", 0, POPT_ARG_NONE, &opt.list, 0,
	  "print the table of finding codes and exit", NULL },
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	POPT_TABLEEND
};

static int parse_bool(const char *s)
{
	if (!strcmp(s, "true"))
		return 1;
	if (!strcmp(s, "false"))
		return 0;
	cli_usage("--data-crc: '%s' is neither true nor false", s);
}

/* --module: the strictness word of that module (pcache_rules.h). */
static unsigned int parse_module(const char *s)
{
	if (!s || !strcmp(s, "upstream"))
		return 0;
	if (!strcmp(s, "ours"))
		return PCD_STRICT_OURS;
	cli_usage("--module: '%s' is neither upstream nor ours", s);
}

static void progress(void *ctx, const char *phase, uint64_t done,
		     uint64_t total)
{
	static const char *last;
	static unsigned int n;

	(void)ctx;
	if (!progress_out) {
		if (!cli_json)
			cli_progress(phase, done, total ? total : done);
		return;
	}
	if (phase != last) {
		last = phase;
		n++;
	}
	fprintf(progress_out, "%u %llu %llu %s\n", n,
		(unsigned long long)done,
		(unsigned long long)(total ? total : done), progress_dev);
	fflush(progress_out);
}

/* -C FD: 0 shows the display on the terminal, any other FD gets lines. */
static void open_progress_fd(const char *path)
{
	int fd;

	progress_dev = path;	/* first: a usage error below leaks nothing */
	fd = (int)cli_uint_arg("--progress-fd", opt.progress_fd, 0, 1023);
	if (!fd)
		return;
	progress_out = fdopen(fd, "w");
	if (!progress_out)
		cli_usage("--progress-fd: descriptor %d: %s", fd,
			  strerror(errno));
}

/*
 * Open the backing device read-only: its size, and its bytes for C54. The
 * cache device @path given again as the backing one is refused.
 */
static int open_backing(struct pc_check_opts *o, const char *path)
{
	struct pc_err err = { 0 };
	int ret;

	ret = pc_dev_check_distinct(path, opt.backing, &err);
	if (!ret)
		ret = pc_dev_open(opt.backing, 0, &o->backing, &err);
	if (ret) {
		cli_err("%s", err.msg);
		return ret;
	}
	/* The kernel sees the backing device in 512-byte sectors. */
	o->backing_size = pcd_backing_bytes(pc_dev_size(o->backing));
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static struct pc_check_opts make_opts(void)
{
	struct pc_check_opts o = {
		.data_crc = -1,
		.verify_data = !opt.no_verify_data,
		.repair = opt.yes ? PC_REPAIR_ALL :
			  opt.preen ? PC_REPAIR_PREEN : PC_REPAIR_NONE,
		.progress = progress,
		.cancel = &cancelled,
	};

	o.data_crc = opt.data_crc_val;
	o.strict = parse_module(opt.module);
	o.backing_size = opt.backing_size_val;
	return o;
}

static char *parse_args(int argc, const char **argv)
{
	poptContext pc = cli_context(NULL, argc, argv, options,
				     "[OPTION...] DEVICE");
	const char *dev;
	char *path;

	cli_parse(pc, options);
	if (opt.list) {
		fsck_list_findings();
		exit(0);
	}
	if (opt.no_modify + opt.preen + opt.yes > 1)
		cli_usage("only one of the options -n, -p/-a or -y may be given");
	if (opt.verify_data && opt.no_verify_data)
		cli_usage("give --verify-data or --no-verify-data, not both");
	if (opt.backing && opt.backing_size)
		cli_usage("give --backing or --backing-size, not both");
	cli_args(pc, &dev, 1, "DEVICE");
	/* every value is checked before anything is allocated */
	opt.data_crc_val = opt.data_crc ? parse_bool(opt.data_crc) : -1;
	parse_module(opt.module);
	if (opt.backing_size)
		opt.backing_size_val = cli_size_arg("--backing-size",
						    opt.backing_size);
	path = strdup(dev);
	poptFreeContext(pc);
	if (!path) {
		cli_err("out of memory");
		exit(cli_exit(PC_FSCK_ERROR));
	}
	if (opt.progress_fd)
		open_progress_fd(path);
	return path;
}

int main(int argc, const char **argv)
{
	struct pc_check_opts o;
	struct pc_err err = { 0 };
	struct pc_dev *dev = NULL;
	struct pc_check *ck = NULL;
	char *path;
	int ret, code = PC_FSCK_ERROR;

	cli_init("pcache-fsck");
	path = parse_args(argc, argv);
	cli_quiet = opt.quiet;
	o = make_opts();
	if (opt.backing && open_backing(&o, path))
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = pc_dev_open(path, PC_OPEN_EXCL |
			  (o.repair != PC_REPAIR_NONE ? PC_OPEN_RDWR : 0),
			  &dev, &err);
	if (ret) {
		cli_err("%s", err.msg);
		goto out;
	}
	ck = pc_check_new(dev, &o);
	if (!ck) {
		cli_err("%s: out of memory", path);
		goto out;
	}
	ret = pc_check_run(ck);
	cli_progress_done();
	code = pc_check_exit_code(ck, ret);
	if (ret == -ECANCELED)
		cli_err("%s: cancelled; nothing was repaired after the signal",
			path);
	else if (ret < 0 || pc_check_error(ck)->msg[0])
		cli_err("%s", pc_check_error(ck)->msg[0] ?
			pc_check_error(ck)->msg : strerror(-ret));
	if (cli_json) {
		if (fsck_json_report(path, o.repair == PC_REPAIR_ALL ? "repair" :
				o.repair == PC_REPAIR_PREEN ? "preen" : "check",
				ck, code))
			code |= PC_FSCK_ERROR;
	} else if (!opt.quiet) {
		struct fsck_view v = {
			.repairing = o.repair != PC_REPAIR_NONE,
			.verbose = opt.verbose,
		};

		fsck_text_report(path, ck, code, &v);
	}
out:
	pc_check_free(ck);
	pc_dev_close(dev);
	pc_dev_close(o.backing);
	free(path);
	if (progress_out)
		fclose(progress_out);
	return cli_exit(code);
}
