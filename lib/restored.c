// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mark pcache-metadump --restore leaves on an image it rebuilt from a
 * metadata capture (docs/metadump.md): 64 bytes at device offset 0, a range
 * the kernel never reads or writes (FORMAT.md 3.2). Checkers read it to
 * tell data that was not captured from data that is corrupt.
 */
#include <string.h>

#include "pcache.h"
#include "le_bytes.h"

static const char restored_magic[16] = "pcache-metadump";


void pc_restored_encode(const struct pc_restored *m,
			uint8_t buf[PC_RESTORED_SIZE])
{
	memset(buf, 0, PC_RESTORED_SIZE);
	memcpy(buf, restored_magic, sizeof(restored_magic));
	le_put32(buf + 16, PC_RESTORED_VERSION);
	le_put32(buf + 20, m->flags);
	le_put64(buf + 24, m->captured_bytes);
	le_put32(buf + 32, m->capture_crc);
	le_put32(buf + 60, pc_crc32c(PCD_CRC_SEED, buf, 60));
}

int pc_restored_probe(struct pc_dev *dev, struct pc_restored *m)
{
	uint8_t buf[PC_RESTORED_SIZE];

	memset(m, 0, sizeof(*m));
	if (pc_dev_size(dev) < PC_RESTORED_SIZE ||
	    pc_dev_read(dev, 0, buf, sizeof(buf), NULL))
		return 0;
	if (memcmp(buf, restored_magic, sizeof(restored_magic)) ||
	    le_get32(buf + 60) != pc_crc32c(PCD_CRC_SEED, buf, 60) ||
	    le_get32(buf + 16) != PC_RESTORED_VERSION)
		return 0;
	m->flags = le_get32(buf + 20);
	m->captured_bytes = le_get64(buf + 24);
	m->capture_crc = le_get32(buf + 32);
	return 1;
}
