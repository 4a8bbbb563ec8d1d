/*
 * cpio.c — a deterministic writer of newc ("new ASCII") cpio archives, the
 * format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Each member is a 110-byte header of ASCII fields, the name with its NUL,
 * zero padding to a multiple of 4 (counted from the header's start), the
 * data, and zero padding to a multiple of 4:
 *
 *   offset size field (8 hexadecimal digits each, upper case)
 *   0      6    magic "070701"
 *   6      8    inode: 1, 2, ... in archive order
 *   14     8    mode (type and permission bits)
 *   22     8    uid: 0
 *   30     8    gid: 0
 *   38     8    nlink: 2 for a directory, else 1
 *   46     8    mtime: the caller's (SOURCE_DATE_EPOCH), the same for all
 *   54     8    file size (a link: its target's length)
 *   62     8    devmajor: 0
 *   70     8    devminor: 0
 *   78     8    rdevmajor (devices)
 *   86     8    rdevminor (devices)
 *   94     8    name size, with the NUL
 *   102    8    check: 0
 *
 * The archive ends with the member "TRAILER!!!" (inode 0, mode 0, nlink 1)
 * and zeros up to a multiple of 512 bytes. Members are sorted by name,
 * bytewise, which puts every directory before what it holds; a parent the
 * caller did not list is added as a directory with mode 0755. So the
 * archive depends only on the entries and the mtime: not on the order they
 * came in, the host's clock, owners or inode numbers.
 */
#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum { NAME_MAX_LEN = 4095, OUTBUF = 1 << 16 };

struct item {
	const char *name;
	const cpio_entry *e; /* NULL: an implied directory */
};

struct out {
	cpio_write_fn write;
	void *ctx;
	uint8_t buf[OUTBUF];
	size_t used;
	uint64_t total;
	int failed;
};

static void emit(struct out *o, const void *data, size_t len)
{
	const uint8_t *p = data;
	o->total += len;
	while (len && !o->failed) {
		size_t n = OUTBUF - o->used < len ? OUTBUF - o->used : len;
		memcpy(o->buf + o->used, p, n);
		o->used += n, p += n, len -= n;
		if (o->used == OUTBUF) {
			if (o->write(o->ctx, o->buf, o->used) < 0)
				o->failed = 1;
			o->used = 0;
		}
	}
}

static void pad(struct out *o, size_t align)
{
	static const uint8_t zeros[512];
	size_t r = (size_t)(o->total % align);
	if (r)
		emit(o, zeros, align - r);
}

static int check_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > NAME_MAX_LEN || name[0] == '/' || name[len - 1] == '/')
		return -1;
	/* a member (or an implied parent directory) named like the end marker
	 * would end the archive early for every reader */
	if (strncmp(name, "TRAILER!!!", 10) == 0 && (name[10] == 0 || name[10] == '/'))
		return -1;
	for (const char *p = name; *p;) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		p += n + (s != NULL);
	}
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	/* an explicit entry before an implied one of the same name */
	return (x->e == NULL) - (y->e == NULL);
}

static void header(struct out *o, uint32_t ino, uint32_t mode, uint32_t nlink, uint32_t mtime,
		   uint32_t size, uint32_t rmaj, uint32_t rmin, const char *name)
{
	char h[111];
	size_t nl = strlen(name) + 1;
	snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
		 mode, 0u, 0u, nlink, mtime, size, 0u, 0u, rmaj, rmin, (uint32_t)nl, 0u);
	emit(o, h, 110);
	emit(o, name, nl);
	pad(o, 4);
}

int cpio_write(const cpio_entry *entries, size_t n, uint64_t mtime, cpio_write_fn write, void *ctx,
	       disk_error *err)
{
	struct item *it = NULL;
	char **implied = NULL;
	size_t nit = 0, nimp = 0, cap = 0, impcap = 0;
	struct out *o = NULL;
	int rc = 0, fd = -1;

	if (mtime > 0xFFFFFFFFu)
		return disk_error_set(err, DISK_E_ARG, "mtime %llu does not fit a newc header",
				      (unsigned long long)mtime);
	for (size_t i = 0; i < n; i++) {
		const cpio_entry *e = &entries[i];
		uint32_t t = e->mode & S_IFMT;
		if (!e->name || check_name(e->name) < 0) {
			rc = disk_error_set(err, DISK_E_ARG, "invalid member name '%s'",
					    e->name ? e->name : "(null)");
			goto out;
		}
		if (t != S_IFREG && t != S_IFDIR && t != S_IFLNK && t != S_IFCHR && t != S_IFBLK) {
			rc = disk_error_set(err, DISK_E_ARG, "'%s': unsupported file type %#o", e->name,
					    t);
			goto out;
		}
		if ((e->mode & ~(uint32_t)(S_IFMT | 07777)) != 0 ||
		    (t == S_IFLNK && (!e->data || e->size == 0)) ||
		    (t == S_IFREG && !e->data && !e->path) || e->size > 0xFFFFFFFFu ||
		    (!e->data && e->size && t != S_IFREG)) {
			rc = disk_error_set(err, DISK_E_ARG, "'%s': invalid mode, content or size",
					    e->name);
			goto out;
		}
		/* every parent, as a possibly implied directory */
		for (const char *s = strchr(e->name, '/'); s; s = strchr(s + 1, '/')) {
			if (nimp == impcap) {
				size_t nc = impcap ? impcap * 2 : 16;
				char **p = realloc(implied, nc * sizeof *p);
				if (!p)
					goto nomem;
				implied = p, impcap = nc;
			}
			if (!(implied[nimp] = strndup(e->name, (size_t)(s - e->name))))
				goto nomem;
			nimp++;
		}
	}
	cap = n + nimp;
	if (cap && !(it = malloc(cap * sizeof *it)))
		goto nomem;
	for (size_t i = 0; i < n; i++)
		it[nit++] = (struct item){entries[i].name, &entries[i]};
	for (size_t i = 0; i < nimp; i++)
		it[nit++] = (struct item){implied[i], NULL};
	if (nit)
		qsort(it, nit, sizeof *it, cmp_item);
	/* drop duplicates: two explicit entries are an error; an implied one
	 * goes away when the name is listed (it must then be a directory) */
	size_t k = 0;
	for (size_t i = 0; i < nit; i++) {
		if (k && strcmp(it[k - 1].name, it[i].name) == 0) {
			if (it[i].e) {
				rc = disk_error_set(err, DISK_E_ARG, "'%s' is listed twice", it[i].name);
				goto out;
			}
			if (it[k - 1].e && (it[k - 1].e->mode & S_IFMT) != S_IFDIR) {
				rc = disk_error_set(err, DISK_E_ARG,
						    "'%s' is not a directory but has members",
						    it[i].name);
				goto out;
			}
			continue;
		}
		it[k++] = it[i];
	}
	nit = k;

	if (!(o = calloc(1, sizeof *o)))
		goto nomem;
	o->write = write, o->ctx = ctx;
	for (size_t i = 0; i < nit && !o->failed; i++) {
		const cpio_entry *e = it[i].e;
		uint32_t ino = (uint32_t)(i + 1);
		if (!e) {
			header(o, ino, S_IFDIR | 0755, 2, (uint32_t)mtime, 0, 0, 0, it[i].name);
			continue;
		}
		uint32_t t = e->mode & S_IFMT;
		if (t != S_IFREG || e->data) {
			header(o, ino, e->mode, t == S_IFDIR ? 2 : 1, (uint32_t)mtime, (uint32_t)e->size,
			       e->rdev_major, e->rdev_minor, e->name);
			if (e->size)
				emit(o, e->data, (size_t)e->size);
			pad(o, 4);
			continue;
		}
		struct stat st;
		if ((fd = open(e->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
			rc = disk_error_set(err, DISK_E_IO, "cannot read '%s': %s", e->path,
					    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > 0xFFFFFFFFu) {
			rc = disk_error_set(err, DISK_E_ARG, "'%s' is not a regular file under 4 GiB",
					    e->path);
			goto out;
		}
		header(o, ino, e->mode, 1, (uint32_t)mtime, (uint32_t)st.st_size, 0, 0, e->name);
		uint64_t left = (uint64_t)st.st_size;
		uint8_t chunk[16384];
		while (left) {
			ssize_t r = read(fd, chunk, left < sizeof chunk ? (size_t)left : sizeof chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = disk_error_set(err, DISK_E_IO, "'%s' changed or failed while read",
						    e->path);
				goto out;
			}
			emit(o, chunk, (size_t)r);
			left -= (uint64_t)r;
		}
		close(fd);
		fd = -1;
		pad(o, 4);
	}
	header(o, 0, 0, 1, 0, 0, 0, 0, "TRAILER!!!");
	pad(o, 512);
	if (!o->failed && o->used && o->write(o->ctx, o->buf, o->used) < 0)
		o->failed = 1;
	if (o->failed)
		rc = disk_error_set(err, DISK_E_IO, "cannot write the archive");
	goto out;
nomem:
	rc = disk_error_set(err, DISK_E_NOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < nimp; i++)
		free(implied[i]);
	free(implied);
	free(it);
	free(o);
	return rc;
}
