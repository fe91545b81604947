// SPDX-License-Identifier: GPL-2.0
/*
 * meta.c - dual-slot records: cache_info and the two log tails.
 *
 * Reader: the newest valid copy by 8-bit seq (FORMAT.md 6.2).
 * Writer: the shared rule (pcd_next_slot): always the slot NOT holding the
 * newest copy, with seq + 1, so a torn write can never destroy the newest
 * valid copy (this deliberately differs from upstream's tail writer,
 * FORMAT.md 17.1); slot 1 with seq 1 when no copy is valid, as upstream.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/string.h>

#include "pcache.h"

static bool pcm_meta_valid(const void *rec, size_t size)
{
	const struct pcd_meta_hdr *h = rec;

	return h->crc == pcm_crc((const u8 *)rec + 4, size - 4);
}

int pcm_meta_read(struct pcache *pc, u64 off, u64 stride, size_t size,
		  void *rec, struct pcm_slot *slot)
{
	u8 a[32], b[32];
	bool va, vb;
	int pick;

	if (size > sizeof(a))
		return -EINVAL;
	if (pcm_dev_read(pc, off, a, size) ||
	    pcm_dev_read(pc, off + stride, b, size))
		return -EIO;
	va = pcm_meta_valid(a, size);
	vb = pcm_meta_valid(b, size);
	pick = pcd_pick_slot(va, ((struct pcd_meta_hdr *)a)->seq,
			     vb, ((struct pcd_meta_hdr *)b)->seq);
	if (pick < 0) {
		slot->idx = -1;
		slot->seq = 0;
		return -ENOENT;
	}
	memcpy(rec, pick ? b : a, size);
	slot->idx = pick;
	slot->seq = ((struct pcd_meta_hdr *)rec)->seq;
	return 0;
}

void pcm_meta_write(struct pcache *pc, u64 off, u64 stride, size_t size,
		    void *rec, struct pcm_slot *slot)
{
	int idx = pcd_next_slot(slot->idx);
	u8 seq = pcd_next_seq(slot->idx, slot->seq);

	pcd_meta_seal(rec, (u32)size, seq, pcm_crc_rule);
	pcm_dev_write(pc, off + idx * stride, rec, size);
	pmem_wmb();
	slot->idx = idx;
	slot->seq = seq;
}

int pcm_info_load(struct pcache *pc)
{
	int ret;

	ret = pcm_meta_read(pc, PCD_INFO_OFF, PCD_INFO_STRIDE,
			    sizeof(pc->info), &pc->info, &pc->info_slot);
	if (ret == -ENOENT) {
		memset(&pc->info, 0, sizeof(pc->info));
		pc->info.n_segs = pc->seg_num;
		pc->info.flags = pcd_info_flags(pc->opt_data_crc,
						PCD_GC_PERCENT_DEFAULT,
						PCD_MODE_WRITEBACK) &
				 ~PCD_INFO_F_INIT_DONE;
		return 0;
	}
	if (ret)
		return ret;
	if (!!(pc->info.flags & PCD_INFO_F_DATA_CRC) != pc->opt_data_crc) {
		DMERR("invalid option for data_crc (cache has data_crc %s)",
		      (pc->info.flags & PCD_INFO_F_DATA_CRC) ? "true" : "false");
		return -EINVAL;
	}
	return 0;
}

void pcm_info_write(struct pcache *pc)
{
	mutex_lock(&pc->info_lock);
	pcm_meta_write(pc, PCD_INFO_OFF, PCD_INFO_STRIDE, sizeof(pc->info),
		       &pc->info, &pc->info_slot);
	mutex_unlock(&pc->info_lock);
}

static int pcm_tail_load(struct pcache *pc, u64 off, struct pcm_pos *pos,
			 struct pcm_slot *slot, const char *name)
{
	struct pcd_pos rec;
	int ret;

	ret = pcm_meta_read(pc, off, PCD_POS_STRIDE, sizeof(rec), &rec, slot);
	if (ret) {
		DMERR("%s: no valid copy", name);
		return -EIO;
	}
	if (!pcd_pos_ok(rec.cache_seg_id, rec.seg_off, pc->n_segs)) {
		DMERR("%s %u:%u out of range", name, rec.cache_seg_id,
		      rec.seg_off);
		return -EIO;
	}
	pos->seg = rec.cache_seg_id;
	pos->off = rec.seg_off;
	return 0;
}

int pcm_tails_load(struct pcache *pc)
{
	int ret;

	ret = pcm_tail_load(pc, PCD_KEY_TAIL_OFF, &pc->key_tail,
			    &pc->key_tail_slot, "key_tail");
	if (ret)
		return ret;
	return pcm_tail_load(pc, PCD_DIRTY_TAIL_OFF, &pc->dirty_tail,
			     &pc->dirty_tail_slot, "dirty_tail");
}

void pcm_tail_write(struct pcache *pc, bool dirty, struct pcm_pos pos)
{
	struct pcd_pos rec = {
		.cache_seg_id = pos.seg,
		.seg_off = pos.off,
	};

	if (dirty)
		pcm_meta_write(pc, PCD_DIRTY_TAIL_OFF, PCD_POS_STRIDE,
			       sizeof(rec), &rec, &pc->dirty_tail_slot);
	else
		pcm_meta_write(pc, PCD_KEY_TAIL_OFF, PCD_POS_STRIDE,
			       sizeof(rec), &rec, &pc->key_tail_slot);
	spin_lock(&pc->pos_lock);
	if (dirty)
		pc->dirty_tail = pos;
	else
		pc->key_tail = pos;
	spin_unlock(&pc->pos_lock);
}

/*
 * New cache: both tails at 0:0 with seq 1 in slot 0, as a kernel format
 * leaves them (upstream's tail writer uses the current slot, 17.1, so
 * start as if slot 1 held seq 0). The other slots are cleared first so
 * that no record of an earlier cache can outlive the re-initialisation
 * (FORMAT.md 17.5).
 */
void pcm_tails_format(struct pcache *pc)
{
	struct pcm_pos zero = { 0, 0 };

	pcm_dev_zero(pc, PCD_CTRL_OFF, 4 * PCD_POS_STRIDE);
	pmem_wmb();
	pc->key_tail_slot.idx = 1;
	pc->key_tail_slot.seq = 0;
	pc->dirty_tail_slot = pc->key_tail_slot;
	pcm_tail_write(pc, true, zero);
	pcm_tail_write(pc, false, zero);
}
