// SPDX-License-Identifier: LGPL-2.1-or-later
/* cache_info and the two tails (FORMAT.md 16, C9-C19, C29-C33). */
#include <errno.h>
#include <string.h>

#include "check_int.h"
#include "slot.h"

static const char *const tail_name[2] = { "key_tail", "dirty_tail" };

/* A valid record between the slots: written with the old slot stride. */
void pc_ck_stride_rec(struct pc_check *ck, const uint8_t *raw, uint64_t off,
		      unsigned int size, enum pc_code code, const char *what,
		      int64_t seg)
{
	if (!pc_rec_sealed(ck->c.swap, raw, size))
		return;
	pc_ck_add(ck, code, what, -1, seg, (int64_t)off, "%s: a valid record "
		  "(seq %u) at offset %llu lies between the two slots; it was "
		  "written with the pre-fix slot stride and is ignored", what,
		  raw[4], (unsigned long long)off);
}

static void stride_check(struct pc_check *ck, uint64_t off, unsigned int size,
			 enum pc_code code, const char *what, int64_t seg)
{
	uint8_t raw[24];

	if (off + size > ck->c.dev_size ||
	    pc_dev_read(ck->dev, off, raw, size, NULL))
		return;
	pc_ck_stride_rec(ck, raw, off, size, code, what, seg);
}

static int read_dual(struct pc_check *ck, uint64_t off, uint64_t stride,
		     unsigned int size, struct pc_dual *d)
{
	struct pc_err err = { 0 };
	int ret;

	if (off + stride + size > ck->c.dev_size) {
		memset(d, 0, sizeof(*d));
		d->chosen = -1;
		d->size = size;
		for (int i = 0; i < PCD_SLOTS; i++) {
			d->slot[i].state = PC_SLOT_UNREADABLE;
			d->slot[i].dev_off = off + i * stride;
		}
		return 0;
	}
	ret = pc_dual_read(ck->dev, ck->c.swap, off, stride, size, d, &err);
	if (ret && ret != -ERANGE)
		return pc_ck_fail(ck, ret, &err);
	return 0;
}

static bool tails_any_valid(struct pc_check *ck)
{
	for (int t = 0; t < 2; t++) {
		struct pc_dual *d = &ck->c.tail_slots[t];

		if (read_dual(ck, t ? PCD_DIRTY_TAIL_OFF : PCD_KEY_TAIL_OFF,
			      PCD_POS_STRIDE, sizeof(struct pcd_pos), d))
			return false;
		if (d->chosen >= 0)
			return true;
	}
	return false;
}

static void orphan_tails(struct pc_check *ck)
{
	if (tails_any_valid(ck))
		pc_ck_add(ck, PCK_TAIL_ORPHAN, "key_tail", -1, -1,
			  PCD_CTRL_OFF, "valid tail records remain while "
			  "cache_info is not usable; after the kernel "
			  "re-initialises the cache they can win the seq "
			  "comparison and point replay into the old log");
}

static int info_not_usable(struct pc_check *ck, bool none)
{
	bool used = pc_ck_used_evidence(ck);

	if (none && used)
		pc_ck_add(ck, PCK_INFO_NONE, "cache_info", -1, -1, PCD_INFO_OFF,
			  "neither cache_info copy is valid (slot 0 %s, slot 1 "
			  "%s); the kernel would re-initialise the cache and "
			  "drop every cached and dirty extent",
			  pc_slot_state_name(ck->c.info_slots.slot[0].state),
			  pc_slot_state_name(ck->c.info_slots.slot[1].state));
	else if (none)
		pc_ck_add(ck, PCK_INFO_NONE_FRESH, "cache_info", -1, -1,
			  PCD_INFO_OFF, "neither cache_info copy is valid and "
			  "nothing else suggests a used cache: the kernel "
			  "initialises the cache at its first activation");
	else if (used)
		pc_ck_add(ck, PCK_INFO_NOINIT, "cache_info",
			  ck->c.info_slots.chosen, -1,
			  (int64_t)ck->c.info_slots.slot[
				  ck->c.info_slots.chosen].dev_off,
			  "cache_info flags 0x%x lack INIT_DONE but the device "
			  "holds tail or segment records of a used cache; "
			  "activation would re-initialise it and lose its "
			  "content", ck->c.info.flags);
	else
		pc_ck_add(ck, PCK_INFO_LAZY, "cache_info",
			  ck->c.info_slots.chosen, -1,
			  (int64_t)ck->c.info_slots.slot[
				  ck->c.info_slots.chosen].dev_off,
			  "formatted without initialisation (cache_info seq "
			  "%u, INIT_DONE clear): the kernel completes "
			  "initialisation at its first activation",
			  ck->c.info.seq);
	if (used)
		orphan_tails(ck);
	return 1;
}

static void info_fields(struct pc_check *ck, const struct pcd_cache_info *ci)
{
	struct pc_info *in = &ck->c.info;
	int slot = ck->c.info_slots.chosen;
	int64_t off = (int64_t)ck->c.info_slots.slot[slot].dev_off;
	uint32_t gc = pcd_info_gc_percent(in->flags);

	if (ck->o.data_crc >= 0 &&
	    !!(in->flags & PCD_INFO_F_DATA_CRC) != !!ck->o.data_crc)
		pc_ck_add(ck, PCK_INFO_DATA_CRC, "cache_info", slot, -1, off,
			  "the cache was formatted with data_crc %s but the "
			  "table line will say data_crc %s; the kernel refuses "
			  "the mismatch",
			  in->flags & PCD_INFO_F_DATA_CRC ? "true" : "false",
			  ck->o.data_crc ? "true" : "false");
	if (pcd_info_mode(in->flags) != PCD_MODE_WRITEBACK)
		pc_ck_add(ck, PCK_INFO_MODE, "cache_info", slot, -1, off,
			  "cache mode %u stored (only writeback exists; "
			  "ignored)", pcd_info_mode(in->flags));
	if (gc > PCD_GC_PERCENT_MAX)
		pc_ck_add(ck, PCK_INFO_GC, "cache_info", slot, -1, off,
			  "gc_percent is %u (at most %u is allowed%s)", gc,
			  PCD_GC_PERCENT_MAX, gc > 100 ?
			  "; garbage collection never runs" : "");
	if ((in->flags & PCD_INFO_F_UNUSED) || in->reserved ||
	    ci->hdr.version || ci->hdr.res)
		pc_ck_add(ck, PCK_INFO_RESERVED, "cache_info", slot, -1, off,
			  "cache_info flags 0x%x, reserved 0x%x, version %u, "
			  "res %u: unused bits set (ignored)", in->flags,
			  in->reserved, ci->hdr.version, ci->hdr.res);
}

int pc_ck_info(struct pc_check *ck)
{
	struct pc_dual *d = &ck->c.info_slots;
	const struct pcd_cache_info *ci;
	struct pc_info *in = &ck->c.info;
	int ret;

	ret = read_dual(ck, PCD_INFO_OFF, PCD_INFO_STRIDE, sizeof(*ci), d);
	if (ret)
		return ret;
	pc_ck_dual(ck, d, "cache_info", -1, PCD_INFO_OFF, PCD_INFO_STRIDE,
		   PCK_INFO_TORN, PCK_INFO_SEQ, false);
	stride_check(ck, PCD_INFO_OFF + sizeof(*ci), sizeof(*ci),
		     PCK_INFO_STRIDE, "cache_info", -1);
	ci = pc_dual_rec(d);
	if (!ci)
		return info_not_usable(ck, true);
	in->seq = ci->hdr.seq;
	in->seg_id = pcd_n32(ck->c.swap, ci->seg_id);
	in->n_segs = pcd_n32(ck->c.swap, ci->n_segs);
	in->flags = pcd_n32(ck->c.swap, ci->flags);
	in->reserved = pcd_n32(ck->c.swap, ci->reserved);
	ck->u.info_flags = in->flags;
	ck->u.gc_percent = pcd_info_gc_percent(in->flags);
	ck->u.data_crc = in->flags & PCD_INFO_F_DATA_CRC;
	ck->u.n_segs = in->n_segs;
	info_fields(ck, ci);
	if (!(in->flags & PCD_INFO_F_INIT_DONE))
		return info_not_usable(ck, false);
	if (in->n_segs == 0) {
		pc_ck_add(ck, PCK_INFO_NSEGS_ZERO, "cache_info", d->chosen, -1,
			  (int64_t)d->slot[d->chosen].dev_off, "cache_info "
			  "n_segs is 0: the cache has no segments");
		return 1;
	}
	if (in->n_segs > ck->c.sb.seg_num) {
		pc_ck_add(ck, PCK_INFO_NSEGS_BIG, "cache_info", d->chosen, -1,
			  (int64_t)d->slot[d->chosen].dev_off, "cache_info "
			  "n_segs %u is above seg_num %u", in->n_segs,
			  ck->c.sb.seg_num);
		in->n_segs = ck->c.sb.seg_num;
	} else if (in->n_segs < ck->c.sb.seg_num) {
		pc_ck_add(ck, PCK_INFO_NSEGS_SMALL, "cache_info", d->chosen,
			  -1, (int64_t)d->slot[d->chosen].dev_off,
			  "cache_info n_segs %u is below seg_num %u; the GC "
			  "threshold is computed from seg_num and may never be "
			  "reached", in->n_segs, ck->c.sb.seg_num);
	}
	ck->info_ok = true;
	ck->c.stage = PC_STAGE_INFO;
	return 0;
}

static void tail_one(struct pc_check *ck, int t)
{
	uint64_t off = t ? PCD_DIRTY_TAIL_OFF : PCD_KEY_TAIL_OFF;
	struct pc_dual *d = &ck->c.tail_slots[t];
	struct pc_pos *p = t ? &ck->c.dirty_tail : &ck->c.key_tail;
	const struct pcd_pos *rec;
	int64_t doff;

	pc_ck_dual(ck, d, tail_name[t], -1, off, PCD_POS_STRIDE,
		   PCK_TAIL_TORN, PCK_TAIL_DRIFT, true);
	rec = pc_dual_rec(d);
	if (!rec) {
		pc_ck_add(ck, PCK_TAIL_NONE, tail_name[t], -1, -1, (int64_t)off,
			  "%s has no valid copy (slot 0 %s, slot 1 %s)",
			  tail_name[t], pc_slot_state_name(d->slot[0].state),
			  pc_slot_state_name(d->slot[1].state));
		return;
	}
	doff = (int64_t)d->slot[d->chosen].dev_off;
	p->seg = pcd_n32(ck->c.swap, rec->cache_seg_id);
	p->off = pcd_n32(ck->c.swap, rec->seg_off);
	if (!pcd_pos_ok(p->seg, p->off, ck->c.info.n_segs)) {
		pc_ck_add(ck, PCK_TAIL_RANGE, tail_name[t], d->chosen, -1, doff,
			  "%s %u:%u is out of range (n_segs %u, data area %u "
			  "bytes)", tail_name[t], p->seg, p->off,
			  ck->c.info.n_segs, PCD_SEG_DATA_SIZE);
		return;
	}
	if (p->off % 8)
		pc_ck_add(ck, PCK_TAIL_ALIGN, tail_name[t], d->chosen, p->seg,
			  doff, "%s offset %u is not a multiple of 8",
			  tail_name[t], p->off);
	ck->tails_ok[t] = true;
}

int pc_ck_tails(struct pc_check *ck)
{
	int ret;

	for (int t = 0; t < 2; t++) {
		ret = read_dual(ck, t ? PCD_DIRTY_TAIL_OFF : PCD_KEY_TAIL_OFF,
				PCD_POS_STRIDE, sizeof(struct pcd_pos),
				&ck->c.tail_slots[t]);
		if (ret)
			return ret;
		tail_one(ck, t);
	}
	ck->u.key_tail = ck->c.key_tail;
	ck->u.dirty_tail = ck->c.dirty_tail;
	if (ck->tails_ok[0] && ck->tails_ok[1] && ck->chain_ok)
		ck->c.stage = PC_STAGE_TAILS;
	return ck->tails_ok[PC_KEY_TAIL] && ck->chain_ok ? 0 : 1;
}

/* Exposed for the chain stage (segment_info slots). */
void pc_ck_stride(struct pc_check *ck, uint64_t off, unsigned int size,
		  enum pc_code code, const char *what, int64_t seg)
{
	stride_check(ck, off, size, code, what, seg);
}

int pc_ck_read_dual(struct pc_check *ck, uint64_t off, uint64_t stride,
		    unsigned int size, struct pc_dual *d)
{
	return read_dual(ck, off, stride, size, d);
}
