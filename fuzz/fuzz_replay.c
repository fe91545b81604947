// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over the library's view of a cache as the kernel loads
 * it: pc_cache_open(), the log walk from key_tail or from any position,
 * and pc_replay() with the resolve that follows it.
 *
 * The input is a cache image in the sparse layout of fz_image.h. Byte 0
 * bits 0-1 and 4 as there; bit 2 verifies data CRCs while replaying; bit 3
 * also walks the log from the position in bytes 2-3 (cache segment id) and
 * 4-7 (offset), as `pcache-dump --from` does.
 *
 * Beyond surviving, the result must hold what the library promises: the
 * extents sorted, disjoint, inside the key each names, and their byte
 * counts adding up. A broken promise aborts (a finding).
 */
#include <stdlib.h>

#include "fz_image.h"

#define FZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

static void check_extents(const struct pc_replay *r)
{
	uint64_t cached = 0, dirty = 0;

	for (size_t i = 0; i < r->n_ext; i++) {
		const struct pc_extent *e = &r->ext[i];
		const struct pcd_key *k;

		FZ_ASSERT(e->len > 0);
		FZ_ASSERT(e->seq < r->n_keys);
		k = &r->keys[e->seq].k;
		FZ_ASSERT(!r->keys[e->seq].stale);
		FZ_ASSERT(e->off >= k->off && e->off - k->off + e->len <= k->len);
		FZ_ASSERT(e->seg == k->cache_seg_id);
		FZ_ASSERT(e->seg_off == k->cache_seg_off + (e->off - k->off));
		FZ_ASSERT(e->whole_key == (e->len == k->len));
		if (i)
			FZ_ASSERT(r->ext[i - 1].off + r->ext[i - 1].len <= e->off);
		cached += e->len;
		if (e->dirty)
			dirty += e->len;
	}
	FZ_ASSERT(cached == r->cached_bytes && dirty == r->dirty_bytes);
}

static void walk_from(struct pc_cache *c, const uint8_t *data, size_t size)
{
	struct pc_pos from = {
		.seg = fz_byte(data, size, 2) | fz_byte(data, size, 3) << 8,
		.off = (uint32_t)fz_byte(data, size, 4) |
		       (uint32_t)fz_byte(data, size, 5) << 8 |
		       (uint32_t)fz_byte(data, size, 6) << 16 |
		       (uint32_t)fz_byte(data, size, 7) << 24,
	};
	struct pc_kset_view v;
	struct pc_walk w;

	if (from.seg >= c->info.n_segs)
		from.seg %= c->info.n_segs;
	pc_walk_init(&w, c, from);
	for (uint64_t n = 0; n < 100000; n++) {
		enum pc_kset_kind k = pc_walk_next(&w, &v);

		if (k != PC_KSET_KEYS && k != PC_KSET_LAST)
			break;
		FZ_ASSERT(k == PC_KSET_LAST || v.key_num <= PCD_KSET_KEYS_MAX);
	}
	pc_walk_fini(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode = fz_byte(data, size, 0);
	struct pc_dev *dev = NULL;
	struct pc_cache *c = NULL;
	struct pc_replay r;
	char path[64];
	int fd;

	fd = fz_image(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (pc_dev_open(path, 0, &dev, NULL))
		goto out;
	pc_cache_open(dev, &c, NULL);
	if (c && c->stage >= PC_STAGE_READY) {
		int ret = pc_replay(c, fz_backing_size(data, size),
				    mode & 4 ? PC_REPLAY_CHECK_DATA : 0, &r);

		if (!ret)
			check_extents(&r);
		pc_replay_free(&r);
		if (mode & 8)
			walk_from(c, data, size);
	}
	pc_cache_free(c);
	pc_dev_close(dev);
out:
	close(fd);
	return 0;
}
