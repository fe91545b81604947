// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty data past the kernel's end of log (docs/salvage.md). Without
 * --salvage such a cache is refused: writing back only what the kernel
 * sees and calling the cache clean would hide the rest for good.
 *
 * With --salvage the keys of the valid ksets past the damage join the
 * kernel's log (after it, in log order) before overlaps are resolved, so
 * the newest key wins over the union. Once their data is on the backing
 * device, the cache is left with an empty log the kernel accepts; the
 * order of the writes (wb_salvage_finish) keeps every intermediate state
 * either the original one or a consistent clean one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wb.h"

static int merge(struct wb *w)
{
	struct pc_replay *r = &w->r;
	int ret;

	for (size_t i = 0; i < w->past.n_keys; i++) {
		struct pc_rkey rk = w->past.keys[i];

		rk.seq = r->n_keys;
		ret = pc_replay_push(r, &rk);
		if (ret)
			return ret;
	}
	free(r->ext);
	r->ext = NULL;
	r->n_ext = 0;
	ret = pc_resolve(r->keys, r->n_keys, &r->ext, &r->n_ext);
	if (ret)
		return ret;
	r->dirty_bytes = 0;
	for (size_t i = 0; i < r->n_ext; i++)
		if (r->ext[i].dirty)
			r->dirty_bytes += r->ext[i].len;
	return 0;
}

int wb_past_end(struct wb *w)
{
	struct pc_salvage *s = &w->past;
	int ret;

	w->n_log_keys = w->r.n_keys;
	if (w->from_set)
		ret = pc_salvage_scan_at(w->c, &w->r, w->backing_size, w->from,
					 s);
	else
		ret = pc_salvage_scan(w->c, &w->r, w->backing_size, s);
	if (ret) {
		if (s->err.msg[0])
			wb_refuse(w, "%s", s->err.msg);
		else
			wb_refuse(w, "%s: scan past the end of the log: %s",
				  w->cache_path, strerror(-ret));
		return ret;
	}
	if (s->verdict != PC_SALV_TRUNCATED) {
		if (w->salvage && !w->json)
			cli_warn("%s: --salvage: nothing valid past the end of "
				 "the log at %u:%u", w->cache_path,
				 w->r.head.seg, w->r.head.off);
		return 0;
	}
	if (!w->salvage) {
		if (!s->n_dirty)
			return 0;	/* only CLEAN keys: nothing is lost */
		wb_refuse(w, "%s: the log ends at %u:%u (%s) but %llu dirty "
			  "key%s (%llu bytes) lie%s in valid ksets past it, up "
			  "to %u:%u; the kernel drops %s; refusing to call "
			  "the cache clean (--salvage writes %s back too)",
			  w->cache_path, s->end.seg, s->end.off,
			  pc_walk_end_name(s->end_why),
			  (unsigned long long)s->n_dirty, cli_s(s->n_dirty),
			  (unsigned long long)s->dirty_bytes,
			  s->n_dirty == 1 ? "s" : "", s->resume.seg,
			  s->resume.off, s->n_dirty == 1 ? "it" : "them",
			  s->n_dirty == 1 ? "it" : "them");
		return -EUCLEAN;
	}
	if (s->n_bad && !w->json)
		cli_warn("%s: --salvage: %llu key%s past the end of the log "
			 "fail%s the kernel's decode checks and %s not written",
			 w->cache_path, (unsigned long long)s->n_bad,
			 cli_s(s->n_bad), s->n_bad == 1 ? "s" : "",
			 s->n_bad == 1 ? "is" : "are");
	w->salvaging = true;
	return merge(w);
}

static bool pos_eq(struct pc_pos a, struct pc_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

/* Overwrite the 24-byte kset header at @p with zeros: an explicit end. */
static int zero_header(struct wb *w, struct pc_pos p, struct pc_err *err)
{
	static const uint8_t zero[PCD_KSET_HDR_SIZE];

	if (p.off > PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE)
		return 0;
	return pc_dev_write(w->dev, pc_cache_pos_dev_off(w->c, p), zero,
			    sizeof(zero), err);
}

struct zlist {
	struct pc_pos *pos;
	size_t n, cap;
};

static int zl_add(struct zlist *z, struct pc_pos p)
{
	void *v;

	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		v = realloc(z->pos, z->cap * sizeof(*z->pos));
		if (!v)
			return -ENOMEM;
		z->pos = v;
	}
	z->pos[z->n++] = p;
	return 0;
}

/* Every kset of the kernel's log from @from on, every gap, every kset taken. */
static int old_ksets(struct wb *w, struct pc_pos from, struct zlist *z)
{
	struct pc_kset_view v;
	struct pc_walk walk;
	int ret = 0;

	pc_walk_init(&walk, w->c, from);
	for (uint64_t n = 0; !ret && n <= w->r.n_ksets + w->r.n_last; n++) {
		enum pc_kset_kind k = pc_walk_next(&walk, &v);

		if (k != PC_KSET_KEYS && k != PC_KSET_LAST)
			break;
		ret = zl_add(z, v.pos);
	}
	pc_walk_fini(&walk);
	for (size_t i = 0; !ret && i < w->past.n_runs; i++)
		ret = zl_add(z, w->past.runs[i].gap);
	for (size_t i = 0; !ret && i < w->past.n_ksets; i++)
		if (!w->past.runs[w->past.ksets[i].run].stale)
			ret = zl_add(z, w->past.ksets[i].pos);
	return ret;
}

static int zero_all(struct wb *w, const struct zlist *z, struct pc_err *err)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < z->n; i++)
		ret = zero_header(w, z->pos[i], err);
	return ret;
}

static int step(struct wb *w, int ret, struct pc_err *err)
{
	if (!ret)
		ret = pc_dev_flush(w->dev, err);
	if (ret)
		wb_refuse(w, "%s", err->msg[0] ? err->msg : strerror(-ret));
	return ret;
}

/*
 * The data is on the backing device; now the cache must forget its log.
 * D is dirty_tail, E the end of the last salvaged run (an invalid kset).
 *  1. zero E's header: past the kernel's end, invisible to it;
 *  2. key_tail := D when it lies behind D (GC would do the same: the ksets
 *     before D are written back), so the next step empties the index;
 *  3. zero D's header: the kernel now sees an empty log, nothing dirty;
 *  4. key_tail := E, then dirty_tail := E: the old log and the salvaged
 *     ksets lie behind the tails, where no scan looks again;
 *  5. zero the headers of the old ksets (tidying; they are behind E).
 * A crash before 3 leaves the cache as it was (a rerun repeats the same
 * writes); after 3 the kernel sees a clean, empty cache.
 */
int wb_salvage_finish(struct wb *w)
{
	struct pc_pos d = w->c->dirty_tail, e = w->past.resume;
	bool move = e.off <= PCD_SEG_DATA_SIZE - PCD_KSET_HDR_SIZE;
	struct pc_err err = { 0 };
	struct zlist z = { 0 };
	int ret;

	ret = old_ksets(w, d, &z);
	if (!ret)
		ret = pc_dev_flush(w->bdev, &err);
	if (!ret && move)
		ret = zero_header(w, e, &err);
	ret = step(w, ret, &err);
	if (!ret && !pos_eq(w->c->key_tail, d))
		ret = step(w, pc_cache_write_tail(w->c, PC_KEY_TAIL, d, &err),
			   &err);
	if (!ret)
		ret = step(w, zero_header(w, d, &err), &err);
	if (!ret)
		w->tail_written = true;
	if (!ret && move)
		ret = step(w, pc_cache_write_tail(w->c, PC_KEY_TAIL, e, &err),
			   &err);
	if (!ret && move)
		ret = step(w, pc_cache_write_tail(w->c, PC_DIRTY_TAIL, e,
						  &err), &err);
	if (!ret)
		ret = step(w, zero_all(w, &z, &err), &err);
	free(z.pos);
	if (ret)
		return ret;
	w->r.head = w->c->dirty_tail;
	w->result = "written";
	return 0;
}
