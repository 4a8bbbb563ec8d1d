/*
 * tap.c — see tap.h.
 */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "banned.h"

static int tap_count, tap_failed;

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

const char *tap_shared(void)
{
	const char *s = getenv("SIGIL_SHARED");
	return s && *s ? s : "../shared";
}

uint64_t tap_rand(uint64_t *seed)
{
	uint64_t x = *seed ? *seed : 0x9E3779B97F4A7C15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*seed = x;
	return x;
}

void tap_fill_random(uint8_t *buf, size_t len, uint64_t *seed)
{
	size_t i = 0;

	while (i < len) {
		uint64_t r = tap_rand(seed);
		for (int k = 0; k < 8 && i < len; k++, r >>= 8)
			buf[i++] = (uint8_t)r;
	}
}
