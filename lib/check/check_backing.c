// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The backing device (FORMAT.md 16, C54): every extent of the index replay
 * builds (9.8) that should already be on the backing device -- one that
 * lies before dirty_tail, or a CLEAN one -- must equal the backing
 * device's bytes at the same offset. Both devices are read in bounded
 * chunks; the backing device only ever read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"

#define CMP_CHUNK	(1U << 20)

#define SAMPLE_MAX_LEN	(64U << 10)

struct cmp {
	uint8_t *cache;
	uint8_t *back;
	uint64_t back_size;
	uint64_t done;
	uint64_t total;
	uint64_t cap;		/* bytes compared per extent at most */
	size_t step;		/* every step-th extent that qualifies */
};

/*
 * Should @e be on the backing device? When dirty_tail is not on the log,
 * nothing tells which dirty keys were written back: only CLEAN extents.
 */
static bool written_back(const struct pc_extent *e, bool dirty_tail_on_log)
{
	if (e->flags & PCD_KEY_F_CLEAN)
		return true;
	return dirty_tail_on_log && !e->dirty;
}

/* The bytes of @e that can be compared: in its segment and the backing. */
static uint64_t cmp_len(struct pc_check *ck, const struct cmp *m,
			const struct pc_extent *e)
{
	uint64_t len = e->len;

	if (pc_cache_phys(&ck->c, e->seg) < 0 ||
	    e->seg_off >= PCD_SEG_DATA_SIZE || e->off >= m->back_size)
		return 0;
	if (len > PCD_SEG_DATA_SIZE - e->seg_off)
		len = PCD_SEG_DATA_SIZE - e->seg_off;
	if (len > m->back_size - e->off)
		len = m->back_size - e->off;
	return len < m->cap ? len : m->cap;
}

/* The extents compared: all, or an even sample (opts.backing_sample). */
static void sample(struct pc_check *ck, struct cmp *m, bool on_log)
{
	size_t n = 0;

	m->cap = UINT64_MAX;
	m->step = 1;
	if (!ck->o.backing_sample)
		return;
	for (size_t i = 0; i < ck->r.n_ext; i++)
		n += written_back(&ck->r.ext[i], on_log);
	m->cap = SAMPLE_MAX_LEN;
	if (n > ck->o.backing_sample)
		m->step = n / ck->o.backing_sample;
}

static int cmp_extent(struct pc_check *ck, struct cmp *m,
		      const struct pc_extent *e)
{
	uint64_t len = cmp_len(ck, m, e);
	uint64_t cache_off, at, n, first;
	struct pc_err err = { 0 };
	long idx;
	int ret;

	if (!len)
		return 0;
	cache_off = pcd_data_offset((uint32_t)pc_cache_phys(&ck->c, e->seg),
				    e->seg_off);
	ck->u.backing_extents++;
	for (at = 0; at < len; at += n) {
		n = len - at < CMP_CHUNK ? len - at : CMP_CHUNK;
		ret = pc_dev_read(ck->dev, cache_off + at, m->cache, n, &err);
		if (!ret)
			ret = pc_dev_read(ck->o.backing, e->off + at, m->back,
					  n, &err);
		if (ret)
			return pc_ck_fail(ck, ret, &err);
		ck->u.backing_bytes += n;
		m->done += n;
		pc_ck_progress(ck, "backing", m->done, m->total);
		if (memcmp(m->cache, m->back, n))
			break;
		if (pc_ck_cancelled(ck))
			return -ECANCELED;
	}
	if (at >= len)
		return 0;
	/* the rest of the extent is not read; the first difference */
	m->done += len - at - n;
	for (first = 0; m->cache[first] == m->back[first]; first++)
		;
	ck->u.backing_diffs++;
	idx = pc_ck_add(ck, PCK_BACKING_DIFF, "extent", -1, e->seg,
			(int64_t)cache_off, "backing bytes %llu+%llu differ "
			"from the %s extent cached at %u:%u (from backing "
			"byte %llu on); a write bypassed the cache or a "
			"writeback was lost", (unsigned long long)e->off,
			(unsigned long long)len,
			e->flags & PCD_KEY_F_CLEAN ? "clean" :
			"written-back", e->seg, e->seg_off,
			(unsigned long long)(e->off + at + first));
	pc_ck_range(pc_ck_get(ck, idx), e->off, len);
	return 0;
}

int pc_ck_backing(struct pc_check *ck, bool dirty_tail_on_log)
{
	struct cmp m = { 0 };
	uint8_t *cache, *back;
	size_t k = 0;
	int ret = 0;

	m.back_size = pcd_backing_bytes(pc_dev_size(ck->o.backing));
	sample(ck, &m, dirty_tail_on_log);
	for (size_t i = 0; i < ck->r.n_ext; i++)
		if (written_back(&ck->r.ext[i], dirty_tail_on_log) &&
		    k++ % m.step == 0)
			m.total += cmp_len(ck, &m, &ck->r.ext[i]);
	ck->u.backing_compared = true;
	if (!m.total)
		return 0;
	cache = malloc(CMP_CHUNK);
	back = malloc(CMP_CHUNK);
	if (!cache || !back) {
		ret = -ENOMEM;
		goto out;
	}
	m.cache = cache;
	m.back = back;
	k = 0;
	for (size_t i = 0; i < ck->r.n_ext && !ret; i++) {
		if (!written_back(&ck->r.ext[i], dirty_tail_on_log) ||
		    k++ % m.step)
			continue;
		ret = cmp_extent(ck, &m, &ck->r.ext[i]);
	}
out:
	free(cache);
	free(back);
	return ret;
}
