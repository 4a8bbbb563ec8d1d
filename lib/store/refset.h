/*
 * refset.h — a set of 32-byte block references (open addressing; the
 * references are hashes already, so their first bytes index the table).
 * For marking live blocks (gc) and deduplicating (export).
 */
#ifndef SIGIL_REFSET_H
#define SIGIL_REFSET_H

#include "eris/eris.h"

typedef struct refset {
	uint8_t (*slot)[ERIS_REF_SIZE + 1]; /* last byte: 1 = used */
	size_t cap, used;
} refset;

void refset_init(refset *s);
/* 1 when added, 0 when already there, ERIS_E_NOMEM. */
int refset_add(refset *s, const uint8_t ref[ERIS_REF_SIZE]);
int refset_has(const refset *s, const uint8_t ref[ERIS_REF_SIZE]);
void refset_free(refset *s);

#endif
