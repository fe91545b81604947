// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report.c - results of "pcache-bench io", for people and as JSON.
 * Both carry the same figures; the JSON schema is in docs/bench.md.
 */
#include <math.h>
#include <string.h>

#include "bench.h"

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void run_span(const struct run *r, uint64_t *start, uint64_t *end)
{
	unsigned int i;

	*start = UINT64_MAX;
	*end = 0;
	for (i = 0; i < r->njobs; i++) {
		if (r->jobs[i].start_ns && r->jobs[i].start_ns < *start)
			*start = r->jobs[i].start_ns;
		if (r->jobs[i].end_ns > *end)
			*end = r->jobs[i].end_ns;
	}
	if (*start > *end)
		*start = *end;
}

static void total_stats(const struct run *r, struct dir_stats *rd,
			struct dir_stats *wr, uint64_t *fsyncs)
{
	unsigned int i;

	memset(rd, 0, sizeof(*rd));
	memset(wr, 0, sizeof(*wr));
	hist_init(&rd->lat);
	hist_init(&wr->lat);
	*fsyncs = 0;
	for (i = 0; i < r->njobs; i++) {
		const struct job *j = &r->jobs[i];

		rd->ios += j->rd.ios;
		rd->bytes += j->rd.bytes;
		hist_merge(&rd->lat, &j->rd.lat);
		wr->ios += j->wr.ios;
		wr->bytes += j->wr.bytes;
		hist_merge(&wr->lat, &j->wr.lat);
		*fsyncs += j->fsyncs;
	}
}

/*
 * Time per I/O that jobs [first, first + n) spent outside their timed
 * calls: choosing offsets, accounting, reading the clock, fsync. It is what
 * separates IOPS from 1 / mean latency, and what differs between two load
 * generators on a fast device. NAN when I/Os overlap (iodepth > 1) or none
 * completed.
 */
static double tool_ns_per_io(const struct run *r, unsigned int first,
			     unsigned int n)
{
	double outside = 0;
	uint64_t ios = 0;
	unsigned int i;

	if (r->o->iodepth > 1)
		return NAN;
	for (i = first; i < first + n && i < r->njobs; i++) {
		const struct job *j = &r->jobs[i];

		outside += (double)(j->end_ns - j->start_ns) - j->rd.lat.sum -
			   j->wr.lat.sum;
		ios += j->rd.ios + j->wr.ios;
	}
	if (!ios)
		return NAN;
	return outside > 0 ? outside / (double)ios : 0;
}

/* ---- human ------------------------------------------------------------ */

static void human_dir(FILE *f, const char *name, const struct dir_stats *d,
		      double el)
{
	char bw[32], a[6][32];
	const struct hist *h = &d->lat;

	if (!d->ios)
		return;
	fmt_size(bw, sizeof(bw), el > 0 ? (double)d->bytes / el : 0);
	fprintf(f, "  %-5s %10.0f IOPS  %11s/s  %llu I/Os\n", name,
		el > 0 ? (double)d->ios / el : 0, bw, (unsigned long long)d->ios);
	fmt_ns(a[0], 32, (double)h->min);
	fmt_ns(a[1], 32, hist_mean(h));
	fmt_ns(a[2], 32, (double)hist_percentile(h, 50));
	fmt_ns(a[3], 32, (double)hist_percentile(h, 99));
	fmt_ns(a[4], 32, (double)hist_percentile(h, 99.9));
	fmt_ns(a[5], 32, (double)h->max);
	fprintf(f, "        lat min %s  mean %s  p50 %s  p99 %s  p99.9 %s  max %s\n",
		a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void human_header(const struct run *r, FILE *f)
{
	const struct io_opts *o = r->o;
	char sz[32], bs[32];

	fmt_size(sz, sizeof(sz), (double)r->t->size);
	fmt_size(bs, sizeof(bs), (double)o->bs);
	fprintf(f, "%s: %s, %s\n", r->t->path,
		r->t->is_block ? "block device" : "file", sz);
	fprintf(f, "workload: %s bs=%s jobs=%u iodepth=%u direct=%s", rw_name(o->rw),
		bs, o->jobs, o->iodepth, o->direct ? "yes" : "no");
	if (o->rw == RW_RANDRW)
		fprintf(f, " rwmixread=%u", o->rwmixread);
	if (o->fsync_every)
		fprintf(f, " fsync-every=%u", o->fsync_every);
	if (o->runtime > 0)
		fprintf(f, " runtime=%gs", o->runtime);
	fmt_size(sz, sizeof(sz), (double)(o->size ? o->size : r->t->size));
	fprintf(f, " size=%s seed=%llu\n", sz, (unsigned long long)o->seed);
}

static void human_pos(FILE *f, const char *what, const struct pos_track *t)
{
	char b[32];

	fmt_size(b, sizeof(b), (double)t->bytes_min);
	fprintf(f, "  %-10s moved %llu times, >= %s, crossed %llu segments\n", what,
		(unsigned long long)t->advances, b,
		(unsigned long long)t->segs_crossed);
}

static void human_pcache(const struct dm_sampler *s, FILE *f)
{
	char b[32], m[32];

	if (!s || !s->active)
		return;
	fprintf(f, "dm-pcache %s: %u samples (%u failed)\n", s->name, s->samples,
		s->errors);
	if (!s->samples)
		return;
	fprintf(f, "  segments   used %u -> %u (min %u, max %u) of %u, gc_percent %u\n",
		s->first.segs_used, s->last.segs_used, s->used_min, s->used_max,
		s->last.seg_total, s->last.gc_percent);
	human_pos(f, "key log", &s->head);
	human_pos(f, "writeback", &s->writeback);
	human_pos(f, "gc", &s->gc);
	fmt_size(b, sizeof(b), (double)pcs_distance(s->last.dirty_tail,
						      s->last.key_head));
	fmt_size(m, sizeof(m), (double)s->dirty_max);
	fprintf(f, "  dirty log  >= %s at the end (max >= %s)\n", b, m);
}

void report_human(const struct run *r, const struct dm_sampler *s, FILE *f)
{
	struct dir_stats rd, wr;
	uint64_t start, end, fsyncs;
	unsigned int i;
	double el, tool;

	human_header(r, f);
	for (i = 0; i < r->njobs; i++) {
		const struct job *j = &r->jobs[i];

		el = secs(j->end_ns - j->start_ns);
		fprintf(f, "job %u: %.2f s\n", j->id, el);
		human_dir(f, "read", &j->rd, el);
		human_dir(f, "write", &j->wr, el);
	}
	run_span(r, &start, &end);
	el = secs(end - start);
	total_stats(r, &rd, &wr, &fsyncs);
	fprintf(f, "total: %u jobs, %.2f s%s", r->njobs, el,
		r->interrupted ? " (interrupted)" : "");
	if (fsyncs)
		fprintf(f, ", %llu fsyncs", (unsigned long long)fsyncs);
	fputc('\n', f);
	human_dir(f, "read", &rd, el);
	human_dir(f, "write", &wr, el);
	tool = tool_ns_per_io(r, 0, r->njobs);
	if (!isnan(tool)) {
		char t[32];

		fmt_ns(t, sizeof(t), tool);
		fprintf(f, "  own time %s per I/O outside the timed calls\n", t);
	}
	human_pcache(s, f);
}

/* ---- JSON ------------------------------------------------------------- */

static json_object *ju(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *jd(double v)
{
	return cli_json_double(v);
}

static json_object *json_lat(const struct hist *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "min", ju(h->count ? h->min : 0));
	json_object_object_add(o, "mean", jd(hist_mean(h)));
	json_object_object_add(o, "p50", ju(hist_percentile(h, 50)));
	json_object_object_add(o, "p99", ju(hist_percentile(h, 99)));
	json_object_object_add(o, "p99_9", ju(hist_percentile(h, 99.9)));
	json_object_object_add(o, "max", ju(h->max));
	return o;
}

static json_object *json_dir(const struct dir_stats *d, double el)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ios", ju(d->ios));
	json_object_object_add(o, "bytes", ju(d->bytes));
	json_object_object_add(o, "iops", jd(el > 0 ? (double)d->ios / el : 0));
	json_object_object_add(o, "bw_bytes_per_s",
			       jd(el > 0 ? (double)d->bytes / el : 0));
	json_object_object_add(o, "lat_ns", json_lat(&d->lat));
	return o;
}

static json_object *json_stats(const struct dir_stats *rd,
			       const struct dir_stats *wr, uint64_t fsyncs,
			       double el, double tool)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "elapsed_s", jd(el));
	json_object_object_add(o, "tool_ns_per_io", isnan(tool) ? NULL : jd(tool));
	json_object_object_add(o, "read", json_dir(rd, el));
	json_object_object_add(o, "write", json_dir(wr, el));
	json_object_object_add(o, "fsyncs", ju(fsyncs));
	return o;
}

static json_object *json_device(const struct run *r, const struct dm_sampler *s)
{
	json_object *o = json_object_new_object();
	const struct target *t = r->t;

	json_object_object_add(o, "path", json_object_new_string(t->path));
	json_object_object_add(o, "type",
			       json_object_new_string(t->is_block ? "block" : "file"));
	json_object_object_add(o, "size_bytes", ju(t->size));
	json_object_object_add(o, "dm_name", t->dm_name[0] ?
			       json_object_new_string(t->dm_name) : NULL);
	json_object_object_add(o, "pcache",
			       json_object_new_boolean(s && s->active));
	return o;
}

static json_object *json_workload(const struct io_opts *o, const struct target *t)
{
	json_object *w = json_object_new_object();

	json_object_object_add(w, "rw", json_object_new_string(rw_name(o->rw)));
	json_object_object_add(w, "bs", ju(o->bs));
	json_object_object_add(w, "jobs", ju(o->jobs));
	json_object_object_add(w, "iodepth", ju(o->iodepth));
	json_object_object_add(w, "size", ju(o->size ? o->size : t->size));
	json_object_object_add(w, "runtime_s", jd(o->runtime));
	json_object_object_add(w, "direct", json_object_new_boolean(o->direct));
	json_object_object_add(w, "fsync_every", ju(o->fsync_every));
	json_object_object_add(w, "rwmixread", ju(o->rwmixread));
	json_object_object_add(w, "seed", ju(o->seed));
	return w;
}

static json_object *json_status(const struct pcs_status *st)
{
	json_object *o = json_object_new_object();
	char b[3][32];

	snprintf(b[0], 32, "%u:%u", st->key_head.seg, st->key_head.off);
	snprintf(b[1], 32, "%u:%u", st->dirty_tail.seg, st->dirty_tail.off);
	snprintf(b[2], 32, "%u:%u", st->key_tail.seg, st->key_tail.off);
	json_object_object_add(o, "segs_used", ju(st->segs_used));
	json_object_object_add(o, "key_head", json_object_new_string(b[0]));
	json_object_object_add(o, "dirty_tail", json_object_new_string(b[1]));
	json_object_object_add(o, "key_tail", json_object_new_string(b[2]));
	json_object_object_add(o, "dirty_log_bytes_min",
			       ju(pcs_distance(st->dirty_tail, st->key_head)));
	return o;
}

static json_object *json_track(const struct pos_track *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "advances", ju(t->advances));
	json_object_object_add(o, "segments_crossed", ju(t->segs_crossed));
	json_object_object_add(o, "bytes_min", ju(t->bytes_min));
	return o;
}

static json_object *json_pcache(const struct dm_sampler *s, double interval)
{
	json_object *o;

	if (!s || !s->active)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "dm_name", json_object_new_string(s->name));
	json_object_object_add(o, "interval_s", jd(interval));
	json_object_object_add(o, "samples", ju(s->samples));
	json_object_object_add(o, "sample_errors", ju(s->errors));
	json_object_object_add(o, "seg_total", ju(s->last.seg_total));
	json_object_object_add(o, "gc_percent", ju(s->last.gc_percent));
	json_object_object_add(o, "segs_used_min", ju(s->used_min));
	json_object_object_add(o, "segs_used_max", ju(s->used_max));
	json_object_object_add(o, "dirty_log_bytes_max", ju(s->dirty_max));
	json_object_object_add(o, "start", json_status(&s->first));
	json_object_object_add(o, "end", json_status(&s->last));
	json_object_object_add(o, "key_log", json_track(&s->head));
	json_object_object_add(o, "writeback", json_track(&s->writeback));
	json_object_object_add(o, "gc", json_track(&s->gc));
	return o;
}

json_object *report_json(const struct run *r, const struct dm_sampler *s)
{
	json_object *root = json_object_new_object(), *jobs;
	struct dir_stats rd, wr;
	uint64_t start, end, fsyncs;
	unsigned int i;

	json_object_object_add(root, "__header", json_header("io"));
	json_object_object_add(root, "device", json_device(r, s));
	json_object_object_add(root, "workload", json_workload(r->o, r->t));
	json_object_object_add(root, "interrupted",
			       json_object_new_boolean(r->interrupted));
	jobs = json_object_new_array();
	for (i = 0; i < r->njobs; i++) {
		const struct job *j = &r->jobs[i];
		json_object *jo = json_stats(&j->rd, &j->wr, j->fsyncs,
					     secs(j->end_ns - j->start_ns),
					     tool_ns_per_io(r, i, 1));

		json_object_object_add(jo, "job", ju(j->id));
		json_object_array_add(jobs, jo);
	}
	json_object_object_add(root, "jobs", jobs);
	run_span(r, &start, &end);
	total_stats(r, &rd, &wr, &fsyncs);
	json_object_object_add(root, "total",
			       json_stats(&rd, &wr, fsyncs, secs(end - start),
					  tool_ns_per_io(r, 0, r->njobs)));
	json_object_object_add(root, "pcache", json_pcache(s, r->o->interval));
	return root;
}
