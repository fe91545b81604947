// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over pcache-dump (cmd/pcache-dump, its main() and every
 * section: header, segments, one segment, log, replay, extract), human and
 * JSON output.
 *
 * The input is a cache image in the sparse layout of fz_image.h. Byte 0
 * bits 0-1 and 4 (--backing, a blank 256 MiB device) as there; bit 2
 * --json; bit 3 every section (-s -S -l -r) instead of the default set;
 * bit 5 --segment (byte 2, modulo n_segs); bit 6 --from (byte 3 : bytes
 * 4-7); bit 7 --limit (byte 8). Byte 9: bit 0 --no-verify; bit 1 (with a
 * backing device) --extract alone, offset bytes 10-11 x 4 KiB, length
 * bytes 12-13 x 512.
 */
#include <stdlib.h>

#include "fz_image.h"
#include "fz_tool.h"

int pcfz_dump_main(int argc, char **argv);

static uint32_t le_bytes(const uint8_t *data, size_t size, size_t at,
			 unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint32_t)fz_byte(data, size, at + i) << (8 * i);
	return v;
}

/* n_segs as the tool will see it, so that --segment stays in range (an
 * out-of-range --segment is a usage error, which exits). */
static uint32_t peek_n_segs(const char *path)
{
	struct pc_dev *dev = NULL;
	struct pc_cache *c = NULL;
	uint32_t n = 0;

	if (pc_dev_open(path, 0, &dev, NULL))
		return 0;
	pc_cache_open(dev, &c, NULL);
	if (c && c->stage >= PC_STAGE_INFO)
		n = c->info.n_segs;
	pc_cache_free(c);
	pc_dev_close(dev);
	return n;
}

struct fz_dump_args {
	char seg[16], from[32], limit[16], off[24], len[24];
	char backing[64];
};

static void section_args(struct fz_argv *a, struct fz_dump_args *s,
			 const uint8_t *data, size_t size, const char *path)
{
	unsigned int mode = fz_byte(data, size, 0);
	uint32_t n_segs;

	if (mode & 4)
		fz_arg(a, "--json");
	if (mode & 8) {
		fz_arg(a, "-s");
		fz_arg(a, "-S");
		fz_arg(a, "-l");
		fz_arg(a, "-r");
	}
	n_segs = mode & 0x20 ? peek_n_segs(path) : 0;
	if (n_segs) {
		snprintf(s->seg, sizeof(s->seg), "%u",
			 fz_byte(data, size, 2) % n_segs);
		fz_arg(a, "--segment");
		fz_arg(a, s->seg);
	}
	if (mode & 0x40) {
		snprintf(s->from, sizeof(s->from), "%u:%u",
			 fz_byte(data, size, 3), le_bytes(data, size, 4, 4));
		fz_arg(a, "--from");
		fz_arg(a, s->from);
	}
	if (mode & 0x80) {
		snprintf(s->limit, sizeof(s->limit), "%u", fz_byte(data, size, 8));
		fz_arg(a, "--limit");
		fz_arg(a, s->limit);
	}
	if (fz_byte(data, size, 9) & 1)
		fz_arg(a, "--no-verify");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bsize = fz_backing_size(data, size);
	struct fz_dump_args s;
	struct fz_argv a = { 0 };
	char path[64];
	int fd, bfd = -1;

	fd = fz_image(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	fz_arg(&a, "pcache-dump");
	if (bsize) {
		bfd = fz_blank(bsize, s.backing, sizeof(s.backing));
		if (bfd < 0)
			goto out;
		fz_arg(&a, "--backing");
		fz_arg(&a, s.backing);
	}
	if (bsize && (fz_byte(data, size, 9) & 2)) {
		snprintf(s.off, sizeof(s.off), "%u",
			 le_bytes(data, size, 10, 2) * 4096);
		snprintf(s.len, sizeof(s.len), "%u",
			 le_bytes(data, size, 12, 2) * 512);
		fz_arg(&a, "--extract");
		fz_arg(&a, s.off);
		fz_arg(&a, s.len);
	} else {
		section_args(&a, &s, data, size, path);
	}
	fz_arg(&a, path);
	fz_run_quiet(pcfz_dump_main, &a);
out:
	if (bfd >= 0)
		close(bfd);
	close(fd);
	return 0;
}
