// SPDX-License-Identifier: LGPL-2.1-or-later
/* CRC32C: published vectors, FORMAT.md's worked values, and agreement of
 * the run-time selected implementation with the portable one. */
#include <stdlib.h>

#include "pcache.h"
#include "tap.h"

static void vectors(void)
{
	static uint8_t zero[4096], ab[512];

	memset(ab, 0xAB, sizeof(ab));
	is_u64(pc_crc32c(PCD_CRC_SEED, "", 0), 0x0003B15A, "empty input");
	is_u64(pc_crc32c(PCD_CRC_SEED, "123456789", 9), 0xE5868AB2,
	       "pcache seed, \"123456789\"");
	is_u64(~pc_crc32c(~0U, "123456789", 9), 0xE3069283,
	       "standard CRC-32C check value");
	is_u64(pc_crc32c(~0U, "123456789", 9), 0x1CF96D7C, "raw, init ~0");
	is_u64(pc_crc32c(0, "123456789", 9), 0x58E3FA20, "raw, init 0");
	is_u64(pc_crc32c(PCD_CRC_SEED, zero, 20), 0xB9B69066, "20 zero bytes");
	is_u64(pc_crc32c(PCD_CRC_SEED, zero, 4096), 0x603571B1,
	       "4096 zero bytes");
	is_u64(pc_crc32c(PCD_CRC_SEED, ab, 512), 0x4ED090BC, "512 x 0xAB");
	is_u64(pc_crc32c_portable(PCD_CRC_SEED, "123456789", 9), 0xE5868AB2,
	       "portable path, \"123456789\"");
}

static const size_t key_lens[] = { 504, 512, 768, 1008, 1024, 1536, 2040,
				   2048, 4080, 4096, 8192, 12288, 16384,
				   3 * 4096 * 3 };

/* Every length and alignment class, across the 3-stream threshold. */
static void agreement(void)
{
	size_t max = 3 * 4096 * 3 + 77;
	uint8_t *buf = malloc(max + 16);
	int bad = 0;

	srand(7);
	for (size_t i = 0; i < max + 16; i++)
		buf[i] = (uint8_t)rand();
	for (size_t len = 0; len <= max; len += (len < 64 ? 1 : 97))
		for (size_t a = 0; a < 8; a++)
			bad += pc_crc32c(0x1234567, buf + a, len) !=
			       pc_crc32c_portable(0x1234567, buf + a, len);
	/* the sizes of keys: exact rounds of each tier, and a tail */
	for (size_t i = 0; i < sizeof(key_lens) / sizeof(key_lens[0]); i++)
		bad += pc_crc32c(0x1234567, buf, key_lens[i]) !=
		       pc_crc32c_portable(0x1234567, buf, key_lens[i]);
	ok(!bad, "%s agrees with the portable path (%d mismatches)",
	   pc_crc32c_impl(), bad);
	/* Incremental use equals one call. */
	ok(pc_crc32c(pc_crc32c(PCD_CRC_SEED, buf, 5000), buf + 5000, 30000) ==
	   pc_crc32c(PCD_CRC_SEED, buf, 35000), "chained calls compose");
	free(buf);
}

int main(void)
{
	vectors();
	agreement();
	return tap_done();
}
