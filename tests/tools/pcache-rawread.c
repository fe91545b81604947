// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-rawread: the raw cost of reading a list of byte ranges, for the
 * offline-speed benchmark (tools/bench-offline-replay.sh). Each line of
 * LIST, "FILE OFFSET LENGTH", is read with pread() from the FILE-th file
 * given (0 = the first) into a 1 MiB buffer, in the order of the list;
 * nothing is written. With -c SIZE the bytes read are checksummed as well,
 * CRC32C in calls of SIZE bytes (the size of the keys whose data CRCs a
 * tool verifies). With -m the files are mapped and their page tables
 * filled before the clock starts, and each range is copied out of the
 * mapping with memcpy(): no system call and no page fault per range, the
 * floor of any way of gathering these bytes from the page cache. The list
 * is loaded first; only the reads (copies) are timed.
 * Prints "BYTES READS CPU_SECONDS WALL_SECONDS CRC32C_IMPLEMENTATION".
 *
 *   pcache-rawread [-m] [-c SIZE] LIST FILE...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pcache.h"

#define BUF (1u << 20)

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

struct range {
	uint64_t off, len;
	unsigned int file;
};

static void die(const char *what)
{
	fprintf(stderr, "pcache-rawread: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static struct range *load(const char *path, unsigned int n_files, size_t *n)
{
	unsigned long long off, len;
	struct range *v = NULL;
	size_t cap = 0;
	unsigned int f;
	FILE *in = fopen(path, "r");

	if (!in)
		die(path);
	*n = 0;
	while (fscanf(in, "%u %llu %llu", &f, &off, &len) == 3) {
		if (f >= n_files) {
			fprintf(stderr, "pcache-rawread: file %u not given\n", f);
			exit(16);
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("realloc");
		}
		v[(*n)++] = (struct range){ off, len, f };
	}
	fclose(in);
	return v;
}

static size_t crc_size;
static uint32_t crc_sink;	/* keeps the CRCs computed */

static void checksum(const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = len < crc_size ? len : crc_size;

		crc_sink ^= pc_crc32c(PCD_CRC_SEED, p, n);
		p += n;
		len -= n;
	}
}

/* Read one range in pieces of at most BUF bytes, wrapping in @buf. */
static uint64_t read_range(int fd, const struct range *r, uint8_t *buf,
			   size_t *fill, uint64_t *reads)
{
	uint64_t off = r->off, len = r->len, got = 0;

	while (len) {
		size_t n = BUF - *fill < len ? BUF - *fill : (size_t)len;
		ssize_t k = pread(fd, buf + *fill, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("pread");
		(*reads)++;
		if (k == 0)
			break;
		if (crc_size)
			checksum(buf + *fill, (size_t)k);
		got += (uint64_t)k;
		off += (uint64_t)k;
		len -= (uint64_t)k;
		*fill = (*fill + (size_t)k) % BUF;
	}
	return got;
}

/* -m: the file mapped, every page mapped in before the clock starts */
static const uint8_t *map_whole(int fd, const char *path, uint64_t *size)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st))
		die(path);
	*size = (uint64_t)st.st_size;
	if (!st.st_size)
		return NULL;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die(path);
	if (madvise(p, (size_t)st.st_size, MADV_POPULATE_READ))
		die("madvise(MADV_POPULATE_READ)");
	return p;
}

/* Copy one range out of a mapping, in the same pieces as read_range(). */
static uint64_t copy_range(const uint8_t *map, uint64_t size,
			   const struct range *r, uint8_t *buf, size_t *fill,
			   uint64_t *reads)
{
	uint64_t off = r->off, len = r->len, got = 0;

	if (off > size)
		return 0;
	if (len > size - off)
		len = size - off;
	while (len) {
		size_t n = BUF - *fill < len ? BUF - *fill : (size_t)len;

		memcpy(buf + *fill, map + off, n);
		(*reads)++;
		if (crc_size)
			checksum(buf + *fill, n);
		got += n;
		off += n;
		len -= n;
		*fill = (*fill + n) % BUF;
	}
	return got;
}

int main(int argc, char **argv)
{
	uint64_t bytes = 0, reads = 0;
	int first = 1, n_files;
	struct range *v;
	size_t n, fill = 0;
	const uint8_t **map = NULL;
	uint64_t *size = NULL;
	bool mapped = false;
	double cpu, wall;
	uint8_t *buf;
	int *fd;

	if (argc > 1 && !strcmp(argv[1], "-m")) {
		mapped = true;
		first++;
	}
	if (argc > first + 1 && !strcmp(argv[first], "-c")) {
		crc_size = (size_t)strtoul(argv[first + 1], NULL, 0);
		if (!crc_size)
			first = argc;
		first += 2;
	}
	n_files = argc - first - 1;
	if (n_files < 1) {
		fprintf(stderr, "Usage: pcache-rawread [-m] [-c SIZE] LIST FILE...\n");
		return 16;
	}
	fd = calloc((size_t)n_files, sizeof(*fd));
	map = calloc((size_t)n_files, sizeof(*map));
	size = calloc((size_t)n_files, sizeof(*size));
	buf = malloc(BUF);
	if (!fd || !map || !size || !buf)
		die("malloc");
	for (int i = 0; i < n_files; i++) {
		fd[i] = open(argv[first + 1 + i], O_RDONLY);
		if (fd[i] < 0)
			die(argv[first + 1 + i]);
		if (mapped)
			map[i] = map_whole(fd[i], argv[first + 1 + i], &size[i]);
	}
	v = load(argv[first], (unsigned int)n_files, &n);
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	wall = clock_s(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i++) {
		unsigned int f = v[i].file;

		bytes += mapped ? copy_range(map[f], size[f], &v[i], buf, &fill,
					     &reads) :
				  read_range(fd[f], &v[i], buf, &fill, &reads);
	}
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = clock_s(CLOCK_MONOTONIC) - wall;
	printf("%llu %llu %.4f %.4f %s\n", (unsigned long long)bytes,
	       (unsigned long long)reads, cpu, wall, pc_crc32c_impl());
	free(v);
	free(buf);
	free(fd);
	free(map);
	free(size);
	return 0;
}
