/*
 * store_int.h — what a store backend provides. Backends fill a store_ops
 * table and embed `struct store` as the first member of their own struct.
 */
#ifndef SIGIL_STORE_INT_H
#define SIGIL_STORE_INT_H

#include "store.h"

struct store_ops {
	/* Reads the block without verifying it: into buf (setting *block = buf)
	 * or, for memory-backed stores, by pointing *block at the store's own
	 * copy (valid until the next call on the store). */
	int (*get)(store *s, const uint8_t *ref, uint8_t *buf, size_t size, const uint8_t **block,
		   size_t *len, eris_error *err);
	/* Writes a block known to hash to ref; skips blocks already present. */
	int (*put)(store *s, const uint8_t *ref, const uint8_t *block, size_t len, eris_error *err);
	int (*has)(store *s, const uint8_t *ref, eris_error *err);
	int (*flush)(store *s, eris_error *err);
	void (*close)(store *s);
	/* Optional (NULL: store.c loops over get / has). get_many hands
	 * unverified blocks to got; store.c verifies them on the way through. */
	int (*get_many)(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, store_got_fn got,
			void *ctx, eris_error *err);
	int (*has_many)(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, uint8_t *present,
			eris_error *err);
	/* Optional (NULL: the store cannot enumerate / collect). */
	int (*list)(store *s, store_list_fn fn, void *ctx, eris_error *err);
	int (*retain)(store *s, store_keep_fn keep, void *ctx, uint64_t *removed, eris_error *err);
	/* Optional: room for the ciphertext of the next n blocks of size bs in
	 * the write buffer, as eris_place_fn describes (NULL: no room). The
	 * next puts are those blocks, in order; put takes a block from its slot
	 * without copying it. */
	uint8_t *(*place)(store *s, size_t n, size_t bs, size_t *stride);
	/* Optional: store_info (info is zeroed) and store_locate. */
	int (*info)(store *s, struct store_info *info);
	int (*locate)(store *s, const uint8_t *ref, uint64_t *offset);
};

struct store {
	const struct store_ops *ops;
	char *name;
	int writable;
	eris_error put_error;
};

/* io.c: whole-buffer I/O (0, or -1 with errno; a read past the end is -1) */
int store_io_write(int fd, const void *buf, size_t len);
int store_io_pread(int fd, void *buf, size_t len, uint64_t off);
int store_io_pwrite(int fd, const void *buf, size_t len, uint64_t off);

int store_dir_open(store **out, const char *path, int flags, eris_error *err);
int store_mem_open(store **out, eris_error *err);
int store_pack_open(store **out, const char *path, int flags, eris_error *err);
/* url is the whole "http://HOST:PORT[/prefix]" */
int store_http_open(store **out, const char *url, int flags, eris_error *err);
/* cache and source are open stores; the chain owns them from here on */
int store_chain_open(store **out, store *cache, store *source, eris_error *err);

#endif
