// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Does a device hold a pcache cache? libblkid does not know our format, so
 * every tool about to write a device it did not format itself asks here.
 * A cache is recognised by its superblock magic, and also when the
 * superblock is zeroed or damaged but the records behind it survive: any
 * CRC-valid cache_info, tail or segment_info copy, or a kset magic at the
 * start of a segment's data area. Random or foreign data matches a 32-bit
 * CRC or a 64-bit magic by chance too rarely to matter.
 */
#include <stdio.h>
#include <string.h>

#include "pcache.h"

/* A dual-slot record in either byte order: valid copies (0..2). */
static unsigned int valid_copies(struct pc_dev *dev, uint64_t off,
				 uint64_t stride, unsigned int size)
{
	unsigned int best = 0;

	for (int swap = 0; swap <= 1; swap++) {
		struct pc_dual d;
		unsigned int n = 0;

		pc_dual_read(dev, swap, off, stride, size, &d, NULL);
		for (int i = 0; i < PCD_SLOTS; i++)
			n += d.slot[i].state == PC_SLOT_VALID;
		if (n > best)
			best = n;
	}
	return best;
}

static bool kset_magic_at(struct pc_dev *dev, uint64_t off)
{
	struct pcd_kset ks;

	if (pc_dev_read(dev, off, &ks, sizeof(ks), NULL))
		return false;
	return ks.magic == PCD_KSET_MAGIC ||
	       ks.magic == pcd_swap64(PCD_KSET_MAGIC);
}

static void probe_segments(struct pc_dev *dev, struct pc_probe *p)
{
	uint64_t size = pc_dev_size(dev);
	uint64_t fit = size < PCD_SEGS_OFF ? 0 :
		       (size - PCD_SEGS_OFF) / PCD_SEG_SIZE;

	p->segs_probed = fit < PC_PROBE_SEGS ? (uint32_t)fit : PC_PROBE_SEGS;
	for (uint32_t i = 0; i < p->segs_probed; i++) {
		uint64_t seg = PCD_SEGS_OFF + (uint64_t)i * PCD_SEG_SIZE;

		if (valid_copies(dev, seg, PCD_SEG_INFO_STRIDE,
				 sizeof(struct pcd_seg_info)))
			p->segs_info_valid++;
		if (kset_magic_at(dev, seg + PCD_SEG_DATA_OFF))
			p->segs_kset++;
	}
}

int pc_probe_cache(struct pc_dev *dev, struct pc_probe *p, struct pc_err *err)
{
	struct pc_sb sb;
	int ret;

	memset(p, 0, sizeof(*p));
	if (pc_dev_size(dev) < PCD_SEGS_OFF)
		return 0;
	ret = pc_sb_read(dev, &sb, err);
	if (ret)
		return ret;
	p->sb_magic = sb.magic == PCD_SB_MAGIC;
	p->sb_valid = pc_sb_valid(&sb);
	p->info_valid = valid_copies(dev, PCD_INFO_OFF, PCD_INFO_STRIDE,
				     sizeof(struct pcd_cache_info));
	p->tails_valid = valid_copies(dev, PCD_KEY_TAIL_OFF, PCD_POS_STRIDE,
				      sizeof(struct pcd_pos)) +
			 valid_copies(dev, PCD_DIRTY_TAIL_OFF, PCD_POS_STRIDE,
				      sizeof(struct pcd_pos));
	probe_segments(dev, p);
	p->found = p->sb_magic || p->info_valid || p->tails_valid ||
		   p->segs_info_valid || p->segs_kset;
	return p->found;
}

const char *pc_probe_describe(const struct pc_probe *p, char *buf, size_t len)
{
	if (!p->found)
		snprintf(buf, len, "no dm-pcache metadata");
	else if (p->sb_valid)
		snprintf(buf, len, "a dm-pcache superblock");
	else
		snprintf(buf, len, "dm-pcache metadata (superblock %s; valid "
			 "copies: %u cache_info, %u tail; %u of the first %u "
			 "segments with a valid segment_info, %u starting "
			 "with a kset)",
			 p->sb_magic ? "with a bad CRC" : "without the magic",
			 p->info_valid, p->tails_valid, p->segs_info_valid,
			 p->segs_probed, p->segs_kset);
	return buf;
}
