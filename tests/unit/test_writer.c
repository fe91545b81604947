// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Format an image, write through the log writer while keeping a shadow of
 * the logical device, then reopen and replay: key_head, segments in use,
 * LAST links and every cached byte must agree with the shadow.
 */
#include <stdlib.h>
#include <unistd.h>

#include "pcache.h"
#include "tap.h"
#include "writer.h"

#define IMG_SIZE (1ULL << 30)
#define SPACE (64ULL << 20)	/* logical space written */

static uint8_t *shadow;
static uint8_t *cached;		/* per 512-byte sector: written at least once */

static int make_image(char *path, bool data_crc)
{
	struct pc_format_opts o = { .data_crc = data_crc, .gc_percent = 70 };
	struct pc_layout l;
	struct pc_dev *dev;
	int fd = mkstemp(path), ret;

	if (fd < 0 || ftruncate(fd, IMG_SIZE))
		return -1;
	close(fd);
	if (pc_dev_open(path, PC_OPEN_RDWR, &dev, NULL))
		return -1;
	ret = pc_format_plan(IMG_SIZE, &o, &l, NULL) ||
	      pc_format_write(dev, &l, &o, NULL);
	pc_dev_close(dev);
	return ret;
}

static void fill(uint8_t *p, uint32_t len, uint64_t tag)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)((tag * 131 + i * 7) >> 3);
}

static int write_some(struct pc_writer *w, size_t n)
{
	static uint8_t buf[1 << 20];
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		uint64_t off = (uint64_t)(rand() % (int)(SPACE / 512)) * 512;
		uint32_t len = (uint32_t)(1 + rand() % (i % 50 ? 8 : 2048)) * 512;

		if (off + len > SPACE)
			len = (uint32_t)(SPACE - off);
		fill(buf, len, i);
		memcpy(shadow + off, buf, len);
		memset(cached + off / 512, 1, len / 512);
		ret = pc_writer_write(w, off, buf, len, 0, NULL);
		if (!ret && rand() % 500 == 0)
			ret = pc_writer_flush(w, NULL);
	}
	return ret ? ret : pc_writer_flush(w, NULL);
}

static int verify(struct pc_cache *c, const struct pc_replay *r)
{
	uint8_t *got = calloc(1, SPACE);
	int bad = 0;

	for (size_t i = 0; i < r->n_ext; i++) {
		const struct pc_extent *e = &r->ext[i];
		uint64_t dev_off = pc_cache_pos_dev_off(c,
				(struct pc_pos){ e->seg, e->seg_off });

		bad += e->off + e->len > SPACE || !e->dirty;
		if (!bad)
			pc_dev_read(c->dev, dev_off, got + e->off, e->len, NULL);
	}
	for (uint64_t s = 0; s < SPACE / 512 && !bad; s++)
		if (cached[s])
			bad += memcmp(got + s * 512, shadow + s * 512, 512) != 0;
	free(got);
	return bad;
}

/* Start the log @back bytes before the end of segment 0 (a cache whose
 * log has moved on), so that it soon has to cross into another segment. */
static int move_tails(struct pc_cache *c, uint32_t back)
{
	struct pc_pos p = { 0, PCD_SEG_DATA_SIZE - back };

	return pc_cache_write_tail(c, PC_KEY_TAIL, p, NULL) ||
	       pc_cache_write_tail(c, PC_DIRTY_TAIL, p, NULL) ||
	       pc_dev_flush(c->dev, NULL);
}

static void round_trip(bool data_crc, size_t n_writes)
{
	char path[] = "/tmp/pcache-test-XXXXXX";
	struct pc_writer *w = NULL;
	struct pc_cache *c = NULL;
	struct pc_dev *dev = NULL;
	struct pc_replay r = { 0 };
	struct pc_pos head;
	uint32_t used;

	memset(shadow, 0, SPACE);
	memset(cached, 0, SPACE / 512);
	ok(make_image(path, data_crc) == 0, "format a 1 GiB image");
	ok(!pc_dev_open(path, PC_OPEN_RDWR, &dev, NULL) &&
	   !pc_cache_open(dev, &c, NULL) && !move_tails(c, 20000) &&
	   !pc_writer_open(c, &w, NULL),
	   "open it for writing, log starting near the end of segment 0");
	ok(write_some(w, n_writes) == 0, "%zu writes through the log writer",
	   n_writes);
	head = pc_writer_head(w);
	used = pc_writer_segs_used(w);
	pc_writer_free(w);
	pc_cache_free(c);
	ok(!pc_cache_open(dev, &c, NULL) &&
	   !pc_replay(c, SPACE, PC_REPLAY_CHECK_DATA, &r),
	   "replay%s succeeds", data_crc ? " with data CRC checks" : "");
	ok(r.head.seg == head.seg && r.head.off == head.off,
	   "key_head %u:%u found where the writer left it (%u:%u)",
	   r.head.seg, r.head.off, head.seg, head.off);
	ok(r.segs_used == used, "segments in use: %u, writer %u", r.segs_used,
	   used);
	ok(r.n_last > 0, "the log crossed segments (%llu LAST ksets)",
	   (unsigned long long)r.n_last);
	ok(verify(c, &r) == 0, "every cached byte equals the shadow");
	pc_replay_free(&r);
	pc_cache_free(c);
	pc_dev_close(dev);
	unlink(path);
}

int main(void)
{
	shadow = malloc(SPACE);
	cached = malloc(SPACE / 512);
	srand(42);
	round_trip(false, 6000);
	round_trip(true, 3000);
	free(shadow);
	free(cached);
	return tap_done();
}
