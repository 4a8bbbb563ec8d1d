/*
 * store.c — the store interface: parsing store strings, verification, and the
 * adapters that connect stores to the ERIS codec. Backends live in their own
 * files and know nothing of verification: it happens here, once.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* "word:" at the start, as in "mem:" or "http://": a store type, not a path.
 * A path that really starts that way is written dir:PATH. */
static int has_scheme(const char *spec)
{
	size_t i = 0;

	while ((spec[i] >= 'a' && spec[i] <= 'z') || (spec[i] >= '0' && spec[i] <= '9') ||
	       spec[i] == '+')
		i++;
	return i > 0 && spec[i] == ':';
}

int store_open(store **out, const char *spec, int flags, eris_error *err)
{
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return eris_error_set(err, ERIS_E_ARG, "libsodium failed to initialise");
	if (strcmp(spec, "mem:") == 0)
		rc = store_mem_open(out, err);
	else if (strncmp(spec, "dir:", 4) == 0)
		rc = store_dir_open(out, spec + 4, flags, err);
	else if (has_scheme(spec))
		return eris_error_set(err, ERIS_E_ARG,
				      "unknown store type in \"%s\" (use a directory, dir:PATH or mem:)",
				      spec);
	else if (spec[0] == '\0')
		return eris_error_set(err, ERIS_E_ARG, "empty store name");
	else
		rc = store_dir_open(out, spec, flags, err);
	if (rc != 0)
		return rc;
	(*out)->writable = (flags & (STORE_WRITE | STORE_CREATE)) != 0;
	(*out)->name = strdup(spec);
	if (!(*out)->name) {
		store_close(*out);
		*out = NULL;
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	return 0;
}

const char *store_name(const store *s)
{
	return s->name;
}

static int valid_size(size_t len)
{
	return len == ERIS_BLOCK_1K || len == ERIS_BLOCK_32K;
}

int store_get_raw(store *s, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		  size_t *len, eris_error *err)
{
	const uint8_t *block = buf;
	int rc = s->ops->get(s, ref, buf, size, &block, len, err);

	if (rc == 0 && block != buf)
		memcpy(buf, block, *len);
	return rc;
}

int store_get(store *s, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
	      size_t *len, eris_error *err)
{
	uint8_t h[ERIS_REF_SIZE];
	char name[ERIS_REF_B32_LEN + 1];
	int rc = store_get_raw(s, ref, buf, size, len, err);

	if (rc != 0)
		return rc;
	eris_ref_to_b32(ref, name);
	if (!valid_size(*len))
		return eris_error_set(err, ERIS_E_SIZE, "%s: block %s is %zu bytes", s->name, name,
				      *len);
	crypto_generichash(h, sizeof h, buf, *len, NULL, 0);
	if (sodium_memcmp(h, ref, ERIS_REF_SIZE) != 0)
		return eris_error_set(err, ERIS_E_HASH, "%s: block %s does not match its reference",
				      s->name, name);
	return 0;
}

int store_put(store *s, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t len,
	      eris_error *err)
{
	uint8_t h[ERIS_REF_SIZE];
	char name[ERIS_REF_B32_LEN + 1];

	eris_ref_to_b32(ref, name);
	if (!s->writable)
		return eris_error_set(err, ERIS_E_ARG, "%s: store is read-only", s->name);
	if (!valid_size(len))
		return eris_error_set(err, ERIS_E_SIZE, "%s: block %s is %zu bytes (want 1024 or 32768)",
				      s->name, name, len);
	crypto_generichash(h, sizeof h, block, len, NULL, 0);
	if (sodium_memcmp(h, ref, ERIS_REF_SIZE) != 0)
		return eris_error_set(err, ERIS_E_HASH, "%s: block %s does not match its reference",
				      s->name, name);
	return s->ops->put(s, ref, block, len, err);
}

int store_has(store *s, const uint8_t ref[ERIS_REF_SIZE], eris_error *err)
{
	return s->ops->has(s, ref, err);
}

int store_flush(store *s, eris_error *err)
{
	return s->ops->flush ? s->ops->flush(s, err) : 0;
}

void store_close(store *s)
{
	char *name;

	if (!s)
		return;
	name = s->name;
	s->ops->close(s);
	free(name);
}

int store_eris_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		   const uint8_t **block, size_t *len, eris_error *err)
{
	store *s = ctx;

	return s->ops->get(s, ref, buf, size, block, len, err);
}

int store_eris_put(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs)
{
	store *s = ctx;

	if (!s->writable)
		return eris_error_set(&s->put_error, ERIS_E_ARG, "%s: store is read-only", s->name);
	return s->ops->put(s, ref, block, bs, &s->put_error);
}

const eris_error *store_last_error(const store *s)
{
	return &s->put_error;
}
