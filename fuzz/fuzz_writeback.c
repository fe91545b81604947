// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over pcache-writeback's planning (cmd/pcache-writeback:
 * opening both devices, replay, backing bounds, the data CRCs of dirty
 * extents, the report), by running its main() with --dry-run.
 *
 * The input is a cache image in the sparse layout of fz_image.h. Byte 0
 * bits 0-1 as there; the backing device is blank, 256 MiB with bit 4,
 * else the size in bytes 2-3 x 64 KiB (plus bytes 4-5 of odd bytes, so
 * that the whole-sector rounding is reached); bit 2 --json; bit 3
 * --skip-bad; bit 5 --verbose. Nothing is written: --dry-run is always
 * given, and the cache image must come out unchanged (a finding
 * otherwise).
 */
#include <stdlib.h>

#include "fz_image.h"
#include "fz_tool.h"

#define FZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

int pcfz_writeback_main(int argc, char **argv);

static uint64_t backing_size(const uint8_t *data, size_t size)
{
	uint64_t n = fz_backing_size(data, size);

	if (n)
		return n;
	n = (uint64_t)(fz_byte(data, size, 2) | fz_byte(data, size, 3) << 8);
	return (n << 16) + (fz_byte(data, size, 4) | fz_byte(data, size, 5) << 8);
}

/* The start of the image (header and first segments), to compare after. */
static uint8_t *snapshot(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	size_t n = end > 0 ? (size_t)end : 0;
	uint8_t *buf;

	if (n > (1U << 20))
		n = 1U << 20;
	buf = malloc(n ? n : 1);
	if (buf && pread(fd, buf, n, 0) != (ssize_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode = fz_byte(data, size, 0);
	char path[64], bpath[64];
	struct fz_argv a = { 0 };
	uint8_t *before, *after;
	size_t blen, alen;
	int fd, bfd;

	fd = fz_image(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	bfd = fz_blank(backing_size(data, size), bpath, sizeof(bpath));
	if (bfd < 0)
		goto out;
	fz_arg(&a, "pcache-writeback");
	fz_arg(&a, "--dry-run");
	if (mode & 4)
		fz_arg(&a, "--json");
	if (mode & 8)
		fz_arg(&a, "--skip-bad");
	if (mode & 0x20)
		fz_arg(&a, "--verbose");
	fz_arg(&a, path);
	fz_arg(&a, bpath);
	before = snapshot(fd, &blen);
	fz_run_quiet(pcfz_writeback_main, &a);
	after = snapshot(fd, &alen);
	if (before && after)
		FZ_ASSERT(blen == alen && !memcmp(before, after, blen));
	free(before);
	free(after);
	close(bfd);
out:
	close(fd);
	return 0;
}
