// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-rawread: the raw cost of reading a list of byte ranges, for the
 * offline-speed benchmark (tools/bench-offline-replay.sh). Each line of
 * LIST, "FILE OFFSET LENGTH", is read with pread() from the FILE-th file
 * given (0 = the first) into a 1 MiB buffer, in the order of the list;
 * nothing is written. The list is loaded first; only the reads are timed.
 * Prints "BYTES READS CPU_SECONDS WALL_SECONDS".
 *
 *   pcache-rawread LIST FILE...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF (1u << 20)

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
		got += (uint64_t)k;
		off += (uint64_t)k;
		len -= (uint64_t)k;
		*fill = (*fill + (size_t)k) % BUF;
	}
	return got;
}

int main(int argc, char **argv)
{
	uint64_t bytes = 0, reads = 0;
	struct range *v;
	size_t n, fill = 0;
	double cpu, wall;
	uint8_t *buf;
	int *fd;

	if (argc < 3) {
		fprintf(stderr, "Usage: pcache-rawread LIST FILE...\n");
		return 16;
	}
	fd = calloc((size_t)argc - 2, sizeof(*fd));
	buf = malloc(BUF);
	if (!fd || !buf)
		die("malloc");
	for (int i = 2; i < argc; i++) {
		fd[i - 2] = open(argv[i], O_RDONLY);
		if (fd[i - 2] < 0)
			die(argv[i]);
	}
	v = load(argv[1], (unsigned int)argc - 2, &n);
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	wall = clock_s(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i++)
		bytes += read_range(fd[v[i].file], &v[i], buf, &fill, &reads);
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = clock_s(CLOCK_MONOTONIC) - wall;
	printf("%llu %llu %.4f %.4f\n", (unsigned long long)bytes,
	       (unsigned long long)reads, cpu, wall);
	free(v);
	free(buf);
	free(fd);
	return 0;
}
