// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replay (FORMAT.md 9.5): walk the log from key_tail, apply the kernel's
 * decode checks to every key, drop stale keys, mark the segments in use,
 * and find key_head. The index is then resolved with "newest wins".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pcache.h"

int pc_replay_push(struct pc_replay *r, const struct pc_rkey *rk)
{
	if (pc_grow(&r->keys, r->n_keys, &r->cap_keys, sizeof(*r->keys), 1024))
		return -ENOMEM;
	r->keys[r->n_keys++] = *rk;
	return 0;
}

static bool pos_eq(struct pc_pos a, struct pc_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

static int replay_kset(struct pc_cache *c, const struct pc_kset_view *v,
		       uint64_t backing_size, unsigned int flags, bool after,
		       struct pc_replay *r)
{
	for (uint32_t i = 0; i < v->key_num; i++) {
		struct pc_rkey rk = { .kset = v->pos, .after_dirty = after };
		enum pc_key_err ke;

		pc_key_decode(c, &v->keys[i], &rk.k);
		ke = pc_key_check(c, &rk.k, backing_size,
				  flags & PC_REPLAY_CHECK_DATA, NULL);
		if (ke != PC_KEY_OK) {
			pc_err_set(&r->err, -EIO, "%s: kset at %u:%u key %u "
				   "(off %llu len %u): %s",
				   pc_dev_path(c->dev), v->pos.seg, v->pos.off,
				   i, (unsigned long long)rk.k.off, rk.k.len,
				   pc_key_err_name(ke));
			return -EIO;
		}
		rk.seq = r->n_keys;
		rk.stale = pcd_key_stale(rk.k.seg_gen,
					  c->segs[rk.k.cache_seg_id].gen);
		if (rk.stale)
			r->n_stale++;
		else
			r->seg_used[rk.k.cache_seg_id] = true;
		if (pc_replay_push(r, &rk))
			return -ENOMEM;
	}
	return 0;
}

static int replay_walk(struct pc_cache *c, uint64_t backing_size,
		       unsigned int flags, struct pc_replay *r)
{
	struct pc_kset_view v;
	struct pc_walk w;
	bool after = false;
	int ret = 0;

	pc_walk_init(&w, c, c->key_tail);
	r->seg_used[c->key_tail.seg] = true;
	r->seg_log[c->key_tail.seg] = true;
	for (;;) {
		enum pc_kset_kind kind;

		if (!after && pos_eq(w.pos, c->dirty_tail))
			after = r->dirty_tail_seen = true;
		kind = pc_walk_next(&w, &v);
		if (kind == PC_KSET_END || kind == PC_KSET_ERROR)
			break;
		if (kind == PC_KSET_LAST) {
			r->n_last++;
			r->seg_used[v.key_num] = true;
			r->seg_log[v.key_num] = true;
			continue;
		}
		r->n_ksets++;
		ret = replay_kset(c, &v, backing_size, flags, after, r);
		if (ret)
			break;
	}
	r->head = v.pos;
	r->end = w.end;
	if (!ret && w.end >= PC_ERR_NEXT_RANGE) {
		r->err = w.err;
		ret = -EIO;
	} else if (!ret && w.end == PC_END_READ) {
		r->err = w.err;
		ret = w.err.code ? w.err.code : -EIO;
	}
	pc_walk_fini(&w);
	return ret;
}

int pc_replay(struct pc_cache *c, uint64_t backing_size, unsigned int flags,
	      struct pc_replay *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (c->stage < PC_STAGE_READY) {
		pc_err_set(&r->err, -EINVAL, "%s: cache not fully opened",
			   pc_dev_path(c->dev));
		return -EINVAL;
	}
	r->seg_used = calloc(c->info.n_segs, sizeof(*r->seg_used));
	r->seg_log = calloc(c->info.n_segs, sizeof(*r->seg_log));
	if (!r->seg_used || !r->seg_log)
		return -ENOMEM;
	ret = replay_walk(c, backing_size, flags, r);
	for (uint32_t i = 0; i < c->info.n_segs; i++)
		r->segs_used += r->seg_used[i];
	if (ret)
		return ret;
	ret = pc_resolve(r->keys, r->n_keys, &r->ext, &r->n_ext);
	if (ret)
		return ret;
	for (size_t i = 0; i < r->n_ext; i++) {
		r->cached_bytes += r->ext[i].len;
		if (r->ext[i].dirty)
			r->dirty_bytes += r->ext[i].len;
	}
	return 0;
}

const char *pc_replay_refusal(const struct pc_replay *r, int ret)
{
	if (!ret)
		return NULL;
	return r->err.msg[0] ? r->err.msg : "the log cannot be replayed";
}

void pc_replay_free(struct pc_replay *r)
{
	free(r->keys);
	free(r->seg_used);
	free(r->seg_log);
	free(r->ext);
	memset(r, 0, sizeof(*r));
}
