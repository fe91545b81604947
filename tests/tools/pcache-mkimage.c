// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-mkimage: build a small cache image and apply one named corruption,
 * for the pcache-fsck tests. Every image starts from pc_format_write() on a
 * 512 MiB sparse file (31 segments, data_crc on) and, for most cases, a log
 * written with the library's log writer: kset A (a dirty and a clean key)
 * and kset B (two dirty keys), in cache segment 0, data in another segment.
 *
 * The backing-* cases also write IMAGE.backing, a backing device for C54.
 *
 *   pcache-mkimage IMAGE CASE      build IMAGE with corruption CASE
 *   pcache-mkimage --list          print the cases
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcache.h"
#include "writer.h"

#define IMG_SIZE	(512ULL << 20)
#define SEGS		31U
#define FREE_SEG	10U	/* a segment the writer never uses */

struct img {
	const char *path;
	struct pc_dev *dev;
	struct pc_cache *c;
	struct pc_pos head;	/* key_head after the base log */
	struct pc_pos kset_b;	/* position of the second kset */
	uint32_t data_seg;	/* cache segment holding the base data */
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcache-mkimage: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void check(int ret, const struct pc_err *err, const char *what)
{
	if (ret)
		die("%s: %s", what, err && err->msg[0] ? err->msg :
		    strerror(-ret));
}

static void make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size) || close(fd))
		die("%s: %s", path, strerror(errno));
}

static void wr(struct img *im, uint64_t off, const void *buf, size_t len)
{
	struct pc_err err = { 0 };

	check(pc_dev_write(im->dev, off, buf, len, &err), &err, "write");
}

static void dev_open(struct img *im)
{
	struct pc_err err = { 0 };

	check(pc_dev_open(im->path, PC_OPEN_RDWR, &im->dev, &err), &err,
	      "open");
}

static void format(struct img *im, bool lazy, uint32_t seg_num)
{
	struct pc_format_opts o = { .data_crc = true, .lazy = lazy,
				    .gc_percent = 70, .seg_num = seg_num };
	struct pc_layout l;
	struct pc_err err = { 0 };

	make_file(im->path, IMG_SIZE);
	dev_open(im);
	check(pc_format_plan(IMG_SIZE, &o, &l, &err), &err, "plan");
	check(pc_format_write(im->dev, &l, &o, &err), &err, "format");
}

/* ---- records ----------------------------------------------------------- */

static void put_info(struct img *im, int slot, uint8_t seq, uint32_t seg_id,
		     uint32_t n_segs, uint32_t flags)
{
	struct pcd_cache_info ci;

	pc_encode_info(&ci, seq, seg_id, n_segs, flags);
	wr(im, PCD_INFO_OFF + slot * PCD_INFO_STRIDE, &ci, sizeof(ci));
}

static uint32_t base_flags(void)
{
	return pcd_info_flags(1, 70, PCD_MODE_WRITEBACK);
}

static void put_seginfo(struct img *im, uint32_t phys, int slot, uint8_t seq,
			uint32_t flags, uint32_t next)
{
	struct pcd_seg_info si;

	pc_encode_seg_info(&si, seq, flags, next);
	wr(im, pcd_seg_offset(phys) + slot * PCD_SEG_INFO_STRIDE, &si,
	   sizeof(si));
}

static void put_gen(struct img *im, uint32_t phys, int slot, uint8_t seq,
		    uint64_t gen)
{
	struct pcd_seg_gen g;

	pc_encode_gen(&g, seq, gen);
	wr(im, pcd_seg_offset(phys) + PCD_SEG_CTRL_OFF +
	   slot * PCD_SEG_GEN_STRIDE, &g, sizeof(g));
}

static void put_pos(struct img *im, int which, int slot, uint8_t seq,
		    uint32_t seg, uint32_t off)
{
	struct pcd_pos p;

	pc_encode_pos(&p, seq, (struct pc_pos){ seg, off });
	wr(im, (which ? PCD_DIRTY_TAIL_OFF : PCD_KEY_TAIL_OFF) +
	   slot * PCD_POS_STRIDE, &p, sizeof(p));
}

static void put_sb(struct img *im, uint32_t seg_num, uint32_t flags)
{
	struct pcd_superblock sb;

	pc_encode_sb(&sb, seg_num, flags);
	wr(im, PCD_SB_OFF, &sb, sizeof(sb));
}

static void garbage(struct img *im, uint64_t off, size_t len)
{
	uint8_t b[24];

	memset(b, 0xA5, sizeof(b));
	wr(im, off, b, len);
}

static void zero(struct img *im, uint64_t off, size_t len)
{
	struct pc_err err = { 0 };

	check(pc_dev_zero(im->dev, off, len, &err), &err, "zero");
}

static void flip(struct img *im, uint64_t off)
{
	struct pc_err err = { 0 };
	uint8_t b;

	check(pc_dev_read(im->dev, off, &b, 1, &err), &err, "read");
	b ^= 0x40;
	wr(im, off, &b, 1);
}

/* ---- the base log ------------------------------------------------------ */

static void fill(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((seed * 131 + i * 7) ^ (i >> 9));
}

static void put_data(struct pc_writer *w, uint64_t off, uint32_t len,
		     uint32_t flags)
{
	static uint8_t buf[1 << 16];
	struct pc_err err = { 0 };

	fill(buf, len, off);
	check(pc_writer_write(w, off, buf, len, flags, &err), &err,
	      "writer write");
}

static void open_cache(struct img *im)
{
	struct pc_err err = { 0 };

	if (im->c)
		pc_cache_free(im->c);
	check(pc_cache_open(im->dev, &im->c, &err), &err, "cache open");
}

/* @ksets: 1 or 2 */
static void base_log(struct img *im, int ksets)
{
	struct pc_err err = { 0 };
	struct pc_writer *w;
	struct pcd_key k;

	open_cache(im);
	check(pc_writer_open(im->c, &w, &err), &err, "writer open");
	put_data(w, 0, 65536, 0);
	put_data(w, 1 << 20, 8192, PCD_KEY_F_CLEAN);
	check(pc_writer_flush(w, &err), &err, "flush");
	im->kset_b = pc_writer_head(w);
	if (ksets > 1) {
		put_data(w, 4 << 20, 16384, 0);
		put_data(w, (8 << 20) + 4096, 4096, 0);
		check(pc_writer_flush(w, &err), &err, "flush");
	}
	im->head = pc_writer_head(w);
	pc_writer_free(w);
	check(pc_dev_read(im->dev, pcd_data_offset(0, PCD_KSET_HDR_SIZE), &k,
			  sizeof(k), &err), &err, "read key");
	im->data_seg = k.cache_seg_id;
}

static void base(struct img *im)
{
	format(im, false, 0);
	base_log(im, 2);
}

/* Generation 2 everywhere before the log is written (keys carry 2). */
static void base_gen2(struct img *im)
{
	format(im, false, 0);
	for (uint32_t p = 0; p < SEGS; p++)
		put_gen(im, p, 0, 2, 2);
	base_log(im, 2);
}

/* ---- hand-made ksets at key_head ---------------------------------------- */

/* A key over fresh data in cache segment @seg at @seg_off. */
static struct pcd_key data_key(struct img *im, uint64_t off, uint32_t len,
			       uint32_t seg, uint32_t seg_off)
{
	static uint8_t buf[1 << 16];
	struct pcd_key k = { .off = off, .len = len, .cache_seg_id = seg,
			     .cache_seg_off = seg_off };
	uint32_t n = len < sizeof(buf) ? len : sizeof(buf);

	fill(buf, n, off ^ seg_off);
	if (seg < SEGS && (uint64_t)seg_off + n <= PCD_SEG_DATA_SIZE) {
		wr(im, pcd_data_offset(seg, seg_off), buf, n);
		k.data_crc = pc_crc32c(PCD_CRC_SEED, buf, n);
	}
	return k;
}

static void append(struct img *im, const struct pcd_key *keys, uint32_t n,
		   uint64_t flags_or)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX + PCD_KSET_HDR_SIZE];
	struct pcd_kset *ks = (void *)buf;
	uint32_t size, room = PCD_SEG_DATA_SIZE - im->head.off;

	memset(buf, 0, sizeof(buf));
	if (n)
		memcpy(ks->keys, keys, n * sizeof(*keys));
	size = pc_encode_kset(buf, n, false);
	if (flags_or) {
		ks->flags |= flags_or;
		ks->crc = pc_meta_crc(buf, size);
	}
	/* never past the data area: a kset may be made not to fit */
	wr(im, pcd_data_offset(im->head.seg, im->head.off), buf,
	   size + PCD_KSET_HDR_SIZE < room ? size + PCD_KSET_HDR_SIZE : room);
	im->head.off += size;
}

static void append_last(struct img *im, uint32_t next)
{
	uint8_t buf[2 * PCD_KSET_HDR_SIZE] = { 0 };

	pc_encode_kset(buf, next, true);
	wr(im, pcd_data_offset(im->head.seg, im->head.off), buf, sizeof(buf));
}

static void one_key(struct img *im, struct pcd_key k)
{
	append(im, &k, 1, 0);
}

static struct pcd_key free_key(struct img *im)
{
	return data_key(im, 32 << 20, 4096, FREE_SEG, 0);
}

/* ---- the cases --------------------------------------------------------- */

static void c_clean(struct img *im) { base(im); }
static void c_lazy(struct img *im) { format(im, true, 0); }
static void c_fresh(struct img *im) { format(im, false, 0); }
static void c_unused(struct img *im) { format(im, false, 20); base_log(im, 2); }

static void c_zeros(struct img *im)
{
	make_file(im->path, IMG_SIZE);
	dev_open(im);
}

static void c_tiny(struct img *im)
{
	make_file(im->path, 100);
	dev_open(im);
}

static void c_small(struct img *im)
{
	base(im);
	check(truncate(im->path, 256 << 20) ? -errno : 0, NULL, "truncate");
}

static void c_sb_zero(struct img *im) { base(im); zero(im, PCD_SB_OFF, 24); }
static void c_sb_magic(struct img *im) { base(im); flip(im, PCD_SB_OFF + 9); }
static void c_sb_crc(struct img *im) { base(im); flip(im, PCD_SB_OFF); }
/*
 * Byte-swap the native fields of a dual-slot record of @size bytes at @off
 * (the meta header, then @n32 32-bit and @n64 64-bit fields) and re-seal
 * its CRC, stored big-endian too. Never-written (all-zero) slots stay.
 */
static void swap_rec(struct img *im, uint64_t off, unsigned int size,
		     unsigned int n32, unsigned int n64)
{
	static const uint8_t zeros[24];
	struct pc_err err = { 0 };
	uint8_t raw[24];
	struct pcd_meta_hdr *h = (void *)raw;

	check(pc_dev_read(im->dev, off, raw, size, &err), &err, "read");
	if (!memcmp(raw, zeros, size))
		return;
	h->res = pcd_swap16(h->res);
	for (unsigned int i = 0; i < n32; i++) {
		uint32_t v;

		memcpy(&v, raw + 8 + 4 * i, 4);
		v = pcd_swap32(v);
		memcpy(raw + 8 + 4 * i, &v, 4);
	}
	for (unsigned int i = 0; i < n64; i++) {
		uint64_t v;

		memcpy(&v, raw + 8 + 4 * n32 + 8 * i, 8);
		v = pcd_swap64(v);
		memcpy(raw + 8 + 4 * n32 + 8 * i, &v, 8);
	}
	h->crc = pcd_swap32(pc_meta_crc(raw, size));
	wr(im, off, raw, size);
}

static void swap_key(struct pcd_key *k)
{
	k->off = pcd_swap64(k->off);
	k->len = pcd_swap32(k->len);
	k->flags = pcd_swap32(k->flags);
	k->cache_seg_id = pcd_swap32(k->cache_seg_id);
	k->cache_seg_off = pcd_swap32(k->cache_seg_off);
	k->seg_gen = pcd_swap64(k->seg_gen);
	k->data_crc = pcd_swap32(k->data_crc);
	k->reserved = pcd_swap32(k->reserved);
}

/* The base log (one segment, key_tail at 0:0 up to key_head), swapped. */
static void swap_log(struct img *im)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX];
	struct pcd_kset *ks = (void *)buf;
	uint64_t base = pcd_data_offset((uint32_t)pc_cache_phys(im->c, 0), 0);
	struct pc_err err = { 0 };
	uint32_t off = 0, size, n;

	while (off < im->head.off) {
		check(pc_dev_read(im->dev, base + off, buf, PCD_KSET_HDR_SIZE,
				  &err), &err, "read kset");
		n = ks->key_num;
		if (n > PCD_KSET_KEYS_MAX || (ks->flags & PCD_KSET_F_LAST))
			die("swap_log: unexpected kset at 0:%u", off);
		size = pcd_kset_size(n);
		check(pc_dev_read(im->dev, base + off, buf, size, &err), &err,
		      "read kset");
		for (uint32_t i = 0; i < n; i++)
			swap_key(&ks->keys[i]);
		ks->key_num = pcd_swap32(ks->key_num);
		ks->magic = pcd_swap64(ks->magic);
		ks->flags = pcd_swap64(ks->flags);
		ks->crc = pcd_swap32(pc_meta_crc(buf, size));
		wr(im, base + off, buf, size);
		off += size;
	}
}

/*
 * The base image as a big-endian host writes it: every native field
 * byte-swapped, CRCs re-sealed in big-endian order, BIGENDIAN set.
 */
static void c_sb_endian(struct img *im)
{
	base(im);
	for (int i = 0; i < PCD_SLOTS; i++) {
		swap_rec(im, PCD_INFO_OFF + i * PCD_INFO_STRIDE, 24, 4, 0);
		swap_rec(im, PCD_KEY_TAIL_OFF + i * PCD_POS_STRIDE, 16, 2, 0);
		swap_rec(im, PCD_DIRTY_TAIL_OFF + i * PCD_POS_STRIDE, 16, 2, 0);
	}
	for (uint32_t p = 0; p < SEGS; p++) {
		uint64_t seg = pcd_seg_offset(p);

		for (int i = 0; i < PCD_SLOTS; i++) {
			swap_rec(im, seg + i * PCD_SEG_INFO_STRIDE, 16, 2, 0);
			swap_rec(im, seg + PCD_SEG_CTRL_OFF +
				 i * PCD_SEG_GEN_STRIDE, 16, 0, 1);
		}
	}
	swap_log(im);
	put_sb(im, SEGS, 1);
}
static void c_sb_flags(struct img *im) { base(im); put_sb(im, SEGS, 0x20); }
static void c_sb_seg_num(struct img *im) { base(im); put_sb(im, 1000, 0); }

static void c_info_none(struct img *im)
{
	base(im);
	flip(im, PCD_INFO_OFF + PCD_INFO_STRIDE + 12);
}

static void c_info_none_fresh(struct img *im)
{
	format(im, false, 0);
	zero(im, PCD_HDR_ZERO_START, PCD_HDR_ZERO_END - PCD_HDR_ZERO_START);
	for (uint32_t p = 0; p < SEGS; p++)
		zero(im, pcd_seg_offset(p), PCD_SEG_DATA_OFF);
}

static void c_info_torn(struct img *im)
{
	base(im);
	put_info(im, 0, 2, 0, SEGS, base_flags());
	flip(im, PCD_INFO_OFF + 16);
}

static void c_info_seq(struct img *im)
{
	base(im);
	put_info(im, 0, 5, 0, SEGS, base_flags());
}

static void c_info_noinit(struct img *im)
{
	base(im);
	put_info(im, 1, 1, 0, SEGS, base_flags() & ~PCD_INFO_F_INIT_DONE);
}

static void c_nsegs_zero(struct img *im) { base(im); put_info(im, 1, 1, 0, 0, base_flags()); }
static void c_nsegs_big(struct img *im) { base(im); put_info(im, 1, 1, 0, SEGS + 5, base_flags()); }
static void c_nsegs_small(struct img *im) { base(im); put_info(im, 1, 1, 0, SEGS - 1, base_flags()); }
static void c_info_mode(struct img *im) { base(im); put_info(im, 1, 1, 0, SEGS, base_flags() | 1 << PCD_INFO_MODE_SHIFT); }

static void c_info_gc(struct img *im)
{
	base(im);
	put_info(im, 1, 1, 0, SEGS, pcd_info_flags(1, 120, 0));
}

static void c_info_reserved(struct img *im)
{
	base(im);
	put_info(im, 1, 1, 0, SEGS, base_flags() | 0x100000);
}

static void c_info_stride(struct img *im)
{
	struct pcd_cache_info ci;

	base(im);
	pc_encode_info(&ci, 3, 0, SEGS, base_flags());
	wr(im, PCD_INFO_OFF + sizeof(ci), &ci, sizeof(ci));
}

static void c_chain_range(struct img *im) { base(im); put_info(im, 1, 1, 500, SEGS, base_flags()); }

static void c_seginfo_none(struct img *im)
{
	base(im);
	garbage(im, pcd_seg_offset(3), 16);
	garbage(im, pcd_seg_offset(3) + PCD_SEG_INFO_STRIDE, 16);
}

static void c_chain_short(struct img *im) { base(im); zero(im, pcd_seg_offset(5), 16); }
static void c_chain_dup(struct img *im) { base(im); put_seginfo(im, 5, 0, 2, 0x3, 2); }
static void c_chain_last_next(struct img *im) { base(im); put_seginfo(im, SEGS - 1, 0, 2, 0x3, 0); }
static void c_seginfo_type(struct img *im) { base(im); put_seginfo(im, 4, 0, 2, 0x5, 5); }
static void c_seginfo_torn(struct img *im) { base(im); garbage(im, pcd_seg_offset(4) + PCD_SEG_INFO_STRIDE, 16); }
static void c_seginfo_seq(struct img *im) { base(im); put_seginfo(im, 4, 1, 10, 0x3, 5); }

static void c_seginfo_stride(struct img *im)
{
	struct pcd_seg_info si;

	base(im);
	pc_encode_seg_info(&si, 3, 0x3, 5);
	wr(im, pcd_seg_offset(4) + sizeof(si), &si, sizeof(si));
}

static void c_gen_none(struct img *im) { base(im); zero(im, pcd_seg_offset(FREE_SEG) + PCD_SEG_CTRL_OFF, 32); }

static void c_gen_none_used(struct img *im)
{
	base_gen2(im);
	zero(im, pcd_seg_offset(im->data_seg) + PCD_SEG_CTRL_OFF, 32);
}

static void c_gen_torn(struct img *im) { base(im); garbage(im, pcd_seg_offset(FREE_SEG) + PCD_SEG_CTRL_OFF, 16); }
static void c_gen_seq(struct img *im) { base(im); put_gen(im, FREE_SEG, 0, 7, 0); }

static void c_tail_none(struct img *im)
{
	base(im);
	garbage(im, PCD_KEY_TAIL_OFF, 16);
	garbage(im, PCD_KEY_TAIL_OFF + PCD_POS_STRIDE, 16);
}

static void c_tail_torn(struct img *im) { base(im); garbage(im, PCD_KEY_TAIL_OFF + PCD_POS_STRIDE, 16); }
static void c_tail_range(struct img *im) { base(im); put_pos(im, 0, 0, 1, 100, 0); }

static void c_tail_align(struct img *im)
{
	base(im);
	put_pos(im, 0, 0, 1, 0, 4);
	put_pos(im, 1, 0, 1, 0, 4);
}

static void c_tail_drift(struct img *im) { base(im); put_pos(im, 0, 1, 71, 0, 0); }

static void c_tail_stale(struct img *im)
{
	base(im);
	put_pos(im, 0, 1, 129, im->kset_b.seg, im->kset_b.off);
}

static void c_dlog_walk(struct img *im)
{
	base(im);
	im->head = (struct pc_pos){ FREE_SEG + 1, 0 };
	append_last(im, 200);
	put_pos(im, 1, 0, 1, FREE_SEG + 1, 0);
}

static void c_log_next(struct img *im) { base(im); append_last(im, 200); }
static void c_log_loop(struct img *im) { base(im); append_last(im, 0); }

/* The log starts at kset B and its LAST kset leads back to offset 0 of
 * the same segment, where the log ends (kset A's header zeroed). */
static void c_log_reenter(struct img *im)
{
	base(im);
	append_last(im, 0);
	zero(im, pcd_data_offset(0, 0), PCD_KSET_HDR_SIZE);
	put_pos(im, 0, 1, 2, im->kset_b.seg, im->kset_b.off);
	put_pos(im, 1, 1, 2, im->kset_b.seg, im->kset_b.off);
}

static void c_dtail_behind(struct img *im)
{
	base(im);
	put_pos(im, 0, 1, 2, im->kset_b.seg, im->kset_b.off);
}

static void c_dtail_off(struct img *im) { base(im); put_pos(im, 1, 1, 2, 0, 8); }

static void c_log_nofit(struct img *im)
{
	struct pcd_key k[3];

	base(im);
	for (int i = 0; i < 3; i++)
		k[i] = free_key(im);
	im->head = (struct pc_pos){ FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104 };
	append(im, k, 3, 0);
	put_pos(im, 0, 1, 2, FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104);
	put_pos(im, 1, 1, 2, FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104);
}

/* As log-nofit, but the key past the segment's end is zeros: the CRC then
 * passes over the kernel's zero-filled buffer (docs/format-errata.md E1). */
static void c_log_overrun(struct img *im)
{
	struct pcd_key k[3] = { { 0 } };

	base(im);
	for (int i = 0; i < 2; i++)
		k[i] = free_key(im);
	im->head = (struct pc_pos){ FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104 };
	append(im, k, 3, 0);
	put_pos(im, 0, 1, 2, FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104);
	put_pos(im, 1, 1, 2, FREE_SEG + 2, PCD_SEG_DATA_SIZE - 104);
}

/*
 * docs/format-errata.md E1 past key_tail: kset P (3 keys) at key_tail, then
 * kset X at @x_end bytes before the data area's end. Upstream's buffer
 * still holds P's bytes past X's own, so X's header and CRC are made over
 * X's own bytes followed by P's (X's keys are P's keys): upstream
 * refuses the cache (H9), a reader of X's own bytes ends the log at X.
 */
static void overrun_after(struct img *im, uint32_t x_end)
{
	static uint8_t buf[PCD_KSET_HDR_SIZE + 3 * PCD_KEY_SIZE];
	uint32_t seg = FREE_SEG + 2, size = sizeof(buf);
	uint32_t p_off = PCD_SEG_DATA_SIZE - x_end - size;
	struct pcd_kset *ks = (void *)buf;
	struct pc_err err = { 0 };
	struct pcd_key k[3];

	base(im);
	for (uint32_t i = 0; i < 3; i++)
		k[i] = data_key(im, (32 << 20) + i * 4096, 4096, FREE_SEG,
				i * 4096);
	im->head = (struct pc_pos){ seg, p_off };
	append(im, k, 3, 0);
	/* the buffer upstream judges X from: P's bytes, X's own over them */
	check(pc_dev_read(im->dev, pcd_data_offset(seg, p_off), buf, size,
			  &err), &err, "read");
	if (x_end >= PCD_KSET_HDR_SIZE) {
		pc_encode_kset(buf, 3, false);
	} else {
		ks->key_num = 3;
		ks->magic = PCD_KSET_MAGIC;
		ks->crc = pc_meta_crc(buf, size);
	}
	wr(im, pcd_data_offset(seg, im->head.off), buf, x_end);
	put_pos(im, 0, 1, 2, seg, p_off);
	put_pos(im, 1, 1, 2, seg, p_off);
}

/* X's keys do not fit (104 bytes left). */
static void c_log_overrun_mid(struct img *im) { overrun_after(im, 104); }
/* X's header does not fit (16 bytes left): its flags are P's (0). */
static void c_log_hdr_overrun_mid(struct img *im) { overrun_after(im, 16); }

/* P ends exactly at the data area's end: with 0 bytes left upstream judges
 * P's bytes again at the next position, and refuses. */
static void c_log_end_exact(struct img *im) { overrun_after(im, 0); }

static void c_log_torn(struct img *im)
{
	struct pc_pos at;

	base(im);
	at = im->head;
	one_key(im, free_key(im));
	flip(im, pcd_data_offset(at.seg, at.off) + 30);
}

static void c_log_truncated(struct img *im)
{
	base(im);
	flip(im, pcd_data_offset(0, 0) + 30);
}

static void c_kset_empty(struct img *im) { base(im); append(im, NULL, 0, 0); }
static void c_kset_flags(struct img *im) { base(im); struct pcd_key k = free_key(im); append(im, &k, 1, 0x10); }

static void c_key_mod(struct img *im, uint32_t flags, uint64_t off,
		      uint32_t len, uint32_t seg_off, uint32_t reserved)
{
	struct pcd_key k;

	base(im);
	k = data_key(im, off, len, FREE_SEG, seg_off);
	k.flags = flags;
	k.reserved = reserved;
	one_key(im, k);
}

static void c_key_len0(struct img *im) { c_key_mod(im, 0, 0, 0, 0, 0); }
static void c_key_backing(struct img *im) { c_key_mod(im, 0, 300 << 20, 4096, 0, 0); }
static void c_key_empty(struct img *im) { c_key_mod(im, PCD_KEY_F_EMPTY, 40 << 20, 4096, 0, 0); }
static void c_key_flags(struct img *im) { c_key_mod(im, 0x10, 40 << 20, 4096, 0, 0); }
static void c_key_align(struct img *im) { c_key_mod(im, 0, (40 << 20) + 100, 4096, 0, 0); }
static void c_key_subtree(struct img *im) { c_key_mod(im, 0, (44 << 20) - 4096, 8192, 0, 0); }
static void c_key_seg_off_align(struct img *im) { c_key_mod(im, 0, 40 << 20, 4096, 100, 0); }
static void c_key_reserved(struct img *im) { c_key_mod(im, 0, 40 << 20, 4096, 0, 7); }

static void c_key_seg_id(struct img *im)
{
	struct pcd_key k;

	base(im);
	k = free_key(im);
	k.cache_seg_id = 100;
	one_key(im, k);
}

static void c_key_seg_overflow(struct img *im)
{
	struct pcd_key k;

	base(im);
	k = free_key(im);
	k.cache_seg_off = PCD_SEG_DATA_SIZE - 512;
	one_key(im, k);
}

static void c_key_data_crc(struct img *im)
{
	base(im);
	flip(im, pcd_data_offset(im->data_seg, 100));
}

static void c_stale_tail(struct img *im)
{
	format(im, false, 0);
	base_log(im, 1);
	put_gen(im, im->data_seg, 0, 2, 1);
}

static void c_stale(struct img *im)
{
	base(im);
	put_gen(im, im->data_seg, 0, 2, 1);
}

static void c_gen_ahead(struct img *im)
{
	base_gen2(im);
	put_gen(im, im->data_seg, 1, 3, 1);
}

static void c_key_in_key_seg(struct img *im)
{
	base(im);
	one_key(im, data_key(im, 40 << 20, 4096, 0, 8 << 20));
}

static void c_key_overlap(struct img *im)
{
	struct pcd_key k[2];

	base(im);
	k[0] = data_key(im, 40 << 20, 8192, FREE_SEG, 0);
	k[1] = data_key(im, 48 << 20, 4096, FREE_SEG, 4096);
	k[0].data_crc = 0;
	{
		/* k[1] rewrote the second half of k[0]'s data */
		struct pc_err err = { 0 };
		uint8_t buf[8192];

		check(pc_dev_read(im->dev, pcd_data_offset(FREE_SEG, 0), buf,
				  sizeof(buf), &err), &err, "read");
		k[0].data_crc = pc_crc32c(PCD_CRC_SEED, buf, sizeof(buf));
	}
	append(im, k, 2, 0);
}

/*
 * A backing device (IMAGE.backing, 256 MiB) for C54, with dirty_tail moved
 * to kset B: kset A (dirty 0+65536, clean 1 MiB+8192) is written back and
 * must match; kset B stays dirty and is left out (zeros). With @poke, one
 * byte of the clean extent differs.
 */
static void backing(struct img *im, bool poke)
{
	static uint8_t buf[1 << 16];
	char path[4096];
	int fd;

	base(im);
	put_pos(im, 1, 1, 2, im->kset_b.seg, im->kset_b.off);
	snprintf(path, sizeof(path), "%s.backing", im->path);
	make_file(path, 256 << 20);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	fill(buf, 65536, 0);
	if (pwrite(fd, buf, 65536, 0) != 65536)
		die("%s: write failed", path);
	fill(buf, 8192, 1 << 20);
	if (poke)
		buf[4097] ^= 0x01;
	if (pwrite(fd, buf, 8192, 1 << 20) != 8192 || close(fd))
		die("%s: write failed", path);
}

static void c_backing_ok(struct img *im) { backing(im, false); }
static void c_backing_diff(struct img *im) { backing(im, true); }

static const struct mkcase {
	const char *name;
	void (*fn)(struct img *im);
} cases[] = {
	{ "clean", c_clean }, { "fresh", c_fresh }, { "lazy", c_lazy },
	{ "unused", c_unused }, { "zeros", c_zeros }, { "tiny", c_tiny },
	{ "small", c_small }, { "sb-zero", c_sb_zero },
	{ "sb-magic", c_sb_magic }, { "sb-crc", c_sb_crc },
	{ "sb-endian", c_sb_endian }, { "sb-flags", c_sb_flags },
	{ "sb-seg-num", c_sb_seg_num }, { "info-none", c_info_none },
	{ "info-none-fresh", c_info_none_fresh },
	{ "info-torn", c_info_torn }, { "info-seq", c_info_seq },
	{ "info-noinit", c_info_noinit }, { "nsegs-zero", c_nsegs_zero },
	{ "nsegs-big", c_nsegs_big }, { "nsegs-small", c_nsegs_small },
	{ "info-mode", c_info_mode }, { "info-gc", c_info_gc },
	{ "info-reserved", c_info_reserved },
	{ "info-stride", c_info_stride }, { "chain-range", c_chain_range },
	{ "seginfo-none", c_seginfo_none }, { "chain-short", c_chain_short },
	{ "chain-dup", c_chain_dup }, { "chain-last-next", c_chain_last_next },
	{ "seginfo-type", c_seginfo_type }, { "seginfo-torn", c_seginfo_torn },
	{ "seginfo-seq", c_seginfo_seq },
	{ "seginfo-stride", c_seginfo_stride }, { "gen-none", c_gen_none },
	{ "gen-none-used", c_gen_none_used }, { "gen-torn", c_gen_torn },
	{ "gen-seq", c_gen_seq }, { "tail-none", c_tail_none },
	{ "tail-torn", c_tail_torn }, { "tail-range", c_tail_range },
	{ "tail-align", c_tail_align }, { "tail-drift", c_tail_drift },
	{ "tail-stale", c_tail_stale }, { "dlog-walk", c_dlog_walk },
	{ "log-next", c_log_next }, { "log-loop", c_log_loop },
	{ "log-reenter", c_log_reenter },
	{ "log-overrun-mid", c_log_overrun_mid },
	{ "log-hdr-overrun-mid", c_log_hdr_overrun_mid },
	{ "log-end-exact", c_log_end_exact },
	{ "dtail-behind", c_dtail_behind }, { "dtail-off", c_dtail_off },
	{ "log-nofit", c_log_nofit }, { "log-overrun", c_log_overrun },
	{ "log-torn", c_log_torn },
	{ "log-truncated", c_log_truncated }, { "kset-empty", c_kset_empty },
	{ "kset-flags", c_kset_flags }, { "key-len0", c_key_len0 },
	{ "key-backing", c_key_backing }, { "key-seg-id", c_key_seg_id },
	{ "key-seg-overflow", c_key_seg_overflow },
	{ "key-data-crc", c_key_data_crc }, { "key-empty", c_key_empty },
	{ "key-flags", c_key_flags }, { "key-align", c_key_align },
	{ "key-subtree", c_key_subtree },
	{ "key-seg-off-align", c_key_seg_off_align },
	{ "stale-tail", c_stale_tail }, { "stale", c_stale },
	{ "gen-ahead", c_gen_ahead }, { "key-in-key-seg", c_key_in_key_seg },
	{ "key-overlap", c_key_overlap }, { "key-reserved", c_key_reserved },
	{ "backing-ok", c_backing_ok }, { "backing-diff", c_backing_diff },
};

int main(int argc, char **argv)
{
	struct img im = { 0 };
	struct pc_err err = { 0 };

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			puts(cases[i].name);
		return 0;
	}
	if (argc != 3)
		die("usage: pcache-mkimage IMAGE CASE | --list");
	im.path = argv[1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, argv[2]))
			continue;
		cases[i].fn(&im);
		if (im.dev)
			check(pc_dev_flush(im.dev, &err), &err, "flush");
		pc_cache_free(im.c);
		pc_dev_close(im.dev);
		return 0;
	}
	die("unknown case '%s' (see --list)", argv[2]);
	return 1;
}
