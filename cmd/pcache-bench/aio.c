// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * aio.c - iodepth > 1: keep --iodepth I/Os in flight per job with Linux
 * native AIO (aio_sys.h). Latency is from io_submit() to the io_getevents()
 * call that reaped the completion. Without --direct the kernel completes
 * buffered AIO inside io_submit(), so depth then adds nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "aio_sys.h"

struct slot {
	struct iocb cb;
	uint64_t submit_ns;
	uint64_t off;
	bool is_write;
	void *buf;
};

struct aio_state {
	baio_ctx ctx;
	unsigned int depth;
	struct slot *slots;
	struct iocb **batch;
	unsigned int *free_idx;
	unsigned int nfree;
	struct io_event *events;
};

static void aio_free(struct aio_state *a)
{
	unsigned int i;

	if (a->ctx)
		baio_destroy(a->ctx);	/* waits for requests still in flight */
	if (a->slots)
		for (i = 0; i < a->depth; i++)
			free(a->slots[i].buf);
	free(a->slots);
	free(a->batch);
	free(a->free_idx);
	free(a->events);
}

static int aio_alloc(struct aio_state *a, struct job *j)
{
	unsigned int i, k;
	int ret;

	memset(a, 0, sizeof(*a));
	a->depth = j->o->iodepth;
	ret = baio_setup(a->depth, &a->ctx);
	if (ret)
		return ret;
	a->slots = calloc(a->depth, sizeof(*a->slots));
	a->batch = calloc(a->depth, sizeof(*a->batch));
	a->free_idx = calloc(a->depth, sizeof(*a->free_idx));
	a->events = calloc(a->depth, sizeof(*a->events));
	if (!a->slots || !a->batch || !a->free_idx || !a->events)
		return -ENOMEM;
	for (i = 0; i < a->depth; i++) {
		if (posix_memalign(&a->slots[i].buf, 4096, j->o->bs))
			return -ENOMEM;
		for (k = 0; k < j->o->bs / 8; k++)
			((uint64_t *)a->slots[i].buf)[k] = rng_next(&j->rng);
		a->free_idx[a->nfree++] = i;
	}
	return 0;
}

/* Prepare and submit I/Os into every free slot. */
static int aio_fill(struct aio_state *a, struct job *j)
{
	unsigned int n = 0, i;
	uint64_t off, t;
	bool w;
	int ret;

	while (a->nfree && !job_should_stop(j)) {
		struct slot *s = &a->slots[a->free_idx[--a->nfree]];

		job_next(j, &off, &w);
		baio_prep(&s->cb, j->fd, s->buf, j->o->bs, off, w, s);
		s->off = off;
		s->is_write = w;
		a->batch[n++] = &s->cb;
	}
	if (!n)
		return 0;
	t = now_ns();
	for (i = 0; i < n; i++)
		((struct slot *)baio_cb_data(a->batch[i]))->submit_ns = t;
	ret = baio_submit(a->ctx, (long)n, a->batch);
	if (ret < 0)
		return ret;
	/* Slots not accepted go back to the free list. */
	for (i = (unsigned int)ret; i < n; i++)
		a->free_idx[a->nfree++] = (unsigned int)
			((struct slot *)baio_cb_data(a->batch[i]) - a->slots);
	return ret ? 0 : -EAGAIN;
}

static int aio_reap(struct aio_state *a, struct job *j, unsigned int min)
{
	uint64_t t;
	int n, i;

	n = baio_getevents(a->ctx, (long)min, (long)a->depth, a->events);
	if (n < 0)
		return n == -EINTR ? 0 : n;
	t = now_ns();
	for (i = 0; i < n; i++) {
		struct slot *s = baio_ev_data(&a->events[i]);
		long res = baio_ev_res(&a->events[i]);

		a->free_idx[a->nfree++] = (unsigned int)(s - a->slots);
		if (res != (long)j->o->bs) {
			j->err = res < 0 ? (int)-res : EIO;
			j->err_off = s->off;
			j->err_write = s->is_write;
			continue;
		}
		job_account(j, s->is_write, t - s->submit_ns);
		if (s->is_write && job_fsync_due(j))
			return -j->err;
	}
	return 0;
}

int aio_job_loop(struct job *j)
{
	struct aio_state a;
	int ret;

	ret = aio_alloc(&a, j);
	if (ret)
		goto out;
	for (;;) {
		ret = aio_fill(&a, j);
		if (ret)
			break;
		if (a.nfree == a.depth)
			break;			/* nothing in flight: done */
		ret = aio_reap(&a, j, 1);
		if (ret)
			break;
	}
	/* Drain whatever is still in flight before freeing the buffers. */
	while (a.nfree < a.depth && aio_reap(&a, j, a.depth - a.nfree) == 0)
		;
	j->end_ns = now_ns();	/* before io_destroy(), which can be slow */
out:
	aio_free(&a);
	return ret;
}
