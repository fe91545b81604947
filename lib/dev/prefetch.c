// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Read-ahead of equally spaced records with a few threads (prefetch.h).
 *
 * A check of an image file whose pages are not cached spends its time
 * waiting for one small read after another; disks and SSDs answer many
 * reads at once far faster. Records are numbered from the predicted start:
 * record k lives at base + k * stride in slot k % window of a fixed ring.
 * Workers take the next PC_PF_BATCH unread records while the ring has room
 * and read them with pc_dev_read(); the consumer takes record head, waits
 * for it if needed, copies it out and frees its slot. Nothing depends on
 * the order in which reads complete. Memory is the ring (window * len
 * bytes) and the threads, whatever the size of the device.
 *
 * While the records are in the page cache (an image checked a second
 * time) handing them between threads costs more than reading them, so the
 * threads start only once non-blocking reads keep failing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "prefetch.h"

/* Misses allowed before the read-ahead stops: wasted reads stay bounded. */
#define PF_MISSES_MAX 64
/*
 * A non-blocking read also fails on a cached page that carries a
 * read-ahead mark, now and then on a cached file: the threads start when
 * such failures are frequent (4 in a row, or 1 in 8 for a while) and the
 * caller reads the odd one itself.
 */
#define PF_COLD_MISS 8
#define PF_COLD_ENGAGE 32

enum pf_state { PF_EMPTY, PF_DONE, PF_FAILED };

struct pc_pf {
	struct pc_dev *dev;
	uint64_t base, stride, end;
	size_t len;
	uint64_t window;	/* slots in the ring, a multiple of the batch */
	uint8_t *ring;		/* window * len bytes */
	uint8_t *state;		/* enum pf_state per slot */
	uint64_t head;		/* next record the consumer takes */
	uint64_t issue;		/* next record to read */
	uint64_t count;		/* records predicted from base */
	unsigned int in_flight;	/* batches being read */
	unsigned int misses;
	unsigned int depth;	/* threads to start */
	int cold;		/* how often records were not in the page cache */
	bool engaged;		/* threads started: records were not cached */
	bool paused, stop;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* workers: room in the ring, or stop */
	pthread_cond_t done;	/* consumer: a batch finished */
	pthread_t *th;
	unsigned int n_th;
};

/* Records of len bytes at base, base + stride, ... that end by pf->end. */
static uint64_t pf_count(const struct pc_pf *pf)
{
	if (pf->base > pf->end || pf->len > pf->end - pf->base)
		return 0;
	return (pf->end - pf->base - pf->len) / pf->stride + 1;
}

static uint64_t pf_batch(const struct pc_pf *pf)
{
	uint64_t left = pf->count - pf->issue;
	uint64_t room = pf->window - (pf->issue - pf->head);
	uint64_t n = left < PC_PF_BATCH ? left : PC_PF_BATCH;

	if (pf->paused || pf->stop || !n || room < n)
		return 0;
	return n;
}

static void *pf_worker(void *arg)
{
	struct pc_pf *pf = arg;
	bool ok[PC_PF_BATCH];

	pthread_mutex_lock(&pf->mu);
	for (;;) {
		uint64_t k, n, base;

		while (!pf->stop && !pf_batch(pf))
			pthread_cond_wait(&pf->work, &pf->mu);
		if (pf->stop)
			break;
		n = pf_batch(pf);
		k = pf->issue;
		base = pf->base;
		pf->issue += n;
		pf->in_flight++;
		pthread_mutex_unlock(&pf->mu);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t *buf = pf->ring + ((k + i) % pf->window) * pf->len;

			ok[i] = !pc_dev_read(pf->dev, base + (k + i) * pf->stride,
					     buf, pf->len, NULL);
		}
		pthread_mutex_lock(&pf->mu);
		for (uint64_t i = 0; i < n; i++)
			pf->state[(k + i) % pf->window] = ok[i] ? PF_DONE :
								  PF_FAILED;
		pf->in_flight--;
		pthread_cond_broadcast(&pf->done);
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

/* Predict again from @base once no read is in flight (lock held). */
static void pf_restart(struct pc_pf *pf, uint64_t base)
{
	pf->paused = true;
	while (pf->in_flight)
		pthread_cond_wait(&pf->done, &pf->mu);
	pf->base = base;
	pf->head = pf->issue = 0;
	pf->count = pf_count(pf);
	memset(pf->state, PF_EMPTY, pf->window);
	if (pf->misses > PF_MISSES_MAX)
		return;		/* stays paused: every read is the caller's */
	pf->paused = false;
	pthread_cond_broadcast(&pf->work);
}

/*
 * The whole record, if the page cache has it: then a read costs no more
 * than the caller's own and no thread is worth starting.
 */
static bool pf_cached(struct pc_pf *pf, uint64_t off, void *buf)
{
	if (off > pf->end || pf->len > pf->end - off)
		return false;
	return !pc_fd_read_whole(pf->dev->fd, off, buf, pf->len, true);
}

/*
 * Workers never take signals: the caller's handlers stay on its thread.
 * Default stacks: the library's thread-local buffers (kset.c) live there.
 */
static void pf_start(struct pc_pf *pf)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (pf->n_th < pf->depth &&
	       !pthread_create(&pf->th[pf->n_th], NULL, pf_worker, pf))
		pf->n_th++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Records not in the page cache: start the readers, predicting @off. */
static bool pf_engage(struct pc_pf *pf, uint64_t off)
{
	pf->engaged = true;
	pf_start(pf);
	pthread_mutex_lock(&pf->mu);
	if (!pf->n_th)
		pf->misses = PF_MISSES_MAX + 1;
	pf_restart(pf, off);
	pthread_mutex_unlock(&pf->mu);
	return pf->n_th;
}

int pc_pf_read(struct pc_pf *pf, uint64_t off, void *buf)
{
	uint64_t slot;
	int ret = -1;

	if (!pf->engaged) {
		if (pf_cached(pf, off, buf)) {
			pf->cold -= pf->cold > 0;
			return 0;
		}
		pf->cold += PF_COLD_MISS;
		if (pf->cold < PF_COLD_ENGAGE || !pf_engage(pf, off))
			return -1;
	}
	pthread_mutex_lock(&pf->mu);
	if (pf->misses > PF_MISSES_MAX || pf->head >= pf->count)
		goto out;
	if (off != pf->base + pf->head * pf->stride) {
		/* no overflow: a stride past off lies within end or is
		 * refused by pf_count() */
		pf->misses++;
		pf_restart(pf, off > UINT64_MAX - pf->stride ? UINT64_MAX :
			   off + pf->stride);
		goto out;
	}
	slot = pf->head % pf->window;
	while (pf->state[slot] == PF_EMPTY)
		pthread_cond_wait(&pf->done, &pf->mu);
	if (pf->state[slot] == PF_DONE) {
		memcpy(buf, pf->ring + slot * pf->len, pf->len);
		ret = 0;
	}
	pf->state[slot] = PF_EMPTY;
	pf->head++;
	if (pf->head % PC_PF_BATCH == 0)
		pthread_cond_signal(&pf->work);
out:
	pthread_mutex_unlock(&pf->mu);
	return ret;
}

static void pf_destroy(struct pc_pf *pf)
{
	pthread_cond_destroy(&pf->done);
	pthread_cond_destroy(&pf->work);
	pthread_mutex_destroy(&pf->mu);
	free(pf->th);
	free(pf->state);
	free(pf->ring);
	free(pf);
}

/*
 * A file of tmpfs or ramfs (pc_fd_in_memory) gets no read-ahead: every
 * check of an image in /dev/shm took the refused RWF_NOWAIT reads for
 * records never cached and started the threads (4 TiB: 1.6 s against 1.0 s
 * without them).
 */
struct pc_pf *pc_pf_new(struct pc_dev *dev, uint64_t stride, uint64_t end,
			size_t len, unsigned int depth)
{
	struct pc_pf *pf;

	/* mapped devices are read by memcpy, overlays hold writes */
	if (dev->ops != &pc_dev_fd_ops || !depth || !stride || !len ||
	    len > stride || pc_fd_in_memory(dev->fd))
		return NULL;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	*pf = (struct pc_pf){
		.dev = dev, .stride = stride, .end = end,
		.len = len, .depth = depth,
		.window = 2 * (uint64_t)depth * PC_PF_BATCH,
	};
	pf->ring = malloc(pf->window * len);
	pf->state = calloc(pf->window, 1);
	pf->th = calloc(depth, sizeof(*pf->th));
	if (!pf->ring || !pf->state || !pf->th) {
		free(pf->th);
		free(pf->state);
		free(pf->ring);
		free(pf);
		return NULL;
	}
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->work, NULL);
	pthread_cond_init(&pf->done, NULL);
	return pf;
}

void pc_pf_free(struct pc_pf *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->work);
	pthread_mutex_unlock(&pf->mu);
	for (unsigned int i = 0; i < pf->n_th; i++)
		pthread_join(pf->th[i], NULL);
	pf_destroy(pf);
}
