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
 *   pcpat race DEV OLD NEW OFF N LEN    N rounds on the ranges OFF + i * LEN
 *                                       (each holding pattern OLD): one
 *                                       process reads the range O_DIRECT
 *                                       while another writes pattern NEW over
 *                                       it in 4 KiB writes; every sector read
 *                                       must be OLD or NEW, and the range
 *                                       read afterwards must be all NEW
 * OFF, LEN and BS are multiples of 512.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Each 512-byte sector of @buf at @off is pattern @a or pattern @b. */
static int sectors_are(const uint64_t *buf, uint64_t off, size_t len,
		       uint64_t a, uint64_t b, uint64_t *exp)
{
	size_t i;

	for (i = 0; i < len; i += 512) {
		fill(a, off + i, exp, 512);
		if (!memcmp(buf + i / 8, exp, 512))
			continue;
		fill(b, off + i, exp, 512);
		if (!memcmp(buf + i / 8, exp, 512))
			continue;
		fprintf(stderr, "race: sector at %llu is neither pattern\n",
			(unsigned long long)(off + i));
		return 1;
	}
	return 0;
}

/* One round: fork a reader, write NEW over the range, then check. */
static int race_round(int fd, uint64_t old, uint64_t nw, uint64_t off,
		      size_t len, unsigned int round, uint64_t *buf,
		      uint64_t *exp)
{
	int go[2], st;
	size_t i, k, nblk = len / 4096;
	pid_t pid;
	char c = 0;

	if (pipe(go))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid) {
		if (read(go[0], &c, 1) != 1 ||
		    pread(fd, buf, len, off) != (ssize_t)len)
			_exit(2);
		_exit(sectors_are(buf, off, len, old, nw, exp));
	}
	if (write(go[1], &c, 1) != 1)
		return 2;
	usleep((round % 8) * 100);
	/* blocks in an order that changes from round to round */
	for (i = 0; i < nblk; i++) {
		k = (i * 7 + round) % nblk;
		fill(nw, off + k * 4096, buf, 4096);
		if (pwrite(fd, buf, 4096, off + k * 4096) != 4096)
			return 2;
	}
	close(go[0]);
	close(go[1]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	if (pread(fd, buf, len, off) != (ssize_t)len)
		return 2;
	fill(nw, off, exp, len);
	if (memcmp(buf, exp, len)) {
		fprintf(stderr, "race: round %u at %llu: stale data after the write\n",
			round, (unsigned long long)off);
		return 1;
	}
	return 0;
}

static int race(const char *dev, uint64_t old, uint64_t nw, uint64_t off,
		unsigned int n, size_t len)
{
	int fd = open(dev, O_RDWR | O_DIRECT), ret = 0;
	uint64_t *buf = abuf(len), *exp = abuf(len);
	unsigned int i;

	if (fd < 0 || !len || len % 4096 || len > CHUNK) {
		perror(dev);
		return 2;
	}
	for (i = 0; i < n && !ret; i++)
		ret = race_round(fd, old, nw, off + (uint64_t)i * len, len, i,
				 buf, exp);
	if (!ret && fsync(fd))
		ret = 2;
	close(fd);
	return ret;
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
	if (argc == 8 && !strcmp(argv[1], "race"))
		return race(argv[2], num(argv[3]), num(argv[4]), num(argv[5]),
			    num(argv[6]), num(argv[7]));
	fprintf(stderr, "usage: pcpat gen|write|verify|race ...\n");
	return 2;
}
