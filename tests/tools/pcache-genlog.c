// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-genlog: fill a cache image's log through the library's log writer
 * (the kernel's write path), for the replay and writeback benchmark
 * (tools/bench-replay.sh), the demo and tests. An IMAGE that already holds
 * a cache (e.g. from pcache-format) gets keys appended to its log; any
 * other IMAGE is created as a sparse file of --image-size and formatted.
 *
 *   pcache-genlog [options] IMAGE
 *
 * Writes go to random block-aligned offsets in [0, --backing-size); the
 * data is position-dependent (splitmix64 of seed and offset, as the kernel
 * fixtures), so later writes overwrite earlier ones with different bytes.
 * A share of the writes can be CLEAN keys (read-miss fills); they hold
 * zeros, the content of a fresh backing device. No GC runs: the log stops
 * after --size bytes of data, or at --fill percent of the cache's data
 * space.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcache.h"
#include "writer.h"

struct opts {
	const char *path;
	uint64_t image_size;
	uint64_t size;		/* data to write; 0: --fill decides */
	uint64_t backing;
	uint32_t bs;
	uint32_t fill;
	uint32_t clean_pct;
	uint32_t flush_every;
	uint64_t seed;
	bool data_crc;
	bool random_len;
	bool sequential;
	bool append;
};

static void die(const char *what, const struct pc_err *err, int ret)
{
	fprintf(stderr, "pcache-genlog: %s: %s\n", what,
		err && err->msg[0] ? err->msg : strerror(-ret));
	exit(1);
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* The fixtures' pattern: word at byte o holds splitmix64(seed*K + o/8). */
static void pattern(uint8_t *buf, uint64_t off, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(seed * 0x9E3779B97F4A7C15ULL +
					(off + i) / 8);

		memcpy(buf + i, &v, 8);
	}
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	}
	if (*end || end == s) {
		fprintf(stderr, "pcache-genlog: bad size '%s'\n", s);
		exit(16);
	}
	return v;
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"Usage: pcache-genlog [options] IMAGE\n"
		"  --image-size BYTES    size of a new image (default 2G)\n"
		"  --size BYTES          data to write (default: see --fill)\n"
		"  --backing-size BYTES  logical range written (default 1G)\n"
		"  --bs BYTES            write size, multiple of 512 (default 4096)\n"
		"  --random-len          random write sizes from 512 to --bs\n"
		"  --sequential          offsets in order from 0, wrapping at\n"
		"                        --backing-size (a fresh, unfragmented log)\n"
		"  --fill PERCENT        without --size: share of the data space\n"
		"                        to fill (default 80)\n"
		"  --clean PERCENT       share of writes made CLEAN (default 0)\n"
		"  --flush-every N       close the kset every N writes (default 0)\n"
		"  --seed N              pattern seed (default 1)\n"
		"  --data-crc            format with data CRCs\n"
		"  --append              IMAGE must already hold a cache\n");
	exit(code);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "size", 1, NULL, 's' }, { "image-size", 1, NULL, 'i' },
		{ "backing-size", 1, NULL, 'b' },
		{ "bs", 1, NULL, 'B' }, { "fill", 1, NULL, 'f' },
		{ "clean", 1, NULL, 'c' }, { "flush-every", 1, NULL, 'F' },
		{ "seed", 1, NULL, 'S' }, { "data-crc", 0, NULL, 'd' },
		{ "random-len", 0, NULL, 'r' }, { "append", 0, NULL, 'a' },
		{ "sequential", 0, NULL, 'q' },
		{ "help", 0, NULL, 'h' }, { 0 }
	};
	int ch;

	*o = (struct opts){ .image_size = 2ULL << 30, .backing = 1ULL << 30,
			    .bs = 4096, .fill = 80, .seed = 1 };
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o->size = parse_size(optarg); break;
		case 'i': o->image_size = parse_size(optarg); break;
		case 'b': o->backing = parse_size(optarg); break;
		case 'B': o->bs = (uint32_t)parse_size(optarg); break;
		case 'f': o->fill = (uint32_t)parse_size(optarg); break;
		case 'c': o->clean_pct = (uint32_t)parse_size(optarg); break;
		case 'F': o->flush_every = (uint32_t)parse_size(optarg); break;
		case 'S': o->seed = parse_size(optarg); break;
		case 'd': o->data_crc = true; break;
		case 'r': o->random_len = true; break;
		case 'q': o->sequential = true; break;
		case 'a': o->append = true; break;
		case 'h': usage(0); break;
		default: usage(16);
		}
	}
	if (optind + 1 != argc)
		usage(16);
	o->path = argv[optind];
	if (!o->bs || o->bs % 512 || o->bs > PCD_KEY_LEN_MAX ||
	    o->backing < o->bs || o->fill > 100 || o->clean_pct > 100) {
		fprintf(stderr, "pcache-genlog: bad --bs/--backing-size/--fill\n");
		exit(16);
	}
}

/* True when @path already holds a pcache superblock. */
static bool is_cache(const char *path)
{
	struct pc_dev *dev;
	struct pc_sb sb;
	bool yes;

	if (pc_dev_open(path, 0, &dev, NULL))
		return false;
	yes = pc_dev_size(dev) >= PCD_DEV_SIZE_MIN &&
	      !pc_sb_read(dev, &sb, NULL) && pc_sb_valid(&sb);
	pc_dev_close(dev);
	return yes;
}

static void format(const struct opts *o)
{
	struct pc_format_opts fo = { .data_crc = o->data_crc,
				     .gc_percent = PCD_GC_PERCENT_DEFAULT };
	struct pc_err err = { 0 };
	struct pc_layout l;
	struct pc_dev *dev;
	FILE *f = fopen(o->path, "w");
	int ret;

	if (!f || ftruncate(fileno(f), (off_t)o->image_size) || fclose(f))
		die(o->path, NULL, -errno);
	ret = pc_dev_open(o->path, PC_OPEN_RDWR, &dev, &err);
	if (!ret)
		ret = pc_format_plan(o->image_size, &fo, &l, &err);
	if (!ret)
		ret = pc_format_write(dev, &l, &fo, &err);
	if (ret)
		die("format", &err, ret);
	pc_dev_close(dev);
}

static struct pc_cache *make_cache(struct opts *o, struct pc_dev **dev)
{
	struct pc_err err = { 0 };
	struct pc_cache *c;
	int ret;

	if (!o->append)
		o->append = is_cache(o->path);
	else if (!is_cache(o->path))
		die(o->path, NULL, -ENODATA);
	if (o->append && o->clean_pct) {
		/* CLEAN keys hold zeros: only true of a backing device that
		 * nothing has been written back to yet */
		fprintf(stderr, "pcache-genlog: --clean needs a new image\n");
		exit(16);
	}
	if (!o->append)
		format(o);
	ret = pc_dev_open(o->path, PC_OPEN_RDWR, dev, &err);
	if (!ret)
		ret = pc_cache_open(*dev, &c, &err);
	if (ret)
		die("open", &err, ret);
	return c;
}

int main(int argc, char **argv)
{
	struct pc_err err = { 0 };
	struct pc_writer *w;
	struct pc_dev *dev;
	struct pc_cache *c;
	struct opts o;
	uint64_t target, done = 0, writes = 0, rng;
	uint64_t blocks;
	uint8_t *buf;
	int ret;

	parse(argc, argv, &o);
	c = make_cache(&o, &dev);
	ret = pc_writer_open(c, &w, &err);
	if (ret)
		die("writer", &err, ret);
	/* keep two segments for the log itself */
	target = o.size ? o.size :
		 (uint64_t)(c->info.n_segs > 2 ? c->info.n_segs - 2 : 1) *
		 PCD_SEG_DATA_SIZE / 100 * o.fill;
	blocks = o.backing / o.bs;
	rng = o.seed;
	buf = malloc(o.bs);
	if (!buf)
		die("malloc", NULL, -ENOMEM);
	while (done < target) {
		uint64_t r = splitmix64(rng++);
		uint64_t off = (o.sequential ? writes % blocks : r % blocks) *
			       o.bs;
		uint32_t flags = (r >> 40) % 100 < o.clean_pct ?
				 PCD_KEY_F_CLEAN : 0;
		uint32_t len = o.random_len ?
			       (uint32_t)(1 + (r >> 20) % (o.bs / 512)) * 512 :
			       o.bs;

		/* a CLEAN key holds what the (zeroed) backing device holds */
		if (flags)
			memset(buf, 0, len);
		else
			pattern(buf, off, len, o.seed + writes);
		ret = pc_writer_write(w, off, buf, len, flags, &err);
		if (ret == -ENOSPC)
			break;
		if (ret)
			die("write", &err, ret);
		done += len;
		writes++;
		if (o.flush_every && writes % o.flush_every == 0 &&
		    (ret = pc_writer_flush(w, &err)))
			die("flush", &err, ret);
	}
	ret = pc_writer_flush(w, &err);
	if (ret)
		die("flush", &err, ret);
	printf("%s: %llu writes, %llu bytes, key_head %u:%u, %u segments "
	       "in use\n", o.path, (unsigned long long)writes,
	       (unsigned long long)done, pc_writer_head(w).seg,
	       pc_writer_head(w).off, pc_writer_segs_used(w));
	free(buf);
	pc_writer_free(w);
	pc_cache_free(c);
	pc_dev_close(dev);
	return 0;
}
