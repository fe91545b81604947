// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cache mapped read-only, so that the verification computes CRCs on
 * the page cache itself and the copy writes from it, instead of copying
 * every byte into a buffer twice (once per pass). Only a file or block
 * device read through a descriptor is mapped; libpmem2 devices keep their
 * machine-check-safe reads.
 *
 * A mapping turns a read error or a file shrunk under us into SIGBUS: the
 * CRC pass runs under a SIGBUS guard, and the kernel's copy in pwritev()
 * reports EFAULT instead. Either falls back to the pread() code, which
 * meets the error and reports it as it always did.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wb.h"

static __thread sigjmp_buf *guard_jb;
static struct sigaction old_bus;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (guard_jb)
		siglongjmp(*guard_jb, 1);
	/* not ours: fault again with the default action */
	signal(sig, SIG_DFL);
}

void wb_map_open(struct wb *w)
{
	int fd = pc_dev_fd(w->dev);
	uint64_t size = pc_dev_size(w->dev);
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	void *p;

	if (fd < 0 || !size || size > SIZE_MAX)
		return;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	if (sigaction(SIGBUS, &sa, &old_bus)) {
		munmap(p, (size_t)size);
		return;
	}
	w->map.addr = p;
	w->map.size = size;
}

void wb_map_close(struct wb *w)
{
	if (!w->map.addr)
		return;
	sigaction(SIGBUS, &old_bus, NULL);
	munmap((void *)w->map.addr, (size_t)w->map.size);
	w->map.addr = NULL;
}

/* The mapped bytes [off, off + len) of the cache; NULL if not mapped. */
const uint8_t *wb_map_get(struct wb *w, uint64_t off, uint64_t len)
{
	const struct wb_map *m = &w->map;

	if (!m->addr || off > m->size || len > m->size - off)
		return NULL;
	return m->addr + off;
}

/* Run fn(arg) on mapped bytes; false when it faulted (SIGBUS). */
bool wb_map_guard(void (*fn)(void *), void *arg)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		guard_jb = NULL;
		return false;
	}
	guard_jb = &jb;
	fn(arg);
	guard_jb = NULL;
	return true;
}
