// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a cache: records round-trip through the device, torn copies fall
 * back to the other slot, seqs wrap, and every bound the kernel applies
 * turns hostile values into errors naming the structure and field.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)
#define SEG(p) (PCD_SEGS_OFF + (uint64_t)(p) * PCD_SEG_SIZE)

static char path[] = "/tmp/pcache-open-XXXXXX";

static struct pc_dev *fresh(void)
{
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return img_new(path, GIB, false);
}

static void round_trip(void)
{
	struct pc_dev *dev = fresh();
	struct pc_err err;
	struct pc_cache *c;
	int ret = img_open(dev, &c, &err);

	ok(ret == 0 && c->stage == PC_STAGE_READY, "a fresh format opens: %s",
	   err.msg);
	ok(c->sb.seg_num == 63 && c->info.n_segs == 63 &&
	   c->info.flags == 0x1182 && c->info_slots.chosen == 1,
	   "superblock and cache_info read back");
	ok(c->segs[62].phys == 62 && c->segs[0].flags == 3 &&
	   c->segs[0].next == 1 && c->segs[62].flags == 2 &&
	   c->segs[5].info.chosen == 0 && c->segs[62].info.chosen == 1,
	   "chain read back: slot 0 (seq 2) links, last segment in slot 1");
	ok(c->segs[9].gen_slots.chosen == 1 && c->segs[9].gen == 0 &&
	   c->tail_slots[PC_KEY_TAIL].chosen == 0 && c->key_tail.seg == 0,
	   "generations and tails read back");
	pc_cache_free(c);
	pc_dev_close(dev);
}

static void torn_and_wrap(void)
{
	struct pc_dev *dev = fresh();
	struct pc_cache *c;
	struct pc_err err;
	uint8_t junk[16];
	int bad = 0;

	memset(junk, 0x5a, sizeof(junk));
	img_open(dev, &c, &err);
	/* 300 tail updates: alternate slots, seq wraps past 255 */
	for (uint32_t i = 1; i <= 300; i++) {
		struct pc_pos p = { 0, i * 8 };

		bad += pc_cache_write_tail(c, PC_DIRTY_TAIL, p, NULL) != 0;
		bad += c->tail_slots[PC_DIRTY_TAIL].chosen != (int)(i % 2);
	}
	ok(!bad, "300 tail writes alternate slots");
	pc_cache_free(c);
	ok(img_open(dev, &c, &err) == 0 && c->dirty_tail.off == 2400 &&
	   c->tail_slots[PC_DIRTY_TAIL].slot[0].seq == (uint8_t)301,
	   "after wraparound the newest copy (seq 301 mod 256) wins");
	pc_cache_free(c);
	/* Tear the newest copy (slot 0): the previous one takes over. */
	img_poke(dev, PCD_DIRTY_TAIL_OFF + 4, junk, 4);
	ok(img_open(dev, &c, &err) == 0 && c->dirty_tail.off == 2392 &&
	   c->tail_slots[PC_DIRTY_TAIL].slot[0].state == PC_SLOT_BAD_CRC,
	   "a torn newest copy falls back to the other slot");
	/* The next write goes to the torn slot, not over the good one. */
	pc_cache_write_tail(c, PC_DIRTY_TAIL, (struct pc_pos){ 0, 8 }, NULL);
	ok(c->tail_slots[PC_DIRTY_TAIL].chosen == 0,
	   "the repair write lands in the slot not holding the newest copy");
	pc_cache_free(c);
	pc_dev_close(dev);
}

/* Corrupt one field (CRC resealed where asked) and expect an error. */
struct hostile {
	const char *what;
	uint64_t off;		/* record start */
	unsigned int size;	/* 0: superblock (le, crc over 4..23) */
	unsigned int field;	/* byte offset in the record */
	uint32_t value;
	int want;		/* errno */
	const char *msg;	/* expected part of the message */
};

static void reseal(struct pc_dev *dev, const struct hostile *h)
{
	uint8_t rec[24];

	pc_dev_read(dev, h->off, rec, h->size ? h->size : 24, NULL);
	memcpy(rec + h->field, &h->value, 4);
	*(uint32_t *)rec = pc_meta_crc(rec, h->size ? h->size : 24);
	img_poke(dev, h->off, rec, h->size ? h->size : 24);
}

static void hostile_values(void)
{
	static const struct hostile cases[] = {
		{ "seg_num 0", PCD_SB_OFF, 0, 16, 0, EIO, "seg_num 0 out of range" },
		{ "seg_num beyond the device", PCD_SB_OFF, 0, 16, 64, EIO,
		  "seg_num 64 out of range (1 .. 63" },
		{ "seg_num above 2^20", PCD_SB_OFF, 0, 16, 0xFFFFFFFF, EIO,
		  "out of range" },
		{ "n_segs above seg_num", PCD_INFO_OFF + 4096, 24, 12, 64, EIO,
		  "cache_info slot 1: n_segs 64 out of range" },
		{ "n_segs 0", PCD_INFO_OFF + 4096, 24, 12, 0, EIO,
		  "n_segs 0 out of range" },
		{ "INIT_DONE clear", PCD_INFO_OFF + 4096, 24, 16, 0x1180,
		  ENOENT, "lack INIT_DONE" },
		{ "first segment out of range", PCD_INFO_OFF + 4096, 24, 8, 63,
		  EIO, "cache_info seg_id: segment id 63 out of range" },
		{ "next_seg out of range", SEG(3), 16, 12, 1000, EIO,
		  "next_seg: segment id 1000 out of range" },
		{ "chain cut short", SEG(7), 16, 8, 2, EFAULT,
		  "segment 7 (cache segment 7): segment_info slot 0 has no next" },
		{ "key_tail segment out of range", PCD_KEY_TAIL_OFF, 16, 8, 63,
		  EIO, "key_tail slot 0: position 63:0 out of range" },
		{ "dirty_tail offset out of range", PCD_DIRTY_TAIL_OFF, 16, 12,
		  PCD_SEG_DATA_SIZE, EIO, "dirty_tail slot 0: position 0:16764928" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hostile *h = &cases[i];
		struct pc_dev *dev = fresh();
		struct pc_cache *c;
		struct pc_err err;
		int ret;

		reseal(dev, h);
		ret = img_open(dev, &c, &err);
		if (!ok(ret == -h->want && strstr(err.msg, h->msg),
			"%s: refused", h->what))
			printf("#   ret %d, message: %s\n", ret, err.msg);
		pc_cache_free(c);
		pc_dev_close(dev);
	}
}

static void no_valid_copy(void)
{
	struct pc_dev *dev = fresh();
	struct pc_cache *c;
	struct pc_err err;

	img_poke32(dev, SEG(4), 0xdeadbeef);
	img_poke32(dev, SEG(4) + 4096, 0xdeadbeef);
	ok(img_open(dev, &c, &err) == -EIO && c->segs_loaded == 4 &&
	   strstr(err.msg, "segment 4 (cache segment 4): segment_info: no "
		  "valid copy"), "segment_info without a valid copy: %s",
	   err.msg);
	pc_cache_free(c);
	pc_dev_close(dev);
	dev = fresh();
	img_poke32(dev, SEG(4) + 8208, 0xdeadbeef);
	ok(img_open(dev, &c, &err) == 0 && c->segs[4].gen == 0 &&
	   c->segs[4].gen_slots.chosen == -1,
	   "no valid generation record means gen 0, as the kernel does");
	pc_cache_free(c);
	pc_dev_close(dev);
	dev = fresh();
	img_poke32(dev, PCD_INFO_OFF + 4096 + 8, 1);
	ok(img_open(dev, &c, &err) == -ENOENT && c->stage == PC_STAGE_SB &&
	   strstr(err.msg, "no valid copy in either slot"),
	   "cache_info without a valid copy");
	pc_cache_free(c);
	pc_dev_close(dev);
}

static void small_and_foreign(void)
{
	char p2[] = "/tmp/pcache-small-XXXXXX";
	int fd = mkstemp(p2);
	struct pc_dev *dev;
	struct pc_cache *c;
	struct pc_err err;
	int ret;

	ok(fd >= 0 && ftruncate(fd, 4096 * 3) == 0, "a 12 KiB file");
	close(fd);
	pc_dev_open(p2, 0, &dev, NULL);
	ret = img_open(dev, &c, &err);
	ok(ret == -ENOSPC && strstr(err.msg, "below the minimum"),
	   "a tiny device is refused before anything is read");
	pc_cache_free(c);
	pc_dev_close(dev);
	unlink(p2);
	dev = fresh();
	img_poke32(dev, PCD_SB_OFF + 8, 0x12345678);
	ok(img_open(dev, &c, &err) == -EINVAL && strstr(err.msg, "bad magic"),
	   "a foreign magic is refused");
	pc_cache_free(c);
	img_poke(dev, PCD_SB_OFF, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	ok(img_open(dev, &c, &err) == -ENODATA && strstr(err.msg, "not formatted"),
	   "magic 0 reads as unformatted");
	pc_cache_free(c);
	pc_dev_close(dev);
}

/* pc_dev_writev(): more buffers than one pwritev() takes, odd sizes. */
static void writev_many(void)
{
	enum { N = 3000 };
	static struct iovec iov[N];
	static uint8_t src[N * 7], back[N * 7];
	struct pc_dev *dev = fresh();
	struct pc_err err;
	size_t at = 0;

	for (int i = 0; i < N; i++) {
		size_t len = 1 + i % 7;

		for (size_t j = 0; j < len; j++)
			src[at + j] = (uint8_t)(i * 31 + j);
		iov[i] = (struct iovec){ src + at, len };
		at += len;
	}
	ok(pc_dev_fd(dev) >= 0, "a file is read through a descriptor");
	ok(pc_dev_writev(dev, 12345, iov, N, &err) == 0, "%d buffers written",
	   N);
	ok(pc_dev_read(dev, 12345, back, at, &err) == 0 &&
	   !memcmp(src, back, at), "they read back laid end to end");
	ok(pc_dev_writev(dev, GIB - 2, iov, 2, &err) == -ERANGE &&
	   strstr(err.msg, "write of 3 bytes at offset 1073741822 is beyond"),
	   "a write past the end names the whole write");
	pc_dev_close(dev);
}

int main(void)
{
	writev_many();
	round_trip();
	torn_and_wrap();
	hostile_values();
	no_valid_copy();
	small_and_foreign();
	return tap_done();
}
