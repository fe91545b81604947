// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The copy: every planned extent goes from its cache location to the same
 * logical offset on the backing device; the backing device is flushed; only
 * then is dirty_tail moved to key_head (crash-safe slot rule) and the cache
 * flushed. Interrupted before the tail write, a rerun repeats the very
 * same writes: the cache is unchanged, so the plan is unchanged.
 *
 * Extents arrive sorted by backing offset. Those that follow each other on
 * the backing device become one write however scattered they are in the
 * cache (reads of neighbours in the cache are merged too). Up to 4 MiB of
 * such writes fill a buffer; a writer thread drains a small ring of
 * buffers, so reading the cache overlaps writing the backing device.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "wb.h"

#define CHUNK (4u << 20)	/* one buffer, the largest single write */
#define NBUF 4			/* buffers in flight */
#define NRUN 1024		/* writes per buffer */

/* A run of bytes adjacent on the backing device: one write. */
struct wb_run {
	uint64_t dst;
	size_t len;
};

/* Runs laid end to end in data[], in backing order. */
struct wb_buf {
	uint8_t *data;
	size_t len;
	struct wb_run run[NRUN];
	unsigned int n_run;
};

struct wb_pipe {
	struct wb *w;
	struct wb_buf buf[NBUF];
	size_t filled, drained;	/* buffers handed over / written */
	bool done;		/* no more buffers will come */
	int werr;		/* the first write error; later ones skipped */
	struct pc_err err;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static int write_buf(struct wb_pipe *p, const struct wb_buf *b)
{
	const uint8_t *d = b->data;
	int ret = 0;

	for (unsigned int i = 0; i < b->n_run && !ret; i++) {
		ret = pc_dev_write(p->w->bdev, b->run[i].dst, d, b->run[i].len,
				   &p->err);
		d += b->run[i].len;
	}
	if (!ret) {
		p->w->bytes_written += b->len;
		cli_progress("writeback", p->w->bytes_written,
			     p->w->bytes_total);
	}
	return ret;
}

static void *writer(void *arg)
{
	struct wb_pipe *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct wb_buf *b;
		int ret = 0;

		while (p->drained == p->filled && !p->done)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->drained == p->filled)
			break;
		b = &p->buf[p->drained % NBUF];
		if (!p->werr) {
			pthread_mutex_unlock(&p->lock);
			ret = write_buf(p, b);
			pthread_mutex_lock(&p->lock);
		}
		if (ret)
			p->werr = ret;
		p->drained++;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Hand the current buffer to the writer and wait for a free one; the
 * next buffer, or NULL once the writer failed. */
static struct wb_buf *submit(struct wb_pipe *p, struct wb_buf *b)
{
	struct wb_buf *next = NULL;

	pthread_mutex_lock(&p->lock);
	if (b->len) {
		p->filled++;
		pthread_cond_broadcast(&p->cond);
	}
	while (p->filled - p->drained == NBUF && !p->werr)
		pthread_cond_wait(&p->cond, &p->lock);
	if (!p->werr) {
		next = &p->buf[p->filled % NBUF];
		next->len = 0;
		next->n_run = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return next;
}

/* A read of cache bytes not yet issued: merged while contiguous. */
struct wb_read {
	uint64_t src;
	uint8_t *to;
	size_t len;
};

/* Issue the pending read; on failure it stays pending (see produce). */
static int read_flush(struct wb *w, struct wb_read *r, struct pc_err *err)
{
	int ret = 0;

	if (r->len)
		ret = pc_dev_read(w->dev, r->src, r->to, r->len, err);
	if (!ret)
		r->len = 0;
	return ret;
}

static uint64_t cache_off(struct wb *w, const struct pc_extent *e)
{
	return pc_cache_pos_dev_off(w->c, (struct pc_pos){ e->seg,
							   e->seg_off });
}

/*
 * Gather the bytes of one extent into the pipe's buffers: @src in the
 * cache, @dst on the backing device. A buffer goes to the writer when it
 * is full or the next bytes do not follow it on the backing device.
 */
static int gather(struct wb_pipe *p, struct wb_buf **bp, struct wb_read *r,
		  uint64_t src, uint64_t dst, uint64_t len, struct pc_err *err)
{
	while (len) {
		struct wb_buf *b = *bp;
		struct wb_run *last = b->n_run ? &b->run[b->n_run - 1] : NULL;
		bool join = last && last->dst + last->len == dst;
		size_t n;
		int ret;

		if (b->len == CHUNK || (!join && b->n_run == NRUN)) {
			ret = read_flush(p->w, r, err);
			if (ret)
				return ret;
			*bp = b = submit(p, b);
			if (!b)
				return -EIO;
			join = false;
		}
		if (!join)
			b->run[b->n_run++] = (struct wb_run){ dst, 0 };
		n = CHUNK - b->len < len ? CHUNK - b->len : (size_t)len;
		b->run[b->n_run - 1].len += n;
		if (r->len && (r->src + r->len != src ||
			       r->to + r->len != b->data + b->len)) {
			ret = read_flush(p->w, r, err);
			if (ret)
				return ret;
		}
		if (!r->len) {
			r->src = src;
			r->to = b->data + b->len;
		}
		r->len += n;
		b->len += n;
		src += n;
		dst += n;
		len -= n;
	}
	return 0;
}

static int pipe_init(struct wb_pipe *p, struct wb *w)
{
	memset(p, 0, sizeof(*p));
	p->w = w;
	for (int i = 0; i < NBUF; i++) {
		p->buf[i].data = malloc(CHUNK);
		if (!p->buf[i].data)
			return -ENOMEM;
	}
	return 0;
}

static void pipe_free(struct wb_pipe *p)
{
	for (int i = 0; i < NBUF; i++)
		free(p->buf[i].data);
}

/* Keep only the first @len bytes of @b. */
static void trim(struct wb_buf *b, size_t len)
{
	size_t at = 0;
	unsigned int i;

	for (i = 0; i < b->n_run && at < len; i++) {
		if (b->run[i].len > len - at)
			b->run[i].len = len - at;
		at += b->run[i].len;
	}
	b->n_run = i;
	b->len = len;
}

/* Feed every extent to write through the pipe; the read error, if any. */
static int produce(struct wb_pipe *p, struct pc_err *err)
{
	struct wb *w = p->w;
	struct wb_read r = { 0 };
	struct wb_buf *b = submit(p, &(struct wb_buf){ 0 });
	int ret = 0;

	for (size_t i = 0; i < w->n_items && b && !ret; i++) {
		const struct pc_extent *e = w->items[i].e;

		if (w->items[i].action == WB_WRITE)
			ret = gather(p, &b, &r, cache_off(w, e), e->off,
				     e->len, err);
	}
	if (!b)
		return 0;	/* the writer failed; its error is reported */
	if (!ret)
		ret = read_flush(w, &r, err);
	/* what was read before a failing read is still written */
	if (ret && r.len)
		trim(b, (size_t)(r.to - b->data));
	if (b->len)
		submit(p, b);
	return ret;
}

/*
 * The copy from a mapped cache (map.c): the same writes as the pipe's,
 * cut at the same buffer boundaries (so an error names the same write),
 * each one pwritev() from the page cache of the cache device: no read and
 * no copy into a buffer. A source that faults in the kernel's copy (EFAULT:
 * a read error, a file shrunk) leaves it all to the pipe, which writes the
 * same bytes again from the start and meets the read error where it always
 * did; the backing device may then hold more of the right bytes than
 * before, beyond the failing read, never other bytes.
 */
struct mcopy {
	struct wb *w;
	struct iovec *iov;	/* the current write's sources */
	int n_iov, cap;
	uint64_t dst;		/* the current write, on the backing device */
	size_t len;
	size_t buf_len;		/* bytes in the pipe's buffer it would fill */
	unsigned int n_run;	/* writes in that buffer */
	int ret;
};

#define MIOV (CHUNK / 512)	/* pieces in one write, at first */

/* Room for one more piece: unaligned keys can make a write of many. */
static int mroom(struct mcopy *m)
{
	struct iovec *p;

	if (m->n_iov < m->cap)
		return 0;
	p = realloc(m->iov, 2 * (size_t)m->cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	m->iov = p;
	m->cap *= 2;
	return 0;
}

static int mflush(struct mcopy *m, struct pc_err *err)
{
	int ret = 0;

	if (m->len)
		ret = pc_dev_writev(m->w->bdev, m->dst, m->iov, m->n_iov, err);
	m->len = 0;
	m->n_iov = 0;
	return ret;
}

/* A buffer of the pipe would be full here: it is written. */
static int mbuffer_end(struct mcopy *m, struct pc_err *err)
{
	int ret = mflush(m, err);

	if (ret)
		return ret;
	m->w->bytes_written += m->buf_len;
	cli_progress("writeback", m->w->bytes_written, m->w->bytes_total);
	m->buf_len = 0;
	m->n_run = 0;
	return 0;
}

static int mgather(struct mcopy *m, const uint8_t *src, uint64_t dst,
		   uint64_t len, struct pc_err *err)
{
	while (len) {
		bool join = m->n_run && m->dst + m->len == dst;
		size_t n;
		int ret;

		if (m->buf_len == CHUNK || (!join && m->n_run == NRUN)) {
			ret = mbuffer_end(m, err);
			if (ret)
				return ret;
			join = false;
		}
		if (!join) {
			ret = mflush(m, err);
			if (ret)
				return ret;
			m->dst = dst;
			m->n_run++;
		}
		n = CHUNK - m->buf_len < len ? CHUNK - m->buf_len : (size_t)len;
		if (m->n_iov && (uint8_t *)m->iov[m->n_iov - 1].iov_base +
		    m->iov[m->n_iov - 1].iov_len == src) {
			m->iov[m->n_iov - 1].iov_len += n;
		} else {
			ret = mroom(m);
			if (ret)
				return ret;
			m->iov[m->n_iov++] = (struct iovec){ (void *)src, n };
		}
		m->len += n;
		m->buf_len += n;
		src += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/* 1: not done (use the pipe); 0 or the write error, reported. */
static int copy_mapped(struct wb *w)
{
	struct mcopy m = { .w = w };
	struct pc_err err = { 0 };
	int ret = 0;

	if (!w->map.addr || pc_dev_fd(w->bdev) < 0)
		return 1;
	m.iov = malloc(MIOV * sizeof(*m.iov));
	if (!m.iov)
		return 1;
	m.cap = MIOV;
	for (size_t i = 0; i < w->n_items && !ret; i++) {
		const struct pc_extent *e = w->items[i].e;
		const uint8_t *src;

		if (w->items[i].action != WB_WRITE)
			continue;
		/* beyond the device: the pipe meets it as it always did */
		src = wb_map_get(w, cache_off(w, e), e->len);
		ret = src ? mgather(&m, src, e->off, e->len, &err) : -EFAULT;
	}
	if (!ret && m.buf_len)
		ret = mbuffer_end(&m, &err);
	free(m.iov);
	/* a source faulted, or no memory for the vectors: the pipe does
	 * it all */
	if (ret == -EFAULT || ret == -ENOMEM) {
		w->bytes_written = 0;
		return 1;
	}
	if (ret)
		wb_refuse(w, "%s", err.msg);
	cli_progress_done();
	return ret;
}

int wb_copy(struct wb *w)
{
	struct pc_err err = { 0 };
	struct wb_pipe p;
	pthread_t tid;
	int ret;

	if (!w->bytes_total)
		return 0;
	ret = copy_mapped(w);
	if (ret != 1)
		return ret;
	ret = pipe_init(&p, w);
	if (ret) {
		wb_refuse(w, "%s: cannot start the copy: %s", w->cache_path,
			  strerror(-ret));
		goto out;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	ret = -pthread_create(&tid, NULL, writer, &p);
	if (!ret) {
		ret = produce(&p, &err);
		pthread_mutex_lock(&p.lock);
		p.done = true;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.lock);
		pthread_join(tid, NULL);
	}
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	/* the writer's error comes first: it hit earlier bytes */
	if (p.werr)
		wb_refuse(w, "%s", p.err.msg);
	else if (ret && err.msg[0])
		wb_refuse(w, "%s", err.msg);
	else if (ret)	/* no writer thread: nothing was copied */
		wb_refuse(w, "%s: cannot start the copy: %s", w->cache_path,
			  strerror(-ret));
	if (p.werr)
		ret = p.werr;
out:
	pipe_free(&p);
	cli_progress_done();
	return ret;
}

static bool pos_eq(struct pc_pos a, struct pc_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

int wb_finish(struct wb *w)
{
	struct pc_err err = { 0 };
	int ret;

	if (pos_eq(w->c->dirty_tail, w->r.head)) {
		w->result = "clean";
		return 0;
	}
	/* The data must be durable before the log says it is written back. */
	ret = pc_dev_flush(w->bdev, &err);
	if (!ret)
		ret = pc_cache_write_tail(w->c, PC_DIRTY_TAIL, w->r.head, &err);
	if (!ret) {
		w->tail_written = true;
		ret = pc_dev_flush(w->dev, &err);
	}
	if (ret) {
		wb_refuse(w, "%s", err.msg);
		return ret;
	}
	w->c->dirty_tail = w->r.head;
	w->result = "written";
	return 0;
}
