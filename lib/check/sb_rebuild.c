// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rebuilding a lost superblock, as e2fsck falls back to a backup one. The
 * superblock holds only magic, seg_num, the byte-order flag and a CRC: the
 * magic is a constant, the byte order is the one in which cache_info's CRC
 * validates, and seg_num is cache_info.n_segs (every cache the kernel or
 * pcache-format writes has n_segs = seg_num). The checker then goes on with
 * the rebuilt superblock, so that the rest of the cache is checked against
 * it; the repair is kept only when the chain and tails load under it.
 */
#include <stdio.h>
#include <string.h>

#include "check_int.h"

/* cache_info as read in one byte order: n_segs when usable, else 0. */
static uint32_t info_n_segs(struct pc_dev *dev, bool swap, uint32_t fit)
{
	const struct pcd_cache_info *ci;
	struct pc_dual d;
	uint32_t n, flags;

	if (pc_dual_read(dev, swap, PCD_INFO_OFF, PCD_INFO_STRIDE,
			 sizeof(*ci), &d, NULL))
		return 0;
	ci = pc_dual_rec(&d);
	if (!ci)
		return 0;
	n = pcd_n32(swap, ci->n_segs);
	flags = pcd_n32(swap, ci->flags);
	if (!(flags & PCD_INFO_F_INIT_DONE) || n == 0 || n > fit ||
	    pcd_n32(swap, ci->seg_id) >= n)
		return 0;
	return n;
}

int pc_ck_sb_rebuild(struct pc_check *ck, struct pc_sb *sb, char *why,
		     size_t len)
{
	uint32_t fit = (uint32_t)pcd_sb_seg_num_max(ck->c.dev_size);
	uint32_t native = 0, swapped = 0;
	struct pcd_superblock raw;
	bool swap;

	if (!pcd_dev_size_ok(ck->c.dev_size) || !fit) {
		snprintf(why, len, "the device is too small for a cache");
		return -1;
	}
	native = info_n_segs(ck->dev, false, fit);
	swapped = info_n_segs(ck->dev, true, fit);
	if (!native && !swapped) {
		snprintf(why, len, "no valid, initialised cache_info gives "
			 "seg_num");
		return -1;
	}
	if (native && swapped) {
		snprintf(why, len, "cache_info validates in both byte orders "
			 "(n_segs %u or %u): ambiguous", native, swapped);
		return -1;
	}
	swap = !native;
	pc_encode_sb(&raw, swap ? swapped : native,
		     (PCD_HOST_BIG_ENDIAN != swap) ? PCD_SB_F_BIGENDIAN : 0);
	memset(sb, 0, sizeof(*sb));
	sb->crc_stored = sb->crc_calc = pcd_le32(raw.crc);
	sb->flags = pcd_le32(raw.flags);
	sb->magic = PCD_SB_MAGIC;
	sb->seg_num = pcd_le32(raw.seg_num);
	return 0;
}

/* Is the rest of the cache consistent with the rebuilt superblock? */
bool pc_ck_sb_rebuild_holds(const struct pc_check *ck)
{
	return ck->info_ok && ck->chain_ok && ck->tails_ok[PC_KEY_TAIL] &&
	       ck->tails_ok[PC_DIRTY_TAIL] && ck->u.loaded &&
	       ck->c.info.n_segs == ck->c.sb.seg_num &&
	       !ck->counts[PCK_CHAIN_RANGE] && !ck->counts[PCK_CHAIN_DUP] &&
	       !ck->counts[PCK_LOG_NEXT] && !ck->counts[PCK_LOG_LOOP] &&
	       !ck->counts[PCK_DLOG_WALK];
}

int pc_check_cache_remains(struct pc_dev *dev, char *what, size_t len)
{
	struct pc_check_opts o = { .data_crc = -1 };
	struct pc_check *ck = pc_check_new(dev, &o);
	struct pc_sb sb;
	char why[160];
	int ret = 0;

	if (!ck)
		return -1;
	if (pc_sb_read(dev, &sb, NULL))
		goto out;
	if (pc_sb_valid(&sb)) {
		/* asked when cache_info is lost or lacks INIT_DONE */
		if (pc_ck_used_evidence(ck)) {
			snprintf(what, len, "a dm-pcache superblock whose "
				 "cache_info is lost or not initialised, but "
				 "valid tail or segment records of a cache "
				 "behind it that may hold dirty data");
			ret = 1;
		}
		goto out;
	}
	if (!pc_ck_sb_rebuild(ck, &sb, why, sizeof(why))) {
		snprintf(what, len, "no valid superblock, but a cache of %u "
			 "segments behind it that may hold dirty data "
			 "(pcache-fsck -y rebuilds the superblock)", sb.seg_num);
		ret = 1;
	} else if (pc_ck_used_evidence(ck)) {
		snprintf(what, len, "no valid superblock, but valid tail or "
			 "segment records of a cache behind it that may hold "
			 "dirty data");
		ret = 1;
	}
out:
	pc_check_free(ck);
	return ret;
}
