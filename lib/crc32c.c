// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CRC32C as the format uses it: Castagnoli polynomial, reflected, register
 * seeded by the caller, no inversion before or after.
 *
 * The SSE4.2 crc32 instruction computes exactly this register update. For
 * large buffers three independent streams hide the instruction's latency;
 * they are joined with precomputed "shift by N bytes" operators.
 */
#include <pthread.h>
#include <string.h>

#include "pcache.h"

#define CRC32C_POLY 0x82F63B78U

static uint32_t crc_table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t r = i;

		for (int b = 0; b < 8; b++)
			r = (r >> 1) ^ (CRC32C_POLY & (0U - (r & 1)));
		crc_table[0][i] = r;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xFF];
}

/* Slicing-by-8: the portable path, also the reference in self-tests. */
uint32_t pc_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&table_once, build_tables);
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
		len--;
	}
	while (len >= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		if (PCD_HOST_BIG_ENDIAN) {
			lo = pcd_swap32(lo);
			hi = pcd_swap32(hi);
		}
		lo ^= crc;
		crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
		      crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
		      crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
	return crc;
}

#if defined(__x86_64__)
#include <cpuid.h>

/* Multiply two reflected polynomials modulo the CRC polynomial. */
static uint32_t gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t r = 0;

	for (int i = 0; i < 32; i++) {
		if (b & 0x80000000U)
			r ^= a;
		b <<= 1;
		a = (a >> 1) ^ (CRC32C_POLY & (0U - (a & 1)));
	}
	return r;
}

/* x^(8n) mod P in reflected form: the operator "append n zero bytes". */
static uint32_t shift_op(size_t nbytes)
{
	uint32_t r = 0x80000000U;	/* x^0 */
	uint32_t sq = 0x00800000U;	/* x^8 */

	while (nbytes) {
		if (nbytes & 1)
			r = gf2_mul(r, sq);
		sq = gf2_mul(sq, sq);
		nbytes >>= 1;
	}
	return r;
}

/*
 * Stream block sizes, largest first: a buffer is cut into rounds of three
 * blocks of the largest size that fits. The smaller ones are the largest
 * multiples of 8 whose round fits a key of 4 KiB, 2 KiB, 1 KiB and 512
 * bytes: such a key is one round and a few bytes, not a round and a long
 * tail in a single stream.
 */
static const size_t stream_block[] = { 4096, 1360, 680, 336, 168 };
#define N_TIERS (sizeof(stream_block) / sizeof(stream_block[0]))

/* Per tier: shift_op(block) applied to a 32-bit register, bytewise. */
static uint32_t shift_table[N_TIERS][4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void build_shift(void)
{
	for (size_t t = 0; t < N_TIERS; t++) {
		uint32_t op = shift_op(stream_block[t]);

		for (int byte = 0; byte < 4; byte++)
			for (uint32_t v = 0; v < 256; v++)
				shift_table[t][byte][v] = gf2_mul(v << (8 * byte),
								  op);
	}
}

static inline uint32_t shift_block(size_t t, uint32_t crc)
{
	return shift_table[t][0][crc & 0xFF] ^
	       shift_table[t][1][(crc >> 8) & 0xFF] ^
	       shift_table[t][2][(crc >> 16) & 0xFF] ^
	       shift_table[t][3][crc >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t crc_hw_serial(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

/* One round: three consecutive blocks of @bs bytes as independent streams. */
__attribute__((target("sse4.2")))
static uint32_t crc_hw_round(uint32_t crc, const uint8_t *p, size_t bs,
			     size_t t)
{
	uint64_t a = crc, b = 0, c = 0;
	const uint8_t *pb = p + bs, *pc = p + 2 * bs;

	for (size_t i = 0; i < bs; i += 8) {
		uint64_t va, vb, vc;

		memcpy(&va, p + i, 8);
		memcpy(&vb, pb + i, 8);
		memcpy(&vc, pc + i, 8);
		a = __builtin_ia32_crc32di(a, va);
		b = __builtin_ia32_crc32di(b, vb);
		c = __builtin_ia32_crc32di(c, vc);
	}
	return shift_block(t, shift_block(t, (uint32_t)a) ^ (uint32_t)b) ^
	       (uint32_t)c;
}

/*
 * Streams b and c start from 0; since the CRC is linear,
 * crc(A||B) = shift(crc(A)) ^ crc0(B).
 */
static uint32_t crc_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&shift_once, build_shift);
	for (size_t t = 0; t < N_TIERS; t++) {
		size_t round = 3 * stream_block[t];

		while (len >= round) {
			crc = crc_hw_round(crc, p, stream_block[t], t);
			p += round;
			len -= round;
		}
	}
	return crc_hw_serial(crc, p, len);
}

static bool have_sse42(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return c & bit_SSE4_2;
}
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
static crc_fn crc_impl;
static const char *crc_impl_name = "table";
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void pick_impl(void)
{
	crc_impl = pc_crc32c_portable;
#if defined(__x86_64__)
	if (have_sse42()) {
		crc_impl = crc_hw;
		crc_impl_name = "sse4.2";
	}
#endif
}

uint32_t pc_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&impl_once, pick_impl);
	return crc_impl(crc, buf, len);
}

const char *pc_crc32c_impl(void)
{
	pthread_once(&impl_once, pick_impl);
	return crc_impl_name;
}
