// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What pcache-format refuses to destroy: an existing cache (a dirty one
 * needs --discard-dirty on top of --force), and any signature libblkid
 * knows. A device in use is refused at open time (O_EXCL).
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "format.h"

/* Dirty keys in valid ksets past a damaged one that ends the log. */
static bool dirty_past_end(struct pc_cache *c, const struct pc_replay *r,
			   char *what, size_t len)
{
	struct pc_salvage s;
	char sz[32];
	bool dirty;

	if (pc_salvage_scan(c, r, 0, &s)) {
		snprintf(what, len, "a dm-pcache cache whose log could not be "
			 "scanned past its end (%s); it may hold dirty data",
			 s.err.msg);
		pc_salvage_free(&s);
		return true;
	}
	dirty = s.verdict == PC_SALV_TRUNCATED && s.n_dirty;
	if (dirty)
		snprintf(what, len, "a dm-pcache cache whose log ends early at "
			 "%u:%u (%s) while valid ksets past it hold %llu dirty "
			 "keys (%s); formatting would lose them (run "
			 "pcache-writeback --salvage first)", s.end.seg,
			 s.end.off, pc_walk_end_name(s.end_why),
			 (unsigned long long)s.n_dirty,
			 cli_size(s.dirty_bytes, sz, sizeof(sz)));
	pc_salvage_free(&s);
	return dirty;
}

/*
 * 1: clean cache, 2: dirty or unknown, 0: no pcache superblock. @uninit:
 * a superblock without an initialised cache (cache_info lost, or without
 * INIT_DONE).
 */
static int existing_cache(struct pc_dev *dev, char *what, size_t len,
			  bool *uninit)
{
	struct pc_err err = { 0 };
	struct pc_cache *c = NULL;
	struct pc_replay r = { 0 };
	char sz[32];
	struct pc_sb sb;
	int state = 1;

	if (pc_sb_read(dev, &sb, NULL) || sb.magic != PCD_SB_MAGIC)
		return 0;
	if (pc_cache_open(dev, &c, &err) < 0) {
		if (c && c->stage >= PC_STAGE_SB && err.code == -ENOENT) {
			snprintf(what, len, "a dm-pcache superblock without "
				 "an initialised cache");
			*uninit = true;
		} else {
			snprintf(what, len, "a damaged dm-pcache cache whose "
				 "dirty data cannot be accounted for (%s)",
				 err.msg);
			state = 2;
		}
	} else if (pc_replay(c, 0, 0, &r)) {
		snprintf(what, len, "a dm-pcache cache whose log cannot be "
			 "replayed (%s); it may hold dirty data", r.err.msg);
		state = 2;
	} else if (dirty_past_end(c, &r, what, len)) {
		state = 2;
	} else if (r.dirty_bytes) {
		snprintf(what, len, "a dm-pcache cache holding %s of dirty "
			 "data not yet written back (%llu bytes); formatting "
			 "would lose it (run pcache-writeback first)",
			 cli_size(r.dirty_bytes, sz, sizeof(sz)),
			 (unsigned long long)r.dirty_bytes);
		state = 2;
	} else {
		snprintf(what, len, "a clean dm-pcache cache (%u segments, "
			 "%s cached)", c->info.n_segs,
			 cli_size(r.cached_bytes, sz, sizeof(sz)));
	}
	pc_replay_free(&r);
	pc_cache_free(c);
	return state;
}

/* 0 nothing found, 1 found (described in @what), -1 probe failed. */
static int foreign_signature(const char *path, char *what, size_t len)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *type = NULL, *label = NULL, *pttype = NULL;
	int rc;

	if (!pr)
		return -1;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	rc = blkid_do_safeprobe(pr);
	if (rc == 0) {
		blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
		blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
		if (pttype)
			snprintf(what, len, "a %s partition table", pttype);
		else if (label)
			snprintf(what, len, "a %s signature labelled '%s'",
				 type ? type : "?", label);
		else
			snprintf(what, len, "a %s signature", type ? type : "?");
	} else if (rc == -2) {
		snprintf(what, len, "more than one signature");
	}
	blkid_free_probe(pr);
	return rc == 0 || rc == -2 ? 1 : rc == 1 ? 0 : -1;
}

int safety_check(struct pc_dev *dev, const struct fmt_opts *o)
{
	const char *path = pc_dev_path(dev);
	char what[768];
	bool uninit = false;
	int state = existing_cache(dev, what, sizeof(what), &uninit);

	/*
	 * A lost superblock over a cache, or a lost cache_info (state 1 with
	 * nothing in @what but "without an initialised cache") over a used
	 * one: its dirty data cannot be counted.
	 */
	if ((state == 0 || (state == 1 && uninit)) &&
	    pc_check_cache_remains(dev, what, sizeof(what)))
		state = 2;

	if (state == 2 && !(o->force && o->discard_dirty)) {
		cli_err("%s: contains %s; refusing (%s overrides)", path, what,
			o->dirty_override ? o->dirty_override :
					    "--force --discard-dirty");
		return -1;
	}
	if (state == 1 && !o->force) {
		cli_err("%s: contains %s; refusing (--force overrides)", path,
			what);
		return -1;
	}
	state = foreign_signature(path, what, sizeof(what));
	if (state == 1 && !o->force) {
		cli_err("%s: contains %s; refusing (--force overrides, or "
			"wipefs -a first)", path, what);
		return -1;
	}
	if (state < 0 && !o->force) {
		cli_err("%s: cannot probe for existing signatures; refusing "
			"(--force overrides)", path);
		return -1;
	}
	return 0;
}
