// SPDX-License-Identifier: LGPL-2.1-or-later
/* The segment chain: segment_info and generation records (C20-C28). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chain_ahead.h"
#include "check_int.h"
#include "prefetch.h"
#include "slot.h"

/* The segment's metadata, slot 0 of segment_info to the generations. */
#define META_LEN PC_SEG_META_LEN

/*
 * One read per segment: its three metadata pages come in one request,
 * which matters on image files whose pages are not cached. The read-ahead
 * usually has it already; when it does not, the read is made here.
 */
static int read_meta(struct pc_check *ck, struct pc_seg *s, uint32_t i,
		     uint64_t base)
{
	static __thread uint8_t buf[META_LEN];
	int ret;

	if (pc_ahead_take(ck->ahead, i, s->phys))
		return 0;	/* a helper read and parsed it (chain_ahead.c) */
	if (base + META_LEN > ck->c.dev_size ||
	    ((!ck->pf || pc_pf_read(ck->pf, base, buf)) &&
	     pc_dev_read(ck->dev, base, buf, META_LEN, NULL))) {
		ret = pc_ck_read_dual(ck, base, PCD_SEG_INFO_STRIDE,
				      sizeof(struct pcd_seg_info), &s->info);
		if (!ret)
			ret = pc_ck_read_dual(ck, base + PCD_SEG_CTRL_OFF,
					      PCD_SEG_GEN_STRIDE,
					      sizeof(struct pcd_seg_gen),
					      &s->gen_slots);
		if (!ret)
			pc_ck_stride(ck, base + sizeof(struct pcd_seg_info),
				     sizeof(struct pcd_seg_info),
				     PCK_SEGINFO_STRIDE, "segment_info", i);
		return ret;
	}
	pc_seg_meta_parse(ck->c.swap, s, buf, base);
	pc_ck_stride_rec(ck, buf + sizeof(struct pcd_seg_info),
			 base + sizeof(struct pcd_seg_info),
			 sizeof(struct pcd_seg_info), PCK_SEGINFO_STRIDE,
			 "segment_info", i);
	return 0;
}

/* flags of a chain segment_info as the kernel writes it */
#define SEGI_DATA (PCD_SEG_TYPE_DATA << PCD_SEGI_TYPE_SHIFT)

/*
 * Every cache the kernel or pcache-format writes has the chain physical
 * 0, 1, 2, ... in order. Where the chain up to cache segment @j is that,
 * a lost link of segment @j can be inferred: the next physical segment.
 */
static bool kernel_shaped(const struct pc_check *ck, uint32_t j)
{
	if (ck->c.info.seg_id != 0)
		return false;
	for (uint32_t k = 0; k <= j; k++)
		if (ck->c.segs[k].phys != k)
			return false;
	return true;
}

static bool seginfo_valid_at(struct pc_check *ck, uint32_t phys)
{
	struct pc_dual d;
	const struct pcd_seg_info *si;

	if (phys >= ck->c.sb.seg_num ||
	    pc_ck_read_dual(ck, pcd_seg_offset(phys), PCD_SEG_INFO_STRIDE,
			    sizeof(*si), &d))
		return false;
	si = pc_dual_rec(&d);
	return si && pcd_segi_type(pcd_n32(ck->c.swap, si->flags)) ==
		     PCD_SEG_TYPE_DATA;
}

/*
 * Plan a fresh segment_info for cache segment @j with the inferred link
 * (written the crash-safe way, seq + 1, never over the valid copy) and go
 * on checking with it. False when it cannot be inferred.
 */
static bool infer_seginfo(struct pc_check *ck, uint32_t j, long idx)
{
	struct pc_seg *s = &ck->c.segs[j];
	struct pc_finding *f = pc_ck_get(ck, idx);
	bool last = j + 1 == ck->c.info.n_segs;
	uint32_t next = last ? 0 : s->phys + 1;
	struct pc_repair rp = {
		.kind = PC_RP_SEGINFO, .dual = &s->info,
		.off = pcd_seg_offset(s->phys), .stride = PCD_SEG_INFO_STRIDE,
		.what = "segment_info", .cache_seg = j, .value = next,
	};
	int other = s->info.chosen < 0 ? -1 : !s->info.chosen;

	if (!kernel_shaped(ck, j) || (!last && !seginfo_valid_at(ck, next)) ||
	    (other >= 0 && s->info.slot[other].state == PC_SLOT_VALID)) {
		if (f)
			f->no_fix = true;
		pc_ck_append(f, "; the link cannot be inferred (the chain is "
			     "not physical id + 1, or the next segment holds "
			     "no valid segment_info)");
		return false;
	}
	pc_ck_unplan(ck, &s->info);
	pc_ck_plan(ck, idx, &rp);
	s->flags = SEGI_DATA | (last ? 0 : PCD_SEGI_F_HAS_NEXT);
	s->next = next;
	pc_ck_append(f, "; inferred: %s (the chain of a kernel-formatted cache "
		     "is physical id + 1); the rest is checked with it",
		     last ? "the last segment, no next link" :
		     "the next segment is the following physical one");
	return true;
}

static int load_one(struct pc_check *ck, uint32_t i, uint32_t phys)
{
	struct pc_seg *s = &ck->c.segs[i];
	uint64_t base = pcd_seg_offset(phys);
	const struct pcd_seg_info *si;
	const struct pcd_seg_gen *g;
	int ret;

	s->phys = phys;
	ck->c.segs_loaded = i + 1;
	ret = read_meta(ck, s, i, base);
	if (ret)
		return ret;
	pc_ck_dual(ck, &s->info, "segment_info", i, base, PCD_SEG_INFO_STRIDE,
		   PCK_SEGINFO_TORN, PCK_SEGINFO_SEQ, false);
	pc_ck_dual(ck, &s->gen_slots, "generation", i,
		   base + PCD_SEG_CTRL_OFF, PCD_SEG_GEN_STRIDE, PCK_GEN_TORN,
		   PCK_GEN_SEQ, false);
	g = pc_dual_rec(&s->gen_slots);
	s->gen = g ? pcd_n64(ck->c.swap, g->gen) : 0;
	si = pc_dual_rec(&s->info);
	if (!si) {
		long idx = pc_ck_add(ck, PCK_SEGINFO_NONE, "segment_info", -1,
				     i, (int64_t)base, "segment %u (cache "
				     "segment %u) has no valid segment_info "
				     "copy (slot 0 %s, slot 1 %s)", phys, i,
				     pc_slot_state_name(s->info.slot[0].state),
				     pc_slot_state_name(s->info.slot[1].state));

		return infer_seginfo(ck, i, idx) ? 0 : 1;
	}
	s->flags = pcd_n32(ck->c.swap, si->flags);
	s->next = pcd_n32(ck->c.swap, si->next_seg);
	if (pcd_segi_type(s->flags) != PCD_SEG_TYPE_DATA ||
	    (s->flags & PCD_SEGI_F_UNUSED))
		pc_ck_add(ck, PCK_SEGINFO_TYPE, "segment_info", s->info.chosen,
			  i, (int64_t)s->info.slot[s->info.chosen].dev_off,
			  "segment %u: segment_info flags 0x%x (type %u; "
			  "ignored)", phys, s->flags, pcd_segi_type(s->flags));
	return 0;
}

/* Physical id of chain index @i, or -1 (finding added) when there is none. */
static int64_t next_phys(struct pc_check *ck, uint32_t i)
{
	const struct pc_seg *prev;

	if (i == 0)
		return ck->c.info.seg_id;
	prev = &ck->c.segs[i - 1];
	if (!(prev->flags & PCD_SEGI_F_HAS_NEXT)) {
		long idx = pc_ck_add(ck, PCK_CHAIN_SHORT, "segment_info",
				     prev->info.chosen, i - 1,
				     (int64_t)prev->info.slot[
					     prev->info.chosen].dev_off,
				     "segment %u (cache segment %u) has no next "
				     "link, but cache_info says the chain has "
				     "%u segments", prev->phys, i - 1,
				     ck->c.info.n_segs);

		/* never rewrite the other copy from this one: it lacks the link */
		pc_ck_unplan(ck, &prev->info);
		for (size_t k = 0; k < ck->n_f; k++)
			if (ck->f[k].code == PCK_SEGINFO_TORN &&
			    ck->f[k].cache_seg == (int64_t)i - 1)
				ck->f[k].no_fix = true;
		if (!infer_seginfo(ck, i - 1, idx))
			return -1;
	}
	return prev->next;
}

/*
 * Read the metadata of the segments ahead of the walk, predicting the
 * chain the kernel writes (physical id + 1); a chain that goes elsewhere
 * is read one segment at a time as before. No more threads than batches
 * of segments; without read-ahead the check is the same, only slower.
 */
static void chain_readahead(struct pc_check *ck, uint32_t n)
{
	unsigned int depth = PC_PF_DEPTH;

	if ((n + PC_PF_BATCH - 1) / PC_PF_BATCH < depth)
		depth = (n + PC_PF_BATCH - 1) / PC_PF_BATCH;
	ck->pf = NULL;
	if (depth && ck->c.info.seg_id < ck->c.sb.seg_num)
		ck->pf = pc_pf_new(ck->dev, PCD_SEG_SIZE, ck->c.dev_size,
				   META_LEN, depth);
}

int pc_ck_chain(struct pc_check *ck)
{
	uint32_t n = ck->c.info.n_segs, seg_num = ck->c.sb.seg_num;
	uint8_t *seen = calloc(seg_num / 8 + 1, 1);
	bool dup = false;
	int ret = 0;

	ck->c.segs = calloc(n, sizeof(*ck->c.segs));
	if (!seen || !ck->c.segs) {
		free(seen);
		return -ENOMEM;
	}
	chain_readahead(ck, n);
	ck->ahead = pc_ahead_start(ck->dev, &ck->c, n);
	for (uint32_t i = 0; i < n; i++) {
		int64_t phys;

		pc_ahead_sync(ck->ahead, i);
		phys = next_phys(ck, i);

		if (phys < 0)
			goto out;
		if (phys >= seg_num) {
			pc_ck_add(ck, PCK_CHAIN_RANGE, i ? "segment_info" :
				  "cache_info", -1, i ? (int64_t)i - 1 : -1,
				  i ? (int64_t)pcd_seg_offset(ck->c.segs[i - 1].phys) :
				      (int64_t)PCD_INFO_OFF, "%s names segment %lld as "
				  "cache segment %u, but seg_num is %u",
				  i ? "a next_seg link" : "cache_info seg_id",
				  (long long)phys, i, seg_num);
			goto out;
		}
		if (seen[phys / 8] & (1 << (phys % 8)) && !dup) {
			long idx = pc_ck_add(ck, PCK_CHAIN_DUP, "segment_info",
					     -1, i,
					     (int64_t)pcd_seg_offset((uint32_t)phys),
					     "the chain visits physical segment "
					     "%lld again as cache segment %u: "
					     "two cache segment ids alias one "
					     "segment", (long long)phys, i);

			if (pcd_chain_revisit(1, PCD_CHAIN_DISTINCT) !=
			    PCD_LINK_OK)
				pc_ck_strict(ck, idx, PCD_CHAIN_DISTINCT);
			dup = true;
		}
		seen[phys / 8] |= 1 << (phys % 8);
		ret = load_one(ck, i, (uint32_t)phys);
		if (ret)
			goto out;
		if ((i & 4095) == 0 || i + 1 == n)
			pc_ck_progress(ck, "segments", i + 1, n);
		if (pc_ck_cancelled(ck)) {
			ret = -ECANCELED;
			goto out;
		}
	}
	{
		const struct pc_seg *last = &ck->c.segs[n - 1];

		if (last->flags & PCD_SEGI_F_HAS_NEXT)
			pc_ck_add(ck, PCK_CHAIN_LAST_NEXT, "segment_info",
				  last->info.chosen, n - 1,
				  (int64_t)last->info.slot[last->info.chosen].dev_off,
				  "the last chain segment %u links to segment "
				  "%u (ignored)", last->phys, last->next);
	}
	ck->chain_ok = true;
	ck->c.stage = PC_STAGE_CHAIN;
out:
	pc_ahead_stop(ck->ahead, ck->c.segs_loaded);
	ck->ahead = NULL;
	pc_pf_free(ck->pf);
	ck->pf = NULL;
	free(seen);
	return ret < 0 ? ret : 0;
}
