// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --restore: a sparse image from a capture. The whole capture is checked
 * first, so a damaged one writes nothing; then IMAGE (new, empty, or
 * overwritten with --force) is locked exclusively, cut to the device's
 * size and filled with the captured bytes. Everything else reads as
 * zeros, and the mark at offset 0 (pc_restored_encode) says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metadump.h"

int md_check_output(const char *path, bool force, const char *what)
{
	struct stat st;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		cli_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_err("%s: %s must be a regular file", path, what);
		return -EINVAL;
	}
	if (st.st_size > 0 && !force) {
		cli_err("%s: %s exists and is not empty (%llu bytes); use "
			"--force to overwrite it", path, what,
			(unsigned long long)st.st_size);
		return -EEXIST;
	}
	return 0;
}

/* Read the whole capture: 0 when it is intact, -1 (message printed). */
static int verify(FILE *f, const char *file, struct md_reader *r)
{
	struct md_rec rec;
	int ret;

	if (md_read_open(r, f, file)) {
		cli_err("%s", r->err);
		return -1;
	}
	while ((ret = md_read_next(r, &rec)) == 1)
		if ((r->n & 255) == 0)
			cli_progress("checking the capture", r->bytes,
				     r->file_size ? r->file_size : r->bytes);
	cli_progress_done();
	if (ret < 0)
		cli_err("%s", r->err);
	return ret;
}

static int open_image(const char *image, const struct md_reader *r,
		      struct pc_err *err)
{
	int fd = open(image, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		pc_err_set(err, -errno, "%s: %s", image, strerror(errno));
		return -1;
	}
	if (pc_lock_fd(fd, image, true, err)) {
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) || ftruncate(fd, (off_t)r->h.dev_size)) {
		pc_err_set(err, -errno, "%s: cannot make a sparse image of %llu "
			   "bytes: %s", image,
			   (unsigned long long)r->h.dev_size, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int write_image(FILE *f, const char *file, int fd, const char *image)
{
	struct pc_restored m = { 0 };
	uint8_t mark[PC_RESTORED_SIZE];
	struct md_reader r;
	struct md_rec rec;
	int ret;

	if (md_read_open(&r, f, file)) {
		cli_err("%s", r.err);
		md_read_free(&r);
		return -1;
	}
	while ((ret = md_read_next(&r, &rec)) == 1) {
		if (pwrite_all(fd, rec.data, rec.len, rec.dev_off)) {
			cli_err("%s: write at %llu failed: %s", image,
				(unsigned long long)rec.dev_off,
				strerror(errno));
			ret = -1;
			break;
		}
		if ((r.n & 255) == 0)
			cli_progress("restoring", r.end, r.h.dev_size);
	}
	cli_progress_done();
	if (ret < 0 && r.err[0])
		cli_err("%s", r.err);
	m.flags = r.h.flags & MD_F_OBFUSCATED ? PC_RESTORED_F_OBFUSCATED : 0;
	m.captured_bytes = r.bytes;
	m.capture_crc = r.h.crc;
	pc_restored_encode(&m, mark);
	if (!ret && (pwrite_all(fd, mark, sizeof(mark), 0) || fsync(fd))) {
		cli_err("%s: write failed: %s", image, strerror(errno));
		ret = -1;
	}
	md_read_free(&r);
	return ret;
}

static void report(const char *file, const char *image,
		   const struct md_reader *r, const struct md_opts *o)
{
	char a[32], b[32];

	if (o->json) {
		struct json_object *doc = cli_json_doc();

		json_object_object_add(doc, "file", json_object_new_string(file));
		json_object_object_add(doc, "image",
				       json_object_new_string(image));
		json_object_object_add(doc, "dev_size",
				       cli_json_u64(r->h.dev_size));
		json_object_object_add(doc, "records", cli_json_u64(r->n));
		json_object_object_add(doc, "bytes", cli_json_u64(r->bytes));
		json_object_object_add(doc, "data_captured",
				       json_object_new_boolean(false));
		cli_json_print(doc);
		json_object_put(doc);
		return;
	}
	printf("%s: restored %s of metadata into a sparse image of %s; the "
	       "cached data was not captured and reads as zeros\n", image,
	       cli_size(r->bytes, a, sizeof(a)),
	       cli_size(r->h.dev_size, b, sizeof(b)));
}

int md_restore(const char *file, const char *image, const struct md_opts *o)
{
	struct pc_err err = { 0 };
	struct md_reader r;
	int fd = -1, ret = -1;
	FILE *f;

	f = fopen(file, "rb");
	if (!f) {
		cli_err("%s: %s", file, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (verify(f, file, &r))
		goto out;
	if (md_check_output(image, o->force, "IMAGE"))
		goto out;
	if (pc_dev_check_distinct(file, image, &err) == -EEXIST) {
		cli_err("%s", err.msg);
		goto out;
	}
	fd = open_image(image, &r, &err);
	if (fd < 0) {
		cli_err("%s", err.msg);
		goto out;
	}
	rewind(f);
	ret = write_image(f, file, fd, image);
	if (!ret)
		report(file, image, &r, o);
out:
	if (fd >= 0)
		close(fd);
	md_read_free(&r);
	fclose(f);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
