/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Read-ahead of equally spaced records (prefetch.c): a few threads keep
 * several reads in flight while one consumer takes the records in order.
 * The consumer asks for an offset; when it is the one predicted (the
 * previous one plus the stride) and its read succeeded, the bytes are
 * copied out; otherwise the caller reads it itself, so errors, short
 * devices and odd orders are handled exactly as without read-ahead.
 * One consumer per pc_pf.
 */
#ifndef PC_PREFETCH_H
#define PC_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "pcache.h"

struct pc_pf;

/* Queue depth: reading threads; each takes PC_PF_BATCH records at a time. */
#define PC_PF_DEPTH 16
#define PC_PF_BATCH 8

/*
 * Records of @len bytes @stride apart, ending by @end, read by up to
 * @depth threads. NULL when @dev gains nothing from it (mapped, overlay)
 * or on failure: the caller then reads every record itself.
 */
struct pc_pf *pc_pf_new(struct pc_dev *dev, uint64_t stride, uint64_t end,
			size_t len, unsigned int depth);
/*
 * The record at @off into @buf (len bytes): 0, or -1 when the caller must
 * read it itself. Records in the page cache are read at once; when they
 * keep not being there, the threads start, predicting @off, @off + stride...
 * A record other than the one predicted restarts the prediction after it;
 * after too many of them the read-ahead stops for good (bounded wasted
 * reads).
 */
int pc_pf_read(struct pc_pf *pf, uint64_t off, void *buf);
void pc_pf_free(struct pc_pf *pf);

#endif
