// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * "Newest wins" overlap resolution (FORMAT.md 9.8) as a sweep over the
 * keys sorted by start: at every logical offset the owner is the newest
 * key covering it. A max-heap keyed by log order holds the keys that
 * started; keys that ended are dropped lazily when they reach its top.
 *
 * The starts are sorted with an LSD radix sort on the offset bits that
 * vary, so the cost is linear in the number of keys (two passes for 4 KiB
 * writes over a few GiB) where a comparison sort costs n log n calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pcache.h"

struct start {
	uint64_t off;
	uint32_t len;
	uint32_t key;		/* index in log order: larger is newer */
};

#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define BUCKETS (1u << DIGIT_BITS)

static unsigned int digit(uint64_t off, unsigned int d)
{
	return (unsigned int)(off >> (d * DIGIT_BITS)) & (BUCKETS - 1);
}

/*
 * Sort @n starts by offset; @tmp has room for @n. Returns the sorted
 * array (@s or @tmp). A digit that is the same in every start (the low
 * bits of aligned writes, the high bits of small devices) costs no pass.
 */
static struct start *radix_sort(struct start *s, struct start *tmp, size_t n,
				uint32_t (*cnt)[BUCKETS])
{
	memset(cnt, 0, DIGITS * sizeof(*cnt));
	for (size_t i = 0; i < n; i++)
		for (unsigned int d = 0; d < DIGITS; d++)
			cnt[d][digit(s[i].off, d)]++;
	for (unsigned int d = 0; d < DIGITS && n; d++) {
		uint32_t sum = 0;
		struct start *t;

		if (cnt[d][digit(s[0].off, d)] == n)
			continue;
		for (unsigned int b = 0; b < BUCKETS; b++) {
			uint32_t c = cnt[d][b];

			cnt[d][b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[d][digit(s[i].off, d)]++] = s[i];
		t = s;
		s = tmp;
		tmp = t;
	}
	return s;
}

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
 * Every round pushes a start, pops a key or moves past a boundary, so the
 * sweep ends after at most 3 n rounds.
 */
#define PREFETCH 16

/* A key may straddle two cache lines: fetch both. */
static inline void prefetch_key(const struct pc_rkey *rk)
{
	__builtin_prefetch(rk);
	__builtin_prefetch((const char *)(rk + 1) - 1);
}

static int sweep(const struct pc_rkey *keys, const struct start *s,
		 size_t n, struct heap *h, struct out *o)
{
	uint64_t pos = 0, stop;
	size_t i = 0;
	int ret;

	while (i < n || h->n) {
		if (!h->n)
			pos = s[i].off;
		for (; i < n && s[i].off <= pos; i++) {
			/* keys are read in start order: a miss each, hidden */
			if (i + PREFETCH < n)
				prefetch_key(&keys[s[i + PREFETCH].key]);
			heap_push(h, (struct live){ s[i].off + s[i].len,
						    s[i].key });
		}
		while (h->n && h->v[0].end <= pos)
			heap_pop(h);
		if (!h->n)
			continue;
		stop = h->v[0].end;
		if (i < n && s[i].off < stop)
			stop = s[i].off;
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
	struct start *s = malloc(room * sizeof(*s));
	struct start *tmp = malloc(room * sizeof(*tmp));
	uint32_t (*cnt)[BUCKETS] = malloc(DIGITS * sizeof(*cnt));
	struct heap h = { .v = malloc(room * sizeof(*h.v)) };
	struct out o = { 0 };
	size_t n_s = 0;
	int ret = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	if (!s || !tmp || !cnt || !h.v)
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
		s[n_s++] = (struct start){ keys[i].k.off, keys[i].k.len,
					   (uint32_t)i };
	}
	ret = sweep(keys, radix_sort(s, tmp, n_s, cnt), n_s, &h, &o);
	if (ret) {
		free(o.v);
		goto done;
	}
	*out = o.v;
	*n_out = o.n;
done:
	free(s);
	free(tmp);
	free(cnt);
	free(h.v);
	return ret;
}
