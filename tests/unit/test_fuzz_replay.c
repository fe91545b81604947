// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay of the fuzz corpus (fuzz/corpus/fsck) and of the saved findings
 * (fuzz/regress/fsck) through the same entry point the libFuzzer target
 * uses, so that `make check` runs every saved input under the sanitizer
 * build too. Run from the repository root.
 */
#include <dirent.h>
#include <stdlib.h>

#include "../../fuzz/fuzz_fsck.c"
#include "tap.h"

#define CORPUS "fuzz/corpus/fsck"
#define REGRESS "fuzz/regress/fsck"

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay(const char *dir, const char *name)
{
	char path[512];
	FILE *f;
	uint8_t *buf = NULL;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		ok(0, "%s: cannot read", name);
		goto out;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		ok(0, "%s: cannot read", name);
		goto out;
	}
	ok(LLVMFuzzerTestOneInput(buf, (size_t)len) == 0, "%s/%s (%ld bytes)",
	   dir, name, len);
out:
	free(buf);
	if (f)
		fclose(f);
}

/* Every file of @dir; returns how many entries it has (-1: none). */
static int replay_dir(const char *dir)
{
	struct dirent **ent;
	int n = scandir(dir, &ent, NULL, by_name);

	for (int i = 0; i < n; i++) {
		if (ent[i]->d_name[0] != '.' && strcmp(ent[i]->d_name, "README"))
			replay(dir, ent[i]->d_name);
		free(ent[i]);
	}
	if (n > 0)
		free(ent);
	return n;
}

int main(void)
{
	ok(replay_dir(CORPUS) > 2, "corpus directory %s is readable and not empty",
	   CORPUS);
	replay_dir(REGRESS);
	/* a few inputs that are not in the corpus: empty, one byte */
	ok(LLVMFuzzerTestOneInput((const uint8_t *)"", 0) == 0, "empty input");
	ok(LLVMFuzzerTestOneInput((const uint8_t *)"\x01", 1) == 0,
	   "one byte, 512 MiB virtual device");
	return tap_done();
}
