// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tab.c - /etc/pcachetab (pcachetab(5)): "NAME CACHE BACKING [OPTIONS]" per
 * line, '#' comments. Every error names FILE:LINE and the field, and the
 * whole file is refused: activating half of a table that has a typo in it
 * would be worse than activating none.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blkid/blkid.h>

#include "pcache.h"
#include "pcache_layout.h"

struct tab_ctx {
	const char *path;
	unsigned int line;
};

static int tab_err(const struct tab_ctx *c, const char *what, const char *val,
		   const char *why)
{
	cli_err("%s:%u: %s '%s': %s", c->path, c->line, what, val, why);
	return -1;
}

static bool tag_value_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isxdigit((unsigned char)*v) && *v != '-')
			return false;
	return true;
}

static int check_spec(const struct tab_ctx *c, const char *field,
		      const char *spec, bool backing)
{
	if (!strncmp(spec, "UUID=", 5)) {
		if (backing)
			return tab_err(c, field, spec, "a filesystem UUID on the "
				       "backing device is also the cached "
				       "device's UUID; name the backing device "
				       "by PARTUUID= or a /dev/disk/by-id path");
		if (!tag_value_ok(spec + 5))
			return tab_err(c, field, spec, "not a UUID");
		return 0;
	}
	if (!strncmp(spec, "PARTUUID=", 9)) {
		if (!tag_value_ok(spec + 9))
			return tab_err(c, field, spec, "not a partition UUID");
		return 0;
	}
	if (spec[0] != '/')
		return tab_err(c, field, spec, "neither an absolute path nor "
			       "UUID= or PARTUUID=");
	if (strlen(spec) >= sizeof(((struct tab_entry *)0)->cache))
		return tab_err(c, field, spec, "path too long");
	return 0;
}

/*
 * PARTUUID= in lower case: udev's /dev/disk/by-partuuid links and libblkid's
 * tag lookup compare it as text, and both print it in lower case, while
 * some tools print GPT GUIDs in upper case.
 */
static void lower_partuuid(char *spec)
{
	if (strncmp(spec, "PARTUUID=", 9))
		return;
	for (spec += 9; *spec; spec++)
		*spec = (char)tolower((unsigned char)*spec);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *out > max)
		return -1;
	return (int)(end - s);
}

/* x-systemd.device-timeout=: seconds, "Ns" or "Nmin" */
static int parse_timeout(const char *s, unsigned int *out)
{
	unsigned long v;
	int n = parse_uint(s, 86400, &v);

	if (n < 0)
		return -1;
	if (!strcmp(s + n, "min") && v <= 1440)
		v *= 60;
	else if (s[n] && strcmp(s + n, "s"))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_option(const struct tab_ctx *c, struct tab_entry *e,
			char *opt)
{
	unsigned long v;
	char *val = strchr(opt, '=');

	if (val)
		*val++ = '\0';
	if (!strcmp(opt, "data_crc") && !val)
		e->data_crc = 1;
	else if (!strcmp(opt, "nofail") && !val)
		e->nofail = true;
	else if (!strcmp(opt, "noauto") && !val)
		e->noauto = true;
	else if (!strcmp(opt, "defaults") && !val)
		;
	else if (!strcmp(opt, "gc_percent") && val) {
		if (parse_uint(val, PCD_GC_PERCENT_MAX, &v) != (int)strlen(val))
			return tab_err(c, "option gc_percent", val,
				       "not a number in 0-90");
		e->gc_percent = (int)v;
	} else if (!strcmp(opt, "x-systemd.device-timeout") && val) {
		if (parse_timeout(val, &e->device_timeout))
			return tab_err(c, "option x-systemd.device-timeout",
				       val, "not a time in seconds (N, Ns, "
				       "Nmin)");
	} else {
		if (val)
			val[-1] = '=';
		return tab_err(c, "option", opt, "unknown, or a value where "
			       "none belongs (data_crc, gc_percent=N, nofail, "
			       "noauto, x-systemd.device-timeout=T)");
	}
	return 0;
}

static int parse_options(const struct tab_ctx *c, struct tab_entry *e,
			 char *opts)
{
	char *save = NULL, *o;

	if (!opts || !strcmp(opts, "-"))
		return 0;
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (parse_option(c, e, o))
			return -1;
	return 0;
}

static int parse_line(const struct tab_ctx *c, char *line,
		      struct tab_entry *e)
{
	char *f[5] = { NULL }, *save = NULL, why[128];
	int n = 0;

	for (char *w = strtok_r(line, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			return tab_err(c, "field", w, "too many fields (NAME "
				       "CACHE BACKING [OPTIONS])");
		f[n++] = w;
	}
	if (n < 3) {
		cli_err("%s:%u: missing %s (NAME CACHE BACKING [OPTIONS])",
			c->path, c->line, n == 1 ? "CACHE and BACKING" :
			"BACKING");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->line = c->line;
	e->gc_percent = -1;
	if (!pcache_name_valid(f[0], why, sizeof(why)))
		return tab_err(c, "NAME", f[0], why);
	if (check_spec(c, "CACHE", f[1], false) ||
	    check_spec(c, "BACKING", f[2], true))
		return -1;
	lower_partuuid(f[1]);
	lower_partuuid(f[2]);
	snprintf(e->name, sizeof(e->name), "%s", f[0]);
	snprintf(e->cache, sizeof(e->cache), "%s", f[1]);
	snprintf(e->backing, sizeof(e->backing), "%s", f[2]);
	return parse_options(c, e, f[3]);
}

/*
 * A device named by two entries: two caches over one backing device write
 * each other's data back, one cache under two backing devices serves one
 * device's data as the other's. Specs are compared as written (the
 * devices behind them may not exist yet when the table is read).
 */
static int same_device(const struct tab_ctx *c, const struct tab *t,
		       const struct tab_entry *e)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tab_entry *o = &t->e[i];
		const char *field = NULL, *spec = NULL;

		if (!strcmp(e->cache, o->cache) || !strcmp(e->cache, o->backing))
			field = "CACHE", spec = e->cache;
		else if (!strcmp(e->backing, o->backing) ||
			 !strcmp(e->backing, o->cache))
			field = "BACKING", spec = e->backing;
		if (field) {
			cli_err("%s:%u: %s '%s': already used by '%s' on line "
				"%u", c->path, c->line, field, spec, o->name,
				o->line);
			return -1;
		}
	}
	if (!strcmp(e->cache, e->backing)) {
		cli_err("%s:%u: BACKING '%s': the same device as CACHE",
			c->path, c->line, e->backing);
		return -1;
	}
	return 0;
}

static int add_entry(const struct tab_ctx *c, struct tab *t,
		     const struct tab_entry *e)
{
	struct tab_entry *grown;
	const struct tab_entry *old = tab_find(t, e->name);

	if (old) {
		cli_err("%s:%u: NAME '%s': already used on line %u", c->path,
			c->line, e->name, old->line);
		return -1;
	}
	if (same_device(c, t, e))
		return -1;
	grown = realloc(t->e, (t->n + 1) * sizeof(*grown));
	if (!grown) {
		cli_err("out of memory");
		return -1;
	}
	t->e = grown;
	t->e[t->n++] = *e;
	return 0;
}

int tab_load(const char *path, struct tab *t)
{
	return tab_load_mode(path, t, false);
}

int tab_load_mode(const char *path, struct tab *t, bool lenient)
{
	struct tab_ctx c = { .path = path };
	struct tab_entry e;
	char line[16384], *p;
	int ret = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->path = path;
	f = fopen(path, "r");
	if (!f) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		c.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			cli_err("%s:%u: line longer than %zu bytes", path,
				c.line, sizeof(line) - 1);
			ret = -1;
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p || *p == '#')
			continue;
		ret = parse_line(&c, p, &e) || add_entry(&c, t, &e) ? -1 : 0;
		if (lenient)
			ret = 0;	/* the line was reported; go on */
	}
	fclose(f);
	if (ret)
		tab_free(t);
	return ret;
}

void tab_free(struct tab *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

const struct tab_entry *tab_find(const struct tab *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

char *tab_resolve(const char *spec)
{
	if (spec[0] == '/')
		return strdup(spec);
	return blkid_evaluate_tag(spec, NULL, NULL);
}

int tab_spec_path(const char *spec, char *buf, size_t len)
{
	int n;

	if (!strncmp(spec, "UUID=", 5))
		n = snprintf(buf, len, "/dev/disk/by-uuid/%s", spec + 5);
	else if (!strncmp(spec, "PARTUUID=", 9))
		n = snprintf(buf, len, "/dev/disk/by-partuuid/%s", spec + 9);
	else
		n = snprintf(buf, len, "%s", spec);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
