/*
 * trace.c — the start-up timeline: with sigil.trace on the kernel command
 * line (pid1.c) or sigil-init --trace, one line on stderr at each step of
 * bringing a system up,
 *
 *   sigil-init: trace 2.129 s: /rom mounted
 *
 * T is CLOCK_BOOTTIME: as PID 1 the seconds since the kernel started (so
 * the kernel's own part is the first line's T), otherwise the seconds
 * since tracing began (init's start). The /rom server adds what it has
 * served so far (rom.c), at most once a second while it changes. What the
 * steps are is in docs/sigil-init.8 (Trace); what a boot of the kv example
 * spends where is in docs/image-format.md.
 *
 * State: whether tracing is on and the base time; set once, before any
 * child or server is forked, and inherited by them. init is a program,
 * so this is its own process state, not a library's.
 */
#include "init.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "banned.h"

static int tracing;
static double base;

static double boottime(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_BOOTTIME, &t) != 0)
		return 0;
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void init_trace_start(int pid1)
{
	if (tracing)
		return;
	tracing = 1;
	base = pid1 ? 0 : boottime();
}

int init_tracing(void)
{
	return tracing;
}

void init_trace(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!tracing)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	init_say("trace %.3f s: %s", boottime() - base, msg);
}
