// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status.c - decode the status line of live dm-pcache devices for people
 * (a block per device), for scripts (--json, docs/json-pcache.md) and over
 * time (--watch: rates, and a writeback that stopped moving). The kernel
 * stops its writeback worker after a backing-device error and its status
 * line does not say so: a dirty_tail that stays put while the log holds
 * dirty data is the only sign, and --watch reports it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcache.h"
#include "pcache_layout.h"

static const char *const mode_names[] = {
	"writeback", "writethrough", "writearound", "writeonly",
};

void pcs_decode(const struct pcs_status *st, struct pc_decoded *d)
{
	unsigned int mode = (st->cache_flags & PCD_INFO_MODE_MASK) >>
			    PCD_INFO_MODE_SHIFT;

	memset(d, 0, sizeof(*d));
	d->data_crc = st->cache_flags & PCD_INFO_F_DATA_CRC;
	d->init_done = st->cache_flags & PCD_INFO_F_INIT_DONE;
	d->cache_mode = mode < 4 ? mode_names[mode] : "unknown";
	/* GC waits while segs_used < floor(seg_num * gc_percent / 100) */
	d->gc_threshold = (unsigned int)((uint64_t)st->seg_total *
					 st->gc_percent / 100);
	d->writeback_idle = pcs_pos_eq(st->dirty_tail, st->key_head);
	d->dirty_log_min = pcs_distance(st->dirty_tail, st->key_head);
	d->dirty_log_exact = st->dirty_tail.seg == st->key_head.seg &&
			     st->key_head.off >= st->dirty_tail.off;
}

/* ---- one sample of a device, with what --watch and --detail add -------- */

struct sample {
	struct pc_live lv;
	double at;		/* --watch: seconds since the start */
	bool have_rates;
	double dt;
	double wb_rate, log_rate, gc_rate;	/* bytes/s, lower bounds */
	bool stalled;
	double stalled_for;
	bool have_detail;
	struct pc_detail detail;
	char detail_err[1200];
};

static struct json_object *jpos(struct pcs_pos p)
{
	return cli_json_pos((struct pc_pos){ .seg = p.seg, .off = p.off });
}

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

struct json_object *pcs_json(const struct pc_live *lv)
{
	const struct pcs_status *st = &lv->st;
	struct json_object *o = json_object_new_object();
	struct pc_decoded d;

	pcs_decode(st, &d);
	jadd(o, "name", json_object_new_string(lv->name));
	jadd(o, "uuid", json_object_new_string(lv->uuid));
	jadd(o, "sectors", cli_json_u64(lv->sectors));
	jadd(o, "cache_dev", json_object_new_string(lv->cache_dev));
	jadd(o, "backing_dev", json_object_new_string(lv->backing_dev));
	jadd(o, "sb_flags", json_object_new_int64(st->sb_flags));
	jadd(o, "seg_total", json_object_new_int64(st->seg_total));
	jadd(o, "cache_segs", json_object_new_int64(st->cache_segs));
	jadd(o, "segs_used", json_object_new_int64(st->segs_used));
	jadd(o, "gc_percent", json_object_new_int64(st->gc_percent));
	jadd(o, "gc_threshold_segs", json_object_new_int64(d.gc_threshold));
	jadd(o, "cache_flags", json_object_new_int64(st->cache_flags));
	jadd(o, "data_crc", json_object_new_boolean(d.data_crc));
	jadd(o, "init_done", json_object_new_boolean(d.init_done));
	jadd(o, "cache_mode", json_object_new_string(d.cache_mode));
	jadd(o, "key_head", jpos(st->key_head));
	jadd(o, "dirty_tail", jpos(st->dirty_tail));
	jadd(o, "key_tail", jpos(st->key_tail));
	jadd(o, "writeback_idle", json_object_new_boolean(d.writeback_idle));
	jadd(o, "dirty_log_bytes_min", cli_json_u64(d.dirty_log_min));
	jadd(o, "dirty_log_exact", json_object_new_boolean(d.dirty_log_exact));
	return o;
}

static struct json_object *sample_json(const struct sample *s)
{
	struct json_object *o = pcs_json(&s->lv), *x;

	if (s->have_rates) {
		x = json_object_new_object();
		jadd(x, "interval_s", json_object_new_double(s->dt));
		jadd(x, "writeback_bytes_per_s", json_object_new_double(s->wb_rate));
		jadd(x, "log_bytes_per_s", json_object_new_double(s->log_rate));
		jadd(x, "gc_bytes_per_s", json_object_new_double(s->gc_rate));
		jadd(o, "rates", x);
		jadd(o, "writeback_stalled", json_object_new_boolean(s->stalled));
		jadd(o, "stalled_seconds", json_object_new_double(s->stalled_for));
	}
	if (s->have_detail) {
		x = json_object_new_object();
		jadd(x, "cached_bytes", cli_json_u64(s->detail.cached_bytes));
		jadd(x, "dirty_bytes", cli_json_u64(s->detail.dirty_bytes));
		jadd(x, "keys", cli_json_u64(s->detail.keys));
		jadd(x, "ksets", cli_json_u64(s->detail.ksets));
		jadd(x, "dirty_log_bytes", cli_json_u64(s->detail.dirty_log_bytes));
		jadd(x, "dirty_log_segs", cli_json_u64(s->detail.dirty_log_segs));
		jadd(o, "detail", x);
	} else if (s->detail_err[0]) {
		x = json_object_new_object();
		jadd(x, "error", json_object_new_string(s->detail_err));
		jadd(o, "detail", x);
	}
	return o;
}

static void print_block(const struct sample *s)
{
	const struct pcs_status *st = &s->lv.st;
	char a[32], b[32];
	struct pc_decoded d;

	pcs_decode(st, &d);
	printf("%s: dm-pcache, cache %s, backing %s, %llu sectors (%s)\n",
	       s->lv.name, s->lv.cache_dev, s->lv.backing_dev,
	       (unsigned long long)s->lv.sectors,
	       cli_size(s->lv.sectors * PCD_SECTOR_SIZE, a, sizeof(a)));
	if (s->lv.uuid[0])
		printf("  uuid        %s\n", s->lv.uuid);
	printf("  segments    %u of %u in use (cache_segs %u); GC starts at %u "
	       "(gc_percent %u)\n", st->segs_used, st->seg_total,
	       st->cache_segs, d.gc_threshold, st->gc_percent);
	printf("  options     cache_mode %s, data_crc %s, %s\n", d.cache_mode,
	       d.data_crc ? "true" : "false",
	       d.init_done ? "initialised" : "not initialised");
	printf("  log         key_head %u:%u  dirty_tail %u:%u  key_tail %u:%u\n",
	       st->key_head.seg, st->key_head.off, st->dirty_tail.seg,
	       st->dirty_tail.off, st->key_tail.seg, st->key_tail.off);
	if (d.writeback_idle)
		printf("  writeback   idle: nothing dirty\n");
	else
		printf("  writeback   busy: %s%llu bytes (%s) of log dirty\n",
		       d.dirty_log_exact ? "" : "at least ",
		       (unsigned long long)d.dirty_log_min,
		       cli_size(d.dirty_log_min, a, sizeof(a)));
	if (s->have_detail) {
		printf("  detail      %s dirty, %s cached, %llu key%s in %llu "
		       "kset%s (read-only replay)\n",
		       cli_size(s->detail.dirty_bytes, a, sizeof(a)),
		       cli_size(s->detail.cached_bytes, b, sizeof(b)),
		       (unsigned long long)s->detail.keys,
		       cli_s(s->detail.keys),
		       (unsigned long long)s->detail.ksets,
		       cli_s(s->detail.ksets));
		printf("  dirty log   %llu bytes in %llu segment%s\n",
		       (unsigned long long)s->detail.dirty_log_bytes,
		       (unsigned long long)s->detail.dirty_log_segs,
		       cli_s(s->detail.dirty_log_segs));
	}
	else if (s->detail_err[0])
		printf("  detail      %s\n", s->detail_err);
	printf("  flags       superblock 0x%x, cache_info 0x%x\n", st->sb_flags,
	       st->cache_flags);
}

/* ---- where samples come from ------------------------------------------- */

struct source {
	FILE *replay;		/* hidden --status-from FILE (tests) */
	const char *cache_dev;	/* hidden --cache-dev PATH for --detail */
	bool detail;
};

/* A recorded line: optionally "<start> <length> pcache " first. */
static int replay_line(struct source *src, const char *name,
		       struct pc_live *lv)
{
	char line[512], *p = line;
	unsigned long long start, len;
	int n = 0;

	memset(lv, 0, sizeof(*lv));
	if (!fgets(line, sizeof(line), src->replay))
		return -ENODATA;
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%llu %llu pcache %n", &start, &len, &n) == 2 && n) {
		lv->sectors = len;
		p += n;
	}
	snprintf(lv->name, sizeof(lv->name), "%s", name);
	snprintf(lv->cache_dev, sizeof(lv->cache_dev), "-");
	snprintf(lv->backing_dev, sizeof(lv->backing_dev), "-");
	snprintf(lv->params, sizeof(lv->params), "%s", p);
	if (pcs_parse(p, &lv->st)) {
		cli_err("%s: not a dm-pcache status line: '%s'", name, p);
		return -EBADMSG;
	}
	return 0;
}

static int live_read(const char *name, struct pc_live *lv)
{
	int ret = dm_live_read(name, lv);

	if (ret == -ENODEV)
		cli_err("%s: no such device-mapper device", name);
	else if (ret == -EMEDIUMTYPE)
		cli_err("%s: not a dm-pcache device", name);
	else if (ret == -EBADMSG)
		cli_err("%s: status line not understood: '%s'", name,
			lv->params);
	else if (ret)
		cli_err("%s: cannot read the device's status", name);
	return ret;
}

/* Replay the live cache device read-only for the exact dirty bytes. */
static void add_detail(const struct source *src, struct sample *s)
{
	s->have_detail = !pcache_detail(&s->lv, src->cache_dev, &s->detail,
					s->detail_err, sizeof(s->detail_err));
}

static int take(struct source *src, const char *name, struct sample *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = src->replay ? replay_line(src, name, &s->lv) :
			    live_read(name, &s->lv);
	if (!ret && src->detail)
		add_detail(src, s);
	return ret;
}

/* ---- --watch ----------------------------------------------------------- */

struct tracker {
	struct sample prev;
	bool have_prev;
	double since;		/* time dirty_tail last moved */
	bool warned;
};

static void rate(struct tracker *t, struct sample *s, double dt, double now)
{
	const struct pcs_status *a = &t->prev.lv.st, *b = &s->lv.st;
	struct pc_decoded d;

	pcs_decode(b, &d);
	s->have_rates = true;
	s->dt = dt;
	s->wb_rate = pcs_distance(a->dirty_tail, b->dirty_tail) / dt;
	s->log_rate = pcs_distance(a->key_head, b->key_head) / dt;
	s->gc_rate = pcs_distance(a->key_tail, b->key_tail) / dt;
	if (!pcs_pos_eq(a->dirty_tail, b->dirty_tail) || d.writeback_idle) {
		t->since = now;
		t->warned = false;
	}
	s->stalled_for = now - t->since;
	s->stalled = !d.writeback_idle && s->stalled_for >= PCACHE_STALL_SECONDS;
	if (s->stalled && !t->warned) {
		cli_warn("%s: writeback stalled: dirty_tail %u:%u has not moved "
			 "for %.0f s with dirty data (a backing-device error "
			 "stops the kernel's writeback)", s->lv.name,
			 b->dirty_tail.seg, b->dirty_tail.off, s->stalled_for);
		t->warned = true;
	}
}

static void watch_line(const struct sample *s, double t)
{
	char a[32];
	struct pc_decoded d;

	pcs_decode(&s->lv.st, &d);
	printf("%8.1f %-16s %5u/%-5u %12s %12.0f %12.0f %12.0f %s\n", t,
	       s->lv.name, s->lv.st.segs_used, s->lv.st.seg_total,
	       d.writeback_idle ? "0" : cli_size(d.dirty_log_min, a, sizeof(a)),
	       s->have_rates ? s->wb_rate : 0, s->have_rates ? s->log_rate : 0,
	       s->have_rates ? s->gc_rate : 0,
	       d.writeback_idle ? "idle" : s->stalled ? "STALLED" : "busy");
}

static void emit(const struct sample *s, bool json, bool watch, double t)
{
	struct json_object *o;

	if (!json) {
		if (watch)
			watch_line(s, t);
		else
			print_block(s);
		return;
	}
	o = sample_json(s);
	if (watch) {
		json_object_object_add(o, "time_s", json_object_new_double(t));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(o);
}

static int watch(struct source *src, const char **names, size_t n,
		 double interval, bool json)
{
	struct tracker *tr = calloc(n, sizeof(*tr));
	double t0 = now_s(), t = 0;
	struct sample s;
	size_t i;
	int ret = 0;

	if (!tr)
		return CLI_EXIT_FAIL;
	if (!json && !src->replay)
		printf("%8s %-16s %11s %12s %12s %12s %12s %s\n", "time",
		       "device", "segs", "dirty(min)", "wb B/s", "log B/s",
		       "gc B/s", "state");
	for (;;) {
		for (i = 0; i < n; i++) {
			if (take(src, names[i], &s)) {
				ret = src->replay && feof(src->replay) ? 0 : 1;
				goto out;
			}
			s.at = t;
			if (tr[i].have_prev)
				rate(&tr[i], &s, t - tr[i].prev.at, t);
			else
				tr[i].since = t;
			emit(&s, json, true, t);
			tr[i].prev = s;
			tr[i].have_prev = true;
		}
		fflush(stdout);
		if (src->replay) {
			t += interval;	/* recorded samples: simulated time */
			continue;
		}
		usleep((useconds_t)(interval * 1e6));
		t = now_s() - t0;
	}
out:
	free(tr);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- status and list --------------------------------------------------- */

static int all_names(char ***names, size_t *n)
{
	if (dm_list_pcache(names, n)) {
		cli_err("cannot list device-mapper devices (is dm_mod loaded? "
			"are you root?)");
		return -1;
	}
	return 0;
}

static int once(struct source *src, const char **names, size_t n, bool json)
{
	struct json_object *doc = NULL, *arr = NULL;
	struct sample s;
	int ret = CLI_EXIT_OK;
	size_t i;

	if (json) {
		doc = cli_json_doc();
		arr = json_object_new_array();
		json_object_object_add(doc, "devices", arr);
	}
	for (i = 0; i < n || src->replay; i++) {
		int r = take(src, names[src->replay ? 0 : i], &s);

		if (r == -ENODATA)
			break;
		if (r) {
			ret = CLI_EXIT_FAIL;
			continue;
		}
		if (json)
			json_object_array_add(arr, sample_json(&s));
		else
			print_block(&s);
	}
	if (json) {
		if (cli_json_print(doc))
			ret = CLI_EXIT_FAIL;
		json_object_put(doc);
	}
	return ret;
}

int pcache_print_devices(const struct pc_live *lv, size_t n)
{
	struct json_object *doc = cli_json_doc(), *arr;
	int ret = CLI_EXIT_OK;
	size_t i;

	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, pcs_json(&lv[i]));
	json_object_object_add(doc, "devices", arr);
	if (cli_json_print(doc))
		ret = CLI_EXIT_FAIL;
	json_object_put(doc);
	return ret;
}

int cmd_status(int argc, const char **argv)
{
	static int detail;
	static char *from, *cache_dev, *watch_arg;
	struct poptOption opts[] = {
		CLI_OPT_JSON("Print JSON (docs/json-pcache.md)"),
		{ "watch", 'w', POPT_ARG_STRING, &watch_arg, 0,
		  "Refresh every SECONDS with rates; warn when writeback stalls",
		  "SECONDS" },
		{ "detail", 'd', POPT_ARG_NONE, &detail, 0,
		  "Exact dirty bytes from a read-only replay of the cache device",
		  NULL },
		{ "status-from", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN,
		  &from, 0, "Read status lines from FILE (tests)", "FILE" },
		{ "cache-dev", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN,
		  &cache_dev, 0, "Cache device for --detail (tests)", "PATH" },
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("status", argc, argv, opts,
				   "[OPTION...] [NAME...]");
	struct source src = { .detail = detail, .cache_dev = cache_dev };
	const char **args = poptGetArgs(pc);
	const char *recorded[] = { "recorded", NULL };
	bool json = cli_json;
	double interval = 0;
	char **names = NULL;
	size_t n = 0;
	int ret;

	if (watch_arg)
		interval = cli_seconds_arg("--watch", watch_arg, 0.05);
	if (from && !(src.replay = fopen(from, "r"))) {
		cli_err("%s: %s", from, strerror(errno));
		ret = CLI_EXIT_FAIL;
		goto out;
	}
	for (; args && args[n]; n++)
		;
	if (!n && !from) {
		if (all_names(&names, &n)) {
			ret = CLI_EXIT_FAIL;
			goto out;
		}
		args = (const char **)names;
	}
	if (from) {
		/* recorded lines are the samples of one device */
		args = n ? args : recorded;
		n = 1;
	}
	if (interval > 0)
		ret = watch(&src, args, n, interval, json);
	else
		ret = once(&src, args, n, json);
out:
	if (src.replay)
		fclose(src.replay);
	dm_free_names(names, names ? n : 0);
	poptFreeContext(pc);
	return cli_exit(ret);
}

int cmd_list(int argc, const char **argv)
{
	struct poptOption opts[] = {
		CLI_OPT_JSON("Print JSON (docs/json-pcache.md)"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc = sub_parse("list", argc, argv, opts, "[OPTION...]");
	struct json_object *doc = NULL, *arr = NULL;
	struct pc_live lv;
	struct pc_decoded d;
	char **names = NULL, sz[32];
	bool json = cli_json;
	size_t n = 0, i;
	int ret = CLI_EXIT_OK;

	cli_args(pc, NULL, 0, "");
	if (all_names(&names, &n)) {
		ret = CLI_EXIT_FAIL;
		goto out;
	}
	if (json) {
		doc = cli_json_doc();
		arr = json_object_new_array();
		json_object_object_add(doc, "devices", arr);
	} else if (n) {
		printf("%-16s %-10s %-10s %10s %9s %s\n", "NAME", "CACHE",
		       "BACKING", "SIZE", "SEGS", "STATE");
	}
	for (i = 0; i < n; i++) {
		if (dm_live_read(names[i], &lv))
			continue;
		pcs_decode(&lv.st, &d);
		if (json) {
			json_object_array_add(arr, pcs_json(&lv));
			continue;
		}
		printf("%-16s %-10s %-10s %10s %4u/%-4u %s\n", lv.name,
		       lv.cache_dev, lv.backing_dev,
		       cli_size(lv.sectors * PCD_SECTOR_SIZE, sz, sizeof(sz)),
		       lv.st.segs_used, lv.st.seg_total,
		       d.writeback_idle ? "clean" : "dirty");
	}
	if (json) {
		if (cli_json_print(doc))
			ret = CLI_EXIT_FAIL;
		json_object_put(doc);
	}
out:
	dm_free_names(names, n);
	poptFreeContext(pc);
	return cli_exit(ret);
}
