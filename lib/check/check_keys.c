// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Keys on the walk from key_tail: the kernel's decode checks (9.7), the
 * invariants it keeps (13.2), generations, and the index after replay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_keys.h"

static const enum pc_code key_err_code[] = {
	[PC_KEY_LEN_ZERO] = PCK_KEY_LEN_ZERO,
	[PC_KEY_BEYOND_BACKING] = PCK_KEY_BACKING,
	[PC_KEY_SEG_RANGE] = PCK_KEY_SEG_ID,
	[PC_KEY_SEG_OVERFLOW] = PCK_KEY_SEG_OVERFLOW,
	[PC_KEY_DATA_CRC] = PCK_KEY_DATA_CRC,
	[PC_KEY_READ] = PCK_DEV_READ,
};

struct kctx {
	struct pc_check *ck;
	const struct pc_kset_view *v;
	uint32_t i;
	int64_t dev_off;
	char where[96];
};

#define KADD(x, code, ...)						\
	pc_ck_add((x)->ck, code, "key", -1, (int64_t)(x)->v->pos.seg,	\
		  (x)->dev_off, __VA_ARGS__)

static void key_data(struct kctx *x, const struct pcd_key *k)
{
	struct pc_check *ck = x->ck;
	struct pc_err err = { 0 };
	uint32_t crc;

	if (pc_ck_restored(ck, k->len))
		return;
	if (pc_data_crc(&ck->c, k->cache_seg_id, k->cache_seg_off, k->len,
			&crc, &err)) {
		KADD(x, PCK_DEV_READ, "%s: data unreadable: %s", x->where,
		     err.msg);
		return;
	}
	ck->u.verified_keys++;
	ck->u.verified_bytes += k->len;
	if (crc != k->data_crc)
		KADD(x, PCK_KEY_DATA_CRC, "%s: data crc 0x%08x, the key says "
		     "0x%08x", x->where, crc, k->data_crc);
}

/*
 * C41, C43, C44 (and the harmless C42, C45, C51). @ours: the key rule's
 * verdict with our module's strictness; the finding it names is the one
 * our module refuses the cache for.
 */
static void key_shape(struct kctx *x, const struct pcd_key *k,
		      enum pcd_key_verdict ours)
{
	bool dcrc = pc_cache_data_crc(&x->ck->c);
	long idx;

	if (k->flags & PCD_KEY_F_EMPTY) {
		idx = KADD(x, PCK_KEY_EMPTY, "%s: flags 0x%x include EMPTY; "
			   "replaying it can crash the kernel", x->where,
			   k->flags);
		if (ours == PCD_KEY_EMPTY)
			pc_ck_strict(x->ck, idx, PCD_KEY_STRICT);
	}
	if (k->flags & PCD_KEY_F_UNKNOWN)
		KADD(x, PCK_KEY_FLAGS, "%s: unknown flag bits 0x%x", x->where,
		     k->flags & PCD_KEY_F_UNKNOWN);
	if (!pcd_key_aligned(k->off, k->len)) {
		idx = KADD(x, PCK_KEY_ALIGN, "%s: offset or length not a "
			   "multiple of 512", x->where);
		if (ours == PCD_KEY_ALIGN)
			pc_ck_strict(x->ck, idx, PCD_KEY_STRICT);
	}
	if (pcd_key_crosses(k->off, k->len)) {
		idx = KADD(x, PCK_KEY_SUBTREE, "%s: longer than 4 MiB or "
			   "crosses a 4 MiB boundary", x->where);
		if (ours == PCD_KEY_CROSS)
			pc_ck_strict(x->ck, idx, PCD_KEY_STRICT);
	}
	if (k->cache_seg_off % PCD_SECTOR_SIZE)
		KADD(x, PCK_KEY_SEG_OFF_ALIGN, "%s: cache_seg_off %u not a "
		     "multiple of 512", x->where, k->cache_seg_off);
	if (k->reserved || (!dcrc && k->data_crc))
		KADD(x, PCK_KEY_RESERVED, "%s: reserved 0x%x, data_crc 0x%x "
		     "(ignored)", x->where, k->reserved, dcrc ? 0 : k->data_crc);
}

static int one_key(struct kctx *x, bool after, bool at_tail)
{
	struct pc_check *ck = x->ck;
	struct pc_rkey rk = { .kset = x->v->pos, .after_dirty = after };
	struct pcd_key *k = &rk.k;
	enum pc_key_err ke;
	uint64_t end, gen;

	pc_key_decode(&ck->c, &x->v->keys[x->i], k);
	snprintf(x->where, sizeof(x->where), "key %u of kset %u:%u (off %llu "
		 "len %u)", x->i, x->v->pos.seg, x->v->pos.off,
		 (unsigned long long)k->off, k->len);
	ck->u.keys++;
	end = k->off + k->len < k->off ? UINT64_MAX : k->off + k->len;
	if (end > ck->u.max_key_end)
		ck->u.max_key_end = end;
	ke = pc_key_check(&ck->c, k, ck->o.backing_size, false, NULL);
	if (ke != PC_KEY_OK)
		KADD(x, key_err_code[ke], "%s: %s (backing %llu bytes, cache "
		     "segment %u, n_segs %u, cache_seg_off %u)", x->where,
		     pc_key_err_name(ke),
		     (unsigned long long)ck->o.backing_size, k->cache_seg_id,
		     ck->c.info.n_segs, k->cache_seg_off);
	else if (ck->o.verify_data && pc_cache_data_crc(&ck->c))
		key_data(x, k);
	key_shape(x, k, pcd_key_judge(k->off, k->len, k->cache_seg_id,
				      k->cache_seg_off, k->flags,
				      ck->o.backing_size, ck->c.info.n_segs,
				      PCD_STRICT_OURS));
	/* pc_key_check() stops at the first failed bound: a key beyond the
	 * backing device may also name a segment that does not exist */
	if (k->cache_seg_id >= ck->c.info.n_segs ||
	    k->cache_seg_id >= ck->c.segs_loaded)
		return 0;
	gen = ck->c.segs[k->cache_seg_id].gen;
	rk.stale = pcd_key_stale(k->seg_gen, gen);
	if (rk.stale) {
		ck->u.stale_keys++;
		if (at_tail)
			ck->u.stale_keys_tail++;
		else
			KADD(x, PCK_KEY_STALE, "%s: seg_gen %llu is below "
			     "segment %u's generation %llu outside the kset at "
			     "key_tail", x->where,
			     (unsigned long long)k->seg_gen, k->cache_seg_id,
			     (unsigned long long)gen);
	} else if (k->flags & PCD_KEY_F_CLEAN) {
		ck->u.clean_keys++;
	} else {
		ck->u.dirty_keys++;
		if (after)
			ck->u.dirty_key_bytes += k->len;
	}
	rk.seq = ck->r.n_keys;
	return pc_replay_push(&ck->r, &rk);
}

int pc_ck_keys(struct pc_check *ck, const struct pc_kset_view *v, bool after,
	       bool at_key_tail)
{
	struct kctx x = { .ck = ck, .v = v };
	int64_t base = (int64_t)pc_cache_pos_dev_off(&ck->c, v->pos);

	for (x.i = 0; x.i < v->key_num; x.i++) {
		int ret;

		x.dev_off = base + PCD_KSET_HDR_SIZE + x.i * PCD_KEY_SIZE;
		ret = one_key(&x, after, at_key_tail);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- after the walk ---------------------------------------------------- */

struct seg_gens {
	uint64_t lo, hi;	/* seg_gen range of the non-stale keys */
	uint64_t n;
};

static void gen_finding(struct pc_check *ck, uint32_t s, const struct seg_gens *g)
{
	struct pc_seg *seg = &ck->c.segs[s];
	bool none = seg->gen_slots.chosen < 0;
	uint64_t off = pcd_seg_offset(seg->phys) + PCD_SEG_CTRL_OFF;
	struct pc_repair rp = { .kind = PC_RP_GEN, .dual = &seg->gen_slots,
				.off = off, .stride = PCD_SEG_GEN_STRIDE,
				.what = "generation", .cache_seg = s,
				.value = g->hi };
	long idx;

	if (none && !(g->n && g->hi > 0)) {
		pc_ck_add(ck, PCK_GEN_NONE, "generation", -1, s, (int64_t)off,
			  "segment %u (cache segment %u) has no valid "
			  "generation record; the kernel uses 0, and no key "
			  "needs more", seg->phys, s);
		return;
	}
	if (!g->n || !pcd_key_gen_ahead(g->hi, seg->gen))
		return;
	idx = pc_ck_add(ck, none ? PCK_GEN_NONE_USED : PCK_KEY_GEN_AHEAD,
			"generation", seg->gen_slots.chosen, s, (int64_t)off,
			"%llu key%s point%s into cache segment %u with "
			"seg_gen %llu..%llu, above the segment's generation "
			"%llu%s", (unsigned long long)g->n, pck_s(g->n),
			g->n == 1 ? "s" : "", s, (unsigned long long)g->lo,
			(unsigned long long)g->hi,
			(unsigned long long)seg->gen,
			none ? " (no valid generation record)" : "");
	if (g->lo == g->hi)
		pc_ck_plan(ck, idx, &rp);
}

static int gens(struct pc_check *ck)
{
	uint32_t n = ck->c.segs_loaded;
	struct seg_gens *g = calloc(n ? n : 1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < ck->r.n_keys; i++) {
		const struct pc_rkey *rk = &ck->r.keys[i];
		struct seg_gens *sg = &g[rk->k.cache_seg_id];

		if (rk->stale)
			continue;
		if (!sg->n || rk->k.seg_gen < sg->lo)
			sg->lo = rk->k.seg_gen;
		if (rk->k.seg_gen > sg->hi)
			sg->hi = rk->k.seg_gen;
		sg->n++;
	}
	for (uint32_t s = 0; s < n; s++)
		gen_finding(ck, s, &g[s]);
	free(g);
	return 0;
}

static const struct pc_rkey *sort_keys;

static int by_place(const void *a, const void *b)
{
	const struct pcd_key *x = &sort_keys[*(const size_t *)a].k;
	const struct pcd_key *y = &sort_keys[*(const size_t *)b].k;

	if (x->cache_seg_id != y->cache_seg_id)
		return x->cache_seg_id < y->cache_seg_id ? -1 : 1;
	if (x->cache_seg_off != y->cache_seg_off)
		return x->cache_seg_off < y->cache_seg_off ? -1 : 1;
	return 0;
}

/* C49 and C50: live keys in log segments, overlapping cached extents. */
static int placement(struct pc_check *ck, const uint8_t *keyseg)
{
	size_t *idx = malloc((ck->r.n_keys ? ck->r.n_keys : 1) * sizeof(*idx));
	size_t n = 0;
	uint64_t end = 0;
	int64_t seg = -1;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < ck->r.n_keys; i++) {
		const struct pc_rkey *rk = &ck->r.keys[i];

		if (rk->stale || !rk->k.len)
			continue;
		idx[n++] = i;
		if (keyseg[rk->k.cache_seg_id]) {
			long f = pc_ck_add(ck, PCK_KEY_IN_KEY_SEG, "key", -1,
					   rk->k.cache_seg_id, -1, "a live key "
					   "of kset %u:%u (off %llu len %u) "
					   "points into cache segment %u, which "
					   "holds part of the log",
					   rk->kset.seg, rk->kset.off,
					   (unsigned long long)rk->k.off,
					   rk->k.len, rk->k.cache_seg_id);

			if (pcd_replay_judge(1, 1, PCD_LOG_KEYS_OFF_LOG) !=
			    PCD_LOG_OK)
				pc_ck_strict(ck, f, PCD_LOG_KEYS_OFF_LOG);
		}
	}
	sort_keys = ck->r.keys;
	qsort(idx, n, sizeof(*idx), by_place);
	for (size_t j = 0; j < n; j++) {
		const struct pcd_key *k = &ck->r.keys[idx[j]].k;
		uint64_t e = (uint64_t)k->cache_seg_off + k->len;

		if (k->cache_seg_id == seg && k->cache_seg_off < end)
			pc_ck_add(ck, PCK_KEY_OVERLAP, "key", -1,
				  k->cache_seg_id, -1, "cached data %u:%u+%u "
				  "(off %llu) overlaps another live key's data "
				  "in the same segment", k->cache_seg_id,
				  k->cache_seg_off, k->len,
				  (unsigned long long)k->off);
		if (k->cache_seg_id != seg || e > end)
			end = e;
		seg = k->cache_seg_id;
	}
	free(idx);
	return 0;
}

static int usage(struct pc_check *ck, uint8_t *used)
{
	struct pc_check_usage *u = &ck->u;
	uint32_t n = ck->c.segs_loaded;
	struct pc_seg_use *su = calloc(n ? n : 1, sizeof(*su));
	struct pc_finding *f = NULL;
	long fi = -1;

	if (!su)
		return -ENOMEM;
	for (size_t i = 0; i < ck->r.n_keys; i++)
		if (!ck->r.keys[i].stale)
			su[ck->r.keys[i].k.cache_seg_id].keys++;
	for (size_t i = 0; i < ck->r.n_ext; i++) {
		const struct pc_extent *e = &ck->r.ext[i];

		su[e->seg].live_bytes += e->len;
		u->live_bytes += e->len;
		/* live = dirty + clean, as pcache-dump counts them */
		if (e->dirty)
			u->dirty_bytes += e->len;
		else
			u->clean_bytes += e->len;
	}
	if (u->dirty_bytes) {
		fi = pc_ck_add(ck, PCK_DIRTY_DATA, "cache", -1, -1, -1, "%llu "
			       "bytes of dirty data between dirty_tail and "
			       "key_head are not yet on the backing device",
			       (unsigned long long)u->dirty_bytes);
		f = pc_ck_get(ck, fi);
	}
	for (size_t i = 0; f && i < ck->r.n_ext; i++)
		if (ck->r.ext[i].dirty)
			pc_ck_range(f, ck->r.ext[i].off, ck->r.ext[i].len);
	for (uint32_t s = 0; s < n; s++) {
		if (!su[s].keys)
			continue;
		used[s] = 1;
		su[u->n_data_segs] = su[s];
		su[u->n_data_segs].cache_seg = s;
		su[u->n_data_segs].phys = ck->c.segs[s].phys;
		su[u->n_data_segs].gen = ck->c.segs[s].gen;
		u->n_data_segs++;
	}
	u->data_segs = su;
	for (uint32_t s = 0; s < n; s++)
		u->segs_used += used[s];
	return 0;
}

/*
 * Bytes of [off, off + len) that no extent of a key newer than @seq covers
 * (the extents are sorted and disjoint); each uncovered piece is a range.
 */
static uint64_t uncovered(struct pc_check *ck, uint64_t off, uint32_t len,
			  uint64_t seq, struct pc_finding *f)
{
	const struct pc_extent *e = ck->r.ext;
	uint64_t end = off + len, at = off, lost = 0;
	size_t lo = 0, hi = ck->r.n_ext;

	while (lo < hi) {	/* first extent ending after @off */
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].off + e[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ck->r.n_ext && at < end && e[i].off < end; i++) {
		if (e[i].seq <= seq)
			continue;
		if (e[i].off > at) {
			lost += e[i].off - at;
			pc_ck_range(f, at, e[i].off - at);
		}
		if (e[i].off + e[i].len > at)
			at = e[i].off + e[i].len;
	}
	if (at < end) {
		lost += end - at;
		pc_ck_range(f, at, end - at);
	}
	return lost;
}

/*
 * GC raises a segment's generation only once every key in it lies behind
 * dirty_tail, so a stale dirty key after dirty_tail is damage (a forged or
 * rolled-forward generation): replay drops it, and unless a newer key
 * covers its range the kernel serves older data there. The kset at
 * key_tail is left out: GC may have passed it, its data already flushed to
 * the backing device, just before a power cut kept the new dirty_tail from
 * the media (PC-KEY-STALE-TAIL).
 */
static uint64_t stale_dirty_pass(struct pc_check *ck, struct pc_finding *f,
				 uint64_t *keys)
{
	uint64_t lost = 0;

	*keys = 0;
	for (size_t i = 0; i < ck->r.n_keys; i++) {
		const struct pc_rkey *rk = &ck->r.keys[i];
		uint64_t n;

		if (!rk->stale || !rk->after_dirty ||
		    pc_ck_pos_eq(rk->kset, ck->c.key_tail) ||
		    (rk->k.flags & PCD_KEY_F_CLEAN) || !rk->k.len ||
		    rk->k.off + rk->k.len < rk->k.off)
			continue;
		n = uncovered(ck, rk->k.off, rk->k.len, rk->seq, f);
		*keys += n != 0;
		lost += n;
	}
	return lost;
}

static void stale_dirty(struct pc_check *ck)
{
	uint64_t keys, lost = stale_dirty_pass(ck, NULL, &keys);
	long idx;

	if (!lost)
		return;
	idx = pc_ck_add(ck, PCK_KEY_STALE_DIRTY, "key", -1, -1, -1, "%llu "
			"stale dirty keys at or after dirty_tail (their "
			"segments' generations are newer): replay drops them "
			"and nothing newer covers %llu bytes of their data",
			(unsigned long long)keys, (unsigned long long)lost);
	stale_dirty_pass(ck, pc_ck_get(ck, idx), &keys);
}

int pc_ck_keys_after(struct pc_check *ck)
{
	uint32_t n = ck->c.segs_loaded;
	uint8_t *keyseg = calloc(n ? n : 1, 1);
	uint8_t *used = calloc(n ? n : 1, 1);
	int ret = -ENOMEM;

	if (!keyseg || !used)
		goto out;
	if (ck->u.stale_keys_tail)
		pc_ck_add(ck, PCK_KEY_STALE_TAIL, "kset", -1, ck->c.key_tail.seg,
			  (int64_t)pc_cache_pos_dev_off(&ck->c, ck->c.key_tail),
			  "%llu stale keys in the kset at key_tail %u:%u "
			  "(an interrupted garbage collection; skipped by "
			  "replay)", (unsigned long long)ck->u.stale_keys_tail,
			  ck->c.key_tail.seg, ck->c.key_tail.off);
	if (!ck->o.verify_data && pc_cache_data_crc(&ck->c) && ck->u.keys) {
		ck->u.data_unverified = true;
		pc_ck_add(ck, PCK_DATA_UNVERIFIED, "key", -1, -1, -1, "the data "
			  "CRCs of %llu key%s were not verified "
			  "(--no-verify-data): the kernel's data check at "
			  "activation was not made",
			  (unsigned long long)ck->u.keys, pck_s(ck->u.keys));
	}
	if (!ck->o.backing_size && ck->u.keys)
		pc_ck_add(ck, PCK_BACKING_UNKNOWN, "key", -1, -1, -1, "keys were "
			  "not checked against the backing device size; the "
			  "backing device must hold at least %llu bytes",
			  (unsigned long long)ck->u.max_key_end);
	for (uint32_t i = 0; i < ck->u.n_key_segs; i++)
		keyseg[ck->u.key_segs[i]] = used[ck->u.key_segs[i]] = 1;
	ret = gens(ck);
	if (!ret)
		ret = placement(ck, keyseg);
	if (!ret)
		ret = pc_resolve(ck->r.keys, ck->r.n_keys, &ck->r.ext,
				 &ck->r.n_ext);
	if (!ret)
		stale_dirty(ck);
	if (!ret)
		ret = usage(ck, used);
out:
	free(keyseg);
	free(used);
	return ret;
}
