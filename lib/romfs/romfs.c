/*
 * romfs.c — the lazy /rom: a closure description served over FUSE (see
 * romfs.h for what and why).
 *
 * Inodes: romfs_new turns the description's names ("urn:eris:…",
 * "lib/python3.11/json/__init__.py") into a tree of nodes, node i having
 * inode number i + 1 (FUSE_ROOT_ID = 1 is node 0, the root). A directory
 * holds its children's node indices sorted by name (lookups bsearch them);
 * a file holds its capability and, once looked up, an open eris_reader and
 * its size. Nodes are never freed before romfs_free: the kernel's FORGET
 * needs no answer and the tree is small (one node per file and directory).
 *
 * Verification: only through lib/eris — eris_reader_open checks the root
 * and the right-most path (and the last leaf's padding, which gives the
 * size); eris_reader_pread checks every node and leaf on the way to the
 * bytes it returns, keeping the last path so that sequential reads fetch
 * each block once. A failure is reported (elf_error with the file and the
 * block) and answered with EIO; the reader stays usable for other ranges.
 *
 * Caching: entries and attributes never time out and files are opened with
 * keep_cache, so the kernel asks for each page once per mount. Reads go
 * through a small LRU cache of decrypted leaves (CACHE_LEAVES): the kernel
 * asks for page ranges, rarely leaf-aligned and in an order of its own
 * (read-around for mmap faults), and a 32 KiB leaf holds 8 pages; each
 * reader also keeps the internal nodes of its last path.
 *
 * Invariants: no byte reaches the kernel unless the reader verified the
 * leaf it came from; the server never writes (the mount is read-only and
 * every mutating operation is left unimplemented: ENOSYS).
 */
#define FUSE_USE_VERSION 35
#include "romfs.h"

#include <errno.h>
#include <fuse3/fuse_lowlevel.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* The tree never changes: the kernel may cache names and attributes for
 * as long as the mount lives. */
#define FOREVER 1e9

struct node {
	char *name;     /* the last component ("" for the root) */
	uint64_t parent; /* node index of the parent (0 for the root) */
	int is_dir;
	/* directories */
	size_t *kids; /* node indices, sorted by name once built */
	size_t n_kids, cap_kids;
	/* files */
	char *path; /* the full name under /rom (for reports) */
	eris_cap cap;
	eris_reader *r; /* opened by the first lookup */
	uint64_t size;
};

/* A decrypted, verified leaf: slot of the small cache every read goes
 * through (the kernel asks for pages, often not leaf-aligned, in an order
 * of its own; a 32 KiB leaf holds 8 of them). */
struct leaf {
	size_t node;    /* 1 + the file's node index; 0: empty */
	uint64_t index; /* leaf number within the file */
	size_t len;     /* content bytes in it */
	uint64_t used;  /* LRU clock */
	uint8_t *data;  /* ERIS_BLOCK_MAX bytes, allocated on first use */
};

enum { CACHE_LEAVES = 64 }; /* 2 MiB at 32 KiB */

struct romfs {
	store *s;   /* NULL while released */
	char *spec; /* to open it again; NULL: never released */
	struct leaf cache[CACHE_LEAVES];
	uint64_t clock;
	struct node *nodes;
	size_t n, cap;
	uint8_t *buf; /* read replies */
	size_t buf_size;
	romfs_report_fn report;
	romfs_tick_fn tick;
	void *report_ctx;
	romfs_stats stats;
	/* the last block reported, so that a retried read does not repeat it */
	uint8_t last_ref[ERIS_REF_SIZE];
	int has_last;
};

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
	struct node *n;
	if (grow(&fs->nodes, &fs->cap, fs->n + 1, sizeof *fs->nodes) != 0)
		return (size_t)-1;
	n = &fs->nodes[fs->n];
	memset(n, 0, sizeof *n);
	n->name = strndup(name, nlen);
	if (!n->name)
		return (size_t)-1;
	n->parent = parent;
	n->is_dir = is_dir;
	if (fs->n > 0) { /* not the root */
		struct node *p = &fs->nodes[parent];
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
	const struct node *d = &fs->nodes[dir];
	for (size_t i = d->n_kids; i-- > 0;) {
		const struct node *k = &fs->nodes[d->kids[i]];
		if (strncmp(k->name, name, len) == 0 && k->name[len] == '\0')
			return d->kids[i];
	}
	return (size_t)-1;
}

static int kid_cmp(const void *a, const void *b, void *ctx)
{
	const romfs *fs = ctx;
	return strcmp(fs->nodes[*(const size_t *)a].name, fs->nodes[*(const size_t *)b].name);
}

int romfs_new(romfs **out, store *s, const char *spec, const elf_desc *d, elf_error *err)
{
	romfs *fs = NULL;
	int rc = 0;

	*out = NULL;
	if (!s || !d)
		return elf_error_set(err, ELF_E_ARG, "no store or description");
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	fs->s = s;
	if ((spec && !(fs->spec = strdup(spec))) || add_node(fs, "", 0, 0, 1) == (size_t)-1) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < d->n_files; i++) {
		const char *name = d->files[i].name, *p = name;
		size_t dir = 0;
		for (;;) {
			const char *slash = strchr(p, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);
			size_t k = find_kid_linear(fs, dir, p, len);
			if (k != (size_t)-1 && (!slash || !fs->nodes[k].is_dir)) {
				rc = elf_error_set(err, ELF_E_DESC,
						   "\"%s\" is both a file and a directory under /rom",
						   name);
				goto fail;
			}
			if (k == (size_t)-1) {
				k = add_node(fs, p, len, dir, slash != NULL);
				if (k == (size_t)-1) {
					rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
					goto fail;
				}
			}
			if (!slash) {
				struct node *f = &fs->nodes[k];
				f->cap = d->files[i].cap;
				f->path = strdup(name);
				if (!f->path) {
					rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
					goto fail;
				}
				break;
			}
			dir = k;
			p = slash + 1;
		}
	}
	for (size_t i = 0; i < fs->n; i++)
		if (fs->nodes[i].is_dir && fs->nodes[i].n_kids > 1)
			qsort_r(fs->nodes[i].kids, fs->nodes[i].n_kids, sizeof(size_t), kid_cmp, fs);
	*out = fs;
	return 0;
fail:
	romfs_free(fs);
	return rc;
}

void romfs_free(romfs *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct node *n = &fs->nodes[i];
		free(n->name);
		free(n->kids);
		free(n->path);
		eris_reader_free(n->r);
		sodium_memzero(&n->cap, sizeof n->cap);
	}
	free(fs->nodes);
	free(fs->buf);
	free(fs->spec);
	for (size_t i = 0; i < CACHE_LEAVES; i++)
		if (fs->cache[i].data) {
			sodium_memzero(fs->cache[i].data, ERIS_BLOCK_MAX);
			free(fs->cache[i].data);
		}
	free(fs);
}

void romfs_get_stats(const romfs *fs, romfs_stats *st)
{
	*st = fs->stats;
}

int romfs_mount_options(int fuse_fd, char *out, size_t size)
{
	int n = snprintf(out, size,
			 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions",
			 fuse_fd);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- requests -------------------------------------------------------- */

static struct node *node_of(romfs *fs, fuse_ino_t ino)
{
	return ino >= 1 && ino <= fs->n ? &fs->nodes[ino - 1] : NULL;
}

/* Hands a failure on to the report callback (once per block in a row). */
static void report(romfs *fs, fuse_req_t req, const struct node *n, const eris_error *e,
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
	fs->report(fs->report_ctx, (int)fuse_req_ctx(req)->pid, &err);
}

/* The readers' block source: the store, opened again if it was released
 * while idle. */
static int get_block(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t buf_size,
		     const uint8_t **block, size_t *len, eris_error *err)
{
	romfs *fs = ctx;
	if (!fs->s && (!fs->spec || store_open(&fs->s, fs->spec, STORE_READ, err) != 0)) {
		fs->s = NULL;
		if (!fs->spec)
			eris_error_set(err, ERIS_E_IO, "the store is closed");
		return ERIS_E_IO;
	}
	return store_eris_get(fs->s, ref, buf, buf_size, block, len, err);
}

/* Opens the reader of file node n (root and right-most path verified).
 * 0, or an errno for the reply. */
static int open_file(romfs *fs, fuse_req_t req, struct node *n)
{
	eris_error e;

	if (n->r)
		return 0;
	memset(&e, 0, sizeof e);
	if (eris_reader_open(&n->r, &n->cap, get_block, fs, &e) != 0) {
		n->r = NULL;
		report(fs, req, n, &e, "cannot open");
		return e.code == ERIS_E_NOMEM ? ENOMEM : EIO;
	}
	n->size = eris_reader_size(n->r);
	fs->stats.files_opened++;
	return 0;
}

static void fill_attr(const romfs *fs, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = (ino_t)(n - fs->nodes) + 1;
	if (n->is_dir) {
		st->st_mode = S_IFDIR | (n == fs->nodes ? 0755 : 0555);
		st->st_nlink = 2;
		st->st_size = 4096;
	} else {
		st->st_mode = S_IFREG | 0555;
		st->st_nlink = 1;
		st->st_size = (off_t)n->size;
		st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	}
	st->st_blksize = 4096;
}

static int name_cmp(const void *key, const void *elem, const romfs *fs)
{
	return strcmp(key, fs->nodes[*(const size_t *)elem].name);
}

static struct node *lookup_kid(romfs *fs, const struct node *dir, const char *name)
{
	size_t lo = 0, hi = dir->n_kids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(name, &dir->kids[mid], fs);
		if (c == 0)
			return &fs->nodes[dir->kids[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* plain reads into our buffer; no splice, no write-back, no readdirplus */
	conn->want &= ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
				  FUSE_CAP_SPLICE_MOVE | FUSE_CAP_AUTO_INVAL_DATA |
				  FUSE_CAP_READDIRPLUS);
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	conn->time_gran = 1;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *dir = node_of(fs, parent), *n;
	struct fuse_entry_param e;
	int rc;

	fs->stats.lookups++;
	if (!dir || !dir->is_dir) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	n = lookup_kid(fs, dir, name);
	if (!n) {
		/* a negative entry, cached as long as the positive ones */
		memset(&e, 0, sizeof e);
		e.ino = 0;
		e.entry_timeout = FOREVER;
		fuse_reply_entry(req, &e);
		return;
	}
	if (!n->is_dir && (rc = open_file(fs, req, n)) != 0) {
		fuse_reply_err(req, rc);
		return;
	}
	memset(&e, 0, sizeof e);
	e.ino = (fuse_ino_t)(n - fs->nodes) + 1;
	e.generation = 1;
	e.attr_timeout = FOREVER;
	e.entry_timeout = FOREVER;
	fill_attr(fs, n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *n = node_of(fs, ino);
	struct stat st;
	int rc;

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!n->is_dir && (rc = open_file(fs, req, n)) != 0) {
		fuse_reply_err(req, rc);
		return;
	}
	fill_attr(fs, n, &st);
	fuse_reply_attr(req, &st, FOREVER);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *n = node_of(fs, ino);
	int rc;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->is_dir) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((rc = open_file(fs, req, n)) != 0) {
		fuse_reply_err(req, rc);
		return;
	}
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

/* Leaf `index` of file n, from the cache or decoded (and verified) into
 * it; NULL with *eno set (the failure reported) when it cannot be. */
static struct leaf *get_leaf(romfs *fs, fuse_req_t req, struct node *n, uint64_t index, int *eno)
{
	size_t id = (size_t)(n - fs->nodes) + 1;
	struct leaf *victim = &fs->cache[0];
	uint32_t bs = n->cap.block_size;
	eris_error e;
	size_t got = 0;

	for (size_t i = 0; i < CACHE_LEAVES; i++) {
		struct leaf *l = &fs->cache[i];
		if (l->node == id && l->index == index) {
			l->used = ++fs->clock;
			return l;
		}
		if (l->used < victim->used)
			victim = l;
	}
	if (!victim->data && !(victim->data = malloc(ERIS_BLOCK_MAX))) {
		*eno = ENOMEM;
		return NULL;
	}
	victim->node = 0;
	memset(&e, 0, sizeof e);
	if (eris_reader_pread(n->r, victim->data, bs, index * bs, &got, &e) != 0) {
		report(fs, req, n, &e, "cannot read");
		*eno = e.code == ERIS_E_NOMEM ? ENOMEM : EIO;
		return NULL;
	}
	victim->node = id;
	victim->index = index;
	victim->len = got;
	victim->used = ++fs->clock;
	return victim;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *n = node_of(fs, ino);
	uint64_t at, end;
	size_t done = 0;
	int rc;

	(void)fi;
	if (!n || n->is_dir) {
		fuse_reply_err(req, n ? EISDIR : ENOENT);
		return;
	}
	if ((rc = open_file(fs, req, n)) != 0) {
		fuse_reply_err(req, rc);
		return;
	}
	if (off < 0 || (uint64_t)off >= n->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	end = n->size - (uint64_t)off < size ? n->size : (uint64_t)off + size;
	if (size > fs->buf_size) {
		uint8_t *nb = realloc(fs->buf, size);
		if (!nb) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		fs->buf = nb;
		fs->buf_size = size;
	}
	for (at = (uint64_t)off; at < end;) {
		uint32_t bs = n->cap.block_size;
		size_t in = (size_t)(at % bs), k;
		struct leaf *l = get_leaf(fs, req, n, at / bs, &rc);
		if (!l) {
			fuse_reply_err(req, rc);
			return;
		}
		if (in >= l->len) /* cannot happen below n->size; never loop */
			break;
		k = l->len - in;
		if (k > end - at)
			k = (size_t)(end - at);
		memcpy(fs->buf + done, l->data + in, k);
		done += k;
		at += k;
	}
	fs->stats.reads++;
	fs->stats.read_bytes += done;
	fuse_reply_buf(req, (const char *)fs->buf, done);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *n = node_of(fs, ino);

	if (!n || !n->is_dir) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/* Entries: "." and ".." at offsets 0 and 1, then the children; an entry's
 * offset field is the offset of the next one. Sizes are left to the kernel
 * (stat on the entry looks it up). */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	romfs *fs = fuse_req_userdata(req);
	struct node *n = node_of(fs, ino);
	char *buf = NULL;
	size_t used = 0;

	(void)fi;
	if (!n || !n->is_dir) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = off < 0 ? 0 : (size_t)off; i < n->n_kids + 2; i++) {
		struct stat st;
		const char *name;
		const struct node *k;
		size_t need;
		memset(&st, 0, sizeof st);
		if (i < 2) {
			name = i == 0 ? "." : "..";
			k = i == 0 ? n : &fs->nodes[n->parent];
		} else {
			k = &fs->nodes[n->kids[i - 2]];
			name = k->name;
		}
		st.st_ino = (ino_t)(k - fs->nodes) + 1;
		st.st_mode = k->is_dir ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	romfs *fs = fuse_req_userdata(req);
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof sv);
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_files = fs->n;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.statfs = op_statfs,
};

/* The server's buffer: the largest request the kernel may send (libfuse
 * offers 256 pages of write payload at init) plus its headers. */
enum {
	REQ_BUF = (256 + 2) * 4096,
	RELEASE_MS = 10, /* idle time after which the store is closed */
};

int romfs_serve(romfs *fs, int fuse_fd, romfs_report_fn report_fn, romfs_tick_fn tick, void *ctx,
		elf_error *err)
{
	char *argv[] = {"sigil-rom", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_session *se = NULL;
	char mnt[32];
	char *req = NULL;
	time_t last_tick = time(NULL);
	int rc = 0;

	fs->report = report_fn;
	fs->tick = tick;
	fs->report_ctx = ctx;
	se = fuse_session_new(&args, &ops, sizeof ops, fs);
	req = malloc(REQ_BUF);
	if (!se || !req) {
		close(fuse_fd);
		rc = elf_error_set(err, ELF_E_NOMEM, "cannot start the /rom server (libfuse)");
		goto out;
	}
	/* libfuse takes over an open, mounted descriptor given as /dev/fd/N */
	snprintf(mnt, sizeof mnt, "/dev/fd/%d", fuse_fd);
	if (fuse_session_mount(se, mnt) != 0) {
		close(fuse_fd);
		rc = elf_error_set(err, ELF_E_IO, "cannot serve /rom on descriptor %d", fuse_fd);
		goto out;
	}
	/* Our own loop rather than fuse_session_loop: the end of the mount is
	 * ENODEV or ECONNABORTED, both the normal way out, which libfuse's
	 * receive would print as an error. */
	while (!fuse_session_exited(se)) {
		struct pollfd pfd = {fuse_fd, POLLIN, 0};
		struct fuse_buf fb;
		ssize_t n;
		int ready = poll(&pfd, 1, fs->s && fs->spec ? RELEASE_MS : 1000);
		if (ready == 0 && fs->s && fs->spec) {
			store_close(fs->s); /* idle: let writers have the store */
			fs->s = NULL;
		}
		if (tick && time(NULL) != last_tick) {
			last_tick = time(NULL);
			tick(ctx);
		}
		if (ready <= 0)
			continue;
		n = read(fuse_fd, req, REQ_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue; /* ENOENT: the request was interrupted */
			if (errno != ENODEV && errno != ECONNABORTED)
				rc = elf_error_set(err, ELF_E_IO, "the /rom server broke off: %s",
						   strerror(errno));
			break;
		}
		memset(&fb, 0, sizeof fb);
		fb.mem = req;
		fb.size = (size_t)n;
		fuse_session_process_buf(se, &fb);
	}
out:
	if (se)
		fuse_session_destroy(se); /* closes the descriptor */
	free(req);
	fuse_opt_free_args(&args);
	if (fs->spec) {
		store_close(fs->s);
		fs->s = NULL;
	}
	return rc;
}
