// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * create.c - check the media, then ask the kernel for a dm-pcache device.
 *
 * Everything the kernel would refuse, and everything it would accept but
 * silently lose (a device without a superblock is formatted on first use),
 * is found here first, read-only, with the checker behind pcache-fsck, so
 * that the answer comes with finding codes instead of a bare EINVAL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "pcache.h"
#include "pcache_layout.h"
#include "../pcache-format/format.h"

bool pcache_name_valid(const char *name, char *why, size_t len)
{
	size_t i, n = strlen(name);

	if (!n || n > PCACHE_NAME_MAX) {
		snprintf(why, len, "must have 1 to %d characters",
			 PCACHE_NAME_MAX);
		return false;
	}
	if (name[0] == '-' || name[0] == '.') {
		snprintf(why, len, "must not start with '%c'", name[0]);
		return false;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && !strchr("_.-", ch)) {
			snprintf(why, len, "character '%c' is not one of "
				 "A-Z a-z 0-9 _ . -", ch);
			return false;
		}
	}
	return true;
}

/* Same file or block device? (the same device given twice) */
static bool same_device(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) || stat(b, &sb))
		return false;
	if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
		return sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The kernel target reads and writes a pmem cache device through DAX, past
 * the block device's page cache: pages cached by an earlier read of ours
 * may be stale. Drop them before reading the media.
 */
void pcache_flushbufs(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (ioctl(fd, BLKFLSBUF, 0))
		cli_warn("%s: cannot drop cached pages (%s); the check may "
			 "read stale data", path, strerror(errno));
	close(fd);
}

static bool is_block(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISBLK(st.st_mode);
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	cli_progress("formatting", done, total);
}

/* --format: pcache-format's refusals, then its writer. */
static int format_cache(const struct create_req *r, struct pc_dev *dev)
{
	struct pc_format_opts fo = {
		.data_crc = r->data_crc,
		.gc_percent = r->gc_percent < 0 ? PCD_GC_PERCENT_DEFAULT :
						  (uint32_t)r->gc_percent,
		.progress = progress,
	};
	struct fmt_opts safety = {
		.device = r->cache, .force = r->force,
		/* create does not discard dirty data, even with --force */
		.dirty_override = "pcache-format --force --discard-dirty",
	};
	struct pc_err err = { 0 };
	struct pc_layout l;

	if (pc_format_plan(pc_dev_size(dev), &fo, &l, &err)) {
		cli_err("%s: %s", r->cache, err.msg);
		return -1;
	}
	if (safety_check(dev, &safety))
		return -1;
	dax_warnings(dev);
	if (pc_format_write(dev, &l, &fo, &err)) {
		cli_err("%s", err.msg);
		return -1;
	}
	cli_progress_done();
	if (!r->quiet)
		printf("%s: formatted, %u segments, data_crc %s, gc_percent %u\n",
		       r->cache, l.seg_num, fo.data_crc ? "true" : "false",
		       fo.gc_percent);
	fflush(stdout);
	return 0;
}

/* No superblock: the kernel would format it silently on first use. */
static int check_superblock(const struct create_req *r, struct pc_dev *dev)
{
	struct pc_sb sb;

	if (!pc_sb_read(dev, &sb, NULL) && sb.magic == PCD_SB_MAGIC)
		return 0;
	if (r->format)
		return format_cache(r, dev);
	cli_err("%s: no dm-pcache superblock; the kernel would format the "
		"device silently on first use; refusing (--format formats "
		"it first, with pcache-format's checks)", r->cache);
	return -1;
}

static void list_codes(const struct pc_finding *f, size_t n, char *buf,
		       size_t len, const char **first, bool *loss)
{
	size_t i, used = 0;

	buf[0] = '\0';
	*first = NULL;
	*loss = false;
	for (i = 0; i < n && used < len; i++) {
		struct pc_problem p = pc_problem(f[i].code);

		if (p.sev < PC_SEV_LOSS || f[i].repaired)
			continue;
		if (!*first)
			*first = f[i].msg;
		*loss |= p.sev == PC_SEV_LOSS;
		used += snprintf(buf + used, len - used, "%s%s (%s)",
				 used ? ", " : "", p.code, pc_sev_name(p.sev));
	}
}

static const struct pc_finding *find_code(const struct pc_finding *f,
					  size_t n, enum pc_code code)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].code == code)
			return &f[i];
	return NULL;
}

/* The pcache-fsck verdict, read-only: what the kernel refuses or loses. */
/*
 * Some extents the cache says are on the backing device already (clean,
 * or written back) compared with it: the on-media format names no backing
 * device, and a cache put over another disk (renamed devices, a wrong
 * pcachetab line) would write its dirty data back onto that disk.
 */
#define BACKING_SAMPLE 64

static int check_media(const struct create_req *r, struct pc_dev *dev,
		       struct pc_dev *back, uint32_t *gc_media)
{
	struct pc_check_opts co = {
		.backing_size = pc_dev_size(back), .data_crc = r->data_crc,
		.backing = back, .backing_sample = BACKING_SAMPLE,
	};
	const struct pc_check_usage *u;
	const struct pc_finding *f, *f_diff;
	struct pc_check *ck = pc_check_new(dev, &co);
	const char *first;
	char codes[600];
	bool loss;
	size_t n;
	int ret = -1;

	if (!ck || pc_check_run(ck) < 0) {
		cli_err("%s: cannot check the cache: %s", r->cache,
			ck ? pc_check_error(ck)->msg : "out of memory");
		goto out;
	}
	f = pc_check_findings(ck, &n);
	u = pc_check_usage(ck);
	if (find_code(f, n, PCK_INFO_DATA_CRC)) {
		cli_err("%s: formatted with data_crc %s but the table would say "
			"data_crc %s; the kernel refuses the mismatch "
			"(PC-INFO-DATA-CRC); %s", r->cache,
			r->data_crc ? "false" : "true",
			r->data_crc ? "true" : "false",
			r->data_crc ? "leave out --data-crc" : "add --data-crc");
		goto out;
	}
	*gc_media = u->gc_percent;
	f_diff = find_code(f, n, PCK_BACKING_DIFF);
	if (f_diff && !r->force) {
		cli_err("%s: data the cache says is on %s already differs from "
			"it (PC-BACKING-DIFF: %s); is that its backing device? "
			"refusing (--force overrides)", r->cache, r->backing,
			f_diff->msg);
		goto out;
	}
	list_codes(f, n, codes, sizeof(codes), &first, &loss);
	/* activating a cache the kernel accepts but loses data of makes
	 * the loss final: that takes --discard-dirty, as pcache-format does */
	if (loss && !(r->force && r->discard_dirty)) {
		cli_err("%s: the kernel would lose data of this cache: %s: %s; "
			"run pcache-fsck, and pcache-writeback (--salvage) to "
			"rescue it; refusing (--force --discard-dirty overrides)",
			r->cache, codes, first);
		goto out;
	}
	if (codes[0] && !r->force) {
		cli_err("%s: the kernel would refuse this cache or lose data: "
			"%s: %s; run pcache-fsck; refusing (--force overrides)",
			r->cache, codes, first);
		goto out;
	}
	if (codes[0])
		cli_warn("%s: %s: creating anyway (--force%s)", r->cache, codes,
			 loss ? " --discard-dirty" : "");
	ret = 0;
out:
	pc_check_free(ck);
	return ret;
}

/* Open, check (and with --format format) the cache; size the backing. */
static int check_devices(const struct create_req *r, uint64_t *sectors,
			 uint32_t *gc_media)
{
	unsigned int cflags = PC_OPEN_EXCL | (r->format ? PC_OPEN_RDWR : 0);
	struct pc_dev *cache = NULL, *back = NULL;
	struct pc_err err = { 0 };
	uint64_t bsize;
	int ret = -1;

	if (same_device(r->cache, r->backing)) {
		cli_err("%s and %s are the same device; refusing", r->cache,
			r->backing);
		return -1;
	}
	pcache_flushbufs(r->cache);
	/*
	 * Exclusive opens: a mounted or otherwise held device is refused.
	 * The cache device first, and its superblock before the backing
	 * device's size: what is wrong with the cache is the news. --format
	 * writes only once both devices have passed.
	 */
	if (pc_dev_open(r->cache, cflags, &cache, &err) ||
	    pc_dev_open(r->backing, PC_OPEN_EXCL, &back, &err)) {
		cli_err("%s", err.msg);
		goto out;
	}
	if (!r->format && check_superblock(r, cache))
		goto out;
	bsize = pc_dev_size(back);
	if (bsize < PCD_SECTOR_SIZE || bsize % PCD_SECTOR_SIZE) {
		cli_err("%s: size %llu is not a positive multiple of 512 bytes",
			r->backing, (unsigned long long)bsize);
		goto out;
	}
	*sectors = bsize / PCD_SECTOR_SIZE;
	if (r->format && check_superblock(r, cache))
		goto out;
	if (check_media(r, cache, back, gc_media))
		goto out;
	ret = 0;
out:
	pc_dev_close(cache);
	pc_dev_close(back);
	return ret;
}

static int kernel_create(const struct create_req *r, uint64_t sectors)
{
	char params[8400], uuid[160];
	struct dm_dev_info info;

	if (!is_block(r->cache) || !is_block(r->backing)) {
		cli_err("%s: not a block device (the target needs block "
			"devices; losetup an image first)",
			is_block(r->cache) ? r->backing : r->cache);
		return -1;
	}
	if (dm_info_get(r->name, &info)) {
		cli_err("cannot talk to device-mapper (is dm_mod loaded? are "
			"you root?)");
		return -1;
	}
	if (info.exists) {
		cli_err("%s: a device-mapper device of this name exists; "
			"refusing", r->name);
		return -1;
	}
	if (kmod_load_target())
		return -1;
	snprintf(uuid, sizeof(uuid), "%s%s", PCACHE_UUID_PREFIX, r->name);
	/* data_crc always spelt out: the kernel's own table says "crc" */
	snprintf(params, sizeof(params),
		 "%s %s 4 cache_mode writeback data_crc %s", r->cache,
		 r->backing, r->data_crc ? "true" : "false");
	if (dm_create_dev(r->name, uuid, sectors, params)) {
		cli_err("%s: the kernel refused the table '0 %llu pcache %s' "
			"(see dmesg)", r->name, (unsigned long long)sectors,
			params);
		return -1;
	}
	return 0;
}

static int set_gc_after(const char *name, int gc)
{
	struct pc_live lv;
	char msg[32];

	snprintf(msg, sizeof(msg), "gc_percent %d", gc);
	if (dm_message(name, msg) || dm_live_read(name, &lv) ||
	    lv.st.gc_percent != (unsigned int)gc) {
		cli_err("%s: created, but setting gc_percent %d failed", name,
			gc);
		return -1;
	}
	return 0;
}

int pcache_create(const struct create_req *r)
{
	uint32_t gc_media = 0;
	struct pc_live lv;
	uint64_t sectors = 0;
	char why[128];

	if (!pcache_name_valid(r->name, why, sizeof(why))) {
		cli_err("NAME '%s': %s", r->name, why);
		return CLI_EXIT_USAGE;
	}
	if (check_devices(r, &sectors, &gc_media) ||
	    kernel_create(r, sectors))
		return CLI_EXIT_FAIL;
	if (r->gc_percent >= 0 && (uint32_t)r->gc_percent != gc_media &&
	    set_gc_after(r->name, r->gc_percent))
		return CLI_EXIT_FAIL;
	if (r->quiet && !r->json)
		return CLI_EXIT_OK;
	if (dm_live_read(r->name, &lv)) {
		if (r->json) {
			cli_err("%s: created, but its status cannot be read",
				r->name);
			return CLI_EXIT_FAIL;
		}
		printf("created /dev/mapper/%s\n", r->name);
		return CLI_EXIT_OK;
	}
	if (r->json)
		return pcache_print_devices(&lv, 1);
	printf("created /dev/mapper/%s: cache %s, backing %s, %llu sectors, "
	       "%u segments (%u in use), data_crc %s, gc_percent %u\n",
	       r->name, r->cache, r->backing, (unsigned long long)sectors,
	       lv.st.seg_total, lv.st.segs_used, r->data_crc ? "true" : "false",
	       lv.st.gc_percent);
	return CLI_EXIT_OK;
}

int cmd_create(int argc, const char **argv)
{
	static int data_crc, format, force, discard_dirty, quiet;
	static char *gc;
	struct poptOption opts[] = {
		{ "data-crc", 'c', POPT_ARG_NONE, &data_crc, 0,
		  "Table line data_crc true (must match the media)", NULL },
		{ "gc-percent", 'g', POPT_ARG_STRING, &gc, 0,
		  "Set gc_percent (0-90) after creating", "N" },
		{ "format", 0, POPT_ARG_NONE, &format, 0,
		  "Format a device without a superblock first (pcache-format's "
		  "refusals apply)", NULL },
		CLI_OPT_FORCE(&force, "Create although the checker finds what "
			      "the kernel refuses; with --format, overwrite a "
			      "clean cache or a signature"),
		{ "discard-dirty", 0, POPT_ARG_NONE, &discard_dirty, 0,
		  "With --force: create although the kernel would lose dirty "
		  "data of the cache (findings of severity loss)", NULL },
		CLI_OPT_QUIET(&quiet, "Print nothing but errors"),
		CLI_OPT_JSON("Print the new device as pcache status --json "
			     "does (docs/json-pcache.md)"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("create", argc, argv, opts,
				   "[OPTION...] NAME CACHE BACKING");
	const char *a[3];
	struct create_req r = {
		.data_crc = data_crc, .format = format,
		.force = force, .discard_dirty = discard_dirty,
		.quiet = quiet || cli_json, .json = cli_json,
	};
	int ret;

	cli_args(pc, a, 3, "NAME, CACHE or BACKING");
	r.gc_percent = sub_gc_percent(gc);
	if (r.gc_percent == GC_UNSET)
		r.gc_percent = -1;
	r.name = a[0];
	r.cache = a[1];
	r.backing = a[2];
	cli_quiet = r.quiet;
	ret = pcache_create(&r);
	poptFreeContext(pc);
	return cli_exit(ret);
}
