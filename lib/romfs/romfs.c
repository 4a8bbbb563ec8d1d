/*
 * romfs.c — the lazy /rom: a tree of files named by capability, each byte
 * decoded and verified when first read (see romfs.h for what and why;
 * fuse.c serves it to the kernel).
 *
 * Inodes: romfs_new and romfs_add_file turn names ("urn:eris:…",
 * "lib/python3.11/json/__init__.py") into a tree of nodes (romfs_int.h).
 * A directory holds its children's node indices, sorted by name when
 * sealed (lookups bsearch them); a file holds its capability and, once
 * looked up, an open eris_reader and its size. Nodes are never freed
 * before romfs_free: the kernel's FORGET needs no answer and the tree is
 * small (one node per file and directory). Files with the same capability
 * and mode are found when sealing (sorted, not compared pairwise) and
 * answered as one inode.
 *
 * Verification: only through lib/eris — eris_reader_open checks the root
 * and the right-most path (and the last leaf's padding, which gives the
 * size); eris_reader_pread checks every node and leaf on the way to the
 * bytes it returns, keeping the last path so that sequential reads fetch
 * each block once. A failure is reported (elf_error with the file and the
 * block) and answered with EIO; the reader stays usable for other ranges.
 *
 * Caching: reads go through a small cache of decrypted leaves
 * (ROMFS_CACHE_LEAVES): the kernel asks for page ranges, rarely
 * leaf-aligned and in an order of its own (read-around for mmap faults).
 * Each slot notes which of its leaf's pages went out whole in some read
 * (served); a new leaf takes an empty slot, else the least recently used
 * one whose pages all went out (the kernel keeps them: FOPEN_KEEP_CACHE),
 * else the least recently used. A plain LRU threw out leaves the kernel
 * had only half asked for while whole ones stayed: redis's start under
 * TCG decoded 486 leaves for 444 distinct ones, now 444.
 *
 * Verify-ahead (romfs_set_ahead): the worker thread takes the files
 * looked up while serving, in that order, then every other file in node
 * order, and decodes each one's leaves from the first not yet decoded,
 * through a reader of its own (n->wr), into n->ahead, while it holds less
 * than ahead_budget bytes (it waits for reads to take some). get_leaf
 * looks in the LRU cache, then in n->ahead (moving the leaf into the
 * cache), then waits if the worker is on that very leaf, and otherwise
 * decodes it itself, marking it taken so the worker skips it. Under TCG
 * with two vCPUs, the closures' blocks are verified beside the boot and
 * the children's own start instead of after each page fault. The worker
 * never reports: a leaf it cannot decode is marked taken and left to the
 * read, which fails and reports as without it. Both threads fetch blocks
 * under fs->mu (the store is not shared between threads otherwise); the
 * hashing and decryption run unlocked.
 *
 * Invariants: no byte reaches the caller unless a reader verified the
 * leaf it came from; nothing here writes to the store.
 */
#include "romfs_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void **v = p;
	size_t c = *cap ? *cap : 8;
	void *nv;
	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	nv = realloc(*v, c * sz);
	if (!nv)
		return -1;
	*v = nv;
	*cap = c;
	return 0;
}

/* Appends a node; returns its index or (size_t)-1. */
static size_t add_node(romfs *fs, const char *name, size_t nlen, size_t parent, int is_dir)
{
	struct romfs_node *n;
	if (grow(&fs->nodes, &fs->cap, fs->n + 1, sizeof *fs->nodes) != 0)
		return (size_t)-1;
	n = &fs->nodes[fs->n];
	memset(n, 0, sizeof *n);
	n->name = strndup(name, nlen);
	if (!n->name)
		return (size_t)-1;
	n->parent = parent;
	n->is_dir = is_dir;
	n->mode = fs->n == 0 ? 0755 : 0555;
	n->same = fs->n;
	if (fs->n > 0) { /* not the root */
		struct romfs_node *p = &fs->nodes[parent];
		if (grow(&p->kids, &p->cap_kids, p->n_kids + 1, sizeof *p->kids) != 0) {
			free(n->name);
			return (size_t)-1;
		}
		p->kids[p->n_kids++] = fs->n;
	}
	return fs->n++;
}

/* The child of dir named name[0..len), or (size_t)-1. Linear, newest
 * first: while building from sorted names that is almost always the first
 * one tried. */
static size_t find_kid_linear(const romfs *fs, size_t dir, const char *name, size_t len)
{
	const struct romfs_node *d = &fs->nodes[dir];
	for (size_t i = d->n_kids; i-- > 0;) {
		const struct romfs_node *k = &fs->nodes[d->kids[i]];
		if (strncmp(k->name, name, len) == 0 && k->name[len] == '\0')
			return d->kids[i];
	}
	return (size_t)-1;
}

int romfs_add_file(romfs *fs, const char *name, const eris_cap *cap, unsigned mode,
		   elf_error *err)
{
	const char *p = name;
	size_t dir = 0;

	if (fs->sealed)
		return elf_error_set(err, ELF_E_ARG, "the tree is sealed: \"%s\" comes too late", name);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		size_t k = find_kid_linear(fs, dir, p, len);
		if (len == 0 || (k != (size_t)-1 && (!slash || !fs->nodes[k].is_dir)))
			return elf_error_set(err, ELF_E_DESC,
					     "\"%s\" is both a file and a directory under /rom", name);
		if (k == (size_t)-1 && (k = add_node(fs, p, len, dir, slash != NULL)) == (size_t)-1)
			return elf_error_set(err, ELF_E_NOMEM, "out of memory");
		if (!slash) {
			struct romfs_node *f = &fs->nodes[k];
			f->cap = *cap;
			f->mode = mode & 0777;
			if (!(f->path = strdup(name)))
				return elf_error_set(err, ELF_E_NOMEM, "out of memory");
			return 0;
		}
		dir = k;
		p = slash + 1;
	}
}

int romfs_new(romfs **out, store *s, const char *spec, const elf_desc *d, elf_error *err)
{
	romfs *fs = NULL;
	int rc = 0;

	*out = NULL;
	if (!s)
		return elf_error_set(err, ELF_E_ARG, "no store");
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	fs->s = s;
	if ((spec && !(fs->spec = strdup(spec))) || add_node(fs, "", 0, 0, 1) == (size_t)-1) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; d && i < d->n_files; i++)
		if ((rc = romfs_add_file(fs, d->files[i].name, &d->files[i].cap, 0555, err)) != 0)
			goto fail;
	*out = fs;
	return 0;
fail:
	romfs_free(fs);
	return rc;
}

static int kid_cmp(const void *a, const void *b, void *ctx)
{
	const romfs *fs = ctx;
	return strcmp(fs->nodes[*(const size_t *)a].name, fs->nodes[*(const size_t *)b].name);
}

/* Files by capability and mode, then node index (the first is canonical). */
static int cap_cmp(const void *a, const void *b, void *ctx)
{
	const romfs *fs = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct romfs_node *x = &fs->nodes[i], *y = &fs->nodes[j];
	int c = memcmp(&x->cap, &y->cap, sizeof x->cap);
	if (c == 0)
		c = (x->mode > y->mode) - (x->mode < y->mode);
	return c ? c : (i > j) - (i < j);
}

int romfs_seal(romfs *fs, elf_error *err)
{
	size_t *files = NULL, nf = 0;

	if (fs->sealed)
		return 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->nodes[i].is_dir && fs->nodes[i].n_kids > 1)
			qsort_r(fs->nodes[i].kids, fs->nodes[i].n_kids, sizeof(size_t), kid_cmp, fs);
	if (!(files = malloc((fs->n + 1) * sizeof *files)))
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	for (size_t i = 0; i < fs->n; i++)
		if (!fs->nodes[i].is_dir)
			files[nf++] = i;
	qsort_r(files, nf, sizeof *files, cap_cmp, fs);
	for (size_t i = 1; i < nf; i++) {
		struct romfs_node *a = &fs->nodes[files[i - 1]], *b = &fs->nodes[files[i]];
		if (memcmp(&a->cap, &b->cap, sizeof a->cap) == 0 && a->mode == b->mode)
			b->same = a->same;
	}
	free(files);
	fs->sealed = 1;
	return 0;
}

void romfs_free(romfs *fs)
{
	if (!fs)
		return;
	romfs_ahead_stop(fs);
	for (size_t i = 0; i < fs->n; i++) {
		struct romfs_node *n = &fs->nodes[i];
		free(n->name);
		free(n->kids);
		free(n->path);
		eris_reader_free(n->r);
		eris_reader_free(n->wr);
		for (uint64_t k = 0; n->ahead && k < n->nleaves; k++)
			if (n->ahead[k]) {
				sodium_memzero(n->ahead[k], n->cap.block_size);
				free(n->ahead[k]);
			}
		free(n->ahead);
		free(n->ahead_st);
		sodium_memzero(&n->cap, sizeof n->cap);
	}
	free(fs->nodes);
	free(fs->spec);
	free(fs->want);
	for (size_t i = 0; i < ROMFS_CACHE_LEAVES; i++)
		if (fs->cache[i].data) {
			sodium_memzero(fs->cache[i].data, ERIS_BLOCK_MAX);
			free(fs->cache[i].data);
		}
	free(fs);
}

void romfs_get_stats(const romfs *fs, romfs_stats *st)
{
	*st = fs->stats;
	st->ahead_leaves = fs->ahead_leaves;
	st->ahead_taken = fs->ahead_taken;
}

void romfs_set_ahead(romfs *fs, size_t budget)
{
	fs->ahead_budget = budget;
}

int romfs_mount_options(int fuse_fd, char *out, size_t size)
{
	int n = snprintf(out, size,
			 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions",
			 fuse_fd);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- lookups and reads --------------------------------------------------- */

struct romfs_node *romfs_node_of(romfs *fs, uint64_t ino)
{
	return ino >= 1 && ino <= fs->n ? &fs->nodes[ino - 1] : NULL;
}

struct romfs_node *romfs_lookup(romfs *fs, const struct romfs_node *dir, const char *name)
{
	size_t lo = 0, hi = dir->n_kids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, fs->nodes[dir->kids[mid]].name);
		if (c == 0)
			return &fs->nodes[dir->kids[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Hands a failure on to the report callback (once per block in a row). */
static void report(romfs *fs, int pid, const struct romfs_node *n, const eris_error *e,
		   const char *what)
{
	elf_error err;

	if (e->has_ref && fs->has_last && memcmp(fs->last_ref, e->ref, ERIS_REF_SIZE) == 0)
		return;
	fs->has_last = e->has_ref;
	if (e->has_ref)
		memcpy(fs->last_ref, e->ref, ERIS_REF_SIZE);
	if (!fs->report)
		return;
	memset(&err, 0, sizeof err);
	err.eris = *e;
	snprintf(err.file, sizeof err.file, "%s", n->path);
	elf_error_set(&err, ELF_E_ERIS, "%s file \"%s\": %s", what, n->path, e->msg);
	fs->report(fs->report_ctx, pid, &err);
}

/* The readers' block source: the store, opened again if it was released
 * while idle. */
static int get_block(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t buf_size,
		     const uint8_t **block, size_t *len, eris_error *err)
{
	romfs *fs = ctx;
	if (fs->ahead_running) { /* no spec: the store stays open */
		pthread_mutex_lock(&fs->mu);
		int rc = store_eris_get(fs->s, ref, buf, buf_size, block, len, err);
		pthread_mutex_unlock(&fs->mu);
		return rc;
	}
	if (!fs->s && (!fs->spec || store_open(&fs->s, fs->spec, STORE_READ, err) != 0)) {
		fs->s = NULL;
		if (!fs->spec)
			eris_error_set(err, ERIS_E_IO, "the store is closed");
		return ERIS_E_IO;
	}
	return store_eris_get(fs->s, ref, buf, buf_size, block, len, err);
}

static int open_reader(romfs *fs, struct romfs_node *n, eris_error *e)
{
	if (n->r)
		return 0;
	if (eris_reader_open(&n->r, &n->cap, get_block, fs, e) != 0) {
		n->r = NULL;
		return -1;
	}
	n->size = eris_reader_size(n->r);
	fs->stats.files_opened++;
	if (fs->ahead_running) { /* the worker takes it next */
		pthread_mutex_lock(&fs->mu);
		size_t c = fs->cap_want ? fs->cap_want : 16;
		while (c < fs->nwant + 1)
			c *= 2;
		size_t *w = c == fs->cap_want ? fs->want : realloc(fs->want, c * sizeof *w);
		if (w) { /* else it waits for its turn in node order */
			fs->want = w;
			fs->cap_want = c;
			fs->want[fs->nwant++] = (size_t)(n - fs->nodes);
			pthread_cond_broadcast(&fs->cv);
		}
		pthread_mutex_unlock(&fs->mu);
	}
	return 0;
}

int romfs_file_open(romfs *fs, struct romfs_node *n, int pid)
{
	eris_error e;

	memset(&e, 0, sizeof e);
	if (open_reader(fs, n, &e) == 0)
		return 0;
	report(fs, pid, n, &e, "cannot open");
	return e.code == ERIS_E_NOMEM ? ENOMEM : EIO;
}

/* ---- verify-ahead ----------------------------------------------------------- */

/* The serving thread's side: when the worker holds leaf `index` of n (or
 * is decoding it: waited for), moves it into the cache slot l and returns
 * 1; else marks it taken (the caller decodes it) and returns 0. */
static int take_ahead(romfs *fs, struct romfs_node *n, uint64_t index, struct romfs_leaf *l)
{
	size_t id = (size_t)(n - fs->nodes) + 1;
	uint32_t bs = n->cap.block_size;
	int took = 0;

	pthread_mutex_lock(&fs->mu);
	while (fs->busy_node == id && fs->busy_index == index)
		pthread_cond_wait(&fs->cv, &fs->mu);
	if (n->ahead_st && index < n->nleaves) {
		if (n->ahead_st[index] == AHEAD_READY &&
		    (bs < ERIS_BLOCK_MAX ? l->data || (l->data = malloc(ERIS_BLOCK_MAX)) : 1)) {
			/* cache slots hold ERIS_BLOCK_MAX bytes; the worker's
			 * leaves their block size */
			if (bs < ERIS_BLOCK_MAX) {
				memcpy(l->data, n->ahead[index], bs);
				sodium_memzero(n->ahead[index], bs);
				free(n->ahead[index]);
			} else {
				if (l->data) {
					sodium_memzero(l->data, ERIS_BLOCK_MAX);
					free(l->data);
				}
				l->data = n->ahead[index];
			}
			n->ahead[index] = NULL;
			fs->ahead_bytes -= bs;
			fs->ahead_taken++;
			took = 1;
			pthread_cond_broadcast(&fs->cv); /* room under the budget */
		}
		if (took || n->ahead_st[index] != AHEAD_READY) /* else: out of memory */
			n->ahead_st[index] = AHEAD_TAKEN;
	}
	pthread_mutex_unlock(&fs->mu);
	if (took) {
		uint64_t at = index * bs;
		l->node = id;
		l->index = index;
		l->len = n->size - at < bs ? (size_t)(n->size - at) : bs;
		l->used = ++fs->clock;
		l->served = 0;
	}
	return took;
}

/* Under fs->mu: the next leaf for the worker, as node index and leaf
 * (UINT64_MAX: the file's reader is to be opened first). 0 when there is
 * none left. */
static int ahead_pick(romfs *fs, size_t *node, uint64_t *index)
{
	for (;;) {
		int queued = fs->want_head < fs->nwant;
		size_t i = queued ? fs->want[fs->want_head] : fs->scan;
		if (!queued && i >= fs->n)
			return 0;
		struct romfs_node *n = &fs->nodes[i];
		if (!n->is_dir && n->same == i && !n->ahead_done) {
			*node = i;
			if (!n->ahead_st) {
				*index = UINT64_MAX;
				return 1;
			}
			while (n->ahead_next < n->nleaves &&
			       n->ahead_st[n->ahead_next] != AHEAD_NONE)
				n->ahead_next++;
			if (n->ahead_next < n->nleaves) {
				*index = n->ahead_next;
				return 1;
			}
			n->ahead_done = 1;
		}
		if (queued)
			fs->want_head++;
		else
			fs->scan++;
	}
}

/* The worker: opens a file's reader (its root and right-most path
 * verified) and sizes its arrays, or decodes one leaf, until stopped. */
static void *ahead_main(void *arg)
{
	romfs *fs = arg;
	uint8_t *buf = NULL; /* the next leaf's, bufsize (its block size) bytes */
	size_t bufsize = 0;
	eris_error e;

	pthread_mutex_lock(&fs->mu);
	while (!fs->ahead_stop) {
		size_t i;
		uint64_t index;
		if (!ahead_pick(fs, &i, &index) ||
		    (index != UINT64_MAX &&
		     fs->ahead_bytes + fs->nodes[i].cap.block_size > fs->ahead_budget)) {
			pthread_cond_wait(&fs->cv, &fs->mu);
			continue;
		}
		struct romfs_node *n = &fs->nodes[i];
		uint32_t bs = n->cap.block_size;
		memset(&e, 0, sizeof e);
		if (index == UINT64_MAX) {
			pthread_mutex_unlock(&fs->mu);
			int ok = eris_reader_open(&n->wr, &n->cap, get_block, fs, &e) == 0;
			uint64_t size = ok ? eris_reader_size(n->wr) : 0, nl = (size + bs - 1) / bs;
			uint8_t **a = ok ? calloc(nl + 1, sizeof *a) : NULL;
			uint8_t *st = a ? calloc(nl + 1, 1) : NULL;
			pthread_mutex_lock(&fs->mu);
			if (!st) {
				free(a);
				n->ahead_done = 1; /* the reads decode it */
				continue;
			}
			n->ahead = a;
			n->ahead_st = st;
			n->nleaves = nl;
			continue;
		}
		fs->busy_node = i + 1;
		fs->busy_index = index;
		n->ahead_st[index] = AHEAD_TAKEN; /* a read of it waits for busy */
		pthread_mutex_unlock(&fs->mu);
		size_t got = 0;
		if (buf && bufsize != bs) {
			sodium_memzero(buf, bufsize);
			free(buf);
			buf = NULL;
		}
		bufsize = bs;
		int ok = (buf || (buf = malloc(bs))) &&
			 eris_reader_pread(n->wr, buf, bs, index * bs, &got, &e) == 0;
		pthread_mutex_lock(&fs->mu);
		fs->busy_node = 0;
		if (ok) {
			n->ahead[index] = buf;
			n->ahead_st[index] = AHEAD_READY;
			fs->ahead_bytes += bs;
			fs->ahead_leaves++;
			buf = NULL;
		}
		pthread_cond_broadcast(&fs->cv);
	}
	pthread_mutex_unlock(&fs->mu);
	if (buf) {
		sodium_memzero(buf, bufsize);
		free(buf);
	}
	return NULL;
}

int romfs_ahead_start(romfs *fs)
{
	if (!fs->ahead_budget || fs->spec || !fs->s || fs->ahead_running)
		return 0;
	if (pthread_mutex_init(&fs->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&fs->cv, NULL) != 0) {
		pthread_mutex_destroy(&fs->mu);
		return -1;
	}
	fs->ahead_stop = 0;
	fs->ahead_running = 1; /* before the thread: get_block locks from now on */
	if (pthread_create(&fs->ahead_thread, NULL, ahead_main, fs) != 0) {
		fs->ahead_running = 0;
		pthread_cond_destroy(&fs->cv);
		pthread_mutex_destroy(&fs->mu);
		return -1;
	}
	return 0;
}

void romfs_ahead_stop(romfs *fs)
{
	if (!fs->ahead_running)
		return;
	pthread_mutex_lock(&fs->mu);
	fs->ahead_stop = 1;
	pthread_cond_broadcast(&fs->cv);
	pthread_mutex_unlock(&fs->mu);
	pthread_join(fs->ahead_thread, NULL);
	fs->ahead_running = 0;
	pthread_cond_destroy(&fs->cv);
	pthread_mutex_destroy(&fs->mu);
}

/* ---- reads ------------------------------------------------------------------ */

/* Has every page of l gone out in some read? The kernel keeps what it
 * was given (FOPEN_KEEP_CACHE), so such a leaf is seldom asked for again. */
static int served_all(const struct romfs_leaf *l)
{
	size_t units = (l->len + ROMFS_PAGE - 1) / ROMFS_PAGE;
	return units < 32 && l->served == (1u << units) - 1;
}

/* Notes that bytes [in, in + k) of l went out: each page they cover
 * whole (the leaf's last one up to its end). */
static void mark_served(struct romfs_leaf *l, size_t in, size_t k)
{
	size_t end = in + k;
	for (size_t u = (in + ROMFS_PAGE - 1) / ROMFS_PAGE; u < 32; u++) {
		size_t ue = (u + 1) * ROMFS_PAGE < l->len ? (u + 1) * ROMFS_PAGE : l->len;
		if (u * ROMFS_PAGE >= l->len || ue > end)
			break;
		l->served |= 1u << u;
	}
}

/* Which cache slot a new leaf goes to: an empty one, else the least
 * recently used of those served whole, else the least recently used. */
static struct romfs_leaf *pick_victim(romfs *fs)
{
	struct romfs_leaf *best = &fs->cache[0];
	int best_rank = 3;
	for (size_t i = 0; i < ROMFS_CACHE_LEAVES; i++) {
		struct romfs_leaf *l = &fs->cache[i];
		int rank = !l->node ? 0 : served_all(l) ? 1 : 2;
		if (rank < best_rank || (rank == best_rank && l->used < best->used)) {
			best = l;
			best_rank = rank;
		}
	}
	return best;
}

/* Leaf `index` of file n, from the cache, taken from the worker, or
 * decoded (and verified) into it; NULL with *eno set (the failure
 * reported) when it cannot be. */
static struct romfs_leaf *get_leaf(romfs *fs, int pid, struct romfs_node *n, uint64_t index,
				   int *eno)
{
	size_t id = (size_t)(n - fs->nodes) + 1;
	struct romfs_leaf *victim;
	uint32_t bs = n->cap.block_size;
	eris_error e;
	size_t got = 0;

	for (size_t i = 0; i < ROMFS_CACHE_LEAVES; i++) {
		struct romfs_leaf *l = &fs->cache[i];
		if (l->node == id && l->index == index) {
			l->used = ++fs->clock;
			return l;
		}
	}
	victim = pick_victim(fs);
	victim->node = 0;
	if (fs->ahead_running && take_ahead(fs, n, index, victim))
		return victim;
	if (!victim->data && !(victim->data = malloc(ERIS_BLOCK_MAX))) {
		*eno = ENOMEM;
		return NULL;
	}
	memset(&e, 0, sizeof e);
	if (eris_reader_pread(n->r, victim->data, bs, index * bs, &got, &e) != 0) {
		report(fs, pid, n, &e, "cannot read");
		*eno = e.code == ERIS_E_NOMEM ? ENOMEM : EIO;
		return NULL;
	}
	fs->stats.leaves++;
	victim->node = id;
	victim->index = index;
	victim->len = got;
	victim->used = ++fs->clock;
	victim->served = 0;
	return victim;
}

ssize_t romfs_file_read(romfs *fs, struct romfs_node *n, int pid, uint8_t *buf, size_t len,
			uint64_t off)
{
	size_t done = 0;
	uint64_t end;
	int rc;

	if ((rc = romfs_file_open(fs, n, pid)) != 0)
		return -rc;
	if (off >= n->size)
		return 0;
	end = n->size - off < len ? n->size : off + len;
	for (uint64_t at = off; at < end;) {
		uint32_t bs = n->cap.block_size;
		size_t in = (size_t)(at % bs), k;
		struct romfs_leaf *l = get_leaf(fs, pid, n, at / bs, &rc);
		if (!l)
			return -rc;
		if (in >= l->len) /* cannot happen below n->size; never loop */
			break;
		k = l->len - in;
		if (k > end - at)
			k = (size_t)(end - at);
		memcpy(buf + done, l->data + in, k);
		mark_served(l, in, k);
		done += k;
		at += k;
	}
	fs->stats.reads++;
	fs->stats.read_bytes += done;
	return (ssize_t)done;
}

int romfs_verify_all(romfs *fs, elf_error *err)
{
	struct romfs_node *n = NULL;
	uint8_t *buf = NULL;
	eris_error e;
	int rc;

	if ((rc = romfs_seal(fs, err)) != 0)
		return rc;
	if (!(buf = malloc(ERIS_BLOCK_MAX)))
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	memset(&e, 0, sizeof e);
	for (size_t i = 0; i < fs->n && rc == 0; i++) {
		size_t got = 0;
		n = &fs->nodes[i];
		if (n->is_dir || n->same != i)
			continue;
		if (open_reader(fs, n, &e) != 0)
			rc = ELF_E_ERIS;
		for (uint64_t at = 0; rc == 0 && at < n->size; at += got)
			if (eris_reader_pread(n->r, buf, n->cap.block_size, at, &got, &e) != 0 ||
			    (!got && eris_error_set(&e, ERIS_E_IO, "a short read") != 0))
				rc = ELF_E_ERIS;
	}
	if (rc != 0) {
		err->eris = e;
		snprintf(err->file, sizeof err->file, "%s", n->path);
		elf_error_set(err, rc, "file \"%s\": %s", n->path, e.msg);
	}
	sodium_memzero(buf, ERIS_BLOCK_MAX);
	free(buf);
	return rc;
}
