// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A log walk with loop detection. The library's walk stops a loop only at
 * the kernel's hop cap (seg_num LAST links), which on a large cache can mean
 * walking the same segments a million times. Here a walk that re-enters a
 * segment at offset 0 a second time, or comes back to a position of its
 * starting segment, is reported as a loop at once: the kernel's walk is
 * deterministic, so it would go round until the hop cap and refuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_walk.h"
#include "grow.h"

int pc_lw_init(struct pc_lwalk *lw, struct pc_cache *c, struct pc_pos from)
{
	memset(lw, 0, sizeof(*lw));
	lw->start = from;
	lw->entered = calloc(c->info.n_segs ? c->info.n_segs : 1, 1);
	if (!lw->entered)
		return -ENOMEM;
	if (from.seg < c->info.n_segs)
		lw->entered[from.seg] = from.off ? 2 : 1;
	pc_walk_init(&lw->w, c, from);
	return lw->w.win ? 0 : -ENOMEM;
}

void pc_lw_fini(struct pc_lwalk *lw)
{
	pc_walk_fini(&lw->w);
	free(lw->entered);
	free(lw->spos);
	lw->entered = NULL;
	lw->spos = NULL;
}

static bool spos_has(const struct pc_lwalk *lw, uint32_t off)
{
	size_t lo = 0, hi = lw->n_spos;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lw->spos[mid] == off)
			return true;
		if (lw->spos[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int spos_push(struct pc_lwalk *lw, uint32_t off)
{
	if (pc_grow(&lw->spos, lw->n_spos, &lw->cap_spos, sizeof(*lw->spos), 256))
		return -ENOMEM;
	lw->spos[lw->n_spos++] = off;
	return 0;
}

static enum pc_kset_kind lw_loop(struct pc_lwalk *lw, struct pc_kset_view *v)
{
	lw->loop = true;
	v->kind = PC_KSET_ERROR;
	return PC_KSET_ERROR;
}

enum pc_kset_kind pc_lw_next(struct pc_lwalk *lw, struct pc_kset_view *v)
{
	struct pc_pos p = lw->w.pos;
	enum pc_kset_kind kind;

	if (lw->loop)
		return lw_loop(lw, v);
	if (p.seg == lw->start.seg && lw->start.off) {
		if (lw->second && spos_has(lw, p.off)) {
			memset(v, 0, sizeof(*v));
			v->pos = p;
			return lw_loop(lw, v);
		}
		if (!lw->second && spos_push(lw, p.off)) {
			lw->nomem = true;
			memset(v, 0, sizeof(*v));
			v->pos = p;
			v->kind = PC_KSET_ERROR;
			return PC_KSET_ERROR;
		}
	}
	kind = pc_walk_next(&lw->w, v);
	if (kind == PC_KSET_ERROR && lw->w.end == PC_ERR_HOPS)
		return lw_loop(lw, v);
	if (kind != PC_KSET_LAST)
		return kind;
	if (lw->entered[v->key_num] == 1)
		return lw_loop(lw, v);
	if (lw->entered[v->key_num] == 2)
		lw->second = true;
	lw->entered[v->key_num] = 1;
	return kind;
}
