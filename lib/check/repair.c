// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Repairs: only what can be proven safe, each reported as a finding of its
 * own. Dual-slot records are rewritten the crash-safe way (pc_dual_write:
 * never over the newest valid copy); everything is flushed before the run
 * ends.
 */
#include <errno.h>
#include <string.h>

#include "check_int.h"

static void mark(struct pc_check *ck, const struct pc_repair *rp)
{
	ck->f[rp->finding].repaired = true;
	ck->repairs_done++;
}

static int fix_slot(struct pc_check *ck, const struct pc_repair *rp)
{
	struct pc_dual *d = rp->dual;
	uint8_t rec[24];
	struct pc_err err = { 0 };
	int from = d->chosen, to, ret;

	if (from < 0)
		return 0;
	memcpy(rec, d->slot[from].raw, d->size);
	ret = pc_dual_write(ck->dev, rp->off, rp->stride, d, rec, &err);
	if (ret)
		return pc_ck_fail(ck, ret, &err);
	to = d->chosen;
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_SLOT, rp->what, to, rp->cache_seg,
		  (int64_t)d->slot[to].dev_off, "%s: slot %d rewritten from "
		  "slot %d (seq %u)", rp->what, to, from, d->slot[to].seq);
	return 0;
}

static int fix_log_end(struct pc_check *ck, const struct pc_repair *rp)
{
	struct pc_err err = { 0 };
	int ret = pc_dev_zero(ck->dev, rp->dev_off, rp->value, &err);

	if (ret)
		return pc_ck_fail(ck, ret, &err);
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_LOG_END, "kset", -1, ck->u.key_head.seg,
		  (int64_t)rp->dev_off, "the log now ends explicitly at key_head "
		  "%u:%u (%llu bytes zeroed)", ck->u.key_head.seg,
		  ck->u.key_head.off, (unsigned long long)rp->value);
	return 0;
}

static int fix_dirty_tail(struct pc_check *ck, const struct pc_repair *rp)
{
	struct pc_err err = { 0 };
	struct pc_pos old = ck->c.dirty_tail;
	int ret = pc_cache_write_tail(&ck->c, PC_DIRTY_TAIL, rp->pos, &err);

	if (ret)
		return pc_ck_fail(ck, ret, &err);
	ck->c.dirty_tail = rp->pos;
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_DIRTY_TAIL, "dirty_tail", rp->dual->chosen, -1,
		  (int64_t)rp->dual->slot[rp->dual->chosen].dev_off,
		  "dirty_tail moved from %u:%u to key_tail %u:%u (the log "
		  "from the old position reached key_tail; nothing dirty is "
		  "skipped)", old.seg, old.off, rp->pos.seg, rp->pos.off);
	return 0;
}

static int fix_gen(struct pc_check *ck, const struct pc_repair *rp)
{
	struct pc_err err = { 0 };
	struct pcd_seg_gen g;
	int ret;

	pc_encode_gen(&g, 0, rp->value);
	ret = pc_dual_write(ck->dev, rp->off, rp->stride, rp->dual, &g, &err);
	if (ret)
		return pc_ck_fail(ck, ret, &err);
	ck->c.segs[rp->cache_seg].gen = rp->value;
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_GEN, "generation", rp->dual->chosen,
		  rp->cache_seg, (int64_t)rp->dual->slot[rp->dual->chosen].dev_off,
		  "cache segment %lld: generation set to %llu, the one its live "
		  "keys carry", (long long)rp->cache_seg,
		  (unsigned long long)rp->value);
	return 0;
}

static int fix_sb(struct pc_check *ck, const struct pc_repair *rp)
{
	struct pcd_superblock raw;
	struct pc_err err = { 0 };
	int ret;

	pc_encode_sb(&raw, ck->c.sb.seg_num, ck->c.sb.flags);
	ret = pc_dev_write(ck->dev, PCD_SB_OFF, &raw, sizeof(raw), &err);
	if (ret)
		return pc_ck_fail(ck, ret, &err);
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_SB, "superblock", -1, -1, PCD_SB_OFF,
		  "superblock rewritten: seg_num %u, flags 0x%x, from "
		  "cache_info and the device size", ck->c.sb.seg_num,
		  ck->c.sb.flags);
	return 0;
}

static int fix_seginfo(struct pc_check *ck, const struct pc_repair *rp)
{
	const struct pc_seg *s = &ck->c.segs[rp->cache_seg];
	struct pc_err err = { 0 };
	struct pcd_seg_info si;
	int ret;

	pc_encode_seg_info(&si, 0, s->flags, (uint32_t)rp->value);
	ret = pc_dual_write(ck->dev, rp->off, rp->stride, rp->dual, &si, &err);
	if (ret)
		return pc_ck_fail(ck, ret, &err);
	mark(ck, rp);
	pc_ck_add(ck, PCK_FIX_CHAIN, "segment_info", rp->dual->chosen,
		  rp->cache_seg, (int64_t)rp->dual->slot[rp->dual->chosen].dev_off,
		  "segment %u: segment_info slot %d written with flags 0x%x, "
		  "next %llu (seq %u)", s->phys, rp->dual->chosen, s->flags,
		  (unsigned long long)rp->value,
		  rp->dual->slot[rp->dual->chosen].seq);
	return 0;
}

int pc_ck_repair(struct pc_check *ck)
{
	struct pc_err err = { 0 };
	int ret = 0;

	if (!ck->n_rp)
		return 0;
	if (ck->c.swap) {
		pc_ck_add(ck, PCK_FIX_REFUSED, "device", -1, -1, -1, "the "
			  "device's byte order differs from this host's: no "
			  "repair is written");
		return 0;
	}
	for (size_t i = 0; i < ck->n_rp && !ret; i++) {
		const struct pc_repair *rp = &ck->rp[i];

		if (pc_ck_cancelled(ck))
			break;
		if (rp->dropped)
			continue;
		switch (rp->kind) {
		case PC_RP_SLOT:
			ret = fix_slot(ck, rp);
			break;
		case PC_RP_LOG_END:
			ret = fix_log_end(ck, rp);
			break;
		case PC_RP_DIRTY_TAIL:
			ret = fix_dirty_tail(ck, rp);
			break;
		case PC_RP_GEN:
			ret = fix_gen(ck, rp);
			break;
		case PC_RP_SB:
			ret = fix_sb(ck, rp);
			break;
		case PC_RP_SEGINFO:
			ret = fix_seginfo(ck, rp);
			break;
		}
	}
	if (ck->repairs_done) {
		int r = pc_dev_flush(ck->dev, &err);

		if (r && !ret)
			ret = pc_ck_fail(ck, r, &err);
	}
	return ret;
}
