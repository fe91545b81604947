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

static void in_order(bool cold)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 2);
	unsigned int n = 0, from = 0;

	ok(pf, "read-ahead on a file");
	if (!pf)
		return;
	if (cold) {
		is_u64(n = warm_up(pf, 0), 3, "uncached: 3 records read by "
		       "the caller, then the threads start");
		from = n + 1;
	}
	is_u64(run(pf, from, RECS - 1), RECS - from, "%s: every record "
	       "from the read-ahead, through a ring of 32",
	       cold ? "uncached" : "cached");
	is_u64(bad, 0, "and every one intact");
	pc_pf_free(pf);
}

static void misses(void)
{
	struct pc_pf *pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 3);
	uint8_t buf[LEN];
	unsigned int k;

	if (!pf)
		return;
	is_u64(run(pf, warm_up(pf, 0) + 1, 9), 6, "records 4-9 in order");
	ok(pc_pf_read(pf, 50ULL * STRIDE, buf), "record 50 instead of 10: "
	   "the caller reads it");
	is_u64(run(pf, 51, 60), 10, "predicted again after 50");
	ok(pc_pf_read(pf, 3ULL * STRIDE + 1, buf), "an offset off the "
	   "stride is the caller's");
	ok(pc_pf_read(pf, 61ULL * STRIDE, buf), "and so is the next record");
	is_u64(run(pf, 62, 70), 9, "predicted again after it");
	pc_pf_free(pf);
	/* the last record ends past the end given */
	uncache();
	pf = pc_pf_new(dev, STRIDE, (RECS - 1) * STRIDE + LEN - 1, LEN, 1);
	if (!pf)
		return;
	is_u64(run(pf, RECS - 20 + warm_up(pf, RECS - 20) + 1, RECS - 2), 15,
	       "records up to the end");
	ok(pc_pf_read(pf, (RECS - 1ULL) * STRIDE, buf),
	   "a record past the end is the caller's");
	pc_pf_free(pf);
	/* a chain going backwards: each read a miss, then none tried */
	uncache();
	pf = pc_pf_new(dev, STRIDE, pc_dev_size(dev), LEN, 2);
	if (!pf)
		return;
	for (k = RECS - 1; k > RECS - 10; k--)
		if (!pc_pf_read(pf, (uint64_t)k * STRIDE, buf))
			break;
	ok(k == RECS - 4 && rec_is(buf, k), "the 4th uncached record "
	   "starts the prediction");
	for (k--; k > 100; k--)
		if (!pc_pf_read(pf, (uint64_t)k * STRIDE, buf))
			break;
	is_u64(k, 100, "a backward chain: every record the caller's");
	is_u64(run(pf, 0, 20), 0, "after 64 misses the read-ahead is off");
	pc_pf_free(pf);
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
