/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_image.h - the input layout shared by the libFuzzer targets that take a
 * cache image (fuzz_fsck, fuzz_replay, fuzz_dump, fuzz_writeback), so one
 * seed corpus (fuzz/corpus/fsck, made by fuzz/mkcorpus.py) feeds them all.
 *
 * So that short inputs can reach segments, the input is a sparse map of a
 * larger virtual device:
 *
 *   bytes 0 .. 20479     device bytes 0 .. 20479 (superblock, cache_info,
 *                        tails). Byte 0 (never read by the format): bits 0-1
 *                        device size: 0 = the input's own length,
 *                        1 = 512 MiB, 2 = 1 GiB, 3 = 32 MiB; bit 4 a
 *                        256 MiB backing size; bits 2, 3, 5-7 and bytes
 *                        2 .. 15 are each target's options. Byte 1: number
 *                        N of segment records that follow.
 *   then N x 64 bytes    segment p's segment_info slots (offsets 0, 4096)
 *                        and generation slots (8192, 8208), 16 bytes each
 *   then 4096-byte pieces  piece i is the start of segment i's data area
 *
 * With size selector 0 the input is the device, byte for byte.
 */
#ifndef PC_FZ_IMAGE_H
#define PC_FZ_IMAGE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcache.h"

#define FZ_HDR		20480U
#define FZ_SEGREC	64U
#define FZ_PIECE	4096U
#define FZ_BACKING_BIT	0x10U

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline uint64_t fz_dev_size(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 512ULL << 20, 1ULL << 30,
					  32ULL << 20 };
	unsigned int sel = size ? data[0] & 3 : 0;

	return sel ? sizes[sel] : size;
}

/* Option byte @i of the input (0 when the input is shorter). */
static inline uint8_t fz_byte(const uint8_t *data, size_t size, size_t i)
{
	return i < size ? data[i] : 0;
}

static inline int fz_put(int fd, uint64_t dev_size, uint64_t off,
			 const void *p, size_t n)
{
	if (off >= dev_size)
		return 0;
	if (n > dev_size - off)
		n = dev_size - off;
	return pwrite(fd, p, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static inline int fz_layout(int fd, const uint8_t *data, size_t size,
			    uint64_t dev)
{
	size_t pos = size < FZ_HDR ? size : FZ_HDR;
	unsigned int nrec = size > 1 ? data[1] : 0;

	if (fz_put(fd, dev, 0, data, pos))
		return -1;
	for (unsigned int p = 0; p < nrec && pos + FZ_SEGREC <= size; p++) {
		const uint8_t *r = data + pos;
		uint64_t base = pcd_seg_offset(p);

		if (fz_put(fd, dev, base, r, 16) ||
		    fz_put(fd, dev, base + PCD_SEG_INFO_STRIDE, r + 16, 16) ||
		    fz_put(fd, dev, base + PCD_SEG_CTRL_OFF, r + 32, 32))
			return -1;
		pos += FZ_SEGREC;
	}
	for (uint32_t i = 0; pos < size; i++) {
		size_t n = size - pos < FZ_PIECE ? size - pos : FZ_PIECE;

		if (fz_put(fd, dev, pcd_data_offset(i, 0), data + pos, n))
			return -1;
		pos += n;
	}
	return 0;
}

/*
 * A memfd holding the virtual device of the input; its path for
 * pc_dev_open() in @path. Returns the fd or -1.
 */
static inline int fz_image(const uint8_t *data, size_t size, char *path,
			   size_t plen)
{
	uint64_t dev_size = fz_dev_size(data, size);
	int fd = memfd_create("pcache-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)dev_size))
		goto fail;
	if ((size ? data[0] & 3 : 0) == 0) {
		if (size && pwrite(fd, data, size, 0) != (ssize_t)size)
			goto fail;
	} else if (fz_layout(fd, data, size, dev_size)) {
		goto fail;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
fail:
	close(fd);
	return -1;
}

/* An empty (sparse) memfd of @size bytes, e.g. a backing device. */
static inline int fz_blank(uint64_t size, char *path, size_t plen)
{
	int fd = memfd_create("pcache-fuzz-backing", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return -1;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

/* The backing size byte 0 selects: 256 MiB, or 0 (none). */
static inline uint64_t fz_backing_size(const uint8_t *data, size_t size)
{
	return fz_byte(data, size, 0) & FZ_BACKING_BIT ? 268435456ULL : 0;
}

#endif
