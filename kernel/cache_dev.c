// SPDX-License-Identifier: GPL-2.0
/*
 * cache_dev.c - direct (DAX) mapping of the cache device and its
 * superblock: format on first use, validation on every start.
 */
#define DM_MSG_PREFIX "pcache"

#include <linux/dax.h>
#include <linux/highmem.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "pcache.h"

/* dax_direct_access() reports a pfn_t up to 6.x, a plain pfn later. */
#if __has_include(<linux/pfn_t.h>)
#include <linux/pfn_t.h>
typedef pfn_t pcm_pfn_t;

static inline unsigned long pcm_pfn(pcm_pfn_t p)
{
	return pfn_t_to_pfn(p);
}
#else
typedef unsigned long pcm_pfn_t;

static inline unsigned long pcm_pfn(pcm_pfn_t p)
{
	return p;
}
#endif

int pcm_dev_read(struct pcache *pc, u64 off, void *buf, size_t len)
{
	if (off > pc->dev_size || len > pc->dev_size - off)
		return -EIO;
	if (copy_mc_to_kernel(buf, pcm_dev_addr(pc, off), len))
		return -EIO;
	return 0;
}

/* The page that holds cache device byte @off (bios straight from pmem). */
struct page *pcm_dev_page(struct pcache *pc, u64 off)
{
	if (pc->vmap_pages)
		return pc->vmap_pages[off >> PAGE_SHIFT];
	return pfn_to_page(pc->base_pfn + (off >> PAGE_SHIFT));
}

void pcm_dev_write(struct pcache *pc, u64 off, const void *buf, size_t len)
{
	memcpy_flushcache(pcm_dev_addr(pc, off), buf, len);
}

void pcm_dev_zero(struct pcache *pc, u64 off, size_t len)
{
	const void *zero = page_address(ZERO_PAGE(0));
	size_t n;

	while (len) {
		n = min_t(size_t, len, PAGE_SIZE);
		memcpy_flushcache(pcm_dev_addr(pc, off), zero, n);
		off += n;
		len -= n;
	}
}

/* Map page by page when one direct access does not cover the device. */
static int pcm_dax_vmap(struct pcache *pc, struct dax_device *dax,
			pgoff_t first, long total)
{
	struct page **pages;
	void *kaddr;
	pcm_pfn_t pfn;
	long i = 0, got, j;

	pages = kvmalloc_array(total, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (i < total) {
		got = dax_direct_access(dax, first + i, total - i, DAX_ACCESS,
					&kaddr, &pfn);
		if (got <= 0)
			goto fail;
		for (j = 0; j < got && i < total; j++, i++) {
			if (!pfn_valid(pcm_pfn(pfn) + j))
				goto fail;
			pages[i] = pfn_to_page(pcm_pfn(pfn) + j);
		}
	}
	pc->base = vmap(pages, total, VM_MAP, PAGE_KERNEL);
	if (!pc->base)
		goto fail;
	pc->vmap_pages = pages;
	return 0;
fail:
	kvfree(pages);
	return -EOPNOTSUPP;
}

static int pcm_dax_map(struct pcache *pc)
{
	struct block_device *bdev = pc->cache_dev->bdev;
	struct dax_device *dax = pc->cache_dev->dax_dev;
	long total = pc->dev_size >> PAGE_SHIFT;
	sector_t start = get_start_sect(bdev);
	pgoff_t first;
	void *kaddr;
	pcm_pfn_t pfn;
	long got;
	int id, ret = 0;

	if (!dax || (start & ((PAGE_SIZE >> SECTOR_SHIFT) - 1)))
		return -EOPNOTSUPP;
	first = start >> (PAGE_SHIFT - SECTOR_SHIFT);
	id = dax_read_lock();
	got = dax_direct_access(dax, first, total, DAX_ACCESS, &kaddr, &pfn);
	if (got >= total && pfn_valid(pcm_pfn(pfn))) {
		pc->base = kaddr;
		pc->base_pfn = pcm_pfn(pfn);
	}
	else if (got > 0)
		ret = pcm_dax_vmap(pc, dax, first, total);
	else
		ret = -EOPNOTSUPP;
	dax_read_unlock(id);
	return ret;
}

static void pcm_sb_build(struct pcache *pc, struct pcd_superblock *sb)
{
	u64 segs = pcd_segs_for_size(pc->dev_size);

	sb->flags = pcd_to_le32(PCD_HOST_BIG_ENDIAN ? PCD_SB_F_BIGENDIAN : 0);
	sb->magic = pcd_to_le64(PCD_SB_MAGIC);
	sb->seg_num = pcd_to_le32((u32)segs);
	/* the padding keeps what the device held, as upstream does */
	sb->crc = pcd_to_le32(pcm_crc((u8 *)sb + 4, sizeof(*sb) - 4));
	pcm_dev_zero(pc, PCD_HDR_ZERO_START,
		     PCD_HDR_ZERO_END - PCD_HDR_ZERO_START);
	pmem_wmb();
}

static int pcm_sb_check(struct pcache *pc, const struct pcd_superblock *sb)
{
	u32 crc = pcm_crc((const u8 *)sb + 4, sizeof(*sb) - 4);

	pc->seg_num = pcd_le32(sb->seg_num);
	pc->sb_flags = pcd_le32(sb->flags);
	switch (pcd_sb_judge(pcd_le64(sb->magic), pcd_le32(sb->crc), crc,
			     pc->sb_flags, pc->seg_num, pc->dev_size, 0)) {
	case PCD_SB_OK:
		return 0;
	case PCD_SB_UNFORMATTED:	/* formatted before the check */
	case PCD_SB_BAD_MAGIC:
		DMERR("bad superblock magic");
		return -EINVAL;
	case PCD_SB_BAD_CRC:
		DMERR("bad superblock crc");
		return -EINVAL;
	case PCD_SB_ENDIAN:
		DMERR("cache was formatted on a host of the other byte order");
		return -EINVAL;
	case PCD_SB_SEG_NUM:
		break;
	}
	DMERR("superblock seg_num %u out of range (device holds %llu)",
	      pc->seg_num, pcd_segs_for_size(pc->dev_size));
	return -EIO;
}

int pcm_dev_start(struct pcache *pc)
{
	struct pcd_superblock sb;
	bool format = false;
	int ret;

	pc->dev_size = bdev_nr_bytes(pc->cache_dev->bdev);
	if (!pcd_dev_size_ok(pc->dev_size)) {
		DMERR("cache device smaller than 512 MiB");
		return -ENOSPC;
	}
	ret = pcm_dax_map(pc);
	if (ret) {
		DMERR("cache device has no usable DAX mapping");
		return ret;
	}
	ret = pcm_dev_read(pc, PCD_SB_OFF, &sb, sizeof(sb));
	if (ret)
		goto fail;
	if (sb.magic == 0) {
		DMINFO("formatting an unformatted cache device");
		pcm_sb_build(pc, &sb);
		format = true;
	}
	ret = pcm_sb_check(pc, &sb);
	if (ret)
		goto fail;
	if (format) {
		pcm_dev_write(pc, PCD_SB_OFF, &sb, sizeof(sb));
		pmem_wmb();
	}
	return 0;
fail:
	pcm_dev_stop(pc);
	return ret;
}

void pcm_dev_stop(struct pcache *pc)
{
	if (pc->vmap_pages) {
		vunmap(pc->base);
		kvfree(pc->vmap_pages);
		pc->vmap_pages = NULL;
	}
	pc->base = NULL;
}
