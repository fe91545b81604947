// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Data CRC checks of many keys at once. Checked one by one, the keys of a
 * fragmented cache cost one small read each, in log order; here they are
 * taken in device order and read in large pieces, each piece covering keys
 * that lie close together, so the cost is that of the CRC over the cached
 * bytes. Verdicts are those of pc_key_check() key by key: a piece that
 * cannot be read is checked again key by key.
 */
#include <errno.h>
#include <stdlib.h>

#include "grow.h"
#include "pcache.h"
#include "radix.h"

/* Largest read, and the widest hole between keys read through. */
#define PIECE (1u << 20)
#define HOLE (16u << 10)
/* How far ahead the random accesses by key are fetched. */
#define AHEAD 16

struct job {
	struct pc_cache *c;
	const struct pc_rkey *keys;
	const uint32_t *idx;
	uint64_t backing_size;
	uint32_t *want;		/* per request: the key's data_crc */
	enum pc_key_err *res;	/* per request */
	uint8_t *buf;
};

/* A request (sorted element @s) checked on its own. */
static void check_one(struct job *j, const struct pc_sortkey *s)
{
	j->res[s->a] = pc_key_check(j->c, &j->keys[j->idx[s->a]].k,
				    j->backing_size, true, NULL);
}

/* Requests s[0..n) sorted by device offset, all within [s[0].key, to). */
static void check_piece(struct job *j, const struct pc_sortkey *s, size_t n,
			uint64_t to)
{
	uint64_t from = s[0].key;

	if (pc_dev_read(j->c->dev, from, j->buf, (size_t)(to - from), NULL)) {
		for (size_t i = 0; i < n; i++)
			check_one(j, &s[i]);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t crc = pc_crc32c(PCD_CRC_SEED,
					 j->buf + (s[i].key - from), s[i].b);

		if (i + AHEAD < n) {
			__builtin_prefetch(&j->want[s[i + AHEAD].a]);
			__builtin_prefetch(&j->res[s[i + AHEAD].a], 1);
		}
		j->res[s[i].a] = crc == j->want[s[i].a] ? PC_KEY_OK :
				 PC_KEY_DATA_CRC;
	}
}

static void check_sorted(struct job *j, const struct pc_sortkey *s, size_t n)
{
	size_t i = 0, e;

	while (i < n) {
		uint64_t from = s[i].key, to = from + s[i].b;

		if (s[i].b > PIECE) {
			check_one(j, &s[i++]);
			continue;
		}
		/* every key of the piece lies within PIECE bytes of from */
		for (e = i + 1; e < n; e++) {
			uint64_t end = s[e].key + s[e].b;

			if (s[e].key > to + HOLE || end - from > PIECE)
				break;
			if (end > to)
				to = end;
		}
		check_piece(j, &s[i], e - i, to);
		i = e;
	}
}

/* The bounds of every request; those that pass and need a CRC go to @s. */
static size_t collect(struct job *j, size_t n, struct pc_sortkey *s)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pcd_key *k = &j->keys[j->idx[i]].k;
		int64_t phys;

		if (i + AHEAD < n)
			__builtin_prefetch(&j->keys[j->idx[i + AHEAD]]);
		/* the bounds first, as pc_key_check() takes them */
		j->res[i] = pc_key_check(j->c, k, j->backing_size, false, NULL);
		if (j->res[i] != PC_KEY_OK || !pc_cache_data_crc(j->c))
			continue;
		phys = pc_cache_phys(j->c, k->cache_seg_id);
		if (phys < 0) {
			j->res[i] = PC_KEY_READ;
			continue;
		}
		j->want[i] = k->data_crc;
		/* the bounds hold the extent inside its data area */
		s[m++] = (struct pc_sortkey){
			pcd_data_offset((uint32_t)phys, k->cache_seg_off),
			(uint32_t)i, k->len };
	}
	return m;
}

int pc_keys_check_data(struct pc_cache *c, const struct pc_rkey *keys,
		       const uint32_t *idx, size_t n, uint64_t backing_size,
		       enum pc_key_err *res)
{
	size_t room = n ? n : 1, m;
	struct pc_sortkey *s = malloc(room * sizeof(*s));
	struct pc_sortkey *tmp = malloc(room * sizeof(*tmp)), *sorted;
	struct job j = { .c = c, .keys = keys, .idx = idx,
			 .backing_size = backing_size, .res = res,
			 .want = malloc(room * sizeof(*j.want)),
			 .buf = malloc(PIECE) };
	int ret = -ENOMEM;

	if (!s || !tmp || !j.want || !j.buf)
		goto out;
	pc_huge(s, room * sizeof(*s));
	pc_huge(tmp, room * sizeof(*tmp));
	m = collect(&j, n, s);
	sorted = pc_radix_sort(s, tmp, m);
	if (!sorted)
		goto out;
	check_sorted(&j, sorted, m);
	ret = 0;
out:
	free(s);
	free(tmp);
	free(j.want);
	free(j.buf);
	return ret;
}
