// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kset log (C34-C40, C52, C53): the walk from key_tail as replay does
 * it, where and why it ends, dirty_tail's place on it, and the walk the
 * kernel makes from dirty_tail. Keys are checked in check_keys.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_keys.h"
#include "check_walk.h"

static int64_t pos_dev(struct pc_check *ck, struct pc_pos p)
{
	int64_t phys = pc_cache_phys(&ck->c, p.seg);

	return phys < 0 ? -1 : (int64_t)pcd_data_offset((uint32_t)phys, p.off);
}

static int push_key_seg(struct pc_check *ck, uint32_t seg)
{
	struct pc_check_usage *u = &ck->u;
	void *v;

	if (u->n_key_segs >= ck->c.info.n_segs)
		return 0;
	v = realloc(u->key_segs, (u->n_key_segs + 1) * sizeof(*u->key_segs));
	if (!v)
		return -ENOMEM;
	u->key_segs = v;
	u->key_segs[u->n_key_segs++] = seg;
	return 0;
}

/*
 * C39: is the end of the log a silent truncation (valid ksets of this lap
 * follow the damaged one: the kernel drops them) or a torn final write?
 * The scan and its rule are the library's (pc_salvage_scan()). 1: a
 * truncation, 0: nothing of this lap follows, -1: the scan could not read
 * what follows (a PC-DEV-READ finding): no repair may then end the log
 * there, since zeroing the header would hide whatever valid ksets follow
 * from every tool, the salvage scan included.
 */
static int truncated(struct pc_check *ck, const struct pc_lwalk *lw,
		     const struct pc_kset_view *v, char *why, size_t len)
{
	struct pc_replay view = { .keys = ck->r.keys, .n_keys = ck->r.n_keys,
				  .head = v->pos, .end = lw->w.end };
	const struct pc_salvage_run *first;
	struct pc_salvage s;
	struct pc_finding *f;
	long idx;
	int ret;

	why[0] = 0;
	ret = pc_salvage_scan(&ck->c, &view, ck->o.backing_size, &s);
	if (ret) {
		pc_ck_add(ck, PCK_DEV_READ, "kset", -1, v->pos.seg,
			  pos_dev(ck, v->pos), "the log past its end at %u:%u "
			  "cannot be read to look for valid ksets: %s",
			  v->pos.seg, v->pos.off, s.err.msg[0] ? s.err.msg :
			  strerror(-ret));
		pc_salvage_free(&s);
		return -1;
	}
	if (s.verdict != PC_SALV_TRUNCATED) {
		if (s.verdict == PC_SALV_STALE)
			snprintf(why, len, "; the valid ksets after it belong "
				 "to an older lap of the log: %s", s.stale_why);
		pc_salvage_free(&s);
		return 0;
	}
	first = &s.runs[0];
	idx = pc_ck_add(ck, PCK_LOG_TRUNCATED, "kset", -1, v->pos.seg,
			pos_dev(ck, v->pos), "the log ends at %u:%u (%s) but "
			"%zu valid ksets follow from %u:%u to %u:%u, with %llu "
			"dirty keys (%llu bytes)%s: the kernel drops them "
			"(pcache-writeback --salvage rescues them)",
			v->pos.seg, v->pos.off, pc_walk_end_name(lw->w.end),
			s.n_ksets, first->from.seg, first->from.off,
			s.resume.seg, s.resume.off,
			(unsigned long long)s.n_dirty,
			(unsigned long long)s.dirty_bytes,
			first->damaged_keys ? ", the damaged kset's keys "
			"included (their data CRCs prove them)" : "");
	f = pc_ck_get(ck, idx);
	for (size_t i = 0; f && i < s.n_keys; i++)
		if (!s.keys[i].stale && !(s.keys[i].k.flags & PCD_KEY_F_CLEAN))
			pc_ck_range(f, s.keys[i].k.off, s.keys[i].k.len);
	pc_salvage_free(&s);
	return 1;
}

static void end_torn(struct pc_check *ck, const struct pc_lwalk *lw,
		     const struct pc_kset_view *v)
{
	struct pc_repair rp = { .kind = PC_RP_LOG_END };
	int64_t off = pos_dev(ck, v->pos);
	char why[300];
	long idx;
	int trunc = truncated(ck, lw, v, why, sizeof(why));

	if (trunc > 0)
		return;
	idx = pc_ck_add(ck, PCK_LOG_TORN, "kset", -1, v->pos.seg, off,
			"the log ends at %u:%u at a torn kset (%s, key_num "
			"%u); %s%s", v->pos.seg, v->pos.off,
			pc_walk_end_name(lw->w.end), v->key_num, trunc ?
			"what follows could not be read, so the end is left "
			"as it is" : "nothing valid of this lap follows it",
			why);
	if (trunc) {
		if (pc_ck_get(ck, idx))
			pc_ck_get(ck, idx)->no_fix = true;
		return;
	}
	rp.dev_off = (uint64_t)off;
	rp.value = PCD_KSET_HDR_SIZE;
	pc_ck_plan(ck, idx, &rp);
}

/* The kset the log ends at does not fit in the @remain bytes left: its
 * header does not, or it has a plausible key count and its keys do not. */
static bool nofit(const struct pc_kset_view *v, uint32_t remain)
{
	if (remain < PCD_KSET_HDR_SIZE)
		return true;
	return !(v->flags & PCD_KSET_F_LAST) && v->key_num <= PCD_KSET_KEYS_MAX &&
	       pcd_kset_size(v->key_num) > remain;
}

/* Judged from its own bytes (PCD_KSET_OWN), the kset ends the log. */
static bool own_bytes_end(const struct pc_kset_view *v)
{
	struct pcd_kset_hdr h = { .crc = v->crc, .key_num = v->key_num,
				  .magic = PCD_KSET_MAGIC, .flags = v->flags };

	return pcd_kset_judge_hdr(&h, v->pos.off,
				  pcd_kset_model_of(PCD_KSET_OWN)) !=
	       PCD_KSET_NEED_CRC;
}

static void log_end(struct pc_check *ck, const struct pc_lwalk *lw,
		    const struct pc_kset_view *v)
{
	struct pc_repair rp = { .kind = PC_RP_LOG_END };
	int64_t off = pos_dev(ck, v->pos);
	uint32_t remain = pcd_kset_remain(v->pos.off);
	char why[300];
	bool trunc;
	long idx;

	if (lw->loop) {
		pc_ck_add(ck, PCK_LOG_LOOP, "kset", -1, v->pos.seg, off,
			  "the log loops back at %u:%u; the kernel would follow "
			  "it until %u LAST links and refuse the cache",
			  v->pos.seg, v->pos.off, ck->c.sb.seg_num);
		return;
	}
	switch (lw->w.end) {
	case PC_END_MAGIC:
		/* garbage over a header: only a truncation is worth a word */
		truncated(ck, lw, v, why, sizeof(why));
		return;
	case PC_END_NONE:
		return;
	case PC_END_KEY_NUM:
	case PC_END_CRC:
		if (!nofit(v, remain)) {
			end_torn(ck, lw, v);
			return;
		}
		/* fall through */
	case PC_END_NO_ROOM:
	case PC_END_TOO_BIG:
	case PC_ERR_TOO_BIG:
		/* zeroing the header would hide the ksets after it */
		trunc = truncated(ck, lw, v, why, sizeof(why)) != 0;
		idx = pc_ck_add(ck, lw->w.end == PC_ERR_TOO_BIG ?
				PCK_LOG_OVERRUN : PCK_LOG_NOFIT, "kset", -1,
				v->pos.seg, off, "the kset at %u:%u does not "
				"fit in the %u bytes left in its segment (%s)",
				v->pos.seg, v->pos.off, remain,
				pc_walk_end_name(lw->w.end));
		if (lw->w.end == PC_ERR_TOO_BIG && own_bytes_end(v))
			pc_ck_lenient(ck, idx, PCD_KSET_OWN);
		rp.dev_off = (uint64_t)off;
		rp.value = remain < PCD_KSET_HDR_SIZE ? remain :
							PCD_KSET_HDR_SIZE;
		/* at the data area's end there is nothing to zero: upstream
		 * judges the kset before again (E1) */
		if (!rp.value && pc_ck_get(ck, idx))
			pc_ck_get(ck, idx)->no_fix = true;
		else if (off >= 0 && !trunc)
			pc_ck_plan(ck, idx, &rp);
		return;
	case PC_END_READ:
		pc_ck_add(ck, PCK_LOG_READ, "kset", -1, v->pos.seg, off,
			  "the log at %u:%u cannot be read: %s", v->pos.seg,
			  v->pos.off, lw->w.err.msg);
		return;
	case PC_ERR_NEXT_RANGE:
		pc_ck_add(ck, PCK_LOG_NEXT, "kset", -1, v->pos.seg, off,
			  "the LAST kset at %u:%u links to cache segment %u, "
			  "but n_segs is %u", v->pos.seg, v->pos.off,
			  v->key_num, ck->c.info.n_segs);
		return;
	case PC_ERR_HOPS:
		pc_ck_add(ck, PCK_LOG_LOOP, "kset", -1, v->pos.seg, off,
			  "more than %u LAST links followed", ck->c.sb.seg_num);
		return;
	}
}

static void kset_flags(struct pc_check *ck, const struct pc_kset_view *v)
{
	bool last = v->kind == PC_KSET_LAST;

	if (v->flags != (last ? PCD_KSET_F_LAST : 0))
		pc_ck_add(ck, PCK_KSET_FLAGS, "kset", -1, v->pos.seg,
			  pos_dev(ck, v->pos), "kset at %u:%u has flags "
			  "0x%llx (extra bits ignored)", v->pos.seg, v->pos.off,
			  (unsigned long long)v->flags);
	if (!last && v->key_num == 0)
		pc_ck_add(ck, PCK_KSET_EMPTY, "kset", -1, v->pos.seg,
			  pos_dev(ck, v->pos), "kset at %u:%u holds no keys",
			  v->pos.seg, v->pos.off);
}

/* The valid copy of a tail the kernel does not choose, if any. */
static bool other_copy(struct pc_check *ck, int t, struct pc_pos *p)
{
	const struct pc_dual *d = &ck->c.tail_slots[t];
	const struct pcd_pos *rec;

	if (d->chosen < 0 || d->slot[!d->chosen].state != PC_SLOT_VALID)
		return false;
	rec = (const void *)d->slot[!d->chosen].raw;
	p->seg = pcd_n32(ck->c.swap, rec->cache_seg_id);
	p->off = pcd_n32(ck->c.swap, rec->seg_off);
	return !pc_ck_pos_eq(*p, t ? ck->c.dirty_tail : ck->c.key_tail);
}

/* C33: the copy the kernel ignores is further along the log. */
struct stale_probe {
	bool has[2];
	struct pc_pos other[2];
	bool chosen_seen[2];
	bool flagged[2];
};

static void stale_step(struct pc_check *ck, struct stale_probe *sp,
		       struct pc_pos at, bool first)
{
	for (int t = 0; t < 2; t++) {
		struct pc_pos chosen = t ? ck->c.dirty_tail : ck->c.key_tail;
		const struct pc_dual *d = &ck->c.tail_slots[t];

		if (!ck->tails_ok[t])
			continue;
		if (pc_ck_pos_eq(at, chosen))
			sp->chosen_seen[t] = true;
		if (!sp->has[t] || sp->flagged[t] || first ||
		    !sp->chosen_seen[t] || !pc_ck_pos_eq(at, sp->other[t]))
			continue;
		sp->flagged[t] = true;
		/* keep the further copy: it may be the one to go back to */
		pc_ck_unplan(ck, d);
		pc_ck_add(ck, PCK_TAIL_STALE, t ? "dirty_tail" : "key_tail",
			  !d->chosen, -1, (int64_t)d->slot[!d->chosen].dev_off,
			  "%s: the kernel chooses slot %d (%u:%u, seq %u) but "
			  "slot %d (%u:%u, seq %u) lies further along the log; "
			  "the kernel's choice is stale",
			  t ? "dirty_tail" : "key_tail", d->chosen, chosen.seg,
			  chosen.off, d->slot[d->chosen].seq, !d->chosen,
			  sp->other[t].seg, sp->other[t].off,
			  d->slot[!d->chosen].seq);
	}
}

/*
 * A LAST kset leads back to offset 0 of key_tail's segment: upstream's
 * replay reads on over the ksets before key_tail (and loses those after
 * the LAST kset); ours refuses a key segment entered twice.
 */
static void reenter(struct pc_check *ck, const struct pc_kset_view *v)
{
	long idx = pc_ck_add(ck, PCK_LOG_REENTER, "kset", -1, v->pos.seg,
			     pos_dev(ck, v->pos), "the LAST kset at %u:%u "
			     "leads back to cache segment %u, where the log "
			     "starts at key_tail %u:%u; the ksets after it "
			     "are lost", v->pos.seg,
			     v->pos.off, v->key_num, ck->c.key_tail.seg,
			     ck->c.key_tail.off);

	if (pcd_log_enter(1, PCD_LOG_ONCE) != PCD_LOG_OK)
		pc_ck_strict(ck, idx, PCD_LOG_ONCE);
}

static int walk_keys(struct pc_check *ck, bool *dirty_seen)
{
	struct stale_probe sp = { 0 };
	struct pc_kset_view v;
	struct pc_lwalk lw;
	bool after = false, first = true, second;
	int ret;

	for (int t = 0; t < 2; t++)
		sp.has[t] = ck->tails_ok[t] && other_copy(ck, t, &sp.other[t]);

	ret = pc_lw_init(&lw, &ck->c, ck->c.key_tail);
	if (!ret)
		ret = push_key_seg(ck, ck->c.key_tail.seg);
	while (!ret) {
		enum pc_kset_kind kind;

		if (!after && ck->tails_ok[PC_DIRTY_TAIL] &&
		    pc_ck_pos_eq(lw.w.pos, ck->c.dirty_tail))
			after = *dirty_seen = true;
		stale_step(ck, &sp, lw.w.pos, first);
		first = false;
		second = lw.second;
		kind = pc_lw_next(&lw, &v);
		if (kind == PC_KSET_END || kind == PC_KSET_ERROR)
			break;
		kset_flags(ck, &v);
		if (kind == PC_KSET_LAST) {
			if (lw.second && !second)
				reenter(ck, &v);
			ck->u.last_ksets++;
			ret = push_key_seg(ck, v.key_num);
			continue;
		}
		ck->u.ksets++;
		ret = pc_ck_keys(ck, &v, after,
				 pc_ck_pos_eq(v.pos, ck->c.key_tail));
		if ((ck->u.ksets & 1023) == 0)
			pc_ck_progress(ck, "ksets", ck->u.ksets, 0);
		if (!ret && pc_ck_cancelled(ck))
			ret = -ECANCELED;
	}
	if (!ret && lw.nomem)
		ret = -ENOMEM;
	if (!ret) {
		ck->u.key_head = v.pos;
		ck->u.log_end = lw.loop ? PC_ERR_HOPS : lw.w.end;
		log_end(ck, &lw, &v);
	}
	pc_lw_fini(&lw);
	return ret;
}

/*
 * The kernel's activation check from dirty_tail (9.6); also tells whether
 * that walk reaches key_tail, in which case moving dirty_tail to key_tail
 * skips nothing.
 */
static int walk_dirty(struct pc_check *ck, bool *reaches_key_tail)
{
	struct pc_kset_view v;
	struct pc_lwalk lw;
	int ret = pc_lw_init(&lw, &ck->c, ck->c.dirty_tail);

	while (!ret) {
		enum pc_kset_kind kind;

		if (pc_ck_pos_eq(lw.w.pos, ck->c.key_tail))
			*reaches_key_tail = true;
		kind = pc_lw_next(&lw, &v);
		if (kind == PC_KSET_END || kind == PC_KSET_ERROR)
			break;
		if (pc_ck_cancelled(ck))
			ret = -ECANCELED;
	}
	if (!ret && (lw.loop || lw.w.end >= PC_ERR_NEXT_RANGE))
		pc_ck_add(ck, PCK_DLOG_WALK, "kset", -1, v.pos.seg,
			  pos_dev(ck, v.pos), "the walk from dirty_tail %u:%u "
			  "fails at %u:%u: %s", ck->c.dirty_tail.seg,
			  ck->c.dirty_tail.off, v.pos.seg, v.pos.off,
			  lw.loop ? "the log loops" :
				    pc_walk_end_name(lw.w.end));
	pc_lw_fini(&lw);
	return ret;
}

static int dirty_off_log(struct pc_check *ck)
{
	struct pc_repair rp = { .kind = PC_RP_DIRTY_TAIL,
				.dual = &ck->c.tail_slots[PC_DIRTY_TAIL],
				.off = PCD_DIRTY_TAIL_OFF,
				.stride = PCD_POS_STRIDE,
				.what = "dirty_tail",
				.pos = ck->c.key_tail, .cache_seg = -1 };
	bool reaches = false;
	struct pc_finding *f;
	long idx;
	int ret;

	ret = walk_dirty(ck, &reaches);
	if (ret)
		return ret;
	idx = pc_ck_add(ck, PCK_DTAIL_OFF_LOG, "dirty_tail",
			ck->c.tail_slots[PC_DIRTY_TAIL].chosen, -1,
			(int64_t)ck->c.tail_slots[PC_DIRTY_TAIL].slot[
				ck->c.tail_slots[PC_DIRTY_TAIL].chosen].dev_off,
			"dirty_tail %u:%u is not on the log "
			"walk from key_tail %u:%u to key_head %u:%u%s",
			ck->c.dirty_tail.seg, ck->c.dirty_tail.off,
			ck->c.key_tail.seg, ck->c.key_tail.off,
			ck->u.key_head.seg, ck->u.key_head.off,
			reaches ? "; it lies behind key_tail" :
				  "; dirty keys on the log may never be "
				  "written back");
	if (pcd_replay_judge(0, 0, PCD_LOG_DIRTY_ON_WALK) != PCD_LOG_OK)
		pc_ck_strict(ck, idx, PCD_LOG_DIRTY_ON_WALK);
	f = pc_ck_get(ck, idx);
	if (reaches) {
		pc_ck_plan(ck, idx, &rp);
		return 0;
	}
	/* Which data could be lost: every dirty key on the walk. */
	for (size_t i = 0; f && i < ck->r.n_keys; i++)
		if (!ck->r.keys[i].stale &&
		    !(ck->r.keys[i].k.flags & PCD_KEY_F_CLEAN))
			pc_ck_range(f, ck->r.keys[i].k.off,
				    ck->r.keys[i].k.len);
	if (f && ck->o.repair == PC_REPAIR_ALL)
		f->refused = true;
	return 0;
}

static void status_line(struct pc_check *ck)
{
	struct pc_check_usage *u = &ck->u;

	snprintf(u->status_line, sizeof(u->status_line),
		 "%x %u %u %u %u %x %u:%u %u:%u %u:%u", ck->c.sb.flags,
		 ck->c.sb.seg_num, ck->c.sb.seg_num, u->segs_used,
		 u->gc_percent, u->info_flags | PCD_INFO_F_INIT_DONE,
		 u->key_head.seg, u->key_head.off, u->dirty_tail.seg,
		 u->dirty_tail.off, u->key_tail.seg, u->key_tail.off);
}

int pc_ck_log(struct pc_check *ck)
{
	bool dirty_seen = false;
	int ret;

	ck->u.loaded = true;
	ret = walk_keys(ck, &dirty_seen);
	if (!ret && ck->tails_ok[PC_DIRTY_TAIL] && !dirty_seen)
		ret = dirty_off_log(ck);
	if (!ret)
		ret = pc_ck_keys_after(ck);
	if (!ret)
		pc_ck_restored_note(ck);
	if (!ret && ck->o.backing)
		ret = pc_ck_backing(ck, dirty_seen);
	if (!ret)
		status_line(ck);
	return ret;
}
