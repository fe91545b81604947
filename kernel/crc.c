// SPDX-License-Identifier: GPL-2.0
/*
 * crc.c - CRC32C as the format uses it: reflected Castagnoli polynomial,
 * the register starts at the caller's seed and is never inverted.
 *
 * Our own slice-by-4 table so that the module needs no crypto driver and
 * behaves the same on every kernel version.
 */
#include <linux/kernel.h>
#include <linux/types.h>

#include "pcache.h"

#define PCM_CRC_POLY	0x82F63B78U

static u32 pcm_crc_tab[4][256];

void pcm_crc_init(void)
{
	u32 i, j, r;

	for (i = 0; i < 256; i++) {
		r = i;
		for (j = 0; j < 8; j++)
			r = (r >> 1) ^ ((r & 1) ? PCM_CRC_POLY : 0);
		pcm_crc_tab[0][i] = r;
	}
	for (i = 0; i < 256; i++) {
		r = pcm_crc_tab[0][i];
		for (j = 1; j < 4; j++) {
			r = (r >> 8) ^ pcm_crc_tab[0][r & 0xff];
			pcm_crc_tab[j][i] = r;
		}
	}
}

u32 pcm_crc32c(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len && ((unsigned long)p & 3)) {
		crc = (crc >> 8) ^ pcm_crc_tab[0][(crc ^ *p++) & 0xff];
		len--;
	}
	while (len >= 4) {
		crc ^= le32_to_cpu(*(const __le32 *)p);
		crc = pcm_crc_tab[3][crc & 0xff] ^
		      pcm_crc_tab[2][(crc >> 8) & 0xff] ^
		      pcm_crc_tab[1][(crc >> 16) & 0xff] ^
		      pcm_crc_tab[0][crc >> 24];
		p += 4;
		len -= 4;
	}
	while (len--)
		crc = (crc >> 8) ^ pcm_crc_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

/* The CRC in the form the shared rules (pcache_rules.h) take it. */
u32 pcm_crc_rule(const void *buf, u32 len)
{
	return pcm_crc32c(PCD_CRC_SEED, buf, len);
}
