/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: dual-slot records decoded from bytes already read. */
#ifndef PC_SLOT_H
#define PC_SLOT_H

#include "pcache.h"

/*
 * A segment's records in one read: segment_info slots 0 and 1 (at +0 and
 * +4096) and both generation slots (at +8192 and +8208).
 */
#define PC_SEG_META_LEN (PCD_SEG_CTRL_OFF + 2 * PCD_SEG_GEN_STRIDE)

/*
 * Both copies of a record of @size bytes from @buf, which holds the device
 * bytes from @dev_off to @dev_off + @stride + @size: what pc_dual_read()
 * gives when both reads succeed.
 */
void pc_dual_parse(bool swap, struct pc_dual *d, const uint8_t *buf,
		   uint64_t dev_off, uint64_t stride, unsigned int size);
/*
 * Both segment_info and both generation copies of the segment at device
 * offset @base from @buf, its first PC_SEG_META_LEN bytes.
 */
void pc_seg_meta_parse(bool swap, struct pc_seg *s, const uint8_t *buf,
		       uint64_t base);
/* The record of @size bytes at @raw carries its own CRC: it was sealed. */
bool pc_rec_sealed(bool swap, const uint8_t *raw, unsigned int size);

#endif
