/*
 * fuse.c — romfs_serve: the kernel's FUSE protocol (<linux/fuse.h>, 7.26
 * or later) spoken directly on a mounted /dev/fuse descriptor, read-only.
 *
 * Each read(2) of the descriptor is one request: a fuse_in_header (opcode,
 * unique id, node id, the asker's pid) and its argument; each reply is one
 * writev(2) of a fuse_out_header (the same unique id, 0 or a negative
 * errno) and the answer. The requests served:
 *
 *   INIT             protocol 7.x; async reads, up to MAX_PAGES pages a
 *                    read; the kernel's readahead as it offers it
 *   LOOKUP           an entry (a negative one when the name is not there),
 *                    entry and attributes valid FOREVER: the tree never
 *                    changes; a file is opened (root verified) to know its
 *                    size
 *   GETATTR          the same attributes
 *   OPEN, OPENDIR    FOPEN_KEEP_CACHE (and FOPEN_CACHE_DIR): the page cache
 *                    keeps what was read for as long as the mount lives, so
 *                    each page is asked for once
 *   READ             romfs_file_read (every byte from a verified leaf)
 *   READDIR          ".", "..", then the children; an entry's offset is
 *                    the next entry's index
 *   STATFS           a read-only file system of n inodes
 *   RELEASE, RELEASEDIR, FLUSH   nothing to do: an empty answer
 *   FORGET, BATCH_FORGET, INTERRUPT   no answer (nodes live until the end)
 *   anything else    ENOSYS (the kernel remembers it for xattrs, access...)
 *
 * With romfs_set_ahead, the verify-ahead worker (romfs.c) runs beside the
 * loop from its start to its end.
 * The loop ends when the kernel ends the connection (ENODEV: the last
 * mount is gone, or the connection was aborted). An idle store is released
 * after RELEASE_MS when romfs_new was given its spec (see romfs.h).
 */
#include "romfs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define FOREVER 1000000000ull /* seconds: entries and attributes never change */

enum {
	MAX_PAGES = 256,                      /* 1 MiB reads */
	MAX_WRITE = 4096,                     /* nothing is written; the least allowed */
	REQ_BUF = 64 * 1024,                  /* >= FUSE_MIN_READ_BUFFER, max_write + headers */
	RELEASE_MS = 10,                      /* idle time after which the store is closed */
	MIN_MINOR = 26,
};

struct srv {
	romfs *fs;
	int fd;
	uint8_t *out;     /* read and readdir answers */
	size_t out_size;
};

static int reply(struct srv *sv, uint64_t unique, int error, const void *arg, size_t len)
{
	struct fuse_out_header h = {.len = (uint32_t)(sizeof h + len), .error = -error,
				    .unique = unique};
	struct iovec iov[2] = {{&h, sizeof h}, {(void *)arg, len}};
	ssize_t n = writev(sv->fd, iov, len ? 2 : 1);
	/* ENOENT: the request was interrupted meanwhile; nothing to do */
	return n < 0 && errno != ENOENT ? -1 : 0;
}

static uint64_t ino_of(const struct romfs_node *n)
{
	return (uint64_t)n->same + 1;
}

static void fill_attr(const struct romfs_node *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = ino_of(n);
	a->mode = (n->is_dir ? S_IFDIR : S_IFREG) | n->mode;
	a->nlink = n->is_dir ? 2 : 1;
	a->size = n->is_dir ? 4096 : n->size;
	a->blocks = (a->size + 511) / 512;
	a->blksize = 4096;
}

static void fill_entry(const struct romfs_node *n, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof *e);
	if (!n) { /* a negative entry, cached as long as the positive ones */
		e->entry_valid = FOREVER;
		return;
	}
	e->nodeid = ino_of(n);
	e->generation = 1;
	e->entry_valid = e->attr_valid = FOREVER;
	fill_attr(n, &e->attr);
}

static int op_init(struct srv *sv, uint64_t unique, const struct fuse_init_in *in, size_t len)
{
	struct fuse_init_out o;
	memset(&o, 0, sizeof o);
	if (len < 16 || in->major != FUSE_KERNEL_VERSION || in->minor < MIN_MINOR)
		return reply(sv, unique, EPROTO, NULL, 0);
	o.major = FUSE_KERNEL_VERSION;
	o.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	o.max_readahead = in->max_readahead;
	o.flags = in->flags & (FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_PARALLEL_DIROPS);
	o.max_background = 16;
	o.congestion_threshold = 12;
	o.max_write = MAX_WRITE;
	o.time_gran = 1;
	o.max_pages = MAX_PAGES;
	return reply(sv, unique, 0, &o, sizeof o);
}

/* Makes sv->out hold at least size bytes. 0 or ENOMEM. */
static int out_room(struct srv *sv, size_t size)
{
	if (size <= sv->out_size)
		return 0;
	uint8_t *nb = realloc(sv->out, size);
	if (!nb)
		return ENOMEM;
	sv->out = nb;
	sv->out_size = size;
	return 0;
}

static int op_readdir(struct srv *sv, uint64_t unique, struct romfs_node *d,
		      const struct fuse_read_in *in)
{
	romfs *fs = sv->fs;
	size_t used = 0, size = in->size;
	int rc;

	if ((rc = out_room(sv, size)) != 0)
		return reply(sv, unique, rc, NULL, 0);
	for (uint64_t i = in->offset; i < d->n_kids + 2; i++) {
		const struct romfs_node *k;
		const char *name;
		if (i < 2) {
			name = i == 0 ? "." : "..";
			k = i == 0 ? d : &fs->nodes[d->parent];
		} else {
			k = &fs->nodes[d->kids[i - 2]];
			name = k->name;
		}
		size_t nl = strlen(name), need = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);
		if (need > size - used)
			break;
		struct fuse_dirent *de = (struct fuse_dirent *)(void *)(sv->out + used);
		memset(de, 0, need);
		de->ino = ino_of(k);
		de->off = i + 1;
		de->namelen = (uint32_t)nl;
		de->type = k->is_dir ? 4 /* DT_DIR */ : 8 /* DT_REG */;
		memcpy(de->name, name, nl);
		used += need;
	}
	return reply(sv, unique, 0, sv->out, used);
}

/* One request of len bytes at buf. 0, or -1 when the answer could not be
 * written (the connection is gone). */
static int handle(struct srv *sv, const uint8_t *buf, size_t len)
{
	const struct fuse_in_header *h = (const void *)buf;
	const void *arg = buf + sizeof *h;
	size_t alen = len - sizeof *h;
	romfs *fs = sv->fs;
	struct romfs_node *n = romfs_node_of(fs, h->nodeid);
	int pid = (int)h->pid, rc;

	switch (h->opcode) {
	case FUSE_INIT:
		return op_init(sv, h->unique, arg, alen);
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return 0;
	case FUSE_DESTROY:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
		return reply(sv, h->unique, 0, NULL, 0);
	case FUSE_STATFS: {
		struct fuse_statfs_out o;
		memset(&o, 0, sizeof o);
		o.st.bsize = o.st.frsize = 4096;
		o.st.files = fs->n;
		o.st.namelen = 255;
		return reply(sv, h->unique, 0, &o, sizeof o);
	}
	default:
		break;
	}
	if (!n)
		return reply(sv, h->unique, h->opcode == FUSE_LOOKUP ? ENOENT : ENOSYS, NULL, 0);
	switch (h->opcode) {
	case FUSE_LOOKUP: {
		struct fuse_entry_out e;
		const char *name = arg;
		fs->stats.lookups++;
		if (!n->is_dir)
			return reply(sv, h->unique, ENOTDIR, NULL, 0);
		if (!alen || name[alen - 1] != '\0')
			return reply(sv, h->unique, EINVAL, NULL, 0);
		struct romfs_node *k = romfs_lookup(fs, n, name);
		if (k && !k->is_dir && (rc = romfs_file_open(fs, &fs->nodes[k->same], pid)) != 0)
			return reply(sv, h->unique, rc, NULL, 0);
		fill_entry(k ? &fs->nodes[k->same] : NULL, &e);
		return reply(sv, h->unique, 0, &e, sizeof e);
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out o;
		if (!n->is_dir && (rc = romfs_file_open(fs, n, pid)) != 0)
			return reply(sv, h->unique, rc, NULL, 0);
		memset(&o, 0, sizeof o);
		o.attr_valid = FOREVER;
		fill_attr(n, &o.attr);
		return reply(sv, h->unique, 0, &o, sizeof o);
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		const struct fuse_open_in *in = arg;
		struct fuse_open_out o;
		int dir = h->opcode == FUSE_OPENDIR;
		if (alen < sizeof *in)
			return reply(sv, h->unique, EINVAL, NULL, 0);
		if (n->is_dir != dir)
			return reply(sv, h->unique, dir ? ENOTDIR : EISDIR, NULL, 0);
		if ((in->flags & O_ACCMODE) != O_RDONLY)
			return reply(sv, h->unique, EROFS, NULL, 0);
		if (!dir && (rc = romfs_file_open(fs, n, pid)) != 0)
			return reply(sv, h->unique, rc, NULL, 0);
		memset(&o, 0, sizeof o);
		o.open_flags = FOPEN_KEEP_CACHE | (dir ? FOPEN_CACHE_DIR : 0);
		return reply(sv, h->unique, 0, &o, sizeof o);
	}
	case FUSE_READ:
	case FUSE_READDIR: {
		const struct fuse_read_in *in = arg;
		if (alen < sizeof *in)
			return reply(sv, h->unique, EINVAL, NULL, 0);
		if (h->opcode == FUSE_READDIR)
			return n->is_dir ? op_readdir(sv, h->unique, n, in)
					 : reply(sv, h->unique, ENOTDIR, NULL, 0);
		if (n->is_dir)
			return reply(sv, h->unique, EISDIR, NULL, 0);
		if ((rc = out_room(sv, in->size)) != 0)
			return reply(sv, h->unique, rc, NULL, 0);
		ssize_t got = romfs_file_read(fs, n, pid, sv->out, in->size, in->offset);
		if (got < 0)
			return reply(sv, h->unique, (int)-got, NULL, 0);
		return reply(sv, h->unique, 0, sv->out, (size_t)got);
	}
	default:
		return reply(sv, h->unique, ENOSYS, NULL, 0);
	}
}

int romfs_serve(romfs *fs, int fuse_fd, romfs_report_fn report_fn, romfs_tick_fn tick, void *ctx,
		elf_error *err)
{
	struct srv sv = {.fs = fs, .fd = fuse_fd};
	uint8_t *req = NULL;
	time_t last_tick = time(NULL);
	int rc = 0;

	fs->report = report_fn;
	fs->report_ctx = ctx;
	if ((rc = romfs_seal(fs, err)) != 0)
		goto out;
	if (!(req = malloc(REQ_BUF))) {
		rc = elf_error_set(err, ELF_E_NOMEM, "cannot start the /rom server: out of memory");
		goto out;
	}
	(void)romfs_ahead_start(fs); /* when asked for; without it, reads decode all */
	for (;;) {
		struct pollfd pfd = {fuse_fd, POLLIN, 0};
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
		ssize_t n = read(fuse_fd, req, REQ_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue; /* ENOENT: the request was interrupted */
			if (errno != ENODEV && errno != ECONNABORTED)
				rc = elf_error_set(err, ELF_E_IO, "the /rom server broke off: %s",
						   strerror(errno));
			break;
		}
		if ((size_t)n < sizeof(struct fuse_in_header))
			continue;
		if (handle(&sv, req, (size_t)n) != 0) {
			if (errno != ENODEV && errno != ECONNABORTED)
				rc = elf_error_set(err, ELF_E_IO, "the /rom server cannot answer: %s",
						   strerror(errno));
			break;
		}
	}
out:
	romfs_ahead_stop(fs);
	close(fuse_fd);
	free(req);
	free(sv.out);
	if (fs->spec) {
		store_close(fs->s);
		fs->s = NULL;
	}
	return rc;
}
