// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * io.c - "pcache-bench io": run a workload on a device and report it,
 * sampling dm-pcache status meanwhile when the device is a pcache target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct io_ctx {
	struct dm_sampler sampler;
	uint64_t next_sample_ns;
	uint64_t next_progress_ns;
	bool progress;
};

static void progress(struct run *r)
{
	uint64_t ios = 0, t = now_ns() - r->start_ns;
	unsigned int i;

	for (i = 0; i < r->njobs; i++)
		ios += __atomic_load_n(&r->jobs[i].done_ios, __ATOMIC_RELAXED);
	fprintf(stderr, "\r%s: %.0f s, %llu I/Os, %.0f IOPS   ", r->t->path,
		(double)t / 1e9, (unsigned long long)ios,
		t ? (double)ios * 1e9 / (double)t : 0);
}

static void io_tick(struct run *r, void *arg)
{
	struct io_ctx *c = arg;
	uint64_t t = now_ns();

	if (c->sampler.active && t >= c->next_sample_ns) {
		dm_sampler_sample(&c->sampler);
		c->next_sample_ns = t + (uint64_t)(r->o->interval * 1e9);
	}
	if (c->progress && t >= c->next_progress_ns) {
		progress(r);
		c->next_progress_ns = t + 1000000000ULL;
	}
}

static int report_errors(const struct run *r)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < r->njobs; i++) {
		const struct job *j = &r->jobs[i];

		if (!j->err)
			continue;
		if (j->err_off == UINT64_MAX)
			bench_err("%s: job %u: fsync failed: %s", r->t->path, j->id,
				  strerror(j->err));
		else
			bench_err("%s: job %u: %s at offset %llu failed: %s",
				  r->t->path, j->id, j->err_write ? "write" : "read",
				  (unsigned long long)j->err_off, strerror(j->err));
		ret = -EIO;
	}
	return ret;
}

static int check_geometry(const struct target *t, const struct io_opts *o)
{
	uint64_t size = o->size ? o->size : t->size;

	if (size > t->size) {
		bench_err("%s: --size %llu is larger than the device (%llu bytes)",
			  t->path, (unsigned long long)size,
			  (unsigned long long)t->size);
		return -EINVAL;
	}
	if (size < o->bs) {
		/* the target's fault, not the command line's: a failure */
		bench_err("%s: device is smaller than one block (%llu byte%s)",
			  t->path, (unsigned long long)size, cli_s(size));
		return -ENOSPC;
	}
	if (o->direct && o->bs % t->lbs) {
		bench_err("%s: --bs must be a multiple of the logical block size %u with --direct",
			  t->path, t->lbs);
		return -EINVAL;
	}
	return 0;
}

static int run_and_report(struct target *t, const struct io_opts *o)
{
	FILE *replay = NULL;
	struct io_ctx c;
	struct run r;
	json_object *root;
	int ret;

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.t = t;
	if (o->status_from) {
		replay = fopen(o->status_from, "r");
		if (!replay) {
			ret = -errno;
			bench_err("%s: %s", o->status_from, strerror(-ret));
			return ret;
		}
	}
	dm_sampler_start(&c.sampler, t->dm_name, replay);
	c.progress = !o->quiet && !o->json && stderr_is_tty();
	c.next_sample_ns = now_ns() + (uint64_t)(o->interval * 1e9);
	ret = engine_run(&r, io_tick, &c);
	if (ret)
		goto out;
	if (c.progress)
		fputs("\r\033[K", stderr);
	dm_sampler_sample(&c.sampler);	/* the state at the end */
	if (o->json) {
		root = report_json(&r, &c.sampler);
		json_print(root);
		json_object_put(root);
	} else {
		report_human(&r, &c.sampler, stdout);
	}
	ret = report_errors(&r);
out:
	if (replay)
		fclose(replay);
	engine_free(&r);
	return ret;
}

int cmd_io(int argc, const char **argv)
{
	struct io_opts o;
	struct target t;
	int ret;

	ret = io_parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	ret = target_open(&t, &o);
	if (ret)
		goto out;
	ret = check_geometry(&t, &o);
	if (ret == -EINVAL) {
		target_close(&t);
		free((char *)o.device);
		free((char *)o.status_from);
		return EXIT_USAGE;
	}
	if (!ret)
		ret = run_and_report(&t, &o);
out:
	target_close(&t);
	free((char *)o.device);
	free((char *)o.status_from);
	return ret ? EXIT_FAIL : EXIT_OK;
}
