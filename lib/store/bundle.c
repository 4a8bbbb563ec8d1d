/*
 * bundle.c — writing and reading ERIS block bundles (see bundle.h).
 *
 * Byte layout of what bundle_export writes (N = distinct capabilities; all
 * heads in their shortest form; "…" repeats per block):
 *
 *   offset      size   bytes                   meaning
 *   0           5      DA 65 72 69 73          tag 1701996915 ("eris")
 *   5           1-9    80+(1+N) / 98 xx / …    array of 1 + N items (definite)
 *   +0          1      BF                      map, indefinite length (streamed)
 *   …  +0       2      58 20                   byte string, 32 bytes: the key
 *   …  +2       32     reference               BLAKE2b-256 of the block
 *   …  +34      3      59 04 00 / 59 80 00     byte string, 1024 / 32768 bytes
 *   …  +37      bs     block                   the encrypted block
 *   +0          1      FF                      end of the map
 *   per cap +0  3      D9 01 14                tag 276
 *           +3  2      58 42                   byte string, 66 bytes
 *           +5  66     read capability         eris_cap_pack
 *
 * The map is indefinite because its size is known only once every tree has
 * been walked; the array is definite because the capabilities are known up
 * front. Blocks come in the order a depth-first, left-to-right walk of the
 * capabilities (in the order given) first meets them — the order eris_walk
 * would first hand them out — so equal inputs give equal bytes.
 *
 * What bundle_parse accepts is wider, as the format allows: an optional tag
 * 55799 first, definite or indefinite array and map, any well-formed argument
 * length in a head. It refuses indefinite (chunked) byte strings, tags other
 * than these three, any other item, duplicate keys, and bytes after the end.
 *
 * The parser is our own, not libcbor's: it needs five head shapes, the exact
 * offset of every item (for error messages and for the block index that pass
 * 2 uses), zero-copy pointers into the mapping and no allocation per item;
 * cbor_stream_decode would hand over the same heads through a callback table
 * and we would still need this state machine around it, and cbor_load builds
 * the whole tree in memory. libcbor is the independent oracle instead:
 * fuzz/fuzz_bundle.c checks that whatever we accept, cbor_load accepts too.
 *
 * Walking trees. Both export and bundle_check walk each capability's tree
 * depth first with the decoder's own checks (eris_fetch_node, eris_node_pairs
 * from eris_int.h; eris_unpad_len), but unlike eris_walk they do not descend
 * into a subtree they have already walked: a node is identified by (reference,
 * key, level, is-root, is-right-most), the things its checks depend on, and a
 * set of those makes the walk cost O(distinct nodes × arity) instead of
 * O(content length). A hostile 150-block bundle describing 2^58 bytes of
 * repeated content is checked in microseconds; eris_walk would never finish.
 * (If eris_visit_fn ever gets a "do not descend" answer, this walk can become
 * eris_walk plus the same set.) Leaves that are not right-most are only
 * looked up: bundle leaves were hashed by pass 1, store leaves are fetched
 * once through store_get, which verifies them.
 *
 * Memory: the block index is 52 bytes per block plus 8 bytes of hash table
 * (load <= 1/2); the walk sets are similar per distinct node; capabilities are
 * kept as offsets. All of it grows with what the input really contains, never
 * with a declared count, and the hash tables are keyed with SipHash under a
 * random key per table, so chosen references cannot make probes collide.
 */
#include "bundle.h"
#include "store_int.h"

#include "cbor/cbor_head.h"
#include "eris/eris_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum {
	MAJOR_UINT = 0,
	MAJOR_NINT = 1,
	MAJOR_BSTR = 2,
	MAJOR_TSTR = 3,
	MAJOR_ARRAY = 4,
	MAJOR_MAP = 5,
	MAJOR_TAG = 6,
	MAJOR_SIMPLE = 7,
	AI_INDEFINITE = 31,
	CBOR_BREAK = 0xFF,
	OUT_BUF = 64 << 10,
	COPY_BUF = 64 << 10,
	/* the set of walked nodes: ref, key, level, flags */
	NODE_KEY = ERIS_REF_SIZE + ERIS_KEY_SIZE + 2,
	NODE_ROOT = 1,
	NODE_RIGHT = 2,
};

const char *bundle_strerror(int code)
{
	return code == BUNDLE_E_FORMAT ? "not a well-formed bundle" : eris_strerror(code);
}

/* ---- a set of fixed-size keys with a payload ----------------------------- */

/* Entries live in insertion order in `ent` (esize bytes each, the key first);
 * `slots` is an open-addressing table of entry index + 1 (0 = empty). */
struct set {
	uint8_t *ent;
	size_t klen, esize;
	size_t n, alloc; /* entries used, allocated */
	uint32_t *slots;
	size_t nslots; /* a power of two, or 0 */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static void set_init(struct set *s, size_t klen, size_t esize)
{
	memset(s, 0, sizeof *s);
	s->klen = klen;
	s->esize = esize;
	randombytes_buf(s->hkey, sizeof s->hkey);
}

static void set_free(struct set *s)
{
	free(s->ent);
	free(s->slots);
	s->ent = NULL;
	s->slots = NULL;
}

static size_t set_slot(const struct set *s, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, s->klen, s->hkey);
	memcpy(&v, h, sizeof v);
	return (size_t)v & (s->nslots - 1);
}

static uint8_t *set_entry(const struct set *s, size_t i)
{
	return s->ent + i * s->esize;
}

/* The index of `key`, or SIZE_MAX. */
static size_t set_find(const struct set *s, const uint8_t *key)
{
	if (s->nslots == 0)
		return SIZE_MAX;
	for (size_t i = set_slot(s, key);; i = (i + 1) & (s->nslots - 1)) {
		uint32_t e = s->slots[i];
		if (e == 0)
			return SIZE_MAX;
		if (memcmp(set_entry(s, e - 1), key, s->klen) == 0)
			return e - 1;
	}
}

static int set_rehash(struct set *s, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof *slots);

	if (!slots)
		return ERIS_E_NOMEM;
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	for (size_t e = 0; e < s->n; e++) {
		size_t i = set_slot(s, set_entry(s, e));
		while (s->slots[i])
			i = (i + 1) & (nslots - 1);
		s->slots[i] = (uint32_t)(e + 1);
	}
	return 0;
}

/* Adds `key` (with a zeroed payload) unless present. *index gets its entry;
 * returns 1 when added, 0 when it was there, or ERIS_E_NOMEM. */
static int set_add(struct set *s, const uint8_t *key, size_t *index)
{
	size_t i, found = set_find(s, key);

	if (found != SIZE_MAX) {
		*index = found;
		return 0;
	}
	if (s->n >= UINT32_MAX - 1 || s->n >= SIZE_MAX / 4 / s->esize)
		return ERIS_E_NOMEM;
	if (s->n == s->alloc) {
		size_t alloc = s->alloc ? s->alloc * 2 : 64;
		uint8_t *ent = realloc(s->ent, alloc * s->esize);
		if (!ent)
			return ERIS_E_NOMEM;
		s->ent = ent;
		s->alloc = alloc;
	}
	if ((s->n + 1) * 2 > s->nslots && set_rehash(s, s->nslots ? s->nslots * 2 : 128) != 0)
		return ERIS_E_NOMEM;
	memset(set_entry(s, s->n), 0, s->esize);
	memcpy(set_entry(s, s->n), key, s->klen);
	for (i = set_slot(s, key); s->slots[i]; i = (i + 1) & (s->nslots - 1))
		;
	s->slots[i] = (uint32_t)(s->n + 1);
	*index = s->n++;
	return 1;
}

/* ---- the bundle ---------------------------------------------------------- */

/* A block index entry: ref, the offset (u64) and length (u32) of its bytes,
 * and the offset of its key's head (u64, for messages). */
enum {
	BLK_OFF = ERIS_REF_SIZE,
	BLK_LEN = BLK_OFF + 8,
	BLK_KEY_AT = BLK_LEN + 4,
	BLK_ESIZE = BLK_KEY_AT + 8,
};

struct bundle {
	const uint8_t *data;
	size_t len;
	struct set blocks;
	uint64_t *cap_off; /* offset of each capability's 66 bytes */
	size_t ncaps, caps_alloc;
};

static void blk_get(const bundle *b, size_t i, const uint8_t **block, size_t *len)
{
	const uint8_t *e = set_entry(&b->blocks, i);
	uint64_t off;
	uint32_t l;

	memcpy(&off, e + BLK_OFF, sizeof off);
	memcpy(&l, e + BLK_LEN, sizeof l);
	*block = b->data + off;
	*len = l;
}

size_t bundle_block_count(const bundle *b)
{
	return b->blocks.n;
}

size_t bundle_cap_count(const bundle *b)
{
	return b->ncaps;
}

void bundle_cap(const bundle *b, size_t i, eris_cap *cap)
{
	/* parsed once already: cannot fail */
	(void)!eris_cap_unpack(cap, b->data + b->cap_off[i], ERIS_CAP_SIZE, NULL);
}

int bundle_has(const bundle *b, const uint8_t ref[ERIS_REF_SIZE])
{
	return set_find(&b->blocks, ref) != SIZE_MAX;
}

void bundle_free(bundle *b)
{
	if (!b)
		return;
	set_free(&b->blocks);
	free(b->cap_off);
	free(b);
}

/* ---- pass 1: parsing ----------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	eris_error *err;
};

/* One CBOR head. */
struct head {
	size_t at; /* its offset */
	int major;
	int indefinite;
	uint64_t arg;
};

static const char *major_name(int major)
{
	static const char *const names[] = {"an unsigned integer",
					    "a negative integer",
					    "a byte string",
					    "a text string",
					    "an array",
					    "a map",
					    "a tag",
					    "a simple value or float"};
	return names[major & 7];
}

/* "a byte string of 12 bytes", "tag 24", ... for messages. */
static void describe(const struct head *h, char *out, size_t size)
{
	if (h->major == MAJOR_SIMPLE && h->indefinite)
		snprintf(out, size, "a break (0xff)");
	else if (h->major == MAJOR_TAG)
		snprintf(out, size, "tag %llu", (unsigned long long)h->arg);
	else if (h->indefinite)
		snprintf(out, size, "%s of indefinite length", major_name(h->major));
	else if (h->major == MAJOR_BSTR || h->major == MAJOR_TSTR)
		snprintf(out, size, "%s of %llu bytes", major_name(h->major),
			 (unsigned long long)h->arg);
	else if (h->major == MAJOR_ARRAY || h->major == MAJOR_MAP)
		snprintf(out, size, "%s of %llu items", major_name(h->major),
			 (unsigned long long)h->arg);
	else
		snprintf(out, size, "%s", major_name(h->major));
}

static int truncated(struct rd *r, size_t at, const char *what)
{
	return eris_error_set(r->err, BUNDLE_E_FORMAT,
			      "offset %zu: truncated in %s (the input ends at %zu bytes)", at, what,
			      r->len);
}

/* Reads one head at r->off. Refuses reserved additional information (28-30)
 * and indefinite length where CBOR has none (integers, tags). */
static int rd_head(struct rd *r, struct head *h, const char *what)
{
	struct cbor_head c;
	int n;

	h->at = r->off;
	h->indefinite = 0;
	h->arg = 0;
	n = cbor_head_get(r->p + r->off, r->len - r->off, &c);
	if (n == CBOR_HEAD_TRUNCATED)
		return truncated(r, r->off, what);
	h->major = (int)c.major;
	if (n < 0 || (c.indefinite && (c.major == MAJOR_UINT || c.major == MAJOR_NINT ||
				       c.major == MAJOR_TAG)))
		return eris_error_set(r->err, BUNDLE_E_FORMAT,
				      "offset %zu: malformed cbor (%sbyte 0x%02x) in %s", h->at,
				      n < 0 ? "reserved " : "", r->p[r->off], what);
	h->indefinite = c.indefinite;
	h->arg = c.arg;
	r->off += (size_t)n;
	return 0;
}

static int unexpected(struct rd *r, const struct head *h, const char *want)
{
	char got[96];

	describe(h, got, sizeof got);
	return eris_error_set(r->err, BUNDLE_E_FORMAT, "offset %zu: expected %s, found %s", h->at,
			      want, got);
}

/* A definite byte string of exactly `want` bytes (or, with want2 != 0, of
 * want2 bytes); *data points at its contents. */
static int rd_bstr(struct rd *r, size_t want, size_t want2, const char *what, const uint8_t **data,
		   size_t *len, struct head *h)
{
	int rc = rd_head(r, h, what);

	if (rc != 0)
		return rc;
	if (h->major != MAJOR_BSTR || h->indefinite)
		return unexpected(r, h, what);
	if (h->arg != want && (want2 == 0 || h->arg != want2)) {
		char got[96];
		describe(h, got, sizeof got);
		return eris_error_set(r->err, want2 ? ERIS_E_SIZE : BUNDLE_E_FORMAT,
				      "offset %zu: expected %s, found %s", h->at, what, got);
	}
	if (h->arg > r->len - r->off)
		return truncated(r, h->at, what);
	*data = r->p + r->off;
	*len = (size_t)h->arg;
	r->off += (size_t)h->arg;
	return 0;
}

/* 1 when the next byte is a break (consumed), 0 when not, or an error. */
static int rd_break(struct rd *r, const char *what)
{
	if (r->off >= r->len)
		return truncated(r, r->off, what);
	if (r->p[r->off] != CBOR_BREAK)
		return 0;
	r->off++;
	return 1;
}

static int parse_block(struct rd *r, bundle *b)
{
	static const char key_what[] = "a block's key (a byte string of 32 bytes)";
	static const char val_what[] = "a block (a byte string of 1024 or 32768 bytes)";
	struct head hk, hv;
	const uint8_t *ref, *block;
	size_t rlen, blen, index;
	uint8_t h[ERIS_REF_SIZE], *e;
	uint64_t off;
	uint32_t l;
	char name[ERIS_REF_B32_LEN + 1];
	int rc = rd_bstr(r, ERIS_REF_SIZE, 0, key_what, &ref, &rlen, &hk);

	if (rc == 0)
		rc = rd_bstr(r, ERIS_BLOCK_1K, ERIS_BLOCK_32K, val_what, &block, &blen, &hv);
	if (rc != 0)
		return rc;
	crypto_generichash(h, sizeof h, block, blen, NULL, 0);
	if (memcmp(h, ref, ERIS_REF_SIZE) != 0) { /* references are public */
		eris_ref_to_b32(ref, name);
		if (r->err) {
			r->err->has_ref = 1;
			memcpy(r->err->ref, ref, ERIS_REF_SIZE);
		}
		return eris_error_set(r->err, ERIS_E_HASH,
				      "offset %zu: block %s does not hash to its key", hk.at, name);
	}
	rc = set_add(&b->blocks, ref, &index);
	if (rc < 0)
		return eris_error_set(r->err, ERIS_E_NOMEM, "out of memory for the block index");
	e = set_entry(&b->blocks, index);
	if (rc == 0) {
		memcpy(&off, e + BLK_KEY_AT, sizeof off);
		eris_ref_to_b32(ref, name);
		return eris_error_set(r->err, BUNDLE_E_FORMAT,
				      "offset %zu: block %s appears twice (first at offset %llu)",
				      hk.at, name, (unsigned long long)off);
	}
	off = (uint64_t)(block - r->p);
	l = (uint32_t)blen;
	memcpy(e + BLK_OFF, &off, sizeof off);
	memcpy(e + BLK_LEN, &l, sizeof l);
	off = hk.at;
	memcpy(e + BLK_KEY_AT, &off, sizeof off);
	return 0;
}

static int parse_cap(struct rd *r, bundle *b)
{
	static const char cap_what[] = "a read capability (tag 276)";
	struct head h;
	const uint8_t *bin;
	size_t blen;
	eris_cap cap;
	eris_error why = {0};
	int rc = rd_head(r, &h, cap_what);

	if (rc != 0)
		return rc;
	if (h.major != MAJOR_TAG || h.arg != BUNDLE_TAG_CAP)
		return unexpected(r, &h, cap_what);
	rc = rd_bstr(r, ERIS_CAP_SIZE, 0, "a read capability (a byte string of 66 bytes)", &bin,
		     &blen, &h);
	if (rc != 0)
		return rc;
	if (eris_cap_unpack(&cap, bin, blen, &why) != 0)
		return eris_error_set(r->err, ERIS_E_CAP, "offset %zu: %s", h.at, why.msg);
	if (b->ncaps == b->caps_alloc) {
		size_t alloc = b->caps_alloc ? b->caps_alloc * 2 : 16;
		uint64_t *p =
		    alloc < SIZE_MAX / sizeof *p ? realloc(b->cap_off, alloc * sizeof *p) : NULL;
		if (!p)
			return eris_error_set(r->err, ERIS_E_NOMEM,
					      "out of memory for capabilities");
		b->cap_off = p;
		b->caps_alloc = alloc;
	}
	b->cap_off[b->ncaps++] = (uint64_t)(bin - r->p);
	return 0;
}

static int parse(struct rd *r, bundle *b)
{
	struct head h, arr, map;
	uint64_t i;
	int rc;

	if (r->len == 0)
		return eris_error_set(r->err, BUNDLE_E_FORMAT, "empty input: not an eris bundle");
	rc = rd_head(r, &h, "the bundle's tag");
	if (rc == 0 && h.major == MAJOR_TAG && h.arg == BUNDLE_TAG_SELF_DESCRIBED)
		rc = rd_head(r, &h, "the bundle's tag");
	if (rc != 0)
		return rc;
	if (h.major != MAJOR_TAG || h.arg != BUNDLE_TAG_ERIS)
		return unexpected(r, &h, "tag 1701996915 (an eris bundle)");
	rc = rd_head(r, &arr, "the bundle's array");
	if (rc != 0)
		return rc;
	if (arr.major != MAJOR_ARRAY)
		return unexpected(r, &arr, "an array [blocks, capabilities...]");
	if (!arr.indefinite && arr.arg == 0)
		return eris_error_set(r->err, BUNDLE_E_FORMAT,
				      "offset %zu: the bundle's array is empty (no block map)",
				      arr.at);
	if (arr.indefinite && (rc = rd_break(r, "the bundle's array")) != 0)
		return rc < 0
			   ? rc
			   : eris_error_set(
				 r->err, BUNDLE_E_FORMAT,
				 "offset %zu: the bundle's array is empty (no block map)", arr.at);
	rc = rd_head(r, &map, "the block map");
	if (rc != 0)
		return rc;
	if (map.major != MAJOR_MAP)
		return unexpected(r, &map, "the block map");
	/* Each round consumes at least 1059 bytes or fails: a huge declared
	 * count just ends in "truncated". */
	for (i = 0; map.indefinite || i < map.arg; i++) {
		if (map.indefinite && (rc = rd_break(r, "the block map")) != 0) {
			if (rc < 0)
				return rc;
			break;
		}
		if ((rc = parse_block(r, b)) != 0)
			return rc;
	}
	for (i = 1; arr.indefinite || i < arr.arg; i++) {
		if (arr.indefinite && (rc = rd_break(r, "the bundle's array")) != 0) {
			if (rc < 0)
				return rc;
			break;
		}
		if ((rc = parse_cap(r, b)) != 0)
			return rc;
	}
	if (r->off != r->len)
		return eris_error_set(r->err, BUNDLE_E_FORMAT,
				      "offset %zu: %zu bytes of trailing data after the bundle",
				      r->off, r->len - r->off);
	return 0;
}

int bundle_parse(bundle **out, const uint8_t *data, size_t len, eris_error *err)
{
	struct rd r = {data, len, 0, err};
	bundle *b = NULL;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return eris_error_set(err, ERIS_E_ARG, "libsodium failed to initialise");
	if (!data && len)
		return eris_error_set(err, ERIS_E_ARG, "no data");
	b = calloc(1, sizeof *b);
	if (!b)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	b->data = data;
	b->len = len;
	set_init(&b->blocks, ERIS_REF_SIZE, BLK_ESIZE);
	rc = parse(&r, b);
	if (rc != 0) {
		bundle_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* ---- walking trees ------------------------------------------------------- */

/* Called once per distinct block, when the walk first meets it. */
typedef int (*walk_visit_fn)(void *ctx, const uint8_t *ref, const uint8_t *block, size_t len);

struct walker {
	const bundle *b;     /* blocks from here first, already hashed (NULL: none) */
	store *s;	     /* then from here, verified on the way (NULL: none) */
	struct set seen;     /* ref → u32 length: blocks met and verified */
	struct set nodes;    /* node keys (see node_key) whose subtree was walked */
	walk_visit_fn visit; /* NULL: check only */
	void *visit_ctx;
	const uint8_t *last; /* bytes of the last block fetched through walker_get */
	uint8_t *buf;	     /* ERIS_BLOCK_MAX bytes for leaves read from the store */
};

static int walker_init(struct walker *w, const bundle *b, store *s, walk_visit_fn visit, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->s = s;
	w->visit = visit;
	w->visit_ctx = ctx;
	set_init(&w->seen, ERIS_REF_SIZE, ERIS_REF_SIZE + 4);
	set_init(&w->nodes, NODE_KEY, NODE_KEY);
	w->buf = malloc(ERIS_BLOCK_MAX);
	return w->buf ? 0 : ERIS_E_NOMEM;
}

static void walker_free(struct walker *w)
{
	set_free(&w->seen);
	set_free(&w->nodes);
	free(w->buf);
	w->buf = NULL;
}

/* The eris_get_fn the node checks read through. */
static int walker_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		      const uint8_t **block, size_t *len, eris_error *err)
{
	struct walker *w = ctx;
	size_t i = w->b ? set_find(&w->b->blocks, ref) : SIZE_MAX;
	int rc;

	w->last = NULL;
	if (i != SIZE_MAX) {
		blk_get(w->b, i, block, len);
		w->last = *block;
		return 0;
	}
	if (!w->s)
		return ERIS_E_MISSING;
	rc = store_eris_get(w->s, ref, buf, size, block, len, err);
	if (rc == 0)
		w->last = *block;
	return rc;
}

/* Records a verified block; hands it to the visitor the first time. */
static int met(struct walker *w, const uint8_t *ref, const uint8_t *block, size_t len,
	       eris_error *err)
{
	size_t i;
	uint32_t l = (uint32_t)len;
	int rc;

	/* checking only: bundle blocks need no record, the index has them */
	if (!w->visit && w->b && block >= w->b->data && block < w->b->data + w->b->len)
		return 0;
	rc = set_add(&w->seen, ref, &i);
	if (rc < 0)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	if (rc == 0)
		return 0;
	memcpy(set_entry(&w->seen, i) + ERIS_REF_SIZE, &l, sizeof l);
	if (w->visit && w->visit(w->visit_ctx, ref, block, len) != 0)
		return eris_error_set(err, ERIS_E_IO, "cannot write the bundle");
	return 0;
}

static const char *pos_str(eris_pos pos, char *out, size_t size)
{
	snprintf(out, size, "level %d, node %llu", pos.level, (unsigned long long)pos.index);
	return out;
}

/* A leaf that is not the last: present, verified, of the tree's block size.
 * Its bytes are needed only by the visitor, and only the first time. */
static int check_leaf(struct walker *w, const uint8_t *ref, uint32_t bs, eris_pos pos,
		      eris_error *err)
{
	char name[ERIS_REF_B32_LEN + 1], where[64];
	const uint8_t *block = NULL;
	size_t i = set_find(&w->seen, ref), len = 0;
	uint32_t l;
	int rc;

	if (i != SIZE_MAX) {
		memcpy(&l, set_entry(&w->seen, i) + ERIS_REF_SIZE, sizeof l);
		len = l;
	} else if (w->b && (i = set_find(&w->b->blocks, ref)) != SIZE_MAX) {
		blk_get(w->b, i, &block, &len); /* hashed by pass 1 */
	} else if (!w->s) {
		rc = ERIS_E_MISSING;
		goto missing;
	} else {
		eris_error why = {0};
		rc = store_get(w->s, ref, w->buf, ERIS_BLOCK_MAX, &len, &why);
		if (rc == ERIS_E_MISSING)
			goto missing;
		if (rc != 0) {
			eris_error_at(err, ref, pos);
			return eris_error_set(err, rc, "%s (%s)",
					      why.msg[0] ? why.msg : eris_strerror(rc),
					      pos_str(pos, where, sizeof where));
		}
		block = w->buf;
	}
	if (len != bs) {
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_SIZE,
				      "block %s (%s) is %zu bytes, the capability says %u", name,
				      pos_str(pos, where, sizeof where), len, bs);
	}
	return block ? met(w, ref, block, len, err) : 0;
missing:
	eris_ref_to_b32(ref, name);
	eris_error_at(err, ref, pos);
	return eris_error_set(err, ERIS_E_MISSING, "missing block %s (%s)", name,
			      pos_str(pos, where, sizeof where));
}

/* The last leaf: fetched, verified, decrypted and its padding checked. */
static int check_last_leaf(struct walker *w, const uint8_t *ref, const uint8_t *key, uint32_t bs,
			   eris_pos pos, uint8_t *plain, uint8_t *scratch, eris_error *err)
{
	char name[ERIS_REF_B32_LEN + 1];
	size_t len;
	int rc = eris_fetch_node(walker_get, w, ref, key, pos, bs, plain, scratch, 1, 0, err);

	if (rc == 0)
		rc = met(w, ref, w->last, bs, err);
	if (rc == 0 && eris_unpad_len(plain, bs, &len) != 0) {
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		rc = eris_error_set(err, ERIS_E_PADDING,
				    "last block %s (node %llu) is not padded correctly (wrong key, "
				    "or not eris content)",
				    name, (unsigned long long)pos.index);
	}
	return rc;
}

static void node_key(uint8_t out[NODE_KEY], const uint8_t *ref, const uint8_t *key, int level,
		     int flags)
{
	memcpy(out, ref, ERIS_REF_SIZE);
	memcpy(out + ERIS_REF_SIZE, key, ERIS_KEY_SIZE);
	out[2 * ERIS_REF_SIZE] = (uint8_t)level;
	out[2 * ERIS_REF_SIZE + 1] = (uint8_t)flags;
}

/* 1 when the node was walked already (then nothing to do), 0 when it is new
 * (now recorded), or an error. */
static int node_seen(struct walker *w, const uint8_t *ref, const uint8_t *key, int level, int flags,
		     eris_error *err)
{
	uint8_t k[NODE_KEY];
	size_t i;
	int rc;

	node_key(k, ref, key, level, flags);
	rc = set_add(&w->nodes, k, &i);
	if (rc < 0)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	return rc == 0;
}

struct frame {
	unsigned next, count;
	int rightmost;
	uint64_t index;
};

/* Walks one tree with eris_verify's checks, descending into each distinct
 * node once (see the top comment). */
static int walk_cap(struct walker *w, const eris_cap *cap, eris_error *err)
{
	uint32_t bs = cap->block_size;
	unsigned arity = bs / ERIS_PAIR_SIZE;
	int top = cap->level, l, rc;
	struct frame fr[ERIS_MAX_LEVEL + 1];
	uint8_t *mem = NULL, *scratch, *node[ERIS_MAX_LEVEL + 1];
	eris_pos pos = {top, 0};

	if ((rc = eris_decoder_start(cap, err)) != 0)
		return rc;
	rc = node_seen(w, cap->ref, cap->key, top, NODE_ROOT | NODE_RIGHT, err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mem = malloc((size_t)(top + 2) * bs);
	if (!mem)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	scratch = mem + (size_t)(top + 1) * bs;
	for (l = 0; l <= top; l++)
		node[l] = mem + (size_t)l * bs;

	if (top == 0) {
		rc = check_last_leaf(w, cap->ref, cap->key, bs, pos, node[0], scratch, err);
		goto out;
	}
	rc = eris_fetch_node(walker_get, w, cap->ref, cap->key, pos, bs, node[top], scratch, 1, 1,
			     err);
	if (rc == 0)
		rc = met(w, cap->ref, w->last, bs, err);
	if (rc == 0)
		rc = eris_node_pairs(node[top], bs, pos, cap->ref, 0, 2, &fr[top].count, err);
	if (rc != 0)
		goto out;
	fr[top].next = 0;
	fr[top].rightmost = 1;
	fr[top].index = 0;

	l = top;
	while (l <= top) {
		struct frame *f = &fr[l];
		if (f->next == f->count) {
			l++;
			continue;
		}
		const uint8_t *pair = node[l] + (size_t)f->next * ERIS_PAIR_SIZE;
		const uint8_t *key = pair + ERIS_REF_SIZE;
		int last = f->rightmost && f->next + 1 == f->count;
		eris_pos cpos = {l - 1, f->index * arity + f->next};
		f->next++;
		if (l == 1) {
			rc = last ? check_last_leaf(w, pair, key, bs, cpos, node[0], scratch, err)
				  : check_leaf(w, pair, bs, cpos, err);
			if (rc != 0)
				goto out;
			continue;
		}
		rc = node_seen(w, pair, key, l - 1, last ? NODE_RIGHT : 0, err);
		if (rc < 0)
			goto out;
		if (rc == 1)
			continue;
		rc = eris_fetch_node(walker_get, w, pair, key, cpos, bs, node[l - 1], scratch, 1, 0,
				     err);
		if (rc == 0)
			rc = met(w, pair, w->last, bs, err);
		if (rc != 0)
			goto out;
		l--;
		rc = eris_node_pairs(node[l], bs, cpos, pair, !last, 1, &fr[l].count, err);
		if (rc != 0)
			goto out;
		fr[l].next = 0;
		fr[l].rightmost = last;
		fr[l].index = cpos.index;
	}
	rc = 0;
out:
	sodium_memzero(mem, (size_t)(top + 2) * bs);
	free(mem);
	return rc;
}

int bundle_check(bundle *b, store *fallback, size_t *bad_cap, eris_error *err)
{
	struct walker w;
	int rc = walker_init(&w, b, fallback, NULL, NULL);

	if (rc != 0) {
		rc = eris_error_set(err, rc, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b->ncaps; i++) {
		eris_cap cap;
		bundle_cap(b, i, &cap);
		if (err)
			err->msg[0] = '\0';
		rc = walk_cap(&w, &cap, err);
		if (rc != 0) {
			if (bad_cap)
				*bad_cap = i;
			goto out;
		}
	}
out:
	walker_free(&w);
	return rc;
}

/* ---- pass 2: storing ----------------------------------------------------- */

int bundle_store(bundle *b, store *dst, uint64_t *stored, eris_error *err)
{
	uint64_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < b->blocks.n && rc == 0; i++) {
		const uint8_t *block;
		size_t len;
		blk_get(b, i, &block, &len);
		rc = store_put(dst, set_entry(&b->blocks, i), block, len, err);
		if (rc == 0)
			n++;
	}
	if (rc == 0)
		rc = store_flush(dst, err);
	if (stored)
		*stored = n;
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

struct out {
	bundle_write_fn write;
	void *ctx;
	uint8_t *buf;
	size_t n;
	uint64_t total;
	int failed;
};

static int out_flush(struct out *o)
{
	if (o->failed)
		return -1;
	if (o->n && o->write(o->ctx, o->buf, o->n) != 0) {
		o->failed = 1;
		return -1;
	}
	o->n = 0;
	return 0;
}

static int out_bytes(struct out *o, const void *p, size_t len)
{
	if (o->failed)
		return -1;
	o->total += len;
	if (len > OUT_BUF - o->n && out_flush(o) != 0)
		return -1;
	if (len >= OUT_BUF) {
		if (o->write(o->ctx, p, len) != 0) {
			o->failed = 1;
			return -1;
		}
		return 0;
	}
	memcpy(o->buf + o->n, p, len);
	o->n += len;
	return 0;
}

/* A head in its shortest form. */
static int out_head(struct out *o, int major, uint64_t arg)
{
	uint8_t h[CBOR_HEAD_MAX];
	return out_bytes(o, h, cbor_head_put(h, (unsigned)major, arg));
}

static int export_visit(void *ctx, const uint8_t *ref, const uint8_t *block, size_t len)
{
	struct out *o = ctx;

	if (out_head(o, MAJOR_BSTR, ERIS_REF_SIZE) != 0 || out_bytes(o, ref, ERIS_REF_SIZE) != 0 ||
	    out_head(o, MAJOR_BSTR, len) != 0 || out_bytes(o, block, len) != 0)
		return -1;
	return 0;
}

int bundle_write_fd(void *ctx, const void *data, size_t len)
{
	return store_io_write(*(int *)ctx, data, len);
}

int bundle_export(store *s, const eris_cap *caps, size_t ncaps, bundle_write_fn write, void *ctx,
		  bundle_stats *stats, eris_error *err)
{
	struct out o = {write, ctx, NULL, 0, 0, 0};
	struct walker w;
	struct set uniq;
	uint8_t bin[ERIS_CAP_SIZE];
	size_t idx;
	int rc;

	if (stats) {
		memset(stats, 0, sizeof *stats);
		stats->failed_cap = SIZE_MAX;
	}
	set_init(&uniq, ERIS_CAP_SIZE, ERIS_CAP_SIZE);
	rc = walker_init(&w, NULL, s, export_visit, &o);
	o.buf = malloc(OUT_BUF);
	if (rc != 0 || !o.buf) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ncaps; i++) {
		if ((rc = eris_decoder_start(&caps[i], err)) != 0) {
			if (stats)
				stats->failed_cap = i;
			goto out;
		}
		eris_cap_pack(&caps[i], bin);
		if (set_add(&uniq, bin, &idx) < 0) {
			rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
			goto out;
		}
	}
	/* tag, array of 1 + caps, start of an indefinite map */
	out_head(&o, MAJOR_TAG, BUNDLE_TAG_ERIS);
	out_head(&o, MAJOR_ARRAY, 1 + (uint64_t)uniq.n);
	out_bytes(&o, (const uint8_t[]){MAJOR_MAP << 5 | AI_INDEFINITE}, 1);
	for (size_t i = 0; i < ncaps && !o.failed; i++) {
		if (err)
			err->msg[0] = '\0';
		rc = walk_cap(&w, &caps[i], err);
		if (rc != 0 && !o.failed) {
			if (stats)
				stats->failed_cap = i;
			goto out;
		}
	}
	out_bytes(&o, (const uint8_t[]){CBOR_BREAK}, 1);
	for (size_t i = 0; i < uniq.n; i++) {
		out_head(&o, MAJOR_TAG, BUNDLE_TAG_CAP);
		out_head(&o, MAJOR_BSTR, ERIS_CAP_SIZE);
		out_bytes(&o, set_entry(&uniq, i), ERIS_CAP_SIZE);
	}
	rc = out_flush(&o) == 0 ? 0 : eris_error_set(err, ERIS_E_IO, "cannot write the bundle");
	if (stats) {
		stats->blocks = w.seen.n;
		stats->bytes = o.total;
		stats->caps = (uint32_t)uniq.n;
	}
out:
	if (o.failed)
		rc = eris_error_set(err, ERIS_E_IO, "cannot write the bundle");
	walker_free(&w);
	set_free(&uniq);
	free(o.buf);
	return rc;
}

/* ---- files --------------------------------------------------------------- */

/* Copies all of `in` to a fresh unlinked file in tmpdir; returns its fd. */
static int spool(int in, const char *tmpdir, eris_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	int fd = -1;

	fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* a file system without O_TMPFILE */
		if (snprintf(path, sizeof path, "%s/.sigil-bundle.XXXXXX", tmpdir) >=
		    (int)sizeof path) {
			eris_error_set(err, ERIS_E_IO, "%s: path too long", tmpdir);
			goto fail;
		}
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0) {
			eris_error_set(err, ERIS_E_IO, "%s: cannot create a temporary file: %s",
				       tmpdir, strerror(errno));
			goto fail;
		}
		unlink(path);
	}
	buf = malloc(COPY_BUF);
	if (!buf) {
		eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(in, buf, COPY_BUF);
		int wfd = fd;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			eris_error_set(err, ERIS_E_IO, "cannot read the input: %s",
				       strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (bundle_write_fd(&wfd, buf, (size_t)n) != 0) {
			eris_error_set(err, ERIS_E_IO, "%s: cannot write a temporary file: %s",
				       tmpdir, strerror(errno));
			goto fail;
		}
	}
	free(buf);
	return fd;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return -1;
}

int bundle_map_fd(bundle_map *m, int fd, const char *tmpdir, eris_error *err)
{
	struct stat st;
	int tmp = -1, rc = 0, src = fd;
	void *addr;

	memset(m, 0, sizeof *m);
	if (fstat(fd, &st) != 0)
		return eris_error_set(err, ERIS_E_IO, "cannot stat the input: %s", strerror(errno));
	if (!S_ISREG(st.st_mode)) {
		tmp = spool(fd, tmpdir ? tmpdir : "/tmp", err);
		if (tmp < 0)
			return err ? err->code : ERIS_E_IO;
		if (fstat(tmp, &st) != 0) {
			rc = eris_error_set(err, ERIS_E_IO, "cannot stat a temporary file: %s",
					    strerror(errno));
			goto out;
		}
		src = tmp;
	}
	if (st.st_size == 0)
		goto out;
	if ((uint64_t)st.st_size > SIZE_MAX) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "the input is too large to map");
		goto out;
	}
	addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, src, 0);
	if (addr == MAP_FAILED) {
		rc = eris_error_set(err, ERIS_E_IO, "cannot map the input: %s", strerror(errno));
		goto out;
	}
	m->addr = addr;
	m->map_len = (size_t)st.st_size;
	m->data = addr;
	m->len = (size_t)st.st_size;
out:
	if (tmp >= 0)
		close(tmp);
	return rc;
}

void bundle_unmap(bundle_map *m)
{
	if (m->addr)
		munmap(m->addr, m->map_len);
	memset(m, 0, sizeof *m);
}
