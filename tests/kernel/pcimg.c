// SPDX-License-Identifier: GPL-2.0
/*
 * pcimg - edit a dm-pcache cache device for the kernel tests.
 *
 *   pcimg fill DEV          append 128-key ksets of CLEAN keys (logical
 *                           0..4 MiB -> the last chain segment, which must
 *                           hold what the backing device holds there) to
 *                           the log in chain segment 0 until it is nearly
 *                           full, so the next kset close chains a new key
 *                           segment
 *   pcimg corrupt DEV CASE  damage one record (cases in main()) the way a
 *                           media error or a bad writer would, with valid
 *                           CRCs where it matters
 *
 * Works on kernel-formatted images (chain = physical order) whose key_tail
 * is at 0:0 and whose tail records alternate normally.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pcache_layout.h"

static int fd;
static uint32_t tab[256];

static uint32_t crc(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t r = PCD_CRC_SEED;

	while (len--)
		r = (r >> 8) ^ tab[(r ^ *p++) & 0xff];
	return r;
}

static void crc_init(void)
{
	uint32_t i, j, r;

	for (i = 0; i < 256; i++) {
		for (r = i, j = 0; j < 8; j++)
			r = (r >> 1) ^ ((r & 1) ? 0x82F63B78U : 0);
		tab[i] = r;
	}
}

static void rd(uint64_t off, void *buf, size_t len)
{
	if (pread(fd, buf, len, off) != (ssize_t)len) {
		perror("pread");
		exit(2);
	}
}

static void wr(uint64_t off, const void *buf, size_t len)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len) {
		perror("pwrite");
		exit(2);
	}
}

static int valid(const void *rec, size_t size)
{
	return ((const struct pcd_meta_hdr *)rec)->crc ==
	       crc((const uint8_t *)rec + 4, size - 4);
}

/* Newest copy of a dual-slot record; returns its slot (or -1). */
static int meta_get(uint64_t off, uint64_t stride, void *rec, size_t size)
{
	uint8_t a[32], b[32];
	int pick;

	rd(off, a, size);
	rd(off + stride, b, size);
	pick = pcd_pick_slot(valid(a, size), ((struct pcd_meta_hdr *)a)->seq,
			     valid(b, size), ((struct pcd_meta_hdr *)b)->seq);
	if (pick >= 0)
		memcpy(rec, pick ? b : a, size);
	return pick;
}

/* Write @rec as the new newest copy (other slot, seq + 1). */
static void meta_put(uint64_t off, uint64_t stride, void *rec, size_t size,
		     int cur)
{
	struct pcd_meta_hdr *h = rec;

	h->seq++;
	h->crc = crc((uint8_t *)rec + 4, size - 4);
	wr(off + (cur < 0 ? 0 : (cur ^ 1)) * stride, rec, size);
}

static uint64_t kset_addr(uint32_t off)
{
	return pcd_data_offset(0, off);
}

static uint32_t sb_segs(void)
{
	struct pcd_superblock sb;

	rd(PCD_SB_OFF, &sb, sizeof(sb));
	return pcd_le32(sb.seg_num);
}

/* End of the log in chain segment 0, walking from 0:0. */
static uint32_t log_end(void)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX];
	struct pcd_kset *k = (void *)buf;
	uint32_t off = 0, size;

	for (;;) {
		rd(kset_addr(off), buf, PCD_KSET_HDR_SIZE);
		if (k->magic != PCD_KSET_MAGIC || (k->flags & PCD_KSET_F_LAST) ||
		    k->key_num > PCD_KSET_KEYS_MAX)
			return off;
		size = pcd_kset_size(k->key_num);
		rd(kset_addr(off), buf, size);
		if (k->crc != crc(buf + 4, size - 4))
			return off;
		off += size;
	}
}

static int fill(void)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX];
	struct pcd_kset *k = (void *)buf;
	uint32_t off = log_end(), n = 0, i, size = PCD_KSET_SIZE_MAX;
	uint8_t zero[PCD_KSET_HDR_SIZE] = { 0 };

	memset(buf, 0, sizeof(buf));
	k->key_num = PCD_KSET_KEYS_MAX;
	k->magic = PCD_KSET_MAGIC;
	for (i = 0; i < PCD_KSET_KEYS_MAX; i++) {
		k->keys[i].len = PCD_SUBTREE_SIZE;
		k->keys[i].flags = PCD_KEY_F_CLEAN;
		k->keys[i].cache_seg_id = sb_segs() - 1;
	}
	k->crc = crc(buf + 4, size - 4);
	while (PCD_SEG_DATA_SIZE - off >= 2 * size + 2 * PCD_KSET_HDR_SIZE) {
		wr(kset_addr(off), buf, size);
		off += size;
		n++;
	}
	wr(kset_addr(off), zero, sizeof(zero));
	printf("pcimg: %u ksets, log ends at 0:%u\n", n, off);
	return 0;
}

static void info_edit(uint32_t n_segs)
{
	struct pcd_cache_info ci;
	int cur = meta_get(PCD_INFO_OFF, PCD_INFO_STRIDE, &ci, sizeof(ci));

	ci.n_segs = n_segs;
	meta_put(PCD_INFO_OFF, PCD_INFO_STRIDE, &ci, sizeof(ci), cur);
}

static void seginfo_edit(uint32_t phys, uint32_t next)
{
	struct pcd_seg_info si;
	uint64_t off = pcd_seg_offset(phys);
	int cur = meta_get(off, PCD_SEG_INFO_STRIDE, &si, sizeof(si));

	si.flags |= PCD_SEGI_F_HAS_NEXT;
	si.next_seg = next;
	meta_put(off, PCD_SEG_INFO_STRIDE, &si, sizeof(si), cur);
}

static void tail_edit(uint64_t off, uint32_t seg, uint32_t seg_off)
{
	struct pcd_pos p;
	int cur = meta_get(off, PCD_POS_STRIDE, &p, sizeof(p));

	p.cache_seg_id = seg;
	p.seg_off = seg_off;
	meta_put(off, PCD_POS_STRIDE, &p, sizeof(p), cur);
}

static void sb_edit(uint64_t magic, uint32_t segs, int bad_crc)
{
	struct pcd_superblock sb;

	rd(PCD_SB_OFF, &sb, sizeof(sb));
	sb.magic = pcd_to_le64(magic);
	sb.seg_num = pcd_to_le32(segs);
	sb.crc = pcd_to_le32(crc((uint8_t *)&sb + 4, sizeof(sb) - 4) ^ bad_crc);
	wr(PCD_SB_OFF, &sb, sizeof(sb));
}

/* Edit the first key (or header) of the kset at 0:0, re-CRC it. */
static void kset_edit(const char *what, uint64_t val)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX];
	struct pcd_kset *k = (void *)buf;
	uint32_t size;

	rd(kset_addr(0), buf, sizeof(buf));
	if (!strcmp(what, "empty"))
		k->keys[0].flags |= PCD_KEY_F_EMPTY;
	else if (!strcmp(what, "off"))
		k->keys[0].off = val;
	else if (!strcmp(what, "segoff"))
		k->keys[0].cache_seg_off = val;
	else if (!strcmp(what, "last")) {
		k->flags = PCD_KSET_F_LAST;
		k->key_num = val;
	} else if (!strcmp(what, "keynum"))
		k->key_num = val;
	size = (k->flags & PCD_KSET_F_LAST) ? PCD_KSET_HDR_SIZE :
	       pcd_kset_size(k->key_num > PCD_KSET_KEYS_MAX ? 0 : k->key_num);
	k->crc = crc(buf + 4, size - 4);
	wr(kset_addr(0), buf, size);
}

static int corrupt(const char *c)
{
	uint32_t segs = sb_segs();

	if (!strcmp(c, "sb-crc"))
		sb_edit(PCD_SB_MAGIC, segs, 1);
	else if (!strcmp(c, "sb-magic"))
		sb_edit(1, segs, 0);
	else if (!strcmp(c, "sb-segnum"))
		sb_edit(PCD_SB_MAGIC, 1000, 0);
	else if (!strcmp(c, "info-nsegs"))
		info_edit(segs + 1);
	else if (!strcmp(c, "chain-dup"))
		seginfo_edit(1, 1);
	else if (!strcmp(c, "chain-range"))
		seginfo_edit(0, 5000);
	else if (!strcmp(c, "tail-range"))
		tail_edit(PCD_KEY_TAIL_OFF, 0, PCD_SEG_DATA_SIZE);
	else if (!strcmp(c, "dirty-off-log"))
		tail_edit(PCD_DIRTY_TAIL_OFF, 0, 8);
	else if (!strcmp(c, "key-empty"))
		kset_edit("empty", 0);
	else if (!strcmp(c, "key-backing"))
		kset_edit("off", 1ULL << 40);
	else if (!strcmp(c, "key-segoff"))
		kset_edit("segoff", PCD_SEG_DATA_SIZE - 512);
	else if (!strcmp(c, "last-range"))
		kset_edit("last", 4000);
	else if (!strcmp(c, "keynum-big")) {
		kset_edit("keynum", 200);
		tail_edit(PCD_DIRTY_TAIL_OFF, 0, 0);
	}
	else
		return fprintf(stderr, "unknown case %s\n", c), 2;
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 3)
		return fprintf(stderr, "usage: pcimg fill|corrupt DEV [CASE]\n"), 2;
	crc_init();
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	ioctl(fd, BLKFLSBUF, 0);
	if (!strcmp(argv[1], "fill"))
		ret = fill();
	else if (!strcmp(argv[1], "corrupt") && argc == 4)
		ret = corrupt(argv[3]);
	else
		ret = 2;
	fsync(fd);
	ioctl(fd, BLKFLSBUF, 0);
	close(fd);
	return ret;
}
