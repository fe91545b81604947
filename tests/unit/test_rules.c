// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shared rules of lib/layout/pcache_rules.h, each once, against
 * FORMAT.md's tables (H1-H10, 6.2-6.4, 8.3, 9.3, 9.5, 9.7, Appendix B) and
 * docs/format-errata.md E1.
 */
#include "pcache.h"
#include "tap.h"

#define GIB 1073741824ULL

static uint32_t crc(const void *buf, uint32_t len)
{
	return pc_crc32c(PCD_CRC_SEED, buf, len);
}

static void superblock(void)
{
	ok(pcd_sb_judge(0, 0, 0, 0, 0, GIB, 0) == PCD_SB_UNFORMATTED,
	   "magic 0: the kernel formats (8.2.1)");
	ok(pcd_sb_judge(1, 5, 5, 0, 63, GIB, 0) == PCD_SB_BAD_MAGIC,
	   "a non-zero wrong magic is a REJECT, not a format");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 6, 0, 63, GIB, 0) == PCD_SB_BAD_CRC,
	   "CRC mismatch");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 5, PCD_HOST_BIG_ENDIAN ? 0 :
			PCD_SB_F_BIGENDIAN, 63, GIB, 0) == PCD_SB_ENDIAN,
	   "the other byte order: REJECT in the kernel");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 5, PCD_HOST_BIG_ENDIAN ? 0 :
			PCD_SB_F_BIGENDIAN, 63, GIB, 1) == PCD_SB_OK,
	   "... read by a reader that swaps");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 5, 0, 0, GIB, 0) == PCD_SB_SEG_NUM,
	   "H1: seg_num 0");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 5, 0, 63, GIB, 0) == PCD_SB_OK,
	   "H1: 63 segments on 1 GiB (B.2)");
	ok(pcd_sb_judge(PCD_SB_MAGIC, 5, 5, 0, 64, GIB, 0) == PCD_SB_SEG_NUM,
	   "H1: 64 do not fit 1 GiB");
	is_u64(pcd_sb_seg_num_max(17592186044416ULL), 1048575,
	       "16 TiB: 1048575 (B.2)");
	is_u64(pcd_sb_seg_num_max(1ULL << 50), PCD_SEGS_MAX,
	       "H1: never above 1048576");
	ok(!pcd_info_n_segs_ok(0, 63) && pcd_info_n_segs_ok(63, 63) &&
	   !pcd_info_n_segs_ok(64, 63), "H2 and 8.3.4: 1 <= n_segs <= seg_num");
	ok(pcd_pos_ok(62, PCD_SEG_DATA_SIZE - 1, 63) &&
	   !pcd_pos_ok(63, 0, 63) && !pcd_pos_ok(0, PCD_SEG_DATA_SIZE, 63),
	   "H4/H5: tail id below n_segs, offset inside the data area");
}

static void backing(void)
{
	is_u64(pcd_backing_bytes(1000), 512, "8.3.1: whole sectors only");
	is_u64(pcd_backing_bytes(511), 0, "under one sector: 0 bytes");
	is_u64(pcd_backing_bytes(GIB), GIB, "a whole number of sectors");
}

static void slots(void)
{
	struct pcd_seg_gen g = { .gen = 1 };
	struct pcd_pos p = { 0 };

	ok(pcd_next_slot(-1) == 1 && pcd_next_seq(-1, 77) == 1,
	   "no valid copy: slot 1, seq 1, as the kernel (6.4, 6.5)");
	ok(pcd_next_slot(0) == 1 && pcd_next_slot(1) == 0,
	   "6.3: the slot not holding the newest copy");
	ok(pcd_next_seq(1, 255) == 0, "seq wraps at 256");
	pcd_meta_seal(&g, sizeof(g), 2, crc);
	is_u64(g.hdr.crc, 0x745BDEC7, "seal: generation seq 2 gen 1 (B.3)");
	pcd_meta_seal(&p, sizeof(p), 1, crc);
	is_u64(p.hdr.crc, 0x6EF5DFB0, "seal: position seq 1 0:0 (B.3)");
	ok(p.hdr.version == 0 && p.hdr.res == 0, "seal: version and res 0");
}

static void set_hdr(uint8_t *buf, struct pcd_kset_hdr *h, uint32_t key_num,
		    uint64_t flags)
{
	struct pcd_kset *ks = (void *)buf;

	ks->key_num = key_num;
	ks->magic = PCD_KSET_MAGIC;
	ks->flags = flags;
	/* no CRC over more than the buffer: key_num 129 is judged before it */
	ks->crc = flags & PCD_KSET_F_LAST ? crc(buf + 4, PCD_KSET_HDR_SIZE - 4) :
		  key_num > PCD_KSET_KEYS_MAX ? 0 :
		  crc(buf + 4, pcd_kset_size(key_num) - 4);
	h->crc = ks->crc;
	h->key_num = key_num;
	h->magic = ks->magic;
	h->flags = flags;
}

static enum pcd_kset_verdict judge(const struct pcd_kset_hdr *h,
				   const uint8_t *buf, uint32_t off,
				   enum pcd_kset_model m)
{
	return pcd_kset_judge(h, buf, off, m, crc);
}

static void ksets(void)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX] __attribute__((aligned(8)));
	const uint32_t end = PCD_SEG_DATA_SIZE;
	struct pcd_kset_hdr h;

	memset(buf, 0, sizeof(buf));
	is_u64(pcd_kset_seal(buf, 5, 1, crc), 24, "seal: a LAST kset is 24 bytes");
	is_u64(((struct pcd_kset *)buf)->crc, 0x5917C2A5, "seal: LAST, next 5 (B.4)");
	memset(buf, 0, sizeof(buf));
	((struct pcd_kset *)buf)->keys[0].len = 4096;
	((struct pcd_kset *)buf)->keys[0].cache_seg_id = 1;
	is_u64(pcd_kset_seal(buf, 1, 0, crc), 64, "seal: one key, 64 bytes");
	is_u64(((struct pcd_kset *)buf)->crc, 0xD4D6C614,
	       "seal: the one-key kset of B.4");
	memset(buf, 0, sizeof(buf));
	set_hdr(buf, &h, 1, PCD_KSET_F_LAST);
	is_u64(h.crc, 0x84181C51, "LAST, next 1 (B.4)");
	ok(judge(&h, buf, 0, PCD_KSET_UPSTREAM) == PCD_KSET_LAST,
	   "a LAST kset is a link");
	set_hdr(buf, &h, 0, 0);
	is_u64(h.crc, 0xFA6796CB, "non-LAST, 0 keys (B.4)");
	ok(judge(&h, buf, 0, PCD_KSET_UPSTREAM) == PCD_KSET_KEYS,
	   "0 keys: accepted");
	h.magic = 0;
	ok(judge(&h, buf, 0, PCD_KSET_UPSTREAM) == PCD_KSET_END_MAGIC,
	   "H8: no magic ends the log");
	set_hdr(buf, &h, 129, 0);
	ok(pcd_kset_judge_hdr(&h, 0, PCD_KSET_UPSTREAM) ==
	   PCD_KSET_END_KEY_NUM, "H8: key_num 129 ends the log before any CRC");
	h.flags = PCD_KSET_F_LAST;
	ok(pcd_kset_judge_hdr(&h, 0, PCD_KSET_UPSTREAM) == PCD_KSET_NEED_CRC,
	   "... but not in a LAST kset, where it is the next id");
	set_hdr(buf, &h, 3, 0);
	h.crc ^= 1;
	ok(judge(&h, buf, 0, PCD_KSET_UPSTREAM) == PCD_KSET_END_CRC,
	   "a bad CRC ends the log");

	/* E1: 3 keys (144 bytes) at 104 bytes from the end */
	set_hdr(buf, &h, 3, 0);
	ok(judge(&h, buf, end - 104, PCD_KSET_UPSTREAM) ==
	   PCD_KSET_REJECT_TOO_BIG,
	   "E1: no fit and the CRC passes over the buffer: REJECT (H9)");
	ok(judge(&h, buf, end - 104, PCD_KSET_OWN_BYTES) ==
	   PCD_KSET_END_TOO_BIG, "E1, own bytes: the end of the log");
	h.crc ^= 1;
	ok(judge(&h, buf, end - 104, PCD_KSET_UPSTREAM) == PCD_KSET_END_CRC,
	   "E1: no fit and the CRC fails over the buffer: end of log");
	set_hdr(buf, &h, 0, PCD_KSET_F_LAST);
	ok(judge(&h, buf, end - 8, PCD_KSET_UPSTREAM) == PCD_KSET_LAST,
	   "E1: a LAST kset whose buffer passes is taken with 8 bytes left");
	ok(judge(&h, buf, end - 8, PCD_KSET_OWN_BYTES) ==
	   PCD_KSET_END_NO_ROOM, "E1, own bytes: under 24 bytes: end of log");
	set_hdr(buf, &h, 0, 0);
	ok(judge(&h, buf, end, PCD_KSET_UPSTREAM) == PCD_KSET_REJECT_TOO_BIG,
	   "E1: a kset ending at the very end leaves its own bytes in the "
	   "buffer: REJECT");
	is_u64(pcd_kset_copy_len(end - 104), 104, "copy: the rest of a segment");
	is_u64(pcd_kset_copy_len(0), PCD_KSET_SIZE_MAX, "copy: at most 5144");
	is_u64(pcd_kset_copy_len(end), 0, "copy: nothing at the end");
}

static void links(void)
{
	ok(pcd_last_judge(5, 63, 63, 63, 0) == PCD_LAST_OK,
	   "H10: seg_num hops allowed");
	ok(pcd_last_judge(5, 64, 63, 63, 0) == PCD_LAST_HOPS,
	   "H10: one more refused");
	ok(pcd_last_judge(63, 1, 63, 63, 0) == PCD_LAST_NEXT_RANGE,
	   "H4: next id n_segs refused");
	ok(pcd_last_judge(63, 64, 63, 63, 0) == PCD_LAST_HOPS,
	   "9.5: replay counts hops first");
	ok(pcd_last_judge(63, 64, 63, 63, 1) == PCD_LAST_NEXT_RANGE,
	   "9.6: the dirty_tail walk checks the id first");
}

static void device(void)
{
	ok(pcd_dev_size_ok(536870912) && pcd_dev_size_ok(GIB),
	   "3.4, 8.1: 512 MiB is enough (B.2)");
	ok(!pcd_dev_size_ok(536870911) && !pcd_dev_size_ok(0),
	   "8.1.1: one byte less is refused (-ENOSPC)");
}

static void chain(void)
{
	uint32_t phys = 99;

	ok(pcd_chain_link(0, 5, 0, 0, 63, &phys) == PCD_LINK_OK && phys == 5,
	   "7: cache segment 0 is cache_info's seg_id");
	ok(pcd_chain_link(0, 63, 0, 0, 63, &phys) == PCD_LINK_RANGE,
	   "H3: seg_id seg_num refused (-EIO)");
	ok(pcd_chain_link(3, 0, PCD_SEGI_F_HAS_NEXT, 7, 63, &phys) ==
	   PCD_LINK_OK && phys == 7, "7: then the previous next_seg");
	ok(pcd_chain_link(3, 0, PCD_SEGI_F_HAS_NEXT | 0x2, 62, 63, &phys) ==
	   PCD_LINK_OK && phys == 62, "7: the type bits do not matter");
	ok(pcd_chain_link(3, 0, PCD_SEGI_F_HAS_NEXT, 63, 63, &phys) ==
	   PCD_LINK_RANGE, "H3: next_seg seg_num refused (-EIO)");
	ok(pcd_chain_link(3, 0, 0x2, 63, 63, &phys) == PCD_LINK_NO_NEXT,
	   "7: no HAS_NEXT before the last: -EFAULT, before the range");
	ok(pcd_chain_revisit(1, 0) == PCD_LINK_OK,
	   "17.16: upstream takes a chain that revisits a segment");
	ok(pcd_chain_revisit(1, PCD_CHAIN_DISTINCT) == PCD_LINK_TWICE &&
	   pcd_chain_revisit(1, PCD_STRICT_OURS) == PCD_LINK_TWICE,
	   "C23: ours refuses it");
	ok(pcd_chain_revisit(0, PCD_STRICT_OURS) == PCD_LINK_OK,
	   "a new segment is taken by both");
}

static void replay(void)
{
	ok(pcd_log_enter(1, 0) == PCD_LOG_OK &&
	   pcd_log_enter(1, PCD_LOG_ONCE) == PCD_LOG_REENTER &&
	   pcd_log_enter(0, PCD_STRICT_OURS) == PCD_LOG_OK,
	   "a key segment entered twice: upstream reads on, ours refuses");
	ok(pcd_replay_judge(0, 1, 0) == PCD_LOG_OK,
	   "17.17, C49: upstream checks neither");
	ok(pcd_replay_judge(0, 1, PCD_STRICT_OURS) == PCD_LOG_DIRTY_OFF,
	   "C37: dirty_tail off the walk refused, first");
	ok(pcd_replay_judge(1, 1, PCD_STRICT_OURS) == PCD_LOG_KEYS_IN_LOG,
	   "C49: a live key into a log segment refused");
	ok(pcd_replay_judge(0, 1, PCD_LOG_KEYS_OFF_LOG) ==
	   PCD_LOG_KEYS_IN_LOG, "each refusal under its own flag");
	ok(pcd_replay_judge(1, 0, PCD_STRICT_OURS) == PCD_LOG_OK,
	   "a healthy log passes both");
}

static void room(void)
{
	ok(pcd_kset_room(PCD_SEG_DATA_SIZE - 48, 24),
	   "9.3: a kset and a LAST kset fit exactly");
	ok(!pcd_kset_room(PCD_SEG_DATA_SIZE - 48, 32),
	   "9.3: no room left for the LAST kset");
	ok(!pcd_kset_room(PCD_SEG_DATA_SIZE, 0), "nothing fits at the end");
}

static void keys(void)
{
	const uint64_t b = GIB;

	ok(pcd_key_judge(0, 0, 0, 0, 0, b, 63, 0) == PCD_KEY_LEN_ZERO, "9.7.1: len 0");
	ok(pcd_key_judge(b - 4096, 4096, 0, 0, 0, b, 63, 0) == PCD_KEY_OK,
	   "9.7.1: a key ending at B");
	ok(pcd_key_judge(b - 4096, 4097, 0, 0, 0, b, 63, 0) ==
	   PCD_KEY_BEYOND_BACKING, "9.7.1: one byte past B");
	ok(pcd_key_judge(UINT64_MAX, 1, 0, 0, 0, b, 63, 0) ==
	   PCD_KEY_BEYOND_BACKING, "9.7.1: no overflow in off + len");
	ok(pcd_key_judge(UINT64_MAX, 1, 0, 0, 0, 0, 63, 0) == PCD_KEY_OK,
	   "backing unknown: that bound is skipped");
	ok(pcd_key_judge(0, 4096, 63, 0, 0, b, 63, 0) == PCD_KEY_SEG_RANGE,
	   "9.7.2: cache_seg_id n_segs");
	ok(pcd_key_judge(0, 4096, 0, PCD_SEG_DATA_SIZE - 4096, 0, b, 63, 0) ==
	   PCD_KEY_OK, "9.7.3: an extent ending the data area");
	ok(pcd_key_judge(0, 4096, 0, 0xFFFFF000U, 0, b, 63, 0) ==
	   PCD_KEY_SEG_OVERFLOW, "9.7.3: summed in 64 bits");
	ok(pcd_key_judge(b, 0, 99, 0xFFFFFFFFU, 0, b, 63, 0) == PCD_KEY_LEN_ZERO,
	   "9.7: checks in the kernel's order");
	ok(pcd_key_judge(0, 4096, 0, 0, PCD_KEY_F_EMPTY, b, 63, 0) ==
	   PCD_KEY_OK, "upstream does not look at flags (9.7)");
	ok(pcd_key_judge(0, 4096, 0, 0, PCD_KEY_F_EMPTY, b, 63,
			 PCD_KEY_STRICT) == PCD_KEY_EMPTY,
	   "strict (our target): an EMPTY key is refused");
	ok(pcd_key_judge(512, 4096, 0, 0, 0, b, 63, PCD_KEY_STRICT) ==
	   PCD_KEY_OK, "strict: aligned, inside one 4 MiB region");
	ok(pcd_key_judge(100, 4096, 0, 0, 0, b, 63, PCD_KEY_STRICT) ==
	   PCD_KEY_ALIGN, "strict: not 512-aligned (C43)");
	ok(pcd_key_judge(0, 4000, 0, 0, 0, b, 63, PCD_KEY_STRICT) ==
	   PCD_KEY_ALIGN, "strict: a length not 512-aligned (C43)");
	ok(pcd_key_judge(PCD_SUBTREE_SIZE - 512, 1024, 0, 0, 0, b, 63,
			 PCD_KEY_STRICT) == PCD_KEY_CROSS,
	   "strict: crosses a 4 MiB region (C44)");
	ok(pcd_key_judge(PCD_SUBTREE_SIZE - 512, 1024, 0, 0, 0, b, 63, 0) ==
	   PCD_KEY_OK, "upstream takes a region-crossing key");
	ok(pcd_key_judge(0, 4096, 0, 0, PCD_KEY_F_EMPTY, b, 63,
			 PCD_STRICT_OURS) == PCD_KEY_EMPTY,
	   "our module's word includes PCD_KEY_STRICT");
	ok(!pcd_key_crosses(PCD_SUBTREE_SIZE, (uint32_t)PCD_SUBTREE_SIZE) &&
	   pcd_key_crosses(0, (uint32_t)PCD_SUBTREE_SIZE + 512) &&
	   !pcd_key_crosses(12345, 0),
	   "C44: a whole region is one; more than 4 MiB crosses; len 0 none");
	ok(pcd_key_stale(0, 1) && !pcd_key_stale(1, 1) && !pcd_key_stale(2, 1),
	   "9.5.5: stale iff seg_gen < gen");
	ok(pcd_key_gen_ahead(2, 1) && !pcd_key_gen_ahead(1, 1) &&
	   !pcd_key_gen_ahead(0, 1), "C48: ahead iff seg_gen > gen");
	ok(pcd_key_live_gen(1, 1) == 1 && pcd_key_live_gen(5, 1) == 1,
	   "C48: a key ahead is served as of its segment's generation");
	ok(pcd_key_stale(pcd_key_live_gen(5, 1), 2),
	   "... and is stale once the segment is reclaimed (gen + 1)");
}

int main(void)
{
	superblock();
	device();
	chain();
	backing();
	slots();
	ksets();
	links();
	room();
	replay();
	keys();
	return tap_done();
}
