// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcache-mutate: the mutation corpus generator of the checker-versus-kernel
 * comparison (tests/kernel/mutations.sh). Copies a cache image and damages
 * one structure of FORMAT.md in the copy: bit flips, zeroed records, swapped
 * slots, shifted ksets, and forged fields sealed with a correct CRC. The
 * library locates the structures (pc_cache_open, the log walk from
 * key_tail), so the base must open as the kernel opens it.
 *
 *   pcache-mutate --list                   the kinds, one per line
 *   pcache-mutate BASE OUT KIND SEED       OUT := BASE (sparse copy), mutated
 *   pcache-mutate --make-base OUT          the generated base image (below)
 *   pcache-mutate --apply IMAGE FILE OFF   copy IMAGE into FILE at byte OFF,
 *                                          writing only the pages that differ
 *
 * A mutation prints one line of key=value words: kind, seed, the structure,
 * its device offset and size, and the change (field:old->new, or the op).
 * Exit status: 0 mutated, 2 the kind does not apply to this base (the line
 * says why), 1 error, 16 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcache.h"
#include "writer.h"

#define EXIT_NA		2
#define EXIT_USAGE	16
#define KSETS_MAX	4096U

struct kloc {
	struct pc_pos pos;
	uint64_t dev_off;
	uint32_t key_num;	/* LAST: the next cache segment id */
	bool last;
};

struct mut {
	const char *kind;
	uint64_t seed, rng;
	struct pc_dev *dev;
	struct pc_cache *c;
	struct kloc *ks;
	size_t n_ks;
	/* what was done, for the report line */
	const char *structure;
	int slot;
	uint64_t dev_off;
	uint32_t len;
	char change[200];
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcache-mutate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void check(int ret, const struct pc_err *err, const char *what)
{
	if (ret)
		die("%s: %s", what, err && err->msg[0] ? err->msg : strerror(-ret));
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* A number in [0, n), n > 0, from the mutation's seed. */
static uint64_t rnd(struct mut *m, uint64_t n)
{
	return splitmix64(m->rng++) % n;
}

static void rd(struct mut *m, uint64_t off, void *buf, size_t len)
{
	struct pc_err err = { 0 };

	check(pc_dev_read(m->dev, off, buf, len, &err), &err, "read");
}

static void wr(struct mut *m, uint64_t off, const void *buf, size_t len)
{
	struct pc_err err = { 0 };

	check(pc_dev_write(m->dev, off, buf, len, &err), &err, "write");
}

static void note(struct mut *m, const char *structure, int slot, uint64_t off,
		 uint32_t len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void note(struct mut *m, const char *structure, int slot, uint64_t off,
		 uint32_t len, const char *fmt, ...)
{
	va_list ap;

	m->structure = structure;
	m->slot = slot;
	m->dev_off = off;
	m->len = len;
	va_start(ap, fmt);
	vsnprintf(m->change, sizeof(m->change), fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) not_applicable(struct mut *m, const char *why)
{
	printf("kind=%s seed=%" PRIu64 " applies=no reason=%s\n", m->kind,
	       m->seed, why);
	exit(EXIT_NA);
}

/* ---- copying images ------------------------------------------------------ */

/* Copy @len bytes at @off of @in to @out at @off + @shift. */
static void copy_range(int in, int out, off_t off, off_t len, off_t shift)
{
	static char buf[1 << 20];

	while (len > 0) {
		size_t n = len < (off_t)sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t r = pread(in, buf, n, off);

		if (r <= 0 || pwrite(out, buf, (size_t)r, off + shift) != r)
			die("copy: %s", r < 0 ? strerror(errno) : "short");
		off += r;
		len -= r;
	}
}

/* OUT := BASE, holes kept. */
static void sparse_copy(const char *base, const char *out)
{
	int in = open(base, O_RDONLY), o;
	struct stat st;
	off_t pos = 0;

	if (in < 0 || fstat(in, &st))
		die("%s: %s", base, strerror(errno));
	o = open(out, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (o < 0 || ftruncate(o, st.st_size))
		die("%s: %s", out, strerror(errno));
	for (;;) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;

		if (data < 0)
			break;
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		copy_range(in, o, data, hole - data, 0);
		pos = hole;
	}
	if (close(o))
		die("%s: %s", out, strerror(errno));
	close(in);
}

/*
 * Data extents of @fd within [from, to), shifted by -from, appended to
 * @ext (pairs of start, end); returns the new count.
 */
#define EXT_MAX 65536

static size_t data_extents(int fd, off_t from, off_t to, off_t *ext, size_t n)
{
	off_t pos = from;

	while (pos < to && n + 2 <= EXT_MAX) {
		off_t d = lseek(fd, pos, SEEK_DATA), h;

		if (d < 0 || d >= to)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || h > to)
			h = to;
		ext[n++] = d - from;
		ext[n++] = h - from;
		pos = h;
	}
	return n;
}

static int ext_cmp(const void *a, const void *b)
{
	const off_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Write the pages of [pos, end) of @in that differ from @out at +base. */
static uint64_t apply_range(int in, int out, off_t base, off_t pos, off_t end)
{
	static uint8_t a[1 << 20], b[1 << 20];
	uint64_t pages = 0;

	pos &= ~(off_t)4095;
	for (; pos < end; pos += sizeof(a)) {
		size_t want = end - pos < (off_t)sizeof(a) ? (size_t)(end - pos) :
							     sizeof(a);
		ssize_t n = pread(in, a, want, pos);

		if (n <= 0 || pread(out, b, (size_t)n, base + pos) != n)
			die("--apply: short read at %lld", (long long)pos);
		for (ssize_t p = 0; p < n; p += 4096) {
			size_t len = n - p < 4096 ? (size_t)(n - p) : 4096;

			if (!memcmp(a + p, b + p, len))
				continue;
			if (pwrite(out, a + p, len, base + pos + p) != (ssize_t)len)
				die("--apply: write: %s", strerror(errno));
			pages++;
		}
	}
	return pages;
}

/*
 * --apply: FILE[OFF ...] := IMAGE, touching only the pages that differ.
 * Where both are holes both read as zeros, so only the union of their
 * data extents is compared.
 */
static int apply(const char *image, const char *file, const char *off_s)
{
	static off_t ext[EXT_MAX];
	off_t base = (off_t)strtoull(off_s, NULL, 0);
	int in = open(image, O_RDONLY), out = open(file, O_RDWR);
	uint64_t pages = 0;
	struct stat st;
	size_t n, i;
	off_t end = 0;

	if (in < 0 || out < 0 || fstat(in, &st))
		die("--apply: %s", strerror(errno));
	n = data_extents(in, 0, st.st_size, ext, 0);
	n = data_extents(out, base, base + st.st_size, ext, n);
	if (n + 2 > EXT_MAX)
		die("--apply: too many extents");
	qsort(ext, n / 2, 2 * sizeof(off_t), ext_cmp);
	for (i = 0; i < n; i += 2) {
		off_t s = ext[i] > end ? ext[i] : end;

		if (ext[i + 1] > s)
			pages += apply_range(in, out, base, s, ext[i + 1]);
		if (ext[i + 1] > end)
			end = (ext[i + 1] + 4095) & ~(off_t)4095;
	}
	if (fsync(out) || close(out))
		die("--apply: %s", strerror(errno));
	close(in);
	printf("applied %s pages=%" PRIu64 "\n", image, pages);
	return 0;
}

/* ---- locating structures ------------------------------------------------ */

static void open_cache(struct mut *m, const char *path)
{
	struct pc_err err = { 0 };
	int ret;

	check(pc_dev_open(path, PC_OPEN_RDWR, &m->dev, &err), &err, "open");
	ret = pc_cache_open(m->dev, &m->c, &err);
	if (!m->c)
		die("open: out of memory");
	check(ret, &err, "base");
	if (m->c->swap)
		die("%s: the image's byte order is not this host's", path);
}

/* Every kset from key_tail to the end of the log (as the library walks). */
static void find_ksets(struct mut *m)
{
	struct pc_kset_view v;
	struct pc_walk w;

	m->ks = calloc(KSETS_MAX, sizeof(*m->ks));
	if (!m->ks)
		die("out of memory");
	pc_walk_init(&w, m->c, m->c->key_tail);
	while (m->n_ks < KSETS_MAX) {
		enum pc_kset_kind k = pc_walk_next(&w, &v);

		if (k != PC_KSET_KEYS && k != PC_KSET_LAST)
			break;
		m->ks[m->n_ks++] = (struct kloc){
			.pos = v.pos,
			.dev_off = pc_cache_pos_dev_off(m->c, v.pos),
			.key_num = v.key_num,
			.last = k == PC_KSET_LAST,
		};
	}
	pc_walk_fini(&w);
}

/* A random kset: LAST ones when @last, else ksets with keys. */
static struct kloc *pick_kset(struct mut *m, bool last)
{
	size_t n = 0, i;

	for (i = 0; i < m->n_ks; i++)
		n += m->ks[i].last == last && (last || m->ks[i].key_num);
	if (!n)
		not_applicable(m, last ? "no-last-kset" : "no-kset");
	n = rnd(m, n);
	for (i = 0; i < m->n_ks; i++)
		if (m->ks[i].last == last && (last || m->ks[i].key_num) && !n--)
			break;
	return &m->ks[i];
}

/* ---- dual-slot records ------------------------------------------------- */

struct rec {
	const char *name;
	struct pc_dual *d;
};

static struct rec pick_rec(struct mut *m, const char *what)
{
	struct pc_cache *c = m->c;
	uint32_t i = (uint32_t)rnd(m, c->info.n_segs);

	if (!strcmp(what, "info"))
		return (struct rec){ "cache_info", &c->info_slots };
	if (!strcmp(what, "ktail"))
		return (struct rec){ "key_tail", &c->tail_slots[PC_KEY_TAIL] };
	if (!strcmp(what, "dtail"))
		return (struct rec){ "dirty_tail", &c->tail_slots[PC_DIRTY_TAIL] };
	if (!strcmp(what, "seginfo"))
		return (struct rec){ "segment_info", &c->segs[i].info };
	return (struct rec){ "seg_gen", &c->segs[i].gen_slots };
}

static int chosen_slot(const struct pc_dual *d)
{
	return d->chosen < 0 ? 0 : d->chosen;
}

/* Seal @raw (d->size bytes) with @seq and write it to @slot. */
static void put_slot(struct mut *m, struct pc_dual *d, int slot, void *raw,
		     uint8_t seq)
{
	struct pcd_meta_hdr *h = raw;

	h->seq = seq;
	h->crc = pc_meta_crc(raw, d->size);
	wr(m, d->slot[slot].dev_off, raw, d->size);
}

static void rec_flip(struct mut *m, struct rec r)
{
	int s = chosen_slot(r.d);
	uint8_t raw[24];
	uint32_t bit = (uint32_t)rnd(m, r.d->size * 8);

	memcpy(raw, r.d->slot[s].raw, r.d->size);
	raw[bit / 8] ^= (uint8_t)(1U << (bit % 8));
	wr(m, r.d->slot[s].dev_off, raw, r.d->size);
	note(m, r.name, s, r.d->slot[s].dev_off, r.d->size, "op:flip-bit-%u", bit);
}

static void rec_zero(struct mut *m, struct rec r, bool both)
{
	static const uint8_t zero[24];
	int s = chosen_slot(r.d);

	wr(m, r.d->slot[s].dev_off, zero, r.d->size);
	if (both)
		wr(m, r.d->slot[!s].dev_off, zero, r.d->size);
	note(m, r.name, both ? -1 : s, r.d->slot[s].dev_off, r.d->size,
	     both ? "op:zero-both" : "op:zero-chosen");
}

static void rec_swap(struct mut *m, struct rec r)
{
	wr(m, r.d->slot[0].dev_off, r.d->slot[1].raw, r.d->size);
	wr(m, r.d->slot[1].dev_off, r.d->slot[0].raw, r.d->size);
	note(m, r.name, -1, r.d->slot[0].dev_off, r.d->size,
	     "op:swap-slots seq:%u,%u", r.d->slot[0].seq, r.d->slot[1].seq);
}

/*
 * Across the 8-bit wrap: the chosen copy gets seq 255 and the other slot
 * seq 0, which is "after" 255; the other slot holds its own content when
 * it was valid, else the chosen content. Both resealed.
 */
static void rec_seq_wrap(struct mut *m, struct rec r)
{
	int s = chosen_slot(r.d);
	uint8_t a[24], b[24];

	memcpy(a, r.d->slot[s].raw, r.d->size);
	memcpy(b, r.d->slot[!s].state == PC_SLOT_VALID ? r.d->slot[!s].raw :
	       r.d->slot[s].raw, r.d->size);
	put_slot(m, r.d, s, a, 255);
	put_slot(m, r.d, !s, b, 0);
	note(m, r.name, -1, r.d->slot[0].dev_off, r.d->size,
	     "seq:slot%d=255,slot%d=0 other-content:%s", s, !s,
	     r.d->slot[!s].state == PC_SLOT_VALID ? "own" : "copy");
}

/* Forge one 32-bit field of the chosen copy, resealed with its own seq. */
static void rec_forge32(struct mut *m, struct rec r, size_t field,
			const char *fname, uint32_t v)
{
	int s = chosen_slot(r.d);
	uint8_t raw[24] __attribute__((aligned(8)));
	uint32_t old;

	if (r.d->chosen < 0)
		not_applicable(m, "no-valid-copy");
	memcpy(raw, r.d->slot[s].raw, r.d->size);
	memcpy(&old, raw + field, 4);
	memcpy(raw + field, &v, 4);
	put_slot(m, r.d, s, raw, r.d->slot[s].seq);
	note(m, r.name, s, r.d->slot[s].dev_off, r.d->size, "%s:%u->%u crc:resealed",
	     fname, old, v);
}

static void rec_forge64(struct mut *m, struct rec r, size_t field,
			const char *fname, uint64_t v)
{
	int s = chosen_slot(r.d);
	uint8_t raw[24] __attribute__((aligned(8)));
	uint64_t old;

	if (r.d->chosen < 0)
		not_applicable(m, "no-valid-copy");
	memcpy(raw, r.d->slot[s].raw, r.d->size);
	memcpy(&old, raw + field, 8);
	memcpy(raw + field, &v, 8);
	put_slot(m, r.d, s, raw, r.d->slot[s].seq);
	note(m, r.name, s, r.d->slot[s].dev_off, r.d->size,
	     "%s:%" PRIu64 "->%" PRIu64 " crc:resealed", fname, old, v);
}

/* Generic operations shared by every dual-slot record: 0 when handled. */
static int rec_generic(struct mut *m, struct rec r, const char *op)
{
	if (!strcmp(op, "flip"))
		rec_flip(m, r);
	else if (!strcmp(op, "zero"))
		rec_zero(m, r, false);
	else if (!strcmp(op, "zero-both"))
		rec_zero(m, r, true);
	else if (!strcmp(op, "swap"))
		rec_swap(m, r);
	else if (!strcmp(op, "seq-wrap"))
		rec_seq_wrap(m, r);
	else
		return -1;
	return 0;
}

/* ---- superblock ----------------------------------------------------------- */

static void sb_forge(struct mut *m, const char *op)
{
	struct pcd_superblock sb;
	uint64_t fit = pcd_segs_for_size(m->c->dev_size);
	uint32_t bit;

	rd(m, PCD_SB_OFF, &sb, sizeof(sb));
	if (!strcmp(op, "flip")) {
		bit = (uint32_t)rnd(m, sizeof(sb) * 8);
		((uint8_t *)&sb)[bit / 8] ^= (uint8_t)(1U << (bit % 8));
		note(m, "superblock", -1, PCD_SB_OFF, sizeof(sb), "op:flip-bit-%u", bit);
		wr(m, PCD_SB_OFF, &sb, sizeof(sb));
		return;
	}
	if (!strcmp(op, "zero")) {
		memset(&sb, 0, sizeof(sb));
		note(m, "superblock", -1, PCD_SB_OFF, sizeof(sb), "op:zero");
	} else if (!strcmp(op, "segnum-big")) {
		sb.seg_num = pcd_to_le32((uint32_t)fit + 1 + (uint32_t)rnd(m, 4));
	} else if (!strcmp(op, "segnum-zero")) {
		sb.seg_num = 0;
	} else if (!strcmp(op, "segnum-small")) {
		/* below cache_info.n_segs */
		sb.seg_num = pcd_to_le32(m->c->info.n_segs - 1 -
					 (uint32_t)rnd(m, m->c->info.n_segs / 2));
	} else if (!strcmp(op, "endian")) {
		sb.flags = pcd_to_le32(pcd_le32(sb.flags) ^ PCD_SB_F_BIGENDIAN);
	} else if (!strcmp(op, "magic")) {
		sb.magic = pcd_to_le64(pcd_le64(sb.magic) ^ (1ULL << rnd(m, 64)));
	} else {
		die("unknown kind sb-%s", op);
	}
	if (strcmp(op, "zero")) {
		note(m, "superblock", -1, PCD_SB_OFF, sizeof(sb),
		     "op:%s seg_num:%u flags:%#x crc:resealed", op,
		     pcd_le32(sb.seg_num), pcd_le32(sb.flags));
		sb.crc = pcd_to_le32(pc_meta_crc(&sb, sizeof(sb)));
	}
	wr(m, PCD_SB_OFF, &sb, sizeof(sb));
}

/* ---- cache_info, segment_info, generations, tails ------------------------ */

#define OFF(type, field) __builtin_offsetof(struct type, field)

static void info_forge(struct mut *m, const char *op)
{
	struct rec r = pick_rec(m, "info");
	const struct pc_info *in = &m->c->info;
	uint32_t gc;

	if (!rec_generic(m, r, op))
		return;
	if (!strcmp(op, "nsegs-big"))
		rec_forge32(m, r, OFF(pcd_cache_info, n_segs), "n_segs",
			    m->c->sb.seg_num + 1 + (uint32_t)rnd(m, 4));
	else if (!strcmp(op, "nsegs-zero"))
		rec_forge32(m, r, OFF(pcd_cache_info, n_segs), "n_segs", 0);
	else if (!strcmp(op, "nsegs-small"))
		rec_forge32(m, r, OFF(pcd_cache_info, n_segs), "n_segs",
			    1 + (uint32_t)rnd(m, 3));
	else if (!strcmp(op, "datacrc"))
		rec_forge32(m, r, OFF(pcd_cache_info, flags), "flags",
			    in->flags ^ PCD_INFO_F_DATA_CRC);
	else if (!strcmp(op, "noinit"))
		rec_forge32(m, r, OFF(pcd_cache_info, flags), "flags",
			    in->flags & ~PCD_INFO_F_INIT_DONE);
	else if (!strcmp(op, "gc")) {
		gc = rnd(m, 2) ? 0 : 91 + (uint32_t)rnd(m, 37);
		rec_forge32(m, r, OFF(pcd_cache_info, flags), "flags",
			    (in->flags & ~PCD_INFO_GC_MASK) | gc << PCD_INFO_GC_SHIFT);
	} else if (!strcmp(op, "segid"))
		rec_forge32(m, r, OFF(pcd_cache_info, seg_id), "seg_id",
			    in->seg_id + 1 + (uint32_t)rnd(m, 2));
	else
		die("unknown kind info-%s", op);
}

static void seginfo_forge(struct mut *m, const char *op)
{
	struct pc_cache *c = m->c;
	uint32_t i;
	struct rec r;

	if (c->info.n_segs < 2)
		not_applicable(m, "one-segment-chain");
	i = (uint32_t)rnd(m, c->info.n_segs - 1);
	r = (struct rec){ "segment_info", &c->segs[i].info };

	if (!strcmp(op, "flip") || !strcmp(op, "zero") || !strcmp(op, "zero-both") ||
	    !strcmp(op, "swap") || !strcmp(op, "seq-wrap")) {
		rec_generic(m, pick_rec(m, "seginfo"), op);
		return;
	}
	if (!strcmp(op, "next-range"))
		rec_forge32(m, r, OFF(pcd_seg_info, next_seg), "next_seg",
			    c->sb.seg_num + (uint32_t)rnd(m, 1000));
	else if (!strcmp(op, "next-dup"))
		rec_forge32(m, r, OFF(pcd_seg_info, next_seg), "next_seg",
			    c->segs[rnd(m, i + 1)].phys);
	else if (!strcmp(op, "nonext"))
		rec_forge32(m, r, OFF(pcd_seg_info, flags), "flags",
			    c->segs[i].flags & ~PCD_SEGI_F_HAS_NEXT);
	else
		die("unknown kind seginfo-%s", op);
}

/* A chain segment that live keys point into, else any. */
static uint32_t data_seg(struct mut *m)
{
	struct pc_replay r;
	uint32_t seg = (uint32_t)rnd(m, m->c->info.n_segs);

	if (pc_replay(m->c, 0, 0, &r) == 0 && r.n_ext)
		seg = r.ext[rnd(m, r.n_ext)].seg;
	pc_replay_free(&r);
	return seg;
}

static void gen_forge(struct mut *m, const char *op)
{
	uint32_t i;
	struct rec r;

	if (!rec_generic(m, pick_rec(m, "gen"), op))
		return;
	if (strcmp(op, "ahead"))
		die("unknown kind gen-%s", op);
	i = data_seg(m);
	r = (struct rec){ "seg_gen", &m->c->segs[i].gen_slots };
	rec_forge64(m, r, OFF(pcd_seg_gen, gen), "gen",
		    m->c->segs[i].gen + 1 + rnd(m, 3));
}

/* Position of the kset after the one at @p on the log, if any. */
static bool next_kset(struct mut *m, struct pc_pos p, struct pc_pos *out)
{
	for (size_t i = 0; i + 1 < m->n_ks; i++)
		if (m->ks[i].pos.seg == p.seg && m->ks[i].pos.off == p.off) {
			*out = m->ks[i + 1].pos;
			return true;
		}
	return false;
}

/* Move a tail record's chosen copy to @p, resealed. */
static void pos_forge(struct mut *m, struct rec r, struct pc_pos p)
{
	int s = chosen_slot(r.d);
	struct pcd_pos rec;

	if (r.d->chosen < 0)
		not_applicable(m, "no-valid-copy");
	memcpy(&rec, r.d->slot[s].raw, sizeof(rec));
	note(m, r.name, s, r.d->slot[s].dev_off, r.d->size,
	     "pos:%u:%u->%u:%u crc:resealed", rec.cache_seg_id, rec.seg_off,
	     p.seg, p.off);
	rec.cache_seg_id = p.seg;
	rec.seg_off = p.off;
	put_slot(m, r.d, s, &rec, rec.hdr.seq);
}

static void tail_forge(struct mut *m, const char *which, const char *op)
{
	struct rec r = pick_rec(m, which);
	const struct pc_pos *cur = !strcmp(which, "ktail") ? &m->c->key_tail :
							     &m->c->dirty_tail;
	struct pc_pos p;

	if (!rec_generic(m, r, op))
		return;
	if (!strcmp(op, "seg-range")) {
		rec_forge32(m, r, OFF(pcd_pos, cache_seg_id), "cache_seg_id",
			    m->c->info.n_segs + (uint32_t)rnd(m, 100));
	} else if (!strcmp(op, "off-range")) {
		rec_forge32(m, r, OFF(pcd_pos, seg_off), "seg_off",
			    PCD_SEG_DATA_SIZE + 8 * (uint32_t)rnd(m, 100));
	} else if (!strcmp(op, "misalign")) {
		rec_forge32(m, r, OFF(pcd_pos, seg_off), "seg_off",
			    cur->off + 8 * (1 + (uint32_t)rnd(m, 4)));
	} else if (!strcmp(op, "next")) {
		if (!next_kset(m, *cur, &p))
			not_applicable(m, "tail-at-log-end");
		pos_forge(m, r, p);
	} else {
		die("unknown kind %s-%s", which, op);
	}
}

/* ---- ksets and keys ------------------------------------------------------- */

static void kset_reseal(struct mut *m, const struct kloc *k, uint8_t *buf,
			uint32_t key_num, bool last)
{
	struct pcd_kset *ks = (void *)buf;
	uint32_t size = last ? PCD_KSET_HDR_SIZE : pcd_kset_size(key_num);

	ks->key_num = key_num;
	ks->crc = pc_meta_crc(buf, size);
	wr(m, k->dev_off, buf, size);
}

static void kset_forge(struct mut *m, const char *op)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX + 8] __attribute__((aligned(8)));
	struct kloc *k = pick_kset(m, !strncmp(op, "last-", 5));
	uint32_t size = k->last ? PCD_KSET_HDR_SIZE : pcd_kset_size(k->key_num);
	uint32_t n, bit;
	struct pcd_kset *ks = (void *)buf;

	rd(m, k->dev_off, buf, size);
	if (!strcmp(op, "flip") || !strcmp(op, "last-flip")) {
		bit = (uint32_t)rnd(m, PCD_KSET_HDR_SIZE * 8);
		buf[bit / 8] ^= (uint8_t)(1U << (bit % 8));
		wr(m, k->dev_off, buf, PCD_KSET_HDR_SIZE);
		note(m, "kset", -1, k->dev_off, size, "at:%u:%u op:flip-bit-%u",
		     k->pos.seg, k->pos.off, bit);
	} else if (!strcmp(op, "zero") || !strcmp(op, "last-zero")) {
		memset(buf, 0, PCD_KSET_HDR_SIZE);
		wr(m, k->dev_off, buf, PCD_KSET_HDR_SIZE);
		note(m, "kset", -1, k->dev_off, size, "at:%u:%u op:zero-header",
		     k->pos.seg, k->pos.off);
	} else if (!strcmp(op, "shift")) {
		/* the kset moves 8 bytes on; zeros where it began */
		memmove(buf + 8, buf, size);
		memset(buf, 0, 8);
		wr(m, k->dev_off, buf, size + 8);
		note(m, "kset", -1, k->dev_off, size + 8, "at:%u:%u op:shift+8",
		     k->pos.seg, k->pos.off);
	} else if (!strcmp(op, "keynum")) {
		n = (uint32_t)rnd(m, PCD_KSET_KEYS_MAX);
		n += n >= k->key_num;
		if (n > k->key_num)
			rd(m, k->dev_off, buf, pcd_kset_size(n));
		kset_reseal(m, k, buf, n, false);
		note(m, "kset", -1, k->dev_off, pcd_kset_size(n),
		     "at:%u:%u key_num:%u->%u crc:resealed", k->pos.seg,
		     k->pos.off, k->key_num, n);
	} else if (!strcmp(op, "keynum-big")) {
		n = PCD_KSET_KEYS_MAX + 1 + (uint32_t)rnd(m, 127);
		ks->crc = 0;
		ks->key_num = n;
		wr(m, k->dev_off, buf, 8);
		note(m, "kset", -1, k->dev_off, 8, "at:%u:%u key_num:%u->%u",
		     k->pos.seg, k->pos.off, k->key_num, n);
	} else if (!strcmp(op, "last")) {
		ks->flags |= PCD_KSET_F_LAST;
		kset_reseal(m, k, buf, k->key_num, true);
		note(m, "kset", -1, k->dev_off, PCD_KSET_HDR_SIZE,
		     "at:%u:%u flags:LAST next:%u crc:resealed", k->pos.seg,
		     k->pos.off, k->key_num);
	} else if (!strcmp(op, "last-range") || !strcmp(op, "last-self")) {
		n = !strcmp(op, "last-self") ? k->pos.seg :
		    m->c->info.n_segs + (uint32_t)rnd(m, 100);
		kset_reseal(m, k, buf, n, true);
		note(m, "kset", -1, k->dev_off, PCD_KSET_HDR_SIZE,
		     "at:%u:%u next:%u->%u crc:resealed", k->pos.seg,
		     k->pos.off, k->key_num, n);
	} else {
		die("unknown kind kset-%s", op);
	}
}

/* Forge one field of a random key; the kset is resealed unless @op is flip. */
static void key_forge(struct mut *m, const char *op)
{
	static uint8_t buf[PCD_KSET_SIZE_MAX] __attribute__((aligned(8)));
	struct kloc *k = pick_kset(m, false);
	uint32_t i = (uint32_t)rnd(m, k->key_num), size = pcd_kset_size(k->key_num);
	struct pcd_key *key = (void *)(buf + PCD_KSET_HDR_SIZE + i * PCD_KEY_SIZE);
	/* the kernel tests' backing devices are 256 MiB */
	uint64_t back = 268435456, old_off;
	uint32_t bit, old_len;

	rd(m, k->dev_off, buf, size);
	old_off = key->off;
	old_len = key->len;
	if (!strcmp(op, "flip")) {
		bit = (uint32_t)rnd(m, PCD_KEY_SIZE * 8);
		((uint8_t *)key)[bit / 8] ^= (uint8_t)(1U << (bit % 8));
		wr(m, k->dev_off, buf, size);
		note(m, "key", -1, k->dev_off + PCD_KSET_HDR_SIZE + i * PCD_KEY_SIZE,
		     PCD_KEY_SIZE, "kset:%u:%u key:%u op:flip-bit-%u crc:stale",
		     k->pos.seg, k->pos.off, i, bit);
		return;
	}
	if (!strcmp(op, "zero"))
		memset(key, 0, sizeof(*key));
	else if (!strcmp(op, "off-range"))
		key->off = back - key->len + 512 * (1 + rnd(m, 8));
	else if (!strcmp(op, "len-zero"))
		key->len = 0;
	else if (!strcmp(op, "len-range"))
		key->len = (uint32_t)(back + 512 * (1 + rnd(m, 8)));
	else if (!strcmp(op, "overflow"))
		key->off = UINT64_MAX - 511 - 512 * rnd(m, 8);
	else if (!strcmp(op, "segid-range"))
		key->cache_seg_id = m->c->info.n_segs + (uint32_t)rnd(m, 100);
	else if (!strcmp(op, "segoff-range"))
		key->cache_seg_off = PCD_SEG_DATA_SIZE - key->len + 512 *
				     (1 + (uint32_t)rnd(m, 8));
	else if (!strcmp(op, "gen-ahead"))
		key->seg_gen += 1 + rnd(m, 3);
	else if (!strcmp(op, "datacrc"))
		key->data_crc ^= 1U << rnd(m, 32);
	else if (!strcmp(op, "empty"))
		key->flags |= PCD_KEY_F_EMPTY;
	else if (!strcmp(op, "clean"))
		key->flags |= PCD_KEY_F_CLEAN;
	else
		die("unknown kind key-%s", op);
	kset_reseal(m, k, buf, k->key_num, false);
	note(m, "key", -1, k->dev_off + PCD_KSET_HDR_SIZE + i * PCD_KEY_SIZE,
	     PCD_KEY_SIZE, "kset:%u:%u key:%u op:%s off:%" PRIu64 "->%" PRIu64
	     " len:%u->%u crc:resealed", k->pos.seg, k->pos.off, i, op, old_off,
	     (uint64_t)key->off, old_len, key->len);
}

/* ---- the kinds -------------------------------------------------------------- */

static const char *const kinds[] = {
	"none",
	"sb-flip", "sb-zero", "sb-segnum-big", "sb-segnum-zero",
	"sb-segnum-small", "sb-endian", "sb-magic",
	"info-flip", "info-zero", "info-zero-both", "info-swap", "info-seq-wrap",
	"info-nsegs-big", "info-nsegs-zero", "info-nsegs-small", "info-datacrc",
	"info-noinit", "info-gc", "info-segid",
	"seginfo-flip", "seginfo-zero", "seginfo-zero-both", "seginfo-swap",
	"seginfo-seq-wrap", "seginfo-next-range", "seginfo-next-dup",
	"seginfo-nonext",
	"gen-flip", "gen-zero", "gen-zero-both", "gen-swap", "gen-seq-wrap",
	"gen-ahead",
	"ktail-flip", "ktail-zero", "ktail-zero-both", "ktail-swap",
	"ktail-seq-wrap", "ktail-seg-range", "ktail-off-range", "ktail-misalign",
	"ktail-next",
	"dtail-flip", "dtail-zero", "dtail-zero-both", "dtail-swap",
	"dtail-seq-wrap", "dtail-seg-range", "dtail-off-range", "dtail-misalign",
	"dtail-next",
	"kset-flip", "kset-zero", "kset-shift", "kset-keynum", "kset-keynum-big",
	"kset-last", "kset-last-flip", "kset-last-zero", "kset-last-range",
	"kset-last-self",
	"key-flip", "key-zero", "key-off-range", "key-len-zero", "key-len-range",
	"key-overflow", "key-segid-range", "key-segoff-range", "key-gen-ahead",
	"key-datacrc", "key-empty", "key-clean",
};

static bool known_kind(const char *k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i], k))
			return true;
	return false;
}

static void mutate(struct mut *m)
{
	const char *k = m->kind, *op = strchr(k, '-') ? strchr(k, '-') + 1 : "";

	if (!strcmp(k, "none"))
		note(m, "none", -1, 0, 0, "op:none");
	else if (!strncmp(k, "sb-", 3))
		sb_forge(m, op);
	else if (!strncmp(k, "info-", 5))
		info_forge(m, op);
	else if (!strncmp(k, "seginfo-", 8))
		seginfo_forge(m, op);
	else if (!strncmp(k, "gen-", 4))
		gen_forge(m, op);
	else if (!strncmp(k, "ktail-", 6))
		tail_forge(m, "ktail", op);
	else if (!strncmp(k, "dtail-", 6))
		tail_forge(m, "dtail", op);
	else if (!strncmp(k, "kset-", 5))
		kset_forge(m, op);
	else if (!strncmp(k, "key-", 4))
		key_forge(m, op);
}

static int run_mutation(const char *base, const char *out, const char *kind,
			const char *seed_s)
{
	struct mut m = { .kind = kind, .slot = -1 };
	struct pc_err err = { 0 };
	char *end;

	m.seed = strtoull(seed_s, &end, 0);
	if (*end || !known_kind(kind)) {
		fprintf(stderr, "pcache-mutate: unknown kind '%s' or bad seed "
			"'%s' (--list)\n", kind, seed_s);
		return EXIT_USAGE;
	}
	m.rng = splitmix64(m.seed) ^ (uint64_t)strlen(kind) << 56;
	sparse_copy(base, out);
	open_cache(&m, out);
	find_ksets(&m);
	mutate(&m);
	check(pc_dev_flush(m.dev, &err), &err, "flush");
	printf("kind=%s seed=%" PRIu64 " applies=yes struct=%s slot=%d "
	       "dev_off=%" PRIu64 " len=%u %s\n", kind, m.seed, m.structure,
	       m.slot, m.dev_off, m.len, m.change);
	free(m.ks);
	pc_cache_free(m.c);
	pc_dev_close(m.dev);
	return 0;
}

/* ---- the generated base --------------------------------------------------- */

/*
 * A 1 GiB cache (data_crc off) whose log starts near the end of cache
 * segment 0, so that it crosses into another key segment through a LAST
 * kset; 48 writes of 16..64 KiB in [0, 4 MiB) with overwrites, a flush
 * every 4 writes, the fixtures' data pattern. Prints the written ranges.
 */
#define BASE_SIZE	(1ULL << 30)
#define BASE_SPAN	(4U << 20)

static void base_pattern(uint8_t *buf, uint64_t off, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(seed * 0x9E3779B97F4A7C15ULL + (off + i) / 8);

		memcpy(buf + i, &v, 8);
	}
}

static void base_format(const char *out, struct pc_dev **dev, struct pc_cache **c)
{
	struct pc_format_opts fo = { .gc_percent = PCD_GC_PERCENT_DEFAULT };
	struct pc_pos start = { 0, PCD_SEG_DATA_SIZE - 1024 };
	struct pc_err err = { 0 };
	struct pc_layout l;
	int fd = open(out, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)BASE_SIZE) || close(fd))
		die("%s: %s", out, strerror(errno));
	check(pc_dev_open(out, PC_OPEN_RDWR, dev, &err), &err, "open");
	check(pc_format_plan(BASE_SIZE, &fo, &l, &err), &err, "plan");
	check(pc_format_write(*dev, &l, &fo, &err), &err, "format");
	check(pc_cache_open(*dev, c, &err), &err, "open");
	/* as if GC had already reclaimed the log up to there */
	check(pc_cache_write_tail(*c, PC_DIRTY_TAIL, start, &err), &err, "tail");
	check(pc_cache_write_tail(*c, PC_KEY_TAIL, start, &err), &err, "tail");
	pc_cache_free(*c);
	check(pc_cache_open(*dev, c, &err), &err, "reopen");
}

static int make_base(const char *out)
{
	static uint8_t buf[64 << 10];
	struct pc_err err = { 0 };
	struct pc_writer *w;
	struct pc_dev *dev;
	struct pc_cache *c;
	uint64_t rng = 7;

	base_format(out, &dev, &c);
	check(pc_writer_open(c, &w, &err), &err, "writer");
	for (uint32_t i = 0; i < 48; i++) {
		uint64_t r = splitmix64(rng++);
		uint32_t len = (uint32_t)(16 + r % 49) << 10;
		uint64_t off = (r >> 16) % ((BASE_SPAN - len) / 4096) * 4096;

		base_pattern(buf, off, len, 100 + i);
		check(pc_writer_write(w, off, buf, len, 0, &err), &err, "write");
		if (i % 4 == 3)
			check(pc_writer_flush(w, &err), &err, "flush");
	}
	check(pc_writer_flush(w, &err), &err, "flush");
	printf("base %s key_head %u:%u segs_used %u\n", out,
	       pc_writer_head(w).seg, pc_writer_head(w).off,
	       pc_writer_segs_used(w));
	for (uint32_t off = 0; off < BASE_SPAN; off += BASE_SPAN / 4)
		printf("range %u %u\n", off, BASE_SPAN / 4);
	pc_writer_free(w);
	pc_cache_free(c);
	pc_dev_close(dev);
	return 0;
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"Usage: pcache-mutate BASE OUT KIND SEED\n"
		"       pcache-mutate --list\n"
		"       pcache-mutate --make-base OUT\n"
		"       pcache-mutate --apply IMAGE FILE OFFSET\n");
	exit(code);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--help"))
		usage(0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			puts(kinds[i]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--make-base"))
		return make_base(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "--apply"))
		return apply(argv[2], argv[3], argv[4]);
	if (argc != 5 || argv[1][0] == '-')
		usage(EXIT_USAGE);
	return run_mutation(argv[1], argv[2], argv[3], argv[4]);
}
