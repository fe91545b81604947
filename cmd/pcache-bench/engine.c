// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * engine.c - the workload: one thread per job issuing pread/pwrite
 * (iodepth 1) or native AIO (iodepth > 1, see aio.c), timing every I/O.
 *
 * Offsets: random workloads pick blocks uniformly over the whole region
 * [0, size) in every job; sequential workloads give each job its own slice
 * of the region and wrap around inside it. Without --runtime the jobs
 * together issue size / bs I/Os (a slice's worth each).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* splitmix64: fast, good enough to spread offsets, reproducible by seed */
uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t job_deadline;	/* per-job duration in ns, 0: none */

bool job_should_stop(struct job *j)
{
	if (stop_requested() || j->err)
		return true;
	if (j->limit_ios && j->issued >= j->limit_ios)
		return true;
	if (job_deadline && now_ns() - j->start_ns >= job_deadline)
		return true;
	return false;
}

/* Offset and direction of the next I/O of a job. */
bool job_next(struct job *j, uint64_t *off, bool *is_write)
{
	const struct io_opts *o = j->o;
	uint64_t nblk;

	j->issued++;
	switch (o->rw) {
	case RW_RANDWRITE: *is_write = true; break;
	case RW_RANDREAD: case RW_READ: *is_write = false; break;
	case RW_WRITE: *is_write = true; break;
	case RW_RANDRW:
		*is_write = rng_next(&j->rng) % 100 >= o->rwmixread;
		break;
	}
	if (rw_random(o->rw)) {
		nblk = j->region_len / o->bs;
		*off = j->region_off + rng_next(&j->rng) % nblk * o->bs;
	} else {
		if (j->seq_pos + o->bs > j->region_len)
			j->seq_pos = 0;
		*off = j->region_off + j->seq_pos;
		j->seq_pos += o->bs;
	}
	return true;
}

void job_account(struct job *j, bool is_write, uint64_t lat_ns)
{
	struct dir_stats *d = is_write ? &j->wr : &j->rd;

	d->ios++;
	d->bytes += j->o->bs;
	hist_add(&d->lat, lat_ns);
	__atomic_store_n(&j->done_ios, j->rd.ios + j->wr.ios, __ATOMIC_RELAXED);
	if (is_write)
		j->writes_since_fsync++;
}

/* fsync when --fsync-every writes have completed; returns -errno on error */
int job_fsync_due(struct job *j)
{
	if (!j->o->fsync_every || j->writes_since_fsync < j->o->fsync_every)
		return 0;
	j->writes_since_fsync = 0;
	if (fsync(j->fd)) {
		j->err = errno;
		j->err_write = true;
		j->err_off = UINT64_MAX;	/* not an I/O at an offset */
		return -j->err;
	}
	j->fsyncs++;
	return 0;
}

static void *job_buffer(struct job *j, size_t len)
{
	uint64_t *p;
	size_t i;

	if (posix_memalign((void **)&p, 4096, len))
		return NULL;
	for (i = 0; i < len / sizeof(*p); i++)
		p[i] = rng_next(&j->rng);
	return p;
}

static int sync_job_loop(struct job *j)
{
	uint64_t off, t0, t1;
	bool is_write;
	ssize_t n;
	void *buf;

	buf = job_buffer(j, j->o->bs);
	if (!buf)
		return -ENOMEM;
	while (!job_should_stop(j)) {
		job_next(j, &off, &is_write);
		t0 = now_ns();
		if (is_write)
			n = pwrite(j->fd, buf, j->o->bs, (off_t)off);
		else
			n = pread(j->fd, buf, j->o->bs, (off_t)off);
		t1 = now_ns();
		if (n != (ssize_t)j->o->bs) {
			j->err = n < 0 ? errno : EIO;
			j->err_off = off;
			j->err_write = is_write;
			break;
		}
		job_account(j, is_write, t1 - t0);
		if (is_write && job_fsync_due(j))
			break;
	}
	j->end_ns = now_ns();
	free(buf);
	return 0;
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static unsigned int jobs_running;

/* All jobs start together, once every thread exists. */
static void gate_wait(void)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_release(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	int ret;

	gate_wait();
	j->start_ns = now_ns();
	if (j->o->iodepth > 1)
		ret = aio_job_loop(j);
	else
		ret = sync_job_loop(j);
	if (ret && !j->err)
		j->err = -ret;
	if (!j->end_ns)
		j->end_ns = now_ns();
	__atomic_sub_fetch(&jobs_running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Split the region into the jobs' shares (see the comment at the top). */
static int jobs_setup(struct run *r)
{
	const struct io_opts *o = r->o;
	uint64_t size = o->size ? o->size : r->t->size;
	uint64_t nblk = size / o->bs, off = 0, share;
	unsigned int i;

	if (nblk < r->njobs) {
		bench_err("%s: region of %llu bytes is too small for %u jobs of --bs %llu",
			  r->t->path, (unsigned long long)size, r->njobs,
			  (unsigned long long)o->bs);
		return -EINVAL;
	}
	r->jobs = calloc(r->njobs, sizeof(*r->jobs));
	if (!r->jobs)
		return -ENOMEM;
	for (i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];

		share = nblk / r->njobs + (i < nblk % r->njobs);
		j->id = i;
		j->o = o;
		j->t = r->t;
		j->fd = r->t->fd;
		j->rng = o->seed ^ (0xD1B54A32D192ED03ULL * (i + 1));
		j->region_off = rw_random(o->rw) ? 0 : off;
		j->region_len = rw_random(o->rw) ? nblk * o->bs : share * o->bs;
		j->limit_ios = o->runtime > 0 ? 0 : share;
		hist_init(&j->rd.lat);
		hist_init(&j->wr.lat);
		off += share * o->bs;
	}
	job_deadline = (uint64_t)(o->runtime * 1e9);
	return 0;
}

static void wait_tick(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);	/* returns early on SIGINT */
}

static int start_threads(struct run *r, pthread_t *tid, unsigned int *started)
{
	sigset_t block, old;
	int ret = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);	/* workers inherit it */
	for (*started = 0; *started < r->njobs; (*started)++) {
		ret = -pthread_create(&tid[*started], NULL, job_main,
				      &r->jobs[*started]);
		if (ret)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * Runs the workload; calls tick() about every 100 ms from the main thread
 * while the jobs run. Returns 0, or -errno if the jobs could not start.
 */
int engine_run(struct run *r, void (*tick)(struct run *r, void *arg), void *arg)
{
	unsigned int started, i;
	pthread_t *tid;
	int ret;

	r->njobs = r->o->jobs;
	ret = jobs_setup(r);
	if (ret)
		return ret;
	tid = calloc(r->njobs, sizeof(*tid));
	if (!tid)
		return -ENOMEM;
	gate_open = false;
	jobs_running = r->njobs;
	ret = start_threads(r, tid, &started);
	if (ret) {
		bench_err("cannot start job threads: %s", strerror(-ret));
		stop_request();
		__atomic_sub_fetch(&jobs_running, r->njobs - started,
				   __ATOMIC_RELEASE);
	}
	r->start_ns = now_ns();
	gate_release();
	while (__atomic_load_n(&jobs_running, __ATOMIC_ACQUIRE)) {
		wait_tick();
		if (tick)
			tick(r, arg);
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	r->end_ns = now_ns();
	r->interrupted = stop_requested() && !ret;
	free(tid);
	return ret;
}

void engine_free(struct run *r)
{
	free(r->jobs);
	r->jobs = NULL;
}
