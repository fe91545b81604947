// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over the pcachetab(5) parser (cmd/pcache/tab.c): the
 * input is the file. A table that loads must hold entries whose fields are
 * terminated and in range, and each entry must be found again by its name;
 * the udev link of each device spec is computed as the generator does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cmd/pcache/pcache.h"

#define FZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct tab *t)
{
	char link[4200];

	for (size_t i = 0; i < t->n; i++) {
		const struct tab_entry *e = &t->e[i];

		FZ_ASSERT(memchr(e->name, '\0', sizeof(e->name)));
		FZ_ASSERT(memchr(e->cache, '\0', sizeof(e->cache)));
		FZ_ASSERT(memchr(e->backing, '\0', sizeof(e->backing)));
		FZ_ASSERT(e->gc_percent >= -1 && e->gc_percent <= 90);
		FZ_ASSERT(tab_find(t, e->name));
		(void)tab_spec_path(e->cache, link, sizeof(link));
		(void)tab_spec_path(e->backing, link, sizeof(link));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-pcachetab-XXXXXX";
	struct tab t;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		cli_init("pcache");
		if (tab_load(path, &t) == 0) {
			check_table(&t);
			tab_free(&t);
		}
	}
	close(fd);
	unlink(path);
	return 0;
}
