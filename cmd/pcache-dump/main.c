// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-dump: show everything on a dm-pcache cache device, for debugging
 * and support tickets. Reads only.
 *
 *   pcache-dump [options] DEVICE
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dump.h"

static const char *const usage_tail = "DEVICE";

const char *fmt_pos(struct pc_pos p, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", p.seg, p.off);
	return buf;
}

bool out_broken(void)
{
	return ferror(stdout);
}

static int parse_u64(const char *s, uint64_t *v)
{
	return cli_parse_size(s, v);
}

static int parse_pos(const char *s, struct pc_pos *p)
{
	uint64_t seg, off;
	char buf[64], *colon;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_u64(buf, &seg) || parse_u64(colon + 1, &off) ||
	    seg > UINT32_MAX || off > UINT32_MAX)
		return -EINVAL;
	p->seg = (uint32_t)seg;
	p->off = (uint32_t)off;
	return 0;
}

#define usage_error cli_usage

/*
 * popt has no two-argument options: take "--extract OFFSET LENGTH" (or
 * "--extract=OFFSET LENGTH") out of argv before popt sees it.
 */
static void take_extract(int *argc, const char **argv, struct dump *d)
{
	int i, out = 0, n = *argc;

	for (i = 0; i < n; i++) {
		const char *a = argv[i], *off = NULL, *len = NULL;
		int used = 0;

		if (!strcmp(a, "--")) {
			while (i < n)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--extract")) {
			off = i + 1 < n ? argv[i + 1] : NULL;
			len = i + 2 < n ? argv[i + 2] : NULL;
			used = 2;
		} else if (!strncmp(a, "--extract=", 10)) {
			off = a + 10;
			len = i + 1 < n ? argv[i + 1] : NULL;
			used = 1;
		} else {
			argv[out++] = a;
			continue;
		}
		if (!off || !len)
			usage_error("--extract needs OFFSET and LENGTH");
		if (d->extract)
			usage_error("--extract: given twice (it takes one "
				    "range)");
		d->ext_off = cli_size_arg("--extract: OFFSET", off);
		d->ext_len = cli_size_arg("--extract: LENGTH", len);
		d->extract = true;
		i += used;
	}
	argv[out] = NULL;
	*argc = out;
}

struct raw_opts {
	int superblock, segments, log, replay, no_verify;
	char *segment, *from, *limit, *backing, *extract_dummy;
};

static void parse_args(int argc, const char **argv, struct dump *d)
{
	struct raw_opts o = { 0 };
	struct poptOption table[] = {
		CLI_OPT_JSON("JSON output (schema: docs/json-dump.md)"),
		{ "superblock", 's', POPT_ARG_NONE, &o.superblock, 0,
		  "superblock, cache_info, tails, summary, dmsetup lines",
		  NULL },
		{ "segments", 'S', POPT_ARG_NONE, &o.segments, 0,
		  "the segment chain, one line per segment", NULL },
		{ "segment", 0, POPT_ARG_STRING, &o.segment, 0,
		  "one segment (cache segment id) in detail", "N" },
		{ "log", 'l', POPT_ARG_NONE, &o.log, 0,
		  "the kset log: ksets and keys", NULL },
		{ "from", 0, POPT_ARG_STRING, &o.from, 0,
		  "walk the log from this position (default key_tail)",
		  "SEG:OFF" },
		{ "limit", 0, POPT_ARG_STRING, &o.limit, 0,
		  "print at most N ksets (--log) or extents (--replay)",
		  "N" },
		{ "replay", 'r', POPT_ARG_NONE, &o.replay, 0,
		  "rebuild the index as the kernel does; live extents", NULL },
		{ "no-verify", 0, POPT_ARG_NONE, &o.no_verify, 0,
		  "do not read data to verify data CRCs (--replay, --extract)",
		  NULL },
		{ "backing", 'b', POPT_ARG_STRING, &o.backing, 0,
		  "backing device (key bounds, status line, --extract)",
		  "DEVICE" },
		{ "extract", 0, POPT_ARG_STRING, &o.extract_dummy, 0,
		  "write what a reader of the cached device sees for this "
		  "range to stdout (needs --backing)", "OFFSET LENGTH" },
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		POPT_TABLEEND
	};
	poptContext pc;
	const char *arg;
	uint64_t v;

	take_extract(&argc, argv, d);
	pc = cli_context(NULL, argc, argv, table, "[OPTION...] DEVICE");
	cli_parse(pc, table);
	cli_args(pc, &arg, 1, usage_tail);
	d->path = strdup(arg);
	d->json = cli_json;
	d->no_verify = o.no_verify;
	d->backing_path = o.backing;
	if (o.superblock)
		d->sections |= SEC_HEADER;
	if (o.segments)
		d->sections |= SEC_SEGMENTS;
	if (o.log)
		d->sections |= SEC_LOG;
	if (o.replay)
		d->sections |= SEC_REPLAY;
	if (o.segment) {
		v = cli_uint_arg("--segment", o.segment, 0, UINT32_MAX);
		d->seg_sel = (uint32_t)v;
		d->sections |= SEC_SEGMENT;
	}
	if (o.from) {
		if (parse_pos(o.from, &d->from))
			usage_error("--from: expected SEG:OFF, got '%s'",
				    o.from);
		d->from_set = true;
		d->sections |= SEC_LOG;
	}
	if (o.limit)
		d->limit = cli_uint_arg("--limit", o.limit, 0, UINT64_MAX);
	if (d->extract && !d->backing_path)
		usage_error("--extract needs --backing DEVICE");
	if (d->extract && (d->sections || d->json))
		usage_error("--extract cannot be combined with other output");
	if (!d->sections)
		d->sections = SEC_DEFAULT;
	free(o.segment);
	free(o.from);
	free(o.limit);
	free(o.extract_dummy);
	poptFreeContext(pc);
}

/*
 * The segments the log goes through. A replay that succeeded walked the
 * whole log and says where it went; one that stopped at a bad key did
 * not, and the log is walked again to its end.
 */
static void fill_use_log(struct dump *d)
{
	struct pc_cache *c = d->c;
	struct pc_kset_view v;
	struct pc_walk w;

	if (!d->replay_ret && d->r.seg_log) {
		for (uint32_t i = 0; i < c->info.n_segs; i++)
			d->use[i].key = d->r.seg_log[i];
		return;
	}
	pc_walk_init(&w, c, c->key_tail);
	d->use[c->key_tail.seg].key = true;
	for (;;) {
		enum pc_kset_kind k = pc_walk_next(&w, &v);

		if (k != PC_KSET_KEYS && k != PC_KSET_LAST)
			break;
		if (k == PC_KSET_LAST)
			d->use[v.key_num].key = true;
	}
	pc_walk_fini(&w);
}

/* Mark which segments hold the log and which hold live data. */
static void fill_use(struct dump *d)
{
	struct pc_cache *c = d->c;

	d->use = calloc(c->info.n_segs, sizeof(*d->use));
	if (!d->use)
		return;
	fill_use_log(d);
	for (size_t i = 0; i < d->r.n_keys; i++) {
		const struct pc_rkey *rk = &d->r.keys[i];

		if (!rk->stale && rk->k.cache_seg_id < c->info.n_segs)
			d->use[rk->k.cache_seg_id].keys++;
	}
	for (size_t i = 0; i < d->r.n_ext; i++)
		if (d->r.ext[i].seg < c->info.n_segs)
			d->use[d->r.ext[i].seg].live_bytes += d->r.ext[i].len;
}

int dump_replay(struct dump *d)
{
	if (d->replayed)
		return d->replay_ret;
	d->replayed = true;
	if (!d->c || d->c->stage < PC_STAGE_READY) {
		d->replay_ret = -EINVAL;
		return d->replay_ret;
	}
	d->replay_ret = pc_replay(d->c, d->backing_size, 0, &d->r);
	if (pc_replay_refusal(&d->r, d->replay_ret))
		snprintf(d->refuse_msg, sizeof(d->refuse_msg), "%s",
			 pc_replay_refusal(&d->r, d->replay_ret));
	if (d->refuse_msg[0]) {
		d->refused = d->failed = true;
		cli_err("%s", d->refuse_msg);
	}
	fill_use(d);
	return d->replay_ret;
}

const struct pc_salvage *dump_past_end(struct dump *d)
{
	if (dump_replay(d))
		return NULL;
	if (!d->salvaged) {
		d->salvaged = true;
		if (pc_salvage_scan(d->c, &d->r, d->backing_size,
				    &d->past_end))
			cli_warn("%s: scan past the end of the log: %s",
				 d->path, d->past_end.err.msg[0] ?
				 d->past_end.err.msg : "failed");
	}
	return &d->past_end;
}

/*
 * A cache_info without INIT_DONE is a lazily formatted cache when nothing
 * on the device says it was used: pcache-fsck's rule (PC-INFO-LAZY, not
 * PC-INFO-NOINIT), asked of the checker so that both tools agree.
 */
static bool lazily_formatted(struct dump *d)
{
	struct pc_check_opts o = { .data_crc = -1 };
	struct pc_check *ck;
	bool lazy;

	if (d->c->stage != PC_STAGE_SB ||
	    (d->c->info.flags & PCD_INFO_F_INIT_DONE))
		return false;
	ck = pc_check_new(d->dev, &o);
	if (!ck)
		return false;
	lazy = pc_check_run(ck) >= 0 && pc_check_count(ck, PCK_INFO_LAZY) &&
	       !pc_check_count(ck, PCK_INFO_NOINIT);
	pc_check_free(ck);
	return lazy;
}

static int open_devices(struct dump *d)
{
	struct pc_err err = { 0 };
	int ret;

	ret = d->backing_path ?
	      pc_dev_check_distinct(d->path, d->backing_path, &err) : 0;
	if (!ret)
		ret = pc_dev_open(d->path, 0, &d->dev, &err);
	if (ret) {
		cli_err("%s", err.msg);
		return ret;
	}
	if (d->backing_path) {
		ret = pc_dev_open(d->backing_path, 0, &d->bdev, &err);
		if (ret) {
			cli_err("%s", err.msg);
			return ret;
		}
		/* The kernel sees the backing device in whole sectors. */
		d->backing_size = pcd_backing_bytes(pc_dev_size(d->bdev));
	}
	d->open_ret = pc_cache_open(d->dev, &d->c, &d->open_err);
	if (!d->c)
		return -ENOMEM;
	{
		struct pc_restored m;

		d->restored = pc_restored_probe(d->dev, &m) == 1;
	}
	if (d->open_ret && lazily_formatted(d))
		d->lazy = true;
	else if (d->open_ret) {
		d->failed = true;
		cli_err("%s", d->open_err.msg);
	}
	return 0;
}

static void run_sections(struct dump *d)
{
	if (d->sections & SEC_HEADER)
		dump_header(d);
	if (d->lazy && (d->sections & ~SEC_HEADER)) {
		if (!d->json)
			printf("%s: formatted lazily: the kernel initialises the "
			       "segments at first activation; no segments or "
			       "log yet\n", d->path);
		return;
	}
	if (d->c->stage < PC_STAGE_CHAIN &&
	    (d->sections & ~SEC_HEADER)) {
		if (!(d->sections & SEC_HEADER))
			cli_err("%s: the segment chain could not be loaded; "
				"only --superblock can be shown", d->path);
		d->failed = true;
		return;
	}
	if (d->sections & SEC_SEGMENTS)
		dump_segments(d);
	if (d->sections & SEC_SEGMENT)
		dump_segment(d);
	if (d->sections & SEC_LOG)
		dump_log(d);
	if (d->sections & SEC_REPLAY)
		dump_replay_section(d);
}

int main(int argc, char **argv)
{
	struct dump d = { 0 };
	int rc = CLI_EXIT_OK;

	cli_init("pcache-dump");
	parse_args(argc, (const char **)argv, &d);
	if (open_devices(&d)) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (d.extract) {
		rc = dump_extract(&d) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		goto out;
	}
	if (d.json)
		d.doc = cli_json_doc();
	if ((d.sections & SEC_SEGMENT) && d.c->stage >= PC_STAGE_INFO &&
	    d.seg_sel >= d.c->info.n_segs)
		usage_error("--segment %u out of range (n_segs %u)",
			    d.seg_sel, d.c->info.n_segs);
	run_sections(&d);
	if (d.json) {
		json_object_object_add(d.doc, "error", d.failed &&
				       cli_first_error() ? json_object_new_string(
				       cli_first_error()) : NULL);
		json_object_object_add(d.doc, "exit_code", json_object_new_int(
				       d.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK));
		json_object_object_add(d.doc, "ok",
				       json_object_new_boolean(!d.failed));
		if (cli_json_print(d.doc))
			rc = CLI_EXIT_FAIL;
		json_object_put(d.doc);
	} else if (fflush(stdout) && errno != EPIPE) {
		rc = CLI_EXIT_FAIL;
	}
	if (d.failed)
		rc = CLI_EXIT_FAIL;
out:
	if (d.replayed)
		pc_replay_free(&d.r);
	pc_salvage_free(&d.past_end);
	free(d.use);
	pc_cache_free(d.c);
	pc_dev_close(d.dev);
	pc_dev_close(d.bdev);
	free((void *)d.path);
	free((void *)d.backing_path);
	return cli_exit(rc);
}
