/*
 * romfs_int.h — what romfs.c (the tree, its files' verified bytes) and
 * fuse.c (the kernel's FUSE protocol over /dev/fuse) share. Private to
 * lib/romfs.
 *
 * Nodes: node i has inode number i + 1 (FUSE_ROOT_ID = 1 is node 0, the
 * root). A file whose capability and mode equal an earlier file's is an
 * alias of it (`same`): a lookup of either answers the first one's inode,
 * so the kernel keeps one page cache for both and the blocks are decoded
 * once — as hard links would.
 *
 * Verify-ahead (romfs_set_ahead, romfs.c "Verify-ahead"): a second thread
 * decodes leaves before they are asked for into each file's `ahead`
 * array; `mu` guards those arrays, the queue and the counters below it,
 * and serialises the store (both threads fetch blocks through it). Every
 * other field is the serving thread's alone, but for the nodes' `wr`,
 * which only the worker uses.
 */
#ifndef SIGIL_ROMFS_INT_H
#define SIGIL_ROMFS_INT_H

#include "romfs.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct romfs_node {
	char *name;      /* the last component ("" for the root) */
	size_t parent;   /* node index of the parent (0 for the root) */
	int is_dir;
	unsigned mode;   /* permission bits */
	/* directories */
	size_t *kids;    /* node indices, sorted by name once sealed */
	size_t n_kids, cap_kids;
	/* files */
	size_t same;     /* the node whose inode this one answers (itself, or
	                  * the first file with the same capability and mode) */
	char *path;      /* the full name (for reports) */
	eris_cap cap;
	eris_reader *r;  /* opened by the first lookup */
	uint64_t size;
	/* verify-ahead (under romfs.mu, but wr: the worker's own reader) */
	eris_reader *wr;
	uint8_t **ahead;     /* leaf index -> its verified bytes, decoded ahead */
	uint8_t *ahead_st;   /* leaf index -> enum romfs_ahead_state */
	uint64_t nleaves;    /* of both arrays (allocated by the worker) */
	uint64_t ahead_next; /* the first leaf the worker may still decode */
	int ahead_done;      /* nothing left for the worker in this file */
};

/* A leaf's verify-ahead state. */
enum romfs_ahead_state {
	AHEAD_NONE = 0,  /* not decoded yet: the worker may */
	AHEAD_READY,     /* in node.ahead, for the serving thread to take */
	AHEAD_TAKEN,     /* taken, decoded by the serving thread, or failed in
	                  * the worker (a read decodes it again and reports) */
};

/* A decrypted, verified leaf: a slot of the small cache every read goes
 * through (the kernel asks for pages, often not leaf-aligned, in an order
 * of its own; a 32 KiB leaf holds 8 of them). */
struct romfs_leaf {
	size_t node;     /* 1 + the file's node index; 0: empty */
	uint64_t index;  /* leaf number within the file */
	size_t len;      /* content bytes in it */
	uint64_t used;   /* LRU clock */
	uint32_t served; /* bit u: bytes [u * ROMFS_PAGE, (u + 1) * ROMFS_PAGE) of
			    the leaf (or up to len) went out in some read */
	uint8_t *data;   /* ERIS_BLOCK_MAX bytes, allocated on first use */
};

enum { ROMFS_PAGE = 4096 }; /* the unit of `served`: the kernel's page */

enum { ROMFS_CACHE_LEAVES = 64 }; /* 2 MiB at 32 KiB */

struct romfs {
	store *s;        /* NULL while released */
	char *spec;      /* to open it again; NULL: never released */
	struct romfs_leaf cache[ROMFS_CACHE_LEAVES];
	uint64_t clock;
	struct romfs_node *nodes;
	size_t n, cap;
	int sealed;      /* kids sorted, aliases found (romfs_seal) */
	romfs_report_fn report;
	void *report_ctx;
	romfs_stats stats;
	/* the last block reported, so that a retried read does not repeat it */
	uint8_t last_ref[ERIS_REF_SIZE];
	int has_last;
	/* verify-ahead: off while ahead_budget is 0 or the worker not running */
	size_t ahead_budget;
	int ahead_running;
	pthread_t ahead_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* a leaf decoded or taken, a file queued, stop */
	int ahead_stop;
	size_t ahead_bytes;  /* held in the nodes' ahead arrays */
	size_t busy_node;    /* 1 + the node whose leaf the worker decodes; 0: none */
	uint64_t busy_index;
	size_t *want;        /* files looked up while serving, in that order */
	size_t nwant, want_head, cap_want;
	size_t scan;         /* then every file in node order: the next one */
	uint64_t ahead_leaves, ahead_taken;
};

/* Sorts every directory and finds the aliases; once, before serving. 0 or
 * ELF_E_NOMEM. */
int romfs_seal(romfs *fs, elf_error *err);

/* The node of inode number ino (an alias's own node), or NULL. */
struct romfs_node *romfs_node_of(romfs *fs, uint64_t ino);

/* The child of directory dir named name, or NULL. */
struct romfs_node *romfs_lookup(romfs *fs, const struct romfs_node *dir, const char *name);

/* Opens file n's reader (root and right-most path verified), giving its
 * size. 0, or an errno for the reply (the failure reported, naming the
 * file and the block, with pid as the asker). */
int romfs_file_open(romfs *fs, struct romfs_node *n, int pid);

/* Starts the verify-ahead worker when romfs_set_ahead asked for it and the
 * store is never released (no spec); 0, or -1 (serving goes on without). */
int romfs_ahead_start(romfs *fs);

/* Stops and joins the worker, if it runs. */
void romfs_ahead_stop(romfs *fs);

/* Up to len bytes of file n from off into buf, every one from a verified
 * leaf. The count (0 at or past the end), or a negative errno (reported). */
ssize_t romfs_file_read(romfs *fs, struct romfs_node *n, int pid, uint8_t *buf, size_t len,
			uint64_t off);

#endif
