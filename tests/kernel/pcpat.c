// SPDX-License-Identifier: GPL-2.0
/*
 * pcpat - position-dependent test pattern for the kernel tests.
 *
 * Every 8-byte little-endian word at absolute byte offset o holds
 * splitmix64(seed * 0x9E3779B97F4A7C15 + o / 8), the pattern used by the
 * fixture notes in shared/fixtures/README.md.
 *
 *   pcpat gen SEED OFF LEN              pattern to stdout
 *   pcpat write DEV SEED OFF LEN BS     O_DIRECT writes of BS bytes, fsync
 *                                       (no fsync with PCPAT_NOSYNC=1)
 *   pcpat verify DEV SEED OFF LEN       O_DIRECT read, compare; exit 1 on
 *                                       mismatch
 * OFF, LEN and BS are multiples of 512.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOLDEN 0x9E3779B97F4A7C15ULL
#define CHUNK (1u << 20)

static uint64_t mix(uint64_t x)
{
	x += GOLDEN;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static void fill(uint64_t seed, uint64_t off, uint64_t *buf, size_t len)
{
	uint64_t base = seed * GOLDEN + off / 8;
	size_t i;

	for (i = 0; i < len / 8; i++)
		buf[i] = mix(base + i);	/* little-endian host */
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static void *abuf(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len)) {
		perror("posix_memalign");
		exit(2);
	}
	return p;
}

static int gen(uint64_t seed, uint64_t off, uint64_t len)
{
	uint64_t *buf = abuf(CHUNK);
	size_t n;

	while (len) {
		n = len < CHUNK ? len : CHUNK;
		fill(seed, off, buf, n);
		if (fwrite(buf, 1, n, stdout) != n)
			return 2;
		off += n;
		len -= n;
	}
	return 0;
}

static int wr(const char *dev, uint64_t seed, uint64_t off, uint64_t len,
	      size_t bs)
{
	int fd = open(dev, O_WRONLY | O_DIRECT);
	uint64_t *buf = abuf(bs);
	size_t n;

	if (fd < 0 || !bs) {
		perror(dev);
		return 2;
	}
	while (len) {
		n = len < bs ? len : bs;
		fill(seed, off, buf, n);
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "write %s at %llu: %s\n", dev,
				(unsigned long long)off, strerror(errno));
			return 2;
		}
		off += n;
		len -= n;
	}
	if (!getenv("PCPAT_NOSYNC") && fsync(fd)) {
		perror("fsync");
		return 2;
	}
	return close(fd) ? 2 : 0;
}

static int verify(const char *dev, uint64_t seed, uint64_t off, uint64_t len)
{
	int fd = open(dev, O_RDONLY | O_DIRECT);
	uint64_t *buf = abuf(CHUNK), *exp = abuf(CHUNK);
	size_t n, i;

	if (fd < 0) {
		perror(dev);
		return 2;
	}
	while (len) {
		n = len < CHUNK ? len : CHUNK;
		if (pread(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "read %s at %llu: %s\n", dev,
				(unsigned long long)off, strerror(errno));
			return 2;
		}
		fill(seed, off, exp, n);
		if (memcmp(buf, exp, n)) {
			for (i = 0; buf[i] == exp[i]; i++)
				;
			fprintf(stderr, "%s: mismatch at byte %llu (seed %llu)\n",
				dev, (unsigned long long)(off + i * 8),
				(unsigned long long)seed);
			return 1;
		}
		off += n;
		len -= n;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "gen"))
		return gen(num(argv[2]), num(argv[3]), num(argv[4]));
	if (argc == 7 && !strcmp(argv[1], "write"))
		return wr(argv[2], num(argv[3]), num(argv[4]), num(argv[5]),
			  num(argv[6]));
	if (argc == 6 && !strcmp(argv[1], "verify"))
		return verify(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	fprintf(stderr, "usage: pcpat gen|write|verify ...\n");
	return 2;
}
