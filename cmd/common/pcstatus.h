/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dm-pcache status line (FORMAT.md 14.3), shared by pcache-bench (which
 * samples it during a run) and pcache (which decodes it for people):
 *   sb_flags seg_total cache_segs segs_used gc_percent cache_flags
 *   key_head dirty_tail key_tail          (positions as seg:off)
 */
#ifndef PC_PCSTATUS_H
#define PC_PCSTATUS_H

#include <stdint.h>

struct pcs_pos {
	unsigned int seg;
	unsigned int off;
};

struct pcs_status {
	unsigned int sb_flags;
	unsigned int seg_total;
	unsigned int cache_segs;
	unsigned int segs_used;
	unsigned int gc_percent;
	unsigned int cache_flags;
	struct pcs_pos key_head, dirty_tail, key_tail;
};

/* The 9 fields after "<start> <length> pcache"; 0 or -EINVAL. */
int pcs_parse(const char *params, struct pcs_status *st);
/*
 * Log bytes from @from to @to. Positions name cache segments that need not
 * be adjacent, so a distance across segments is a lower bound: the rest of
 * the first segment plus the offset in the last.
 */
uint64_t pcs_distance(struct pcs_pos from, struct pcs_pos to);

static inline int pcs_pos_eq(struct pcs_pos a, struct pcs_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

#endif
