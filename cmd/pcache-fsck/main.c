// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-fsck: check a dm-pcache cache device offline, before activation,
 * and repair what can be proven safe. The checks live in lib/check; this
 * file holds the options, the human and JSON reports and the exit status.
 *
 * Exit status (as e2fsck, OR-ed): 0 clean, 1 errors corrected, 4 errors
 * left uncorrected, 8 operational error, 16 usage error, 32 cancelled.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "pcache.h"

static struct {
	int no_modify, preen, yes, force, verbose, json, verify_data;
	int no_verify_data;
	int version, quiet, list;
	char *backing_size;
	char *backing;
	char *data_crc;
} opt;

static volatile sig_atomic_t cancelled;
static poptContext popt_ctx;	/* freed before a usage error exits */

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

static struct poptOption options[] = {
	{ "no-modify", 'n', POPT_ARG_NONE, &opt.no_modify, 0,
	  "check only; open read-only (the default)", NULL },
	{ "preen", 'p', POPT_ARG_NONE, &opt.preen, 0,
	  "repair what is safe without asking", NULL },
	{ "yes", 'y', POPT_ARG_NONE, &opt.yes, 0,
	  "repair everything repairable", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opt.force, 0,
	  "ignored (the check always runs in full)", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, &opt.verbose, 0,
	  "also print the log usage per segment", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, &opt.quiet, 0,
	  "print nothing but errors (exit status only)", NULL },
	{ "json", 0, POPT_ARG_NONE, &opt.json, 0,
	  "machine-readable report on stdout", NULL },
	{ "backing-size", 0, POPT_ARG_STRING, &opt.backing_size, 0,
	  "backing device size in bytes, to bound keys", "BYTES" },
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
	{ "list-findings", 0, POPT_ARG_NONE, &opt.list, 0,
	  "print the table of finding codes and exit", NULL },
	{ "version", 'V', POPT_ARG_NONE, &opt.version, 0,
	  "print the version and exit", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

static void usage_error(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	cli_err("%s", msg);
	if (popt_ctx)
		poptFreeContext(popt_ctx);
	popt_ctx = NULL;
	fprintf(stderr, "Try '%s --help' for more information.\n", cli_tool);
	exit(PC_FSCK_USAGE);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage_error("--backing-size: '%s' is not a number of bytes", s);
	return v;
}

static int parse_bool(const char *s)
{
	if (!strcmp(s, "true"))
		return 1;
	if (!strcmp(s, "false"))
		return 0;
	usage_error("--data-crc: '%s' is neither true nor false", s);
	return -1;
}

static void progress(void *ctx, const char *phase, uint64_t done,
		     uint64_t total)
{
	(void)ctx;
	if (!opt.json)
		cli_progress(phase, done, total ? total : done);
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

/* ---- text report ------------------------------------------------------ */

static const char *sev_label(enum pc_sev s)
{
	switch (s) {
	case PC_SEV_REJECT:
		return "REJECT";
	case PC_SEV_LOSS:
		return "LOSS";
	case PC_SEV_INCONSISTENT:
		return "INCONSISTENT";
	case PC_SEV_HARMLESS:
		return "harmless";
	case PC_SEV_INFO:
		break;
	}
	return "info";
}

static void text_finding(const struct pc_finding *f, uint64_t more)
{
	struct pc_problem p = pc_problem(f->code);

	printf("%-12s %-22s %s", sev_label(p.sev), p.code, f->structure);
	if (f->slot >= 0)
		printf(" slot %d", f->slot);
	if (f->dev_off >= 0)
		printf(" @%" PRId64, f->dev_off);
	printf(": %s", f->msg);
	if (f->repaired)
		printf(" [repaired]");
	else if (f->refused)
		printf(" [not repaired: it would lose dirty data]");
	else if (p.fix != PC_FIX_NEVER && !f->no_fix && !opt.preen && !opt.yes)
		printf(" [repairable with %s]", p.fix == PC_FIX_PREEN ?
		       "-p or -y" : "-y");
	putchar('\n');
	if (f->n_ranges) {
		printf("%37s affected backing ranges:", "");
		for (unsigned int i = 0; i < f->n_ranges; i++)
			printf(" %" PRIu64 "+%" PRIu64, f->ranges[i].off,
			       f->ranges[i].len);
		if (f->ranges_total > f->n_ranges)
			printf(" (%" PRIu64 " ranges in all)", f->ranges_total);
		putchar('\n');
	}
	if (more)
		printf("%37s ... and %" PRIu64 " more like it\n", "", more);
}

static void text_usage(const struct pc_check_usage *u)
{
	char a[32], b[32], c[32];

	if (!u->loaded)
		return;
	printf("log: key_tail %u:%u, dirty_tail %u:%u, key_head %u:%u (%s)\n",
	       u->key_tail.seg, u->key_tail.off, u->dirty_tail.seg,
	       u->dirty_tail.off, u->key_head.seg, u->key_head.off,
	       u->log_end == PC_END_MAGIC ? "ends cleanly" :
	       pc_walk_end_name(u->log_end));
	printf("     %" PRIu64 " ksets, %" PRIu64 " LAST, %" PRIu64 " keys "
	       "(%" PRIu64 " dirty, %" PRIu64 " clean, %" PRIu64 " stale)\n",
	       u->ksets, u->last_ksets, u->keys, u->dirty_keys, u->clean_keys,
	       u->stale_keys);
	printf("data: %s live after replay, %s dirty, %s clean; %u of %u "
	       "segments in use\n", cli_size(u->live_bytes, a, sizeof(a)),
	       cli_size(u->dirty_bytes, b, sizeof(b)),
	       cli_size(u->clean_bytes, c, sizeof(c)), u->segs_used,
	       u->n_segs);
	if (u->verified_keys)
		printf("data crc: %" PRIu64 " keys, %s verified\n",
		       u->verified_keys,
		       cli_size(u->verified_bytes, a, sizeof(a)));
	else if (u->data_unverified)
		printf("data crc: not verified (--no-verify-data); the kernel's "
		       "data check at activation was not made\n");
	if (u->backing_compared)
		printf("backing: %" PRIu64 " extents, %s compared, %" PRIu64
		       " differ\n", u->backing_extents,
		       cli_size(u->backing_bytes, a, sizeof(a)),
		       u->backing_diffs);
	printf("status after activation: %s\n", u->status_line);
	if (!opt.verbose)
		return;
	printf("key segments:");
	for (uint32_t i = 0; i < u->n_key_segs; i++)
		printf(" %u", u->key_segs[i]);
	printf("\ndata segments (cache id, physical, gen, keys, live bytes):\n");
	for (uint32_t i = 0; i < u->n_data_segs; i++)
		printf("  %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       u->data_segs[i].cache_seg, u->data_segs[i].phys,
		       u->data_segs[i].gen, u->data_segs[i].keys,
		       u->data_segs[i].live_bytes);
}

static const char *verdict(const struct pc_check *ck, int code)
{
	if (code & (PC_FSCK_ERROR | PC_FSCK_CANCELED))
		return "check incomplete";
	if (!pc_check_kernel_accepts(ck))
		return "the kernel would refuse this cache";
	if (code & PC_FSCK_UNCORRECTED)
		return "errors left: the kernel accepts the cache but data is at risk";
	if (pc_check_usage(ck)->data_unverified)
		return code & PC_FSCK_CORRECTED ?
		       "errors corrected; clean as far as checked (data CRCs "
		       "not verified)" :
		       "clean as far as checked (data CRCs not verified)";
	if (code & PC_FSCK_CORRECTED)
		return "errors corrected; the cache is clean";
	return "clean";
}

static void text_report(const char *path, const struct pc_check *ck,
			int code)
{
	size_t n;
	const struct pc_finding *f = pc_check_findings(ck, &n);
	unsigned int shown[PCK__COUNT] = { 0 };

	for (size_t i = 0; i < n; i++) {
		uint64_t more = 0;

		if (++shown[f[i].code] == pc_check_count(ck, f[i].code) ||
		    shown[f[i].code] == 16)
			more = pc_check_count(ck, f[i].code) - shown[f[i].code];
		if (pc_problem(f[i].code).sev >= PC_SEV_HARMLESS ||
		    f[i].code >= PCK_FIX_SLOT || opt.verbose ||
		    f[i].code == PCK_DIRTY_DATA)
			text_finding(&f[i], more);
	}
	text_usage(pc_check_usage(ck));
	printf("%s: %s (%zu findings, %u repaired, exit %d)\n", path,
	       verdict(ck, code), n, pc_check_repairs(ck), code);
}

/* ---- JSON report ------------------------------------------------------ */

static struct json_object *jint_or_null(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static struct json_object *jfinding(const struct pc_check *ck,
				    const struct pc_finding *f)
{
	struct pc_problem p = pc_problem(f->code);
	struct json_object *o = json_object_new_object();
	struct json_object *r = json_object_new_array();

	json_object_object_add(o, "code", json_object_new_string(p.code));
	json_object_object_add(o, "check", json_object_new_string(p.check));
	json_object_object_add(o, "severity",
			       json_object_new_string(pc_sev_name(p.sev)));
	json_object_object_add(o, "impact",
			       json_object_new_string(pc_sev_impact(p.sev)));
	json_object_object_add(o, "structure",
			       json_object_new_string(f->structure));
	json_object_object_add(o, "slot", jint_or_null(f->slot));
	json_object_object_add(o, "cache_seg", jint_or_null(f->cache_seg));
	json_object_object_add(o, "phys_seg", jint_or_null(f->phys_seg));
	json_object_object_add(o, "dev_offset", jint_or_null(f->dev_off));
	json_object_object_add(o, "message", json_object_new_string(f->msg));
	json_object_object_add(o, "repairable",
			       json_object_new_boolean(p.fix != PC_FIX_NEVER &&
						       !f->no_fix));
	json_object_object_add(o, "repaired",
			       json_object_new_boolean(f->repaired));
	json_object_object_add(o, "refused",
			       json_object_new_boolean(f->refused));
	for (unsigned int i = 0; i < f->n_ranges; i++) {
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "offset",
				       cli_json_u64(f->ranges[i].off));
		json_object_object_add(x, "length",
				       cli_json_u64(f->ranges[i].len));
		json_object_array_add(r, x);
	}
	json_object_object_add(o, "ranges", r);
	json_object_object_add(o, "ranges_total",
			       cli_json_u64(f->ranges_total));
	(void)ck;
	return o;
}

static struct json_object *jusage(const struct pc_check_usage *u)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ks = json_object_new_array();
	struct json_object *ds = json_object_new_array();

	json_object_object_add(o, "loaded", json_object_new_boolean(u->loaded));
	json_object_object_add(o, "device_size", cli_json_u64(u->dev_size));
	json_object_object_add(o, "seg_num", cli_json_u64(u->seg_num));
	json_object_object_add(o, "seg_fit", cli_json_u64(u->seg_fit));
	json_object_object_add(o, "n_segs", cli_json_u64(u->n_segs));
	json_object_object_add(o, "info_flags", cli_json_u64(u->info_flags));
	json_object_object_add(o, "gc_percent", cli_json_u64(u->gc_percent));
	json_object_object_add(o, "data_crc",
			       json_object_new_boolean(u->data_crc));
	json_object_object_add(o, "key_tail", cli_json_pos(u->key_tail));
	json_object_object_add(o, "dirty_tail", cli_json_pos(u->dirty_tail));
	json_object_object_add(o, "key_head", cli_json_pos(u->key_head));
	json_object_object_add(o, "log_end", json_object_new_string(
		u->loaded ? pc_walk_end_name(u->log_end) : "not walked"));
	json_object_object_add(o, "ksets", cli_json_u64(u->ksets));
	json_object_object_add(o, "last_ksets", cli_json_u64(u->last_ksets));
	json_object_object_add(o, "keys", cli_json_u64(u->keys));
	json_object_object_add(o, "dirty_keys", cli_json_u64(u->dirty_keys));
	json_object_object_add(o, "clean_keys", cli_json_u64(u->clean_keys));
	json_object_object_add(o, "stale_keys", cli_json_u64(u->stale_keys));
	json_object_object_add(o, "stale_keys_at_key_tail",
			       cli_json_u64(u->stale_keys_tail));
	json_object_object_add(o, "max_key_end", cli_json_u64(u->max_key_end));
	json_object_object_add(o, "verified_keys",
			       cli_json_u64(u->verified_keys));
	json_object_object_add(o, "verified_bytes",
			       cli_json_u64(u->verified_bytes));
	json_object_object_add(o, "data_check", json_object_new_string(
		!u->data_crc ? "none" : u->data_unverified ? "skipped" :
		"done"));
	json_object_object_add(o, "backing_compared",
			       json_object_new_boolean(u->backing_compared));
	json_object_object_add(o, "backing_extents",
			       cli_json_u64(u->backing_extents));
	json_object_object_add(o, "backing_bytes",
			       cli_json_u64(u->backing_bytes));
	json_object_object_add(o, "backing_diffs",
			       cli_json_u64(u->backing_diffs));
	json_object_object_add(o, "live_bytes", cli_json_u64(u->live_bytes));
	json_object_object_add(o, "dirty_bytes", cli_json_u64(u->dirty_bytes));
	json_object_object_add(o, "dirty_key_bytes",
			       cli_json_u64(u->dirty_key_bytes));
	json_object_object_add(o, "clean_bytes", cli_json_u64(u->clean_bytes));
	json_object_object_add(o, "segs_used", cli_json_u64(u->segs_used));
	for (uint32_t i = 0; i < u->n_key_segs; i++)
		json_object_array_add(ks, cli_json_u64(u->key_segs[i]));
	json_object_object_add(o, "key_segments", ks);
	for (uint32_t i = 0; i < u->n_data_segs; i++) {
		const struct pc_seg_use *s = &u->data_segs[i];
		struct json_object *x = json_object_new_object();

		json_object_object_add(x, "cache_seg", cli_json_u64(s->cache_seg));
		json_object_object_add(x, "phys_seg", cli_json_u64(s->phys));
		json_object_object_add(x, "gen", cli_json_u64(s->gen));
		json_object_object_add(x, "keys", cli_json_u64(s->keys));
		json_object_object_add(x, "live_bytes",
				       cli_json_u64(s->live_bytes));
		json_object_array_add(ds, x);
	}
	json_object_object_add(o, "data_segments", ds);
	json_object_object_add(o, "status_line",
			       json_object_new_string(u->status_line));
	return o;
}

static int json_report(const char *path, const char *mode,
		       const struct pc_check *ck, int code)
{
	struct json_object *doc = cli_json_doc();
	struct json_object *dev = json_object_new_object();
	struct json_object *fs = json_object_new_array();
	struct json_object *sum = json_object_new_object();
	struct json_object *bysev = json_object_new_object();
	struct json_object *counts = json_object_new_object();
	uint64_t sev[PC_SEV_REJECT + 1] = { 0 };
	size_t n;
	const struct pc_finding *f = pc_check_findings(ck, &n);
	int ret;

	json_object_object_add(dev, "path", json_object_new_string(path));
	json_object_object_add(dev, "size",
			       cli_json_u64(pc_check_usage(ck)->dev_size));
	json_object_object_add(dev, "mode", json_object_new_string(mode));
	json_object_object_add(doc, "device", dev);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(fs, jfinding(ck, &f[i]));
	json_object_object_add(doc, "findings", fs);
	for (int c = 0; c < PCK__COUNT; c++) {
		uint64_t k = pc_check_count(ck, c);

		if (!k)
			continue;
		sev[pc_problem(c).sev] += k;
		json_object_object_add(counts, pc_problem(c).code,
				       cli_json_u64(k));
	}
	for (int s = PC_SEV_INFO; s <= PC_SEV_REJECT; s++)
		json_object_object_add(bysev, pc_sev_name(s),
				       cli_json_u64(sev[s]));
	json_object_object_add(sum, "findings", cli_json_u64(n));
	json_object_object_add(sum, "by_severity", bysev);
	json_object_object_add(sum, "by_code", counts);
	json_object_object_add(sum, "repairs",
			       cli_json_u64(pc_check_repairs(ck)));
	json_object_object_add(sum, "unrepaired_errors",
			       cli_json_u64(pc_check_unrepaired(ck)));
	json_object_object_add(sum, "kernel_accepts",
			       json_object_new_boolean(
				       pc_check_kernel_accepts(ck)));
	json_object_object_add(sum, "verdict",
			       json_object_new_string(verdict(ck, code)));
	json_object_object_add(sum, "exit_code", json_object_new_int(code));
	if (pc_check_error(ck)->msg[0])
		json_object_object_add(sum, "error", json_object_new_string(
			pc_check_error(ck)->msg));
	json_object_object_add(doc, "summary", sum);
	json_object_object_add(doc, "usage", jusage(pc_check_usage(ck)));
	ret = cli_json_print(doc);
	json_object_put(doc);
	return ret;
}

/* ---- the findings table ---------------------------------------------- */

static const char *fix_name(enum pc_fix f)
{
	return f == PC_FIX_PREEN ? "preen" : f == PC_FIX_YES ? "yes" : "no";
}

/* One line per code: code, check, severity, repair mode, sentence. */
static void list_findings(void)
{
	for (int c = 0; c < PCK__COUNT; c++) {
		struct pc_problem p = pc_problem(c);

		printf("%s\t%s\t%s\t%s\t%s", p.code, p.check,
		       pc_sev_name(p.sev), fix_name(p.fix), p.what);
		if (p.repair)
			printf(" Repair: %s.", p.repair);
		putchar('\n');
	}
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

	if (opt.data_crc)
		o.data_crc = parse_bool(opt.data_crc);
	if (opt.backing_size)
		o.backing_size = parse_size(opt.backing_size);
	return o;
}

static char *parse_args(int argc, const char **argv)
{
	poptContext pc = poptGetContext(cli_tool, argc, argv, options, 0);
	const char *dev;
	char *path;

	popt_ctx = pc;
	poptSetOtherOptionHelp(pc, "[OPTION...] DEVICE");
	cli_parse(pc, PC_FSCK_USAGE);
	if (opt.version) {
		cli_print_version();
		exit(0);
	}
	if (opt.list) {
		list_findings();
		exit(0);
	}
	if (opt.no_modify + opt.preen + opt.yes > 1)
		usage_error("%s", "only one of the options -n, -p or -y may be "
			    "given");
	if (opt.verify_data && opt.no_verify_data)
		usage_error("%s", "give --verify-data or --no-verify-data, "
			    "not both");
	if (opt.backing && opt.backing_size)
		usage_error("%s", "give --backing or --backing-size, not both");
	dev = poptGetArg(pc);
	if (!dev)
		usage_error("%s", "no DEVICE given");
	if (poptPeekArg(pc)) {
		char extra[128];

		snprintf(extra, sizeof(extra), "%s", poptPeekArg(pc));
		usage_error("unexpected argument '%s'", extra);
	}
	path = strdup(dev);
	poptFreeContext(pc);
	popt_ctx = NULL;
	if (!path) {
		cli_err("out of memory");
		exit(PC_FSCK_ERROR);
	}
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
	if (opt.json) {
		if (json_report(path, o.repair == PC_REPAIR_ALL ? "repair" :
				o.repair == PC_REPAIR_PREEN ? "preen" : "check",
				ck, code))
			code |= PC_FSCK_ERROR;
	} else if (!opt.quiet) {
		text_report(path, ck, code);
	}
out:
	pc_check_free(ck);
	pc_dev_close(dev);
	pc_dev_close(o.backing);
	free(path);
	return code;
}
