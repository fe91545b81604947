// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over the offline checker (lib/check): the input bytes
 * are the cache device, presented as a memory-backed image (a memfd).
 *
 * The input is a cache image in the sparse layout of fz_image.h. Byte 0
 * bits 0-1 and 4 as there; bit 2 --verify-data; bit 3 -y (repairs, on the
 * memfd, with a size selector other than 0).
 */
#include "check.h"
#include "fz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode = size ? data[0] : 0;
	struct pc_check_opts o = {
		.data_crc = -1,
		.verify_data = mode & 4,
		.repair = (mode & 8) && (mode & 3) ? PC_REPAIR_ALL :
						     PC_REPAIR_NONE,
		.backing_size = fz_backing_size(data, size),
	};
	struct pc_dev *dev = NULL;
	struct pc_check *ck;
	char path[64];
	int fd;

	fd = fz_image(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
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
