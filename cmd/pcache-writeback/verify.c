// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Data CRCs of the keys that own dirty extents, checked before anything is
 * written. The keys are taken in log order, and the data of keys that
 * follow each other in the cache too (the log writes data sequentially, so
 * that is the rule) is read in windows of up to 4 MiB: a few large reads
 * instead of one per key, and no sort. The verdict of every key is the one
 * pc_key_check() gives; a window that cannot be read falls back to it key
 * by key, so an unreadable key is told apart from its readable neighbours.
 * A mapped cache (map.c) is checked in place; a window the mapping cannot
 * give is read as above.
 */
#include <errno.h>
#include <stdlib.h>

#include "wb.h"

#define WINDOW (4u << 20)	/* largest read */
#define GAP (4u << 10)		/* dead bytes read to join two keys: a page */

struct vkey {
	uint64_t dev_off;	/* device offset of the key's data */
	uint64_t seq;		/* index in r.keys */
};

static void set(uint8_t *memo, uint64_t seq, enum pc_key_err ke)
{
	memo[seq] = 1 + ke;
}

#define QUEUED 0xff		/* memo: to be read */

/* The checks that need no data; the keys left to read are QUEUED. */
static void judge(struct wb *w, uint8_t *memo)
{
	for (size_t i = 0; i < w->r.n_ext; i++) {
		const struct pc_extent *e = &w->r.ext[i];
		const struct pcd_key *k;
		enum pc_key_err ke;
		int64_t phys;

		if (!e->dirty || e->seq >= w->r.n_keys || memo[e->seq])
			continue;
		k = &w->r.keys[e->seq].k;
		ke = pc_key_check(w->c, k, w->backing_size, false, NULL);
		phys = pc_cache_phys(w->c, k->cache_seg_id);
		if (ke == PC_KEY_OK && (phys < 0 ||
		    k->cache_seg_off > PCD_SEG_DATA_SIZE ||
		    k->len > PCD_SEG_DATA_SIZE - k->cache_seg_off))
			ke = PC_KEY_READ;	/* as pc_data_crc() refuses */
		if (ke != PC_KEY_OK || k->len > WINDOW) {
			/* not to be read, or too long for a window */
			if (ke == PC_KEY_OK)
				ke = pc_key_check(w->c, k, w->backing_size,
						  true, NULL);
			set(memo, e->seq, ke);
			continue;
		}
		memo[e->seq] = QUEUED;
	}
}

/* The QUEUED keys in log order, with their data's device offset. */
static size_t queued(struct wb *w, const uint8_t *memo, struct vkey *v)
{
	size_t n = 0;

	for (size_t i = 0; i < w->r.n_keys; i++) {
		const struct pcd_key *k = &w->r.keys[i].k;

		if (memo[i] != QUEUED)
			continue;
		/* judge() checked the segment and the range */
		v[n++] = (struct vkey){ pcd_data_offset(
			(uint32_t)pc_cache_phys(w->c, k->cache_seg_id),
			k->cache_seg_off), i };
	}
	return n;
}

/* Keys v[0..n) whose data lies in @buf, read from device offset @start. */
static void check_window(struct wb *w, uint8_t *memo, const struct vkey *v,
			 size_t n, const uint8_t *buf, uint64_t start)
{
	for (size_t i = 0; i < n; i++) {
		const struct pcd_key *k = &w->r.keys[v[i].seq].k;
		uint32_t crc = pc_crc32c(PCD_CRC_SEED,
					 buf + (v[i].dev_off - start), k->len);

		set(memo, v[i].seq, crc == k->data_crc ? PC_KEY_OK :
		    PC_KEY_DATA_CRC);
	}
}

struct window_arg {
	struct wb *w;
	uint8_t *memo;
	const struct vkey *v;
	size_t n;
	const uint8_t *buf;
	uint64_t start;
};

static void check_window_fn(void *arg)
{
	struct window_arg *a = arg;

	check_window(a->w, a->memo, a->v, a->n, a->buf, a->start);
}

/* Check the window in place in the mapped cache; false: read it instead. */
static bool check_mapped(struct wb *w, uint8_t *memo, const struct vkey *v,
			 size_t n, uint64_t end)
{
	struct window_arg a = { w, memo, v, n, NULL, v[0].dev_off };

	a.buf = wb_map_get(w, a.start, end - a.start);
	return a.buf && wb_map_guard(check_window_fn, &a);
}

/* One window from v[0]: how many keys it takes, and its end in @end. */
static size_t window(struct wb *w, const struct vkey *v, size_t n,
		     uint64_t *end)
{
	uint64_t start = v[0].dev_off;
	size_t i = 1;

	*end = start + w->r.keys[v[0].seq].k.len;
	for (; i < n; i++) {
		uint64_t e = v[i].dev_off + w->r.keys[v[i].seq].k.len;

		if (v[i].dev_off < start || v[i].dev_off > *end + GAP ||
		    e - start > WINDOW)
			break;
		if (e > *end)
			*end = e;
	}
	return i;
}

int wb_verify(struct wb *w, uint8_t *memo)
{
	struct vkey *v;
	uint8_t *buf;
	size_t n;

	if (!pc_cache_data_crc(w->c) || !w->r.n_ext)
		return 0;
	v = calloc(w->r.n_ext, sizeof(*v));
	buf = malloc(WINDOW);
	if (!v || !buf) {
		free(v);
		free(buf);
		return -ENOMEM;
	}
	judge(w, memo);
	n = queued(w, memo, v);
	for (size_t i = 0; i < n;) {
		uint64_t end;
		size_t m = window(w, v + i, n - i, &end);

		if (check_mapped(w, memo, v + i, m, end)) {
			/* checked without a copy */
		} else if (!pc_dev_read(w->dev, v[i].dev_off, buf,
					(size_t)(end - v[i].dev_off), NULL)) {
			check_window(w, memo, v + i, m, buf, v[i].dev_off);
		} else {
			for (size_t j = i; j < i + m; j++)
				set(memo, v[j].seq, pc_key_check(w->c,
				    &w->r.keys[v[j].seq].k, w->backing_size,
				    true, NULL));
		}
		i += m;
	}
	free(v);
	free(buf);
	return 0;
}
