// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The chain's metadata read on the other CPUs while a walk goes through
 * it (chain_ahead.h): pcache-fsck's chain stage and pc_cache_open().
 *
 * On a cached image a chain walk costs the kernel's copy of each
 * segment's 8224 bytes, one after another on one CPU, where reading the
 * same bytes from several threads uses them all (16 TiB: 3.8 s against
 * 2.5 s). So the chain as the kernel writes it (physical id = seg_id +
 * index) is cut into parts: the walk reads the first and a helper thread
 * reads and parses each other part straight into c->segs[], the array
 * the walk fills anyway. Before the walk touches an entry of part p it
 * joins helper p; from then on the entry is the walk's alone.
 *
 * The walk takes a helper's entry only where its own read would have
 * given the same: the same physical segment, a whole read, and no valid
 * record between the segment_info slots (the one finding the checker's
 * read makes). Anything else, and every segment of a chain that goes
 * elsewhere, it reads and judges itself as before, so findings and
 * their order do not change. A helper reads only what the page cache
 * holds (RWF_NOWAIT; tmpfs, which refuses it, is memory) and gives up
 * after a few reads that would wait: an uncached image is the read-
 * ahead's (prefetch.c) to read, in the walk's order.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_ahead.h"
#include "device.h"
#include "slot.h"

#define AHEAD_MAX_HELPERS 3
/* below this many segments a thread is not worth starting */
#define AHEAD_MIN_SEGS 1024
/* reads that would wait before a helper leaves its part to the walk */
#define AHEAD_COLD_MAX 16

struct ahead_part {
	struct pc_ahead *a;
	uint32_t first, end;	/* chain indexes [first, end) */
	pthread_t th;
	bool started, joined;
};

struct pc_ahead {
	int fd;
	bool swap, nowait;
	uint32_t seg_id;
	uint64_t dev_size;
	struct pc_seg *segs;
	uint8_t *ready;		/* per chain index: parsed by a helper */
	int stop;		/* set by the walk, read by helpers */
	unsigned int n_parts;	/* part 0 is the walk's own */
	struct ahead_part part[AHEAD_MAX_HELPERS + 1];
};

/* Parse segment @i's records into c.segs[i]; false: leave it to the walk. */
static bool ahead_one(struct pc_ahead *a, uint32_t i, uint8_t *buf)
{
	/* a record between the slots is a finding: the walk's to make */
	if (pc_rec_sealed(a->swap, buf + sizeof(struct pcd_seg_info),
			  sizeof(struct pcd_seg_info)))
		return false;
	pc_seg_meta_parse(a->swap, &a->segs[i], buf,
			  pcd_seg_offset(a->seg_id + i));
	return true;
}

static void *ahead_worker(void *arg)
{
	struct ahead_part *p = arg;
	struct pc_ahead *a = p->a;
	uint8_t buf[PC_SEG_META_LEN];
	unsigned int cold = 0;

	for (uint32_t i = p->first;
	     i < p->end && !__atomic_load_n(&a->stop, __ATOMIC_RELAXED); i++) {
		uint64_t base = pcd_seg_offset(a->seg_id + i);
		int r;

		if (base + sizeof(buf) > a->dev_size)
			break;
		r = pc_fd_read_whole(a->fd, base, buf, sizeof(buf), a->nowait);
		if (r < 0 || (r > 0 && ++cold >= AHEAD_COLD_MAX))
			break;	/* failed reads are the walk's to report */
		if (!r)
			a->ready[i] = ahead_one(a, i, buf);
	}
	return NULL;
}

/*
 * How many helpers: one per other CPU, at most AHEAD_MAX_HELPERS. Tests
 * set PCACHE_CHAIN_AHEAD_MIN, a lower size limit, and get one helper even
 * on a single CPU.
 */
static unsigned int ahead_helpers(uint32_t n)
{
	const char *env = getenv("PCACHE_CHAIN_AHEAD_MIN");
	unsigned long min = env ? strtoul(env, NULL, 0) : AHEAD_MIN_SEGS;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (env && cpus < 2)
		cpus = 2;
	if (n < min || n < 2 || cpus < 2)
		return 0;
	return cpus - 1 < AHEAD_MAX_HELPERS ? (unsigned int)cpus - 1 :
					      AHEAD_MAX_HELPERS;
}

/*
 * Equal parts: the walk's judging costs little beside the reads (a 4 TiB
 * image on tmpfs with one helper: 0.35-0.40 s for halves, 0.41-0.47 s when
 * the walk took only two fifths or one third).
 */
static void ahead_cut(struct pc_ahead *a, uint32_t n, unsigned int helpers)
{
	a->n_parts = helpers + 1;
	a->part[0] = (struct ahead_part){ a, 0, n / a->n_parts, 0, true, true };
	for (unsigned int k = 1; k <= helpers; k++) {
		uint32_t end = (uint32_t)((uint64_t)n * (k + 1) / a->n_parts);

		a->part[k] = (struct ahead_part){ .a = a, .first =
			a->part[k - 1].end, .end = end };
	}
}

/* Helpers never take signals: the caller's handlers stay on its thread. */
static void ahead_spawn(struct pc_ahead *a)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int k = 1; k < a->n_parts; k++)
		a->part[k].started = !pthread_create(&a->part[k].th, NULL,
						     ahead_worker, &a->part[k]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct pc_ahead *pc_ahead_start(struct pc_dev *dev, struct pc_cache *c,
				uint32_t n)
{
	int fd = pc_dev_fd(dev);
	unsigned int helpers = fd < 0 ? 0 : ahead_helpers(n);
	struct pc_ahead *a;

	if (!helpers || c->info.seg_id >= c->sb.seg_num ||
	    c->info.seg_id > c->sb.seg_num - n)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->ready = calloc(n, 1);
	if (!a->ready) {
		free(a);
		return NULL;
	}
	a->fd = fd;
	a->nowait = !pc_fd_in_memory(fd);
	a->swap = c->swap;
	a->seg_id = c->info.seg_id;
	a->dev_size = c->dev_size;
	a->segs = c->segs;
	ahead_cut(a, n, helpers);
	ahead_spawn(a);
	return a;
}

/* Before the walk touches c.segs[i]: the helper of its part is done. */
void pc_ahead_sync(struct pc_ahead *a, uint32_t i)
{
	if (!a)
		return;
	for (unsigned int k = 1; k < a->n_parts; k++) {
		struct ahead_part *p = &a->part[k];

		if (p->first > i)
			break;
		if (p->started && !p->joined)
			pthread_join(p->th, NULL);
		p->joined = true;
	}
}

/*
 * c.segs[i] holds what the walk's own read of segment @phys would give.
 * False, and a helper's entry for another segment cleared: the walk's own
 * read starts from zeros, as without helpers.
 */
bool pc_ahead_take(struct pc_ahead *a, uint32_t i, uint32_t phys)
{
	if (!a || !a->ready[i])
		return false;
	if (phys == a->seg_id + i)
		return true;
	memset(&a->segs[i].info, 0, sizeof(a->segs[i].info));
	memset(&a->segs[i].gen_slots, 0, sizeof(a->segs[i].gen_slots));
	a->ready[i] = 0;
	return false;
}

/* End the helpers; entries from @walked on that the walk never reached
 * are cleared (a chain cut short leaves them unloaded). */
void pc_ahead_stop(struct pc_ahead *a, uint32_t walked)
{
	if (!a)
		return;
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED);
	pc_ahead_sync(a, UINT32_MAX);
	for (uint32_t i = walked; i < a->part[a->n_parts - 1].end; i++)
		if (a->ready[i])
			memset(&a->segs[i], 0, sizeof(a->segs[i]));
	free(a->ready);
	free(a);
}
