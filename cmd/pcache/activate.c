// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * activate.c - create and remove the devices pcachetab lists. Activation
 * makes exactly the checks create makes and never formats: a device that
 * lost its superblock at boot must stop the boot of that entry, not be
 * formatted over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcache.h"

struct tab_cmd {
	int all;
	int no_wait, force;
	double timeout;
	char *timeout_arg;
	char *tab;
	const char **names;
	size_t n;
	struct tab t;
};

static bool is_active(const char *name)
{
	struct pc_live lv;

	return !dm_live_read(name, &lv);
}

static int activate_one(const struct tab_entry *e)
{
	struct create_req r = {
		.name = e->name, .data_crc = e->data_crc,
		.gc_percent = e->gc_percent,
	};
	char *cache = NULL, *back = NULL;
	int ret = CLI_EXIT_FAIL;

	if (is_active(e->name)) {
		if (!cli_quiet)
			printf("%s: already active\n", e->name);
		return CLI_EXIT_OK;
	}
	cache = tab_resolve(e->cache);
	back = tab_resolve(e->backing);
	if (!cache || !back) {
		cli_err("%s: cannot find %s device %s", e->name,
			cache ? "backing" : "cache", cache ? e->backing :
			e->cache);
		goto out;
	}
	r.cache = cache;
	r.backing = back;
	ret = pcache_create(&r);
out:
	free(cache);
	free(back);
	return ret;
}

static int parse_tab_cmd(const char *sub, int argc, const char **argv,
			 struct tab_cmd *c, poptContext *pcp)
{
	static int quiet;
	bool deact = !strcmp(sub, "deactivate");
	struct poptOption drain[] = {
		{ "no-wait", 'n', POPT_ARG_NONE, &c->no_wait, 0,
		  "Remove at once; dirty data stays on the cache device", NULL },
		{ "timeout", 0, POPT_ARG_STRING, &c->timeout_arg, 0,
		  "Give up draining a device after SECONDS", "SECONDS" },
		CLI_OPT_FORCE(&c->force, "Remove even when draining times out"),
		POPT_TABLEEND
	};
	struct poptOption opts[] = {
		{ "all", 'a', POPT_ARG_NONE, &c->all, 0,
		  "Every entry (activate: every entry without noauto)", NULL },
		{ "tab", 't', POPT_ARG_STRING, &c->tab, 0,
		  "Read FILE instead of " PCACHE_TAB_DEFAULT, "FILE" },
		CLI_OPT_QUIET(&quiet, "Print nothing but errors and warnings"),
		CLI_OPT_VERSION,
		CLI_OPT_HELP,
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, drain, 0,
		  "Draining (as remove):", NULL },
		POPT_TABLEEND
	};
	poptContext pc;

	/* activate has no draining options */
	if (!deact)
		opts[5] = (struct poptOption)POPT_TABLEEND;

	pc = sub_parse(sub, argc, argv, opts,
		       "[OPTION...] (--all | NAME...)");
	*pcp = pc;
	cli_quiet = quiet;
	c->names = poptGetArgs(pc);
	for (c->n = 0; c->names && c->names[c->n]; c->n++)
		;
	if (c->timeout_arg)
		c->timeout = cli_seconds_arg("--timeout", c->timeout_arg, 0);
	if (c->all == !!c->n)
		cli_usage(c->all ? "--all and NAME exclude each other" :
			  "missing NAME... or --all");
	if (tab_load(c->tab ? c->tab : PCACHE_TAB_DEFAULT, &c->t))
		return CLI_EXIT_FAIL;
	for (size_t i = 0; i < c->n; i++)
		if (!tab_find(&c->t, c->names[i])) {
			cli_err("%s: not listed in %s", c->names[i], c->t.path);
			tab_free(&c->t);
			return CLI_EXIT_FAIL;
		}
	return 0;
}

int cmd_activate(int argc, const char **argv)
{
	struct tab_cmd c = { 0 };
	poptContext pc;
	int ret = parse_tab_cmd("activate", argc, argv, &c, &pc);
	size_t i;

	if (ret)
		goto out;
	for (i = 0; i < (c.all ? c.t.n : c.n); i++) {
		const struct tab_entry *e = c.all ? &c.t.e[i] :
					    tab_find(&c.t, c.names[i]);

		if (c.all && e->noauto)
			continue;
		if (activate_one(e) == CLI_EXIT_OK)
			continue;
		if (c.all && e->nofail)
			cli_warn("%s: not activated (nofail)", e->name);
		else
			ret = CLI_EXIT_FAIL;
	}
	tab_free(&c.t);
out:
	poptFreeContext(pc);
	return ret;
}

int cmd_deactivate(int argc, const char **argv)
{
	struct tab_cmd c = { 0 };
	poptContext pc;
	int ret = parse_tab_cmd("deactivate", argc, argv, &c, &pc);
	struct drain_opts o = { .timeout = c.timeout, .force = c.force };
	size_t i, n;

	if (ret)
		goto out;
	n = c.all ? c.t.n : c.n;
	/* reverse order: an entry may stack on one listed before it */
	for (i = n; i-- > 0;) {
		const char *name = c.all ? c.t.e[i].name : c.names[i];

		if (!is_active(name)) {
			if (!c.all && !cli_quiet)
				printf("%s: not active\n", name);
			continue;
		}
		if (pcache_remove(name, !c.no_wait, &o) != CLI_EXIT_OK)
			ret = CLI_EXIT_FAIL;
	}
	tab_free(&c.t);
out:
	poptFreeContext(pc);
	return ret;
}
