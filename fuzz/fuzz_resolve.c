// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over pc_resolve() ("newest wins", FORMAT.md 9.8), checked
 * byte by byte against a naive painter.
 *
 * Input: byte 0 bit 0 puts every key just below 2^64 (so that some ranges
 * run past it and must own nothing); then up to FZ_KEYS records of 8 bytes,
 * in log order:
 *   u16 off, u16 len (low 12 bits), u8 flags (bit 0 stale, bit 1 CLEAN,
 *   bit 2 at or after dirty_tail), u8 cache segment, u16 segment offset
 * A wrong owner, an unsorted or overlapping map, or two touching pieces of
 * the same key aborts (a finding).
 */
#include <stdlib.h>
#include <string.h>

#include "pcache.h"

#define FZ_KEYS		512U
#define FZ_REC		8U
#define FZ_SPACE	(65536U + 4096U)
#define FZ_HIGH_BASE	(UINT64_MAX - 40000U)	/* start in [base, 2^64) */
#define FZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static size_t decode(const uint8_t *data, size_t size, uint64_t base,
		     struct pc_rkey *keys)
{
	size_t n = 0;

	for (size_t pos = 1; pos + FZ_REC <= size && n < FZ_KEYS; pos += FZ_REC) {
		const uint8_t *p = data + pos;
		struct pc_rkey *rk = &keys[n];

		memset(rk, 0, sizeof(*rk));
		/* near 2^64 the start itself stays representable */
		rk->k.off = base + (base ? le16(p) % 40001U : le16(p));
		rk->k.len = le16(p + 2) & 0xfff;
		rk->stale = p[4] & 1;
		rk->k.flags = p[4] & 2 ? PCD_KEY_F_CLEAN : 0;
		rk->after_dirty = p[4] & 4;
		rk->k.cache_seg_id = p[5];
		rk->k.cache_seg_off = le16(p + 6);
		rk->seq = n++;
	}
	return n;
}

static bool owns_range(const struct pc_rkey *rk)
{
	return !rk->stale && rk->k.len && rk->k.off <= UINT64_MAX - rk->k.len;
}

static void paint(const struct pc_rkey *keys, size_t n, uint64_t base,
		  int32_t *owner)
{
	for (size_t x = 0; x < FZ_SPACE; x++)
		owner[x] = -1;
	for (size_t i = 0; i < n; i++) {
		if (!owns_range(&keys[i]))
			continue;
		for (uint64_t x = keys[i].k.off - base;
		     x < keys[i].k.off - base + keys[i].k.len; x++)
			owner[x] = (int32_t)i;
	}
}

static void compare(const struct pc_rkey *keys, uint64_t base,
		    const struct pc_extent *e, size_t n_ext,
		    const int32_t *owner, int32_t *got)
{
	for (size_t x = 0; x < FZ_SPACE; x++)
		got[x] = -1;
	for (size_t i = 0; i < n_ext; i++) {
		const struct pc_rkey *rk;

		FZ_ASSERT(e[i].seq < FZ_KEYS && e[i].len > 0);
		FZ_ASSERT(e[i].off >= base && e[i].off - base < FZ_SPACE);
		rk = &keys[e[i].seq];
		FZ_ASSERT(e[i].off >= rk->k.off &&
			  e[i].off - rk->k.off + e[i].len <= rk->k.len);
		FZ_ASSERT(e[i].seg == rk->k.cache_seg_id);
		FZ_ASSERT(e[i].seg_off ==
			  rk->k.cache_seg_off + (uint32_t)(e[i].off - rk->k.off));
		FZ_ASSERT(e[i].whole_key == (e[i].len == rk->k.len));
		FZ_ASSERT(e[i].dirty ==
			  (rk->after_dirty && !(rk->k.flags & PCD_KEY_F_CLEAN)));
		if (i) {
			const struct pc_extent *p = &e[i - 1];

			FZ_ASSERT(p->off + p->len <= e[i].off);
			FZ_ASSERT(p->seq != e[i].seq || p->off + p->len < e[i].off);
		}
		for (uint64_t x = e[i].off - base; x < e[i].off - base + e[i].len;
		     x++)
			got[x] = (int32_t)e[i].seq;
	}
	for (size_t x = 0; x < FZ_SPACE; x++)
		FZ_ASSERT(got[x] == owner[x]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pc_rkey keys[FZ_KEYS];
	static int32_t owner[FZ_SPACE], got[FZ_SPACE];
	uint64_t base = size && (data[0] & 1) ? FZ_HIGH_BASE : 0;
	struct pc_extent *ext = NULL;
	size_t n = decode(data, size, base, keys), n_ext = 0;

	if (pc_resolve(keys, n, &ext, &n_ext))
		return 0;
	paint(keys, n, base, owner);
	compare(keys, base, ext, n_ext, owner, got);
	free(ext);
	return 0;
}
