// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The images written by the upstream kernel (../shared/fixtures): the
 * library must report the superblock, cache_info, chain, tails,
 * generations and log state the kernel wrote, and the replay the notes
 * describe. Fixtures are decompressed once into a cache directory shared
 * with the bats tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pcache.h"
#include "tap.h"

static char cache_dir[256];

static const char *fixture(const char *name)
{
	static char out[512];
	char cmd[2400];

	snprintf(out, sizeof(out), "%s/%s", cache_dir, name);
	if (access(out, R_OK) == 0)
		return out;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && zstd -q -d -f "
		 "../shared/fixtures/%s.zst -o '%s.tmp.%d' && mv '%s.tmp.%d' '%s'",
		 cache_dir, name, out, getpid(), out, getpid(), out);
	return system(cmd) == 0 ? out : NULL;
}

struct expect {
	const char *name;
	uint32_t info_flags;
	struct pc_pos key_tail, dirty_tail, head;
	uint8_t dirty_seq;
	size_t keys, clean_keys;
	uint64_t ksets;
	uint32_t segs_used;
	uint64_t dirty_bytes;
};

static void check_image(const struct expect *e)
{
	const char *path = fixture(e->name);
	struct pc_err err = { 0 };
	struct pc_replay r = { 0 };
	struct pc_cache *c = NULL;
	struct pc_dev *dev = NULL;
	size_t clean = 0;
	int bad = 0;

	if (!path || pc_dev_open(path, 0, &dev, &err)) {
		ok(0, "%s: open: %s", e->name, err.msg);
		return;
	}
	ok(pc_cache_open(dev, &c, &err) == 0, "%s opens: %s", e->name, err.msg);
	ok(c->sb.seg_num == 63 && c->sb.flags == 0 && c->sb.crc_stored ==
	   0x097F12DB && c->info.n_segs == 63 && c->info.seg_id == 0 &&
	   c->info.seq == 1 && c->info_slots.chosen == 1 &&
	   c->info_slots.slot[0].state == PC_SLOT_ZERO &&
	   c->info.flags == e->info_flags,
	   "%s: superblock and cache_info (flags 0x%x)", e->name, c->info.flags);
	for (uint32_t i = 0; i < 63; i++)
		bad += c->segs[i].phys != i || c->segs[i].gen != 0 ||
		       c->segs[i].info.chosen != (i < 62 ? 0 : 1) ||
		       c->segs[i].gen_slots.chosen != 1;
	ok(!bad, "%s: chain 0..62 in order, every generation 0", e->name);
	ok(c->key_tail.seg == e->key_tail.seg && c->key_tail.off ==
	   e->key_tail.off && c->dirty_tail.seg == e->dirty_tail.seg &&
	   c->dirty_tail.off == e->dirty_tail.off &&
	   c->tail_slots[PC_DIRTY_TAIL].slot[c->tail_slots[PC_DIRTY_TAIL].chosen]
		   .seq == e->dirty_seq,
	   "%s: key_tail %u:%u, dirty_tail %u:%u", e->name, c->key_tail.seg,
	   c->key_tail.off, c->dirty_tail.seg, c->dirty_tail.off);
	ok(pc_replay(c, 268435456, PC_REPLAY_CHECK_DATA, &r) == 0,
	   "%s: replay with data CRC verification: %s", e->name, r.err.msg);
	for (size_t i = 0; i < r.n_keys; i++)
		clean += !!(r.keys[i].k.flags & PCD_KEY_F_CLEAN);
	ok(r.head.seg == e->head.seg && r.head.off == e->head.off &&
	   r.n_keys == e->keys && clean == e->clean_keys &&
	   r.n_ksets == e->ksets && r.segs_used == e->segs_used &&
	   r.dirty_bytes == e->dirty_bytes && r.dirty_tail_seen,
	   "%s: key_head %u:%u, %zu keys (%zu clean), %llu ksets, %u segments "
	   "used, %llu dirty bytes", e->name, r.head.seg, r.head.off,
	   r.n_keys, clean, (unsigned long long)r.n_ksets, r.segs_used,
	   (unsigned long long)r.dirty_bytes);
	pc_replay_free(&r);
	pc_cache_free(c);
	pc_dev_close(dev);
}

int main(void)
{
	/* manifest: 8 MiB written, 4 KiB of it also read-miss cached */
	static const struct expect images[] = {
		{ "kfresh.pmem", 0x1182, { 0, 0 }, { 0, 0 }, { 0, 0 }, 1,
		  0, 0, 0, 1, 0 },
		{ "kcrc-clean.pmem", 0x1183, { 0, 0 }, { 0, 24720 }, { 0, 24720 },
		  11, 612, 129, 10, 3, 0 },
		{ "kcrc-crash.pmem", 0x1183, { 0, 0 }, { 0, 0 }, { 0, 24720 }, 1,
		  612, 129, 10, 3, 8400896 },
	};

	snprintf(cache_dir, sizeof(cache_dir), "%s/pcache-fixtures-%u",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getuid());
	if (getenv("PCACHE_FIXTURE_CACHE"))
		snprintf(cache_dir, sizeof(cache_dir), "%s",
			 getenv("PCACHE_FIXTURE_CACHE"));
	if (access("../shared/fixtures/kfresh.pmem.zst", R_OK)) {
		printf("ok 1 # SKIP no ../shared/fixtures\n1..1\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		check_image(&images[i]);
	return tap_done();
}
