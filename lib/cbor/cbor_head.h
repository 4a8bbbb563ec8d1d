/*
 * cbor_head.h — the head of a CBOR data item (RFC 8949 §3): major type,
 * additional information and argument, read and written in one place.
 *
 * Sigil writes CBOR in several formats (Dhall's binary encoding, the system
 * description, closure descriptions, bundles, sigil-init's report) and reads
 * most of them back. What differs between them is which items they allow;
 * the head itself is the same everywhere, so its byte layout lives here:
 *
 *   byte 0        major << 5 | ai
 *   ai 0..23      the argument itself, no more bytes
 *   ai 24..27     1, 2, 4 or 8 bytes of argument follow, big-endian
 *   ai 28..30     reserved (malformed)
 *   ai 31         indefinite length (strings, arrays, maps) or "break"
 *
 * Both functions are codec cores: no allocation, no error text. Callers turn
 * the result into their own errors.
 */
#ifndef SIGIL_CBOR_HEAD_H
#define SIGIL_CBOR_HEAD_H

#include <stddef.h>
#include <stdint.h>

enum {
	CBOR_HEAD_MAX = 9,      /* longest head in bytes */
	CBOR_HEAD_TRUNCATED = -1, /* cbor_head_get: the input ends inside the head */
	CBOR_HEAD_RESERVED = -2,  /* cbor_head_get: ai 28..30 */
};

struct cbor_head {
	unsigned major;   /* 0..7 */
	unsigned ai;      /* additional information, 0..31 */
	uint64_t arg;     /* the argument; 0 when ai is 31 */
	int indefinite;   /* ai == 31 */
	int shortest;     /* the argument is in its shortest form */
};

/* Writes the head (major, arg) in its shortest form to out. Returns its
 * length, 1..CBOR_HEAD_MAX. */
size_t cbor_head_put(uint8_t out[CBOR_HEAD_MAX], unsigned major, uint64_t arg);

/* Reads the head at p[0..len). Returns the bytes it takes (1..9) with *h
 * filled, CBOR_HEAD_TRUNCATED when len is too short (also for len 0), or
 * CBOR_HEAD_RESERVED for ai 28..30 (h->major and h->ai are still set). */
int cbor_head_get(const uint8_t *p, size_t len, struct cbor_head *h)
	__attribute__((warn_unused_result));

#endif
