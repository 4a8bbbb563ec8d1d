/*
 * test_bundle.c — ERIS bundles (lib/store/bundle.c): the parser's edge cases
 * on hand-made CBOR, export/parse/check/store round trips, determinism, a
 * capability completed from the target store, incomplete and damaged trees,
 * the "DAG bomb" (a few blocks naming 2^58 bytes) that a plain eris_walk
 * could never finish, and mapping a pipe.
 */
#include "tap.h"

#include "store/bundle.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* ---- a growable byte buffer and CBOR heads ------------------------------- */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put1(struct buf *b, uint8_t c)
{
	put(b, &c, 1);
}

/* A head with an argument of exactly `width` bytes (0: in the first byte). */
static void head_w(struct buf *b, int major, uint64_t arg, int width)
{
	int ai = width == 0 ? (int)arg : width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27;

	put1(b, (uint8_t)(major << 5 | ai));
	for (int i = width - 1; i >= 0; i--)
		put1(b, (uint8_t)(arg >> (8 * i)));
}

static void head(struct buf *b, int major, uint64_t arg)
{
	int w = arg < 24 ? 0 : arg <= 0xFF ? 1 : arg <= 0xFFFF ? 2 : arg <= 0xFFFFFFFFu ? 4 : 8;
	head_w(b, major, arg, w);
}

static int write_mem(void *ctx, const void *data, size_t len)
{
	put(ctx, data, len);
	return 0;
}

/* ---- fixtures ------------------------------------------------------------ */

static uint8_t blk1[1024], blk2[1024], ref1[32], ref2[32];

static void entry(struct buf *b, const uint8_t *ref, const uint8_t *block, size_t len)
{
	head(b, 2, 32);
	put(b, ref, 32);
	head(b, 2, len);
	put(b, block, len);
}

static int parse_rc(const struct buf *b, eris_error *err)
{
	bundle *bd = NULL;
	int rc;

	memset(err, 0, sizeof *err);
	rc = bundle_parse(&bd, b->p, b->n, err);
	if ((rc == 0) != (bd != NULL))
		return 999;
	bundle_free(bd);
	return rc;
}

static void expect(const struct buf *b, int want, const char *needle, const char *what)
{
	eris_error err;
	int rc = parse_rc(b, &err);

	if (!tap_ok(rc == want && (!needle || strstr(err.msg, needle)), "%s", what))
		tap_diag("rc %d (want %d): %s", rc, want, err.msg);
}

static void parser_cases(void)
{
	struct buf b = {0};
	uint64_t seed = 11;
	eris_error err;
	bundle *bd = NULL;
	uint8_t cap66[66];

	tap_fill_random(blk1, sizeof blk1, &seed);
	tap_fill_random(blk2, sizeof blk2, &seed);
	crypto_generichash(ref1, 32, blk1, sizeof blk1, NULL, 0);
	crypto_generichash(ref2, 32, blk2, sizeof blk2, NULL, 0);
	memset(cap66, 0, sizeof cap66);
	cap66[0] = 0x0A;

	expect(&b, BUNDLE_E_FORMAT, "empty input", "empty input is refused");

	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 0);
	tap_ok(bundle_parse(&bd, b.p, b.n, &err) == 0 && bundle_block_count(bd) == 0 &&
		   bundle_cap_count(bd) == 0,
	       "the empty bundle parses: no blocks, no capabilities");
	tap_ok(bd && bundle_check(bd, NULL, NULL, &err) == 0, "and checks");
	bundle_free(bd);
	bd = NULL;

	/* two blocks, one cap; with every prefix truncated */
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 2);
	head(&b, 5, 2);
	entry(&b, ref1, blk1, 1024);
	entry(&b, ref2, blk2, 1024);
	head(&b, 6, BUNDLE_TAG_CAP);
	head(&b, 2, 66);
	put(&b, cap66, 66);
	tap_ok(bundle_parse(&bd, b.p, b.n, &err) == 0 && bundle_block_count(bd) == 2 &&
		   bundle_cap_count(bd) == 1 && bundle_has(bd, ref1) && bundle_has(bd, ref2),
	       "definite map of two blocks and a capability");
	bundle_free(bd);
	bd = NULL;
	{
		int all = 1;
		for (size_t cut = 0; cut < b.n; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
			memcpy(copy, b.p, cut);
			memset(&err, 0, sizeof err);
			if (bundle_parse(&bd, copy, cut, &err) != BUNDLE_E_FORMAT || bd)
				all = 0;
			free(copy);
		}
		tap_ok(all, "every one of its %zu proper prefixes is refused as malformed", b.n);
	}
	put1(&b, 0x00);
	expect(&b, BUNDLE_E_FORMAT, "1 bytes of trailing data", "a trailing byte is refused");

	/* 55799, indefinite array and map, non-shortest heads */
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_SELF_DESCRIBED);
	head_w(&b, 6, BUNDLE_TAG_ERIS, 8);
	put1(&b, 0x9F);
	put1(&b, 0xBF);
	head_w(&b, 2, 32, 8);
	put(&b, ref1, 32);
	head_w(&b, 2, 1024, 4);
	put(&b, blk1, 1024);
	put1(&b, 0xFF);
	head_w(&b, 6, BUNDLE_TAG_CAP, 4);
	head_w(&b, 2, 66, 2);
	put(&b, cap66, 66);
	put1(&b, 0xFF);
	expect(&b, 0, NULL, "tag 55799, indefinite array and map, long-form heads are accepted");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_SELF_DESCRIBED);
	head(&b, 6, BUNDLE_TAG_SELF_DESCRIBED);
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 0);
	expect(&b, BUNDLE_E_FORMAT, "expected tag 1701996915", "tag 55799 twice is refused");

	b.n = 0;
	head(&b, 6, 1701996916);
	head(&b, 4, 1);
	head(&b, 5, 0);
	expect(&b, BUNDLE_E_FORMAT, "found tag 1701996916", "an eris-fs index is not a bundle");

	b.n = 0;
	head(&b, 4, 1);
	head(&b, 5, 0);
	expect(&b, BUNDLE_E_FORMAT, "offset 0: expected tag", "an untagged array is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 0);
	expect(&b, BUNDLE_E_FORMAT, "empty", "an empty array is refused");
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	put1(&b, 0x9F);
	put1(&b, 0xFF);
	expect(&b, BUNDLE_E_FORMAT, "empty", "an empty indefinite array is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 4, 0);
	expect(&b, BUNDLE_E_FORMAT, "expected the block map, found an array",
	       "an array for the map");

	/* entries */
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 2);
	entry(&b, ref1, blk1, 1024);
	entry(&b, ref1, blk1, 1024);
	expect(&b, BUNDLE_E_FORMAT, "appears twice (first at offset 7)",
	       "a duplicate key is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	entry(&b, ref2, blk1, 1024);
	{
		eris_error e2;
		int rc = parse_rc(&b, &e2);
		tap_ok(rc == ERIS_E_HASH && e2.has_ref && memcmp(e2.ref, ref2, 32) == 0 &&
			   strstr(e2.msg, "offset 7: block "),
		       "a block that does not hash to its key: %s", e2.msg);
	}

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	head(&b, 2, 32);
	put(&b, ref1, 32);
	head(&b, 2, 1000);
	put(&b, blk1, 1000);
	expect(&b, ERIS_E_SIZE, "of 1000 bytes", "a 1000-byte block is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	head(&b, 2, 31);
	put(&b, ref1, 31);
	expect(&b, BUNDLE_E_FORMAT, "byte string of 31 bytes", "a 31-byte key is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	head(&b, 3, 32);
	put(&b, ref1, 32);
	expect(&b, BUNDLE_E_FORMAT, "found a text string", "a text-string key is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	put1(&b, 0x5F); /* chunked byte string */
	head(&b, 2, 32);
	put(&b, ref1, 32);
	put1(&b, 0xFF);
	expect(&b, BUNDLE_E_FORMAT, "indefinite length", "a chunked byte string is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 1);
	head(&b, 5, 1);
	put1(&b, 0x5C); /* reserved additional information */
	expect(&b, BUNDLE_E_FORMAT, "reserved byte 0x5c", "reserved additional information");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, UINT64_MAX);
	head(&b, 5, UINT64_MAX);
	expect(&b, BUNDLE_E_FORMAT, "truncated", "2^64-1 items declared, none there: truncated");

	/* capabilities */
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 2);
	head(&b, 5, 0);
	head(&b, 6, 277);
	head(&b, 2, 66);
	put(&b, cap66, 66);
	expect(&b, BUNDLE_E_FORMAT, "found tag 277", "a capability under tag 277 is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 2);
	head(&b, 5, 0);
	head(&b, 6, BUNDLE_TAG_CAP);
	head(&b, 2, 65);
	put(&b, cap66, 65);
	expect(&b, BUNDLE_E_FORMAT, "byte string of 65 bytes", "a 65-byte capability is refused");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 2);
	head(&b, 5, 0);
	head(&b, 6, BUNDLE_TAG_CAP);
	head(&b, 2, 66);
	cap66[0] = 0x0B;
	put(&b, cap66, 66);
	cap66[0] = 0x0A;
	expect(&b, ERIS_E_CAP, "block size code 0x0b", "a capability with a bad block size code");

	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	put1(&b, 0x9F);
	head(&b, 5, 0);
	head(&b, 1, 5);
	put1(&b, 0xFF);
	expect(&b, BUNDLE_E_FORMAT, "found a negative integer", "an integer among capabilities");

	free(b.p);
}

/* ---- trees --------------------------------------------------------------- */

struct tree {
	store *s;
	eris_cap cap;
};

static int cap_eq(const eris_cap *a, const eris_cap *b)
{
	return a->block_size == b->block_size && a->level == b->level &&
	       memcmp(a->ref, b->ref, 32) == 0 && memcmp(a->key, b->key, 32) == 0;
}

static int encode_into(store *s, const uint8_t *data, size_t len, uint32_t bs, eris_cap *cap)
{
	eris_error err = {0};
	return eris_encode(data, len, bs, NULL, store_eris_put, s, cap, &err);
}

/* Exports caps from s into *out; returns the rc. */
static int export_to(store *s, const eris_cap *caps, size_t n, struct buf *out, bundle_stats *st,
		     eris_error *err)
{
	out->n = 0;
	memset(err, 0, sizeof *err);
	return bundle_export(s, caps, n, write_mem, out, st, err);
}

static void round_trips(void)
{
	store *src = NULL, *dst = NULL, *half = NULL;
	eris_cap caps[4];
	eris_error err = {0};
	bundle_stats st;
	struct buf b1 = {0}, b2 = {0}, b3 = {0};
	bundle *bd = NULL;
	uint64_t seed = 5, stored = 0;
	size_t bad = 99;
	uint8_t *rnd = malloc(300000), *zeros = calloc(1, 5000000);

	if (!rnd || !zeros)
		abort();
	tap_fill_random(rnd, 300000, &seed);
	if (store_open(&src, "mem:", STORE_CREATE, &err) != 0)
		abort();
	tap_ok(encode_into(src, rnd, 300000, 1024, &caps[0]) == 0 &&
		   encode_into(src, rnd, 300000, 32768, &caps[1]) == 0 &&
		   encode_into(src, zeros, 5000000, 1024, &caps[2]) == 0 &&
		   encode_into(src, (const uint8_t *)"hi", 2, 1024, &caps[3]) == 0,
	       "four trees encoded (random 1 KiB and 32 KiB, zeros, tiny)");
	tap_ok(export_to(src, caps, 4, &b1, &st, &err) == 0, "export: %s",
	       err.msg[0] ? err.msg : "ok");
	tap_diag("%llu blocks, %llu bytes", (unsigned long long)st.blocks,
		 (unsigned long long)st.bytes);
	tap_ok(st.bytes == b1.n && st.caps == 4, "stats match the output");
	tap_ok(b1.n > 5 && memcmp(b1.p, "\xda\x65\x72\x69\x73\x85\xbf", 7) == 0,
	       "starts with tag \"eris\", array(5), indefinite map");
	tap_ok(export_to(src, caps, 4, &b2, &st, &err) == 0 && b1.n == b2.n &&
		   memcmp(b1.p, b2.p, b1.n) == 0,
	       "a second export is byte-identical");

	tap_ok(bundle_parse(&bd, b1.p, b1.n, &err) == 0, "the export parses: %s", err.msg);
	if (!bd)
		goto out;
	tap_ok(bundle_block_count(bd) == st.blocks && bundle_cap_count(bd) == 4,
	       "with every block and capability");
	tap_ok(bundle_check(bd, NULL, &bad, &err) == 0, "every tree is complete in it");
	if (store_open(&dst, "mem:", STORE_CREATE, &err) != 0)
		abort();
	tap_ok(bundle_store(bd, dst, &stored, &err) == 0 && stored == st.blocks, "stored");
	for (int i = 0; i < 4; i++) {
		eris_cap c;
		bundle_cap(bd, (size_t)i, &c);
		tap_ok(cap_eq(&c, &caps[i]) &&
			   eris_verify(&caps[i], store_eris_get, dst, NULL, &err) == 0,
		       "capability %d comes back and verifies in the new store", i);
	}
	tap_ok(export_to(dst, caps, 4, &b3, &st, &err) == 0 && b3.n == b1.n &&
		   memcmp(b3.p, b1.p, b1.n) == 0,
	       "exporting from the new store gives the same bytes");
	bundle_free(bd);
	bd = NULL;

	/* duplicates: the same capability twice is written once */
	{
		eris_cap two[2] = {caps[3], caps[3]};
		tap_ok(export_to(src, two, 2, &b3, &st, &err) == 0 && st.caps == 1 &&
			   b3.p[5] == 0x82,
		       "a repeated capability is written once");
	}

	/* a bundle of only caps[0]'s tree, checked against a store holding caps[3] */
	tap_ok(export_to(src, &caps[3], 1, &b2, &st, &err) == 0 && st.blocks == 1,
	       "a one-block tree exports one block");
	{
		/* caps[0]'s blocks minus its root, plus its capability: incomplete */
		struct buf cut = {0};
		bundle *b0 = NULL;
		eris_cap c0 = caps[0];
		if (export_to(src, &c0, 1, &b3, &st, &err) != 0 ||
		    bundle_parse(&b0, b3.p, b3.n, &err) != 0)
			abort();
		/* drop the first entry (the root) by rebuilding the map without it */
		head(&cut, 6, BUNDLE_TAG_ERIS);
		head(&cut, 4, 2);
		put1(&cut, 0xBF);
		put(&cut, b3.p + 7 + 34 + 3 + 1024, b3.n - (7 + 34 + 3 + 1024));
		bundle_free(b0);
		b0 = NULL;
		tap_ok(bundle_parse(&b0, cut.p, cut.n, &err) == 0,
		       "the bundle without its root parses");
		bad = 99;
		tap_ok(b0 && bundle_check(b0, NULL, &bad, &err) == ERIS_E_MISSING && bad == 0 &&
			   strstr(err.msg, "missing block") && err.has_ref &&
			   memcmp(err.ref, c0.ref, 32) == 0,
		       "but its capability is incomplete: %s", err.msg);
		/* the root in the target store completes it */
		if (store_open(&half, "mem:", STORE_CREATE, &err) != 0)
			abort();
		{
			uint8_t blk[1024];
			size_t len = 0;
			if (store_get(src, c0.ref, blk, sizeof blk, &len, &err) != 0 ||
			    store_put(half, c0.ref, blk, len, &err) != 0)
				abort();
		}
		tap_ok(b0 && bundle_check(b0, half, &bad, &err) == 0,
		       "and complete when the store holds the missing block");
		bundle_free(b0);
		free(cut.p);
	}

	/* a wrong key in the capability */
	{
		eris_cap wrong = caps[0];
		bundle *b0 = NULL;
		struct buf w = {0};
		wrong.key[3] ^= 1;
		head(&w, 6, BUNDLE_TAG_ERIS);
		head(&w, 4, 2);
		put(&w, b1.p + 6, b1.n - 6 - 4 * 71); /* the map of the full export */
		head(&w, 6, BUNDLE_TAG_CAP);
		head(&w, 2, 66);
		{
			uint8_t bin[66];
			eris_cap_pack(&wrong, bin);
			put(&w, bin, 66);
		}
		tap_ok(bundle_parse(&b0, w.p, w.n, &err) == 0 &&
			   bundle_check(b0, NULL, &bad, &err) == ERIS_E_KEY,
		       "a capability with a flipped key bit fails: %s", err.msg);
		bundle_free(b0);
		free(w.p);
	}

	/* export of a tree the store does not hold */
	{
		eris_cap missing = caps[0];
		missing.ref[0] ^= 1;
		eris_cap two[2] = {caps[3], missing};
		int rc = export_to(src, two, 2, &b3, &st, &err);
		tap_ok(rc == ERIS_E_MISSING && st.failed_cap == 1,
		       "export of a missing tree fails: %s", err.msg);
		tap_ok(parse_rc(&b3, &err) == BUNDLE_E_FORMAT,
		       "and what it wrote does not parse as a bundle");
	}
out:
	store_close(src);
	store_close(dst);
	store_close(half);
	free(b1.p);
	free(b2.p);
	free(b3.p);
	free(rnd);
	free(zeros);
}

/* A tree whose every full node at level l is 16 copies of the same level l-1
 * node: two blocks a level (one at the root) describe (16^L - 1) KiB of zeros and
 * a last block.
 * eris_walk would visit 16^L leaves; the bundle walk visits 2 × 16 per level. */
static void dag_bomb(void)
{
	enum { L = 12, BS = 1024 };
	static const uint8_t null_secret[32];
	uint8_t plain[BS], cipher[BS], fref[32], fkey[32], rref[32], rkey[32];
	store *s = NULL, *dst = NULL;
	eris_error err = {0};
	eris_cap cap;
	bundle_stats st;
	struct buf b = {0};
	bundle *bd = NULL;
	clock_t t0;
	int rc;

	if (store_open(&s, "mem:", STORE_CREATE, &err) != 0 ||
	    store_open(&dst, "mem:", STORE_CREATE, &err) != 0)
		abort();
	memset(plain, 0, BS);
	eris_encrypt_leaf(plain, cipher, BS, null_secret, fref, fkey);
	if (store_eris_put(s, fref, cipher, BS) != 0)
		abort();
	plain[0] = 'x';
	plain[1] = 0x80;
	eris_encrypt_leaf(plain, cipher, BS, null_secret, rref, rkey);
	if (store_eris_put(s, rref, cipher, BS) != 0)
		abort();
	for (int l = 1; l <= L; l++) {
		uint8_t nf[32], nfk[32];
		memset(plain, 0, BS);
		for (int i = 0; i < 16; i++) {
			memcpy(plain + i * 64, fref, 32);
			memcpy(plain + i * 64 + 32, fkey, 32);
		}
		eris_encrypt_node(plain, cipher, BS, l, nf, nfk);
		if (store_eris_put(s, nf, cipher, BS) != 0)
			abort();
		memcpy(plain + 15 * 64, rref, 32);
		memcpy(plain + 15 * 64 + 32, rkey, 32);
		eris_encrypt_node(plain, cipher, BS, l, rref, rkey);
		if (store_eris_put(s, rref, cipher, BS) != 0)
			abort();
		memcpy(fref, nf, 32);
		memcpy(fkey, nfk, 32);
	}
	cap.block_size = BS;
	cap.level = L;
	memcpy(cap.ref, rref, 32);
	memcpy(cap.key, rkey, 32);

	t0 = clock();
	rc = export_to(s, &cap, 1, &b, &st, &err);
	tap_ok(rc == 0 && st.blocks == 2 * L + 1,
	       "a 2^58-byte tree of %d distinct blocks exports %llu blocks: %s", 2 * L + 1,
	       (unsigned long long)st.blocks, err.msg[0] ? err.msg : "ok");
	tap_ok(bundle_parse(&bd, b.p, b.n, &err) == 0 && bundle_check(bd, NULL, NULL, &err) == 0,
	       "its bundle parses and checks");
	tap_ok(bd && bundle_store(bd, dst, NULL, &err) == 0, "and stores");
	tap_ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "all in %.3f s of CPU",
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	{
		eris_reader *r = NULL;
		tap_ok(eris_reader_open(&r, &cap, store_eris_get, dst, &err) == 0 &&
			   eris_reader_size(r) == ((uint64_t)1 << 48) * BS - BS + 1,
		       "the reader agrees on its size (%llu bytes) %s",
		       r ? (unsigned long long)eris_reader_size(r) : 0ULL, err.msg);
		eris_reader_free(r);
	}
	bundle_free(bd);
	store_close(s);
	store_close(dst);
	free(b.p);
}

/* A tree with bad padding in its last leaf is complete but invalid. */
static void bad_padding(void)
{
	static const uint8_t null_secret[32];
	uint8_t plain[1024], cipher[1024];
	store *s = NULL;
	eris_error err = {0};
	eris_cap cap = {1024, 0, {0}, {0}};
	bundle_stats st;
	struct buf b = {0};
	bundle *bd = NULL;

	if (store_open(&s, "mem:", STORE_CREATE, &err) != 0)
		abort();
	memset(plain, 'a', sizeof plain); /* no 0x80 0x00* tail */
	eris_encrypt_leaf(plain, cipher, 1024, null_secret, cap.ref, cap.key);
	if (store_eris_put(s, cap.ref, cipher, 1024) != 0)
		abort();
	tap_ok(export_to(s, &cap, 1, &b, &st, &err) == ERIS_E_PADDING,
	       "export refuses a leaf without padding: %s", err.msg);
	/* build the bundle by hand: parse accepts, check refuses */
	b.n = 0;
	head(&b, 6, BUNDLE_TAG_ERIS);
	head(&b, 4, 2);
	head(&b, 5, 1);
	entry(&b, cap.ref, cipher, 1024);
	head(&b, 6, BUNDLE_TAG_CAP);
	head(&b, 2, 66);
	{
		uint8_t bin[66];
		eris_cap_pack(&cap, bin);
		put(&b, bin, 66);
	}
	tap_ok(bundle_parse(&bd, b.p, b.n, &err) == 0 &&
		   bundle_check(bd, NULL, NULL, &err) == ERIS_E_PADDING,
	       "import's check refuses it too: %s", err.msg);
	bundle_free(bd);
	store_close(s);
	free(b.p);
}

static void map_pipe(void)
{
	int p[2];
	bundle_map m;
	eris_error err = {0};
	static const uint8_t bytes[] = {0xDA, 0x65, 0x72, 0x69, 0x73, 0x81, 0xA0};
	bundle *bd = NULL;

	if (pipe(p) != 0)
		abort();
	if (write(p[1], bytes, sizeof bytes) != (ssize_t)sizeof bytes)
		abort();
	close(p[1]);
	tap_ok(bundle_map_fd(&m, p[0], NULL, &err) == 0 && m.len == sizeof bytes &&
		   memcmp(m.data, bytes, sizeof bytes) == 0,
	       "a pipe is spooled and mapped: %s", err.msg[0] ? err.msg : "ok");
	tap_ok(bundle_parse(&bd, m.data, m.len, &err) == 0, "and parses");
	bundle_free(bd);
	bundle_unmap(&m);
	close(p[0]);
	if (pipe(p) != 0)
		abort();
	close(p[1]);
	tap_ok(bundle_map_fd(&m, p[0], NULL, &err) == 0 && m.len == 0,
	       "an empty pipe maps to nothing");
	tap_ok(bundle_parse(&bd, m.data, m.len, &err) == BUNDLE_E_FORMAT, "which is not a bundle");
	bundle_unmap(&m);
	close(p[0]);
	tap_ok(strcmp(bundle_strerror(BUNDLE_E_FORMAT), "not a well-formed bundle") == 0 &&
		   strcmp(bundle_strerror(ERIS_E_HASH), eris_strerror(ERIS_E_HASH)) == 0,
	       "bundle_strerror");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	parser_cases();
	round_trips();
	dag_bomb();
	bad_padding();
	map_pipe();
	return tap_done();
}
