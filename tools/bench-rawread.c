// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-rawread FILE START STRIDE COUNT LEN DEPTH - the raw cost of the
 * reads pcache-fsck makes of the segment metadata: COUNT records of LEN
 * bytes at START, START + STRIDE, ... read with pread by DEPTH threads,
 * each taking 8 consecutive records at a time (as lib/dev/prefetch.c
 * does), into buffers that are read and nothing else. Prints the seconds
 * taken and the bytes read. Built and run by tools/bench-fsck.sh; not a
 * test.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 8

static int fd;
static uint64_t start, stride, count, len;
static uint64_t next;		/* next record to take */
static uint64_t bytes;
static int failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg)
{
	uint8_t *buf = malloc(len);
	uint64_t got = 0;

	(void)arg;
	if (!buf)
		return NULL;
	for (;;) {
		uint64_t k, n;

		pthread_mutex_lock(&mu);
		k = next;
		n = count - k < BATCH ? count - k : BATCH;
		next += n;
		pthread_mutex_unlock(&mu);
		if (!n)
			break;
		for (uint64_t i = 0; i < n; i++) {
			ssize_t r = pread(fd, buf, len,
					  (off_t)(start + (k + i) * stride));

			if (r < 0) {
				failed = errno;
				break;
			}
			got += (uint64_t)r;
		}
	}
	pthread_mutex_lock(&mu);
	bytes += got;
	pthread_mutex_unlock(&mu);
	free(buf);
	return NULL;
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th[256];
	unsigned int depth;

	if (argc != 7) {
		fprintf(stderr, "usage: %s FILE START STRIDE COUNT LEN DEPTH\n",
			argv[0]);
		return 2;
	}
	start = num(argv[2]);
	stride = num(argv[3]);
	count = num(argv[4]);
	len = num(argv[5]);
	depth = (unsigned int)num(argv[6]);
	if (!depth || depth > 256 || !len) {
		fprintf(stderr, "%s: DEPTH is 1 to 256, LEN above 0\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < depth; i++)
		if (pthread_create(&th[i], NULL, reader, NULL)) {
			fprintf(stderr, "%s: cannot start a thread\n", argv[0]);
			return 1;
		}
	for (unsigned int i = 0; i < depth; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (failed) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(failed));
		return 1;
	}
	printf("%.3f %" PRIu64 "\n", (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, bytes);
	return 0;
}
