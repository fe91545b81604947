// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dual-slot records: both copies are decoded and classified; the kernel's
 * reader rule picks one; new copies go to the slot that does not hold the
 * newest valid copy, so a torn write can never destroy the last good one.
 */
#include <errno.h>
#include <string.h>

#include "slot.h"

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static uint32_t slot_crc(const void *buf, uint32_t len)
{
	return pc_crc32c(PCD_CRC_SEED, buf, len);
}

static void slot_classify(struct pc_slot *s, bool swap, unsigned int size)
{
	const struct pcd_meta_hdr *h = (const void *)s->raw;

	s->crc_stored = pcd_n32(swap, h->crc);
	s->crc_calc = pc_meta_crc(s->raw, size);
	s->seq = h->seq;
	s->version = h->version;
	s->res = pcd_n16(swap, h->res);
	if (s->crc_stored == s->crc_calc)
		s->state = PC_SLOT_VALID;
	else if (all_zero(s->raw, size))
		s->state = PC_SLOT_ZERO;
	else
		s->state = PC_SLOT_BAD_CRC;
}

void pc_seg_meta_parse(bool swap, struct pc_seg *s, const uint8_t *buf,
		       uint64_t base)
{
	pc_dual_parse(swap, &s->info, buf, base, PCD_SEG_INFO_STRIDE,
		      sizeof(struct pcd_seg_info));
	pc_dual_parse(swap, &s->gen_slots, buf + PCD_SEG_CTRL_OFF,
		      base + PCD_SEG_CTRL_OFF, PCD_SEG_GEN_STRIDE,
		      sizeof(struct pcd_seg_gen));
}

bool pc_rec_sealed(bool swap, const uint8_t *raw, unsigned int size)
{
	uint32_t stored;

	memcpy(&stored, raw, sizeof(stored));
	return pcd_n32(swap, stored) == pc_meta_crc(raw, size);
}

int pc_dual_read(struct pc_dev *dev, bool swap, uint64_t off, uint64_t stride,
		 unsigned int size, struct pc_dual *d, struct pc_err *err)
{
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->size = size;
	for (int i = 0; i < PCD_SLOTS; i++) {
		struct pc_slot *s = &d->slot[i];
		int r;

		s->dev_off = off + (uint64_t)i * stride;
		r = pc_dev_read(dev, s->dev_off, s->raw, size, err);
		if (r) {
			s->state = PC_SLOT_UNREADABLE;
			ret = ret ? ret : r;
			continue;
		}
		slot_classify(s, swap, size);
	}
	d->chosen = pcd_pick_slot(d->slot[0].state == PC_SLOT_VALID,
				  d->slot[0].seq,
				  d->slot[1].state == PC_SLOT_VALID,
				  d->slot[1].seq);
	return ret;
}

void pc_dual_parse(bool swap, struct pc_dual *d, const uint8_t *buf,
		   uint64_t dev_off, uint64_t stride, unsigned int size)
{
	memset(d, 0, sizeof(*d));
	d->size = size;
	for (int i = 0; i < PCD_SLOTS; i++) {
		struct pc_slot *s = &d->slot[i];

		s->dev_off = dev_off + (uint64_t)i * stride;
		memcpy(s->raw, buf + (uint64_t)i * stride, size);
		slot_classify(s, swap, size);
	}
	d->chosen = pcd_pick_slot(d->slot[0].state == PC_SLOT_VALID,
				  d->slot[0].seq,
				  d->slot[1].state == PC_SLOT_VALID,
				  d->slot[1].seq);
}

const void *pc_dual_rec(const struct pc_dual *d)
{
	return d->chosen < 0 ? NULL : d->slot[d->chosen].raw;
}

int pc_dual_seq_gap(const struct pc_dual *d)
{
	const struct pc_slot *a, *b;

	if (d->chosen < 0)
		return -1;
	a = &d->slot[d->chosen];
	b = &d->slot[!d->chosen];
	if (b->state != PC_SLOT_VALID)
		return -1;
	return (uint8_t)(a->seq - b->seq);
}

int pc_dual_write(struct pc_dev *dev, uint64_t off, uint64_t stride,
		  struct pc_dual *d, void *rec, struct pc_err *err)
{
	int target = pcd_next_slot(d->chosen);
	uint8_t seq = pcd_next_seq(d->chosen, d->chosen < 0 ? 0 :
				   d->slot[d->chosen].seq);
	struct pc_slot *s = &d->slot[target];
	int ret;

	pcd_meta_seal(rec, d->size, seq, slot_crc);
	s->dev_off = off + (uint64_t)target * stride;
	ret = pc_dev_write(dev, s->dev_off, rec, d->size, err);
	if (ret)
		return ret;
	memcpy(s->raw, rec, d->size);
	slot_classify(s, false, d->size);
	d->chosen = target;
	return 0;
}

const char *pc_slot_state_name(enum pc_slot_state st)
{
	switch (st) {
	case PC_SLOT_VALID:
		return "valid";
	case PC_SLOT_ZERO:
		return "empty";
	case PC_SLOT_BAD_CRC:
		return "bad-crc";
	case PC_SLOT_UNREADABLE:
		return "unreadable";
	}
	return "?";
}
