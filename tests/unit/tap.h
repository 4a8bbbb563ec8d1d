/*
 * tap.h — a small TAP producer for the C unit tests. Each test binary prints
 * "1..N" at the end (tap_done), one "ok N - name" / "not ok N - name" line per
 * check, and "ok N - name # SKIP why" for skips. tests/run counts them.
 */
#ifndef SIGIL_TAP_H
#define SIGIL_TAP_H

#include <stddef.h>
#include <stdint.h>

/* Records one check; returns `cond` so callers can branch on it. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A diagnostic line ("# ..."). */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the process exit status (0 when nothing failed). */
int tap_done(void);

/* Where ../shared is: $SIGIL_SHARED, else "../shared". */
const char *tap_shared(void);

/* Deterministic pseudo-random bytes for property tests (xorshift, seeded). */
void tap_fill_random(uint8_t *buf, size_t len, uint64_t *seed);
uint64_t tap_rand(uint64_t *seed);

#endif
