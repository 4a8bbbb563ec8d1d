/*
 * fuzz_bundle.c — libFuzzer target: reading ERIS bundles (lib/store/bundle.c).
 *
 * Input: the bytes of a bundle file, as `eris import` would read them
 *
 *   #6.1701996915([ { * bstr(32) => bstr(1024 / 32768) }, * #6.276(bstr(66)) ])
 *
 * (see the top of lib/store/bundle.c for the byte layout). Each input runs
 * twice: as given, and "repaired" — every `58 20 <32 bytes> 59 04 00 <1024>`
 * or `... 59 80 00 <32768>` in it gets the BLAKE2b of the block as its key —
 * so that mutations inside blocks reach the tree checks instead of stopping
 * at "does not hash to its key".
 *
 * Properties (a violation is an abort()):
 *   1. bundle_parse never crashes, and fails with a known code and a non-empty,
 *      terminated message, leaving no bundle behind.
 *   2. What it accepts is well-formed CBOR of that shape to libcbor too
 *      (cbor_load reads exactly the input; the tags, the array of 1 + caps
 *      items, the map of as many pairs as blocks, 66-byte capabilities): an
 *      independent decoder as oracle. (Rejections are not compared: cbor_load
 *      preallocates declared counts, so hostile counts would trip the
 *      fuzzer's malloc limit inside libcbor.)
 *   3. bundle_store puts every block, and each reads back verified.
 *   4. bundle_check agrees with eris_verify, capability by capability: when
 *      it passes, every capability verifies from the stored blocks; when it
 *      fails at capability k, those before k verify and k fails with the same
 *      code at the same block and position (the pruned walk finds the same
 *      first error as the full one). eris_verify runs with a fetch budget, since a few
 *      blocks can describe a tree it would walk for ever; past the budget the
 *      comparison is skipped.
 *      The same check of the capabilities alone, every block read from a
 *      store holding the bundle's blocks, gives the same verdict.
 *   5. When it passes, bundle_export of the capabilities from the stored
 *      blocks succeeds, parses back with the same capabilities (each once)
 *      and only blocks of the input, and exporting that again, from a store
 *      filled by importing it, gives the same bytes.
 *
 * Seeds: fuzz/corpus/fuzz_bundle/ — bundles written by bundle_export (one
 * small tree, three trees, a 32 KiB tree, a zero-filled tree whose nodes
 * repeat, the "DAG bomb" of tests/unit/test_bundle.c) and hand-made variants:
 * the 55799 prefix, definite and indefinite lengths, long-form heads,
 * repeated capabilities, truncation, wrong tags, wrong sizes (of blocks, of
 * a leaf within its tree, of capabilities), a duplicate key, a flipped block
 * byte, an incomplete capability, a wrong key or level, an unpadded last
 * leaf, trailing bytes. This file writes them itself
 * when built with -DFUZZ_BUNDLE_SEEDS (see its end).
 */
#include "store/bundle.h"

#include <cbor.h>
#include <sodium.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

enum { VERIFY_BUDGET = 4096 };

static void check_error(const eris_error *err, int rc)
{
	CHECK(rc < 0);
	CHECK(err->code == rc);
	CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
	CHECK(err->msg[0] != '\0');
	CHECK(bundle_strerror(rc) != NULL);
}

static int cap_equal(const eris_cap *a, const eris_cap *b)
{
	return a->block_size == b->block_size && a->level == b->level &&
	       memcmp(a->ref, b->ref, ERIS_REF_SIZE) == 0 &&
	       memcmp(a->key, b->key, ERIS_KEY_SIZE) == 0;
}

/* ---- 2: libcbor as the oracle --------------------------------------------- */

static void check_libcbor(const uint8_t *data, size_t size, const bundle *b)
{
	struct cbor_load_result res;
	cbor_item_t *root = cbor_load(data, size, &res), *tag = NULL, *arr = NULL, *map = NULL;

	CHECK(root != NULL);
	CHECK(res.error.code == CBOR_ERR_NONE && res.read == size);
	CHECK(cbor_isa_tag(root));
	if (cbor_tag_value(root) == BUNDLE_TAG_SELF_DESCRIBED) {
		tag = cbor_tag_item(root);
		CHECK(cbor_isa_tag(tag));
	} else {
		tag = cbor_incref(root);
	}
	CHECK(cbor_tag_value(tag) == BUNDLE_TAG_ERIS);
	arr = cbor_tag_item(tag);
	CHECK(cbor_isa_array(arr));
	CHECK(cbor_array_size(arr) == 1 + bundle_cap_count(b));
	map = cbor_array_get(arr, 0);
	CHECK(cbor_isa_map(map));
	CHECK(cbor_map_size(map) == bundle_block_count(b));
	for (size_t i = 0; i < cbor_map_size(map); i++) {
		struct cbor_pair *p = &cbor_map_handle(map)[i];
		CHECK(cbor_isa_bytestring(p->key) && cbor_bytestring_is_definite(p->key));
		CHECK(cbor_bytestring_length(p->key) == ERIS_REF_SIZE);
		CHECK(bundle_has(b, cbor_bytestring_handle(p->key)));
		CHECK(cbor_isa_bytestring(p->value) && cbor_bytestring_is_definite(p->value));
	}
	for (size_t i = 0; i < bundle_cap_count(b); i++) {
		cbor_item_t *c = cbor_array_get(arr, i + 1), *bin;
		uint8_t packed[ERIS_CAP_SIZE];
		eris_cap cap;
		CHECK(cbor_isa_tag(c) && cbor_tag_value(c) == BUNDLE_TAG_CAP);
		bin = cbor_tag_item(c);
		CHECK(cbor_isa_bytestring(bin) && cbor_bytestring_length(bin) == ERIS_CAP_SIZE);
		bundle_cap(b, i, &cap);
		eris_cap_pack(&cap, packed);
		CHECK(memcmp(packed, cbor_bytestring_handle(bin), ERIS_CAP_SIZE) == 0);
		cbor_decref(&bin);
		cbor_decref(&c);
	}
	cbor_decref(&map);
	cbor_decref(&arr);
	cbor_decref(&tag);
	cbor_decref(&root);
}

/* ---- 4: eris_verify with a fetch budget ----------------------------------- */

struct budget {
	store *s;
	unsigned left;
	int exhausted;
};

static int budget_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		      const uint8_t **block, size_t *len, eris_error *err)
{
	struct budget *bg = ctx;

	if (bg->left == 0) {
		bg->exhausted = 1;
		return eris_error_set(err, ERIS_E_IO, "budget exhausted");
	}
	bg->left--;
	return store_eris_get(bg->s, ref, buf, size, block, len, err);
}

/* eris_verify's verdict: 1 when the budget ran out, else 0 with *rc. */
static int verify(store *s, const eris_cap *cap, int *rc, eris_error *err)
{
	struct budget bg = {s, VERIFY_BUDGET, 0};

	memset(err, 0, sizeof *err);
	*rc = eris_verify(cap, budget_get, &bg, NULL, err);
	return bg.exhausted;
}

/* ---- 5: export round trip ------------------------------------------------- */

struct mbuf {
	uint8_t *p;
	size_t n, cap;
};

static int mbuf_write(void *ctx, const void *data, size_t len)
{
	struct mbuf *m = ctx;

	if (m->n + len > m->cap) {
		size_t cap = (m->n + len) * 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->n, data, len);
	m->n += len;
	return 0;
}

static void put(struct mbuf *m, const void *p, size_t n)
{
	if (mbuf_write(m, p, n) != 0)
		abort();
}

static void put1(struct mbuf *m, uint8_t c)
{
	put(m, &c, 1);
}

/* A head with an argument of at least `width` bytes (0: the shortest form). */
static void head(struct mbuf *m, int major, uint64_t arg, int width)
{
	int ai, need = arg < 24		    ? -1
		       : arg <= 0xFF	    ? 1
		       : arg <= 0xFFFF	    ? 2
		       : arg <= 0xFFFFFFFFu ? 4
					    : 8;

	if (width == 0 || width < need)
		width = need;
	if (width < 0) {
		put1(m, (uint8_t)(major << 5 | (int)arg));
		return;
	}
	ai = width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27;
	put1(m, (uint8_t)(major << 5 | ai));
	for (int i = width - 1; i >= 0; i--)
		put1(m, (uint8_t)(arg >> (8 * i)));
}

static void round_trip(const bundle *b, store *all)
{
	size_t n = bundle_cap_count(b), uniq = 0;
	eris_cap *caps = calloc(n ? n : 1, sizeof *caps);
	struct mbuf e1 = {0}, e2 = {0};
	bundle *b1 = NULL;
	store *again = NULL;
	bundle_stats st;
	eris_error err;

	if (!caps)
		return;
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		bundle_cap(b, i, &caps[i]);
		for (size_t j = 0; j < i; j++)
			dup |= cap_equal(&caps[i], &caps[j]);
		uniq += !dup;
	}
	memset(&err, 0, sizeof err);
	CHECK(bundle_export(all, caps, n, mbuf_write, &e1, &st, &err) == 0);
	CHECK(st.bytes == e1.n && st.caps == uniq && st.failed_cap == SIZE_MAX);
	CHECK(bundle_parse(&b1, e1.p, e1.n, &err) == 0);
	CHECK(bundle_cap_count(b1) == uniq && bundle_block_count(b1) == st.blocks);
	CHECK(st.blocks <= bundle_block_count(b));
	for (size_t i = 0, k = 0; i < n; i++) {
		eris_cap c;
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= cap_equal(&caps[i], &caps[j]);
		if (dup)
			continue;
		bundle_cap(b1, k++, &c);
		CHECK(cap_equal(&c, &caps[i]));
	}
	CHECK(bundle_check(b1, NULL, NULL, &err) == 0);
	CHECK(store_open(&again, "mem:", STORE_CREATE, &err) == 0);
	CHECK(bundle_store(b1, again, NULL, &err) == 0);
	CHECK(bundle_export(again, caps, n, mbuf_write, &e2, NULL, &err) == 0);
	CHECK(e1.n == e2.n && memcmp(e1.p, e2.p, e1.n) == 0);
	store_close(again);
	bundle_free(b1);
	free(e1.p);
	free(e2.p);
	free(caps);
}

/* The capabilities alone, every block taken from the store: the same verdict
 * as with the blocks in the bundle. */
static void check_from_store(const bundle *b, store *all, int check_rc, size_t bad,
			     const eris_error *want)
{
	struct mbuf m = {0};
	bundle *c = NULL;
	eris_error err;
	size_t bad2 = SIZE_MAX, n = bundle_cap_count(b);
	int rc;

	head(&m, 6, BUNDLE_TAG_ERIS, 0);
	head(&m, 4, 1 + (uint64_t)n, 0);
	head(&m, 5, 0, 0);
	for (size_t i = 0; i < n; i++) {
		eris_cap cap;
		uint8_t bin[ERIS_CAP_SIZE];
		bundle_cap(b, i, &cap);
		eris_cap_pack(&cap, bin);
		head(&m, 6, BUNDLE_TAG_CAP, 0);
		head(&m, 2, ERIS_CAP_SIZE, 0);
		put(&m, bin, ERIS_CAP_SIZE);
	}
	memset(&err, 0, sizeof err);
	CHECK(bundle_parse(&c, m.p, m.n, &err) == 0);
	CHECK(bundle_block_count(c) == 0 && bundle_cap_count(c) == n);
	rc = bundle_check(c, all, &bad2, &err);
	CHECK(rc == check_rc);
	if (rc != 0) {
		check_error(&err, rc);
		CHECK(bad2 == bad);
		CHECK(err.has_ref == want->has_ref);
		CHECK(!err.has_ref || (memcmp(err.ref, want->ref, ERIS_REF_SIZE) == 0 &&
				       err.level == want->level && err.index == want->index));
	}
	bundle_free(c);
	free(m.p);
}

/* ---- one input ------------------------------------------------------------ */

static void run(const uint8_t *data, size_t size)
{
	bundle *b = NULL;
	store *all = NULL;
	eris_error err, verr;
	uint64_t stored = 0;
	size_t bad = SIZE_MAX;
	int rc, check_rc;

	memset(&err, 0, sizeof err);
	rc = bundle_parse(&b, data, size, &err);
	if (rc != 0) {
		check_error(&err, rc);
		CHECK(rc == BUNDLE_E_FORMAT || rc == ERIS_E_HASH || rc == ERIS_E_SIZE ||
		      rc == ERIS_E_CAP);
		CHECK(b == NULL);
		return;
	}
	CHECK(b != NULL);
	check_libcbor(data, size, b);

	CHECK(store_open(&all, "mem:", STORE_CREATE, &err) == 0);
	CHECK(bundle_store(b, all, &stored, &err) == 0);
	CHECK(stored == bundle_block_count(b));

	memset(&err, 0, sizeof err);
	check_rc = bundle_check(b, NULL, &bad, &err);
	if (check_rc != 0) {
		check_error(&err, check_rc);
		CHECK(bad < bundle_cap_count(b));
	}
	for (size_t i = 0; i < bundle_cap_count(b); i++) {
		eris_cap cap;
		int vrc;
		if (check_rc != 0 && i > bad)
			break;
		bundle_cap(b, i, &cap);
		if (verify(all, &cap, &vrc, &verr))
			continue;
		if (check_rc == 0 || i < bad) {
			CHECK(vrc == 0);
			continue;
		}
		/* the first failure: the same one */
		CHECK(vrc == check_rc);
		CHECK(verr.has_ref == err.has_ref);
		CHECK(!verr.has_ref || (memcmp(verr.ref, err.ref, ERIS_REF_SIZE) == 0 &&
					verr.level == err.level && verr.index == err.index));
	}
	check_from_store(b, all, check_rc, bad, &err);
	if (check_rc == 0)
		round_trip(b, all);
	store_close(all);
	bundle_free(b);
}

/* Gives each block-shaped entry the hash of its block as key; returns a copy
 * (or NULL when nothing changed). */
static uint8_t *repair(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;

	for (size_t i = 0; i + 2 + 32 + 3 <= size; i++) {
		size_t bs;
		if (data[i] != 0x58 || data[i + 1] != 0x20 || data[i + 34] != 0x59)
			continue;
		if (data[i + 35] == 0x04 && data[i + 36] == 0x00)
			bs = ERIS_BLOCK_1K;
		else if (data[i + 35] == 0x80 && data[i + 36] == 0x00)
			bs = ERIS_BLOCK_32K;
		else
			continue;
		if (bs > size - (i + 37))
			break;
		if (!out) {
			out = malloc(size);
			if (!out)
				return NULL;
			memcpy(out, data, size);
		}
		crypto_generichash(out + i + 2, ERIS_REF_SIZE, data + i + 37, bs, NULL, 0);
		i += 36 + bs;
	}
	if (out && memcmp(out, data, size) == 0) {
		free(out);
		out = NULL;
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	if (sodium_init() < 0)
		return 0;
	run(data, size);
	fixed = repair(data, size);
	if (fixed) {
		run(fixed, size);
		free(fixed);
	}
	return 0;
}

#ifdef FUZZ_BUNDLE_SEEDS
/* ---- the seed corpus ------------------------------------------------------ */
/*
 * Built with -DFUZZ_BUNDLE_SEEDS this file is instead a program that writes
 * the seed corpus (deterministically) into the directory given:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Ilib -DFUZZ_BUNDLE_SEEDS fuzz/fuzz_bundle.c \
 *       build/lib/libsigil.a -lsodium -lcbor -lcurl -lmicrohttpd -lpthread -o /tmp/gen
 *   /tmp/gen fuzz/corpus/fuzz_bundle
 *
 * The export-* seeds are what `eris export` writes for those trees; the rest
 * are hand-made from their entries.
 */

static const char *outdir;

static void save(const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* The entries and capabilities of a bundle we exported. */
struct parts {
	const uint8_t *ent[64]; /* each: 58 20 ref 59 xx xx block */
	size_t entlen[64], nent;
	const uint8_t *cap[8];
	size_t ncap;
};

static void split(const struct mbuf *m, struct parts *p)
{
	size_t at = 7; /* tag (5), array (1), BF */

	memset(p, 0, sizeof *p);
	CHECK(m->n > 7 && m->p[6] == 0xBF);
	while (m->p[at] != 0xFF) {
		size_t len = (size_t)m->p[at + 35] << 8 | m->p[at + 36];
		CHECK(p->nent < 64);
		p->ent[p->nent] = m->p + at;
		p->entlen[p->nent++] = 37 + len;
		at += 37 + len;
	}
	for (at++; at < m->n; at += 71)
		p->cap[p->ncap++] = m->p + at + 5;
}

struct shape {
	int selfdescribed, indef_array, indef_map, width;
	uint64_t tag;
};

static void assemble(struct mbuf *out, const struct parts *p, const struct shape *s)
{
	out->n = 0;
	if (s->selfdescribed)
		head(out, 6, BUNDLE_TAG_SELF_DESCRIBED, s->width);
	head(out, 6, s->tag ? s->tag : BUNDLE_TAG_ERIS, s->width);
	if (s->indef_array)
		put1(out, 0x9F);
	else
		head(out, 4, 1 + p->ncap, s->width);
	if (s->indef_map)
		put1(out, 0xBF);
	else
		head(out, 5, p->nent, s->width);
	for (size_t i = 0; i < p->nent; i++) {
		size_t len = p->entlen[i] - 37;
		head(out, 2, 32, s->width);
		put(out, p->ent[i] + 2, 32);
		head(out, 2, len, s->width);
		put(out, p->ent[i] + 37, len);
	}
	if (s->indef_map)
		put1(out, 0xFF);
	for (size_t i = 0; i < p->ncap; i++) {
		head(out, 6, BUNDLE_TAG_CAP, s->width);
		head(out, 2, 66, s->width);
		put(out, p->cap[i], 66);
	}
	if (s->indef_array)
		put1(out, 0xFF);
}

static void encode(store *s, const void *data, size_t len, uint32_t bs, eris_cap *cap)
{
	eris_error err = {0};
	CHECK(eris_encode(data, len, bs, NULL, store_eris_put, s, cap, &err) == 0);
}

static void export(store *s, const eris_cap *caps, size_t n, struct mbuf *out)
{
	eris_error err = {0};
	out->n = 0;
	CHECK(bundle_export(s, caps, n, mbuf_write, out, NULL, &err) == 0);
}

/* The tree of tests/unit/test_bundle.c's dag_bomb: 2^48 leaves, 25 blocks. */
static void bomb(store *s, eris_cap *cap)
{
	static const uint8_t null_secret[32];
	uint8_t plain[1024], cipher[1024], fref[32], fkey[32], rref[32], rkey[32];

	memset(plain, 0, sizeof plain);
	eris_encrypt_leaf(plain, cipher, 1024, null_secret, fref, fkey);
	CHECK(store_eris_put(s, fref, cipher, 1024) == 0);
	plain[0] = 'x';
	plain[1] = 0x80;
	eris_encrypt_leaf(plain, cipher, 1024, null_secret, rref, rkey);
	CHECK(store_eris_put(s, rref, cipher, 1024) == 0);
	for (int l = 1; l <= 12; l++) {
		uint8_t nf[32], nfk[32];
		memset(plain, 0, sizeof plain);
		for (int i = 0; i < 16; i++) {
			memcpy(plain + i * 64, fref, 32);
			memcpy(plain + i * 64 + 32, fkey, 32);
		}
		eris_encrypt_node(plain, cipher, 1024, l, nf, nfk);
		CHECK(store_eris_put(s, nf, cipher, 1024) == 0);
		memcpy(plain + 15 * 64, rref, 32);
		memcpy(plain + 15 * 64 + 32, rkey, 32);
		eris_encrypt_node(plain, cipher, 1024, l, rref, rkey);
		CHECK(store_eris_put(s, rref, cipher, 1024) == 0);
		memcpy(fref, nf, 32);
		memcpy(fkey, nfk, 32);
	}
	cap->block_size = 1024;
	cap->level = 12;
	memcpy(cap->ref, rref, 32);
	memcpy(cap->key, rkey, 32);
}

/* A level-1 tree of block size `bs` whose first leaf is of size `other`:
 * complete, every block hashing right, but the first leaf's size is wrong. */
static void wrong_size_leaf(struct mbuf *x, uint32_t bs, uint32_t other)
{
	static const uint8_t null_secret[32];
	static uint8_t plain[ERIS_BLOCK_MAX], leaf1[ERIS_BLOCK_MAX], leaf2[ERIS_BLOCK_MAX],
	    root[ERIS_BLOCK_MAX];
	uint8_t r1[32], k1[32], r2[32], k2[32], bin[66];
	eris_cap c = {bs, 1, {0}, {0}};

	memset(plain, 'a', other);
	eris_encrypt_leaf(plain, leaf1, other, null_secret, r1, k1);
	memset(plain, 0, bs);
	plain[0] = 'b';
	plain[1] = 0x80;
	eris_encrypt_leaf(plain, leaf2, bs, null_secret, r2, k2);
	memset(plain, 0, bs);
	memcpy(plain, r1, 32);
	memcpy(plain + 32, k1, 32);
	memcpy(plain + 64, r2, 32);
	memcpy(plain + 96, k2, 32);
	eris_encrypt_node(plain, root, bs, 1, c.ref, c.key);
	x->n = 0;
	head(x, 6, BUNDLE_TAG_ERIS, 0);
	head(x, 4, 2, 0);
	head(x, 5, 3, 0);
	head(x, 2, 32, 0);
	put(x, c.ref, 32);
	head(x, 2, bs, 0);
	put(x, root, bs);
	head(x, 2, 32, 0);
	put(x, r1, 32);
	head(x, 2, other, 0);
	put(x, leaf1, other);
	head(x, 2, 32, 0);
	put(x, r2, 32);
	head(x, 2, bs, 0);
	put(x, leaf2, bs);
	head(x, 6, BUNDLE_TAG_CAP, 0);
	head(x, 2, 66, 0);
	eris_cap_pack(&c, bin);
	put(x, bin, 66);
}

int main(int argc, char **argv)
{
	store *s = NULL;
	eris_error err = {0};
	eris_cap caps[4], c;
	struct mbuf m = {0}, x = {0};
	struct parts p, q;
	struct shape sh;
	uint8_t rnd[3000], zeros[40000] = {0}, bin[66], plain[1024], cipher[1024];
	uint64_t st = 0x9E3779B97F4A7C15ULL;

	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	for (size_t i = 0; i < sizeof rnd; i++) {
		st ^= st << 13, st ^= st >> 7, st ^= st << 17;
		rnd[i] = (uint8_t)st;
	}
	CHECK(store_open(&s, "mem:", STORE_CREATE, &err) == 0);
	encode(s, "Hello world!", 12, 1024, &caps[0]);
	encode(s, rnd, sizeof rnd, 1024, &caps[1]);
	encode(s, zeros, sizeof zeros, 1024, &caps[2]);
	encode(s, rnd, 100, 32768, &caps[3]);

	export(s, caps, 1, &m);
	save("export-1k-hello", m.p, m.n);
	export(s, caps, 3, &m);
	save("export-three-trees", m.p, m.n);
	export(s, &caps[3], 1, &m);
	save("export-32k-one-block", m.p, m.n);
	export(s, (eris_cap[]){caps[2], caps[0], caps[2]}, 3, &m);
	save("export-repeated-cap-and-blocks", m.p, m.n);
	bomb(s, &c);
	export(s, &c, 1, &m);
	save("export-dag-bomb-2e58-bytes", m.p, m.n);
	export(s, NULL, 0, &m);
	save("export-empty", m.p, m.n);

	/* shapes of the three-tree bundle */
	export(s, caps, 3, &m);
	split(&m, &p);
	sh = (struct shape){1, 0, 0, 0, 0};
	assemble(&x, &p, &sh);
	save("selfdescribed-definite-map", x.p, x.n);
	sh = (struct shape){0, 1, 1, 8, 0};
	assemble(&x, &p, &sh);
	save("indefinite-array-long-heads", x.p, x.n);
	sh = (struct shape){1, 1, 0, 2, 0};
	assemble(&x, &p, &sh);
	save("selfdescribed-indefinite-array-definite-map", x.p, x.n);
	sh = (struct shape){0, 0, 0, 0, 1701996916};
	assemble(&x, &p, &sh);
	save("bad-wrong-tag", x.p, x.n);
	sh = (struct shape){0, 0, 1, 0, 0};
	assemble(&x, &p, &sh);
	save("bad-truncated-in-block", x.p, x.n / 2);
	save("bad-truncated-in-cap", x.p, x.n - 30);
	save("bad-truncated-before-break", x.p, x.n - 3 * 71 - 1);
	put1(&x, 0x00);
	save("bad-trailing-byte", x.p, x.n);

	q = p;
	q.ent[1] = p.ent[0];
	q.entlen[1] = p.entlen[0];
	sh = (struct shape){0, 0, 0, 0, 0};
	assemble(&x, &q, &sh);
	save("bad-duplicate-key", x.p, x.n);

	assemble(&x, &p, &sh);
	x.p[7 + 37 + 500] ^= 0x10;
	save("bad-flipped-block-byte", x.p, x.n);

	/* hello's block with the random tree's capability: incomplete */
	export(s, caps, 1, &m);
	split(&m, &q);
	eris_cap_pack(&caps[1], bin);
	q.cap[0] = bin;
	assemble(&x, &q, &sh);
	save("bad-incomplete-cap", x.p, x.n);
	/* the random tree's blocks with a flipped key: fails the root's key check */
	c = caps[1];
	c.key[0] ^= 1;
	eris_cap_pack(&c, bin);
	export(s, &caps[1], 1, &m);
	split(&m, &q);
	q.cap[0] = bin;
	assemble(&x, &q, &sh);
	save("bad-cap-key", x.p, x.n);
	c = caps[1];
	c.level = 2;
	eris_cap_pack(&c, bin);
	assemble(&x, &q, &sh);
	save("bad-cap-level", x.p, x.n);

	/* a leaf without padding */
	memset(plain, 'a', sizeof plain);
	eris_encrypt_leaf(plain, cipher, 1024, (const uint8_t[32]){0}, c.ref, c.key);
	c.block_size = 1024;
	c.level = 0;
	x.n = 0;
	head(&x, 6, BUNDLE_TAG_ERIS, 0);
	head(&x, 4, 2, 0);
	head(&x, 5, 1, 0);
	head(&x, 2, 32, 0);
	put(&x, c.ref, 32);
	head(&x, 2, 1024, 0);
	put(&x, cipher, 1024);
	head(&x, 6, BUNDLE_TAG_CAP, 0);
	head(&x, 2, 66, 0);
	eris_cap_pack(&c, bin);
	put(&x, bin, 66);
	save("bad-unpadded-leaf", x.p, x.n);

	wrong_size_leaf(&x, 1024, 32768);
	save("bad-32k-leaf-in-1k-tree", x.p, x.n);
	wrong_size_leaf(&x, 32768, 1024);
	save("bad-1k-leaf-in-32k-tree", x.p, x.n);

	/* the same capability twice, and one of them again in another tree's
	 * position: the walk must not repeat itself */
	export(s, caps, 2, &m);
	split(&m, &q);
	q.cap[2] = q.cap[0];
	q.cap[3] = q.cap[1];
	q.cap[4] = q.cap[0];
	q.ncap = 5;
	sh = (struct shape){0, 1, 0, 0, 0};
	assemble(&x, &q, &sh);
	save("repeated-caps", x.p, x.n);
	sh = (struct shape){0, 0, 0, 0, 0};

	/* small malformed ones */
	save("bad-empty", (const uint8_t *)"", 0);
	save("bad-huge-counts", (const uint8_t[]){0xDA, 0x65, 0x72, 0x69, 0x73, 0x9B, 0xFF, 0xFF,
						  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBB, 0xFF,
						  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
	     23);
	save("bad-chunked-key",
	     (const uint8_t[]){0xDA, 0x65, 0x72, 0x69, 0x73, 0x81, 0xA1, 0x5F, 0x41, 0x00, 0xFF,
			       0x40},
	     12);
	save("bad-reserved-head", (const uint8_t[]){0xDA, 0x65, 0x72, 0x69, 0x73, 0x81, 0xBC}, 7);
	x.n = 0;
	head(&x, 6, BUNDLE_TAG_ERIS, 0);
	head(&x, 4, 3, 0);
	head(&x, 5, 0, 0);
	head(&x, 6, 277, 0);
	head(&x, 2, 66, 0);
	put(&x, bin, 66);
	head(&x, 6, BUNDLE_TAG_CAP, 0);
	head(&x, 2, 65, 0);
	put(&x, bin, 65);
	save("bad-cap-tag-277", x.p, x.n);
	x.n = 0;
	head(&x, 6, BUNDLE_TAG_ERIS, 0);
	head(&x, 4, 2, 0);
	head(&x, 5, 0, 0);
	head(&x, 6, BUNDLE_TAG_CAP, 0);
	head(&x, 2, 65, 0);
	put(&x, bin, 65);
	save("bad-cap-65-bytes", x.p, x.n);
	export(s, caps, 1, &m);
	split(&m, &q);
	x.n = 0;
	head(&x, 6, BUNDLE_TAG_ERIS, 0);
	head(&x, 4, 1, 0);
	head(&x, 5, 1, 0);
	head(&x, 2, 32, 0);
	put(&x, q.ent[0] + 2, 32);
	head(&x, 2, 1000, 0);
	put(&x, q.ent[0] + 37, 1000);
	save("bad-1000-byte-block", x.p, x.n);

	store_close(s);
	free(m.p);
	free(x.p);
	return 0;
}
#endif
