// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writing a fresh cache. The full format produces exactly what the kernel
 * leaves after formatting a zeroed device (FORMAT.md Appendix A), in a
 * crash-safe order: old superblock invalidated first, metadata next, the
 * new superblock last. Only metadata is written; zeros are not written over
 * holes of a sparse image.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcache.h"

int pc_format_plan(uint64_t size, const struct pc_format_opts *o,
		   struct pc_layout *l, struct pc_err *err)
{
	uint64_t fit = pcd_segs_for_size(size);

	memset(l, 0, sizeof(*l));
	l->dev_size = size;
	if (!pcd_dev_size_ok(size)) {
		pc_err_set(err, -ENOSPC, "device size %llu bytes is below the "
			   "minimum of %llu bytes (512 MiB)",
			   (unsigned long long)size, PCD_DEV_SIZE_MIN);
		return -ENOSPC;
	}
	l->seg_fit = fit > PCD_SEGS_MAX ? PCD_SEGS_MAX : (uint32_t)fit;
	l->seg_num = o->seg_num ? o->seg_num : l->seg_fit;
	if (l->seg_num > l->seg_fit) {
		pc_err_set(err, -EINVAL, "segments: %u requested, but the "
			   "device holds at most %u", o->seg_num, l->seg_fit);
		return -EINVAL;
	}
	if (o->gc_percent > PCD_GC_PERCENT_MAX) {
		pc_err_set(err, -EINVAL, "gc_percent: %u is above the maximum "
			   "of %u", o->gc_percent, PCD_GC_PERCENT_MAX);
		return -EINVAL;
	}
	l->info_flags = pcd_info_flags(o->data_crc, o->gc_percent,
				       PCD_MODE_WRITEBACK);
	if (o->lazy)
		l->info_flags &= ~PCD_INFO_F_INIT_DONE;
	l->data_bytes = (uint64_t)l->seg_num * PCD_SEG_DATA_SIZE;
	l->unused_bytes = size - pcd_seg_offset(l->seg_num);
	return 0;
}

/* Zero a range unless it already reads as zeros. */
static int zero_range(struct pc_dev *dev, uint64_t off, uint64_t len,
		      struct pc_err *err)
{
	if (pc_dev_is_hole(dev, off, len))
		return 0;
	return pc_dev_zero(dev, off, len, err);
}

/*
 * One segment as the kernel initialises it: metadata area and the first 24
 * data bytes zeroed, generation slot 1 (seq 1, gen 0), segment_info slot 1
 * (seq 1, no next) and, but for the last segment, segment_info slot 0
 * (seq 2, next = the following physical segment).
 *
 * @area holds the segment's zeroed area with slot 1 and gen 1 filled in.
 * Over a hole, only the pages holding records are written, in one write
 * (the zeros between the records are already there).
 */
static int write_segment(struct pc_dev *dev, uint8_t *area, uint32_t p,
			 uint32_t seg_num, struct pc_err *err)
{
	uint64_t base = pcd_seg_offset(p);
	bool hole = pc_dev_is_hole(dev, base, PCD_SEG_INIT_ZERO);
	struct pcd_seg_info si0;
	uint64_t from = 0;

	if (p + 1 < seg_num) {
		pc_encode_seg_info(&si0, 2, PCD_SEGI_F_HAS_NEXT |
				   (PCD_SEG_TYPE_DATA << PCD_SEGI_TYPE_SHIFT),
				   p + 1);
		memcpy(area, &si0, sizeof(si0));
	} else {
		memset(area, 0, sizeof(si0));
		from = hole ? PCD_SEG_INFO_STRIDE : 0;
	}
	return pc_dev_write(dev, base + from, area + from,
			    (hole ? PCD_SEG_DATA_OFF : PCD_SEG_INIT_ZERO) - from,
			    err);
}

static int write_segments(struct pc_dev *dev, const struct pc_layout *l,
			  const struct pc_format_opts *o, struct pc_err *err)
{
	uint8_t *area = calloc(1, PCD_SEG_INIT_ZERO);
	struct pcd_seg_info si1;
	struct pcd_seg_gen gen1;
	int ret = 0;

	if (!area) {
		pc_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	pc_encode_seg_info(&si1, 1, PCD_SEG_TYPE_DATA << PCD_SEGI_TYPE_SHIFT, 0);
	pc_encode_gen(&gen1, 1, 0);
	memcpy(area + PCD_SEG_INFO_STRIDE, &si1, sizeof(si1));
	memcpy(area + PCD_SEG_CTRL_OFF + PCD_SEG_GEN_STRIDE, &gen1,
	       sizeof(gen1));
	for (uint32_t p = 0; p < l->seg_num && !ret; p++) {
		ret = write_segment(dev, area, p, l->seg_num, err);
		if (!ret && o->progress &&
		    (p % 4096 == 0 || p + 1 == l->seg_num))
			o->progress(o->progress_ctx, p + 1, l->seg_num);
	}
	free(area);
	return ret;
}

static int write_control(struct pc_dev *dev, const struct pc_layout *l,
			 struct pc_err *err)
{
	const struct pc_pos origin = { 0, 0 };
	struct pcd_cache_info ci;
	struct pcd_pos pos;
	int ret;

	pc_encode_pos(&pos, 1, origin);
	ret = pc_dev_write(dev, PCD_DIRTY_TAIL_OFF, &pos, sizeof(pos), err);
	if (!ret)
		ret = pc_dev_write(dev, PCD_KEY_TAIL_OFF, &pos, sizeof(pos), err);
	if (ret)
		return ret;
	pc_encode_info(&ci, 1, 0, l->seg_num, l->info_flags);
	return pc_dev_write(dev, PCD_INFO_OFF + PCD_INFO_STRIDE, &ci,
			    sizeof(ci), err);
}

/*
 * Lazy: cache_info in slot 0 with seq 0 and no INIT_DONE. The kernel's
 * first activation initialises the chain and writes slot 1 with seq 1,
 * which leaves slot 1 as a kernel format would.
 */
static int write_lazy_info(struct pc_dev *dev, const struct pc_layout *l,
			   struct pc_err *err)
{
	struct pcd_cache_info ci;

	pc_encode_info(&ci, 0, 0, l->seg_num, l->info_flags);
	return pc_dev_write(dev, PCD_INFO_OFF, &ci, sizeof(ci), err);
}

int pc_format_write(struct pc_dev *dev, const struct pc_layout *l,
		    const struct pc_format_opts *o, struct pc_err *err)
{
	struct pcd_superblock sb;
	int ret;

	/* 1. Invalidate the old superblock (and old signatures) first. */
	ret = zero_range(dev, 0, PCD_HDR_ZERO_START, err);
	if (!ret)
		ret = pc_dev_flush(dev, err);
	/* 2. Metadata the kernel reads before writing. */
	if (!ret)
		ret = zero_range(dev, PCD_HDR_ZERO_START,
				 PCD_HDR_ZERO_END - PCD_HDR_ZERO_START, err);
	if (!ret && o->lazy)
		ret = write_lazy_info(dev, l, err);
	if (!ret && !o->lazy)
		ret = write_segments(dev, l, o, err);
	if (!ret && !o->lazy)
		ret = write_control(dev, l, err);
	if (!ret)
		ret = pc_dev_flush(dev, err);
	/* 3. The superblock last: until it is durable nothing is a cache. */
	if (ret)
		return ret;
	pc_encode_sb(&sb, l->seg_num, PCD_HOST_BIG_ENDIAN ? PCD_SB_F_BIGENDIAN : 0);
	ret = pc_dev_write(dev, PCD_SB_OFF, &sb, sizeof(sb), err);
	if (!ret)
		ret = pc_dev_flush(dev, err);
	return ret;
}
