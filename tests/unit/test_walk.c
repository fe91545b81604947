// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kset log walk and replay under hostile logs: each case must end the
 * walk or fail with the kernel's verdict, never loop or read out of bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)

static char path[] = "/tmp/pcache-walk-XXXXXX";

static struct pc_dev *fresh(void)
{
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return img_new(path, GIB, false);
}

static struct pcd_key key(uint64_t off, uint32_t len, uint32_t seg,
			  uint32_t seg_off)
{
	return (struct pcd_key){ .off = off, .len = len, .cache_seg_id = seg,
				 .cache_seg_off = seg_off };
}

/* Open, replay with a 1 GiB backing size; returns the replay result. */
static int replay(struct pc_dev *dev, struct pc_replay *r)
{
	struct pc_cache *c;
	int ret;

	if (img_open(dev, &c, NULL))
		return -999;
	ret = pc_replay(c, GIB, 0, r);
	pc_cache_free(c);
	return ret;
}

static void loops_and_links(void)
{
	struct pc_dev *dev = fresh();
	struct pc_replay r;
	int ret;

	img_put_kset(dev, 0, 0, NULL, 1, true);	/* 0 -> 1 */
	img_put_kset(dev, 1, 0, NULL, 0, true);	/* 1 -> 0: a loop */
	ret = replay(dev, &r);
	ok(ret == -EIO && r.end == PC_ERR_HOPS &&
	   strstr(r.err.msg, "more than 63 LAST links"),
	   "a LAST loop stops at the hop cap (seg_num): %s", r.err.msg);
	pc_replay_free(&r);
	img_put_kset(dev, 1, 0, NULL, 63, true);
	ret = replay(dev, &r);
	ok(ret == -EIO && r.end == PC_ERR_NEXT_RANGE &&
	   strstr(r.err.msg, "LAST link to cache segment 63 out of range"),
	   "a LAST link beyond n_segs is refused");
	pc_replay_free(&r);
	img_put_kset(dev, 1, 0, NULL, 2, true);
	ret = replay(dev, &r);
	ok(ret == 0 && r.n_last == 2 && r.head.seg == 2 && r.head.off == 0 &&
	   r.segs_used == 3, "a valid chain of LAST links: head 2:0, 3 "
	   "segments in use");
	pc_replay_free(&r);
	pc_dev_close(dev);
}

static void ends_of_log(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k = key(0, 4096, 5, 0);
	uint8_t junk[24];
	struct pc_replay r;
	uint32_t off;

	off = img_put_kset(dev, 0, 0, &k, 1, false);
	ok(replay(dev, &r) == 0 && r.head.off == off && r.n_keys == 1 &&
	   r.end == PC_END_MAGIC, "one kset, then the zero terminator");
	pc_replay_free(&r);
	/* key_num above 128 after a valid magic */
	img_put_kset(dev, 0, off, NULL, 0, false);
	img_poke32(dev, pcd_data_offset(0, off) + 4, 129);
	ok(replay(dev, &r) == 0 && r.end == PC_END_KEY_NUM && r.head.off == off,
	   "key_num 129 ends the log");
	pc_replay_free(&r);
	/* a bad CRC */
	img_put_kset(dev, 0, off, &k, 1, false);
	img_poke32(dev, pcd_data_offset(0, off), 0);
	ok(replay(dev, &r) == 0 && r.end == PC_END_CRC && r.n_keys == 1,
	   "a bad kset CRC ends the log");
	pc_replay_free(&r);
	/* a kset at the very end of the data area that does not fit */
	memset(junk, 0, sizeof(junk));
	{
		uint8_t buf[64] = { 0 };
		struct pcd_kset *ks = (void *)buf;

		ks->key_num = 2;	/* 104 bytes, only 64 left */
		ks->magic = PCD_KSET_MAGIC;
		img_poke(dev, pcd_data_offset(3, PCD_SEG_DATA_SIZE - 64), buf,
			 sizeof(buf));
	}
	img_poke(dev, pcd_data_offset(3, 0), junk, sizeof(junk));
	{
		struct pc_cache *c;
		struct pc_walk w;
		struct pc_kset_view v;

		ok(img_open(dev, &c, NULL) == 0 && c->segs_loaded == 63,
		   "the image is otherwise intact");
		pc_walk_init(&w, c, (struct pc_pos){ 3, PCD_SEG_DATA_SIZE - 64 });
		w.model = PCD_KSET_OWN_BYTES;
		ok(pc_walk_next(&w, &v) == PC_KSET_END &&
		   w.end == PC_END_TOO_BIG,
		   "own bytes: a kset larger than the rest of its segment ends "
		   "the walk");
		pc_walk_fini(&w);
		pc_walk_init(&w, c, (struct pc_pos){ 3, PCD_SEG_DATA_SIZE - 64 });
		ok(pc_walk_next(&w, &v) == PC_KSET_END &&
		   w.end == PC_END_CRC,
		   "upstream: its CRC over the zero-filled buffer fails first");
		pc_walk_fini(&w);
		pc_walk_init(&w, c, (struct pc_pos){ 3, PCD_SEG_DATA_SIZE - 16 });
		w.model = PCD_KSET_OWN_BYTES;
		ok(pc_walk_next(&w, &v) == PC_KSET_END &&
		   w.end == PC_END_NO_ROOM,
		   "own bytes: no room for a header ends the walk");
		pc_walk_fini(&w);
		pc_walk_init(&w, c, (struct pc_pos){ 3, PCD_SEG_DATA_SIZE - 16 });
		ok(pc_walk_next(&w, &v) == PC_KSET_END &&
		   w.end == PC_END_MAGIC,
		   "upstream: 16 bytes then the buffer's zeros: no magic");
		pc_walk_fini(&w);
		pc_cache_free(c);
	}
	pc_dev_close(dev);
}

static void bad_keys(void)
{
	static const struct {
		const char *what;
		struct pcd_key k;
		const char *msg;
	} cases[] = {
		{ "len 0", { .off = 0, .len = 0, .cache_seg_id = 5 }, "len is 0" },
		{ "beyond the backing device",
		  { .off = GIB - 512, .len = 4096, .cache_seg_id = 5 },
		  "beyond the backing device" },
		{ "off + len wrapping 2^64",
		  { .off = UINT64_MAX - 511, .len = 4096, .cache_seg_id = 5 },
		  "beyond the backing device" },
		{ "segment id out of range",
		  { .off = 0, .len = 4096, .cache_seg_id = 63 },
		  "cache_seg_id out of range" },
		{ "extent past the data area",
		  { .off = 0, .len = 8192, .cache_seg_id = 5,
		    .cache_seg_off = PCD_SEG_DATA_SIZE - 4096 },
		  "past the end of its data area" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pc_dev *dev = fresh();
		struct pcd_key ks[2] = { key(0, 512, 5, 0), cases[i].k };
		struct pc_replay r;
		int ret;

		img_put_kset(dev, 0, 0, ks, 2, false);
		ret = replay(dev, &r);
		ok(ret == -EIO && strstr(r.err.msg, "key 1") &&
		   strstr(r.err.msg, cases[i].msg), "key %s: refused (%s)",
		   cases[i].what, r.err.msg);
		pc_replay_free(&r);
		pc_dev_close(dev);
	}
}

static void stale_keys(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key ks[2] = { key(0, 4096, 5, 0), key(4096, 4096, 6, 0) };
	struct pcd_seg_gen g;
	struct pc_replay r;

	pc_encode_gen(&g, 2, 1);	/* segment 5 reclaimed once */
	img_poke(dev, pcd_seg_offset(5) + PCD_SEG_CTRL_OFF, &g, sizeof(g));
	img_put_kset(dev, 0, 0, ks, 2, false);
	ok(replay(dev, &r) == 0 && r.n_stale == 1 && r.n_ext == 1 &&
	   r.ext[0].off == 4096 && r.segs_used == 2,
	   "a key older than its segment's generation is dropped");
	pc_replay_free(&r);
	pc_dev_close(dev);
}

/* Walk one kset from (3, @from) and return how the walk at the second ends. */
static enum pc_walk_end second_end(struct pc_dev *dev, uint32_t from,
				   enum pcd_kset_model m)
{
	struct pc_kset_view v;
	struct pc_cache *c;
	struct pc_walk w;
	enum pc_walk_end e = PC_END_NONE;

	if (img_open(dev, &c, NULL))
		return PC_END_READ;
	pc_walk_init(&w, c, (struct pc_pos){ 3, from });
	w.model = m;
	if (pc_walk_next(&w, &v) == PC_KSET_KEYS)
		pc_walk_next(&w, &v);
	e = w.end;
	pc_walk_fini(&w);
	pc_cache_free(c);
	return e;
}

/*
 * docs/format-errata.md E1, mid-log: kset B (3 keys) at 104 bytes from the
 * end, after kset A (3 keys). The kernel's buffer past B's 104 bytes still
 * holds A's third key, so B's verdict depends on A.
 */
static void overrun_mid_log(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key a[3] = { key(0, 4096, 5, 0), key(4096, 4096, 5, 4096),
				key(8192, 4096, 5, 8192) };
	struct pcd_key b[3] = { key(0, 512, 6, 0), key(512, 512, 6, 512), a[2] };
	uint8_t buf[PCD_KSET_SIZE_MAX] = { 0 };
	const uint32_t at_b = PCD_SEG_DATA_SIZE - 104, at_a = at_b - 144;

	img_put_kset(dev, 3, at_a, a, 3, false);
	memcpy(((struct pcd_kset *)buf)->keys, b, sizeof(b));
	pc_encode_kset(buf, 3, false);	/* CRC over B with A's key after it */
	img_poke(dev, pcd_data_offset(3, at_b), buf, 104);
	ok(second_end(dev, at_a, PCD_KSET_UPSTREAM) == PC_ERR_TOO_BIG,
	   "E1 mid-log: the CRC passes over the earlier kset's bytes: REJECT");
	ok(second_end(dev, at_a, PCD_KSET_OWN_BYTES) == PC_END_TOO_BIG,
	   "E1 mid-log, own bytes: the end of the log");
	memset(&b[2], 0, sizeof(b[2]));
	memcpy(((struct pcd_kset *)buf)->keys, b, sizeof(b));
	pc_encode_kset(buf, 3, false);	/* CRC over B and zeros */
	img_poke(dev, pcd_data_offset(3, at_b), buf, 104);
	ok(second_end(dev, at_a, PCD_KSET_UPSTREAM) == PC_END_CRC,
	   "E1 mid-log: zeros past the end do not match the buffer: end of log");
	ok(second_end(dev, at_b, PCD_KSET_UPSTREAM) == PC_ERR_TOO_BIG,
	   "E1 at key_tail the same kset is judged from zeros: REJECT");
	pc_dev_close(dev);
}

int main(void)
{
	loops_and_links();
	ends_of_log();
	bad_keys();
	stale_keys();
	overrun_mid_log();
	return tap_done();
}
