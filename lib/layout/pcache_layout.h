/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pcache_layout.h - the dm-pcache on-media format, in one place.
 *
 * This header is shared verbatim by libpcache (userspace) and by our kernel
 * target in kernel/. It must therefore use nothing from libc: only the
 * fixed-width types of <linux/types.h> and compiler built-ins.
 *
 * Every structure below is the exact byte image found on the cache device.
 * Offsets are asserted explicitly rather than trusted to the compiler.
 * Only the superblock is little-endian by definition; every other field is
 * in the byte order of the host that formatted the device, recorded by
 * PCD_SB_F_BIGENDIAN (see docs/FORMAT.md, section 1.1).
 */
#ifndef PCACHE_LAYOUT_H
#define PCACHE_LAYOUT_H

#include <linux/types.h>

/* ---- Device map ------------------------------------------------------- */

#define PCD_SB_OFF		4096ULL
#define PCD_SB_AREA		4096ULL
#define PCD_INFO_OFF		8192ULL
#define PCD_INFO_STRIDE		4096ULL
#define PCD_CTRL_OFF		16384ULL
#define PCD_CTRL_AREA		4096ULL
#define PCD_KEY_TAIL_OFF	16384ULL
#define PCD_DIRTY_TAIL_OFF	16416ULL
#define PCD_POS_STRIDE		16ULL
#define PCD_SEGS_OFF		20480ULL

/* The kernel zeroes this range when it formats: both cache_info slots and the
 * whole control area. */
#define PCD_HDR_ZERO_START	8192ULL
#define PCD_HDR_ZERO_END	20480ULL

/* ---- Segment map ------------------------------------------------------ */

#define PCD_SEG_SIZE		16777216ULL
#define PCD_SEG_INFO_STRIDE	4096ULL
#define PCD_SEG_CTRL_OFF	8192ULL
#define PCD_SEG_GEN_STRIDE	16ULL
#define PCD_SEG_DATA_OFF	12288ULL
#define PCD_SEG_DATA_SIZE	16764928U
/* Bytes the kernel zeroes when it initialises a segment, terminator included */
#define PCD_SEG_INIT_ZERO	12312ULL

#define PCD_DEV_SIZE_MIN	536870912ULL
#define PCD_SEGS_MAX		1048576U

/* ---- Magic numbers and limits ----------------------------------------- */

#define PCD_SB_MAGIC		0x65B05EFA96C596EFULL
#define PCD_KSET_MAGIC		0x676894A64E164F1AULL
#define PCD_CRC_SEED		0x0003B15AU
#define PCD_SLOTS		2
#define PCD_KSET_KEYS_MAX	128U
#define PCD_KSET_HDR_SIZE	24U
#define PCD_KEY_SIZE		40U
#define PCD_KSET_SIZE_MAX	(PCD_KSET_HDR_SIZE + PCD_KSET_KEYS_MAX * PCD_KEY_SIZE)
#define PCD_SUBTREE_SIZE	4194304ULL
#define PCD_KEY_LEN_MAX		PCD_SUBTREE_SIZE
#define PCD_SECTOR_SIZE		512U

#define PCD_GC_PERCENT_DEFAULT	70U
#define PCD_GC_PERCENT_MAX	90U

/* ---- Flags ------------------------------------------------------------ */

#define PCD_SB_F_BIGENDIAN	0x00000001U

#define PCD_INFO_F_DATA_CRC	0x00000001U
#define PCD_INFO_F_INIT_DONE	0x00000002U
#define PCD_INFO_MODE_SHIFT	2
#define PCD_INFO_MODE_MASK	0x0000003CU
#define PCD_INFO_GC_SHIFT	6
#define PCD_INFO_GC_MASK	0x00001FC0U
#define PCD_INFO_F_UNUSED	0xFFFFE000U

#define PCD_MODE_WRITEBACK	0U
#define PCD_MODE_WRITETHROUGH	1U
#define PCD_MODE_WRITEAROUND	2U
#define PCD_MODE_WRITEONLY	3U

#define PCD_SEGI_F_HAS_NEXT	0x00000001U
#define PCD_SEGI_TYPE_SHIFT	1
#define PCD_SEGI_TYPE_MASK	0x0000001EU
#define PCD_SEGI_F_UNUSED	0xFFFFFFE0U
#define PCD_SEG_TYPE_DATA	1U

#define PCD_KSET_F_LAST		0x0000000000000001ULL

#define PCD_KEY_F_EMPTY		0x00000001U
#define PCD_KEY_F_CLEAN		0x00000002U
#define PCD_KEY_F_UNKNOWN	0xFFFFFFFCU

/* ---- Structures ------------------------------------------------------- */

/* Header of every dual-slot record; the CRC covers bytes 4 .. size-1. */
struct pcd_meta_hdr {
	__u32 crc;
	__u8 seq;
	__u8 version;
	__u16 res;
};

/* Single copy at PCD_SB_OFF. Little-endian fields; CRC covers bytes 4..23,
 * the alignment padding included. */
struct pcd_superblock {
	__le32 crc;
	__le32 flags;
	__le64 magic;
	__le32 seg_num;
	__u32 padding;
};

struct pcd_cache_info {
	struct pcd_meta_hdr hdr;
	__u32 seg_id;		/* physical id of the first chain segment */
	__u32 n_segs;
	__u32 flags;
	__u32 reserved;
};

/* A log position: key_tail or dirty_tail. */
struct pcd_pos {
	struct pcd_meta_hdr hdr;
	__u32 cache_seg_id;	/* chain index */
	__u32 seg_off;		/* offset in the data area */
};

struct pcd_seg_info {
	struct pcd_meta_hdr hdr;
	__u32 flags;
	__u32 next_seg;		/* physical id, meaningful with HAS_NEXT */
};

struct pcd_seg_gen {
	struct pcd_meta_hdr hdr;
	__u64 gen;
};

struct pcd_key {
	__u64 off;
	__u32 len;
	__u32 flags;
	__u32 cache_seg_id;
	__u32 cache_seg_off;
	__u64 seg_gen;
	__u32 data_crc;
	__u32 reserved;
};

/* A LAST kset reuses key_num as the chain index where the log goes on. */
struct pcd_kset {
	__u32 crc;
	__u32 key_num;
	__u64 magic;
	__u64 flags;
	struct pcd_key keys[];
};

/* ---- Layout assertions ------------------------------------------------ */

#define PCD_ASSERT_FIELD(type, field, offset)				\
	_Static_assert(__builtin_offsetof(struct type, field) == (offset),	\
		       #type "." #field " must be at byte " #offset)
#define PCD_ASSERT_SIZE(type, size)					\
	_Static_assert(sizeof(struct type) == (size),			\
		       "struct " #type " must be " #size " bytes")

PCD_ASSERT_SIZE(pcd_meta_hdr, 8);
PCD_ASSERT_FIELD(pcd_meta_hdr, crc, 0);
PCD_ASSERT_FIELD(pcd_meta_hdr, seq, 4);
PCD_ASSERT_FIELD(pcd_meta_hdr, version, 5);
PCD_ASSERT_FIELD(pcd_meta_hdr, res, 6);

PCD_ASSERT_SIZE(pcd_superblock, 24);
PCD_ASSERT_FIELD(pcd_superblock, crc, 0);
PCD_ASSERT_FIELD(pcd_superblock, flags, 4);
PCD_ASSERT_FIELD(pcd_superblock, magic, 8);
PCD_ASSERT_FIELD(pcd_superblock, seg_num, 16);
PCD_ASSERT_FIELD(pcd_superblock, padding, 20);

PCD_ASSERT_SIZE(pcd_cache_info, 24);
PCD_ASSERT_FIELD(pcd_cache_info, seg_id, 8);
PCD_ASSERT_FIELD(pcd_cache_info, n_segs, 12);
PCD_ASSERT_FIELD(pcd_cache_info, flags, 16);
PCD_ASSERT_FIELD(pcd_cache_info, reserved, 20);

PCD_ASSERT_SIZE(pcd_pos, 16);
PCD_ASSERT_FIELD(pcd_pos, cache_seg_id, 8);
PCD_ASSERT_FIELD(pcd_pos, seg_off, 12);

PCD_ASSERT_SIZE(pcd_seg_info, 16);
PCD_ASSERT_FIELD(pcd_seg_info, flags, 8);
PCD_ASSERT_FIELD(pcd_seg_info, next_seg, 12);

PCD_ASSERT_SIZE(pcd_seg_gen, 16);
PCD_ASSERT_FIELD(pcd_seg_gen, gen, 8);

PCD_ASSERT_SIZE(pcd_key, 40);
PCD_ASSERT_FIELD(pcd_key, off, 0);
PCD_ASSERT_FIELD(pcd_key, len, 8);
PCD_ASSERT_FIELD(pcd_key, flags, 12);
PCD_ASSERT_FIELD(pcd_key, cache_seg_id, 16);
PCD_ASSERT_FIELD(pcd_key, cache_seg_off, 20);
PCD_ASSERT_FIELD(pcd_key, seg_gen, 24);
PCD_ASSERT_FIELD(pcd_key, data_crc, 32);
PCD_ASSERT_FIELD(pcd_key, reserved, 36);

PCD_ASSERT_SIZE(pcd_kset, 24);
PCD_ASSERT_FIELD(pcd_kset, crc, 0);
PCD_ASSERT_FIELD(pcd_kset, key_num, 4);
PCD_ASSERT_FIELD(pcd_kset, magic, 8);
PCD_ASSERT_FIELD(pcd_kset, flags, 16);
PCD_ASSERT_FIELD(pcd_kset, keys, 24);

_Static_assert(PCD_KSET_SIZE_MAX == 5144, "largest kset is 5144 bytes");
_Static_assert(PCD_SEG_DATA_OFF + PCD_SEG_DATA_SIZE == PCD_SEG_SIZE,
	       "the data area ends the segment");

/* ---- Byte order ------------------------------------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PCD_HOST_BIG_ENDIAN 1
#else
#define PCD_HOST_BIG_ENDIAN 0
#endif

static inline __u16 pcd_swap16(__u16 v) { return __builtin_bswap16(v); }
static inline __u32 pcd_swap32(__u32 v) { return __builtin_bswap32(v); }
static inline __u64 pcd_swap64(__u64 v) { return __builtin_bswap64(v); }

/* Little-endian fields (superblock only). */
static inline __u32 pcd_le32(__le32 v)
{
	return PCD_HOST_BIG_ENDIAN ? pcd_swap32((__u32)v) : (__u32)v;
}

static inline __u64 pcd_le64(__le64 v)
{
	return PCD_HOST_BIG_ENDIAN ? pcd_swap64((__u64)v) : (__u64)v;
}

static inline __le32 pcd_to_le32(__u32 v)
{
	return (__le32)(PCD_HOST_BIG_ENDIAN ? pcd_swap32(v) : v);
}

static inline __le64 pcd_to_le64(__u64 v)
{
	return (__le64)(PCD_HOST_BIG_ENDIAN ? pcd_swap64(v) : v);
}

/* Native fields of an image: swap when the image's order is not the host's. */
static inline __u32 pcd_n32(int swap, __u32 v) { return swap ? pcd_swap32(v) : v; }
static inline __u64 pcd_n64(int swap, __u64 v) { return swap ? pcd_swap64(v) : v; }
static inline __u16 pcd_n16(int swap, __u16 v) { return swap ? pcd_swap16(v) : v; }

/* ---- Pure rules of the format ----------------------------------------- */

/* Device offset of physical segment @phys. */
static inline __u64 pcd_seg_offset(__u32 phys)
{
	return PCD_SEGS_OFF + (__u64)phys * PCD_SEG_SIZE;
}

/* Device offset of data offset @off in physical segment @phys. */
static inline __u64 pcd_data_offset(__u32 phys, __u32 off)
{
	return pcd_seg_offset(phys) + PCD_SEG_DATA_OFF + off;
}

/* seg_num the kernel computes when it formats a device of @size bytes
 * (not capped at PCD_SEGS_MAX; see FORMAT.md 3.4). */
static inline __u64 pcd_segs_for_size(__u64 size)
{
	return size < PCD_SEGS_OFF ? 0 : (size - PCD_SEGS_OFF) / PCD_SEG_SIZE;
}

/* True when seq @a is after seq @b under the 8-bit wraparound rule. */
static inline int pcd_seq_after(__u8 a, __u8 b)
{
	return (__s8)(__u8)(a - b) > 0;
}

/*
 * The reader rule for dual-slot records: returns the slot the kernel uses
 * (0 or 1), or -1 when neither copy is valid.
 */
static inline int pcd_pick_slot(int valid0, __u8 seq0, int valid1, __u8 seq1)
{
	if (valid1 && (!valid0 || pcd_seq_after(seq1, seq0)))
		return 1;
	return valid0 ? 0 : -1;
}

static inline __u32 pcd_kset_size(__u32 key_num)
{
	return PCD_KSET_HDR_SIZE + key_num * PCD_KEY_SIZE;
}

static inline __u32 pcd_info_gc_percent(__u32 flags)
{
	return (flags & PCD_INFO_GC_MASK) >> PCD_INFO_GC_SHIFT;
}

static inline __u32 pcd_info_mode(__u32 flags)
{
	return (flags & PCD_INFO_MODE_MASK) >> PCD_INFO_MODE_SHIFT;
}

static inline __u32 pcd_info_flags(int data_crc, __u32 gc_percent, __u32 mode)
{
	return (data_crc ? PCD_INFO_F_DATA_CRC : 0) | PCD_INFO_F_INIT_DONE |
	       ((mode << PCD_INFO_MODE_SHIFT) & PCD_INFO_MODE_MASK) |
	       ((gc_percent << PCD_INFO_GC_SHIFT) & PCD_INFO_GC_MASK);
}

static inline __u32 pcd_segi_type(__u32 flags)
{
	return (flags & PCD_SEGI_TYPE_MASK) >> PCD_SEGI_TYPE_SHIFT;
}

/* Logical 4 MiB region of a byte offset. */
static inline __u64 pcd_subtree(__u64 off)
{
	return off / PCD_SUBTREE_SIZE;
}

#endif /* PCACHE_LAYOUT_H */
