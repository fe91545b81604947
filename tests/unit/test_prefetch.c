// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The read-ahead behind the checker's chain stage (lib/dev/prefetch.c):
 * records come out with the bytes a plain read gives, in order, through a
 * ring smaller than the file; anything but the predicted record, a record
 * past the end and a hostile order are the caller's to read.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "device.h"
#include "prefetch.h"
#include "tap.h"

/* far enough apart that the kernel's own read-ahead does not join them */
#define STRIDE (1 << 20)
#define LEN 100
#define RECS 200

static char path[] = "/var/tmp/pcache-prefetch-XXXXXX";

static void pattern(uint8_t *buf, unsigned int k)
{
	for (unsigned int i = 0; i < LEN; i++)
		buf[i] = (uint8_t)(k * 7 + i);
}

static int make_file(void)
{
	uint8_t buf[LEN];
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	for (unsigned int k = 0; k < RECS; k++) {
		pattern(buf, k);
		if (pwrite(fd, buf, LEN, (off_t)k * STRIDE) != LEN)
			return -1;
	}
	close(fd);
	return 0;
}

/*
 * Out of the page cache, so that the threads take over; false if not.
 * Residency is asked of mincore(), not of a read: a non-blocking read that
 * misses starts the kernel's read-ahead, which brought record 0 back in
 * and moved the warm-up count.
 */
static bool uncache(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = open(path, O_RDONLY);
	size_t size = (size_t)(RECS - 1) * STRIDE + LEN;
	unsigned char in;
	bool gone = true;
	uint8_t *map;

	if (fd < 0 || pg <= 0)
		return false;
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	for (unsigned int k = 0; k < RECS && gone; k++)
		gone = !mincore(map + (size_t)k * STRIDE, (size_t)pg, &in) &&
		       !(in & 1);
	munmap(map, size);
	return gone;
}

static bool rec_is(const uint8_t *buf, unsigned int k)
{
	uint8_t want[LEN];

	pattern(want, k);
	return !memcmp(buf, want, LEN);
}

static struct pc_dev *dev;
static unsigned int bad;	/* records handed out with wrong bytes */

/* Records first..last in order, read by the caller where the read-ahead
 * says so: how many the read-ahead gave. */
static unsigned int run(struct pc_pf *pf, unsigned int first,
			unsigned int last)
{
	uint8_t buf[LEN];
	unsigned int got = 0;

	for (unsigned int k = first; k <= last; k++) {
		if (pc_pf_read(pf, (uint64_t)k * STRIDE, buf)) {
			pc_dev_read(dev, (uint64_t)k * STRIDE, buf, LEN, NULL);
			continue;
		}
		got++;
		bad += !rec_is(buf, k);
	}
	return got;
}

/* Uncached records from @k on until the threads give one: how many. */
static unsigned int warm_up(struct pc_pf *pf, unsigned int k)
{
	unsigned int n = 0;

	while (n < 10 && !run(pf, k + n, k + n))
		n++;
	return n;
}

/*
 * The counts of an uncached run depend on the page cache, which the rest of
 * the machine shares: now and then a record comes back into it between
 * uncache() and its read. Such a run is repeated (up to 3 times) on a file
 * made uncached again; a policy that is wrong fails every time.
 */
#define TRIES 3

struct cold_counts {
	unsigned int warm, got, from;
};

static bool in_order_once(bool cold, struct cold_counts *c)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 2);

	if (!pf)
		return false;
	c->warm = cold ? warm_up(pf, 0) : 0;
	c->from = cold ? c->warm + 1 : 0;
	c->got = run(pf, c->from, RECS - 1);
	pc_pf_free(pf);
	return true;
}

static void in_order(bool cold)
{
	struct cold_counts c = { 0 };
	bool made;
	int t = 0;

	do
		made = in_order_once(cold, &c);
	while (made && cold && ++t < TRIES &&
	       (c.warm != 3 || c.got != RECS - c.from) && uncache());
	ok(made, "read-ahead on a file");
	if (!made)
		return;
	if (cold)
		is_u64(c.warm, 3, "uncached: 3 records read by the caller, "
		       "then the threads start");
	is_u64(c.got, RECS - c.from, "%s: every record from the read-ahead, "
	       "through a ring of 32", cold ? "uncached" : "cached");
	is_u64(bad, 0, "and every one intact");
}

/* Predictions broken and taken up again: the counts of one run. */
struct miss_counts {
	unsigned int first, after50, after61;
	bool r50, off_stride, r61;
};

static bool misses_once(struct miss_counts *c)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 3);
	uint8_t buf[LEN];

	if (!pf)
		return false;
	c->first = run(pf, warm_up(pf, 0) + 1, 9);
	c->r50 = pc_pf_read(pf, 50ULL * STRIDE, buf);
	c->after50 = run(pf, 51, 60);
	c->off_stride = pc_pf_read(pf, 3ULL * STRIDE + 1, buf);
	c->r61 = pc_pf_read(pf, 61ULL * STRIDE, buf);
	c->after61 = run(pf, 62, 70);
	pc_pf_free(pf);
	return true;
}

/* The last record ends past the end given: records up to it, and it. */
static bool at_end_once(unsigned int *got, bool *past)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, (RECS - 1) * STRIDE + LEN - 1,
				     LEN, 1);
	uint8_t buf[LEN];

	if (!pf)
		return false;
	*got = run(pf, RECS - 20 + warm_up(pf, RECS - 20) + 1, RECS - 2);
	*past = pc_pf_read(pf, (RECS - 1ULL) * STRIDE, buf);
	pc_pf_free(pf);
	return true;
}

/* A chain going backwards: each read a miss, then none tried. */
struct back_counts {
	unsigned int start, end, after;
	bool start_ok;
};

static bool backward_once(struct back_counts *c)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 2);
	uint8_t buf[LEN];
	unsigned int k;

	if (!pf)
		return false;
	for (k = RECS - 1; k > RECS - 10; k--)
		if (!pc_pf_read(pf, (uint64_t)k * STRIDE, buf))
			break;
	c->start = k;
	c->start_ok = rec_is(buf, k);
	for (k--; k > 100; k--)
		if (!pc_pf_read(pf, (uint64_t)k * STRIDE, buf))
			break;
	c->end = k;
	c->after = run(pf, 0, 20);
	pc_pf_free(pf);
	return true;
}

static void misses(void)
{
	struct miss_counts m = { 0 };
	struct back_counts bk = { 0 };
	unsigned int end_got = 0;
	bool past = false;
	int t;

	for (t = 0; misses_once(&m) && ++t < TRIES &&
	     (m.first != 6 || m.after50 != 10 || m.after61 != 9) && uncache();)
		;
	is_u64(m.first, 6, "records 4-9 in order");
	ok(m.r50, "record 50 instead of 10: the caller reads it");
	is_u64(m.after50, 10, "predicted again after 50");
	ok(m.off_stride, "an offset off the stride is the caller's");
	ok(m.r61, "and so is the next record");
	is_u64(m.after61, 9, "predicted again after it");
	for (t = 0; uncache() && at_end_once(&end_got, &past) && ++t < TRIES &&
	     end_got != 15;)
		;
	is_u64(end_got, 15, "records up to the end");
	ok(past, "a record past the end is the caller's");
	for (t = 0; uncache() && backward_once(&bk) && ++t < TRIES &&
	     (bk.start != RECS - 4 || bk.end != 100 || bk.after);)
		;
	ok(bk.start == RECS - 4 && bk.start_ok, "the 4th uncached record "
	   "starts the prediction");
	is_u64(bk.end, 100, "a backward chain: every record the caller's");
	is_u64(bk.after, 0, "after 64 misses the read-ahead is off");
	is_u64(bad, 0, "every record handed out intact");
}

int main(void)
{
	struct pc_dev *ov = NULL;
	struct pc_err err = { 0 };
	bool cold;

	if (!ok(!make_file(), "image file made") ||
	    !ok(!pc_dev_open(path, PC_OPEN_NOLOCK, &dev, &err), "opened: %s",
		err.msg))
		return tap_done();
	in_order(false);
	cold = uncache();
	in_order(cold);
	cold = uncache();
	if (cold)
		misses();
	else
		ok(1, "# SKIP the page cache keeps the file");
	ok(!pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 0), "depth 0: none");
	ok(!pc_pf_new(dev, STRIDE, pc_dev_size(dev), STRIDE + 1, 2),
	   "records overlapping: none");
	if (!pc_dev_overlay(dev, &ov)) {
		ok(!pc_pf_new(ov, STRIDE, pc_dev_size(dev), LEN, 2),
		   "an overlay: none");
		pc_dev_close(ov);
	}
	pc_dev_close(dev);
	unlink(path);
	return tap_done();
}
