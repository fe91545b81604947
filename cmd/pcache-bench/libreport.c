// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libreport.c - results of "pcache-bench lib", for people and as JSON.
 * A section that did not run is null in JSON and absent in text.
 */
#include <string.h>

#include "bench.h"
#include "libbench.h"

static double per_s(double n, double s)
{
	return s > 0 ? n / s : 0;
}

/* ---- human ------------------------------------------------------------ */

static void gbps(FILE *f, const char *what, double bps)
{
	fprintf(f, "  %-22s %8.2f GB/s  %8.2f GiB/s\n", what, bps / 1e9,
		bps / (1024.0 * 1024 * 1024));
}

static void human_crc(const struct lb_crc *c, FILE *f)
{
	char b[32];

	fmt_size(b, sizeof(b), (double)c->buf_bytes);
	fprintf(f, "crc32c (%s), %s buffer, one thread:\n", c->impl, b);
	gbps(f, "memory read", c->mem_read_bps);
	gbps(f, "crc32c, same buffer", c->crc_mem_bps);
	gbps(f, "crc32c, 4 KiB calls", c->crc_4k_bps);
	gbps(f, "crc32c, 64 KiB in cache", c->crc_hot_bps);
	gbps(f, "crc32c portable", c->portable_bps);
	fprintf(f, "  crc32c / memory read   %8.1f %%\n",
		c->mem_read_bps > 0 ? 100 * c->crc_mem_bps / c->mem_read_bps : 0);
}

static void human_format(const char *what, const struct lb_format *fm, FILE *f)
{
	char b[32];

	fmt_size(b, sizeof(b), (double)fm->size);
	fprintf(f, "%s: %s, %u segments in %.3f s (%.2f us/segment)\n", what, b,
		fm->seg_num, fm->seconds,
		fm->seg_num ? fm->seconds * 1e6 / fm->seg_num : 0);
	if (fm->size != fm->target_size)
		fprintf(f, "  the filesystem holds no larger file; %u segments would take ~%.2f s\n",
			fm->target_segs, fm->extrapolated_s);
}

static void human_append(const struct lb_append *a, FILE *f)
{
	char b[32];

	fmt_size(b, sizeof(b), per_s((double)a->log_bytes, a->seconds));
	fprintf(f, "kset append: %llu ksets (%llu keys, %u segments) in %.3f s\n",
		(unsigned long long)a->ksets, (unsigned long long)a->keys,
		a->segments, a->seconds);
	fprintf(f, "  %.0f ksets/s, %.0f keys/s, %s/s of log\n",
		per_s((double)a->ksets, a->seconds),
		per_s((double)a->keys, a->seconds), b);
}

static void human_replay(const struct lb_replay *r, FILE *f)
{
	char b[32];

	fmt_size(b, sizeof(b), per_s((double)r->log_bytes, r->seconds));
	fprintf(f, "replay (open + replay + resolve): %llu keys, %llu extents in %.3f s\n",
		(unsigned long long)r->keys, (unsigned long long)r->extents,
		r->seconds);
	fprintf(f, "  %.0f keys/s, %.0f ksets/s, %s/s of log\n",
		per_s((double)r->keys, r->seconds),
		per_s((double)r->ksets, r->seconds), b);
}

static void human_scan(const struct lb_scan *s, FILE *f)
{
	double n = s->segments ? s->segments : 1;

	fprintf(f, "scan: %u segments\n", s->segments);
	fprintf(f, "  fsck (lib/check, read-only) %.3f s: %.2f us/segment, %.0f segments/s, %llu findings%s\n",
		s->fsck_s, s->fsck_s * 1e6 / n, per_s(s->segments, s->fsck_s),
		(unsigned long long)s->fsck_findings,
		s->fsck_accepts ? "" : " (kernel would refuse it!)");
	fprintf(f, "  cache open %.3f s (%.2f us/segment), replay %.3f s\n",
		s->open_s, s->open_s * 1e6 / n, s->replay_s);
}

void lb_report_human(const struct lb_results *r, FILE *f)
{
	char b[32];

	fmt_size(b, sizeof(b), (double)r->size);
	fprintf(f, "image: %s%s, %s, %u segments\n", r->image,
		r->temporary ? " (temporary)" : "", b, r->seg_num);
	if (r->crc.done)
		human_crc(&r->crc, f);
	if (r->format.done)
		human_format("format", &r->format, f);
	if (r->append.done)
		human_append(&r->append, f);
	if (r->replay.done)
		human_replay(&r->replay, f);
	if (r->format_max.done)
		human_format("format (large)", &r->format_max, f);
	if (r->scan.done)
		human_scan(&r->scan, f);
	if (r->interrupted)
		fprintf(f, "interrupted\n");
}

/* ---- JSON ------------------------------------------------------------- */

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
#define U(v) json_object_new_uint64(v)
#define D(v) cli_json_double(v)

static json_object *json_crc(const struct lb_crc *c)
{
	json_object *o = json_object_new_object();

	ADD(o, "impl", json_object_new_string(c->impl));
	ADD(o, "buffer_bytes", U(c->buf_bytes));
	ADD(o, "mem_read_bytes_per_s", D(c->mem_read_bps));
	ADD(o, "crc_bytes_per_s", D(c->crc_mem_bps));
	ADD(o, "crc_4k_bytes_per_s", D(c->crc_4k_bps));
	ADD(o, "crc_hot_bytes_per_s", D(c->crc_hot_bps));
	ADD(o, "crc_portable_bytes_per_s", D(c->portable_bps));
	ADD(o, "crc_vs_mem_read", D(c->mem_read_bps > 0 ?
				    c->crc_mem_bps / c->mem_read_bps : 0));
	return o;
}

static json_object *json_format(const struct lb_format *fm)
{
	json_object *o = json_object_new_object();

	ADD(o, "target_size_bytes", U(fm->target_size));
	ADD(o, "size_bytes", U(fm->size));
	ADD(o, "seg_num", U(fm->seg_num));
	ADD(o, "seconds", D(fm->seconds));
	ADD(o, "per_segment_ns", D(fm->seg_num ? fm->seconds * 1e9 / fm->seg_num : 0));
	ADD(o, "target_seg_num", U(fm->target_segs));
	ADD(o, "extrapolated", json_object_new_boolean(fm->size != fm->target_size));
	ADD(o, "target_seconds", D(fm->size != fm->target_size ?
				   fm->extrapolated_s : fm->seconds));
	return o;
}

static json_object *json_append(const struct lb_append *a)
{
	json_object *o = json_object_new_object();

	ADD(o, "ksets", U(a->ksets));
	ADD(o, "last_ksets", U(a->last_ksets));
	ADD(o, "keys", U(a->keys));
	ADD(o, "log_bytes", U(a->log_bytes));
	ADD(o, "segments", U(a->segments));
	ADD(o, "seconds", D(a->seconds));
	ADD(o, "ksets_per_s", D(per_s((double)a->ksets, a->seconds)));
	ADD(o, "keys_per_s", D(per_s((double)a->keys, a->seconds)));
	ADD(o, "bytes_per_s", D(per_s((double)a->log_bytes, a->seconds)));
	return o;
}

static json_object *json_replay(const struct lb_replay *r)
{
	json_object *o = json_object_new_object();

	ADD(o, "ksets", U(r->ksets));
	ADD(o, "keys", U(r->keys));
	ADD(o, "extents", U(r->extents));
	ADD(o, "log_bytes", U(r->log_bytes));
	ADD(o, "seconds", D(r->seconds));
	ADD(o, "keys_per_s", D(per_s((double)r->keys, r->seconds)));
	ADD(o, "ksets_per_s", D(per_s((double)r->ksets, r->seconds)));
	ADD(o, "bytes_per_s", D(per_s((double)r->log_bytes, r->seconds)));
	return o;
}

static json_object *json_scan(const struct lb_scan *s)
{
	json_object *o = json_object_new_object();

	ADD(o, "segments", U(s->segments));
	ADD(o, "open_seconds", D(s->open_s));
	ADD(o, "replay_seconds", D(s->replay_s));
	ADD(o, "fsck_seconds", D(s->fsck_s));
	ADD(o, "fsck_findings", U(s->fsck_findings));
	ADD(o, "fsck_kernel_accepts", json_object_new_boolean(s->fsck_accepts));
	ADD(o, "per_segment_ns", D(s->segments ? s->fsck_s * 1e9 / s->segments : 0));
	ADD(o, "segments_per_s", D(per_s(s->segments, s->fsck_s)));
	ADD(o, "open_per_segment_ns",
	    D(s->segments ? s->open_s * 1e9 / s->segments : 0));
	return o;
}

void lb_report_json(const struct lb_results *r)
{
	json_object *root = json_object_new_object(), *img;

	ADD(root, "__header", json_header("lib"));
	img = json_object_new_object();
	ADD(img, "path", json_object_new_string(r->image));
	ADD(img, "temporary", json_object_new_boolean(r->temporary));
	ADD(img, "size_bytes", U(r->size));
	ADD(img, "seg_num", U(r->seg_num));
	ADD(root, "image", img);
	ADD(root, "interrupted", json_object_new_boolean(r->interrupted));
	ADD(root, "crc32c", r->crc.done ? json_crc(&r->crc) : NULL);
	ADD(root, "format", r->format.done ? json_format(&r->format) : NULL);
	ADD(root, "kset_append", r->append.done ? json_append(&r->append) : NULL);
	ADD(root, "replay", r->replay.done ? json_replay(&r->replay) : NULL);
	ADD(root, "format_max", r->format_max.done ?
	    json_format(&r->format_max) : NULL);
	ADD(root, "scan", r->scan.done ? json_scan(&r->scan) : NULL);
	json_print(root);
	json_object_put(root);
}
