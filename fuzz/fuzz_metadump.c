// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over the pcache-metadump capture reader
 * (cmd/pcache-metadump/mdfile.c): the input bytes are the capture file,
 * presented through a memfd. Every record is read and its bounds used the
 * way --restore uses them; any bytes must end in a record stream or in one
 * error line, never a crash.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mdfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_reader r;
	struct md_rec rec;
	uint64_t sum = 0;
	FILE *f;
	int fd;

	fd = memfd_create("pcache-fuzz-md", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return 0;
	}
	if (!md_read_open(&r, f, "capture")) {
		while (md_read_next(&r, &rec) == 1) {
			/* what --restore does with a record: touch its bytes */
			if (rec.dev_off + rec.len > r.h.dev_size)
				__builtin_trap();
			sum += rec.data[0] + rec.data[rec.len - 1];
		}
	}
	(void)sum;
	md_read_free(&r);
	fclose(f);
	return 0;
}
