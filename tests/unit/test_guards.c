// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's guards against ordinary mistakes: the same device under
 * two names, a cache found with or without its superblock, and the
 * advisory locks pc_dev_open() takes (which conflict between two opens in
 * one process as between two processes: a flock belongs to the open file).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "img.h"
#include "tap.h"

#define GIB (1ULL << 30)

static char path[] = "/tmp/pcache-guards-XXXXXX";

static struct pc_dev_id id_of(const char *p)
{
	struct pc_dev_id id;

	if (pc_dev_id_get(p, &id, NULL))
		memset(&id, 0, sizeof(id));
	return id;
}

static void identity(void)
{
	char sym[64], hard[64], other[] = "/tmp/pcache-guards-o-XXXXXX";
	struct pc_dev_id disk = { 1, { { PC_ID_BLOCK, makedev(8, 0), 0 } } };
	struct pc_dev_id p1 = { 2, { { PC_ID_BLOCK, makedev(8, 1), 0 },
				    { PC_ID_PART_OF, makedev(8, 0), 0 } } };
	struct pc_dev_id p2 = { 2, { { PC_ID_BLOCK, makedev(8, 2), 0 },
				    { PC_ID_PART_OF, makedev(8, 0), 0 } } };
	struct pc_dev_id a = id_of(path);
	struct pc_dev_id loop = { 2, { { PC_ID_BLOCK, makedev(7, 0), 0 },
				      a.key[0] } };
	struct pc_err err = { 0 };
	int fd = mkstemp(other);

	close(fd);
	snprintf(sym, sizeof(sym), "%s.link", path);
	snprintf(hard, sizeof(hard), "%s.hard", path);
	ok(!symlink(path, sym) && !link(path, hard), "links made");
	ok(a.n == 1 && a.key[0].kind == PC_ID_FILE, "a file has one key");
	ok(pc_dev_id_same(&a, &a) && !strcmp(pc_dev_id_same(&a, &a),
					     "the same file"), "same file");
	ok(pc_dev_check_distinct(path, sym, &err) == -EEXIST &&
	   strstr(err.msg, sym) && strstr(err.msg, "same device"),
	   "a symlink is the same device: %s", err.msg);
	ok(pc_dev_check_distinct(hard, path, &err) == -EEXIST,
	   "a hard link is the same device");
	ok(pc_dev_check_distinct(path, other, &err) == 0,
	   "another file is distinct");
	ok(pc_dev_check_distinct(path, "/nonexistent/x", &err) == -ENOENT &&
	   strstr(err.msg, "/nonexistent/x"), "a missing path is an error");
	ok(pc_dev_id_same(&loop, &a) && pc_dev_id_same(&a, &loop),
	   "a loop device over the file overlaps it, both ways");
	ok(pc_dev_id_same(&disk, &p1) && pc_dev_id_same(&p2, &disk),
	   "a disk overlaps its partitions");
	ok(!pc_dev_id_same(&p1, &p2), "two partitions of a disk do not");
	unlink(sym);
	unlink(hard);
	unlink(other);
}

static void probe(struct pc_dev *dev)
{
	static const uint8_t zeros[PCD_SEGS_OFF];
	struct pc_probe p;
	char what[256];
	int ret;

	ret = pc_probe_cache(dev, &p, NULL);
	pc_probe_describe(&p, what, sizeof(what));
	ok(ret == 1 && p.sb_valid && p.info_valid && p.tails_valid &&
	   p.segs_info_valid == PC_PROBE_SEGS,
	   "a fresh format is found: %s (%u cache_info, %u tail copies)",
	   what, p.info_valid, p.tails_valid);
	img_poke(dev, 0, zeros, sizeof(zeros));
	ret = pc_probe_cache(dev, &p, NULL);
	pc_probe_describe(&p, what, sizeof(what));
	ok(ret == 1 && !p.sb_magic && !p.info_valid && !p.tails_valid &&
	   p.segs_info_valid == PC_PROBE_SEGS,
	   "with the superblock and control area zeroed too: %s", what);
	for (uint32_t i = 0; i < PC_PROBE_SEGS; i++) {
		uint64_t seg = PCD_SEGS_OFF + (uint64_t)i * PCD_SEG_SIZE;

		img_poke(dev, seg, zeros, PCD_SEG_DATA_OFF);
	}
	ret = pc_probe_cache(dev, &p, NULL);
	ok(ret == 0 && !p.found, "nothing left in the probed area: not a cache");
}

static void locks(void)
{
	struct pc_dev *w = NULL, *r1 = NULL, *r2 = NULL, *x = NULL;
	struct pc_err err = { 0 };

	ok(!pc_dev_open(path, 0, &r1, &err) && !pc_dev_open(path, 0, &r2, &err),
	   "two readers coexist");
	ok(pc_dev_open(path, PC_OPEN_RDWR, &w, &err) == -EBUSY && !w &&
	   strstr(err.msg, path) && strstr(err.msg, "locked by test_guards"),
	   "a writer is refused beside readers: %s", err.msg);
	ok(!pc_dev_open(path, PC_OPEN_RDWR | PC_OPEN_NOLOCK, &x, &err),
	   "PC_OPEN_NOLOCK takes no lock");
	pc_dev_close(x);
	pc_dev_close(r1);
	pc_dev_close(r2);
	ok(!pc_dev_open(path, PC_OPEN_RDWR, &w, &err), "then it gets in");
	ok(pc_dev_open(path, 0, &r1, &err) == -EBUSY,
	   "and a reader is refused beside it");
	pc_dev_close(w);
}

int main(void)
{
	char img[] = "/tmp/pcache-guards-img-XXXXXX";
	struct pc_dev *dev;
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	identity();
	locks();
	unlink(path);
	dev = img_new(img, GIB, false);	/* unlinked, open */
	probe(dev);
	pc_dev_close(dev);
	return tap_done();
}
