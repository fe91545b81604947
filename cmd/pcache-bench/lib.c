// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * lib.c - "pcache-bench lib [IMAGE]": options and the order of the
 * microbenchmarks (libmicro.c) on a sparse image.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <popt.h>

#include "bench.h"
#include "libbench.h"

enum { L_SIZE = 1, L_FSIZE, L_CRC, L_KSETS, L_MINTIME };

static char *larg;

static struct poptOption lib_table[] = {
	{ "size", 's', POPT_ARG_STRING, &larg, L_SIZE,
	  "size of the image for format/append/replay (default 1G, min 512M)",
	  "SIZE" },
	{ "format-size", 0, POPT_ARG_STRING, &larg, L_FSIZE,
	  "device size of the large format and scan (default: the maximum, "
	  "16 TiB + 20 KiB; 0 skips them)", "SIZE" },
	{ "crc-size", 0, POPT_ARG_STRING, &larg, L_CRC,
	  "buffer for CRC32C and memory bandwidth (default 256M)", "SIZE" },
	{ "ksets", 'k', POPT_ARG_STRING, &larg, L_KSETS,
	  "full ksets (128 keys) to append and replay (default 10000)", "N" },
	{ "min-time", 0, POPT_ARG_STRING, &larg, L_MINTIME,
	  "repeat each rate measurement for at least this long (default 0.5s)",
	  "SECONDS" },
	{ "keep", 0, POPT_ARG_NONE, NULL, 'K',
	  "keep the temporary image", NULL },
	{ "force", 'f', POPT_ARG_NONE, NULL, 'f',
	  "overwrite IMAGE even if it is not empty or holds a cache or a "
	  "filesystem", NULL },
	{ "json", 'j', POPT_ARG_NONE, NULL, 'J',
	  "print results as JSON (-J: the same, the old spelling)", NULL },
	{ NULL, 'J', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL, 'J',
	  "print results as JSON", NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, 'Q', "no progress lines", NULL },
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	POPT_TABLEEND
};

static int lib_handle(int rc, struct lb_opts *o);

static int lib_handle_cb(int rc, void *o)
{
	return lib_handle(rc, o);
}

static int lib_handle(int rc, struct lb_opts *o)
{
	const char *what = NULL;
	int bad = 0;

	switch (rc) {
	case L_SIZE: bad = parse_size(larg, &o->size) || !pcd_dev_size_ok(o->size);
		what = "--size"; break;
	case L_FSIZE: bad = parse_size(larg, &o->format_size) ||
		(o->format_size && (!pcd_dev_size_ok(o->format_size) ||
				    o->format_size > LB_MAX_DEV_SIZE));
		what = "--format-size"; break;
	case L_CRC: bad = parse_size(larg, &o->crc_size) || o->crc_size < 65536;
		what = "--crc-size"; break;
	case L_KSETS: bad = parse_size(larg, &o->ksets); what = "--ksets"; break;
	case L_MINTIME: bad = parse_seconds(larg, &o->min_time); what = "--min-time"; break;
	case 'K': o->keep = true; break;
	case 'f': o->force = true; break;
	case 'J': o->json = true; cli_json = 1; break;
	case 'Q': o->quiet = true; break;
	default: break;
	}
	if (bad) {
		bench_err("%s: invalid value '%s'", what, larg);
		return -EINVAL;
	}
	return 0;
}

/* 0 run, 1 help/version done, -EINVAL usage error */
static int lib_parse_opts(int argc, const char **argv, struct lb_opts *o)
{
	poptContext ctx;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	o->size = 1ULL << 30;
	o->format_size = LB_MAX_DEV_SIZE;
	o->crc_size = 256ULL << 20;
	o->ksets = 10000;
	o->min_time = 0.5;
	argv[0] = "pcache-bench lib";	/* as --help shows it */
	cli_cmd = argv[0];
	ctx = cli_context("pcache-bench lib", argc, argv, lib_table,
			  "[OPTION...] [IMAGE]");
	ret = bench_popt_loop(ctx, lib_table, &larg, lib_handle_cb, o);
	if (ret)
		goto out;
	if (poptPeekArg(ctx))
		o->image = strdup(poptGetArg(ctx));
	if (poptPeekArg(ctx)) {
		bench_err("lib: at most one IMAGE expected");
		ret = -EINVAL;
	}
out:
	poptFreeContext(ctx);
	return ret;
}

static char *temp_image(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if (asprintf(&path, "%s/pcache-bench-XXXXXX", dir) < 0)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0) {
		bench_err("%s: cannot create a temporary image: %s", path,
			  strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/*
 * The benchmarks format IMAGE and the large format writes IMAGE.max, then
 * removes it: both must be new or empty files, unless --force. A file
 * holding a cache or a signature gets the io command's message.
 */
static int check_file(const char *path, bool force)
{
	struct stat st;
	int ret;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode)) {
		bench_err("%s: IMAGE must be a regular file", path);
		return -EINVAL;
	}
	ret = path_check_safe(path, force);
	if (ret || force || !st.st_size)
		return ret;
	bench_err("%s: exists and is not empty (%lld bytes); refusing to "
		  "overwrite it (use --force, or name a new or empty file)",
		  path, (long long)st.st_size);
	return -EEXIST;
}

static int check_image(const struct lb_opts *o)
{
	char *max;
	int ret = check_file(o->image, o->force);

	if (ret || !o->format_size)
		return ret;
	if (asprintf(&max, "%s.max", o->image) < 0)
		return -ENOMEM;
	ret = check_file(max, o->force);
	free(max);
	return ret;
}

static void phase(const struct lb_opts *o, const char *what)
{
	if (!o->quiet && !o->json && stderr_is_tty())
		fprintf(stderr, "\r\033[K%s%s", what, *what ? "..." : "");
}

static int fail(const struct lb_opts *o, struct pc_err *e, const char *what)
{
	phase(o, "");
	bench_err("%s: %s", what, e->msg[0] ? e->msg : strerror(-e->code));
	return -EIO;
}

/* The large format, then the scan of what it wrote; the image is removed. */
static int run_large(const struct lb_opts *o, const char *image,
		     struct lb_results *r)
{
	struct pc_err e;
	char *path;
	int ret;

	pc_err_clear(&e);
	if (!o->format_size)
		return lb_scan_bench(image, &r->scan, &e) ? fail(o, &e, "scan") : 0;
	if (asprintf(&path, "%s.max", image) < 0)
		return -ENOMEM;
	phase(o, "format (large)");
	ret = lb_format_image(path, o->format_size, &r->format_max, &e);
	if (ret)
		ret = fail(o, &e, "format (large)");
	phase(o, "scan");
	if (!ret && !stop_requested() && lb_scan_bench(path, &r->scan, &e))
		ret = fail(o, &e, "scan");
	unlink(path);
	free(path);
	return ret;
}

static int run_all(const struct lb_opts *o, const char *image,
		   struct lb_results *r)
{
	struct pc_err e;

	pc_err_clear(&e);
	phase(o, "crc32c");
	if (lb_crc_bench(o, &r->crc)) {
		bench_err("crc32c: the selected implementation disagrees with the portable one");
		return -EILSEQ;
	}
	phase(o, "format");
	if (!stop_requested() && lb_format_image(image, o->size, &r->format, &e))
		return fail(o, &e, "format");
	r->size = r->format.size;
	r->seg_num = r->format.seg_num;
	phase(o, "kset append");
	if (!stop_requested() && lb_append_bench(image, o->ksets, &r->append, &e))
		return fail(o, &e, "kset append");
	phase(o, "replay");
	if (!stop_requested() && lb_replay_bench(image, &r->replay, &e))
		return fail(o, &e, "replay");
	if (!stop_requested() && r->replay.keys != r->append.keys) {
		bench_err("%s: replay found %llu keys, %llu were appended", image,
			  (unsigned long long)r->replay.keys,
			  (unsigned long long)r->append.keys);
		return -EIO;
	}
	if (stop_requested())
		return 0;
	return run_large(o, image, r);
}

int cmd_lib(int argc, const char **argv)
{
	struct lb_results r;
	struct lb_opts o;
	char *image;
	int ret;

	ret = lib_parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	memset(&r, 0, sizeof(r));
	if (o.image) {
		ret = check_image(&o);
		if (ret) {
			free((char *)o.image);
			return ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		}
		image = strdup(o.image);
	} else {
		image = temp_image();
		r.temporary = true;
	}
	if (!image)
		return EXIT_FAIL;
	r.image = image;
	lb_progress = !o.quiet && !o.json && stderr_is_tty();
	ret = run_all(&o, image, &r);
	phase(&o, "");
	r.interrupted = stop_requested();
	if (o.json)
		lb_report_json(&r);
	else
		lb_report_human(&r, stdout);
	if (r.temporary && !o.keep)
		unlink(image);
	free(image);
	free((char *)o.image);
	return ret ? EXIT_FAIL : EXIT_OK;
}
