/*
 * pack.c — the pack store: ERIS blocks in one file or raw partition.
 *
 * The format, the order of writes and what a crash can do are specified in
 * docs/pack-format.md (offset/size tables there). In short: a header, two
 * commit slots written alternately, and an append-only log of 64-byte-aligned
 * records, each a 64-byte header plus payload: block records (payload hashes
 * to the reference in the header) and index records (a sorted array of
 * reference → record offset covering every block before it).
 *
 * In memory: the current index (mapped read-only — with the whole region on
 * read-only opens, alone on read-write ones — and searched by bisection in
 * place, never read or loaded into a table on open, so opening a clean pack
 * is O(1); after a checkpoint, the new index stays in the memory it was built
 * in), and a hash table of the "tail" — block records after the index, found
 * by scanning on open and added by puts. Writes gather in a 1 MiB buffer;
 * store_flush writes it, syncs, possibly writes a new index, and commits.
 * Read-only opens mmap the region and hand out blocks in place. The header
 * names the block sizes the pack may hold (version 2; version 1 packs, which
 * do not, hold both and still open).
 *
 * A full buffer is written by a short-lived writer thread while puts fill
 * the other buffer (double buffering), so the write overlaps the encoding
 * that produces the next megabyte. At most one write is in flight; the next
 * full buffer, a flush, an index write and close all wait for it first (and
 * report its error), so records still reach the file before the sync that
 * precedes their commit, as docs/pack-format.md requires. Where the file
 * system allows it, the aligned middle of each buffer goes through a second
 * descriptor opened with O_DIRECT: the device reads it from our buffer, with
 * no copy into the page cache and next to no CPU time (a pack is written
 * once at build time and read later). The few unaligned bytes at either end
 * go through the page cache; buffers sit at the file offset's position
 * within a DIO_ALIGN page so the middle is aligned in memory too. Should a
 * direct write be refused, the pack falls back to ordinary writes for good.
 *
 * Invariants: log_end is the offset where the next record goes; every record
 * in [log_start, log_end) has been written, is being written from ibuf
 * ([ibuf_off, ibuf_off + ilen), while `writing`), or sits in wbuf (which
 * starts at wbuf_off); the tail table and the index together name every block
 * in the pack exactly once. Only the writer thread touches the file while
 * `writing`, and it only reads ibuf.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum {
	HEADER_SIZE = 4096,
	SLOT_A = 4096,
	SLOT_B = 8192,
	LOG_START = 12288,
	REC_HDR = 64,
	ENTRY = 40,
	WBUF = 1 << 20,
	WBUF_ROOM = WBUF + WBUF / 16, /* an encoder batch (1 MiB) as 1 KiB records */
	DIO_ALIGN = 4096, /* offset, length and memory alignment of direct writes */
	CHECKPOINT_TAIL = 65536,
	VERSION = 2, /* written; version 1 packs open too (see read_header) */
	ALL_SIZES = STORE_SIZE_1K | STORE_SIZE_32K,
};

#define DEFAULT_CAPACITY (1ull << 40)

static const char hdr_magic[8] = {'S', 'I', 'G', 'I', 'L', 'P', 'A', 'K'};
static const char cmt_magic[8] = {'S', 'I', 'G', 'I', 'L', 'C', 'M', 'T'};
static const char blk_magic[4] = {'B', 'L', 'K', '1'};
static const char idx_magic[4] = {'I', 'D', 'X', '1'};

struct tail_entry {
	uint8_t ref[ERIS_REF_SIZE];
	uint64_t off; /* 0: empty slot */
};

struct pack_store {
	struct store base;
	int fd;
	char *path;
	int writable;
	uint64_t capacity;
	uint8_t uuid[16];
	uint32_t version;     /* of the header */
	uint32_t block_sizes; /* STORE_SIZE_* bits: the record lengths allowed */

	/* the current commit */
	uint64_t seq;
	uint64_t committed_end;
	uint64_t index_off, index_count;
	const uint8_t *index; /* index_count entries, in map, imap or index_mem */
	uint8_t *index_mem;
	uint8_t *imap; /* a read-only mapping of just the index record, or NULL */
	size_t imap_len;
	uint64_t imap_skew; /* index record offset - the mapping's (page-aligned) offset */

	/* the tail */
	struct tail_entry *tail;
	size_t tail_cap, tail_used;

	uint64_t log_end;
	uint8_t *wbuf;
	size_t wlen;
	uint64_t wbuf_off;

	/* the write in flight (see the top of the file) */
	uint8_t *wbase, *ibase; /* the two buffers, DIO_ALIGN-aligned */
	uint8_t *ibuf; /* in ibase; being written while `writing` */
	size_t ilen;
	uint64_t ibuf_off;
	int writing;
	int thread_errno; /* the writer thread's result (read after joining it) */
	int write_errno;  /* the first failed write's errno: sticky */
	int dfd;	 /* O_DIRECT descriptor, or -1 */
	int dio_refused; /* the writer saw a direct write refused */
	pthread_t writer;
	/* the slots pack_place handed out, as addresses: [resv_lo, resv_hi) */
	uintptr_t resv_lo, resv_hi;

	uint8_t *map;
	size_t map_len;

	uint64_t blocks, bytes, damaged;
	uint64_t read_bytes, open_read_bytes; /* by pack_pread; those of the open */
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rec_size(uint64_t payload)
{
	return REC_HDR + ((payload + 63) & ~(uint64_t)63);
}

/* pread that counts what the open costs (store_info.open_read_bytes). */
static int pack_pread(struct pack_store *p, void *buf, size_t len, uint64_t off)
{
	p->read_bytes += len;
	return store_io_pread(p->fd, buf, len, off);
}

/* Is a block record of this length allowed here? */
static int size_ok(const struct pack_store *p, uint64_t len)
{
	return (len == ERIS_BLOCK_1K && (p->block_sizes & STORE_SIZE_1K)) ||
	       (len == ERIS_BLOCK_32K && (p->block_sizes & STORE_SIZE_32K));
}

/* "1 KiB and 32 KiB", "1 KiB" or "32 KiB". */
static const char *sizes_text(uint32_t sizes)
{
	return sizes == ALL_SIZES ? "1 KiB and 32 KiB" : sizes == STORE_SIZE_1K ? "1 KiB" : "32 KiB";
}

/* ---- lookup ---------------------------------------------------------------- */

static size_t tail_slot(const struct pack_store *p, const uint8_t *ref)
{
	uint64_t h;

	memcpy(&h, ref, sizeof h);
	return (size_t)h & (p->tail_cap - 1);
}

static struct tail_entry *tail_find(struct pack_store *p, const uint8_t *ref)
{
	size_t i = tail_slot(p, ref);

	while (p->tail[i].off && memcmp(p->tail[i].ref, ref, ERIS_REF_SIZE) != 0)
		i = (i + 1) & (p->tail_cap - 1);
	return &p->tail[i];
}

static int tail_add(struct pack_store *p, const uint8_t *ref, uint64_t off)
{
	if ((p->tail_used + 1) * 2 > p->tail_cap) {
		struct tail_entry *old = p->tail;
		size_t oldcap = p->tail_cap;
		p->tail_cap = oldcap ? oldcap * 2 : 1024;
		p->tail = calloc(p->tail_cap, sizeof *p->tail);
		if (!p->tail) {
			p->tail = old;
			p->tail_cap = oldcap;
			return ERIS_E_NOMEM;
		}
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].off)
				*tail_find(p, old[i].ref) = old[i];
		free(old);
	}
	struct tail_entry *e = tail_find(p, ref);
	if (!e->off) {
		memcpy(e->ref, ref, ERIS_REF_SIZE);
		e->off = off;
		p->tail_used++;
	}
	return 0;
}

/* Offset of the block's record, or 0. */
static uint64_t lookup(struct pack_store *p, const uint8_t *ref)
{
	size_t lo = 0, hi = (size_t)p->index_count;

	if (p->tail_cap) {
		struct tail_entry *e = tail_find(p, ref);
		if (e->off)
			return e->off;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(p->index + mid * ENTRY, ref, ERIS_REF_SIZE);
		if (c == 0)
			return get64(p->index + mid * ENTRY + ERIS_REF_SIZE);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* Points *rec at the record header + payload at off: in wbuf, in the map, or
 * read into buf (which must hold REC_HDR + ERIS_BLOCK_MAX). */
static int read_record(struct pack_store *p, uint64_t off, uint8_t *buf, const uint8_t **rec,
		       eris_error *err)
{
	uint32_t len;

	if (off < LOG_START || p->log_end < REC_HDR || off > p->log_end - REC_HDR)
		return eris_error_set(err, ERIS_E_IO, "%s: index points outside the log (offset %llu)",
				      p->path, (unsigned long long)off);
	if (p->wlen && off >= p->wbuf_off) {
		*rec = p->wbuf + (off - p->wbuf_off);
		return 0;
	}
	if (p->writing && off >= p->ibuf_off && off - p->ibuf_off < p->ilen) {
		*rec = p->ibuf + (off - p->ibuf_off);
		return 0;
	}
	if (p->map && off <= p->map_len - REC_HDR) { /* off < log_end: no overflow */
		len = get32(p->map + off + 4);
		if (len > ERIS_BLOCK_MAX || off + REC_HDR + len > p->map_len)
			return eris_error_set(err, ERIS_E_IO, "%s: damaged record at offset %llu",
					      p->path, (unsigned long long)off);
		*rec = p->map + off;
		return 0;
	}
	if (store_io_pread(p->fd, buf, REC_HDR, off) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: read at %llu: %s", p->path,
				      (unsigned long long)off, strerror(errno));
	len = get32(buf + 4);
	if (len > ERIS_BLOCK_MAX || store_io_pread(p->fd, buf + REC_HDR, len, off + REC_HDR) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: damaged record at offset %llu", p->path,
				      (unsigned long long)off);
	*rec = buf;
	return 0;
}

static int pack_get(store *s, const uint8_t *ref, uint8_t *buf, size_t size,
		    const uint8_t **block, size_t *len, eris_error *err)
{
	struct pack_store *p = (struct pack_store *)s;
	uint8_t tmp[REC_HDR + ERIS_BLOCK_MAX];
	const uint8_t *rec = NULL;
	uint64_t off = lookup(p, ref);
	uint32_t n;
	int rc;

	if (!off)
		return ERIS_E_MISSING;
	rc = read_record(p, off, tmp, &rec, err);
	if (rc != 0)
		return rc;
	n = get32(rec + 4);
	if (memcmp(rec, blk_magic, 4) != 0 || memcmp(rec + 8, ref, ERIS_REF_SIZE) != 0)
		return eris_error_set(err, ERIS_E_IO,
				      "%s: record at offset %llu is not the block the index names",
				      p->path, (unsigned long long)off);
	if (n > size)
		return ERIS_E_SIZE;
	if (rec == tmp) {
		memcpy(buf, rec + REC_HDR, n);
		*block = buf;
	} else {
		*block = rec + REC_HDR; /* zero-copy from the map or the write buffer */
	}
	*len = n;
	return 0;
}

/* Does the pack really hold ref? (An index entry damaged to name a block it
 * does not point at must not stop that block from being stored.) */
static int holds(struct pack_store *p, const uint8_t *ref)
{
	uint8_t tmp[REC_HDR + ERIS_BLOCK_MAX];
	const uint8_t *rec = NULL;
	uint64_t off = lookup(p, ref);

	return off && read_record(p, off, tmp, &rec, NULL) == 0 && memcmp(rec, blk_magic, 4) == 0 &&
	       memcmp(rec + 8, ref, ERIS_REF_SIZE) == 0;
}

static int pack_has(store *s, const uint8_t *ref, eris_error *err)
{
	(void)err;
	return lookup((struct pack_store *)s, ref) != 0;
}

/* ---- writing ------------------------------------------------------------- */

/* Writes ilen bytes of ibuf at ibuf_off; 0 or errno. Runs in the writer
 * thread (or in the caller's, when none could start). */
static int write_spare(struct pack_store *p)
{
	uint64_t off = p->ibuf_off, end = off + p->ilen;
	uint64_t a = (off + DIO_ALIGN - 1) & ~(uint64_t)(DIO_ALIGN - 1);
	uint64_t b = end & ~(uint64_t)(DIO_ALIGN - 1);

	if (p->dfd >= 0 && !p->dio_refused && a < b) {
		/* ibuf + (a - off) is aligned: see pack_put */
		if (store_io_pwrite(p->fd, p->ibuf, a - off, off) != 0 ||
		    store_io_pwrite(p->fd, p->ibuf + (b - off), end - b, b) != 0)
			return errno ? errno : EIO;
		if (store_io_pwrite(p->dfd, p->ibuf + (a - off), b - a, a) == 0)
			return 0;
		if (errno != EINVAL)
			return errno ? errno : EIO;
		p->dio_refused = 1; /* this file system wants other alignment, or none */
	}
	if (store_io_pwrite(p->fd, p->ibuf, p->ilen, off) != 0)
		return errno ? errno : EIO;
	/* start writeback now, so the sync at flush finds little left to do and
	 * disk writes overlap the encoding that produces the next buffer */
	(void)sync_file_range(p->fd, (off_t)off, (off_t)p->ilen, SYNC_FILE_RANGE_WRITE);
	return 0;
}

static void *writer_main(void *arg)
{
	struct pack_store *p = arg;

	p->thread_errno = write_spare(p);
	return NULL;
}

/* Ends the write in flight, if any. A failed write fails every later
 * write, flush and commit too: the log would have a hole. */
static int settle(struct pack_store *p, eris_error *err)
{
	if (p->writing) {
		pthread_join(p->writer, NULL);
		p->writing = 0;
		if (!p->write_errno)
			p->write_errno = p->thread_errno;
	}
	if (p->dio_refused && p->dfd >= 0) {
		close(p->dfd);
		p->dfd = -1;
	}
	if (p->write_errno)
		return eris_error_set(err, ERIS_E_IO, "%s: write: %s", p->path,
				      strerror(p->write_errno));
	return 0;
}

/* Writes wbuf out and empties it. With `wait` the write is done on return;
 * without, it may go on in the writer thread (wbuf and ibuf swap). */
static int write_buffer(struct pack_store *p, int wait, eris_error *err)
{
	uint8_t *t;
	int rc = settle(p, err);

	if (rc != 0 || p->wlen == 0)
		return rc;
	t = p->ibase;
	p->ibase = p->wbase;
	p->wbase = t;
	p->ibuf = p->wbuf;
	p->wbuf = p->wbase; /* placed by start_buffer */
	p->ilen = p->wlen;
	p->ibuf_off = p->wbuf_off;
	p->wbuf_off += p->wlen;
	p->wlen = 0;
	p->resv_lo = p->resv_hi = 0;
	if (!wait && pthread_create(&p->writer, NULL, writer_main, p) == 0) {
		p->writing = 1;
		return 0;
	}
	p->write_errno = write_spare(p); /* here, when asked or no thread could start */
	return settle(p, err);
}

/* Places an empty write buffer at log_end: its offset within a page is the
 * file offset's, so that the aligned middle is aligned in memory too. */
static void start_buffer(struct pack_store *p)
{
	if (p->wlen)
		return;
	p->wbuf_off = p->log_end;
	p->wbuf = p->wbase + p->log_end % DIO_ALIGN;
}

static void make_rec_header(uint8_t *h, const char magic[4], uint32_t len, const uint8_t *hash,
			    uint64_t count)
{
	memset(h, 0, REC_HDR);
	memcpy(h, magic, 4);
	put32(h + 4, len);
	memcpy(h + 8, hash, ERIS_REF_SIZE);
	put64(h + 40, count);
}

/* store_ops.place: the payload slots of the next n records in the write
 * buffer, written out first when they would not fit. */
static uint8_t *pack_place(store *s, size_t n, size_t bs, size_t *stride)
{
	struct pack_store *p = (struct pack_store *)s;
	uint64_t need = (uint64_t)n * rec_size(bs);

	p->resv_lo = p->resv_hi = 0;
	if (!p->writable || p->write_errno || bs % 64 != 0 || need > WBUF_ROOM || !size_ok(p, bs))
		return NULL;
	if (p->wlen + need > WBUF_ROOM && write_buffer(p, 0, NULL) != 0)
		return NULL; /* the next put reports it */
	start_buffer(p);
	*stride = rec_size(bs);
	p->resv_lo = (uintptr_t)(p->wbuf + p->wlen + REC_HDR);
	p->resv_hi = p->resv_lo + need;
	return p->wbuf + p->wlen + REC_HDR;
}

static int pack_put(store *s, const uint8_t *ref, const uint8_t *block, size_t len,
		    eris_error *err)
{
	struct pack_store *p = (struct pack_store *)s;
	uint64_t need = rec_size(len);
	uintptr_t at = (uintptr_t)block;
	int placed = at >= p->resv_lo && at + len <= p->resv_hi;
	uint8_t *rec;
	int rc;

	if (!placed)
		p->resv_lo = p->resv_hi = 0; /* a block from elsewhere ends a reservation */
	if (!p->writable)
		return eris_error_set(err, ERIS_E_ARG, "%s: pack is open read-only", p->path);
	if (p->write_errno)
		return settle(p, err);
	if (!size_ok(p, len))
		return eris_error_set(err, ERIS_E_SIZE,
				      "%s: a %zu-byte block does not belong in this pack (it holds %s "
				      "blocks)",
				      p->path, len, sizes_text(p->block_sizes));
	if (holds(p, ref))
		return 0;
	if (p->log_end + need > p->capacity)
		return eris_error_set(err, ERIS_E_IO,
				      "%s: pack is full (capacity %llu bytes, %llu used)", p->path,
				      (unsigned long long)p->capacity, (unsigned long long)p->log_end);
	/* a placed block has its room: it is the next record, or a later one
	 * when duplicates before it were skipped */
	if (!placed && p->wlen + need > WBUF && (rc = write_buffer(p, 0, err)) != 0)
		return rc;
	start_buffer(p);
	rec = p->wbuf + p->wlen;
	if (rec + REC_HDR != block)
		memmove(rec + REC_HDR, block, len);
	make_rec_header(rec, blk_magic, (uint32_t)len, ref, 0);
	memset(rec + REC_HDR + len, 0, need - REC_HDR - len);
	rc = tail_add(p, ref, p->log_end);
	if (rc != 0)
		return eris_error_set(err, rc, "out of memory");
	p->wlen += need;
	p->log_end += need;
	p->blocks++;
	p->bytes += len;
	return 0;
}

/* By reference, then by offset (only a damaged index holds a reference twice;
 * one of them is kept). */
static int by_ref(const void *a, const void *b)
{
	int c = memcmp(a, b, ERIS_REF_SIZE);
	uint64_t x = get64((const uint8_t *)a + ERIS_REF_SIZE);
	uint64_t y = get64((const uint8_t *)b + ERIS_REF_SIZE);

	return c ? c : x < y ? -1 : x > y;
}

/* Writes an index record of every block at log_end; on success it becomes the
 * in-memory index and the tail empties. Returns 0 also when it does not fit
 * (the tail then stays, and is scanned on the next open). */
static int write_index(struct pack_store *p, eris_error *err)
{
	uint64_t n = p->index_count + p->tail_used, k = 0;
	uint8_t *pay = NULL, hdr[REC_HDR], hash[ERIS_REF_SIZE];
	uint64_t need = rec_size(n * ENTRY), off = p->log_end;
	int rc = 0;

	if (p->tail_used == 0 || off + need > p->capacity)
		return 0;
	pay = malloc(n > 0 ? n * ENTRY : 1);
	if (!pay) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto out;
	}
	/* the old index and the tail, sorted together: sorting (rather than
	 * merging) also repairs an old index that damage left out of order */
	k = 0;
	for (uint64_t i = 0; i < p->index_count; i++) {
		const uint8_t *e = p->index + i * ENTRY;
		if (tail_find(p, e)->off) /* stored again since: the tail's record wins */
			continue;
		memcpy(pay + k++ * ENTRY, e, ENTRY);
	}
	for (size_t i = 0; i < p->tail_cap; i++) {
		if (!p->tail[i].off)
			continue;
		memcpy(pay + k * ENTRY, p->tail[i].ref, ERIS_REF_SIZE);
		put64(pay + k * ENTRY + ERIS_REF_SIZE, p->tail[i].off);
		k++;
	}
	n = k;
	qsort(pay, n, ENTRY, by_ref);
	for (uint64_t i = 0, w = 0; i < n; i++) { /* one entry per reference */
		if (w > 0 && memcmp(pay + (w - 1) * ENTRY, pay + i * ENTRY, ERIS_REF_SIZE) == 0)
			continue;
		memmove(pay + w * ENTRY, pay + i * ENTRY, ENTRY);
		k = ++w;
	}
	n = k;
	need = rec_size(n * ENTRY);
	crypto_generichash(hash, sizeof hash, pay, n * ENTRY, NULL, 0);
	make_rec_header(hdr, idx_magic, (uint32_t)(n * ENTRY), hash, n);
	if (store_io_pwrite(p->fd, hdr, REC_HDR, off) != 0 ||
	    store_io_pwrite(p->fd, pay, n * ENTRY, off + REC_HDR) != 0 ||
	    (need > REC_HDR + n * ENTRY &&
	     store_io_pwrite(p->fd, (const uint8_t[64]){0}, need - REC_HDR - n * ENTRY,
			off + REC_HDR + n * ENTRY) != 0)) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: write: %s", p->path, strerror(errno));
		goto out;
	}
	free(p->index_mem);
	p->index_mem = pay;
	p->index = pay;
	pay = NULL;
	if (p->imap) { /* the old index, no longer used */
		munmap(p->imap, p->imap_len);
		p->imap = NULL;
	}
	p->index_off = off;
	p->index_count = n;
	p->log_end = off + need;
	p->wbuf_off = p->log_end;
	memset(p->tail, 0, p->tail_cap * sizeof *p->tail);
	p->tail_used = 0;
out:
	free(pay);
	return rc;
}

static int write_commit(struct pack_store *p, eris_error *err)
{
	uint8_t slot[128] = {0};
	uint64_t seq = p->seq + 1;

	memcpy(slot, cmt_magic, 8);
	put64(slot + 8, seq);
	put64(slot + 16, p->log_end);
	put64(slot + 24, p->index_off);
	put64(slot + 32, p->index_count);
	put64(slot + 40, p->blocks);
	put64(slot + 48, p->bytes);
	crypto_generichash(slot + 56, ERIS_REF_SIZE, slot, 56, NULL, 0);
	if (store_io_pwrite(p->fd, slot, sizeof slot, seq % 2 ? SLOT_B : SLOT_A) != 0 ||
	    fdatasync(p->fd) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: commit: %s", p->path, strerror(errno));
	p->seq = seq;
	p->committed_end = p->log_end;
	return 0;
}

/* Makes every put durable; with `checkpoint`, also writes an index. */
static int commit(struct pack_store *p, int checkpoint, eris_error *err)
{
	int rc;

	if (!p->writable || (p->log_end == p->committed_end && !(checkpoint && p->tail_used)))
		return 0;
	/* records and index are written, then one sync makes both durable
	 * before the commit slot names them */
	rc = write_buffer(p, 1, err);
	if (rc == 0 && (checkpoint || p->tail_used >= CHECKPOINT_TAIL))
		rc = write_index(p, err);
	if (rc == 0 && fdatasync(p->fd) != 0)
		rc = eris_error_set(err, ERIS_E_IO, "%s: sync: %s", p->path, strerror(errno));
	if (rc == 0)
		rc = write_commit(p, err);
	return rc;
}

static int pack_flush(store *s, eris_error *err)
{
	return commit((struct pack_store *)s, 0, err);
}

static void pack_close(store *s)
{
	struct pack_store *p = (struct pack_store *)s;

	if (p->fd >= 0 && p->writable)
		(void)commit(p, 1, NULL);
	(void)settle(p, NULL); /* when the commit failed before waiting */
	if (p->map)
		munmap(p->map, p->map_len);
	if (p->imap)
		munmap(p->imap, p->imap_len);
	if (p->fd >= 0)
		close(p->fd);
	if (p->dfd >= 0)
		close(p->dfd);
	free(p->index_mem);
	free(p->tail);
	free(p->wbase);
	free(p->ibase);
	free(p->path);
	free(p);
}

/* ---- opening ------------------------------------------------------------- */

static int write_header(struct pack_store *p, eris_error *err)
{
	uint8_t h[HEADER_SIZE] = {0}, slot[128] = {0};

	memcpy(h, hdr_magic, 8);
	put32(h + 8, VERSION);
	put32(h + 12, HEADER_SIZE);
	memcpy(h + 16, p->uuid, 16);
	put64(h + 32, p->capacity);
	put64(h + 40, LOG_START);
	put32(h + 48, p->block_sizes);
	crypto_generichash(h + 64, ERIS_REF_SIZE, h, 64, NULL, 0);
	/* slot A: sequence 0, an empty log */
	memcpy(slot, cmt_magic, 8);
	put64(slot + 16, LOG_START);
	crypto_generichash(slot + 56, ERIS_REF_SIZE, slot, 56, NULL, 0);
	if (store_io_pwrite(p->fd, h, sizeof h, 0) != 0 || store_io_pwrite(p->fd, slot, sizeof slot, SLOT_A) != 0 ||
	    store_io_pwrite(p->fd, (uint8_t[128]){0}, 128, SLOT_B) != 0 || fsync(p->fd) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: cannot write pack header: %s", p->path,
				      strerror(errno));
	return 0;
}

/* Version 2 headers checksum bytes 0-63 (block sizes at 48); version 1
 * headers, which have no block-size field, bytes 0-47, and hold both sizes.
 * Both open, for reading and writing; the header is never rewritten, so a
 * version 1 pack stays version 1 (until gc rewrites it). */
static int read_header(struct pack_store *p, const uint8_t *h, uint64_t region, eris_error *err)
{
	uint8_t sum[ERIS_REF_SIZE];
	uint32_t version = get32(h + 8);
	size_t covered = version == 1 ? 48 : 64;

	if (memcmp(h, hdr_magic, 8) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: not a sigil pack (bad magic)", p->path);
	if (version != 1 && version != VERSION)
		return eris_error_set(err, ERIS_E_IO,
				      "%s: unsupported pack format version %u (this build reads 1 "
				      "and %u), or a damaged header",
				      p->path, version, VERSION);
	crypto_generichash(sum, sizeof sum, h, covered, NULL, 0);
	if (memcmp(sum, h + covered, sizeof sum) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: pack header is damaged (checksum)", p->path);
	p->version = version;
	p->block_sizes = version == 1 ? ALL_SIZES : get32(h + 48);
	if (get32(h + 12) != HEADER_SIZE || get64(h + 40) != LOG_START ||
	    p->block_sizes == 0 || (p->block_sizes & ~(uint32_t)ALL_SIZES) != 0)
		return eris_error_set(err, ERIS_E_IO,
				      "%s: unsupported pack layout (version %u, block sizes 0x%x)",
				      p->path, version, (unsigned)p->block_sizes);
	memcpy(p->uuid, h + 16, 16);
	p->capacity = get64(h + 32);
	if (p->capacity < LOG_START || (region && p->capacity > region && region < DEFAULT_CAPACITY))
		return eris_error_set(err, ERIS_E_IO,
				      "%s: pack capacity %llu does not fit the device (%llu bytes)",
				      p->path, (unsigned long long)p->capacity,
				      (unsigned long long)region);
	return 0;
}

/* Picks the newest valid commit slot. */
static int read_commit(struct pack_store *p, const uint8_t *a, const uint8_t *b, eris_error *err)
{
	const uint8_t *best = NULL;
	const uint8_t *slots[2] = {a, b};

	for (int i = 0; i < 2; i++) {
		uint8_t sum[ERIS_REF_SIZE];
		if (memcmp(slots[i], cmt_magic, 8) != 0)
			continue;
		crypto_generichash(sum, sizeof sum, slots[i], 56, NULL, 0);
		if (memcmp(sum, slots[i] + 56, sizeof sum) != 0)
			continue;
		if (!best || get64(slots[i] + 8) > get64(best + 8))
			best = slots[i];
	}
	if (!best)
		return eris_error_set(err, ERIS_E_IO, "%s: both commit slots are damaged", p->path);
	p->seq = get64(best + 8);
	p->committed_end = get64(best + 16);
	p->index_off = get64(best + 24);
	p->index_count = get64(best + 32);
	p->blocks = get64(best + 40);
	p->bytes = get64(best + 48);
	if (p->committed_end < LOG_START || p->committed_end > p->capacity ||
	    (p->index_off && (p->index_off < LOG_START || p->index_off >= p->committed_end)))
		return eris_error_set(err, ERIS_E_IO, "%s: commit record is inconsistent", p->path);
	return 0;
}

/* Makes the index usable in place: in the region's map (read-only opens), or
 * in a read-only mapping of just the index record (read-write opens, or when
 * the region could not be mapped) — either way nothing of it is read now, so
 * opening costs the same for any number of blocks. Only when no mapping can
 * be made is it read into memory. Mapping it is safe for writers too: an
 * index record lies below log_end and is never written again. */
static int load_index(struct pack_store *p, uint64_t limit, eris_error *err)
{
	uint8_t h[REC_HDR];
	uint64_t bytes;

	if (!p->index_off) {
		p->index_count = 0; /* a commit naming entries but no index: none */
		return 0;
	}
	if (pack_pread(p, h, REC_HDR, p->index_off) != 0 || memcmp(h, idx_magic, 4) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: index record at %llu is damaged", p->path,
				      (unsigned long long)p->index_off);
	bytes = p->index_count * ENTRY;
	if (get64(h + 40) != p->index_count || get32(h + 4) != bytes ||
	    p->index_off + rec_size(bytes) > limit)
		return eris_error_set(err, ERIS_E_IO, "%s: index record does not match its commit",
				      p->path);
	if (p->map && p->index_off + REC_HDR + bytes <= p->map_len) {
		p->index = p->map + p->index_off + REC_HDR;
		return 0;
	}
	if (bytes > 0) {
		uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
		uint64_t start = p->index_off & ~(page - 1);
		size_t len = (size_t)(p->index_off + REC_HDR + bytes - start);
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, p->fd, (off_t)start);
		if (m != MAP_FAILED) {
			p->imap = m;
			p->imap_len = len;
			p->imap_skew = p->index_off - start;
			p->index = p->imap + p->imap_skew + REC_HDR;
			return 0;
		}
	}
	p->index_mem = malloc(bytes ? bytes : 1);
	if (!p->index_mem || pack_pread(p, p->index_mem, bytes, p->index_off + REC_HDR) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: cannot read the index", p->path);
	p->index = p->index_mem;
	return 0;
}

/* Scans the records after the index (see docs/pack-format.md, "Opening"). */
static int scan_tail(struct pack_store *p, uint64_t limit, eris_error *err)
{
	uint8_t *buf = malloc(REC_HDR + ERIS_BLOCK_MAX), sum[ERIS_REF_SIZE];
	uint64_t pos = p->index_off ? p->index_off + rec_size(p->index_count * ENTRY) : LOG_START;
	uint64_t bytes = 0;
	int rc = 0;

	if (!buf)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	while (pos + REC_HDR <= limit) {
		int sane = pack_pread(p, buf, REC_HDR, pos) == 0;
		uint32_t len = sane ? get32(buf + 4) : 0;
		int is_blk = sane && memcmp(buf, blk_magic, 4) == 0;
		int is_idx = sane && memcmp(buf, idx_magic, 4) == 0;
		sane = sane && ((is_blk && size_ok(p, len)) ||
				(is_idx && len % ENTRY == 0)) &&
		       pos + rec_size(len) <= limit;
		if (sane && is_blk) {
			sane = pack_pread(p, buf + REC_HDR, len, pos + REC_HDR) == 0;
			if (sane) {
				crypto_generichash(sum, sizeof sum, buf + REC_HDR, len, NULL, 0);
				sane = memcmp(sum, buf + 8, sizeof sum) == 0;
			}
		}
		if (!sane) {
			if (pos >= p->committed_end)
				break; /* the torn tail of a crash: cut here */
			p->damaged++;
			pos += 64; /* damage inside the committed log: resynchronise */
			continue;
		}
		if (is_blk && !lookup(p, buf + 8)) {
			if ((rc = tail_add(p, buf + 8, pos)) != 0) {
				rc = eris_error_set(err, rc, "out of memory");
				break;
			}
			if (pos >= p->committed_end)
				bytes += len; /* not counted by the commit */
		}
		pos += rec_size(len);
	}
	p->log_end = pos > p->committed_end ? pos : p->committed_end;
	if (pos < p->committed_end)
		p->damaged++;
	p->blocks = p->index_count + p->tail_used;
	p->bytes += bytes;
	free(buf);
	return rc;
}

static int pack_list(store *s, store_list_fn fn, void *ctx, eris_error *err);
static int pack_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed,
		       eris_error *err);

static int pack_info(store *s, struct store_info *info)
{
	struct pack_store *p = (struct pack_store *)s;

	info->kind = "pack";
	info->format_version = p->version;
	info->block_sizes = p->block_sizes;
	info->capacity = p->capacity;
	memcpy(info->uuid, p->uuid, sizeof info->uuid);
	info->log_end = p->log_end;
	info->index_entries = p->index_count;
	info->damaged = p->damaged;
	info->mapped = p->map != NULL;
	info->index_mapped = p->index_count > 0 && p->index != p->index_mem;
	info->open_read_bytes = p->open_read_bytes;
	return 0;
}

static int pack_locate(store *s, const uint8_t *ref, uint64_t *offset)
{
	uint64_t off = lookup((struct pack_store *)s, ref);

	if (!off)
		return ERIS_E_MISSING;
	*offset = off;
	return 0;
}

static const struct store_ops pack_ops = {
	pack_get, pack_put,    pack_has,   pack_flush, pack_close, NULL,
	NULL,	  pack_list,   pack_retain, pack_place, pack_info,  pack_locate};

int store_pack_open(store **out, const char *path, int flags, eris_error *err)
{
	struct pack_store *p = calloc(1, sizeof *p);
	int writable = (flags & (STORE_WRITE | STORE_CREATE)) != 0;
	uint8_t head[SLOT_B + 128];
	struct stat st;
	uint64_t region = 0;
	int rc = 0;

	*out = NULL;
	if (!p)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	p->base.ops = NULL;
	p->fd = -1;
	p->dfd = -1;
	p->writable = writable;
	p->path = strdup(path);
	if (!p->path) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto fail;
	}
	p->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC |
				   ((flags & STORE_CREATE) ? O_CREAT : 0),
		     0644);
	if (p->fd < 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: cannot open pack: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(p->fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: pack is in use by another %s", path,
				    writable ? "process" : "writer");
		goto fail;
	}
	if (fstat(p->fd, &st) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(p->fd, BLKGETSIZE64, &region) != 0) {
			rc = eris_error_set(err, ERIS_E_IO, "%s: cannot size the device", path);
			goto fail;
		}
	} else if (S_ISREG(st.st_mode)) {
		region = (uint64_t)st.st_size;
	} else {
		rc = eris_error_set(err, ERIS_E_IO, "%s: not a file or block device", path);
		goto fail;
	}

	memset(head, 0, sizeof head);
	if (region >= sizeof head && pack_pread(p, head, sizeof head, 0) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((flags & STORE_CREATE) && sodium_is_zero(head, HEADER_SIZE)) {
		/* a new file, or a zeroed device */
		p->capacity = S_ISBLK(st.st_mode) ? region : DEFAULT_CAPACITY;
		p->block_sizes = ALL_SIZES;
		randombytes_buf(p->uuid, sizeof p->uuid);
		if ((rc = write_header(p, err)) != 0)
			goto fail;
		if (store_io_pread(p->fd, head, sizeof head, 0) != 0) {
			rc = eris_error_set(err, ERIS_E_IO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		region = S_ISBLK(st.st_mode) ? region : sizeof head;
	} else if (region < sizeof head) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: not a sigil pack (too short)", path);
		goto fail;
	}
	if ((rc = read_header(p, head, S_ISBLK(st.st_mode) ? region : 0, err)) != 0 ||
	    (rc = read_commit(p, head + SLOT_A, head + SLOT_B, err)) != 0)
		goto fail;

	uint64_t limit = S_ISBLK(st.st_mode) ? p->capacity : (uint64_t)st.st_size;
	if (limit > p->capacity)
		limit = p->capacity;
	if (!writable && limit > 0) {
		p->map_len = (size_t)limit;
		p->map = mmap(NULL, p->map_len, PROT_READ, MAP_SHARED, p->fd, 0);
		if (p->map == MAP_FAILED) {
			p->map = NULL; /* fall back to pread */
			p->map_len = 0;
		}
	}
	if (load_index(p, limit, err) != 0) {
		/* a damaged index loses nothing: every block record says what it
		 * is, so scan the whole log instead */
		p->index_off = p->index_count = 0;
		p->index = NULL;
		free(p->index_mem);
		p->index_mem = NULL;
		p->damaged++;
	}
	if ((rc = scan_tail(p, limit, err)) != 0)
		goto fail;
	p->open_read_bytes = p->read_bytes;
	if (writable) {
		/* room for WBUF bytes from any offset within the first page */
		p->wbase = aligned_alloc(DIO_ALIGN, WBUF_ROOM + DIO_ALIGN);
		p->ibase = aligned_alloc(DIO_ALIGN, WBUF_ROOM + DIO_ALIGN);
		p->wbuf = p->wbase;
		if (!p->wbase || !p->ibase) {
			rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
			goto fail;
		}
		p->wbuf_off = p->log_end;
		/* cut a torn tail from a regular file */
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > p->log_end &&
		    ftruncate(p->fd, (off_t)p->log_end) != 0) {
			rc = eris_error_set(err, ERIS_E_IO, "%s: cannot cut the torn tail: %s", path,
					    strerror(errno));
			goto fail;
		}
		/* for the bulk of the writes, where allowed (else -1: see the top) */
		p->dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	}
	p->base.ops = &pack_ops;
	*out = &p->base;
	return 0;
fail:
	p->writable = 0; /* nothing to commit */
	pack_close(&p->base);
	return rc;
}

/* ---- enumeration, garbage collection, formatting ------------------------- */

static int pack_list(store *s, store_list_fn fn, void *ctx, eris_error *err)
{
	struct pack_store *p = (struct pack_store *)s;
	uint8_t tmp[REC_HDR + ERIS_BLOCK_MAX];

	for (uint64_t i = 0; i < p->index_count + p->tail_cap; i++) {
		const uint8_t *ref, *rec = NULL;
		uint64_t off;
		if (i < p->index_count) {
			ref = p->index + i * ENTRY;
			off = get64(ref + ERIS_REF_SIZE);
		} else {
			const struct tail_entry *e = &p->tail[i - p->index_count];
			if (!e->off)
				continue;
			ref = e->ref;
			off = e->off;
		}
		/* the length is in the record header; a damaged one lists as 0 */
		size_t len = read_record(p, off, tmp, &rec, NULL) == 0 ? get32(rec + 4) : 0;
		if (fn(ctx, ref, len) != 0)
			return eris_error_set(err, ERIS_E_IO, "listing stopped");
	}
	return 0;
}

int store_pack_format(const char *path, uint64_t capacity, const uint8_t *uuid, eris_error *err)
{
	return store_pack_format_sizes(path, capacity, uuid, 0, err);
}

int store_pack_format_sizes(const char *path, uint64_t capacity, const uint8_t *uuid,
			    uint32_t block_sizes, eris_error *err)
{
	struct pack_store p = {0};
	struct stat st;
	uint8_t head[HEADER_SIZE];
	uint64_t region = 0;
	int rc = 0;

	p.path = (char *)path;
	p.block_sizes = block_sizes ? block_sizes : ALL_SIZES;
	if ((p.block_sizes & ~(uint32_t)ALL_SIZES) != 0)
		return eris_error_set(err, ERIS_E_ARG, "%s: block sizes 0x%x: only 1 KiB and 32 KiB",
				      path, (unsigned)block_sizes);
	p.fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (p.fd < 0)
		return eris_error_set(err, ERIS_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(p.fd, &st) != 0 || (S_ISBLK(st.st_mode) && ioctl(p.fd, BLKGETSIZE64, &region) != 0)) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode))
		region = (uint64_t)st.st_size;
	if (region >= HEADER_SIZE && (store_io_pread(p.fd, head, sizeof head, 0) != 0 ||
				      !sodium_is_zero(head, sizeof head))) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: not empty; refusing to format it", path);
		goto out;
	}
	p.capacity = capacity ? capacity : S_ISBLK(st.st_mode) ? region : DEFAULT_CAPACITY;
	if (p.capacity < LOG_START + REC_HDR + ERIS_BLOCK_1K || (S_ISBLK(st.st_mode) && p.capacity > region)) {
		rc = eris_error_set(err, ERIS_E_ARG, "%s: capacity %llu is too %s", path,
				    (unsigned long long)p.capacity,
				    p.capacity < LOG_START ? "small" : "large for the device");
		goto out;
	}
	if (uuid)
		memcpy(p.uuid, uuid, sizeof p.uuid);
	else
		randombytes_buf(p.uuid, sizeof p.uuid);
	rc = write_header(&p, err);
out:
	close(p.fd);
	return rc;
}

struct copy_ctx {
	struct pack_store *from;
	store *to;
	store_keep_fn keep;
	void *keep_ctx;
	uint64_t removed;
	eris_error *err;
};

static int copy_kept(void *ctx, const uint8_t *ref, size_t len)
{
	struct copy_ctx *c = ctx;
	uint8_t buf[ERIS_BLOCK_MAX];
	const uint8_t *block = buf;
	size_t n = 0;

	(void)len;
	if (!c->keep(c->keep_ctx, ref)) {
		c->removed++;
		return 0;
	}
	/* a damaged block is dropped, not copied */
	if (store_get(&c->from->base, ref, buf, sizeof buf, &n, c->err) != 0) {
		c->removed++;
		return 0;
	}
	return c->to->ops->put(c->to, ref, block, n, c->err);
}

static int pack_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed,
		       eris_error *err)
{
	struct pack_store *p = (struct pack_store *)s, *q = NULL;
	char *tmp = NULL;
	store *fresh = NULL;
	struct copy_ctx c = {p, NULL, keep, ctx, 0, err};
	int rc;
	struct stat st;

	if (fstat(p->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return eris_error_set(err, ERIS_E_ARG,
				      "%s: only a pack in a file can be compacted in place", p->path);
	if ((rc = commit(p, 0, err)) != 0)
		return rc;
	if (asprintf(&tmp, "%s.gc.tmp", p->path) < 0)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	unlink(tmp);
	if ((rc = store_pack_format_sizes(tmp, p->capacity, p->uuid, p->block_sizes, err)) != 0 ||
	    (rc = store_pack_open(&fresh, tmp, STORE_WRITE, err)) != 0)
		goto out;
	c.to = fresh;
	if ((rc = pack_list(s, copy_kept, &c, err)) != 0 || (rc = commit((struct pack_store *)fresh, 1, err)) != 0)
		goto out;
	if (rename(tmp, p->path) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", p->path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	{
		/* sync the directory so the rename is durable */
		char *dir = strdup(p->path), *slash = dir ? strrchr(dir, '/') : NULL;
		int dfd;
		if (slash)
			*slash = '\0';
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	/* this handle now works on the compacted file: swap the insides */
	q = (struct pack_store *)fresh;
	{
		struct store pbase = p->base, qbase = q->base;
		struct pack_store t = *p;
		*p = *q;
		*q = t;
		p->base = pbase;
		q->base = qbase;
		char *path = p->path;
		p->path = q->path;
		q->path = path;
		q->writable = 0; /* the old, unlinked file: nothing to commit */
	}
	*removed = c.removed;
out:
	store_close(fresh);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}
