/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcache: manage dm-pcache devices online (create, status, remove, set,
 * wait) and at boot (pcachetab, activate, the systemd generator, the udev
 * helper). One file per purpose; this header joins them.
 */
#ifndef PCACHE_CMD_H
#define PCACHE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "pcstatus.h"

#define PCACHE_TARGET		"pcache"	/* DM target type */
#define PCACHE_MODULE		"dm-pcache"
#define PCACHE_UUID_PREFIX	"PCACHE-"
#define PCACHE_TAB_DEFAULT	"/etc/pcachetab"
#define PCACHE_NAME_MAX		100
/*
 * A dirty_tail that has not moved for this long while the log holds dirty
 * data is a stalled writeback (status --watch, remove, wait): the kernel
 * stops its writeback worker after a backing-device error, silently.
 */
#define PCACHE_STALL_SECONDS	10.0
/* How long remove waits for a process's open (a udev probe) to end */
#define PCACHE_OPEN_GRACE_S	3.0
/* --gc-percent not given (any value given is checked against 0-90) */
#define GC_UNSET		(-1000)

/* ---- dm.c: libdevmapper ------------------------------------------------ */

struct dm_dev_info {
	bool exists;
	uint32_t major, minor;
	int32_t open_count;
	bool suspended;
	char uuid[160];
};

/* Status line of a live device (after "start length pcache"). */
struct pc_live {
	char name[128];
	char uuid[160];
	uint64_t sectors;
	char cache_dev[32], backing_dev[32];	/* "major:minor" */
	char params[512];			/* raw status fields */
	struct pcs_status st;
};

void dm_setup(void);
int dm_info_get(const char *name, struct dm_dev_info *info);
int dm_create_dev(const char *name, const char *uuid, uint64_t sectors,
		  const char *params);
int dm_remove_dev(const char *name);
int dm_message(const char *name, const char *msg);
/* 0, -ENODEV (no such device), -EMEDIUMTYPE (not a pcache target), -EIO */
int dm_live_read(const char *name, struct pc_live *lv);
/* Names of every live device whose target is pcache; free with free(). */
int dm_list_pcache(char ***names, size_t *n);
void dm_free_names(char **names, size_t n);
bool dm_target_registered(const char *type);
/* /dev path of block device "major:minor" (sysfs DEVNAME); 0 or -errno */
int dm_devnode(const char *majmin, char *buf, size_t len);
/* Holders of a dm device, mount points of it: a one-line description. */
int dm_describe_holder(uint32_t major, uint32_t minor, char *buf, size_t len);

/* ---- kmod.c ------------------------------------------------------------ */

int kmod_load_target(void);

/* ---- detail.c: read-only replay of a cache device --------------------- */

struct pc_detail {
	uint64_t cached_bytes, dirty_bytes, keys, ksets;
	/* the log from dirty_tail on: bytes and the segments it spans */
	uint64_t dirty_log_bytes, dirty_log_segs;
};

/* @path, or the node of lv->cache_dev; 0, or -1 with @why set. */
int pcache_detail(const struct pc_live *lv, const char *path,
		  struct pc_detail *d, char *why, size_t len);

/* ---- status.c: decoding ------------------------------------------------ */

struct pc_decoded {
	bool data_crc, init_done;
	const char *cache_mode;
	unsigned int gc_threshold;	/* segments in use at which GC runs */
	bool writeback_idle;		/* dirty_tail == key_head */
	uint64_t dirty_log_min;		/* lower bound of dirty log bytes */
	bool dirty_log_exact;		/* both on one segment */
};

void pcs_decode(const struct pcs_status *st, struct pc_decoded *d);
struct json_object *pcs_json(const struct pc_live *lv);
/* {"__header", "devices": [pcs_json of each]} on stdout: 0 or 1. */
int pcache_print_devices(const struct pc_live *lv, size_t n);
void pcs_print_table(const struct pc_live *lv, size_t n, bool header);

int cmd_status(int argc, const char **argv);
int cmd_list(int argc, const char **argv);

/* ---- create.c ---------------------------------------------------------- */

struct create_req {
	const char *name;
	const char *cache;
	const char *backing;
	int data_crc;
	int gc_percent;		/* -1: leave as on the media */
	bool format;
	bool force;
	bool discard_dirty;	/* with force: accept findings of loss */
	bool quiet;
	bool json;		/* print the new device as status --json */
};

int pcache_create(const struct create_req *r);
int cmd_create(int argc, const char **argv);
bool pcache_name_valid(const char *name, char *why, size_t len);
/* Drop a block device's cached pages (DAX writes bypass them). */
void pcache_flushbufs(const char *path);

/* ---- remove.c: remove, wait, set --------------------------------------- */

struct drain_opts {
	double timeout;		/* seconds, 0 = none */
	bool force;
};

int pcache_remove(const char *name, bool wait, const struct drain_opts *o);
int cmd_remove(int argc, const char **argv);
int cmd_wait(int argc, const char **argv);
int cmd_set(int argc, const char **argv);

/* ---- tab.c: pcachetab(5) ----------------------------------------------- */

struct tab_entry {
	unsigned int line;
	char name[PCACHE_NAME_MAX + 1];
	char cache[4096];
	char backing[4096];
	int data_crc;		/* 0 or 1 */
	int gc_percent;		/* -1 unset */
	bool nofail, noauto;
	unsigned int device_timeout;	/* seconds, 0 unset */
};

struct tab {
	struct tab_entry *e;
	size_t n;
	const char *path;
};

/* 0, or -1 after one error line naming FILE:LINE and the field. */
int tab_load(const char *path, struct tab *t);
/* @lenient: a bad line is reported and left out; the rest is loaded. */
int tab_load_mode(const char *path, struct tab *t, bool lenient);
void tab_free(struct tab *t);
const struct tab_entry *tab_find(const struct tab *t, const char *name);
/* A device spec (path, UUID=, PARTUUID=) as a /dev path; NULL if unknown. */
char *tab_resolve(const char *spec);
/* The udev link under /dev a spec stands for (for systemd units). */
int tab_spec_path(const char *spec, char *buf, size_t len);

int cmd_activate(int argc, const char **argv);
int cmd_deactivate(int argc, const char **argv);

/* ---- generator.c, backing.c -------------------------------------------- */

int generator_main(int argc, const char **argv);
int unit_escape_path(const char *path, char *buf, size_t len);
int cmd_is_backing(int argc, const char **argv);

/* ---- main.c: option helpers shared by the subcommands ------------------ */

/*
 * Parse @argv with @opts for subcommand @sub (cli_context, cli_parse):
 * --help, --version and usage errors exit here (16, with --json a
 * failure document too).
 */
poptContext sub_parse(const char *sub, int argc, const char **argv,
		      struct poptOption *opts, const char *args);
/* NAME, the one positional argument, or a usage error. */
const char *sub_name(poptContext pc);
/* --gc-percent's value checked against the kernel's 0-90, or GC_UNSET. */
int sub_gc_percent(const char *arg);
double now_s(void);

#endif
