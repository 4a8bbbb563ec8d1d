/*
 * test_props.c — property tests of the codec on random content.
 *
 * For sizes at and around every block and arity boundary, both block sizes,
 * null and non-null secrets, and 1 or 2 encoder threads:
 *   - decode(encode(x)) = x, and eris_verify accepts it;
 *   - random-access reads equal slices of x;
 *   - flipping a byte of a stored block makes decoding fail — never wrong
 *     data. Every byte of every block for small trees; for large ones the
 *     root, the first and last block and a random sample, at random offsets.
 * Blocks live in a "mem:" store; a get wrapper flips one byte of one block.
 */
#include "tap.h"

#include "store/store.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct refs {
	uint8_t (*ref)[ERIS_REF_SIZE];
	size_t n, cap;
	store *s;
};

/* put: keep the block in the store, remember its reference */
static int record_put(void *ctx, const uint8_t *ref, const uint8_t *block, size_t bs)
{
	struct refs *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->ref = realloc(r->ref, r->cap * sizeof *r->ref);
	}
	memcpy(r->ref[r->n++], ref, ERIS_REF_SIZE);
	return store_eris_put(r->s, ref, block, bs);
}

struct flipper {
	store *s;
	const uint8_t *target; /* NULL: no tampering */
	size_t offset;
	uint8_t mask;
};

static int flip_get(void *ctx, const uint8_t *ref, uint8_t *buf, size_t size,
		    const uint8_t **block, size_t *len, eris_error *err)
{
	struct flipper *f = ctx;
	int rc = store_eris_get(f->s, ref, buf, size, block, len, err);

	if (rc == 0 && f->target && memcmp(ref, f->target, ERIS_REF_SIZE) == 0 && f->offset < *len) {
		if (*block != buf) /* never change the store's own copy */
			memcpy(buf, *block, *len);
		buf[f->offset] ^= f->mask;
		*block = buf;
	}
	return rc;
}

struct visit_count {
	uint64_t visits, bad;
};

static int count_visit(void *ctx, const uint8_t *ref, const uint8_t *block, size_t bs, int level)
{
	struct visit_count *v = ctx;
	uint8_t h[ERIS_REF_SIZE];

	crypto_generichash(h, sizeof h, block, bs, NULL, 0);
	v->visits++;
	v->bad += memcmp(h, ref, sizeof h) != 0 || level < 0;
	return 0;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
	const uint8_t *expect; /* compare while writing */
	int mismatch;
};

static int buf_write(void *ctx, const uint8_t *data, size_t len)
{
	struct buf *b = ctx;

	if (b->expect) {
		if (memcmp(b->expect + b->len, data, len) != 0)
			b->mismatch = 1;
		b->len += len;
		return 0;
	}
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* Decoding with block `target` damaged must fail (a full decode reads every
 * block), and whatever was written before the failure must be correct
 * content. Returns 1 when both hold. */
static int tampered_ok(const eris_cap *cap, struct flipper *f, const uint8_t *content)
{
	struct buf out = {NULL, 0, 0, content, 0};
	eris_error err = {0};
	int rc = eris_decode(cap, flip_get, f, buf_write, &out, NULL, &err);

	return rc != 0 && !out.mismatch;
}

static void one_case(size_t len, uint32_t bs, int secret, int threads, uint64_t *seed)
{
	uint8_t *x = malloc(len ? len : 1), sec[ERIS_SECRET_SIZE];
	struct refs r = {0};
	struct flipper f = {0};
	eris_error err = {0};
	eris_cap cap;
	int rc;

	tap_fill_random(x, len, seed);
	tap_fill_random(sec, sizeof sec, seed);
	if (store_open(&r.s, "mem:", STORE_WRITE, &err) != 0) {
		tap_ok(0, "mem store opens: %s", err.msg);
		free(x);
		return;
	}
	{
		eris_encoder *enc = NULL;
		rc = eris_encoder_new(&enc, bs, secret ? sec : NULL, threads, record_put, &r);
		/* feed in uneven pieces to cross batch boundaries at odd places */
		for (size_t off = 0; rc == 0 && off < len;) {
			size_t n = (size_t)(tap_rand(seed) % (3 * bs + 17)) + 1;
			if (tap_rand(seed) % 8 == 0)
				n = (size_t)(tap_rand(seed) % (3u << 20)) + 1;
			if (n > len - off)
				n = len - off;
			rc = eris_encoder_update(enc, x + off, n, &err);
			off += n;
		}
		if (rc == 0)
			rc = eris_encoder_final(enc, &cap, &err);
		eris_encoder_free(enc);
	}
	const char *what = secret ? "secret" : "null secret";
	if (!tap_ok(rc == 0, "%zu bytes, %u-byte blocks, %s, %d thread(s): encodes", len, bs, what,
		    threads)) {
		tap_diag("%s", err.msg);
		goto out;
	}

	f.s = r.s;
	struct buf out = {0};
	rc = eris_decode(&cap, flip_get, &f, buf_write, &out, NULL, &err);
	tap_ok(rc == 0 && out.len == len && (len == 0 || memcmp(out.p, x, len) == 0),
	       "%zu/%u/%s: decode(encode(x)) = x", len, bs, what);
	free(out.p);
	uint64_t nblocks = 0;
	tap_ok(eris_verify(&cap, flip_get, &f, &nblocks, &err) == 0, "%zu/%u/%s: verifies", len,
	       bs, what);

	/* a walk visits exactly the verified blocks, each hashing to its reference */
	struct visit_count vc = {0, 0};
	uint64_t walked = 0;
	tap_ok(eris_walk(&cap, flip_get, &f, count_visit, &vc, &walked, &err) == 0 &&
		       walked == nblocks && vc.visits == nblocks && vc.bad == 0,
	       "%zu/%u/%s: eris_walk hands over all %llu blocks, each matching its reference", len,
	       bs, what, (unsigned long long)nblocks);

	/* random access */
	eris_reader *rd = NULL;
	int good = eris_reader_open(&rd, &cap, flip_get, &f, &err) == 0 &&
		   eris_reader_size(rd) == len;
	uint8_t *slice = malloc(3 * bs + 1);
	for (int i = 0; good && i < 40; i++) {
		uint64_t off = len ? tap_rand(seed) % (len + 1) : 0;
		size_t want = (size_t)(tap_rand(seed) % (3 * bs + 1)), got = 0;
		size_t expect = len - off < want ? (size_t)(len - off) : want;
		good = eris_reader_pread(rd, slice, want, off, &got, &err) == 0 && got == expect &&
		       memcmp(slice, x + off, got) == 0;
	}
	size_t dummy;
	good = good && eris_reader_pread(rd, slice, 1, (uint64_t)len + 1, &dummy, &err) ==
			       ERIS_E_RANGE;
	tap_ok(good, "%zu/%u/%s: random-access reads equal slices; past the end is an error", len,
	       bs, what);
	eris_reader_free(rd);
	free(slice);

	/* tampering: distinct blocks only */
	size_t distinct = 0;
	for (size_t i = 0; i < r.n; i++) {
		size_t k;
		for (k = 0; k < distinct; k++)
			if (memcmp(r.ref[k], r.ref[i], ERIS_REF_SIZE) == 0)
				break;
		if (k == distinct && distinct < 4096)
			memmove(r.ref[distinct++], r.ref[i], ERIS_REF_SIZE);
	}
	int exhaustive = distinct * bs <= 4 * 1024;
	size_t tried = 0, caught = 0;
	for (size_t b = 0; b < distinct; b++) {
		int pick = exhaustive || b == 0 || b + 1 == distinct ||
			   memcmp(r.ref[b], cap.ref, ERIS_REF_SIZE) == 0 || tap_rand(seed) % 64 == 0;
		if (!pick)
			continue;
		size_t per = exhaustive ? bs : 3;
		for (size_t i = 0; i < per; i++) {
			f.target = r.ref[b];
			f.offset = exhaustive ? i : (size_t)(tap_rand(seed) % bs);
			f.mask = (uint8_t)(1u << (tap_rand(seed) % 8));
			tried++;
			caught += tampered_ok(&cap, &f, x);
		}
	}
	f.target = NULL;
	tap_ok(tried > 0 && caught == tried,
	       "%zu/%u/%s: %zu of %zu flipped bytes in %zu blocks caught%s", len, bs, what, caught,
	       tried, distinct, exhaustive ? " (every byte of every block)" : "");
out:
	free(r.ref);
	store_close(r.s);
	free(x);
}

int main(void)
{
	uint64_t seed = 0x5157494c;
	const size_t k1[] = {0,	   1,	  1023,	   1024,     1025,     4096,	 15 * 1024,
			     16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 256 * 1024 - 1, 256 * 1024,
			     256 * 1024 + 1, 4096 * 1024 + 5};
	const size_t k32[] = {0,	   1,	   32767,	 32768,	      32769,
			      512 * 32768 - 1, 512 * 32768, 512 * 32768 + 1};

	for (size_t i = 0; i < sizeof k1 / sizeof k1[0]; i++)
		one_case(k1[i], 1024, (int)(i & 1), i % 3 == 2 ? 2 : 1, &seed);
	for (size_t i = 0; i < sizeof k32 / sizeof k32[0]; i++)
		one_case(k32[i], 32768, (int)(i & 1), i % 2 ? 2 : 1, &seed);
	/* non-null secret at several levels: no official vector covers it */
	one_case(300 * 1024, 1024, 1, 2, &seed);
	return tap_done();
}
