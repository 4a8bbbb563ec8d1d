/*
 * fuzz_decode.c — libFuzzer target: ERIS decoding from an adversarial store.
 *
 * The three decoders (eris_decode, eris_verify, eris_reader_*) fetch blocks
 * through a callback; here that callback is a block source the input controls.
 * The harness builds a store from the input (a "mem:" store, lib/store/mem.c),
 * then runs every decoder against it and checks properties, abort()ing on any
 * violation (and letting ASan/UBSan/LeakSanitizer catch the rest).
 *
 * Input layout. Byte 0 is common to all modes:
 *
 *   bit 0     block size: 0 = 1 KiB, 1 = 32 KiB
 *   bits 1-2  mode: 0 RAW, 1 ENCODE, 2 CRAFT, 3 FIXED
 *   bits 3-7  knobs, per mode
 *
 * RAW (and FIXED): the blocks are the input itself.
 *   byte 1    bits 0-1: cap level; bits 2-7 (FIXED): which chunk answers
 *   byte 2..  cut into block-size chunks; a short tail is a short block
 *   knob 3    zero-extend the tail chunk to a full block
 *   knob 4    chunk 0 is the root's plaintext: encrypt it at the cap level, so
 *             the root passes its hash and key checks and its content (pairs,
 *             padding) is what gets tested
 *   Each chunk is stored under its BLAKE2b-256. The capability names chunk 0;
 *   its key is the first 32 bytes of chunk 1 (or, with knob 4, the real key).
 *   FIXED answers every request, whatever the reference, with chunk k: a store
 *   that returns blocks under the wrong reference.
 *
 * ENCODE: a valid tree, damaged in one chosen way.
 *   byte 1-2  content length / 8, big-endian (0: the payload itself)
 *   byte 3    bits 0-2 fault kind (see enum fault); bit 3 fault sticks for
 *             every fetch from the chosen one on; bits 4-5 threads of the
 *             second (streaming) encoder; bit 6 read through store_get (the
 *             verifying path) instead of store_get_raw; bit 7 also encode
 *             with the streaming encoder and compare
 *   byte 4-5  index of the fetch to damage (per decoder run)
 *   byte 6    fault parameter (xor value, bytes cut, which block instead)
 *   byte 7-8  byte offset of the flip within the block
 *   byte 9    capability damage (see enum capmut); byte 10 its parameter
 *   byte 11-12  seed for read sizes, offsets and encoder update sizes
 *   byte 13.. payload; the content is the payload, or the payload stretched
 *             to the requested length (see stretch())
 *   knob 3    encode with a non-null convergence secret
 *   The content is encoded with eris_encode into the store (and with bit 7 of
 *   byte 3 again by a streaming encoder with uneven updates and 1-3 threads:
 *   the capabilities must agree). Decoding must then either fail or give
 *   exactly the content; without damage it must succeed.
 *
 * CRAFT: a tree built from a description, with real hashes and keys, so that
 * structure (pair layout, fullness, levels, padding, sizes) is what the
 * decoders see. Records follow byte 1:
 *   byte 1    cap level: bits 0-1 = 0 the root's own level, 1 one more,
 *             2 one less (0 → 255), 3 bits 2-7 as the level
 *   record    tag, n, n payload bytes. tag bits 0-1 kind:
 *               0 leaf: payload as content; bit 3 repeats it to fill the
 *                 block; bit 2 appends 0x80 padding
 *               1 node: payload bytes name earlier records (index mod count,
 *                 0xFF = a null pair); bit 3 cycles them to fill every slot
 *               2 node from raw plaintext (the payload, zero-filled)
 *               3 raw ciphertext (bit 2: zero-filled to a whole block)
 *             bits 4-6: a node's level minus 1 (bit 2: plus 8); bit 7: the
 *             other block size
 *   The last record is the root.
 *
 * Properties checked on every input (all modes):
 *   - every error has err.code == rc, a non-empty terminated message, and a
 *     block position inside the tree;
 *   - eris_decode succeeds iff eris_verify does;
 *   - on success the tree has the canonical shape for the content length
 *     (level, and the number of blocks eris_verify visits);
 *   - the reader agrees with eris_decode: when the source answers the same
 *     whatever the order of requests (no injected fault), opening and reading
 *     the whole content succeeds iff decoding did, with the same bytes;
 *   - the reader's length is the one a walk of our own finds down the
 *     right-most path (reference_size, in overflow-checked arithmetic): a
 *     capability describing 2^64 bytes or more must not open;
 *   - reads at chosen offsets return what decoding returned, short only at
 *     the end, and offsets past the end fail with ERIS_E_RANGE;
 *   - with store_get (byte 3 bit 6), store_has agrees with it.
 * In ENCODE mode, the streaming encoder's sink sometimes refuses a block: the
 * encoder must fail with ERIS_E_IO having stored exactly the blocks before
 * it, then refuse further updates and final with ERIS_E_ARG.
 * A DAG of content-addressed nodes can describe enormous content with few
 * blocks, so each decoder run has a fetch budget; a run that exhausts it
 * (ERIS_E_IO from the source) is not used for the comparisons.
 *
 * Seeds: fuzz/corpus/fuzz_decode/, written by fuzz/gen-seeds.py. Replayed by
 * `make check` through fuzz/driver.c; fuzzed by `make fuzz`. Built with
 * -DFUZZ_TRACE it prints each decoder's verdict to stderr, to see which path
 * a seed reaches.
 */
#include "eris/eris_int.h" /* eris_fetch_node, eris_node_pairs: for reference_size */
#include "store/store.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond))                                                                   \
			abort();                                                               \
	} while (0)

enum mode { MODE_RAW = 0, MODE_ENCODE = 1, MODE_CRAFT = 2, MODE_FIXED = 3 };

/* What the source does to the chosen fetch. */
enum fault {
	FAULT_NONE = 0,
	FAULT_FLIP = 1,    /* xor one byte of the block */
	FAULT_CUT = 2,     /* return fewer bytes */
	FAULT_MISSING = 3, /* ERIS_E_MISSING */
	FAULT_IO = 4,      /* ERIS_E_IO with a message, or a positive code */
	FAULT_OTHER = 5,   /* another stored block instead */
	FAULT_SIZE = 6,    /* ERIS_E_SIZE */
	FAULT_EMPTY = 7,   /* success with zero bytes */
};

/* What is done to the capability before decoding. */
enum capmut {
	CAP_KEEP = 0,
	CAP_LEVEL_UP = 1,
	CAP_LEVEL_DOWN = 2,
	CAP_KEY = 3,   /* flip a key bit */
	CAP_REF = 4,   /* flip a reference bit */
	CAP_SIZE = 5,  /* the other block size */
	CAP_LEVEL = 6, /* level = parameter */
	CAP_BS = 7,    /* block size = parameter × 256 */
};

enum {
	MAX_CALLS = 1024,          /* fetches per decoder run */
	MAX_FETCHED = 1 << 20,     /* bytes fetched per decoder run */
	MAX_OUT = 2 << 20,         /* decoded content kept */
	MAX_CONTENT_1K = 288 << 10, /* level 3 starts above 256 KiB */
	MAX_CONTENT_32K = 160 << 10,
	MAX_RECORDS = 640,         /* more than the mem store's first table */
	MAX_RECORD_BYTES = 2 << 20,
	MAX_REFS = 4096,
	MAX_PIECE = 65536,
	SPOT_READS = 6,
};

/* ---- input cursor -------------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take_u8(struct cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

static unsigned take_u16(struct cursor *c)
{
	unsigned hi = take_u8(c);
	return hi << 8 | take_u8(c);
}

static const uint8_t *take(struct cursor *c, size_t want, size_t *got)
{
	const uint8_t *p = c->p;

	*got = want < c->n ? want : c->n;
	c->p += *got;
	c->n -= *got;
	return p;
}

/* xorshift64*, for offsets and sizes derived from input bytes */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* ---- the block source ---------------------------------------------------- */

struct source {
	store *st;
	int verified;         /* store_get instead of store_get_raw */
	const uint8_t *fixed; /* FIXED: the one answer */
	size_t fixed_len;
	int use_fixed;
	int fault;
	unsigned fault_at;
	int fault_sticky;
	uint8_t fault_param;
	size_t fault_off;
	const uint8_t *refs; /* stored references (nrefs × 32), for FAULT_OTHER */
	size_t nrefs;
	/* per decoder run */
	unsigned calls;
	size_t fetched;
	int exhausted;
};

static void source_reset(struct source *s)
{
	s->calls = 0;
	s->fetched = 0;
	s->exhausted = 0;
}

static int src_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t buf_size,
		   const uint8_t **block, size_t *len, eris_error *err)
{
	struct source *s = ctx;
	unsigned n = s->calls++;
	int faulty, rc;

	*block = buf;

	if (s->calls > MAX_CALLS || s->fetched > MAX_FETCHED) {
		s->exhausted = 1;
		return eris_error_set(err, ERIS_E_IO, "fuzz: fetch budget exhausted");
	}
	faulty = s->fault != FAULT_NONE && (n == s->fault_at || (s->fault_sticky && n > s->fault_at));
	if (s->use_fixed) {
		if (s->fixed_len > buf_size)
			return ERIS_E_SIZE;
		memcpy(buf, s->fixed, s->fixed_len);
		*len = s->fixed_len;
		s->fetched += s->fixed_len;
		return 0;
	}
	if (faulty) {
		switch (s->fault) {
		case FAULT_MISSING:
			return ERIS_E_MISSING;
		case FAULT_SIZE:
			return ERIS_E_SIZE;
		case FAULT_IO:
			if (s->fault_param & 1)
				return 1 + s->fault_param; /* a positive code, no message */
			return eris_error_set(err, ERIS_E_IO, "fuzz: injected i/o error on fetch %u",
					      n);
		case FAULT_EMPTY:
			*len = 0;
			return 0;
		case FAULT_OTHER:
			if (s->nrefs > 0)
				ref = s->refs + (size_t)(s->fault_param % s->nrefs) * ERIS_REF_SIZE;
			break;
		default:
			break;
		}
	}
	if (s->verified) {
		int has = store_has(s->st, ref, NULL);
		rc = store_get(s->st, ref, buf, buf_size, len, err);
		CHECK(has == 0 || has == 1);
		CHECK((rc == ERIS_E_MISSING) == (has == 0));
	} else {
		/* zero-copy: *block may point into the mem: store */
		rc = store_eris_get(s->st, ref, buf, buf_size, block, len, err);
	}
	if (rc != 0)
		return rc;
	CHECK(*len <= buf_size);
	s->fetched += *len;
	if (faulty && *len > 0) {
		if (s->fault == FAULT_FLIP) {
			if (*block != buf) /* never change the store's own copy */
				memcpy(buf, *block, *len);
			*block = buf;
			buf[s->fault_off % *len] ^= s->fault_param ? s->fault_param : 1;
		}
		else if (s->fault == FAULT_CUT)
			*len -= 1 + s->fault_param % *len;
	}
	return 0;
}

/* ---- the decoded-content sink ------------------------------------------- */

struct sink {
	uint8_t *buf;
	size_t len, cap;
	int overflow;
};

static int sink_write(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *o = ctx;

	CHECK(len > 0);
	if (len > MAX_OUT - o->len) {
		o->overflow = 1;
		return -1;
	}
	if (o->len + len > o->cap) {
		size_t ncap = o->cap ? o->cap : 4096;
		while (ncap < o->len + len)
			ncap *= 2;
		uint8_t *nb = realloc(o->buf, ncap);
		if (!nb) {
			o->overflow = 1;
			return -1;
		}
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

static int cap_equal(const eris_cap *a, const eris_cap *b)
{
	return a->block_size == b->block_size && a->level == b->level &&
	       memcmp(a->ref, b->ref, ERIS_REF_SIZE) == 0 &&
	       memcmp(a->key, b->key, ERIS_KEY_SIZE) == 0;
}

/* What the capability must decode to, when the harness knows. */
struct expect {
	const uint8_t *data;
	size_t len;
	int have;          /* data/len are the content */
	int must_succeed;  /* nothing was damaged */
	int deterministic; /* the source answers the same whatever the order */
};

static void check_error(const eris_error *err, int rc, const eris_cap *cap)
{
	CHECK(rc < 0);
	CHECK(err->code == rc);
	CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
	CHECK(err->msg[0] != '\0');
	if (err->has_ref) {
		CHECK(err->level >= 0 && err->level <= cap->level);
	}
}

/* A decodable tree has the one shape its content length allows: a content
 * of `total` bytes has total/bs + 1 leaves (the padding takes at least one
 * byte), every node left of the right-most path is full, and the root has at
 * least two children. */
static void check_shape(const eris_cap *cap, uint64_t total, uint64_t blocks)
{
	uint64_t bs = cap->block_size, arity = bs / 64;
	uint64_t n = total / bs + 1, sum = n;
	int level = 0;

	while (n > 1) {
		n = (n + arity - 1) / arity;
		sum += n;
		level++;
	}
	CHECK(level == cap->level);
	CHECK(blocks == sum);
}

/* The content length the capability describes, found independently of the
 * reader: follow the last pair of every node down the right-most path to the
 * last leaf and unpad it, with the checks the decoders make on the way and
 * with overflow-checked arithmetic. Returns 0 and *size; 1 when the length is
 * 2^64 bytes or more (no reader can report it); a negative code when a block
 * on the path is missing or invalid. */
static int reference_size(const eris_cap *cap, struct source *src, uint64_t *size)
{
	uint32_t bs = cap->block_size;
	uint8_t *plain = NULL, *scratch = NULL, ref[ERIS_REF_SIZE], key[ERIS_KEY_SIZE];
	uint64_t idx = 0;
	size_t len = 0;
	unsigned count = 0;
	int rc = ERIS_E_NOMEM, big = 0;

	if ((bs != ERIS_BLOCK_1K && bs != ERIS_BLOCK_32K) || cap->level > ERIS_MAX_LEVEL)
		return ERIS_E_CAP;
	plain = malloc(bs);
	scratch = malloc(bs);
	if (!plain || !scratch)
		goto out;
	memcpy(ref, cap->ref, ERIS_REF_SIZE);
	memcpy(key, cap->key, ERIS_KEY_SIZE);
	for (int l = cap->level; l >= 0; l--) {
		eris_pos pos = {l, idx};
		rc = eris_fetch_node(src_get, src, ref, key, pos, bs, plain, scratch, 1, l > 0, NULL);
		if (rc != 0)
			goto out;
		if (l == 0)
			break;
		rc = eris_node_pairs(plain, bs, pos, ref, 0, l == cap->level ? 2 : 1, &count, NULL);
		if (rc != 0)
			goto out;
		if (__builtin_mul_overflow(idx, (uint64_t)(bs / ERIS_PAIR_SIZE), &idx) ||
		    __builtin_add_overflow(idx, (uint64_t)(count - 1), &idx))
			big = 1;
		memcpy(ref, plain + (size_t)(count - 1) * ERIS_PAIR_SIZE, ERIS_REF_SIZE);
		memcpy(key, plain + (size_t)(count - 1) * ERIS_PAIR_SIZE + ERIS_REF_SIZE,
		       ERIS_KEY_SIZE);
	}
	rc = eris_unpad_len(plain, bs, &len);
	if (rc != 0)
		goto out;
	if (big || __builtin_mul_overflow(idx, (uint64_t)bs, size) ||
	    __builtin_add_overflow(*size, (uint64_t)len, size))
		rc = 1;
out:
	free(scratch);
	free(plain);
	return rc;
}

/* Reads the whole content with the reader in pieces; returns 0 when every
 * read succeeded (and then compares with `want`, when given). */
static int read_all(eris_reader *r, uint8_t *piece, size_t psize, const uint8_t *want)
{
	uint64_t size = eris_reader_size(r), off = 0;
	eris_error err;
	size_t got;

	while (off < size) {
		size_t n = size - off < psize ? (size_t)(size - off) : psize;
		memset(&err, 0, sizeof err);
		int rc = eris_reader_pread(r, piece, n, off, &got, &err);
		if (rc != 0)
			return rc;
		CHECK(got == n);
		if (want)
			CHECK(memcmp(piece, want + off, n) == 0);
		off += n;
	}
	return 0;
}

static void spot_reads(eris_reader *r, const uint8_t *want, uint8_t *piece, uint64_t *seed,
		       const eris_cap *cap)
{
	uint64_t size = eris_reader_size(r);
	eris_error err;
	size_t got;
	int rc;

	for (int i = 0; i < SPOT_READS; i++) {
		uint64_t off;
		size_t len = (size_t)(next_rand(seed) % MAX_PIECE);
		switch (i) {
		case 0: off = 0; break;
		case 1: off = size; break;
		case 2: off = size > 0 ? size - 1 : 0; break;
		case 3: /* past the end (when there is a past) */
			off = size + 1 + next_rand(seed) % 4096;
			if (off <= size)
				off = UINT64_MAX;
			break;
		default:
			off = next_rand(seed);
			if (size < UINT64_MAX)
				off %= size + 1;
			break;
		}
		memset(&err, 0, sizeof err);
		rc = eris_reader_pread(r, piece, len, off, &got, &err);
		if (off > size) {
			CHECK(rc == ERIS_E_RANGE && got == 0);
			continue;
		}
		if (rc != 0) {
			check_error(&err, rc, cap);
			CHECK(got == 0);
			continue;
		}
		CHECK(got == (len < size - off ? len : size - off));
		if (want)
			CHECK(memcmp(piece, want + off, got) == 0);
	}
	memset(&err, 0, sizeof err);
	CHECK(eris_reader_pread(r, piece, 1, UINT64_MAX, &got, &err) == ERIS_E_RANGE);
}

/* Runs the decoder, the verifier and the reader on `cap` and checks that they
 * agree with each other and with `ex`. */
static void check_decoders(const eris_cap *cap, struct source *src, const struct expect *ex,
			   uint64_t seed)
{
	struct sink out = {NULL, 0, 0, 0};
	eris_reader *r = NULL;
	eris_error err;
	uint8_t *piece = NULL;
	const uint8_t *want = NULL;
	uint64_t total = 0, blocks = 0, ref_size = 0;
	size_t psize = 512 + (size_t)(next_rand(&seed) % (MAX_PIECE - 512));
	int rc_d, rc_v, rc_s, rc_o, rc_r, exhausted = 0;

	piece = malloc(MAX_PIECE);
	if (!piece)
		goto out;

	/* 1. the streaming decoder */
	source_reset(src);
	memset(&err, 0, sizeof err);
	rc_d = eris_decode(cap, src_get, src, sink_write, &out, &total, &err);
	exhausted |= src->exhausted || out.overflow;
	if (rc_d != 0) {
		check_error(&err, rc_d, cap);
	} else {
		CHECK(total == out.len);
		if (ex->have)
			CHECK(total == ex->len && (total == 0 || memcmp(out.buf, ex->data, total) == 0));
	}
	if (ex->must_succeed && !exhausted)
		CHECK(rc_d == 0);

	/* 2. the verifier: same walk, same verdict */
	source_reset(src);
	memset(&err, 0, sizeof err);
	rc_v = eris_verify(cap, src_get, src, &blocks, &err);
	exhausted |= src->exhausted;
	if (rc_v != 0)
		check_error(&err, rc_v, cap);
	if (!exhausted)
		CHECK((rc_d == 0) == (rc_v == 0));
	if (rc_d == 0 && rc_v == 0)
		check_shape(cap, total, blocks);

	/* What reads must return: the known content, else what decoding gave. */
	if (ex->have)
		want = ex->data;
	else if (rc_d == 0)
		want = out.buf;

	/* 3. the content length, by a walk of our own (overflow-checked) */
	source_reset(src);
	rc_s = reference_size(cap, src, &ref_size);
	if (src->exhausted)
		rc_s = ERIS_E_IO;
	if (rc_d == 0 && !exhausted && (ex->deterministic || rc_s == 0))
		CHECK(rc_s == 0 && ref_size == total);

	/* 4. the random-access reader */
	source_reset(src);
	memset(&err, 0, sizeof err);
	rc_o = eris_reader_open(&r, cap, src_get, src, &err);
#ifdef FUZZ_TRACE
	fprintf(stderr, "trace: bs %u level %u: decode %d (%llu bytes%s), verify %d (%llu blocks), "
		"open %d%s%s\n", cap->block_size, cap->level, rc_d, (unsigned long long)total,
		exhausted ? ", budget exhausted" : "", rc_v, (unsigned long long)blocks, rc_o,
		rc_o ? ": " : "", rc_o ? err.msg : "");
#endif
	if (src->exhausted)
		goto out;
	if (rc_o != 0) {
		check_error(&err, rc_o, cap);
		CHECK(r == NULL);
		if (ex->deterministic && rc_s == 0)
			CHECK(0); /* the path to the last leaf is valid: opening must work */
		if (ex->deterministic && !exhausted)
			CHECK(rc_d != 0);
		goto out;
	}
	CHECK(r != NULL);
#ifdef FUZZ_TRACE
	fprintf(stderr, "trace: reader size %llu, reference walk %d (%llu)\n",
		(unsigned long long)eris_reader_size(r), rc_s, (unsigned long long)ref_size);
#endif
	/* the reader's length is the real one: never a wrapped 64-bit value */
	if (rc_s >= 0 || ex->deterministic)
		CHECK(rc_s == 0 && eris_reader_size(r) == ref_size);
	if (ex->have)
		CHECK(eris_reader_size(r) == ex->len);
	if (rc_d == 0)
		CHECK(eris_reader_size(r) == total);
	spot_reads(r, want, piece, &seed, cap);
	if (!ex->deterministic || exhausted)
		goto out;
	/* The whole content, through a fresh budget: every block the decoder
	 * checked, checked again by the reader. */
	source_reset(src);
	rc_r = read_all(r, piece, psize, want);
	if (src->exhausted)
		goto out;
	CHECK((rc_r == 0) == (rc_d == 0));
out:
	eris_reader_free(r);
	free(piece);
	free(out.buf);
}

/* ---- RAW and FIXED: the input is the blocks ------------------------------ */

static void run_raw(struct cursor *c, uint32_t bs, int fixed, unsigned knobs)
{
	static const uint8_t null_secret[ERIS_SECRET_SIZE];
	store *st = NULL;
	uint8_t *block = NULL, *answer = NULL;
	eris_cap cap;
	eris_error err;
	struct source src;
	struct expect ex = {NULL, 0, 0, 0, 1};
	uint8_t b1 = take_u8(c);
	size_t nchunks = (c->n + bs - 1) / bs, answer_len = 0;
	size_t pick = nchunks ? (size_t)(b1 >> 2) % nchunks : 0;
	int extend = knobs & 1, root_plain = knobs & 2;

	memset(&cap, 0, sizeof cap);
	memset(&src, 0, sizeof src);
	cap.block_size = bs;
	cap.level = b1 & 3;
	if (store_open(&st, "mem:", STORE_CREATE, &err) != 0)
		goto out;
	block = malloc(bs);
	answer = malloc(bs);
	if (!block || !answer)
		goto out;
	for (size_t i = 0; i < nchunks; i++) {
		uint8_t ref[ERIS_REF_SIZE], key[ERIS_KEY_SIZE];
		size_t got, blen;
		const uint8_t *p = take(c, bs, &got);

		memset(block, 0, bs);
		memcpy(block, p, got);
		blen = extend ? bs : got;
		if (i == 0 && root_plain) {
			/* real encryption: the root passes its hash and key checks */
			if (cap.level == 0)
				eris_encrypt_leaf(block, block, bs, null_secret, ref, key);
			else
				eris_encrypt_node(block, block, bs, cap.level, ref, key);
			blen = bs;
			memcpy(cap.key, key, ERIS_KEY_SIZE);
		} else {
			crypto_generichash(ref, sizeof ref, block, blen, NULL, 0);
		}
		if (i == 0)
			memcpy(cap.ref, ref, ERIS_REF_SIZE);
		if (i == 1 && !root_plain)
			memcpy(cap.key, block, ERIS_KEY_SIZE);
		if (i == pick) {
			memcpy(answer, block, blen);
			answer_len = blen;
		}
		CHECK(store_eris_put(st, ref, block, blen) == 0);
	}
	src.st = st;
	if (fixed && nchunks > 0) {
		src.use_fixed = 1;
		src.fixed = answer;
		src.fixed_len = answer_len;
	}
	check_decoders(&cap, &src, &ex, nchunks * 0x9E3779B97F4A7C15ULL + b1 + 1);
out:
	free(answer);
	free(block);
	store_close(st);
}

/* ---- ENCODE: a real tree, damaged once ----------------------------------- */

struct recorder {
	store *st;
	uint8_t *refs; /* the first MAX_REFS references put */
	size_t nrefs;
	size_t nputs;
};

static int rec_put(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs)
{
	struct recorder *rc = ctx;

	rc->nputs++;
	if (rc->nrefs < MAX_REFS) {
		memcpy(rc->refs + rc->nrefs * ERIS_REF_SIZE, ref, ERIS_REF_SIZE);
		rc->nrefs++;
	}
	return store_eris_put(rc->st, ref, block, bs);
}

/* The streaming encoder's sink: counts blocks, and refuses block number
 * fail_at when `fail` is set. */
struct put_count {
	size_t n;
	size_t fail_at;
	int fail;
};

static int count_put(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block,
		     size_t bs)
{
	struct put_count *pc = ctx;

	(void)ref;
	(void)block;
	(void)bs;
	if (pc->fail && pc->n == pc->fail_at)
		return -1;
	pc->n++;
	return 0;
}

/* Fills out[0..len) with copies of p[0..n), the first byte of the r-th copy
 * shifted by r so that the copies (and so the blocks) differ; without a
 * payload, zeros marked every 251 bytes. */
static void stretch(uint8_t *out, size_t len, const uint8_t *p, size_t n)
{
	size_t r = 0;

	if (n == 0) {
		memset(out, 0, len);
		for (size_t at = 0; at < len; at += 251)
			out[at] = (uint8_t)(++r);
		return;
	}
	for (size_t at = 0; at < len; at += n, r++) {
		size_t k = n < len - at ? n : len - at;
		memcpy(out + at, p, k);
		out[at] = (uint8_t)(out[at] + r * 0x9D);
	}
}

/* Fills out[0..len) with copies of p[0..n), n > 0, by doubling. */
static void repeat(uint8_t *out, size_t len, const uint8_t *p, size_t n)
{
	size_t have = n < len ? n : len;

	memcpy(out, p, have);
	while (have < len) {
		size_t k = have < len - have ? have : len - have;
		memcpy(out + have, out, k);
		have += k;
	}
}

static int canonical_level(uint64_t len, uint32_t bs)
{
	uint64_t n = len / bs + 1;
	int level = 0;

	while (n > 1) {
		n = (n + bs / 64 - 1) / (bs / 64);
		level++;
	}
	return level;
}

/* Encodes `content` again with a streaming encoder fed in uneven pieces; the
 * capability must be the same as the one-shot encoding's. One time in four
 * the sink refuses a block: the encoder must then fail with ERIS_E_IO and
 * refuse any further use with ERIS_E_ARG. */
static void check_streaming(const uint8_t *content, size_t len, uint32_t bs, const uint8_t *secret,
			    int threads, const eris_cap *want, size_t puts_want, uint64_t seed)
{
	eris_encoder *enc = NULL;
	struct put_count pc = {0, 0, 0};
	eris_cap cap;
	eris_error err;
	size_t off = 0;
	int rc = 0;

	memset(&err, 0, sizeof err);
	if (next_rand(&seed) % 4 == 0) {
		pc.fail = 1;
		pc.fail_at = (size_t)(next_rand(&seed) % (puts_want + 1));
	}
	if (eris_encoder_new(&enc, bs, secret, threads, count_put, &pc) != 0)
		goto out;
	while (off < len && rc == 0) {
		size_t piece = 1 + (size_t)(next_rand(&seed) % (3 * (uint64_t)bs));
		if (piece > len - off)
			piece = len - off;
		rc = eris_encoder_update(enc, content + off, piece, &err);
		off += piece;
	}
	if (rc == 0)
		rc = eris_encoder_update(enc, content, 0, &err);
	if (rc == 0) {
		CHECK(eris_encoder_bytes(enc) == len);
		rc = eris_encoder_final(enc, &cap, &err);
	}
	if (pc.fail && pc.fail_at < puts_want) {
		CHECK(rc == ERIS_E_IO && err.code == ERIS_E_IO);
		CHECK(pc.n == pc.fail_at);
		CHECK(eris_encoder_update(enc, content, len, &err) == ERIS_E_ARG);
		CHECK(eris_encoder_final(enc, &cap, &err) == ERIS_E_ARG);
		goto out;
	}
	CHECK(rc == 0);
	CHECK(cap_equal(&cap, want));
	CHECK(pc.n == puts_want);
out:
	eris_encoder_free(enc);
}

static void run_encode(struct cursor *c, uint32_t bs, unsigned knobs)
{
	store *st = NULL;
	uint8_t *content = NULL, secret[ERIS_SECRET_SIZE];
	struct recorder rec = {NULL, NULL, 0, 0};
	struct source src;
	struct expect ex = {NULL, 0, 1, 0, 0};
	eris_cap cap, bad;
	eris_error err;
	unsigned target = take_u16(c);
	uint8_t flags = take_u8(c);
	unsigned fault_at = take_u16(c);
	uint8_t fault_param = take_u8(c);
	unsigned fault_off = take_u16(c);
	uint8_t mut = take_u8(c), mut_param = take_u8(c);
	uint64_t seed = take_u16(c) + 1;
	size_t plen, len, max = bs == ERIS_BLOCK_1K ? MAX_CONTENT_1K : MAX_CONTENT_32K;
	const uint8_t *payload = take(c, c->n, &plen);
	int use_secret = knobs & 1;

	memset(&src, 0, sizeof src);
	memset(&err, 0, sizeof err);
	len = target ? (size_t)target * 8 : plen;
	if (len > max)
		len = max;
	content = malloc(len ? len : 1);
	rec.refs = malloc((size_t)MAX_REFS * ERIS_REF_SIZE);
	if (!content || !rec.refs)
		goto out;
	stretch(content, len, payload, plen);
	memset(secret, mut_param ^ 0x5A, sizeof secret);
	if (store_open(&st, "mem:", STORE_CREATE, &err) != 0)
		goto out;
	rec.st = st;
	CHECK(eris_encode(content, len, bs, use_secret ? secret : NULL, rec_put, &rec, &cap, &err) ==
	      0);
	CHECK(cap.block_size == bs);
	CHECK(cap.level == canonical_level(len, bs));
	if (flags & 0x80)
		check_streaming(content, len, bs, use_secret ? secret : NULL,
				1 + (flags >> 4 & 3) % 3, &cap, rec.nputs, seed);

	src.st = st;
	src.verified = (flags >> 6) & 1;
	src.fault = flags & 7;
	src.fault_sticky = (flags >> 3) & 1;
	src.fault_at = fault_at;
	src.fault_param = fault_param;
	src.fault_off = fault_off;
	src.refs = rec.refs;
	src.nrefs = rec.nrefs;

	bad = cap;
	switch (mut & 7) {
	case CAP_KEEP: break;
	case CAP_LEVEL_UP: bad.level++; break;
	case CAP_LEVEL_DOWN: bad.level--; break;
	case CAP_KEY: bad.key[mut_param % ERIS_KEY_SIZE] ^= (uint8_t)(1u << (mut >> 5)); break;
	case CAP_REF: bad.ref[mut_param % ERIS_REF_SIZE] ^= (uint8_t)(1u << (mut >> 5)); break;
	case CAP_SIZE: bad.block_size = bs == ERIS_BLOCK_1K ? ERIS_BLOCK_32K : ERIS_BLOCK_1K; break;
	case CAP_LEVEL: bad.level = mut_param; break;
	case CAP_BS: bad.block_size = (uint32_t)mut_param << 8; break;
	}
	ex.data = content;
	ex.len = len;
	ex.deterministic = src.fault == FAULT_NONE;
	ex.must_succeed = ex.deterministic && cap_equal(&bad, &cap);
	/* A leaf's key cannot be checked (it is keyed with the convergence
	 * secret): with a damaged key or level naming a level-0 root, only the
	 * padding guards the content, and garbage that happens to end in
	 * 0x80 0x00* decodes. The spec accepts that; so do we. */
	if (bad.level == 0 && !cap_equal(&bad, &cap))
		ex.have = 0;
	check_decoders(&bad, &src, &ex, seed);
out:
	store_close(st);
	free(rec.refs);
	free(content);
}

/* ---- CRAFT: a tree from a description ------------------------------------ */

struct record {
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t key[ERIS_KEY_SIZE];
	uint8_t level;
};

enum { REC_LEAF = 0, REC_NODE = 1, REC_RAW_NODE = 2, REC_RAW_BLOCK = 3 };

/* Builds one record's block into `block` (at least bs bytes; `plain` is
 * scratch of the same size) and returns its length. */
static size_t build_record(uint8_t tag, const uint8_t *pl, size_t n, uint32_t bs,
			   const struct record *recs, size_t nrec, uint8_t *plain, uint8_t *block,
			   struct record *out)
{
	static const uint8_t null_secret[ERIS_SECRET_SIZE];
	unsigned arity = bs / 64;
	int kind = tag & 3, level = 1 + ((tag >> 4) & 7);

	if ((kind == REC_NODE || kind == REC_RAW_NODE) && (tag & 4))
		level += 8;
	memset(plain, 0, bs);
	memset(out, 0, sizeof *out);
	switch (kind) {
	case REC_LEAF: {
		size_t clen = n;
		if ((tag & 8) && n > 0) {
			repeat(plain, bs, pl, n);
			clen = bs;
		} else {
			memcpy(plain, pl, n);
		}
		if (tag & 4) {
			size_t at = clen < bs ? clen : bs - 1;
			memset(plain + at, 0, bs - at);
			plain[at] = 0x80;
		}
		eris_encrypt_leaf(plain, block, bs, null_secret, out->ref, out->key);
		return bs;
	}
	case REC_NODE: {
		size_t count = (tag & 8) ? (n ? arity : 0) : (n < arity ? n : arity);
		for (size_t i = 0; i < count; i++) {
			uint8_t ch = pl[i % n];
			if (ch == 0xFF || nrec == 0)
				continue;
			const struct record *r = &recs[ch % nrec];
			memcpy(plain + i * 64, r->ref, ERIS_REF_SIZE);
			memcpy(plain + i * 64 + ERIS_REF_SIZE, r->key, ERIS_KEY_SIZE);
		}
		eris_encrypt_node(plain, block, bs, level, out->ref, out->key);
		out->level = (uint8_t)level;
		return bs;
	}
	case REC_RAW_NODE:
		memcpy(plain, pl, n < bs ? n : bs);
		eris_encrypt_node(plain, block, bs, level, out->ref, out->key);
		out->level = (uint8_t)level;
		return bs;
	default: {
		size_t blen = (tag & 4) ? bs : n;
		memset(block, 0, bs);
		memcpy(block, pl, n < bs ? n : bs);
		crypto_generichash(out->ref, ERIS_REF_SIZE, block, blen, NULL, 0);
		out->level = (uint8_t)(level - 1);
		return blen;
	}
	}
}

static void run_craft(struct cursor *c, uint32_t bs)
{
	store *st = NULL;
	struct record *recs = NULL;
	uint8_t *plain = NULL, *block = NULL;
	struct source src;
	struct expect ex = {NULL, 0, 0, 0, 1};
	eris_cap cap;
	eris_error err;
	uint32_t other = bs == ERIS_BLOCK_1K ? ERIS_BLOCK_32K : ERIS_BLOCK_1K;
	uint8_t b1 = take_u8(c);
	size_t nrec = 0, built = 0;

	memset(&cap, 0, sizeof cap);
	memset(&src, 0, sizeof src);
	recs = calloc(MAX_RECORDS, sizeof *recs);
	plain = malloc(ERIS_BLOCK_MAX);
	block = malloc(ERIS_BLOCK_MAX);
	if (!recs || !plain || !block)
		goto out;
	if (store_open(&st, "mem:", STORE_CREATE, &err) != 0)
		goto out;
	while (c->n > 0 && nrec < MAX_RECORDS) {
		uint8_t tag = take_u8(c);
		size_t n;
		const uint8_t *pl = take(c, take_u8(c), &n);
		uint32_t rbs = (tag & 0x80) ? other : bs;
		if (built + rbs > MAX_RECORD_BYTES)
			break;
		built += rbs;
		size_t blen = build_record(tag, pl, n, rbs, recs, nrec, plain, block, &recs[nrec]);
		CHECK(store_eris_put(st, recs[nrec].ref, block, blen) == 0);
		nrec++;
	}
	cap.block_size = bs;
	if (nrec > 0) {
		const struct record *root = &recs[nrec - 1];
		memcpy(cap.ref, root->ref, ERIS_REF_SIZE);
		memcpy(cap.key, root->key, ERIS_KEY_SIZE);
		switch (b1 & 3) {
		case 0: cap.level = root->level; break;
		case 1: cap.level = (uint8_t)(root->level + 1); break;
		case 2: cap.level = (uint8_t)(root->level - 1); break;
		default: cap.level = b1 >> 2; break;
		}
	}
	src.st = st;
	check_decoders(&cap, &src, &ex, nrec * 0x9E3779B97F4A7C15ULL + b1 + 1);
out:
	store_close(st);
	free(block);
	free(plain);
	free(recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	uint8_t b0;
	uint32_t bs;

	if (size == 0 || sodium_init() < 0)
		return 0;
	b0 = take_u8(&c);
	bs = (b0 & 1) ? ERIS_BLOCK_32K : ERIS_BLOCK_1K;
	switch ((b0 >> 1) & 3) {
	case MODE_RAW: run_raw(&c, bs, 0, b0 >> 3); break;
	case MODE_ENCODE: run_encode(&c, bs, b0 >> 3); break;
	case MODE_CRAFT: run_craft(&c, bs); break;
	default: run_raw(&c, bs, 1, b0 >> 3); break;
	}
	return 0;
}
