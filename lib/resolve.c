// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * "Newest wins" overlap resolution (FORMAT.md 9.8) as a sweep over the
 * keys' endpoints: at every logical offset the owner is the newest key
 * covering it. A max-heap keyed by log order holds the keys covering the
 * sweep position; keys that ended are dropped lazily from its top.
 * O(n log n), where painting keys one by one into a sorted map can be
 * quadratic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pcache.h"

struct event {
	uint64_t x;
	uint32_t key;
};

static int event_cmp(const void *a, const void *b)
{
	const struct event *ea = a, *eb = b;

	if (ea->x != eb->x)
		return ea->x < eb->x ? -1 : 1;
	return 0;
}

struct heap {
	uint32_t *v;
	size_t n;
};

/* Keys are in log order, so a larger index is a newer key. */
static void heap_push(struct heap *h, uint32_t key)
{
	size_t i = h->n++;

	while (i && h->v[(i - 1) / 2] < key) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = key;
}

static void heap_pop(struct heap *h)
{
	uint32_t last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] > h->v[c])
			c++;
		if (h->v[c] <= last)
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

static int sweep(const struct pc_rkey *keys, struct event *ev, size_t n_ev,
		 bool *ended, struct heap *h, struct out *o)
{
	size_t i = 0;

	while (i < n_ev) {
		uint64_t x = ev[i].x;

		for (; i < n_ev && ev[i].x == x; i++) {
			uint32_t k = ev[i].key;

			if (keys[k].k.off == x)
				heap_push(h, k);
			else
				ended[k] = true;
		}
		while (h->n && ended[h->v[0]])
			heap_pop(h);
		if (h->n && i < n_ev) {
			int ret = emit(o, &keys[h->v[0]], x, ev[i].x);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int pc_resolve(const struct pc_rkey *keys, size_t n, struct pc_extent **out,
	       size_t *n_out)
{
	struct event *ev = malloc(2 * (n ? n : 1) * sizeof(*ev));
	bool *ended = calloc(n ? n : 1, sizeof(*ended));
	struct heap h = { .v = malloc((n ? n : 1) * sizeof(uint32_t)) };
	struct out o = { 0 };
	size_t n_ev = 0;
	int ret = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	if (!ev || !ended || !h.v)
		goto done;
	for (size_t i = 0; i < n; i++) {
		/* len 0 or a range wrapping past 2^64 owns nothing */
		if (keys[i].stale || keys[i].k.len == 0 ||
		    keys[i].k.off > UINT64_MAX - keys[i].k.len)
			continue;
		ev[n_ev++] = (struct event){ keys[i].k.off, (uint32_t)i };
		ev[n_ev++] = (struct event){ keys[i].k.off + keys[i].k.len,
					     (uint32_t)i };
	}
	qsort(ev, n_ev, sizeof(*ev), event_cmp);
	ret = sweep(keys, ev, n_ev, ended, &h, &o);
	if (ret) {
		free(o.v);
		goto done;
	}
	*out = o.v;
	*n_out = o.n;
done:
	free(ev);
	free(ended);
	free(h.v);
	return ret;
}
