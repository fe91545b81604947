// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening both devices and planning the writeback: the cache is checked as
 * the kernel checks it at activation, the log is replayed from key_tail,
 * and the resolved extents owned by dirty keys (at or after dirty_tail,
 * not CLEAN) are what must reach the backing device. Data CRCs of the keys
 * those extents come from are verified before anything is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wb.h"

/* A backing device holding a cache is most likely the wrong argument. */
static int backing_not_cache(struct wb *w, struct pc_err *err)
{
	struct pc_probe p;
	char what[256];
	int ret;

	if (w->force)
		return 0;
	ret = pc_probe_cache(w->bdev, &p, err);
	if (ret <= 0)
		return ret;
	pc_err_set(err, -EEXIST, "%s: the backing device holds %s; refusing "
		   "to write dirty data over it (--force overrides)",
		   w->backing_path, pc_probe_describe(&p, what, sizeof(what)));
	return -EEXIST;
}

int wb_open(struct wb *w)
{
	unsigned int flags = PC_OPEN_EXCL | (w->dry_run ? 0 : PC_OPEN_RDWR);
	struct pc_err err = { 0 };
	int ret;

	/* before opening: the second open of one device would meet our
	 * own lock and name ourselves as the holder */
	ret = pc_dev_check_distinct(w->cache_path, w->backing_path, &err);
	if (!ret)
		ret = pc_dev_open(w->cache_path, flags, &w->dev, &err);
	if (!ret)
		ret = pc_dev_open(w->backing_path, flags, &w->bdev, &err);
	if (!ret)
		ret = backing_not_cache(w, &err);
	if (ret) {
		wb_refuse(w, "%s", err.msg);
		return ret;
	}
	/* The kernel sees the backing device in whole 512-byte sectors. */
	w->backing_size = pcd_backing_bytes(pc_dev_size(w->bdev));
	ret = pc_cache_open(w->dev, &w->c, &err);
	if (ret) {
		wb_refuse(w, "%s", err.msg[0] ? err.msg : strerror(-ret));
		return ret;
	}
	if (!w->dry_run && w->c->swap) {
		wb_refuse(w, "%s: superblock: the image's byte order differs "
			  "from this host's; refusing to write", w->cache_path);
		return -EINVAL;
	}
	w->dirty_before = w->c->dirty_tail;
	return 0;
}

static uint64_t key_end(const struct pcd_key *k)
{
	return k->off > UINT64_MAX - k->len ? UINT64_MAX : k->off + k->len;
}

/* Every key the kernel would decode must fit the backing device (H6). */
static int check_backing(struct wb *w)
{
	const struct pc_rkey *worst = NULL;

	for (size_t i = 0; i < w->r.n_keys; i++) {
		const struct pc_rkey *rk = &w->r.keys[i];

		if (!worst || key_end(&rk->k) > key_end(&worst->k))
			worst = rk;
	}
	if (!worst || key_end(&worst->k) <= w->backing_size)
		return 0;
	wb_refuse(w, "%s: backing device is %llu bytes, but the key at kset "
		  "%u:%u (off %llu len %u) needs %llu bytes", w->backing_path,
		  (unsigned long long)w->backing_size, worst->kset.seg,
		  worst->kset.off, (unsigned long long)worst->k.off,
		  worst->k.len, (unsigned long long)key_end(&worst->k));
	return -ENOSPC;
}

static int replay(struct wb *w)
{
	int ret;

	/* Bounds against the backing size are checked with a clearer
	 * message by check_backing(); everything else as the kernel. */
	ret = pc_replay(w->c, 0, 0, &w->r);
	w->replayed = true;
	if (pc_replay_refusal(&w->r, ret)) {
		wb_refuse(w, "%s", pc_replay_refusal(&w->r, ret));
		return ret;
	}
	ret = check_backing(w);
	if (ret)
		return ret;
	if (!w->r.dirty_tail_seen) {
		wb_refuse(w, "%s: dirty_tail %u:%u is not on the log walk from "
			  "key_tail %u:%u to key_head %u:%u; run pcache-fsck",
			  w->cache_path, w->c->dirty_tail.seg,
			  w->c->dirty_tail.off, w->c->key_tail.seg,
			  w->c->key_tail.off, w->r.head.seg, w->r.head.off);
		return -EUCLEAN;
	}
	ret = wb_past_end(w);
	if (ret)
		return ret;
	for (size_t i = 0; i < w->r.n_keys; i++)
		if (w->r.keys[i].stale && w->r.keys[i].after_dirty)
			w->n_stale_dirty++;
	return 0;
}

/* Data CRC of the key @e comes from; memoised per key (wb_verify). */
static enum pc_key_err key_crc(struct wb *w, uint8_t *memo,
			       const struct pc_extent *e)
{
	const struct pc_rkey *rk = &w->r.keys[e->seq];

	if (!pc_cache_data_crc(w->c))
		return PC_KEY_OK;
	if (!memo[e->seq])
		memo[e->seq] = 1 + pc_key_check(w->c, &rk->k, w->backing_size,
						true, NULL);
	return memo[e->seq] - 1;
}

static int collect(struct wb *w, uint8_t *memo)
{
	size_t n = 0;

	for (size_t i = 0; i < w->r.n_ext; i++)
		n += w->r.ext[i].dirty;
	w->items = calloc(n ? n : 1, sizeof(*w->items));
	if (!w->items)
		return -ENOMEM;
	for (size_t i = 0; i < w->r.n_ext; i++) {
		const struct pc_extent *e = &w->r.ext[i];
		struct wb_item *it;
		enum pc_key_err ke;

		if (!e->dirty || e->seq >= w->r.n_keys)
			continue;
		it = &w->items[w->n_items++];
		it->e = e;
		ke = key_crc(w, memo, e);
		if (ke == PC_KEY_OK) {
			it->action = WB_WRITE;
			w->bytes_total += e->len;
			continue;
		}
		it->why = pc_key_err_name(ke);
		/*
		 * --skip-bad drops data that fails its CRC and keys the kernel
		 * refuses, never data that could not be read: a read error
		 * may pass or be repaired, and dropped data is gone for good.
		 */
		if (w->skip_bad && ke != PC_KEY_READ) {
			it->action = WB_SKIP_BAD;
			w->n_skipped++;
			w->bytes_skipped += e->len;
		} else {
			it->action = WB_BAD;
			w->n_bad++;
			w->n_unreadable += ke == PC_KEY_READ;
		}
	}
	return 0;
}

static void refuse_bad(struct wb *w)
{
	for (size_t i = 0; i < w->n_items; i++) {
		const struct wb_item *it = &w->items[i];

		if (it->action == WB_BAD)
			cli_err("%s: extent %llu+%u (cache %u:%u, kset %u:%u): "
				"%s", w->cache_path,
				(unsigned long long)it->e->off, it->e->len,
				it->e->seg, it->e->seg_off, it->e->kset.seg,
				it->e->kset.off, it->why);
	}
	if (!w->n_unreadable)
		wb_refuse(w, "%s: %llu dirty extents fail their data CRC; "
			  "nothing written (use --skip-bad to write the others "
			  "and drop those)", w->cache_path,
			  (unsigned long long)w->n_bad);
	else if (w->n_unreadable == w->n_bad)
		wb_refuse(w, "%s: %llu dirty extents cannot be read; nothing "
			  "written (--skip-bad does not drop unreadable data)",
			  w->cache_path, (unsigned long long)w->n_bad);
	else
		wb_refuse(w, "%s: %llu dirty extents fail their data CRC and "
			  "%llu cannot be read; nothing written (--skip-bad "
			  "drops only those that fail their CRC)",
			  w->cache_path,
			  (unsigned long long)(w->n_bad - w->n_unreadable),
			  (unsigned long long)w->n_unreadable);
}

int wb_plan(struct wb *w)
{
	uint8_t *memo;
	int ret;

	ret = replay(w);
	if (ret)
		return ret;
	memo = calloc(w->r.n_keys ? w->r.n_keys : 1, 1);
	if (!memo)
		return -ENOMEM;
	wb_map_open(w);
	ret = wb_verify(w, memo);
	if (!ret)
		ret = collect(w, memo);
	free(memo);
	if (ret)
		return ret;
	if (w->n_bad) {
		refuse_bad(w);
		return -EBADMSG;
	}
	for (size_t i = 0; i < w->n_items && !w->json; i++) {
		const struct wb_item *it = &w->items[i];

		if (it->action == WB_SKIP_BAD)
			cli_warn("%s: skipping extent %llu+%u (cache %u:%u, "
				 "kset %u:%u): %s", w->cache_path,
				 (unsigned long long)it->e->off, it->e->len,
				 it->e->seg, it->e->seg_off, it->e->kset.seg,
				 it->e->kset.off, it->why);
	}
	if (w->n_stale_dirty && !w->json)
		cli_warn("%s: %llu stale keys (seg_gen below their segment's "
			 "gen) at or after dirty_tail were not written",
			 w->cache_path, (unsigned long long)w->n_stale_dirty);
	return 0;
}
