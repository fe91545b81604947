// SPDX-License-Identifier: LGPL-2.1-or-later
/* Record encoders: host byte order, version/res zero, CRC sealed. */
#include <string.h>

#include "pcache.h"

static uint32_t crc(const void *buf, uint32_t len)
{
	return pc_crc32c(PCD_CRC_SEED, buf, len);
}

static void seal(void *rec, size_t size, uint8_t seq)
{
	pcd_meta_seal(rec, (uint32_t)size, seq, crc);
}

void pc_encode_sb(struct pcd_superblock *sb, uint32_t seg_num, uint32_t flags)
{
	memset(sb, 0, sizeof(*sb));
	sb->flags = pcd_to_le32(flags);
	sb->magic = pcd_to_le64(PCD_SB_MAGIC);
	sb->seg_num = pcd_to_le32(seg_num);
	sb->crc = pcd_to_le32(pc_meta_crc(sb, sizeof(*sb)));
}

void pc_encode_info(struct pcd_cache_info *ci, uint8_t seq, uint32_t seg_id,
		    uint32_t n_segs, uint32_t flags)
{
	memset(ci, 0, sizeof(*ci));
	ci->seg_id = seg_id;
	ci->n_segs = n_segs;
	ci->flags = flags;
	seal(ci, sizeof(*ci), seq);
}

void pc_encode_seg_info(struct pcd_seg_info *si, uint8_t seq, uint32_t flags,
			uint32_t next)
{
	memset(si, 0, sizeof(*si));
	si->flags = flags;
	si->next_seg = next;
	seal(si, sizeof(*si), seq);
}

void pc_encode_gen(struct pcd_seg_gen *g, uint8_t seq, uint64_t gen)
{
	memset(g, 0, sizeof(*g));
	g->gen = gen;
	seal(g, sizeof(*g), seq);
}

void pc_encode_pos(struct pcd_pos *p, uint8_t seq, struct pc_pos pos)
{
	memset(p, 0, sizeof(*p));
	p->cache_seg_id = pos.seg;
	p->seg_off = pos.off;
	seal(p, sizeof(*p), seq);
}

uint32_t pc_encode_kset(void *buf, uint32_t key_num, bool last)
{
	return pcd_kset_seal(buf, key_num, last, crc);
}
