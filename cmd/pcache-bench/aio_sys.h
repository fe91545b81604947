/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * aio_sys.h - the few Linux native AIO calls aio.c needs, through libaio
 * when its header is installed (tools/deps/bench.txt: libaio-dev, and
 * build.mk then links -laio), else through the system calls themselves.
 * Both return 0 / a count, or a negative errno, as libaio does.
 */
#ifndef PCACHE_BENCH_AIO_SYS_H
#define PCACHE_BENCH_AIO_SYS_H

#include <stdbool.h>
#include <stdint.h>

#if __has_include(<libaio.h>) && !defined(BENCH_NO_LIBAIO)
#include <libaio.h>

#define BENCH_AIO_IMPL "libaio"
typedef io_context_t baio_ctx;

static inline int baio_setup(unsigned int n, baio_ctx *ctx)
{
	*ctx = 0;
	return io_setup((int)n, ctx);
}

static inline void baio_destroy(baio_ctx ctx)
{
	io_destroy(ctx);
}

static inline int baio_submit(baio_ctx ctx, long n, struct iocb **cbs)
{
	return io_submit(ctx, n, cbs);
}

static inline int baio_getevents(baio_ctx ctx, long min, long max,
				 struct io_event *ev)
{
	return io_getevents(ctx, min, max, ev, NULL);
}

static inline void baio_prep(struct iocb *cb, int fd, void *buf, size_t len,
			     uint64_t off, bool write, void *data)
{
	if (write)
		io_prep_pwrite(cb, fd, buf, len, (long long)off);
	else
		io_prep_pread(cb, fd, buf, len, (long long)off);
	cb->data = data;
}

static inline void *baio_cb_data(const struct iocb *cb)
{
	return cb->data;
}

static inline void *baio_ev_data(const struct io_event *ev)
{
	return ev->data;
}

static inline long baio_ev_res(const struct io_event *ev)
{
	return (long)ev->res;
}

#else /* no libaio: the raw system calls */
#include <errno.h>
#include <linux/aio_abi.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BENCH_AIO_IMPL "syscall"
typedef aio_context_t baio_ctx;

static inline int baio_ret(long r)
{
	return r < 0 ? -errno : (int)r;
}

static inline int baio_setup(unsigned int n, baio_ctx *ctx)
{
	*ctx = 0;
	return baio_ret(syscall(SYS_io_setup, n, ctx));
}

static inline void baio_destroy(baio_ctx ctx)
{
	syscall(SYS_io_destroy, ctx);
}

static inline int baio_submit(baio_ctx ctx, long n, struct iocb **cbs)
{
	return baio_ret(syscall(SYS_io_submit, ctx, n, cbs));
}

static inline int baio_getevents(baio_ctx ctx, long min, long max,
				 struct io_event *ev)
{
	return baio_ret(syscall(SYS_io_getevents, ctx, min, max, ev, NULL));
}

static inline void baio_prep(struct iocb *cb, int fd, void *buf, size_t len,
			     uint64_t off, bool write, void *data)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = (int64_t)off;
	cb->aio_data = (uint64_t)(uintptr_t)data;
}

static inline void *baio_cb_data(const struct iocb *cb)
{
	return (void *)(uintptr_t)cb->aio_data;
}

static inline void *baio_ev_data(const struct io_event *ev)
{
	return (void *)(uintptr_t)ev->data;
}

static inline long baio_ev_res(const struct io_event *ev)
{
	return (long)ev->res;
}
#endif

#endif /* PCACHE_BENCH_AIO_SYS_H */
