// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Salvage: the ksets the kernel cannot see because a damaged kset ends its
 * walk early (docs/salvage.md). The scan is bounded: each chain segment is
 * entered at most once and read forward only, so at most n_segs data areas
 * are read, and every run of ksets is walked with the kernel's own rules.
 *
 * Segments are reached only through LAST links. A damaged LAST kset hides
 * the segment the log went on in; free segments whose data area starts
 * with a valid kset are not guessed at, since every key segment an older
 * lap of the log used looks just like that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pcache.h"

#define SCAN_CHUNK (1u << 20)

struct scan {
	struct pc_cache *c;
	struct pc_salvage *s;
	uint64_t backing_size;
	uint64_t seq;
	bool *used;		/* segments the kernel's log uses */
	bool *key_seg;		/* key segments: the kernel's and the runs' */
	bool *entered;		/* segments a run has walked into */
	struct pc_walk w;
	uint8_t *buf;
	bool forced;		/* the next run was named by the caller */
};

static bool in_segs(const struct pc_cache *c, uint32_t seg)
{
	return seg < c->info.n_segs && seg < c->segs_loaded;
}

/* What the kernel's log uses, from the replayed keys. */
static void mark_used(struct scan *sc, const struct pc_replay *r)
{
	struct pc_cache *c = sc->c;

	for (size_t i = 0; i < r->n_keys; i++) {
		const struct pc_rkey *rk = &r->keys[i];

		if (in_segs(c, rk->kset.seg))
			sc->used[rk->kset.seg] = sc->key_seg[rk->kset.seg] = true;
		if (!rk->stale && in_segs(c, rk->k.cache_seg_id))
			sc->used[rk->k.cache_seg_id] = true;
	}
	for (uint32_t i = 0; r->seg_used && i < c->info.n_segs; i++)
		sc->used[i] |= r->seg_used[i];
	if (in_segs(c, c->key_tail.seg))
		sc->used[c->key_tail.seg] = sc->key_seg[c->key_tail.seg] = true;
	if (in_segs(c, r->head.seg)) {
		sc->used[r->head.seg] = sc->key_seg[r->head.seg] = true;
		sc->entered[r->head.seg] = true;
	}
}

/* The kset at @p as the kernel's reader sees it (a fresh walk state). */
static enum pc_kset_kind kset_at(struct scan *sc, struct pc_pos p,
				 struct pc_kset_view *v)
{
	sc->w.pos = p;
	sc->w.end = PC_END_NONE;
	sc->w.hops = 0;
	return pc_walk_next(&sc->w, v);
}

static bool valid_at(struct scan *sc, struct pc_pos p)
{
	struct pc_kset_view v;
	enum pc_kset_kind k = kset_at(sc, p, &v);

	return k == PC_KSET_KEYS || k == PC_KSET_LAST;
}

/*
 * First position after @from (8-aligned) in segment @seg holding a valid
 * kset: 1 and *@at, 0 when there is none, or -errno.
 */
static int find_kset(struct scan *sc, uint32_t seg, uint32_t from,
		     uint32_t *at)
{
	int64_t phys = pc_cache_phys(sc->c, seg);
	uint32_t off = (from + 8) & ~7u;

	if (phys < 0)
		return 0;
	while (off <= PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE) {
		uint32_t n = PCD_SEG_DATA_SIZE - off;
		int ret;

		n = n < SCAN_CHUNK ? n : SCAN_CHUNK;
		ret = pc_dev_read(sc->c->dev, pcd_data_offset((uint32_t)phys,
				  off), sc->buf, n, &sc->s->err);
		if (ret)
			return ret;
		for (uint32_t p = 0; p + 16 <= n; p += 8) {
			uint64_t magic;

			memcpy(&magic, sc->buf + p + 8, sizeof(magic));
			if (pcd_n64(sc->c->swap, magic) != PCD_KSET_MAGIC ||
			    !valid_at(sc, (struct pc_pos){ seg, off + p }))
				continue;
			*at = off + p;
			return 1;
		}
		/* the last header that may straddle the chunk is rechecked */
		off += n - 8 > 8 ? n - 8 : 8;
		off &= ~7u;
	}
	return 0;
}

/* 24 zero bytes at @p: the terminator the kernel writes after each kset. */
static bool zero_end(struct scan *sc, struct pc_pos p)
{
	int64_t phys = pc_cache_phys(sc->c, p.seg);
	uint8_t b[PCD_KSET_HDR_SIZE];

	if (phys < 0 || p.off > PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE)
		return false;
	if (pc_dev_read(sc->c->dev, pcd_data_offset((uint32_t)phys, p.off), b,
			sizeof(b), NULL))
		return false;
	for (size_t i = 0; i < sizeof(b); i++)
		if (b[i])
			return false;
	return true;
}

static int add_kset(struct scan *sc, const struct pc_kset_view *v)
{
	struct pc_salvage *s = sc->s;
	struct pc_salvage_kset *k;

	if (pc_grow(&s->ksets, s->n_ksets, &s->cap_ksets, sizeof(*s->ksets),
		    64))
		return -ENOMEM;
	k = &s->ksets[s->n_ksets++];
	k->pos = v->pos;
	k->size = v->size;
	k->key_num = v->key_num;
	k->last = v->kind == PC_KSET_LAST;
	k->run = (uint32_t)(s->n_runs - 1);
	return 0;
}

static int add_keys(struct scan *sc, const struct pc_kset_view *v,
		    struct pc_salvage_run *run)
{
	struct pc_salvage *s = sc->s;

	for (uint32_t i = 0; i < v->key_num; i++) {
		struct pc_rkey rk = { .kset = v->pos, .after_dirty = true };

		pc_key_decode(sc->c, &v->keys[i], &rk.k);
		if (pc_key_check(sc->c, &rk.k, sc->backing_size, false,
				 NULL) != PC_KEY_OK) {
			s->n_bad++;
			continue;
		}
		rk.stale = pcd_key_stale(rk.k.seg_gen,
					 sc->c->segs[rk.k.cache_seg_id].gen);
		rk.seq = sc->seq++;
		if (rk.stale)
			s->n_stale++;
		else
			run->live_keys++;
		if (pc_grow(&s->keys, s->n_keys, &s->cap_keys,
			    sizeof(*s->keys), 256))
			return -ENOMEM;
		s->keys[s->n_keys++] = rk;
	}
	return 0;
}

static void stale(struct scan *sc, struct pc_salvage_run *run,
		  const char *why, struct pc_pos at)
{
	run->stale = true;
	snprintf(sc->s->stale_why, sizeof(sc->s->stale_why),
		 "%s (at %u:%u)", why, at.seg, at.off);
}

/*
 * Walk one run from @from by the kernel's rules; sets run->end. Returns 1
 * when the scan should go on from run->end, 0 when it ends, or -errno.
 */
static int walk_run(struct scan *sc, struct pc_salvage_run *run,
		    size_t first_key)
{
	struct pc_walk *w = &sc->w;
	struct pc_kset_view v;
	int ret;

	w->pos = run->from;
	w->end = PC_END_NONE;
	w->hops = 0;
	for (;;) {
		enum pc_kset_kind kind = pc_walk_next(w, &v);

		if (kind == PC_KSET_END || kind == PC_KSET_ERROR)
			break;
		ret = add_kset(sc, &v);
		if (!ret && kind == PC_KSET_KEYS)
			ret = add_keys(sc, &v, run);
		if (ret)
			return ret;
		if (kind != PC_KSET_LAST)
			continue;
		if (sc->used[v.key_num] || sc->entered[v.key_num]) {
			run->end = v.pos;
			run->end_why = PC_END_NONE;
			if (!sc->forced)
				stale(sc, run, "a LAST kset links into a "
				      "segment the log already uses", v.pos);
			return 0;
		}
		sc->entered[v.key_num] = sc->key_seg[v.key_num] = true;
	}
	run->end = v.pos;
	run->end_why = w->end;
	/*
	 * A read error is no end: valid ksets may follow it, and a scan that
	 * stopped there would let a caller take the runs so far for all
	 * there is (fsck -y zeroing the header, a salvage marking the cache
	 * clean). The scan fails instead.
	 */
	if (w->end == PC_END_READ) {
		sc->s->err = w->err;
		return w->err.code < 0 ? w->err.code : -EIO;
	}
	if (sc->forced)
		goto judged;
	for (size_t i = first_key; i < sc->s->n_keys && !run->stale; i++)
		if (!sc->s->keys[i].stale &&
		    sc->key_seg[sc->s->keys[i].k.cache_seg_id])
			stale(sc, run, "a key points into a key segment",
			      sc->s->keys[i].kset);
	if (!run->stale && !run->live_keys)
		stale(sc, run, "no key is live (all stale or undecodable)",
		      run->from);
judged:
	if (run->stale)
		return 0;
	if (w->end >= PC_ERR_NEXT_RANGE || w->end == PC_END_READ ||
	    zero_end(sc, v.pos))
		return 0;
	return 1;
}

/*
 * The damaged kset's own keys, when the break is exactly one kset long
 * (the run starts 24 + 40 k bytes after it, k <= 128) and every key can be
 * proven by its data CRC: a 40-byte record that passes the decode checks
 * and matches the CRC of the data it names is that key. Without data CRCs
 * nothing vouches for them and they are left out.
 */
static int add_damaged(struct scan *sc, struct pc_salvage_run *run)
{
	struct pc_salvage *s = sc->s;
	struct pc_kset_view v = { .kind = PC_KSET_KEYS, .pos = run->gap };
	uint32_t gap = run->from.off - run->gap.off;
	int64_t phys = pc_cache_phys(sc->c, run->gap.seg);
	struct pcd_key raw[PCD_KSET_KEYS_MAX];
	int ret;

	if (!pc_cache_data_crc(sc->c) || phys < 0 ||
	    run->from.seg != run->gap.seg || run->from.off <= run->gap.off ||
	    gap < PCD_KSET_HDR_SIZE || (gap - PCD_KSET_HDR_SIZE) % PCD_KEY_SIZE ||
	    gap > PCD_KSET_SIZE_MAX)
		return 0;
	v.key_num = (gap - PCD_KSET_HDR_SIZE) / PCD_KEY_SIZE;
	ret = pc_dev_read(sc->c->dev, pcd_data_offset((uint32_t)phys,
			  run->gap.off + PCD_KSET_HDR_SIZE), raw,
			  v.key_num * sizeof(*raw), &s->err);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < v.key_num; i++) {
		struct pcd_key k;

		pc_key_decode(sc->c, &raw[i], &k);
		if (pc_key_check(sc->c, &k, sc->backing_size, true, NULL) !=
		    PC_KEY_OK ||
		    pcd_key_stale(k.seg_gen, sc->c->segs[k.cache_seg_id].gen))
			return 0;
	}
	v.keys = raw;
	ret = add_keys(sc, &v, run);
	if (!ret) {
		run->damaged_keys = v.key_num;
		run->live_keys = 0;	/* the run must prove itself (rule 3) */
	}
	return ret;
}

static int new_run(struct scan *sc, struct pc_pos gap, enum pc_walk_end why,
		   struct pc_pos from)
{
	struct pc_salvage *s = sc->s;
	struct pc_salvage_run *run;
	size_t first_key = s->n_keys;
	int ret;

	if (pc_grow(&s->runs, s->n_runs, &s->cap_runs, sizeof(*s->runs), 4))
		return -ENOMEM;
	run = &s->runs[s->n_runs++];
	memset(run, 0, sizeof(*run));
	run->gap = gap;
	run->gap_why = why;
	run->from = from;
	ret = sc->forced ? 0 : add_damaged(sc, run);
	if (!ret)
		ret = walk_run(sc, run, first_key);
	sc->forced = false;
	if (run->stale)
		s->n_keys = first_key;	/* an older lap's keys are not taken */
	else
		s->resume = run->end;
	return ret;
}

/* Runs from @gap on; a caller's @start (not NULL) is the first one. */
static int scan(struct scan *sc, struct pc_pos gap, enum pc_walk_end why,
		const struct pc_pos *start)
{
	for (uint32_t rounds = 0; rounds <= sc->c->info.n_segs * 2u + 2;
	     rounds++) {
		struct pc_salvage_run *run;
		uint32_t at = 0;
		int ret = start ? 1 : find_kset(sc, gap.seg, gap.off, &at);

		if (ret < 0)
			return ret;
		if (start) {
			sc->forced = true;
			if (start->seg != gap.seg)
				sc->entered[start->seg] =
					sc->key_seg[start->seg] = true;
			ret = new_run(sc, gap, why, *start);
			start = NULL;
		} else if (ret == 1) {
			ret = new_run(sc, gap, why, (struct pc_pos){ gap.seg,
								     at });
		} else {
			return 0;
		}
		if (ret <= 0)
			return ret;
		run = &sc->s->runs[sc->s->n_runs - 1];
		gap = run->end;
		why = run->end_why;
	}
	return 0;
}

static void verdict(struct pc_salvage *s)
{
	for (size_t i = 0; i < s->n_runs; i++)
		if (!s->runs[i].stale)
			s->verdict = PC_SALV_TRUNCATED;
	if (s->verdict == PC_SALV_NONE && s->n_runs)
		s->verdict = PC_SALV_STALE;
	for (size_t i = 0; i < s->n_keys; i++) {
		const struct pc_rkey *rk = &s->keys[i];

		if (rk->stale || (rk->k.flags & PCD_KEY_F_CLEAN))
			continue;
		s->n_dirty++;
		s->dirty_bytes += rk->k.len;
	}
}

static bool scannable(struct scan *sc, const struct pc_replay *r)
{
	switch (r->end) {
	case PC_END_MAGIC:
		/* the kernel's own terminator is an ordinary end of log */
		return !zero_end(sc, r->head);
	case PC_END_KEY_NUM:
	case PC_END_CRC:
	case PC_END_TOO_BIG:
	case PC_END_NO_ROOM:
		return true;
	default:
		return false;
	}
}

/* Not a part of the kernel's log: after the head, or in a segment it
 * does not use. */
static bool past_head(struct scan *sc, const struct pc_replay *r,
		      struct pc_pos p)
{
	if (p.seg == r->head.seg)
		return p.off > r->head.off;
	return !sc->used[p.seg];
}

static int scan_from(struct pc_cache *c, const struct pc_replay *r,
		     uint64_t backing_size, const struct pc_pos *start,
		     struct pc_salvage *s)
{
	struct scan sc = { .c = c, .s = s, .backing_size = backing_size,
			   .seq = r->n_keys };
	uint32_t n;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->end = s->resume = r->head;
	s->end_why = r->end;
	if (c->stage < PC_STAGE_READY || !in_segs(c, r->head.seg))
		return 0;
	n = c->info.n_segs;
	sc.used = calloc(n, sizeof(bool));
	sc.key_seg = calloc(n, sizeof(bool));
	sc.entered = calloc(n, sizeof(bool));
	sc.buf = malloc(SCAN_CHUNK);
	if (!sc.used || !sc.key_seg || !sc.entered || !sc.buf) {
		ret = -ENOMEM;
		goto out;
	}
	pc_walk_init(&sc.w, c, r->head);
	/* past the kernel's end only ksets really there count */
	sc.w.model = PCD_KSET_OWN_BYTES;
	if (sc.w.end != PC_END_NONE) {
		ret = -ENOMEM;
	} else if (start && !valid_at(&sc, *start)) {
		pc_err_set(&s->err, -EINVAL, "%s: no valid kset at %u:%u",
			   pc_dev_path(c->dev), start->seg, start->off);
		ret = -EINVAL;
	} else {
		mark_used(&sc, r);
		if (start && !past_head(&sc, r, *start)) {
			pc_err_set(&s->err, -EINVAL, "%s: %u:%u is not past "
				   "the end of the log (%u:%u): the kernel "
				   "replays it", pc_dev_path(c->dev),
				   start->seg, start->off, r->head.seg,
				   r->head.off);
			ret = -EINVAL;
		} else if (start || scannable(&sc, r)) {
			ret = scan(&sc, r->head, r->end, start);
		}
	}
	pc_walk_fini(&sc.w);
	if (!ret)
		verdict(s);
out:
	free(sc.used);
	free(sc.key_seg);
	free(sc.entered);
	free(sc.buf);
	return ret;
}

int pc_salvage_scan(struct pc_cache *c, const struct pc_replay *r,
		    uint64_t backing_size, struct pc_salvage *s)
{
	return scan_from(c, r, backing_size, NULL, s);
}

int pc_salvage_scan_at(struct pc_cache *c, const struct pc_replay *r,
		       uint64_t backing_size, struct pc_pos at,
		       struct pc_salvage *s)
{
	if (at.seg >= c->info.n_segs || at.off % 8 ||
	    at.off > PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE) {
		memset(s, 0, sizeof(*s));
		pc_err_set(&s->err, -EINVAL, "%s: position %u:%u out of range "
			   "(n_segs %u, data offsets 0..%u, multiples of 8)",
			   pc_dev_path(c->dev), at.seg, at.off, c->info.n_segs,
			   PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE);
		return -EINVAL;
	}
	return scan_from(c, r, backing_size, &at, s);
}

void pc_salvage_free(struct pc_salvage *s)
{
	free(s->runs);
	free(s->ksets);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

const char *pc_salvage_verdict_name(enum pc_salvage_verdict v)
{
	switch (v) {
	case PC_SALV_NONE:
		return "none";
	case PC_SALV_TRUNCATED:
		return "truncated";
	case PC_SALV_STALE:
		return "stale";
	}
	return "?";
}
