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

	while ((spec[i] >= 'a' && spec[i] <= 'z') || (spec[i] >= '0' && spec[i] <= '9'))
		i++;
	return i > 0 && spec[i] == ':';
}

/* "A+B": A (no '+') caches B; A is created when missing, since a cache must
 * be writable. */
static int open_chain(store **out, const char *spec, int flags, eris_error *err)
{
	const char *plus = strchr(spec, '+');
	char *first = strndup(spec, (size_t)(plus - spec));
	store *a = NULL, *b = NULL;
	int rc;

	if (!first)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	if (!first[0] || !plus[1]) {
		rc = eris_error_set(err, ERIS_E_ARG, "\"%s\": a chain is CACHE+SOURCE", spec);
		goto out;
	}
	rc = store_open(&a, first, STORE_CREATE, err);
	if (rc == 0)
		rc = store_open(&b, plus + 1, flags & ~STORE_CREATE, err);
	if (rc == 0) {
		rc = store_chain_open(out, a, b, err);
		a = b = NULL; /* owned by the chain, even on failure */
	}
out:
	store_close(a);
	store_close(b);
	free(first);
	return rc;
}

int store_open(store **out, const char *spec, int flags, eris_error *err)
{
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return eris_error_set(err, ERIS_E_ARG, "libsodium failed to initialise");
	if (strchr(spec, '+'))
		rc = open_chain(out, spec, flags, err);
	else if (strcmp(spec, "mem:") == 0)
		rc = store_mem_open(out, err);
	else if (strncmp(spec, "pack:", 5) == 0)
		rc = store_pack_open(out, spec + 5, flags, err);
	else if (strncmp(spec, "http://", 7) == 0)
		rc = store_http_open(out, spec, flags, err);
	else if (strncmp(spec, "dir:", 4) == 0)
		rc = store_dir_open(out, spec + 4, flags, err);
	else if (has_scheme(spec))
		return eris_error_set(err, ERIS_E_ARG,
				      "unknown store type in \"%s\" (use a directory, dir:PATH, pack:FILE, "
				      "http://HOST:PORT, mem: or A+B)",
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
	if (valid_size(*len)) {
		crypto_generichash(h, sizeof h, buf, *len, NULL, 0);
		if (sodium_memcmp(h, ref, ERIS_REF_SIZE) == 0)
			return 0;
	}
	eris_ref_to_b32(ref, name); /* only now: this is every read's path */
	if (!valid_size(*len))
		return eris_error_set(err, ERIS_E_SIZE, "%s: block %s is %zu bytes", s->name, name,
				      *len);
	return eris_error_set(err, ERIS_E_HASH, "%s: block %s does not match its reference",
			      s->name, name);
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

/* Verifies each block between a backend's get_many and the caller. */
struct verify_many {
	store *s;
	const uint8_t (*refs)[ERIS_REF_SIZE];
	size_t n;
	store_got_fn got;
	void *ctx;
};

static int verify_got(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct verify_many *v = ctx;
	uint8_t h[ERIS_REF_SIZE];

	if (i >= v->n)
		return -1;
	if (rc == 0 && !valid_size(len))
		rc = ERIS_E_SIZE;
	if (rc == 0) {
		crypto_generichash(h, sizeof h, block, len, NULL, 0);
		if (memcmp(h, v->refs[i], ERIS_REF_SIZE) != 0)
			rc = ERIS_E_HASH;
	}
	return v->got(v->ctx, i, rc, rc == 0 ? block : NULL, rc == 0 ? len : 0);
}

int store_get_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, store_got_fn got,
		   void *ctx, eris_error *err)
{
	struct verify_many v = {s, refs, n, got, ctx};
	uint8_t *buf;
	int rc = 0;

	if (s->ops->get_many)
		return s->ops->get_many(s, refs, n, verify_got, &v, err);
	buf = malloc(ERIS_BLOCK_MAX);
	if (!buf)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const uint8_t *block = buf;
		size_t len = 0;
		eris_error one = {0};
		int r = s->ops->get(s, refs[i], buf, ERIS_BLOCK_MAX, &block, &len, &one);
		if (r != 0 && r != ERIS_E_MISSING && r != ERIS_E_SIZE) {
			/* the store itself failed: stop the batch */
			rc = eris_error_set(err, r, "%s", one.msg[0] ? one.msg : eris_strerror(r));
			break;
		}
		if (verify_got(&v, i, r, r == 0 ? block : NULL, r == 0 ? len : 0) != 0)
			rc = eris_error_set(err, ERIS_E_IO, "batch stopped by its receiver");
	}
	free(buf);
	return rc;
}

int store_has_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, uint8_t *present,
		   eris_error *err)
{
	if (s->ops->has_many)
		return s->ops->has_many(s, refs, n, present, err);
	for (size_t i = 0; i < n; i++) {
		int r = s->ops->has(s, refs[i], err);
		if (r < 0)
			return r;
		present[i] = (uint8_t)r;
	}
	return 0;
}

int store_has(store *s, const uint8_t ref[ERIS_REF_SIZE], eris_error *err)
{
	return s->ops->has(s, ref, err);
}

int store_list(store *s, store_list_fn fn, void *ctx, eris_error *err)
{
	if (!s->ops->list)
		return eris_error_set(err, ERIS_E_ARG, "%s: this store cannot list its blocks",
				      s->name);
	return s->ops->list(s, fn, ctx, err);
}

int store_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed, eris_error *err)
{
	*removed = 0;
	if (!s->ops->retain)
		return eris_error_set(err, ERIS_E_ARG, "%s: this store cannot collect garbage",
				      s->name);
	if (!s->writable)
		return eris_error_set(err, ERIS_E_ARG, "%s: store is read-only", s->name);
	return s->ops->retain(s, keep, ctx, removed, err);
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

uint8_t *store_eris_place(void *ctx, size_t n, size_t bs, size_t *stride)
{
	store *s = ctx;

	if (!s->writable || !s->ops->place)
		return NULL;
	return s->ops->place(s, n, bs, stride);
}

const eris_error *store_last_error(const store *s)
{
	return &s->put_error;
}

int store_info(store *s, struct store_info *info, eris_error *err)
{
	memset(info, 0, sizeof *info);
	if (!s->ops->info)
		return eris_error_set(err, ERIS_E_ARG, "%s: this store has no details to give",
				      store_name(s));
	return s->ops->info(s, info);
}

int store_locate(store *s, const uint8_t ref[ERIS_REF_SIZE], uint64_t *offset)
{
	return s->ops->locate ? s->ops->locate(s, ref, offset) : ERIS_E_ARG;
}
