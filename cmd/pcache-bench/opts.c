// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * opts.c - command line of "pcache-bench io".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <popt.h>

#include "bench.h"

static const char *const rw_names[] = {
	[RW_RANDWRITE] = "randwrite",
	[RW_RANDREAD] = "randread",
	[RW_WRITE] = "write",
	[RW_READ] = "read",
	[RW_RANDRW] = "randrw",
};

const char *rw_name(enum rw_mode rw)
{
	return rw_names[rw];
}

bool rw_writes(enum rw_mode rw)
{
	return rw == RW_RANDWRITE || rw == RW_WRITE || rw == RW_RANDRW;
}

bool rw_random(enum rw_mode rw)
{
	return rw == RW_RANDWRITE || rw == RW_RANDREAD || rw == RW_RANDRW;
}

enum {
	OPT_RW = 1, OPT_BS, OPT_JOBS, OPT_DEPTH, OPT_SIZE, OPT_RUNTIME,
	OPT_FSYNC, OPT_SEED, OPT_MIX, OPT_INTERVAL, OPT_STATUS,
};

static char *arg;

static struct poptOption io_table[] = {
	{ "rw", 'w', POPT_ARG_STRING, &arg, OPT_RW,
	  "workload: randwrite, randread, write, read or randrw (default randwrite)",
	  "MODE" },
	{ "bs", 'b', POPT_ARG_STRING, &arg, OPT_BS,
	  "block size of every I/O (default 4k)", "SIZE" },
	{ "jobs", 0, POPT_ARG_STRING, &arg, OPT_JOBS,
	  "number of threads issuing I/O (default 1)", "N" },
	{ "iodepth", 0, POPT_ARG_STRING, &arg, OPT_DEPTH,
	  "I/Os in flight per job; > 1 uses Linux native AIO (default 1)", "N" },
	{ "size", 's', POPT_ARG_STRING, &arg, OPT_SIZE,
	  "region of the device to use, from offset 0 (default: all of it)",
	  "SIZE" },
	{ "runtime", 't', POPT_ARG_STRING, &arg, OPT_RUNTIME,
	  "run for this long (default 10s unless --size is given)", "SECONDS" },
	{ "direct", 'd', POPT_ARG_NONE, NULL, 'd',
	  "open with O_DIRECT (bypass the page cache)", NULL },
	{ "fsync-every", 0, POPT_ARG_STRING, &arg, OPT_FSYNC,
	  "fsync after every N writes of a job (default 0: never)", "N" },
	{ "seed", 0, POPT_ARG_STRING, &arg, OPT_SEED,
	  "seed of the offset and data generator (default 1)", "N" },
	{ "rwmixread", 0, POPT_ARG_STRING, &arg, OPT_MIX,
	  "percentage of reads in randrw (default 50)", "PCT" },
	{ "interval", 0, POPT_ARG_STRING, &arg, OPT_INTERVAL,
	  "dm-pcache status sample interval (default 1s)", "SECONDS" },
	{ "status-from", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN, &arg,
	  OPT_STATUS, "read dm-pcache status lines from FILE (for tests)",
	  "FILE" },
	{ "force", 'f', POPT_ARG_NONE, NULL, 'f',
	  "write even if the device holds a filesystem or is in use", NULL },
	{ "json", 'j', POPT_ARG_NONE, NULL, 'J',
	  "print results as JSON (-J: the same, the old spelling)", NULL },
	{ NULL, 'J', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL, 'J',
	  "print results as JSON", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, 'Q',
	  "no progress line", NULL },
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	POPT_TABLEEND
};

static int parse_uint(const char *s, unsigned int lo, unsigned int hi,
		      unsigned int *out)
{
	uint64_t v;

	if (parse_size(s, &v) || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_rw(const char *s, enum rw_mode *rw)
{
	unsigned int i;

	for (i = 0; i < sizeof(rw_names) / sizeof(rw_names[0]); i++) {
		if (!strcmp(s, rw_names[i])) {
			*rw = (enum rw_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void io_defaults(struct io_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rw = RW_RANDWRITE;
	o->bs = 4096;
	o->jobs = 1;
	o->iodepth = 1;
	o->seed = 1;
	o->rwmixread = 50;
	o->interval = 1.0;
	o->runtime = -1;
}

/* Returns 0, or -EINVAL after printing which value is wrong. */
static int io_handle(int rc, struct io_opts *o)
{
	const char *what = NULL;
	int bad = 0;

	switch (rc) {
	case OPT_RW: bad = parse_rw(arg, &o->rw); what = "--rw"; break;
	case OPT_BS: bad = parse_size(arg, &o->bs) || !o->bs || o->bs > (64ULL << 20);
		what = "--bs"; break;
	case OPT_JOBS: bad = parse_uint(arg, 1, 1024, &o->jobs); what = "--jobs"; break;
	case OPT_DEPTH: bad = parse_uint(arg, 1, 4096, &o->iodepth); what = "--iodepth"; break;
	case OPT_SIZE: bad = parse_size(arg, &o->size) || !o->size; what = "--size"; break;
	case OPT_RUNTIME: bad = parse_seconds(arg, &o->runtime); what = "--runtime"; break;
	case OPT_FSYNC: bad = parse_uint(arg, 0, UINT32_MAX, &o->fsync_every);
		what = "--fsync-every"; break;
	case OPT_SEED: bad = parse_size(arg, &o->seed); what = "--seed"; break;
	case OPT_MIX: bad = parse_uint(arg, 0, 100, &o->rwmixread); what = "--rwmixread"; break;
	case OPT_INTERVAL: bad = parse_seconds(arg, &o->interval) || o->interval < 0.01;
		what = "--interval"; break;
	case OPT_STATUS: o->status_from = strdup(arg); break;
	case 'd': o->direct = true; break;
	case 'f': o->force = true; break;
	case 'J': o->json = true; cli_json = 1; break;
	case 'Q': o->quiet = true; break;
	default: break;
	}
	if (bad) {
		bench_err("%s: invalid value '%s'", what, arg);
		return -EINVAL;
	}
	return 0;
}

static int io_check(struct io_opts *o)
{
	if (o->size && o->size < o->bs) {
		bench_err("--size is smaller than --bs");
		return -EINVAL;
	}
	if (o->runtime < 0)
		o->runtime = o->size ? 0 : 10;
	return 0;
}

static int io_handle_cb(int rc, void *o)
{
	return io_handle(rc, o);
}

/*
 * The option loop of both subcommands (cli_next(): --help, --version and
 * usage errors end the program there): every option goes to @handle, after
 * which the option's string argument (*@argp) is released. 0 when every
 * option was taken, or what @handle returned.
 */
int bench_popt_loop(poptContext ctx, struct poptOption *table, char **argp,
		    int (*handle)(int val, void *o), void *o)
{
	int rc, ret;

	while ((rc = cli_next(ctx, table)) > 0) {
		ret = handle(rc, o);
		free(*argp);
		*argp = NULL;
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Fills *o. Returns 0 to run, 1 when --help/--version was handled (exit 0),
 * or -EINVAL on a usage error (exit 16).
 */
int io_parse_opts(int argc, const char **argv, struct io_opts *o)
{
	const char *dev;
	poptContext ctx;
	int ret = 0;

	io_defaults(o);
	argv[0] = "pcache-bench io";	/* as --help shows it */
	cli_cmd = argv[0];
	ctx = cli_context("pcache-bench io", argc, argv, io_table,
			  "[OPTION...] DEVICE");
	ret = bench_popt_loop(ctx, io_table, &arg, io_handle_cb, o);
	if (ret)
		goto out;
	cli_args(ctx, &dev, 1, "DEVICE");
	o->device = strdup(dev);
	ret = io_check(o);
out:
	poptFreeContext(ctx);
	if (ret) {
		free((char *)o->device);
		free((char *)o->status_from);
		o->device = o->status_from = NULL;
	}
	return ret;
}
