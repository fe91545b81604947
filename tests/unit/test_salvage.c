// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pc_salvage_scan(): the ksets past the kernel's end of log. Each case is a
 * hand-made log on a fresh image (key_tail 0:0) whose first kset is damaged;
 * the verdict, the keys taken and where the scan resumes are checked, and
 * hostile logs (self links, random bytes) must end the scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)

static char path[] = "/tmp/pcache-salvage-XXXXXX";

static struct pc_dev *fresh(void)
{
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return img_new(path, GIB, false);
}

static struct pcd_key key(uint64_t off, uint32_t seg)
{
	return (struct pcd_key){ .off = off, .len = 4096, .cache_seg_id = seg };
}

/* A kset of one key at @off, then 24 bytes of garbage over its header. */
static uint32_t damaged(struct pc_dev *dev, uint32_t seg, uint32_t off)
{
	struct pcd_key k = key(1 << 20, 5);
	uint8_t junk[PCD_KSET_HDR_SIZE];
	uint32_t size = img_put_kset(dev, seg, off, &k, 1, false);

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(0x5a + 7 * i);
	img_poke(dev, pcd_data_offset(seg, off), junk, sizeof(junk));
	return size;
}

struct result {
	int ret;
	enum pc_salvage_verdict verdict;
	size_t keys, ksets;
	struct pc_pos resume;
	uint64_t first_off;
};

static struct result scan(struct pc_dev *dev)
{
	struct result res = { .ret = -999 };
	struct pc_cache *c;
	struct pc_replay r;
	struct pc_salvage s;

	if (img_open(dev, &c, NULL))
		return res;
	res.ret = pc_replay(c, GIB, 0, &r);
	if (!res.ret)
		res.ret = pc_salvage_scan(c, &r, GIB, &s);
	if (!res.ret) {
		res.verdict = s.verdict;
		res.keys = s.n_keys;
		res.ksets = s.n_ksets;
		res.resume = s.resume;
		res.first_off = s.n_keys ? s.keys[0].k.off : 0;
		pc_salvage_free(&s);
	}
	pc_replay_free(&r);
	pc_cache_free(c);
	return res;
}

static void close_img(struct pc_dev *dev)
{
	pc_dev_close(dev);
	unlink(path);
}

static void follows_in_segment(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k[2] = { key(8 << 20, 3), key(9 << 20, 3) };
	uint32_t at = damaged(dev, 0, 0);
	struct result res;

	at += img_put_kset(dev, 0, at, k, 2, false);
	res = scan(dev);
	ok(res.ret == 0 && res.verdict == PC_SALV_TRUNCATED && res.keys == 2 &&
	   res.first_off == 8 << 20 && res.resume.seg == 0 &&
	   res.resume.off == at, "garbage header, a valid kset after it: "
	   "truncated, its 2 keys taken, resume %u:%u", res.resume.seg,
	   res.resume.off);
	close_img(dev);
}

static void follows_last_link(uint32_t next, bool expect_stale,
			      const char *what)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k = key(8 << 20, 3), k2 = key(12 << 20, 4);
	uint32_t at = damaged(dev, 0, 0);
	struct result res;

	at += img_put_kset(dev, 0, at, &k, 1, false);
	img_put_kset(dev, 0, at, NULL, next, true);
	img_put_kset(dev, next, next ? 0 : at + 24, &k2, 1, false);
	res = scan(dev);
	if (expect_stale)
		ok(res.ret == 0 && res.verdict == PC_SALV_STALE && !res.keys,
		   "%s: an older lap, no key taken", what);
	else
		ok(res.ret == 0 && res.verdict == PC_SALV_TRUNCATED &&
		   res.keys == 2 && res.resume.seg == next &&
		   res.resume.off == 64, "%s: followed, 2 keys, resume %u:%u",
		   what, res.resume.seg, res.resume.off);
	close_img(dev);
}

static void key_in_key_seg(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k = key(8 << 20, 0);
	uint32_t at = damaged(dev, 0, 0);

	img_put_kset(dev, 0, at, &k, 1, false);
	ok(scan(dev).verdict == PC_SALV_STALE,
	   "a key into the log's key segment: an older lap");
	close_img(dev);
}

static void zero_terminator(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k = key(8 << 20, 3);
	struct result res;

	img_put_kset(dev, 0, 64, &k, 1, false);
	res = scan(dev);
	ok(res.ret == 0 && res.verdict == PC_SALV_NONE,
	   "the kernel's 24 zero bytes at key_head are not scanned past");
	close_img(dev);
}

static void nothing_follows(void)
{
	struct pc_dev *dev = fresh();
	struct result res;

	damaged(dev, 0, 0);
	res = scan(dev);
	ok(res.ret == 0 && res.verdict == PC_SALV_NONE && !res.ksets,
	   "a torn kset with nothing valid after it: none");
	close_img(dev);
}

/* Segment 2 links to 3, 3 back to 2: each segment is entered once. */
static void cycle(void)
{
	struct pc_dev *dev = fresh();
	struct pcd_key k = key(8 << 20, 9);
	uint32_t at = damaged(dev, 0, 0);
	struct result res;

	at += img_put_kset(dev, 0, at, &k, 1, false);
	img_put_kset(dev, 0, at, NULL, 2, true);
	img_put_kset(dev, 2, 0, NULL, 3, true);
	img_put_kset(dev, 3, 0, NULL, 2, true);
	res = scan(dev);
	ok(res.ret == 0 && res.verdict == PC_SALV_STALE,
	   "a LAST cycle past the end ends the scan (stale)");
	close_img(dev);
}

/* Random bytes with valid-looking ksets strewn in: must end, in bounds. */
static void random_segment(void)
{
	struct pc_dev *dev = fresh();
	uint8_t *buf = malloc(PCD_SEG_DATA_SIZE);
	struct result res;

	srand(7);
	for (uint32_t i = 0; buf && i < PCD_SEG_DATA_SIZE; i++)
		buf[i] = (uint8_t)rand();
	if (buf)
		img_poke(dev, pcd_data_offset(0, 0), buf, PCD_SEG_DATA_SIZE);
	for (uint32_t n = 0; n < 200; n++) {
		uint32_t off = ((uint32_t)rand() % (PCD_SEG_DATA_SIZE - 6000)) &
			       ~7u;
		struct pcd_key k[3] = { key((uint64_t)rand() << 9, rand() % 70),
					key(rand(), rand() % 63),
					key(0, rand() % 63) };

		if (n % 3 == 0)
			img_put_kset(dev, 0, off, NULL, (uint32_t)rand() % 63, true);
		else
			img_put_kset(dev, 0, off, k, 1 + n % 3, false);
	}
	res = scan(dev);
	ok(res.ret == 0, "random bytes and strewn ksets: the scan ends "
	   "(verdict %s, %zu ksets)", pc_salvage_verdict_name(res.verdict),
	   res.ksets);
	free(buf);
	close_img(dev);
}

int main(void)
{
	follows_in_segment();
	follows_last_link(5, false, "LAST link into a free segment");
	follows_last_link(0, true, "LAST link into the log's own segment");
	key_in_key_seg();
	zero_terminator();
	nothing_follows();
	cycle();
	random_segment();
	return tap_done();
}
