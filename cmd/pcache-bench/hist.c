// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * hist.c - log-linear latency histogram.
 *
 * Values below 128 ns get a bucket each. Above that, every power of two
 * [2^k, 2^(k+1)) is split into 64 equal buckets, so a bucket is at most
 * 1/64 of its lower bound wide and a percentile reported as the bucket's
 * midpoint is within 0.8 % of the true sample. Min, max and the sum are
 * kept exactly.
 */
#include <string.h>

#include "bench.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int hist_index(uint64_t v)
{
	unsigned int k;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	if (v >= 1ULL << HIST_MAX_BITS)
		v = (1ULL << HIST_MAX_BITS) - 1;
	k = 63 - (unsigned int)__builtin_clzll(v);	/* 2^k <= v */
	return (k - HIST_SUB_BITS) * HIST_SUB +
	       (unsigned int)(v >> (k - HIST_SUB_BITS));
}

uint64_t hist_bucket_low(unsigned int idx)
{
	unsigned int k, m;

	if (idx < 2 * HIST_SUB)
		return idx;
	k = idx / HIST_SUB + HIST_SUB_BITS - 1;
	m = idx % HIST_SUB + HIST_SUB;
	return (uint64_t)m << (k - HIST_SUB_BITS);
}

uint64_t hist_bucket_width(unsigned int idx)
{
	if (idx < 2 * HIST_SUB)
		return 1;
	return 1ULL << (idx / HIST_SUB - 1);
}

void hist_add(struct hist *h, uint64_t ns)
{
	h->count++;
	h->sum += (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->bucket[hist_index(ns)]++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

/*
 * The smallest sample value v such that at least pct % of the samples are
 * <= v, estimated as the midpoint of its bucket and clamped to [min, max].
 */
uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	unsigned int i;

	if (!h->count)
		return 0;
	rank = (uint64_t)((double)h->count * pct / 100.0 + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_BUCKETS)
		return h->max;
	v = hist_bucket_low(i) + hist_bucket_width(i) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
