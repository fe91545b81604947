// SPDX-License-Identifier: GPL-2.0
/*
 * segment.c - the segment chain (format and load), per-segment generation
 * records, the free-segment allocator, data heads and reference counts.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pcache.h"

static u64 pcm_seg_info_off(struct pcache *pc, u32 seg)
{
	return pcd_seg_offset(pc->segs[seg].phys);
}

static u64 pcm_seg_gen_off(struct pcache *pc, u32 seg)
{
	return pcd_seg_offset(pc->segs[seg].phys) + PCD_SEG_CTRL_OFF;
}

int pcm_segs_alloc(struct pcache *pc)
{
	u32 i;

	pc->segs = kvcalloc(pc->n_segs, sizeof(*pc->segs), GFP_KERNEL);
	pc->seg_map = bitmap_zalloc(pc->n_segs, GFP_KERNEL);
	pc->keyseg_map = bitmap_zalloc(pc->n_segs, GFP_KERNEL);
	if (!pc->segs || !pc->seg_map || !pc->keyseg_map) {
		pcm_segs_free(pc);
		return -ENOMEM;
	}
	for (i = 0; i < pc->n_segs; i++)
		atomic_set(&pc->segs[i].refs, 0);
	return 0;
}

void pcm_segs_free(struct pcache *pc)
{
	kvfree(pc->segs);
	bitmap_free(pc->seg_map);
	bitmap_free(pc->keyseg_map);
	pc->segs = NULL;
	pc->seg_map = NULL;
	pc->keyseg_map = NULL;
}

static void pcm_seg_info_write(struct pcache *pc, u32 seg)
{
	struct pcm_seg *s = &pc->segs[seg];

	pcm_meta_write(pc, pcm_seg_info_off(pc, seg), PCD_SEG_INFO_STRIDE,
		       sizeof(s->info), &s->info, &s->info_slot);
}

static void pcm_seg_gen_write(struct pcache *pc, u32 seg)
{
	struct pcm_seg *s = &pc->segs[seg];
	struct pcd_seg_gen rec = { .gen = s->gen };

	pcm_meta_write(pc, pcm_seg_gen_off(pc, seg), PCD_SEG_GEN_STRIDE,
		       sizeof(rec), &rec, &s->gen_slot);
}

/* New cache: chain physical segments 0 .. n_segs-1 (FORMAT.md 8.4). */
int pcm_segs_format(struct pcache *pc)
{
	struct pcm_seg *s;
	u32 i;

	pc->info.seg_id = 0;
	for (i = 0; i < pc->n_segs; i++) {
		s = &pc->segs[i];
		s->phys = i;
		if (i > 0) {
			pc->segs[i - 1].info.flags |= PCD_SEGI_F_HAS_NEXT;
			pc->segs[i - 1].info.next_seg = i;
			pcm_seg_info_write(pc, i - 1);
		}
		pcm_dev_zero(pc, pcd_seg_offset(i), PCD_SEG_DATA_OFF);
		pmem_wmb();
		s->gen = 0;
		s->gen_slot.idx = -1;
		s->gen_slot.seq = 0;
		pcm_seg_gen_write(pc, i);
		memset(&s->info, 0, sizeof(s->info));
		s->info.flags = PCD_SEG_TYPE_DATA << PCD_SEGI_TYPE_SHIFT;
		s->info_slot.idx = -1;
		s->info_slot.seq = 0;
		pcm_seg_info_write(pc, i);
		pcm_dev_zero(pc, pcd_data_offset(i, 0), PCD_KSET_HDR_SIZE);
		pmem_wmb();
	}
	return 0;
}

static int pcm_seg_load_one(struct pcache *pc, u32 i, u32 phys)
{
	struct pcm_seg *s = &pc->segs[i];
	struct pcd_seg_gen g;
	int ret;

	s->phys = phys;
	ret = pcm_meta_read(pc, pcm_seg_info_off(pc, i), PCD_SEG_INFO_STRIDE,
			    sizeof(s->info), &s->info, &s->info_slot);
	if (ret) {
		DMERR("chain segment %u (physical %u): no valid segment_info",
		      i, phys);
		return -EIO;
	}
	ret = pcm_meta_read(pc, pcm_seg_gen_off(pc, i), PCD_SEG_GEN_STRIDE,
			    sizeof(g), &g, &s->gen_slot);
	if (ret == -EIO)
		return ret;
	s->gen = ret ? 0 : g.gen;
	return 0;
}

/* The physical id of chain segment @i (pcd_chain_link(), FORMAT.md 7). */
static int pcm_seg_link(struct pcache *pc, u32 i, u32 *phys)
{
	const struct pcd_seg_info *prev = i ? &pc->segs[i - 1].info : NULL;

	switch (pcd_chain_link(i, pc->info.seg_id, prev ? prev->flags : 0,
			       prev ? prev->next_seg : 0, pc->seg_num, phys)) {
	case PCD_LINK_OK:
		return 0;
	case PCD_LINK_NO_NEXT:
		DMERR("chain ends early at segment %u", i - 1);
		return -EFAULT;
	default:
		DMERR("chain segment %u: physical id %u >= seg_num %u",
		      i, *phys, pc->seg_num);
		return -EIO;
	}
}

/* Existing cache: follow the chain, refusing duplicates (check C23). */
int pcm_segs_load(struct pcache *pc)
{
	unsigned long *seen;
	u32 i, phys = 0;
	int ret = 0;

	seen = bitmap_zalloc(pc->seg_num, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	for (i = 0; i < pc->n_segs; i++) {
		ret = pcm_seg_link(pc, i, &phys);
		if (!ret)
			ret = pcm_seg_load_one(pc, i, phys);
		if (ret)
			break;
		if (pcd_chain_revisit(test_and_set_bit(phys, seen),
				      PCD_STRICT_OURS) != PCD_LINK_OK) {
			DMERR("corrupt chain: physical segment %u appears twice",
			      phys);
			ret = -EIO;
			break;
		}
	}
	bitmap_free(seen);
	return ret;
}

void pcm_seg_mark_used(struct pcache *pc, u32 seg)
{
	spin_lock(&pc->seg_lock);
	if (!__test_and_set_bit(seg, pc->seg_map))
		pc->segs_used++;
	spin_unlock(&pc->seg_lock);
}

void pcm_seg_mark_free(struct pcache *pc, u32 seg)
{
	spin_lock(&pc->seg_lock);
	if (__test_and_clear_bit(seg, pc->seg_map))
		pc->segs_used--;
	spin_unlock(&pc->seg_lock);
	pcm_kick_retry(pc);
}

/*
 * Lowest free cache segment at or after the hint, wrapping once; refused
 * while no more than @reserve segments are free.
 */
int pcm_seg_get_free(struct pcache *pc, u32 reserve)
{
	unsigned long s;
	int ret = -EBUSY;

	spin_lock(&pc->seg_lock);
	if (pc->n_segs - pc->segs_used <= reserve)
		goto out;
	s = find_next_zero_bit(pc->seg_map, pc->n_segs, pc->seg_hint);
	if (s >= pc->n_segs)
		s = find_first_zero_bit(pc->seg_map, pc->n_segs);
	if (s >= pc->n_segs)
		goto out;
	__set_bit(s, pc->seg_map);
	pc->segs_used++;
	pc->seg_hint = s;
	ret = s;
out:
	spin_unlock(&pc->seg_lock);
	return ret;
}

/*
 * The last reference to a data segment is gone: bump its generation on
 * media, so that index entries still pointing into it stop counting
 * (index.c drops them when it meets them), and free it.
 */
static void pcm_seg_reclaim(struct pcache *pc, u32 seg)
{
	pcm_index_purge_begin(pc);
	mutex_lock(&pc->gen_lock);
	WRITE_ONCE(pc->segs[seg].gen, pc->segs[seg].gen + 1);
	pcm_seg_gen_write(pc, seg);
	mutex_unlock(&pc->gen_lock);
	pcm_index_purge_end(pc);
	atomic_inc(&pc->reclaims);
	pcm_seg_mark_free(pc, seg);
}

void pcm_seg_put(struct pcache *pc, u32 seg)
{
	if (atomic_dec_and_test(&pc->segs[seg].refs))
		pcm_seg_reclaim(pc, seg);
}

/*
 * Space for up to @len bytes from this CPU's data head. On success @ext
 * holds the place (its len may be shorter) and one reference on the
 * segment is held for the key that will describe it. A read-miss fill
 * (@fill) does not take one of the last free segments: it leaves one per
 * data head for writes on top of the log's reserve.
 */
int pcm_data_alloc(struct pcache *pc, u32 len, struct pcm_ext *ext, bool fill)
{
	struct pcm_head *h = &pc->heads[raw_smp_processor_id() % pc->n_heads];
	int seg, full = -1;

	spin_lock(&h->lock);
	if (h->seg < 0) {
		seg = pcm_seg_get_free(pc, fill ? PCM_LOG_RESERVE + pc->n_heads :
					  PCM_LOG_RESERVE);
		if (seg < 0) {
			spin_unlock(&h->lock);
			return -EBUSY;
		}
		atomic_inc(&pc->segs[seg].refs);	/* the head's own */
		h->seg = seg;
		h->off = 0;
	}
	ext->seg = h->seg;
	ext->seg_off = h->off;
	ext->gen = pc->segs[h->seg].gen;
	ext->len = min_t(u32, len, PCD_SEG_DATA_SIZE - h->off);
	atomic_inc(&pc->segs[h->seg].refs);
	h->off += ext->len;
	if (h->off >= PCD_SEG_DATA_SIZE) {
		full = h->seg;
		h->seg = -1;
	}
	spin_unlock(&h->lock);
	if (full >= 0)
		pcm_seg_put(pc, full);
	return 0;
}
