// SPDX-License-Identifier: LGPL-2.1-or-later
/* Device size and superblock (FORMAT.md 16, C1-C8). */
#include <errno.h>

#include "check_int.h"

static void sb_seg_num(struct pc_check *ck, struct pc_sb *sb);

/*
 * Go on with a superblock rebuilt from the metadata behind the damaged
 * one, and plan to write it (-y); 1 (stop here) when it cannot be rebuilt.
 */
static int sb_try_rebuild(struct pc_check *ck, long idx)
{
	struct pc_repair rp = { .kind = PC_RP_SB, .cache_seg = -1,
				.what = "superblock", .dev_off = PCD_SB_OFF };
	struct pc_finding *f = pc_ck_get(ck, idx);
	struct pc_sb sb;
	char why[160];

	if (pc_ck_sb_rebuild(ck, &sb, why, sizeof(why))) {
		if (f)
			f->no_fix = true;
		pc_ck_append(f, "; it cannot be rebuilt: %s", why);
		return 1;
	}
	pc_ck_append(f, "; a cache lies behind it: checked with a superblock "
		     "rebuilt from cache_info (seg_num %u, flags 0x%x)",
		     sb.seg_num, sb.flags);
	ck->sb_rebuilt = true;
	ck->sb_finding = idx;
	pc_ck_plan(ck, idx, &rp);
	ck->c.swap = !!(sb.flags & PCD_SB_F_BIGENDIAN) != PCD_HOST_BIG_ENDIAN;
	sb_seg_num(ck, &sb);
	ck->u.seg_num = sb.seg_num;
	ck->c.sb = sb;
	ck->c.stage = PC_STAGE_SB;
	return 0;
}

static int sb_unformatted(struct pc_check *ck)
{
	struct pc_sb sb;
	char why[160];
	long idx;

	if (!pc_ck_used_evidence(ck) &&
	    pc_ck_sb_rebuild(ck, &sb, why, sizeof(why))) {
		pc_ck_add(ck, PCK_SB_UNFORMATTED, "superblock", -1, -1,
			  PCD_SB_OFF, "superblock magic is 0: the device is "
			  "not formatted; the kernel formats it at its first "
			  "activation");
		return 1;
	}
	idx = pc_ck_add(ck, PCK_SB_UNFORMATTED_USED, "superblock", -1, -1,
			PCD_SB_OFF, "superblock magic is 0 but the records of "
			"an earlier cache remain; activation would format "
			"over it");
	return sb_try_rebuild(ck, idx);
}

static void sb_seg_num(struct pc_check *ck, struct pc_sb *sb)
{
	uint64_t cap = pcd_sb_seg_num_max(ck->c.dev_size);

	ck->u.seg_fit = (uint32_t)cap;
	if (pcd_sb_judge(PCD_SB_MAGIC, 0, 0, 0, sb->seg_num, ck->c.dev_size,
			 1) == PCD_SB_SEG_NUM)
		pc_ck_add(ck, PCK_SB_SEG_NUM, "superblock", -1, -1,
			  PCD_SB_OFF + 16, "superblock seg_num %u is out of "
			  "range: 1 .. %llu for a device of %llu bytes (format "
			  "maximum %u)", sb->seg_num, (unsigned long long)cap,
			  (unsigned long long)ck->c.dev_size, PCD_SEGS_MAX);
	else if (sb->seg_num < cap)
		pc_ck_add(ck, PCK_SB_UNUSED, "superblock", -1, -1,
			  PCD_SB_OFF + 16, "seg_num %u is below the %llu "
			  "segments the device holds; %llu bytes are unused",
			  sb->seg_num, (unsigned long long)cap,
			  (unsigned long long)(ck->c.dev_size -
					       pcd_seg_offset(sb->seg_num)));
	/* Go on with what can be addressed. */
	if (sb->seg_num > cap)
		sb->seg_num = (uint32_t)cap;
}

int pc_ck_sb(struct pc_check *ck)
{
	struct pc_sb sb;
	struct pc_err err = { 0 };
	uint64_t size = ck->c.dev_size;
	bool big;
	int ret;

	ck->u.dev_size = size;
	if (!pcd_dev_size_ok(size))
		pc_ck_add(ck, PCK_DEV_SMALL, "device", -1, -1, -1, "the device "
			  "is %llu bytes; the kernel needs at least %llu",
			  (unsigned long long)size, PCD_DEV_SIZE_MIN);
	if (size < PCD_SB_OFF + sizeof(struct pcd_superblock)) {
		pc_ck_add(ck, PCK_DEV_READ, "superblock", -1, -1, PCD_SB_OFF,
			  "the device ends at byte %llu, before the end of the "
			  "superblock", (unsigned long long)size);
		return 1;
	}
	ret = pc_sb_read(ck->dev, &sb, &err);
	if (ret) {
		pc_ck_add(ck, PCK_DEV_READ, "superblock", -1, -1, PCD_SB_OFF,
			  "%s", err.msg);
		return pc_ck_fail(ck, ret, &err);
	}
	if (sb.magic == 0)
		return sb_unformatted(ck);
	if (sb.magic != PCD_SB_MAGIC)
		return sb_try_rebuild(ck, pc_ck_add(ck, PCK_SB_MAGIC,
			"superblock", -1, -1, PCD_SB_OFF + 8, "superblock "
			"magic 0x%016llx is not the pcache magic 0x%016llx: "
			"not a pcache superblock", (unsigned long long)sb.magic,
			PCD_SB_MAGIC));
	if (sb.crc_stored != sb.crc_calc &&
	    !sb_try_rebuild(ck, pc_ck_add(ck, PCK_SB_CRC, "superblock", -1,
					 -1, PCD_SB_OFF, "superblock crc 0x%08x "
					 "does not match the computed 0x%08x",
					 sb.crc_stored, sb.crc_calc)))
		return 0;
	big = sb.flags & PCD_SB_F_BIGENDIAN;
	if (big != PCD_HOST_BIG_ENDIAN)
		pc_ck_add(ck, PCK_SB_ENDIAN, "superblock", -1, -1,
			  PCD_SB_OFF + 4, "the device was formatted on a "
			  "%s-endian host; a kernel on this %s-endian host "
			  "refuses it", big ? "big" : "little",
			  PCD_HOST_BIG_ENDIAN ? "big" : "little");
	if ((sb.flags & ~PCD_SB_F_BIGENDIAN) || sb.padding)
		pc_ck_add(ck, PCK_SB_FLAGS, "superblock", -1, -1,
			  PCD_SB_OFF + 4, "superblock flags 0x%08x, padding "
			  "0x%08x: unused bits set (ignored)", sb.flags,
			  sb.padding);
	ck->c.swap = big != PCD_HOST_BIG_ENDIAN;
	sb_seg_num(ck, &sb);
	ck->u.sb_valid = sb.crc_stored == sb.crc_calc;
	ck->u.seg_num = sb.seg_num;
	ck->c.sb = sb;
	ck->c.stage = PC_STAGE_SB;
	return sb.seg_num ? 0 : 1;
}
