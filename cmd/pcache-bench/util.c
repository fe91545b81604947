// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * util.c - small helpers: errors, number parsing and formatting, clock,
 * SIGINT handling and the JSON header every document carries.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

volatile sig_atomic_t bench_stop;

/* The sizes every pcache tool takes (cli_parse_size()). */
int parse_size(const char *s, uint64_t *out)
{
	return cli_parse_size(s, out);
}

/* "10", "10s", "1.5", "2m", "1h" */
int parse_seconds(const char *s, double *out)
{
	double v, mult = 1;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60, end++;
	else if (*end == 'h')
		mult = 3600, end++;
	if (*end)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void fmt_size(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int i = 0;

	while (bytes >= 1024 && i < 4) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.2f %s" : "%.0f %s", bytes, unit[i]);
}

void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
}

/* The first signal asks the run to stop; a second one ends the program. */
static void on_sigint(int sig)
{
	int saved = errno;

	if (stop_requested()) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_request();
	errno = saved;
}

/* No SA_RESTART: the main thread's sleep returns at once on Ctrl-C. */
int install_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	return 0;
}

bool stderr_is_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}

/* The header of every pcache tool's document, with the subcommand. */
json_object *json_header(const char *command)
{
	json_object *doc = cli_json_doc(), *h;

	h = json_object_get(json_object_object_get(doc, "__header"));
	json_object_put(doc);
	json_object_object_add(h, "command", json_object_new_string(command));
	return h;
}

void json_print(json_object *root)
{
	cli_json_print(root);
}
