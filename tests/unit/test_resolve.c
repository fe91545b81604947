// SPDX-License-Identifier: LGPL-2.1-or-later
/* "Newest wins" resolution against a naive painter, on random keys. */
#include <stdlib.h>

#include "pcache.h"
#include "tap.h"

#define SECTORS 4096		/* a 2 MiB logical space, in 512-byte units */

static void paint(const struct pc_rkey *keys, size_t n, int64_t *owner)
{
	for (size_t s = 0; s < SECTORS; s++)
		owner[s] = -1;
	for (size_t i = 0; i < n; i++) {
		if (keys[i].stale)
			continue;
		for (uint64_t s = keys[i].k.off / 512;
		     s < (keys[i].k.off + keys[i].k.len) / 512; s++)
			owner[s] = (int64_t)i;
	}
}

/* Every sector of the resolved map has the painter's owner and location. */
static int compare(const struct pc_rkey *keys, const struct pc_extent *e,
		   size_t n_ext, const int64_t *owner)
{
	int64_t got[SECTORS];
	uint64_t prev_end = 0;
	int bad = 0;

	for (size_t s = 0; s < SECTORS; s++)
		got[s] = -1;
	for (size_t i = 0; i < n_ext; i++) {
		const struct pc_rkey *k = &keys[e[i].seq];

		bad += e[i].off < prev_end;	/* sorted and disjoint */
		prev_end = e[i].off + e[i].len;
		bad += e[i].seg_off != k->k.cache_seg_off + (e[i].off - k->k.off);
		for (uint64_t s = e[i].off / 512; s < prev_end / 512; s++)
			got[s] = (int64_t)e[i].seq;
	}
	for (size_t s = 0; s < SECTORS; s++)
		bad += got[s] != owner[s];
	return bad;
}

static void random_round(unsigned int seed, size_t n)
{
	struct pc_rkey *keys = calloc(n, sizeof(*keys));
	int64_t owner[SECTORS];
	struct pc_extent *ext;
	size_t n_ext;
	int ret;

	srand(seed);
	for (size_t i = 0; i < n; i++) {
		uint32_t start = (uint32_t)rand() % SECTORS;
		uint32_t len = 1 + (uint32_t)rand() % 64;

		if (start + len > SECTORS)
			len = SECTORS - start;
		keys[i].k.off = (uint64_t)start * 512;
		keys[i].k.len = len * 512;
		keys[i].k.cache_seg_off = (uint32_t)rand() % 1000 * 512;
		keys[i].seq = i;
		keys[i].stale = rand() % 10 == 0;
	}
	paint(keys, n, owner);
	ret = pc_resolve(keys, n, &ext, &n_ext);
	ok(ret == 0 && compare(keys, ext, n_ext, owner) == 0,
	   "seed %u: %zu keys resolve like painting (%zu extents)", seed, n,
	   n_ext);
	free(ext);
	free(keys);
}

static void edge_cases(void)
{
	struct pc_rkey k[3] = { 0 };
	struct pc_extent *e;
	size_t n;

	/* An older key split in two by a newer one inside it. */
	k[0].k = (struct pcd_key){ .off = 0, .len = 12288, .cache_seg_off = 0 };
	k[1].k = (struct pcd_key){ .off = 4096, .len = 4096,
				   .cache_seg_off = 65536, .flags = 2 };
	k[0].seq = 0;
	k[1].seq = 1;
	pc_resolve(k, 2, &e, &n);
	ok(n == 3 && e[0].len == 4096 && e[1].seg_off == 65536 &&
	   e[1].flags == 2 && e[2].off == 8192 && e[2].seg_off == 8192 &&
	   !e[2].whole_key, "a newer key inside an older one splits it");
	free(e);
	/* A newer key fully covering an older one drops it. */
	k[1].k = (struct pcd_key){ .off = 0, .len = 12288, .cache_seg_off = 4096 };
	pc_resolve(k, 2, &e, &n);
	ok(n == 1 && e[0].seq == 1 && e[0].whole_key, "full cover drops");
	free(e);
	/* A range wrapping past 2^64 owns nothing (hostile input). */
	k[2].k = (struct pcd_key){ .off = UINT64_MAX - 10, .len = 4096 };
	k[2].seq = 2;
	pc_resolve(k, 3, &e, &n);
	ok(n == 1, "a key wrapping past 2^64 is ignored");
	free(e);
	ok(pc_resolve(k, 0, &e, &n) == 0 && n == 0, "no keys, no extents");
	free(e);
}

/* Offsets far apart: the sort's upper digits, a common base skipped. */
static void wide_offsets(void)
{
	struct pc_rkey k[4] = { 0 };
	struct pc_extent *e;
	size_t n;

	k[0].k = (struct pcd_key){ .off = 1ULL << 62, .len = 8192 };
	k[1].k = (struct pcd_key){ .off = 5ULL << 40, .len = 4096 };
	k[2].k = (struct pcd_key){ .off = (1ULL << 62) + 4096, .len = 8192,
				   .cache_seg_off = 1 << 20 };
	k[3].k = (struct pcd_key){ .off = 4096, .len = 512 };
	for (int i = 0; i < 4; i++)
		k[i].seq = (uint64_t)i;
	ok(pc_resolve(k, 4, &e, &n) == 0 && n == 4 && e[0].seq == 3 &&
	   e[1].seq == 1 && e[2].seq == 0 && e[2].len == 4096 &&
	   e[3].seq == 2 && e[3].off == (1ULL << 62) + 4096,
	   "keys spread over 2^62 bytes resolve in offset order");
	free(e);
}

int main(void)
{
	edge_cases();
	wide_offsets();
	for (unsigned int seed = 1; seed <= 20; seed++)
		random_round(seed, seed * 37);
	return tap_done();
}
