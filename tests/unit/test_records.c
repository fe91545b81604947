// SPDX-License-Identifier: LGPL-2.1-or-later
/* Record encoders against FORMAT.md Appendices A and B, byte for byte. */
#include "pcache.h"
#include "tap.h"

static int same(const void *a, const uint8_t *b, size_t n)
{
	return !memcmp(a, b, n);
}

static void superblocks(void)
{
	static const struct { uint32_t seg_num, crc; } v[] = {
		{ 31, 0x047F7742 }, { 63, 0x097F12DB }, { 127, 0x137FD9E9 },
		{ 1048575, 0xBC209670 },
	};
	static const uint8_t gib[24] = {
		0xdb, 0x12, 0x7f, 0x09, 0, 0, 0, 0, 0xef, 0x96, 0xc5, 0x96,
		0xfa, 0x5e, 0xb0, 0x65, 0x3f, 0, 0, 0, 0, 0, 0, 0 };
	struct pcd_superblock sb;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pc_encode_sb(&sb, v[i].seg_num, 0);
		is_u64(pcd_le32(sb.crc), v[i].crc, "superblock seg_num %u crc",
		       v[i].seg_num);
	}
	pc_encode_sb(&sb, 63, 0);
	ok(same(&sb, gib, 24), "1 GiB superblock bytes (Appendix A)");
	is_u64(pcd_segs_for_size(536870912), 31, "512 MiB holds 31 segments");
	is_u64(pcd_segs_for_size(17592186044416ULL), 1048575,
	       "16 TiB holds 1048575 segments");
}

static void meta_records(void)
{
	static const uint8_t ci1[24] = {
		0x4b, 0x4e, 0x99, 0xef, 1, 0, 0, 0, 0, 0, 0, 0, 0x3f, 0, 0, 0,
		0x82, 0x11, 0, 0, 0, 0, 0, 0 };
	static const uint8_t gen1[16] = {
		0xb0, 0xdf, 0xf5, 0x6e, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t gen2[16] = {
		0xc7, 0xde, 0x5b, 0x74, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t si0[16] = {
		0x31, 0x8e, 0x66, 0x3b, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t si1[16] = {
		0xfe, 0x25, 0x8d, 0xfc, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 };
	struct pcd_cache_info ci;
	struct pcd_seg_info si;
	struct pcd_seg_gen g;
	struct pcd_pos p;

	pc_encode_info(&ci, 1, 0, 63, 0x1182);
	ok(same(&ci, ci1, 24), "cache_info seq 1 flags 0x1182 bytes");
	pc_encode_info(&ci, 1, 0, 63, 0x1183);
	is_u64(ci.hdr.crc, 0xA6A5336C, "cache_info flags 0x1183 crc");
	pc_encode_info(&ci, 2, 0, 63, 0x1182);
	is_u64(ci.hdr.crc, 0xB65D568C, "cache_info seq 2 crc");
	is_u64(pcd_info_flags(0, 70, 0), 0x1182, "flags: gc 70, init done");
	is_u64(pcd_info_flags(1, 70, 0), 0x1183, "flags: with data crc");
	pc_encode_gen(&g, 1, 0);
	ok(same(&g, gen1, 16), "generation seq 1 gen 0 bytes");
	pc_encode_gen(&g, 2, 1);
	ok(same(&g, gen2, 16), "generation seq 2 gen 1 bytes");
	pc_encode_pos(&p, 1, (struct pc_pos){ 0, 0 });
	ok(same(&p, gen1, 16), "position seq 1 0:0 bytes");
	pc_encode_seg_info(&si, 2, 3, 1);
	ok(same(&si, si0, 16), "segment_info seq 2 next 1 bytes");
	pc_encode_seg_info(&si, 1, 2, 0);
	ok(same(&si, si1, 16), "segment_info seq 1 bytes");
	pc_encode_seg_info(&si, 2, 3, 2);
	is_u64(si.hdr.crc, 0x59440708, "segment_info next 2 crc");
	pc_encode_seg_info(&si, 2, 3, 62);
	is_u64(si.hdr.crc, 0xEA63F0AB, "segment_info next 62 crc");
}

static void ksets(void)
{
	static const uint8_t last1[24] = {
		0x51, 0x1c, 0x18, 0x84, 1, 0, 0, 0, 0x1a, 0x4f, 0x16, 0x4e,
		0xa6, 0x94, 0x68, 0x67, 1, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[PCD_KSET_SIZE_MAX] = { 0 };
	struct pcd_kset *ks = (void *)buf;
	uint32_t size;

	size = pc_encode_kset(buf, 1, true);
	ok(size == 24 && same(buf, last1, 24), "LAST kset to 1 bytes");
	pc_encode_kset(buf, 0, true);
	is_u64(ks->crc, 0xB35BEBEC, "LAST kset to 0 crc");
	pc_encode_kset(buf, 5, true);
	is_u64(ks->crc, 0x5917C2A5, "LAST kset to 5 crc");
	pc_encode_kset(buf, 0, false);
	is_u64(ks->crc, 0xFA6796CB, "empty non-LAST kset crc");
	memset(buf, 0, sizeof(buf));
	ks->keys[0].len = 4096;
	ks->keys[0].cache_seg_id = 1;
	size = pc_encode_kset(buf, 1, false);
	is_u64(size, 64, "one-key kset is 64 bytes");
	is_u64(ks->crc, 0xD4D6C614, "one dirty key kset crc");
	ks->keys[0].data_crc = 0x603571B1;
	pc_encode_kset(buf, 1, false);
	is_u64(ks->crc, 0xA7EDB6F7, "one key with data crc, kset crc");
}

static void slot_choice(void)
{
	ok(pcd_pick_slot(0, 0, 0, 0) == -1, "no valid slot");
	ok(pcd_pick_slot(1, 5, 0, 9) == 0, "only slot 0 valid");
	ok(pcd_pick_slot(0, 5, 1, 1) == 1, "only slot 1 valid");
	ok(pcd_pick_slot(1, 1, 1, 2) == 1, "slot 1 one ahead");
	ok(pcd_pick_slot(1, 2, 1, 1) == 0, "slot 0 one ahead");
	ok(pcd_pick_slot(1, 7, 1, 7) == 0, "equal seqs: slot 0 wins");
	ok(pcd_pick_slot(1, 255, 1, 0) == 1, "wraparound 255 -> 0");
	ok(pcd_pick_slot(1, 0, 1, 255) == 0, "wraparound, slot 0 newer");
	ok(pcd_pick_slot(1, 0, 1, 128) == 0, "distance 128: slot 0 wins");
	ok(pcd_pick_slot(1, 128, 1, 0) == 0, "distance 128 backwards");
	ok(pcd_pick_slot(1, 0, 1, 127) == 1, "distance 127: slot 1 wins");
	ok(pcd_pick_slot(1, 0, 1, 129) == 0,
	   "distance 129: larger seq treated as older");
}

int main(void)
{
	superblocks();
	meta_records();
	ksets();
	slot_choice();
	return tap_done();
}
