// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mark pcache-metadump --restore leaves on an image it rebuilt from a
 * metadata capture (docs/metadump.md): 64 bytes at device offset 0, a range
 * the kernel never reads or writes (FORMAT.md 3.2). Checkers read it to
 * tell data that was not captured from data that is corrupt.
 */
#include <string.h>

#include "pcache.h"

static const char restored_magic[16] = "pcache-metadump";

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

void pc_restored_encode(const struct pc_restored *m,
			uint8_t buf[PC_RESTORED_SIZE])
{
	memset(buf, 0, PC_RESTORED_SIZE);
	memcpy(buf, restored_magic, sizeof(restored_magic));
	put32(buf + 16, PC_RESTORED_VERSION);
	put32(buf + 20, m->flags);
	put64(buf + 24, m->captured_bytes);
	put32(buf + 32, m->capture_crc);
	put32(buf + 60, pc_crc32c(PCD_CRC_SEED, buf, 60));
}

int pc_restored_probe(struct pc_dev *dev, struct pc_restored *m)
{
	uint8_t buf[PC_RESTORED_SIZE];

	memset(m, 0, sizeof(*m));
	if (pc_dev_size(dev) < PC_RESTORED_SIZE ||
	    pc_dev_read(dev, 0, buf, sizeof(buf), NULL))
		return 0;
	if (memcmp(buf, restored_magic, sizeof(restored_magic)) ||
	    get32(buf + 60) != pc_crc32c(PCD_CRC_SEED, buf, 60) ||
	    get32(buf + 16) != PC_RESTORED_VERSION)
		return 0;
	m->flags = get32(buf + 20);
	m->captured_bytes = get64(buf + 24);
	m->capture_crc = get32(buf + 32);
	return 1;
}
