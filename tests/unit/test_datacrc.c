// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pc_keys_check_data() gives every key pc_key_check()'s verdict: good and
 * bad CRCs, keys out of bounds, keys larger than one read, keys sharing
 * or overlapping data, the same key twice, a cache without data CRCs.
 */
#include <stdlib.h>
#include <string.h>

#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)
#define N 600

static char path[] = "/tmp/pcache-datacrc-XXXXXX";

/* Random bytes in the first 3 MiB of the data area of segments 0..3. */
static void fill(struct pc_cache *c, struct pc_dev *dev)
{
	uint8_t *buf = malloc(3u << 20);

	for (uint32_t seg = 0; seg < 4; seg++) {
		for (size_t i = 0; i < (3u << 20); i++)
			buf[i] = (uint8_t)rand();
		img_poke(dev, pc_cache_pos_dev_off(c, (struct pc_pos){ seg, 0 }),
			 buf, 3u << 20);
	}
	free(buf);
}

static struct pcd_key random_key(struct pc_cache *c, unsigned int i)
{
	struct pcd_key k = {
		.off = (uint64_t)(rand() % 4096) * 512,
		.len = (uint32_t)(1 + rand() % 64) * 512,
		.cache_seg_id = (uint32_t)rand() % 5,
		.cache_seg_off = (uint32_t)(rand() % 8192) * 512,
	};
	uint32_t crc;

	switch (i % 10) {
	case 0:		/* larger than one read: 1 MiB and more */
		k.len = (1u << 20) + (uint32_t)(rand() % 64) * 4096;
		k.cache_seg_off = 0;
		break;
	case 1:
		k.len = 0;
		break;
	case 2:
		k.cache_seg_id = c->info.n_segs + (uint32_t)rand() % 3;
		break;
	case 3:
		k.cache_seg_off = PCD_SEG_DATA_SIZE - 512;
		break;
	case 4:		/* beyond a 1 GiB backing device */
		k.off = GIB - 512;
		break;
	}
	if (!pc_data_crc(c, k.cache_seg_id, k.cache_seg_off, k.len, &crc,
			 NULL))
		k.data_crc = rand() % 3 ? crc : crc ^ 1;
	return k;
}

static void round_of(bool data_crc)
{
	static struct pc_rkey keys[N];
	uint32_t idx[N + 50];
	enum pc_key_err res[N + 50];
	struct pc_cache *c;
	struct pc_dev *dev;
	struct pc_err err;
	size_t n = 0;
	int bad = 0, crc_bad = 0, ret;

	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	dev = img_new(path, GIB, data_crc);
	if (img_open(dev, &c, &err))
		abort();
	fill(c, dev);
	for (unsigned int i = 0; i < N; i++) {
		keys[i] = (struct pc_rkey){ .k = random_key(c, i), .seq = i };
		idx[n++] = i;
	}
	for (unsigned int i = 0; i < 50; i++)	/* some keys twice */
		idx[n++] = (uint32_t)rand() % N;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t backing = pass ? GIB : 0;

		bad = 0;
		ret = pc_keys_check_data(c, keys, idx, n, backing, res);
		for (size_t i = 0; i < n; i++) {
			enum pc_key_err want = pc_key_check(c, &keys[idx[i]].k,
							    backing, true, NULL);

			bad += res[i] != want;
			crc_bad += want == PC_KEY_DATA_CRC;
		}
		ok(ret == 0 && bad == 0, "data_crc %d, backing %llu: %zu "
		   "verdicts as pc_key_check's (%d differ)", data_crc,
		   (unsigned long long)backing, n, bad);
	}
	ok(data_crc ? crc_bad > 0 : crc_bad == 0, "data_crc %d: %d CRC "
	   "mismatches among them", data_crc, crc_bad);
	pc_cache_free(c);
	pc_dev_close(dev);
}

int main(void)
{
	srand(11);
	round_of(true);
	round_of(false);
	return tap_done();
}
