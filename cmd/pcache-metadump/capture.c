// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture: every metadata byte of a cache device into a capture file
 * (docs/metadump.md says what and why). The device is opened read-only
 * with a shared lock; data segments are never read.
 *
 * Key segments are those any walk of the log enters, from the chosen tails
 * and from every valid copy of them, and those a valid LAST kset anywhere
 * in a key segment links to (the scan past the end of the log follows such
 * links), except segments live keys hold data in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "metadump.h"

#define SEG_META_LEN	PCD_SEG_DATA_OFF	/* three 4 KiB pages */

struct capture {
	struct pc_dev *dev;
	const char *path;
	uint64_t size;
	uint32_t fit;		/* physical segments the device holds */
	struct pc_cache *c;
	struct pc_cache *opened;	/* pc_cache_open()'s, when it got through */
	struct pc_check *ck;	/* else the checker's, which goes further */
	bool *key_seg;		/* by cache segment id */
	bool *data_seg;		/* by cache segment id: live data */
	bool *key_phys;		/* by physical id */
	uint32_t n_key;
	uint8_t *area;		/* one data area */
	struct pc_err err;
};

static uint32_t n_segs(const struct capture *cp)
{
	const struct pc_cache *c = cp->c;

	return c->segs ? c->segs_loaded : 0;
}

static void add_key_seg(struct capture *cp, uint32_t seg)
{
	int64_t phys = pc_cache_phys(cp->c, seg);

	/* a chain that names a segment past the device has nothing there */
	if (seg >= n_segs(cp) || phys < 0 || phys >= cp->fit ||
	    cp->key_seg[seg])
		return;
	cp->key_seg[seg] = true;
	if (!cp->key_phys[phys])
		cp->n_key++;
	cp->key_phys[phys] = true;
}

/* Every segment the walk from @from enters; a revisit ends it. */
static void walk_from(struct capture *cp, struct pc_pos from, bool *entered)
{
	struct pc_kset_view v;
	struct pc_walk w;

	if (from.seg >= n_segs(cp) || from.off >= PCD_SEG_DATA_SIZE)
		return;
	memset(entered, 0, n_segs(cp) * sizeof(*entered));
	add_key_seg(cp, from.seg);
	pc_walk_init(&w, cp->c, from);
	for (;;) {
		enum pc_kset_kind k = pc_walk_next(&w, &v);

		if (k == PC_KSET_END || k == PC_KSET_ERROR)
			break;
		if (k != PC_KSET_LAST)
			continue;
		add_key_seg(cp, v.key_num);
		if (v.key_num >= n_segs(cp) || entered[v.key_num])
			break;
		entered[v.key_num] = true;
	}
	pc_walk_fini(&w);
}

/* The chosen tails and every valid copy of them, read afresh: the cache
 * may have failed to open before its tails were read. */
static void walk_tails(struct capture *cp, bool *entered)
{
	const struct pc_cache *c = cp->c;

	for (int t = 0; t < 2; t++) {
		struct pc_dual d;

		/* an unreadable copy is marked so; the other still counts */
		pc_dual_read(cp->dev, c->swap, t ? PCD_DIRTY_TAIL_OFF :
			     PCD_KEY_TAIL_OFF, PCD_POS_STRIDE,
			     sizeof(struct pcd_pos), &d, NULL);
		for (int s = 0; s < PCD_SLOTS; s++) {
			const struct pcd_pos *rec = (const void *)d.slot[s].raw;

			if (d.slot[s].state != PC_SLOT_VALID)
				continue;
			walk_from(cp, (struct pc_pos){
				pcd_n32(c->swap, rec->cache_seg_id),
				pcd_n32(c->swap, rec->seg_off) }, entered);
		}
	}
}

/* Segments live keys hold data in: never read as log. */
static void mark_data(struct capture *cp)
{
	struct pc_replay r = { 0 };

	if (cp->ck) {
		const struct pc_check_usage *u = pc_check_usage(cp->ck);

		for (uint32_t i = 0; i < u->n_data_segs; i++)
			if (u->data_segs[i].cache_seg < n_segs(cp))
				cp->data_seg[u->data_segs[i].cache_seg] = true;
		return;
	}
	pc_replay(cp->c, 0, 0, &r);
	for (size_t i = 0; i < r.n_keys; i++)
		if (!r.keys[i].stale && r.keys[i].k.cache_seg_id < n_segs(cp))
			cp->data_seg[r.keys[i].k.cache_seg_id] = true;
	pc_replay_free(&r);
}

static bool last_kset_at(const struct capture *cp, const uint8_t *p,
			 uint32_t *next)
{
	const struct pcd_kset *ks = (const void *)p;
	bool swap = cp->c->swap;

	if (pcd_n64(swap, ks->magic) != PCD_KSET_MAGIC ||
	    !(pcd_n64(swap, ks->flags) & PCD_KSET_F_LAST) ||
	    pcd_n32(swap, ks->crc) != pc_meta_crc(p, PCD_KSET_HDR_SIZE))
		return false;
	*next = pcd_n32(swap, ks->key_num);
	return true;
}

/* Add what valid LAST ksets in key segment @seg link to. */
static int follow_links(struct capture *cp, uint32_t seg)
{
	int64_t phys = pc_cache_phys(cp->c, seg);
	int ret;

	if (phys < 0 || phys >= cp->fit)
		return 0;
	ret = pc_dev_read(cp->dev, pcd_data_offset((uint32_t)phys, 0),
			  cp->area, PCD_SEG_DATA_SIZE, &cp->err);
	if (ret)
		return ret;
	for (uint32_t off = 0; off + PCD_KSET_HDR_SIZE <= PCD_SEG_DATA_SIZE;
	     off += 8) {
		uint32_t next;

		if (last_kset_at(cp, cp->area + off, &next) &&
		    next < n_segs(cp) && !cp->data_seg[next])
			add_key_seg(cp, next);
	}
	return 0;
}

/* Scan every key segment once, also those added by the scan itself. */
static int close_links(struct capture *cp, bool *done)
{
	uint32_t n = n_segs(cp);
	bool more = true;
	int ret = 0;

	while (more && !ret) {
		more = false;
		for (uint32_t s = 0; s < n && !ret; s++) {
			if (!cp->key_seg[s] || done[s])
				continue;
			done[s] = more = true;
			ret = follow_links(cp, s);
			cli_progress("scanning the log", s, n);
		}
	}
	return ret;
}

static int find_key_segs(struct capture *cp)
{
	uint32_t n = n_segs(cp);
	bool *scratch;
	int ret;

	if (!n)
		return 0;
	cp->key_seg = calloc(n, sizeof(bool));
	cp->data_seg = calloc(n, sizeof(bool));
	scratch = calloc(n, sizeof(bool));
	if (!cp->key_seg || !cp->data_seg || !scratch) {
		free(scratch);
		return -ENOMEM;
	}
	mark_data(cp);
	walk_tails(cp, scratch);
	memset(scratch, 0, n * sizeof(bool));
	ret = close_links(cp, scratch);
	free(scratch);
	return ret;
}

static int emit(struct capture *cp, struct md_writer *w, enum md_kind kind,
		uint64_t off, size_t len)
{
	int ret;

	if (off + len > cp->size)
		return 0;
	ret = pc_dev_read(cp->dev, off, cp->area, len, &cp->err);
	if (ret)
		return ret;
	ret = md_write_range(w, kind, off, cp->area, len);
	if (ret == -EINVAL)
		pc_err_set(&cp->err, ret, "internal error: capture out of order");
	return ret;
}

static int emit_all(struct capture *cp, struct md_writer *w)
{
	int ret = emit(cp, w, MD_REC_HEADER, PCD_SB_OFF,
		       PCD_SEGS_OFF - PCD_SB_OFF);

	for (uint32_t p = 0; !ret && p < cp->fit; p++) {
		uint64_t base = pcd_seg_offset(p);

		ret = emit(cp, w, MD_REC_SEGMETA, base, SEG_META_LEN);
		if (!ret && cp->key_phys[p])
			ret = emit(cp, w, MD_REC_LOG, base + PCD_SEG_DATA_OFF,
				   PCD_SEG_DATA_SIZE);
		if ((p & 1023) == 0)
			cli_progress("capturing", p, cp->fit);
	}
	cli_progress_done();
	return ret;
}

static void report(const struct capture *cp, const char *file,
		   const struct md_writer *w, const struct md_opts *o)
{
	char a[32], b[32], c[32];

	if (o->json) {
		struct json_object *doc = cli_json_doc();

		json_object_object_add(doc, "device",
				       json_object_new_string(cp->path));
		json_object_object_add(doc, "file", json_object_new_string(file));
		json_object_object_add(doc, "dev_size", cli_json_u64(cp->size));
		json_object_object_add(doc, "segments", cli_json_u64(cp->fit));
		json_object_object_add(doc, "key_segments",
				       cli_json_u64(cp->n_key));
		json_object_object_add(doc, "records",
				       cli_json_u64(w->t.records));
		json_object_object_add(doc, "bytes", cli_json_u64(w->t.bytes));
		json_object_object_add(doc, "file_bytes",
				       cli_json_u64(w->file_bytes));
		json_object_object_add(doc, "kinds", md_stats_json(&w->st));
		cli_json_print(doc);
		json_object_put(doc);
		return;
	}
	/* with the capture on standard output, the summary goes to stderr */
	fprintf(strcmp(file, "-") ? stdout : stderr,
		"%s: captured %s of metadata (%u segments, %u key segment%s) "
	       "from %s of %s into %s of %s\n", cp->path,
	       cli_size(w->t.bytes, a, sizeof(a)), cp->fit, cp->n_key, cli_s(cp->n_key),
	       cli_size(cp->size, b, sizeof(b)), cp->path,
	       cli_size(w->file_bytes, c, sizeof(c)), file);
}

/*
 * A cache the kernel would refuse is captured all the same: the checker
 * loads what can be loaded past a bad superblock CRC, a short chain or bad
 * tails, and tells which segments hold live data.
 */
static int open_damaged(struct capture *cp)
{
	struct pc_check_opts o = { .data_crc = -1 };
	int ret;

	cp->ck = pc_check_new(cp->dev, &o);
	if (!cp->ck)
		return -ENOMEM;
	ret = pc_check_run(cp->ck);
	if (ret && ret != -ECANCELED) {
		pc_err_set(&cp->err, ret, "%s", pc_check_error(cp->ck)->msg);
		return ret;
	}
	cp->c = pc_check_cache(cp->ck);
	return 0;
}

static int capture_open(struct capture *cp, const char *device)
{
	int ret;

	cp->path = device;
	ret = pc_dev_open(device, 0, &cp->dev, &cp->err);
	if (ret)
		return ret;
	cp->size = pc_dev_size(cp->dev);
	if (cp->size < PCD_SEGS_OFF) {
		pc_err_set(&cp->err, -EINVAL, "%s: %llu bytes, too small for "
			   "a cache (the header alone takes %llu)", device,
			   (unsigned long long)cp->size, PCD_SEGS_OFF);
		return -EINVAL;
	}
	cp->fit = (uint32_t)(pcd_segs_for_size(cp->size) < PCD_SEGS_MAX ?
			     pcd_segs_for_size(cp->size) : PCD_SEGS_MAX);
	cp->area = malloc(PCD_SEG_DATA_SIZE);
	cp->key_phys = calloc(cp->fit ? cp->fit : 1, sizeof(bool));
	if (!cp->area || !cp->key_phys)
		return -ENOMEM;
	ret = pc_cache_open(cp->dev, &cp->opened, NULL);
	if (!cp->opened)
		return -ENOMEM;
	cp->c = cp->opened;
	if (ret)
		ret = open_damaged(cp);
	return ret ? ret : find_key_segs(cp);
}

static void capture_free(struct capture *cp)
{
	pc_cache_free(cp->opened);
	pc_check_free(cp->ck);
	pc_dev_close(cp->dev);
	free(cp->key_seg);
	free(cp->data_seg);
	free(cp->key_phys);
	free(cp->area);
}

static FILE *open_output(const char *file, bool *created)
{
	int fd;

	*created = false;
	if (!strcmp(file, "-"))
		return stdout;
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		*created = true;
	else if (errno == EEXIST)
		fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	return fd < 0 ? NULL : fdopen(fd, "wb");
}

int md_capture(const char *device, const char *file, const struct md_opts *o)
{
	struct capture cp = { 0 };
	struct md_header h = { .version = MD_VERSION };
	struct md_writer w = { 0 };
	bool created = false;
	FILE *f = NULL;
	int ret;

	if (!strcmp(file, "-") && o->json) {
		cli_err("--json needs a FILE: the capture itself goes to "
			"standard output");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(file, "-") && md_check_output(file, o->force, "FILE"))
		return CLI_EXIT_FAIL;
	if (strcmp(file, "-") && pc_dev_check_distinct(device, file, &cp.err) ==
	    -EEXIST) {
		cli_err("%s", cp.err.msg);
		return CLI_EXIT_FAIL;
	}
	pc_err_clear(&cp.err);
	ret = capture_open(&cp, device);
	if (ret) {
		cli_err("%s", ret == -ENOMEM && !cp.err.msg[0] ? "out of memory" :
			cp.err.msg);
		goto out;
	}
	f = open_output(file, &created);
	if (!f) {
		cli_err("%s: cannot write: %s", file, strerror(errno));
		ret = -errno;
		goto out;
	}
	h.dev_size = cp.size;
	h.seg_num = cp.c->sb.seg_num;
	h.key_segs = cp.n_key;
	h.created = (uint64_t)time(NULL);
	snprintf(h.tool_version, sizeof(h.tool_version), "%s",
		 PCACHE_TOOLS_VERSION);
	ret = md_write_open(&w, f, file, &h);
	if (!ret)
		ret = emit_all(&cp, &w);
	if (ret && cp.err.msg[0])
		cli_err("%s", cp.err.msg);
	if (!ret)
		ret = md_write_close(&w);
	if (f != stdout && fclose(f) && !ret) {
		cli_err("%s: write failed: %s", file, strerror(errno));
		ret = -EIO;
	}
	if (!ret)
		report(&cp, file, &w, o);
	else if (created)
		unlink(file);
out:
	md_write_free(&w);
	capture_free(&cp);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
