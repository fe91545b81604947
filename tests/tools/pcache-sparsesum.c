// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-sparsesum FILE: a checksum of a (sparse) file's whole content
 * that reads only its data extents: the size, and every data extent's
 * offset and bytes, through two CRC32C lanes with different seeds. Used by
 * the tests to prove that a run wrote nothing, without reading gigabytes
 * of holes. Writing anything, zeros included, changes the sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcache.h"

static uint32_t a = 0x12345678, b = 0x9abcdef0;

static void feed(const void *p, size_t n)
{
	a = pc_crc32c(a, p, n);
	b = pc_crc32c(b, p, n);
	b = pc_crc32c(b, &a, sizeof(a));
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	struct stat st;
	off_t off = 0, d, e;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: pcache-sparsesum FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "pcache-sparsesum: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	feed(&st.st_size, sizeof(st.st_size));
	while (off < st.st_size) {
		d = lseek(fd, off, SEEK_DATA);
		if (d < 0)
			break;
		e = lseek(fd, d, SEEK_HOLE);
		if (e < 0)
			e = st.st_size;
		feed(&d, sizeof(d));
		for (off = d; off < e;) {
			size_t n = (size_t)(e - off) < sizeof(buf) ?
				   (size_t)(e - off) : sizeof(buf);
			ssize_t r = pread(fd, buf, n, off);

			if (r <= 0) {
				fprintf(stderr, "pcache-sparsesum: %s: read "
					"failed\n", argv[1]);
				return 1;
			}
			feed(buf, (size_t)r);
			off += r;
		}
	}
	printf("%08x%08x\n", a, b);
	close(fd);
	return 0;
}
