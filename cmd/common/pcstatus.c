// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pcstatus.c - parse the dm-pcache status line. The kernel prints it with
 * "%x %u %u %u %u %x %u:%u %u:%u %u:%u"; anything else (a sign, a missing
 * or extra field, an offset beyond a segment's data) is not a status line
 * of this target, and is refused rather than half-read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcache_layout.h"
#include "pcstatus.h"

static int plain_number_words(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != ' ' && *s != ':' &&
		    *s != '\n')
			return 0;
	return 1;
}

int pcs_parse(const char *params, struct pcs_status *st)
{
	int n, end = -1;

	memset(st, 0, sizeof(*st));
	if (!plain_number_words(params))
		return -EINVAL;
	n = sscanf(params, "%x %u %u %u %u %x %u:%u %u:%u %u:%u %n",
		   &st->sb_flags, &st->seg_total, &st->cache_segs,
		   &st->segs_used, &st->gc_percent, &st->cache_flags,
		   &st->key_head.seg, &st->key_head.off,
		   &st->dirty_tail.seg, &st->dirty_tail.off,
		   &st->key_tail.seg, &st->key_tail.off, &end);
	if (n != 12 || end < 0 || params[end])
		return -EINVAL;
	if (st->key_head.off > PCD_SEG_DATA_SIZE ||
	    st->dirty_tail.off > PCD_SEG_DATA_SIZE ||
	    st->key_tail.off > PCD_SEG_DATA_SIZE)
		return -EINVAL;
	return 0;
}

uint64_t pcs_distance(struct pcs_pos from, struct pcs_pos to)
{
	if (from.seg == to.seg && to.off >= from.off)
		return to.off - from.off;
	if (from.off > PCD_SEG_DATA_SIZE)
		return to.off;
	return (uint64_t)(PCD_SEG_DATA_SIZE - from.off) + to.off;
}
