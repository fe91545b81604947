// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a cache the way the kernel activates one: superblock, cache_info,
 * the segment chain and the two tails, with every bound the kernel applies
 * (FORMAT.md 8 and 15). Nothing is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chain_ahead.h"
#include "pcache.h"
#include "prefetch.h"
#include "slot.h"

int pc_sb_read(struct pc_dev *dev, struct pc_sb *sb, struct pc_err *err)
{
	struct pcd_superblock raw;
	int ret;

	memset(sb, 0, sizeof(*sb));
	ret = pc_dev_read(dev, PCD_SB_OFF, &raw, sizeof(raw), err);
	if (ret)
		return ret;
	sb->crc_stored = pcd_le32(raw.crc);
	sb->crc_calc = pc_meta_crc(&raw, sizeof(raw));
	sb->flags = pcd_le32(raw.flags);
	sb->magic = pcd_le64(raw.magic);
	sb->seg_num = pcd_le32(raw.seg_num);
	sb->padding = raw.padding;
	return 0;
}

bool pc_sb_valid(const struct pc_sb *sb)
{
	return sb->magic == PCD_SB_MAGIC && sb->crc_stored == sb->crc_calc;
}

static int open_sb(struct pc_cache *c, struct pc_err *err)
{
	const char *path = pc_dev_path(c->dev);
	int ret;

	if (!pcd_dev_size_ok(c->dev_size)) {
		pc_err_set(err, -ENOSPC, "%s: device size %llu bytes is below "
			   "the minimum of %llu bytes", path,
			   (unsigned long long)c->dev_size, PCD_DEV_SIZE_MIN);
		return -ENOSPC;
	}
	ret = pc_sb_read(c->dev, &c->sb, err);
	if (ret)
		return ret;
	if (c->sb.magic == 0) {
		pc_err_set(err, -ENODATA, "%s: superblock: magic is 0, the "
			   "device is not formatted", path);
		return -ENODATA;
	}
	if (c->sb.magic != PCD_SB_MAGIC) {
		pc_err_set(err, -EINVAL, "%s: superblock: bad magic 0x%016llx "
			   "(not a pcache device)", path,
			   (unsigned long long)c->sb.magic);
		return -EINVAL;
	}
	if (c->sb.crc_stored != c->sb.crc_calc) {
		pc_err_set(err, -EINVAL, "%s: superblock: crc 0x%08x does not "
			   "match the computed 0x%08x", path, c->sb.crc_stored,
			   c->sb.crc_calc);
		return -EINVAL;
	}
	c->swap = !!(c->sb.flags & PCD_SB_F_BIGENDIAN) != PCD_HOST_BIG_ENDIAN;
	if (pcd_sb_judge(c->sb.magic, c->sb.crc_stored, c->sb.crc_calc,
			 c->sb.flags, c->sb.seg_num, c->dev_size, 1) ==
	    PCD_SB_SEG_NUM) {
		pc_err_set(err, -EIO, "%s: superblock: seg_num %u out of range "
			   "(1 .. %llu for this device size, at most %u)", path,
			   c->sb.seg_num,
			   (unsigned long long)pcd_sb_seg_num_max(c->dev_size),
			   PCD_SEGS_MAX);
		return -EIO;
	}
	c->stage = PC_STAGE_SB;
	return 0;
}

static int open_info(struct pc_cache *c, struct pc_err *err)
{
	const char *path = pc_dev_path(c->dev);
	const struct pcd_cache_info *ci;
	int ret;

	ret = pc_dual_read(c->dev, c->swap, PCD_INFO_OFF, PCD_INFO_STRIDE,
			   sizeof(*ci), &c->info_slots, err);
	if (ret)
		return ret;
	ci = pc_dual_rec(&c->info_slots);
	if (!ci) {
		pc_err_set(err, -ENOENT, "%s: cache_info: no valid copy in "
			   "either slot; the kernel would re-initialise the "
			   "cache and lose its content", path);
		return -ENOENT;
	}
	c->info.seq = ci->hdr.seq;
	c->info.seg_id = pcd_n32(c->swap, ci->seg_id);
	c->info.n_segs = pcd_n32(c->swap, ci->n_segs);
	c->info.flags = pcd_n32(c->swap, ci->flags);
	c->info.reserved = pcd_n32(c->swap, ci->reserved);
	if (!(c->info.flags & PCD_INFO_F_INIT_DONE)) {
		pc_err_set(err, -ENOENT, "%s: cache_info slot %d: flags 0x%x "
			   "lack INIT_DONE; the kernel would re-initialise the "
			   "cache", path, c->info_slots.chosen, c->info.flags);
		return -ENOENT;
	}
	if (!pcd_info_n_segs_ok(c->info.n_segs, c->sb.seg_num)) {
		pc_err_set(err, -EIO, "%s: cache_info slot %d: n_segs %u out of "
			   "range (1 .. seg_num %u)", path, c->info_slots.chosen,
			   c->info.n_segs, c->sb.seg_num);
		return -EIO;
	}
	c->stage = PC_STAGE_INFO;
	return 0;
}

/*
 * Both records of a segment in one read of its first 8224 bytes (three
 * pages), where reading the four copies one by one cost four system calls
 * per segment, a million of them per 4 TiB. When that read fails, each
 * copy is read on its own as before, so the error names the same copy.
 * The read-ahead (prefetch.c) has it already when the image is not in
 * the page cache: a chain written in order is read 16 requests at a time.
 */
static int load_seg(struct pc_cache *c, struct pc_pf *pf,
		    struct pc_ahead *ahead, struct pc_seg *s, uint32_t idx,
		    struct pc_err *err)
{
	const char *path = pc_dev_path(c->dev);
	uint64_t base = pcd_seg_offset(s->phys);
	uint8_t buf[PC_SEG_META_LEN];
	const struct pcd_seg_info *si;
	const struct pcd_seg_gen *g;
	bool whole;
	int ret;

	/* a helper thread may have read and parsed both (chain_ahead.c) */
	whole = pc_ahead_take(ahead, idx, s->phys);
	if (!whole) {
		whole = (pf && base + sizeof(buf) <= c->dev_size &&
			 !pc_pf_read(pf, base, buf)) ||
			!pc_dev_read(c->dev, base, buf, sizeof(buf), NULL);
		if (whole)
			pc_seg_meta_parse(c->swap, s, buf, base);
	}
	if (!whole) {
		ret = pc_dual_read(c->dev, c->swap, base, PCD_SEG_INFO_STRIDE,
				   sizeof(*si), &s->info, err);
		if (ret)
			return ret;
	}
	si = pc_dual_rec(&s->info);
	if (!si) {
		pc_err_set(err, -EIO, "%s: segment %u (cache segment %u): "
			   "segment_info: no valid copy in either slot", path,
			   s->phys, idx);
		return -EIO;
	}
	s->flags = pcd_n32(c->swap, si->flags);
	s->next = pcd_n32(c->swap, si->next_seg);
	if (!whole) {
		ret = pc_dual_read(c->dev, c->swap, base + PCD_SEG_CTRL_OFF,
				   PCD_SEG_GEN_STRIDE, sizeof(*g),
				   &s->gen_slots, err);
		if (ret)
			return ret;
	}
	g = pc_dual_rec(&s->gen_slots);
	s->gen = g ? pcd_n64(c->swap, g->gen) : 0;
	return 0;
}

static int load_chain(struct pc_cache *c, struct pc_pf *pf,
		      struct pc_ahead *ahead, const char *path,
		      struct pc_err *err)
{
	int ret;

	for (uint32_t i = 0; i < c->info.n_segs; i++) {
		const struct pc_seg *prev = i ? &c->segs[i - 1] : NULL;
		struct pc_seg *s = &c->segs[i];
		uint32_t phys = 0;

		pc_ahead_sync(ahead, i);

		switch (pcd_chain_link(i, c->info.seg_id, prev ? prev->flags : 0,
				       prev ? prev->next : 0, c->sb.seg_num,
				       &phys)) {
		case PCD_LINK_OK:
			break;
		case PCD_LINK_NO_NEXT:
			pc_err_set(err, -EFAULT, "%s: segment %u (cache "
				   "segment %u): segment_info slot %d has no "
				   "next segment, but the chain needs %u "
				   "segments", path, prev->phys, i - 1,
				   prev->info.chosen, c->info.n_segs);
			return -EFAULT;
		default:
			pc_err_set(err, -EIO, "%s: %s: segment id %u out of "
				   "range (seg_num %u)", path,
				   i ? "segment_info next_seg" :
				       "cache_info seg_id",
				   phys, c->sb.seg_num);
			return -EIO;
		}
		s->phys = phys;
		ret = load_seg(c, pf, ahead, s, i, err);
		if (ret)
			return ret;
		c->segs_loaded = i + 1;
	}
	return 0;
}

/* Read-ahead of the chain as pcache-fsck's (check_chain.c); its threads
 * start only when the records are not in the page cache. */
static struct pc_pf *chain_readahead(struct pc_cache *c)
{
	uint32_t batches = (c->info.n_segs + PC_PF_BATCH - 1) / PC_PF_BATCH;

	if (batches < 2 || c->info.seg_id >= c->sb.seg_num)
		return NULL;
	return pc_pf_new(c->dev, PCD_SEG_SIZE, c->dev_size, PC_SEG_META_LEN,
			 batches < PC_PF_DEPTH ? batches : PC_PF_DEPTH);
}

static int open_chain(struct pc_cache *c, struct pc_err *err)
{
	const char *path = pc_dev_path(c->dev);
	struct pc_ahead *ahead;
	struct pc_pf *pf;
	int ret;

	c->segs = calloc(c->info.n_segs, sizeof(*c->segs));
	if (!c->segs)
		return -ENOMEM;
	pf = chain_readahead(c);
	ahead = pc_ahead_start(c->dev, c, c->info.n_segs);
	ret = load_chain(c, pf, ahead, path, err);
	pc_ahead_stop(ahead, c->segs_loaded);
	pc_pf_free(pf);
	if (ret)
		return ret;
	c->stage = PC_STAGE_CHAIN;
	return 0;
}

static const char *const tail_names[] = { "key_tail", "dirty_tail" };

static int open_tail(struct pc_cache *c, int which, struct pc_err *err)
{
	const char *path = pc_dev_path(c->dev);
	uint64_t off = which == PC_KEY_TAIL ? PCD_KEY_TAIL_OFF :
					      PCD_DIRTY_TAIL_OFF;
	struct pc_dual *d = &c->tail_slots[which];
	struct pc_pos *p = which == PC_KEY_TAIL ? &c->key_tail : &c->dirty_tail;
	const struct pcd_pos *rec;
	int ret;

	ret = pc_dual_read(c->dev, c->swap, off, PCD_POS_STRIDE, sizeof(*rec),
			   d, err);
	if (ret)
		return ret;
	rec = pc_dual_rec(d);
	if (!rec) {
		pc_err_set(err, -EIO, "%s: %s: no valid copy in either slot",
			   path, tail_names[which]);
		return -EIO;
	}
	p->seg = pcd_n32(c->swap, rec->cache_seg_id);
	p->off = pcd_n32(c->swap, rec->seg_off);
	if (!pcd_pos_ok(p->seg, p->off, c->info.n_segs)) {
		pc_err_set(err, -EIO, "%s: %s slot %d: position %u:%u out of "
			   "range (n_segs %u, data area %u bytes)", path,
			   tail_names[which], d->chosen, p->seg, p->off,
			   c->info.n_segs, PCD_SEG_DATA_SIZE);
		return -EIO;
	}
	return 0;
}

int pc_cache_open(struct pc_dev *dev, struct pc_cache **out,
		  struct pc_err *err)
{
	struct pc_cache *c = calloc(1, sizeof(*c));
	int ret;

	*out = c;
	if (!c)
		return -ENOMEM;
	c->dev = dev;
	c->dev_size = pc_dev_size(dev);
	ret = open_sb(c, err);
	if (!ret)
		ret = open_info(c, err);
	if (!ret)
		ret = open_chain(c, err);
	if (!ret)
		ret = open_tail(c, PC_KEY_TAIL, err);
	if (!ret)
		ret = open_tail(c, PC_DIRTY_TAIL, err);
	if (!ret)
		c->stage = PC_STAGE_TAILS;
	return ret;
}

void pc_cache_free(struct pc_cache *c)
{
	if (!c)
		return;
	free(c->segs);
	free(c);
}

int64_t pc_cache_phys(const struct pc_cache *c, uint32_t seg)
{
	if (seg >= c->segs_loaded)
		return -1;
	return c->segs[seg].phys;
}

uint64_t pc_cache_pos_dev_off(const struct pc_cache *c, struct pc_pos p)
{
	int64_t phys = pc_cache_phys(c, p.seg);

	return phys < 0 ? 0 : pcd_data_offset((uint32_t)phys, p.off);
}

bool pc_cache_data_crc(const struct pc_cache *c)
{
	return c->info.flags & PCD_INFO_F_DATA_CRC;
}

int pc_cache_write_tail(struct pc_cache *c, int which, struct pc_pos p,
			struct pc_err *err)
{
	uint64_t off = which == PC_KEY_TAIL ? PCD_KEY_TAIL_OFF :
					      PCD_DIRTY_TAIL_OFF;
	struct pcd_pos rec;
	int ret;

	if (c->swap) {
		pc_err_set(err, -EINVAL, "%s: the image's byte order differs "
			   "from this host's; refusing to write",
			   pc_dev_path(c->dev));
		return -EINVAL;
	}
	pc_encode_pos(&rec, 0, p);
	ret = pc_dual_write(c->dev, off, PCD_POS_STRIDE, &c->tail_slots[which],
			    &rec, err);
	if (!ret)
		*(which == PC_KEY_TAIL ? &c->key_tail : &c->dirty_tail) = p;
	return ret;
}
