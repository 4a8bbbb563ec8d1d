/*
 * romfs.h — a closure served as a read-only FUSE file system, each block
 * decoded and verified when it is first read (sigil exec's lazy /rom).
 *
 * lib/elf/rom.c decodes a whole closure into a directory before anything
 * runs. This module serves the same tree — the same names, directories and
 * modes (files 0555, directories 0555, the root 0755) — from the store on
 * demand: a lookup of a file opens an ERIS random-access reader on it (its
 * root node and right-most path, verified: that gives its size), and a read
 * of (offset, length) fetches, checks and decrypts only the leaves covering
 * that range and the internal nodes above them (eris_reader_pread). The
 * kernel's page cache keeps what was read (FOPEN_KEEP_CACHE, infinite
 * attribute and entry timeouts: the tree never changes), so each page is
 * asked for once per mount. So the rule "every byte is verified when it is
 * loaded" holds, but only bytes that are loaded are decoded — as fs-verity
 * does it for a file system on a disk.
 *
 * A missing or tampered block fails that lookup or read with EIO, and the
 * caller's report callback receives the error naming the file and the block
 * (elf_error: file, eris.ref/level/index). Nothing from the block is handed
 * out.
 *
 * The server speaks the kernel's FUSE protocol itself (<linux/fuse.h>,
 * fuse.c): no libfuse, so that the static sigil-init serves its children's
 * /rom with it as `sigil exec` does. It answers requests on one thread
 * (with romfs_set_ahead, a second one verifies ahead) and uses one
 * store handle (the caller's): romfs_serve reads requests from an already
 * mounted /dev/fuse descriptor until the kernel ends the connection (the
 * last mount of it is gone). Nothing here forks, mounts, prints or keeps
 * global state.
 */
#ifndef SIGIL_ROMFS_H
#define SIGIL_ROMFS_H

#include "elf/elf.h"

#define ROMFS_WARN_UNUSED __attribute__((warn_unused_result))

typedef struct romfs romfs;

/* Called for each failed lookup or read with the error (file and block
 * named) and the process (thread) id that asked; err is valid during the
 * call only. */
typedef void (*romfs_report_fn)(void *ctx, int pid, const elf_error *err);

/* Called about once a second while no request arrives (and once after a
 * request if a second has passed). */
typedef void (*romfs_tick_fn)(void *ctx);

/* Builds the directory tree of d (copied: d may be released after; NULL: an
 * empty tree, for romfs_add_file) over the store s. With spec NULL the
 * romfs only uses s. With spec set (how s was opened), romfs_serve takes s
 * over: it closes it after 10 ms of no
 * requests — a pack store is locked against writers while open, and a
 * shared /rom may stay mounted long after its programs' start-up — and
 * opens spec again (STORE_READ) when a request needs a block, closing it
 * for good on return. ELF_E_DESC when a name is both a file and a
 * directory. *out is freed with romfs_free (which never closes s). */
int romfs_new(romfs **out, store *s, const char *spec, const elf_desc *d,
	      elf_error *err) ROMFS_WARN_UNUSED;

/* Adds a file at name ("a/b/c": its directories made as needed) with
 * capability cap and permission bits mode (0555 or 0444), before
 * romfs_serve or romfs_verify_all. ELF_E_DESC when the name is taken (or a
 * file is in the way), ELF_E_NOMEM. */
int romfs_add_file(romfs *fs, const char *name, const eris_cap *cap, unsigned mode,
		   elf_error *err) ROMFS_WARN_UNUSED;

/* Eager mode: decodes every distinct file whole now, every block verified
 * (and thrown away: serving decodes again on demand). 0, or ELF_E_ERIS with
 * err naming the file (err->file) and the block (err->eris), ELF_E_NOMEM. */
int romfs_verify_all(romfs *fs, elf_error *err) ROMFS_WARN_UNUSED;

/* The mount(2) data string for a FUSE mount served over fuse_fd, with the
 * options this server expects (rootmode, allow_other, default_permissions).
 * Returns 0, or -1 when it does not fit in size bytes. */
int romfs_mount_options(int fuse_fd, char *out, size_t size) ROMFS_WARN_UNUSED;

/* Serves requests arriving on fuse_fd (an open /dev/fuse already mounted
 * with romfs_mount_options) until the connection ends. report (may be
 * NULL) receives every failed lookup and read; tick (may be NULL) is
 * called about once a second, for the caller's housekeeping. Returns 0
 * when the kernel ended the connection, or ELF_E_IO / ELF_E_NOMEM when
 * serving could not start or broke off (err says why). fuse_fd is closed
 * on return. */
int romfs_serve(romfs *fs, int fuse_fd, romfs_report_fn report, romfs_tick_fn tick, void *ctx,
		elf_error *err) ROMFS_WARN_UNUSED;

/* Verify-ahead, for a machine with a CPU to spare: while romfs_serve
 * runs, a second thread decodes and verifies the leaves of the files
 * before they are read — first each file as it is looked up, in that
 * order, then every other file in the order it was added — and keeps at
 * most `budget` bytes of them until a read takes them (then they are the
 * read cache's). A read of a leaf the worker holds costs a copy; of the
 * leaf it is decoding, a wait; of any other leaf, what it costs without.
 * A block the worker finds bad is left to the read that wants it, which
 * fails and reports it as without. Only when romfs_new had no spec (the
 * store is never released); budget 0 (the default) turns it off. */
void romfs_set_ahead(romfs *fs, size_t budget);

/* Counters since romfs_new: lookups, reads and the bytes they handed to
 * the kernel, files opened, leaves decoded (fetched and verified) by the
 * reads, and leaves decoded ahead and taken by a read (romfs_set_ahead). */
typedef struct romfs_stats {
	uint64_t lookups, reads, read_bytes, files_opened, leaves;
	uint64_t ahead_leaves, ahead_taken;
} romfs_stats;
void romfs_get_stats(const romfs *fs, romfs_stats *st);

void romfs_free(romfs *fs);

#endif
