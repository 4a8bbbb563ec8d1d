/*
 * test_vectors.c — the 25 official ERIS 1.0.0 test vectors.
 *
 * Positive vectors: encoding gives the exact URN, capability and block set
 * (single- and multi-threaded); the URN round-trips; streaming decode, verify
 * and the random-access reader give back the content.
 * Negative vectors: every way of decoding fails, with the error the vector
 * describes (missing block, hash, key, size, padding, node layout).
 */
#include "tap.h"
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct collect {
	struct tv_block *blocks;
	size_t n, cap;
};

static int collect_put(void *ctx, const uint8_t *ref, const uint8_t *block, size_t bs)
{
	struct collect *c = ctx;

	for (size_t i = 0; i < c->n; i++)
		if (memcmp(c->blocks[i].ref, ref, ERIS_REF_SIZE) == 0)
			return memcmp(c->blocks[i].data, block, bs) == 0 ? 0 : -1;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->blocks = realloc(c->blocks, c->cap * sizeof *c->blocks);
	}
	struct tv_block *b = &c->blocks[c->n++];
	memcpy(b->ref, ref, ERIS_REF_SIZE);
	b->data = malloc(bs);
	memcpy(b->data, block, bs);
	b->len = bs;
	return 0;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->blocks[i].data);
	free(c->blocks);
	memset(c, 0, sizeof *c);
}

/* The emitted block set equals the vector's map exactly. */
static int same_blocks(const struct collect *c, const struct tv *v)
{
	if (c->n != v->nblocks)
		return 0;
	for (size_t i = 0; i < v->nblocks; i++) {
		size_t k;
		for (k = 0; k < c->n; k++)
			if (memcmp(c->blocks[k].ref, v->blocks[i].ref, ERIS_REF_SIZE) == 0)
				break;
		if (k == c->n || c->blocks[k].len != v->blocks[i].len ||
		    memcmp(c->blocks[k].data, v->blocks[i].data, v->blocks[i].len) != 0)
			return 0;
	}
	return 1;
}

struct sink {
	uint8_t *buf;
	size_t len, cap;
};

static int sink_write(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;

	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void test_positive(struct tv *v)
{
	char urn[ERIS_URN_LEN + 1];
	eris_cap cap, parsed;
	eris_error err = {0};
	struct collect c = {0};
	struct sink out = {0};
	int threads[] = {1, 2, 3};

	for (size_t t = 0; t < 3; t++) {
		eris_encoder *enc = NULL;
		int rc = eris_encoder_new(&enc, v->block_size, v->secret, threads[t], collect_put, &c);
		if (rc == 0)
			rc = eris_encoder_update(enc, v->content, v->content_len, &err);
		if (rc == 0)
			rc = eris_encoder_final(enc, &cap, &err);
		eris_encoder_free(enc);
		if (!tap_ok(rc == 0, "%02d %s: encodes (%d threads)", v->id, v->name, threads[t])) {
			tap_diag("%s", err.msg);
			collect_free(&c);
			return;
		}
		tap_ok(eris_cap_to_urn(&cap, urn, sizeof urn) == 0 && strcmp(urn, v->urn) == 0,
		       "%02d: urn matches (%d threads)", v->id, threads[t]);
		tap_ok(memcmp(&cap, &v->cap, sizeof cap) == 0, "%02d: read capability matches",
		       v->id);
		tap_ok(same_blocks(&c, v), "%02d: exactly the vector's %zu blocks (got %zu)", v->id,
		       v->nblocks, c.n);
		collect_free(&c);
	}

	/* byte-at-a-time feeding gives the same capability */
	{
		eris_encoder *enc = NULL;
		eris_cap c1;
		int rc = eris_encoder_new(&enc, v->block_size, v->secret, 1, NULL, NULL);
		for (size_t i = 0; rc == 0 && i < v->content_len; i += 7) {
			size_t n = v->content_len - i < 7 ? v->content_len - i : 7;
			rc = eris_encoder_update(enc, v->content + i, n, &err);
		}
		if (rc == 0)
			rc = eris_encoder_final(enc, &c1, &err);
		eris_encoder_free(enc);
		tap_ok(rc == 0 && memcmp(&c1, &v->cap, sizeof c1) == 0,
		       "%02d: small pieces give the same capability", v->id);
	}

	tap_ok(eris_cap_from_urn(&parsed, v->urn, &err) == 0 &&
		       memcmp(&parsed, &v->cap, sizeof parsed) == 0,
	       "%02d: urn parses to the capability", v->id);

	uint64_t total = 0;
	int rc = eris_decode(&v->cap, tv_get, v, sink_write, &out, &total, &err);
	tap_ok(rc == 0 && out.len == v->content_len && total == v->content_len &&
		       memcmp(out.buf, v->content, out.len) == 0,
	       "%02d: decodes to the content", v->id);
	if (rc != 0)
		tap_diag("%s", err.msg);
	free(out.buf);

	uint64_t nb = 0;
	rc = eris_verify(&v->cap, tv_get, v, &nb, &err);
	tap_ok(rc == 0, "%02d: verifies (%llu blocks visited)", v->id, (unsigned long long)nb);

	eris_reader *r = NULL;
	rc = eris_reader_open(&r, &v->cap, tv_get, v, &err);
	if (tap_ok(rc == 0 && eris_reader_size(r) == v->content_len,
		   "%02d: reader opens, size %zu", v->id, v->content_len)) {
		uint8_t *buf = malloc(v->content_len + 1);
		size_t got = 0;
		int good = 1;
		/* whole content, then slices around block boundaries */
		rc = eris_reader_pread(r, buf, v->content_len + 1, 0, &got, &err);
		good = rc == 0 && got == v->content_len && memcmp(buf, v->content, got) == 0;
		for (uint64_t off = 0; good && off < v->content_len; off += v->block_size / 2 + 3) {
			size_t want = v->content_len - off < 1500 ? v->content_len - off : 1500;
			rc = eris_reader_pread(r, buf, 1500, off, &got, &err);
			good = rc == 0 && got == want && memcmp(buf, v->content + off, got) == 0;
		}
		tap_ok(good, "%02d: random-access reads equal slices", v->id);
		free(buf);
	} else {
		tap_diag("%s", err.msg);
	}
	eris_reader_free(r);
}

static int expected_error(int id)
{
	switch (id) {
	case 13: return ERIS_E_MISSING; /* no blocks */
	case 14: return ERIS_E_HASH;    /* single invalid block */
	case 15: return ERIS_E_MISSING; /* single missing block */
	case 16: return ERIS_E_HASH;    /* single corrupted block */
	case 17: return ERIS_E_KEY;     /* manipulated level */
	case 18: return ERIS_E_KEY;     /* manipulated key, several levels */
	case 19: return ERIS_E_PADDING; /* manipulated key, one level: only padding catches it */
	case 20: return ERIS_E_SIZE;    /* block size raised */
	case 21: return ERIS_E_SIZE;    /* block size lowered */
	case 22: return ERIS_E_PADDING; /* no padding */
	case 23: return ERIS_E_PADDING; /* invalid padding */
	case 24: return ERIS_E_NODE;    /* invalid internal node */
	default: return 1;
	}
}

static void test_negative(struct tv *v)
{
	eris_cap cap;
	eris_error err = {0};
	struct sink out = {0};
	int want = expected_error(v->id);
	int rc;

	rc = eris_cap_from_urn(&cap, v->urn, &err);
	tap_ok(rc == 0 && memcmp(&cap, &v->cap, sizeof cap) == 0, "%02d %s: urn parses", v->id,
	       v->name);
	rc = eris_decode(&v->cap, tv_get, v, sink_write, &out, NULL, &err);
	tap_ok(rc == want, "%02d: decoding fails with \"%s\" (got \"%s\": %s)", v->id,
	       eris_strerror(want), eris_strerror(rc), err.msg);
	free(out.buf);
	rc = eris_verify(&v->cap, tv_get, v, NULL, &err);
	tap_ok(rc == want, "%02d: verify fails with \"%s\" (got \"%s\")", v->id,
	       eris_strerror(want), eris_strerror(rc));
	eris_reader *r = NULL;
	rc = eris_reader_open(&r, &v->cap, tv_get, v, &err);
	if (rc == 0) {
		uint8_t buf[4096];
		size_t got;
		for (uint64_t off = 0; rc == 0 && off < eris_reader_size(r); off += sizeof buf)
			rc = eris_reader_pread(r, buf, sizeof buf, off, &got, &err);
	}
	eris_reader_free(r);
	tap_ok(rc == want, "%02d: random access fails with \"%s\" (got \"%s\")", v->id,
	       eris_strerror(want), eris_strerror(rc));
}

int main(void)
{
	char dir[4096];
	struct tv *v = NULL;
	int n, npos = 0, nneg = 0;

	snprintf(dir, sizeof dir, "%s/eris/test-vectors", tap_shared());
	n = tv_load_all(dir, &v);
	if (n < 0) {
		tap_skip("no test vectors", "%s is missing", dir);
		return tap_done();
	}
	tap_ok(n == 25, "25 test vectors in %s (found %d)", dir, n);
	for (int i = 0; i < n; i++) {
		if (v[i].positive) {
			test_positive(&v[i]);
			npos++;
		} else {
			test_negative(&v[i]);
			nneg++;
		}
	}
	tap_ok(npos == 13 && nneg == 12, "13 positive and 12 negative vectors ran");
	tv_free_all(v, n);
	return tap_done();
}
