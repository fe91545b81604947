/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Little-endian fields of our own file formats (the metadump capture and
 * the mark of a restored image), independent of the host's byte order.
 * Internal: not installed.
 */
#ifndef PC_LE_BYTES_H
#define PC_LE_BYTES_H

#include <stdint.h>

static inline void le_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t le_get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t le_get64(const uint8_t *p)
{
	return le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

#endif
