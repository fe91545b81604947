// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libmicro.c - the libpcache microbenchmarks: CRC32C against memory read
 * bandwidth, format, kset append, replay and the open ("scan") of a cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "check.h"
#include "libbench.h"

bool lb_progress;

double lb_now(void)
{
	return (double)now_ns() / 1e9;
}

/* ---- CRC32C and memory bandwidth -------------------------------------- */

static volatile uint64_t sink;

static uint64_t mem_read(const uint64_t *p, size_t words)
{
	uint64_t a = 0, b = 0, c = 0, d = 0;
	size_t i;

	for (i = 0; i + 4 <= words; i += 4) {
		a += p[i];
		b += p[i + 1];
		c += p[i + 2];
		d += p[i + 3];
	}
	return a ^ b ^ c ^ d;
}

/* Bytes per second of fn over the buffer, repeated for at least min_s. */
#define RATE(min_s, bytes, stmt) ({					\
	double __t0 = lb_now(), __el;					\
	uint64_t __n = 0;						\
	do {								\
		stmt;							\
		__n++;							\
		__el = lb_now() - __t0;					\
	} while (__el < (min_s) && !stop_requested());			\
	(double)(bytes) * (double)__n / __el;				\
})

static uint32_t crc_per_4k(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0;
	size_t off;

	for (off = 0; off + 4096 <= len; off += 4096)
		crc ^= pc_crc32c(PCD_CRC_SEED, buf + off, 4096);
	return crc;
}

int lb_crc_bench(const struct lb_opts *o, struct lb_crc *res)
{
	size_t len = o->crc_size, hot = 65536;
	double t = o->min_time;
	uint64_t *buf, seed = 1;
	size_t i;

	if (posix_memalign((void **)&buf, 4096, len))
		return -ENOMEM;
	for (i = 0; i < len / 8; i++)
		buf[i] = rng_next(&seed);
	/* A wrong CRC measured fast is worth nothing: check it first. */
	if (pc_crc32c(PCD_CRC_SEED, buf, hot) !=
	    pc_crc32c_portable(PCD_CRC_SEED, buf, hot)) {
		free(buf);
		return -EILSEQ;
	}
	res->impl = pc_crc32c_impl();
	res->buf_bytes = len;
	res->mem_read_bps = RATE(t, len, sink += mem_read(buf, len / 8));
	res->crc_mem_bps = RATE(t, len, sink += pc_crc32c(PCD_CRC_SEED, buf, len));
	res->crc_hot_bps = RATE(t, hot, sink += pc_crc32c(PCD_CRC_SEED, buf, hot));
	res->crc_4k_bps = RATE(t, len & ~4095UL, sink += (uint64_t)crc_per_4k(
					(const uint8_t *)buf, len));
	res->portable_bps = RATE(t, hot, sink += pc_crc32c_portable(PCD_CRC_SEED,
								 buf, hot));
	res->done = !stop_requested();
	free(buf);
	return 0;
}

/* ---- Format ----------------------------------------------------------- */

/*
 * Make @path a sparse file of @size bytes, or as large a multiple of the
 * segment size as its filesystem allows. Returns the size made.
 */
static int make_sparse(const char *path, uint64_t size, uint64_t *made)
{
	uint64_t segs = (size - PCD_SEGS_OFF) / PCD_SEG_SIZE;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (ftruncate(fd, (off_t)size)) {
		if ((errno != EFBIG && errno != EINVAL) || segs < 32) {
			ret = -errno;
			break;
		}
		segs /= 2;
		size = PCD_SEGS_OFF + segs * PCD_SEG_SIZE;
	}
	*made = size;
	close(fd);
	return ret;
}

/* Percent done of a format, on a terminal only (lib.c sets lb_progress). */
static void format_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (total)
		fprintf(stderr, "\r\033[Kformat... %3.0f %%",
			100.0 * (double)done / (double)total);
}

int lb_format_image(const char *path, uint64_t size, struct lb_format *res,
		    struct pc_err *err)
{
	struct pc_format_opts fo = { .gc_percent = PCD_GC_PERCENT_DEFAULT };
	struct pc_layout l;
	struct pc_dev *dev;
	double t0;
	int ret;

	if (lb_progress)
		fo.progress = format_progress;

	res->target_size = size;
	res->target_segs = (uint32_t)((size - PCD_SEGS_OFF) / PCD_SEG_SIZE);
	if (res->target_segs > PCD_SEGS_MAX)
		res->target_segs = PCD_SEGS_MAX;
	ret = make_sparse(path, size, &res->size);
	if (ret) {
		pc_err_set(err, ret, "%s: cannot create image: %s", path,
			   strerror(-ret));
		return ret;
	}
	ret = pc_dev_open(path, PC_OPEN_RDWR, &dev, err);
	if (ret)
		return ret;
	t0 = lb_now();
	ret = pc_format_plan(res->size, &fo, &l, err);
	if (!ret)
		ret = pc_format_write(dev, &l, &fo, err);
	if (!ret)
		ret = pc_dev_flush(dev, err);
	res->seconds = lb_now() - t0;
	res->seg_num = l.seg_num;
	if (l.seg_num)
		res->extrapolated_s = res->seconds * res->target_segs / l.seg_num;
	pc_dev_close(dev);
	res->done = !ret;
	return ret;
}

/* ---- Kset append ------------------------------------------------------ */

struct appender {
	struct pc_cache *c;
	struct pc_pos head;
	uint32_t next_log_seg;		/* log uses the lower half of the chain */
	uint32_t data_seg, data_off;	/* keys point into the upper half */
	uint64_t rng;
	uint8_t buf[PCD_KSET_SIZE_MAX + PCD_KSET_HDR_SIZE];
};

static void fill_keys(struct appender *a, struct pcd_kset *ks, uint32_t n)
{
	uint32_t half = a->c->info.n_segs / 2, i;

	for (i = 0; i < n; i++) {
		struct pcd_key *k = &ks->keys[i];

		if (a->data_off + 4096 > PCD_SEG_DATA_SIZE) {
			a->data_off = 0;
			if (++a->data_seg >= a->c->info.n_segs)
				a->data_seg = half;
		}
		memset(k, 0, sizeof(*k));
		k->off = (rng_next(&a->rng) % (1ULL << 28)) * 4096;
		k->len = 4096;
		k->cache_seg_id = a->data_seg;
		k->cache_seg_off = a->data_off;
		a->data_off += 4096;
	}
}

/* Write @size bytes of the kset in a->buf plus a 24-byte terminator. */
static int put_kset(struct appender *a, uint32_t size, struct pc_err *err)
{
	memset(a->buf + size, 0, PCD_KSET_HDR_SIZE);
	return pc_dev_write(a->c->dev, pc_cache_pos_dev_off(a->c, a->head),
			    a->buf, size + PCD_KSET_HDR_SIZE, err);
}

/* The log leaves a full segment through a LAST kset (FORMAT.md 9.3). */
static int hop_segment(struct appender *a, struct lb_append *res,
		       struct pc_err *err)
{
	struct pcd_kset *ks = (struct pcd_kset *)a->buf;
	uint32_t size;
	int ret;

	if (a->next_log_seg >= a->c->info.n_segs / 2)
		return -ENOSPC;
	memset(ks, 0, PCD_KSET_HDR_SIZE);
	size = pc_encode_kset(ks, a->next_log_seg, true);
	ret = put_kset(a, size, err);
	a->head.seg = a->next_log_seg++;
	a->head.off = 0;
	res->last_ksets++;
	res->segments++;
	return ret;
}

static int append_one(struct appender *a, struct lb_append *res,
		      struct pc_err *err)
{
	struct pcd_kset *ks = (struct pcd_kset *)a->buf;
	uint32_t size = PCD_KSET_SIZE_MAX;
	int ret;

	if (PCD_SEG_DATA_SIZE - a->head.off < size + PCD_KSET_HDR_SIZE) {
		ret = hop_segment(a, res, err);
		if (ret)
			return ret;
	}
	fill_keys(a, ks, PCD_KSET_KEYS_MAX);
	size = pc_encode_kset(ks, PCD_KSET_KEYS_MAX, false);
	ret = put_kset(a, size, err);
	if (ret)
		return ret;
	a->head.off += size;
	res->ksets++;
	res->keys += PCD_KSET_KEYS_MAX;
	res->log_bytes += size;
	return 0;
}

static int open_cache(const char *path, bool rw, struct pc_dev **dev,
		      struct pc_cache **c, struct pc_err *err)
{
	int ret;

	ret = pc_dev_open(path, rw ? PC_OPEN_RDWR : 0, dev, err);
	if (ret)
		return ret;
	ret = pc_cache_open(*dev, c, err);
	if (ret) {
		pc_cache_free(*c);
		pc_dev_close(*dev);
	}
	return ret;
}

int lb_append_bench(const char *path, uint64_t ksets, struct lb_append *res,
		    struct pc_err *err)
{
	struct appender *a;
	struct pc_cache *c;
	struct pc_dev *dev;
	double t0;
	int ret;

	ret = open_cache(path, true, &dev, &c, err);
	if (ret)
		return ret;
	a = calloc(1, sizeof(*a));
	if (!a) {
		ret = -ENOMEM;
		goto out;
	}
	a->c = c;
	a->head = c->key_tail;
	a->next_log_seg = c->key_tail.seg + 1;
	a->data_seg = c->info.n_segs / 2;
	a->rng = 42;
	res->segments = 1;
	t0 = lb_now();
	while (res->ksets < ksets && !stop_requested()) {
		ret = append_one(a, res, err);
		if (ret == -ENOSPC) {	/* log half full: stop there */
			ret = 0;
			break;
		}
		if (ret)
			break;
	}
	if (!ret)
		ret = pc_dev_flush(dev, err);
	res->seconds = lb_now() - t0;
	res->done = !ret && !stop_requested();
	free(a);
out:
	pc_cache_free(c);
	pc_dev_close(dev);
	return ret;
}

/* ---- Replay and scan -------------------------------------------------- */

int lb_replay_bench(const char *path, struct lb_replay *res, struct pc_err *err)
{
	struct pc_replay r;
	struct pc_cache *c;
	struct pc_dev *dev;
	double t0;
	int ret;

	t0 = lb_now();
	ret = open_cache(path, false, &dev, &c, err);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	ret = pc_replay(c, 0, 0, &r);
	res->seconds = lb_now() - t0;
	if (ret)
		pc_err_set(err, ret, "%s", r.err.msg);
	res->ksets = r.n_ksets;
	res->keys = r.n_keys;
	res->extents = r.n_ext;
	res->log_bytes = r.n_ksets * PCD_KSET_HDR_SIZE + r.n_keys * PCD_KEY_SIZE +
			 r.n_last * PCD_KSET_HDR_SIZE;
	res->done = !ret;
	pc_replay_free(&r);
	pc_cache_free(c);
	pc_dev_close(dev);
	return ret;
}

/* The offline checker (lib/check, what pcache-fsck -n runs) over @path. */
static int fsck_run(const char *path, struct lb_scan *res, struct pc_err *err)
{
	struct pc_check_opts co = { .data_crc = -1, .repair = PC_REPAIR_NONE,
				    .cancel = &bench_stop };
	struct pc_check *ck;
	struct pc_dev *dev;
	size_t n = 0;
	double t0;
	int ret;

	ret = pc_dev_open(path, 0, &dev, err);
	if (ret)
		return ret;
	t0 = lb_now();
	ck = pc_check_new(dev, &co);
	ret = ck ? pc_check_run(ck) : -ENOMEM;
	res->fsck_s = lb_now() - t0;
	if (ck) {
		pc_check_findings(ck, &n);
		res->fsck_findings = n;
		res->fsck_accepts = pc_check_kernel_accepts(ck);
		if (ret && ret != -ECANCELED)
			pc_err_set(err, ret, "%s", pc_check_error(ck)->msg);
		pc_check_free(ck);
	}
	pc_dev_close(dev);
	return ret == -ECANCELED ? 0 : ret;
}

int lb_scan_bench(const char *path, struct lb_scan *res, struct pc_err *err)
{
	struct pc_replay r;
	struct pc_cache *c;
	struct pc_dev *dev;
	double t0, t1;
	int ret;

	t0 = lb_now();
	ret = open_cache(path, false, &dev, &c, err);
	if (ret)
		return ret;
	t1 = lb_now();
	memset(&r, 0, sizeof(r));
	ret = pc_replay(c, 0, 0, &r);
	res->replay_s = lb_now() - t1;
	res->open_s = t1 - t0;
	res->segments = c->info.n_segs;
	if (ret)
		pc_err_set(err, ret, "%s", r.err.msg);
	pc_replay_free(&r);
	pc_cache_free(c);
	pc_dev_close(dev);
	if (!ret && !stop_requested())
		ret = fsck_run(path, res, err);
	res->done = !ret && !stop_requested();
	return ret;
}
