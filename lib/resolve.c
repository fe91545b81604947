// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * "Newest wins" overlap resolution (FORMAT.md 9.8) as a sweep over the
 * keys sorted by start: at every logical offset the owner is the newest
 * key covering it. A max-heap keyed by log order holds the keys that
 * started; keys that ended are dropped lazily when they reach its top.
 *
 * The starts are sorted with a radix sort (radix.c), linear in the number
 * of keys, where a comparison sort costs n log n calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pcache.h"
#include "radix.h"

struct live {
	uint64_t end;
	uint32_t key;
};

struct heap {
	struct live *v;
	size_t n;
};

static void heap_push(struct heap *h, struct live x)
{
	size_t i = h->n++;

	while (i && h->v[(i - 1) / 2].key < x.key) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
	struct live last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].key > h->v[c].key)
			c++;
		if (h->v[c].key <= last.key)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

struct out {
	struct pc_extent *v;
	size_t n, cap;
};

static int emit(struct out *o, const struct pc_rkey *rk, uint64_t from,
		uint64_t to)
{
	struct pc_extent *e = o->n ? &o->v[o->n - 1] : NULL;

	/* Same key continuing: widen the previous piece. */
	if (e && e->seq == rk->seq && e->off + e->len == from) {
		e->len += (uint32_t)(to - from);
		e->whole_key = e->len == rk->k.len;
		return 0;
	}
	if (pc_grow(&o->v, o->n, &o->cap, sizeof(*o->v), 256))
		return -ENOMEM;
	e = &o->v[o->n++];
	e->off = from;
	e->len = (uint32_t)(to - from);
	e->flags = rk->k.flags;
	e->seg = rk->k.cache_seg_id;
	e->seg_off = rk->k.cache_seg_off + (uint32_t)(from - rk->k.off);
	e->seq = rk->seq;
	e->kset = rk->kset;
	e->data_crc = rk->k.data_crc;
	e->whole_key = e->len == rk->k.len;
	e->dirty = rk->after_dirty && !(rk->k.flags & PCD_KEY_F_CLEAN);
	return 0;
}

/*
 * Between two boundaries (a start, or the end of the current owner) the
 * owner does not change; pieces of one key that meet are joined by emit().
 * Every round emits one piece and moves to the next boundary, of which
 * there are at most 2 n; each key is pushed and popped once.
 */
#define PREFETCH 16

/* A key may straddle two cache lines: fetch both. */
static inline void prefetch_key(const struct pc_rkey *rk)
{
	__builtin_prefetch(rk);
	__builtin_prefetch((const char *)(rk + 1) - 1);
}

static int sweep(const struct pc_rkey *keys, const struct pc_sortkey *s,
		 size_t n, struct heap *h, struct out *o)
{
	uint64_t pos = 0, stop;
	size_t i = 0;
	int ret;

	for (;;) {
		/* ended keys leave before new ones bury them: a run of keys
		 * each newer than the last keeps the heap small */
		while (h->n && h->v[0].end <= pos)
			heap_pop(h);
		if (!h->n && i == n)
			break;
		if (!h->n)
			pos = s[i].key;
		for (; i < n && s[i].key <= pos; i++) {
			/* keys are read in start order: a miss each, hidden */
			if (i + PREFETCH < n)
				prefetch_key(&keys[s[i + PREFETCH].b]);
			heap_push(h, (struct live){ s[i].key + s[i].a,
						    s[i].b });
		}
		stop = h->v[0].end;
		if (i < n && s[i].key < stop)
			stop = s[i].key;
		ret = emit(o, &keys[h->v[0].key], pos, stop);
		if (ret)
			return ret;
		pos = stop;
	}
	return 0;
}

int pc_resolve(const struct pc_rkey *keys, size_t n, struct pc_extent **out,
	       size_t *n_out)
{
	size_t room = n ? n : 1;
	struct pc_sortkey *s = malloc(room * sizeof(*s));
	struct pc_sortkey *tmp = malloc(room * sizeof(*tmp)), *sorted;
	struct heap h = { .v = malloc(room * sizeof(*h.v)) };
	struct out o = { 0 };
	size_t n_s = 0;
	int ret = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	if (!s || !tmp || !h.v)
		goto done;
	pc_huge(s, room * sizeof(*s));
	pc_huge(tmp, room * sizeof(*tmp));
	/* key indexes and bucket counts are 32-bit */
	ret = -E2BIG;
	if (n > UINT32_MAX)
		goto done;
	for (size_t i = 0; i < n; i++) {
		/* len 0 or a range wrapping past 2^64 owns nothing */
		if (keys[i].stale || keys[i].k.len == 0 ||
		    keys[i].k.off > UINT64_MAX - keys[i].k.len)
			continue;
		/* sorted by start; a: length, b: key index */
		s[n_s++] = (struct pc_sortkey){ keys[i].k.off, keys[i].k.len,
						(uint32_t)i };
	}
	sorted = pc_radix_sort(s, tmp, n_s);
	ret = sorted ? sweep(keys, sorted, n_s, &h, &o) : -ENOMEM;
	if (ret) {
		free(o.v);
		goto done;
	}
	*out = o.v;
	*n_out = o.n;
done:
	free(s);
	free(tmp);
	free(h.v);
	return ret;
}
