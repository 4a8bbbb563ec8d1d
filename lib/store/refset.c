/*
 * refset.c — see refset.h. Grows at half full; never shrinks.
 */
#include "refset.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

void refset_init(refset *s)
{
	memset(s, 0, sizeof *s);
}

static size_t probe(const refset *s, const uint8_t *ref)
{
	uint64_t h;
	size_t i;

	memcpy(&h, ref, sizeof h);
	i = (size_t)h & (s->cap - 1);
	while (s->slot[i][ERIS_REF_SIZE] && memcmp(s->slot[i], ref, ERIS_REF_SIZE) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

int refset_has(const refset *s, const uint8_t ref[ERIS_REF_SIZE])
{
	return s->cap && s->slot[probe(s, ref)][ERIS_REF_SIZE];
}

int refset_add(refset *s, const uint8_t ref[ERIS_REF_SIZE])
{
	size_t i;

	if ((s->used + 1) * 2 > s->cap) {
		refset bigger = {NULL, s->cap ? s->cap * 2 : 1024, 0};
		bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
		if (!bigger.slot)
			return ERIS_E_NOMEM;
		for (size_t k = 0; k < s->cap; k++)
			if (s->slot[k][ERIS_REF_SIZE])
				memcpy(bigger.slot[probe(&bigger, s->slot[k])], s->slot[k],
				       ERIS_REF_SIZE + 1);
		bigger.used = s->used;
		free(s->slot);
		*s = bigger;
	}
	i = probe(s, ref);
	if (s->slot[i][ERIS_REF_SIZE])
		return 0;
	memcpy(s->slot[i], ref, ERIS_REF_SIZE);
	s->slot[i][ERIS_REF_SIZE] = 1;
	s->used++;
	return 1;
}

void refset_free(refset *s)
{
	free(s->slot);
	memset(s, 0, sizeof *s);
}
