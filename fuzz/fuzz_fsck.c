// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over the offline checker (lib/check): the input bytes
 * are the cache device, presented as a memory-backed image (a memfd).
 *
 * So that short inputs can reach segments, the input is a sparse map of a
 * larger virtual device:
 *
 *   bytes 0 .. 20479     device bytes 0 .. 20479 (superblock, cache_info,
 *                        tails). Byte 0 (never read by the format) selects:
 *                        bits 0-1 device size: 0 = the input's own length,
 *                        1 = 512 MiB, 2 = 1 GiB, 3 = 32 MiB; bit 2
 *                        --verify-data; bit 3 -y (repairs, on the memfd);
 *                        bit 4 a 256 MiB backing size. Byte 1: number N of
 *                        segment records that follow.
 *   then N x 64 bytes    segment p's segment_info slots (offsets 0, 4096)
 *                        and generation slots (8192, 8208), 16 bytes each
 *   then 4096-byte pieces  piece i is the start of segment i's data area
 *
 * With size selector 0 the input is the device, byte for byte.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define FZ_HDR		20480U
#define FZ_SEGREC	64U
#define FZ_PIECE	4096U

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fz_dev_size(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 512ULL << 20, 1ULL << 30,
					  32ULL << 20 };
	unsigned int sel = size ? data[0] & 3 : 0;

	return sel ? sizes[sel] : size;
}

static int fz_put(int fd, uint64_t dev_size, uint64_t off, const void *p,
		  size_t n)
{
	if (off >= dev_size)
		return 0;
	if (n > dev_size - off)
		n = dev_size - off;
	return pwrite(fd, p, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static int fz_layout(int fd, const uint8_t *data, size_t size, uint64_t dev)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t dev_size = fz_dev_size(data, size);
	unsigned int mode = size ? data[0] : 0;
	struct pc_check_opts o = {
		.data_crc = -1,
		.verify_data = mode & 4,
		.repair = (mode & 8) && (mode & 3) ? PC_REPAIR_ALL :
						     PC_REPAIR_NONE,
		.backing_size = mode & 16 ? 268435456 : 0,
	};
	struct pc_dev *dev = NULL;
	struct pc_check *ck;
	char path[64];
	int fd;

	fd = memfd_create("pcache-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (ftruncate(fd, (off_t)dev_size))
		goto out;
	if ((mode & 3) == 0) {
		if (size && pwrite(fd, data, size, 0) != (ssize_t)size)
			goto out;
	} else if (fz_layout(fd, data, size, dev_size)) {
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (pc_dev_open(path, o.repair ? PC_OPEN_RDWR : 0, &dev, NULL))
		goto out;
	ck = pc_check_new(dev, &o);
	if (ck) {
		size_t n;

		pc_check_run(ck);
		pc_check_findings(ck, &n);
		(void)pc_check_exit_code(ck, 0);
		pc_check_free(ck);
	}
	pc_dev_close(dev);
out:
	close(fd);
	return 0;
}
