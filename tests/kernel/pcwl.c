// SPDX-License-Identifier: GPL-2.0
/*
 * pcwl - seeded crash workload for the cross-check suite (upstream.tap.sh).
 *
 *   pcwl run DEV SEED AOFF ALEN BOFF BLEN
 *       random overwrites, forever (PCWL_OPS=N: N operations), in region A
 *       (3 of 4 operations, 4 KiB ... 64 KiB) and region B (BLEN may be 0;
 *       4 KiB ... 256 KiB), O_DIRECT, some with O_DSYNC (FUA); after every
 *       flush that returned it prints "PCWL-SYNC N": operations 0 ... N-1
 *       are durable.
 *   pcwl check DEV SEED AOFF ALEN BOFF BLEN N
 *       every 4 KiB block of A and B must hold the last write to it among
 *       operations 0 ... N-1, or a later one of the same workload (one that
 *       may have become durable before the cut), or zeros if none of
 *       0 ... N-1 wrote it; the content must be exactly that write's.
 *       Prints a digest of what it read; exit 1 on a wrong block.
 *
 * Operation i is a pure function of SEED and i, and every block says which
 * operation wrote it (a 32-byte header: magic, seed, operation, block
 * number), so the checker needs nothing from the guest but N.
 * Offsets and lengths are bytes, multiples of 4096.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOLDEN 0x9E3779B97F4A7C15ULL
#define BLK 4096u
#define MAGIC 0x314b4c42574c4350ULL	/* "PCWLBLK1" */
#define MAXBLKS 64u
#define CHUNK (1u << 20)

struct region { uint64_t off, len; };

struct op {
	uint64_t blk;		/* first 4 KiB block (absolute) */
	unsigned int n;		/* blocks */
	int fua, sync;
};

static uint64_t mix(uint64_t x)
{
	x += GOLDEN;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static void op_get(uint64_t seed, uint64_t i, const struct region *rg,
		   struct op *op)
{
	uint64_t r = mix(seed * GOLDEN + i), r2 = mix(r);
	const struct region *g = &rg[0];
	unsigned int max = 16;
	uint64_t nb;

	if (rg[1].len && (r & 3) == 0) {
		g = &rg[1];
		max = MAXBLKS;
	}
	op->n = 1;
	if (g == &rg[1] || (r2 & 7) == 0)	/* mostly single blocks in A */
		op->n = 1 + (r2 >> 8) % max;
	nb = g->len / BLK;
	if (op->n > nb)
		op->n = nb;
	op->blk = g->off / BLK + (r >> 16) % (nb - op->n + 1);
	op->fua = (r2 >> 40) % 16 == 0;
	op->sync = (r2 >> 48) % 24 == 0;
}

static void blk_fill(uint64_t seed, uint64_t i, uint64_t blk, uint64_t *w)
{
	uint64_t base = mix(seed ^ mix(i)) + blk * (BLK / 8);
	unsigned int k;

	w[0] = MAGIC;
	w[1] = seed;
	w[2] = i;
	w[3] = blk;
	for (k = 4; k < BLK / 8; k++)
		w[k] = mix(base + k);
}

static void *abuf(size_t len)
{
	void *p;

	if (posix_memalign(&p, BLK, len)) {
		perror("posix_memalign");
		exit(2);
	}
	return p;
}

/* O_DIRECT where the file supports it (a host tmpfs may not). */
static int dopen(const char *dev, int flags)
{
	int fd = open(dev, flags | O_DIRECT);

	if (fd < 0 && errno == EINVAL)
		fd = open(dev, flags);
	if (fd < 0) {
		perror(dev);
		exit(2);
	}
	return fd;
}

static int run(const char *dev, uint64_t seed, const struct region *rg)
{
	int fd = dopen(dev, O_WRONLY), fdsync = dopen(dev, O_WRONLY | O_DSYNC);
	uint64_t *buf = abuf(MAXBLKS * BLK), i, ops = UINT64_MAX;
	const char *e = getenv("PCWL_OPS");
	struct op op;
	unsigned int k;

	if (e)
		ops = strtoull(e, NULL, 0);
	printf("PCWL-START %" PRIu64 "\n", seed);
	fflush(stdout);
	for (i = 0; i < ops; i++) {
		op_get(seed, i, rg, &op);
		for (k = 0; k < op.n; k++)
			blk_fill(seed, i, op.blk + k, buf + k * (BLK / 8));
		if (pwrite(op.fua ? fdsync : fd, buf, op.n * BLK, op.blk * BLK) !=
		    (ssize_t)(op.n * BLK)) {
			fprintf(stderr, "pcwl: write %s at %" PRIu64 ": %s\n", dev,
				op.blk * BLK, strerror(errno));
			return 2;
		}
		if (op.sync || i + 1 == ops) {
			if (fsync(fd)) {
				perror("pcwl: fsync");
				return 2;
			}
			printf("PCWL-SYNC %" PRIu64 "\n", i + 1);
			fflush(stdout);
		}
	}
	return 0;
}

struct check {
	const char *dev;
	uint64_t seed, n, first;	/* first: block number of last[0] */
	const struct region *rg;
	uint32_t *last;			/* op + 1 of the last synced write, 0: none */
	uint64_t blocks, zero, ahead, bad, digest;
};

static int all_zero(const uint64_t *w)
{
	unsigned int k;

	for (k = 0; k < BLK / 8; k++)
		if (w[k])
			return 0;
	return 1;
}

static void bad(struct check *c, uint64_t blk, const char *what, uint64_t got)
{
	if (c->bad++ < 10)
		fprintf(stderr, "pcwl: %s: block at byte %" PRIu64 ": %s (op %" PRIu64
			", last synced write: op %" PRId64 ")\n", c->dev, blk * BLK, what,
			got, (int64_t)c->last[blk - c->first] - 1);
}

static void check_blk(struct check *c, uint64_t blk, const uint64_t *w,
		      uint64_t *exp)
{
	uint32_t want = c->last[blk - c->first];
	struct op op;

	c->blocks++;
	if (all_zero(w)) {
		c->zero++;
		if (want)
			bad(c, blk, "zeros instead of a durable write", 0);
		c->digest += mix(blk);
		return;
	}
	if (w[0] != MAGIC || w[1] != c->seed || w[3] != blk) {
		bad(c, blk, "not a block of this workload here", w[2]);
		return;
	}
	op_get(c->seed, w[2], c->rg, &op);
	if (blk < op.blk || blk >= op.blk + op.n) {
		bad(c, blk, "names an operation that did not write it", w[2]);
		return;
	}
	if (w[2] + 1 < want) {
		bad(c, blk, "older than the last durable write", w[2]);
		return;
	}
	blk_fill(c->seed, w[2], blk, exp);
	if (memcmp(w, exp, BLK)) {
		bad(c, blk, "content differs from what the operation wrote", w[2]);
		return;
	}
	if (w[2] >= c->n)
		c->ahead++;
	c->digest += mix(blk ^ mix(w[2] + 1));
}

static int check_region(struct check *c, int fd, const struct region *g)
{
	uint64_t *buf = abuf(CHUNK), *exp = abuf(BLK), off, n, k;

	for (off = g->off; off < g->off + g->len; off += n) {
		n = g->off + g->len - off < CHUNK ? g->off + g->len - off : CHUNK;
		if (pread(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "pcwl: read %s at %" PRIu64 ": %s\n", c->dev, off,
				strerror(errno));
			return 2;
		}
		for (k = 0; k < n / BLK; k++)
			check_blk(c, off / BLK + k, buf + k * (BLK / 8), exp);
	}
	free(buf);
	free(exp);
	return 0;
}

static int check(const char *dev, uint64_t seed, const struct region *rg,
		 uint64_t n)
{
	uint64_t lo = rg[0].off, hi = rg[0].off + rg[0].len, i;
	struct check c = { .dev = dev, .seed = seed, .n = n, .rg = rg };
	struct op op;
	unsigned int k;
	int fd, rc;

	if (rg[1].len) {
		lo = rg[1].off < lo ? rg[1].off : lo;
		hi = rg[1].off + rg[1].len > hi ? rg[1].off + rg[1].len : hi;
	}
	c.first = lo / BLK;
	c.last = calloc((hi - lo) / BLK, sizeof(*c.last));
	if (!c.last || n >= UINT32_MAX) {
		fprintf(stderr, "pcwl: out of memory or too many operations\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		op_get(seed, i, rg, &op);
		for (k = 0; k < op.n; k++)
			c.last[op.blk + k - c.first] = i + 1;
	}
	fd = dopen(dev, O_RDONLY);
	rc = check_region(&c, fd, &rg[0]);
	if (!rc && rg[1].len)
		rc = check_region(&c, fd, &rg[1]);
	close(fd);
	if (rc)
		return rc;
	printf("pcwl: %s: %" PRIu64 " blocks, %" PRIu64 " zero, %" PRIu64
	       " newer than op %" PRIu64 ", %" PRIu64 " wrong, digest %016" PRIx64 "\n",
	       dev, c.blocks, c.zero, c.ahead, n, c.bad, c.digest);
	return c.bad ? 1 : 0;
}

static int regions(char **a, struct region *rg)
{
	int k;

	for (k = 0; k < 2; k++) {
		rg[k].off = strtoull(a[2 * k], NULL, 0);
		rg[k].len = strtoull(a[2 * k + 1], NULL, 0);
		if (rg[k].off % BLK || rg[k].len % BLK)
			return -1;
	}
	if (!rg[0].len)
		return -1;
	if (rg[1].len && rg[1].off < rg[0].off + rg[0].len &&
	    rg[0].off < rg[1].off + rg[1].len)
		return -1;	/* overlapping regions */
	return 0;
}

int main(int argc, char **argv)
{
	struct region rg[2];

	if (argc == 8 && !strcmp(argv[1], "run") && !regions(argv + 4, rg))
		return run(argv[2], strtoull(argv[3], NULL, 0), rg);
	if (argc == 9 && !strcmp(argv[1], "check") && !regions(argv + 4, rg))
		return check(argv[2], strtoull(argv[3], NULL, 0), rg,
			     strtoull(argv[8], NULL, 0));
	fprintf(stderr, "usage: pcwl run DEV SEED AOFF ALEN BOFF BLEN\n"
		"       pcwl check DEV SEED AOFF ALEN BOFF BLEN N\n");
	return 2;
}
