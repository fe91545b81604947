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

static void check_one(struct pc_cache *c, const struct pc_rkey *keys,
		      const uint32_t *idx, uint64_t backing_size,
		      const struct pc_sortkey *s, enum pc_key_err *res)
{
	res[s->a] = pc_key_check(c, &keys[idx[s->a]].k, backing_size, true,
				 NULL);
}

/* Keys s[0..n) sorted by device offset, all within [from, from + PIECE). */
static void check_piece(struct pc_cache *c, const struct pc_rkey *keys,
			const uint32_t *idx, uint64_t backing_size,
			const struct pc_sortkey *s, size_t n, uint64_t to,
			uint8_t *buf, enum pc_key_err *res)
{
	uint64_t from = s[0].key;

	if (pc_dev_read(c->dev, from, buf, (size_t)(to - from), NULL)) {
		for (size_t i = 0; i < n; i++)
			check_one(c, keys, idx, backing_size, &s[i], res);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pcd_key *k = &keys[idx[s[i].a]].k;
		uint32_t crc = pc_crc32c(PCD_CRC_SEED, buf + (s[i].key - from),
					 s[i].b);

		res[s[i].a] = crc == k->data_crc ? PC_KEY_OK : PC_KEY_DATA_CRC;
	}
}

static void check_sorted(struct pc_cache *c, const struct pc_rkey *keys,
			 const uint32_t *idx, uint64_t backing_size,
			 const struct pc_sortkey *s, size_t n, uint8_t *buf,
			 enum pc_key_err *res)
{
	size_t i = 0, j;

	while (i < n) {
		uint64_t from = s[i].key, to = from + s[i].b;

		if (s[i].b > PIECE) {
			check_one(c, keys, idx, backing_size, &s[i++], res);
			continue;
		}
		/* every key of the piece lies within PIECE bytes of from */
		for (j = i + 1; j < n; j++) {
			uint64_t end = s[j].key + s[j].b;

			if (s[j].key > to + HOLE || end - from > PIECE)
				break;
			if (end > to)
				to = end;
		}
		check_piece(c, keys, idx, backing_size, &s[i], j - i, to, buf,
			    res);
		i = j;
	}
}

int pc_keys_check_data(struct pc_cache *c, const struct pc_rkey *keys,
		       const uint32_t *idx, size_t n, uint64_t backing_size,
		       enum pc_key_err *res)
{
	struct pc_sortkey *s = malloc((n ? n : 1) * sizeof(*s));
	struct pc_sortkey *tmp = malloc((n ? n : 1) * sizeof(*tmp)), *sorted;
	uint8_t *buf = malloc(PIECE);
	size_t m = 0;
	int ret = -ENOMEM;

	if (!s || !tmp || !buf)
		goto out;
	pc_huge(s, n * sizeof(*s));
	pc_huge(tmp, n * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		const struct pcd_key *k = &keys[idx[i]].k;
		int64_t phys;

		/* the bounds first, as pc_key_check() takes them */
		res[i] = pc_key_check(c, k, backing_size, false, NULL);
		if (res[i] != PC_KEY_OK || !pc_cache_data_crc(c))
			continue;
		phys = pc_cache_phys(c, k->cache_seg_id);
		if (phys < 0) {
			res[i] = PC_KEY_READ;
			continue;
		}
		/* the bounds hold the extent inside its data area */
		s[m++] = (struct pc_sortkey){
			pcd_data_offset((uint32_t)phys, k->cache_seg_off),
			(uint32_t)i, k->len };
	}
	sorted = pc_radix_sort(s, tmp, m);
	if (!sorted)
		goto out;
	check_sorted(c, keys, idx, backing_size, sorted, m, buf, res);
	ret = 0;
out:
	free(s);
	free(tmp);
	free(buf);
	return ret;
}
