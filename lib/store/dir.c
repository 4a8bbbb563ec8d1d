/*
 * dir.c — a directory of blocks, one file per block.
 *
 * Layout:
 *
 *   DIR/sigil-store        marker: "sigil dir store 1\n"
 *   DIR/AB/ABCDEF…         the block whose reference is base32 "ABCDEF…"
 *                          (52 characters; fanned out by the first two)
 *   DIR/tmp/               partial writes, removed on success
 *
 * Writes are atomic and durable: a block is written to DIR/tmp/NAME.PID.N,
 * fdatasync'ed, then renamed into place, so a block file either holds the
 * whole block or does not exist. The fan-out directories touched are fsync'ed
 * by store_flush (and at close), which makes the renames themselves durable.
 * A crash can leave files in DIR/tmp: they are never read, and are removed
 * the next time the store is opened for writing.
 *
 * Reads open the file and read it whole — no fstat: a short read is the end
 * of a regular file, a full buffer is checked for more with one byte more —
 * three system calls for a 1 KiB block (eris serve makes one read per
 * request). A file that is not a regular one reads as an error or as a
 * block of the wrong size; verification against the reference happens in
 * store.c.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const char marker_name[] = "sigil-store";
static const char marker_text[] = "sigil dir store 1\n";

enum { FANOUT = 32 * 32 };

struct dir_store {
	struct store base;
	int dfd;                     /* the store directory */
	char *path;
	unsigned long seq;           /* for tmp names */
	unsigned char dirty[FANOUT]; /* fan-out directories with unsynced renames */
};

static unsigned b32_index(char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned)(c - 'A') : (unsigned)(c - '2' + 26);
}

/* "AB/ABCDEF…" for ref; returns the fan-out slot. */
static unsigned block_path(const uint8_t *ref, char out[3 + ERIS_REF_B32_LEN + 1])
{
	char name[ERIS_REF_B32_LEN + 1];

	eris_ref_to_b32(ref, name);
	out[0] = name[0];
	out[1] = name[1];
	out[2] = '/';
	memcpy(out + 3, name, ERIS_REF_B32_LEN + 1);
	return b32_index(name[0]) * 32 + b32_index(name[1]);
}

static int dir_get(store *s, const uint8_t *ref, uint8_t *buf, size_t size,
		   const uint8_t **block, size_t *len, eris_error *err)
{
	struct dir_store *d = (struct dir_store *)s;
	char rel[3 + ERIS_REF_B32_LEN + 1];
	uint8_t more;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	block_path(ref, rel);
	/* O_NONBLOCK: a FIFO planted in the store must not hang the reader */
	fd = openat(d->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return ERIS_E_MISSING;
		return eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, rel, strerror(errno));
	}
	for (;;) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, rel, strerror(errno));
			goto out;
		}
		got += (size_t)n;
		/* short of a full buffer at a block's length, the read was
		 * short: the end of the file. Elsewhere read on to be sure. */
		if (n == 0 || got == size || got == ERIS_BLOCK_1K || got == ERIS_BLOCK_32K)
			break;
	}
	if (got == size && size > 0) {
		while ((n = read(fd, &more, 1)) < 0 && errno == EINTR)
			;
		if (n != 0) {
			rc = eris_error_set(err, ERIS_E_SIZE, "%s/%s: block is more than %zu bytes",
					    d->path, rel, size);
			goto out;
		}
	}
	*len = got;
	*block = buf;
out:
	close(fd);
	return rc;
}

static int dir_has(store *s, const uint8_t *ref, eris_error *err)
{
	struct dir_store *d = (struct dir_store *)s;
	char rel[3 + ERIS_REF_B32_LEN + 1];

	block_path(ref, rel);
	if (faccessat(d->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, rel, strerror(errno));
}

static int dir_put(store *s, const uint8_t *ref, const uint8_t *block, size_t len,
		   eris_error *err)
{
	struct dir_store *d = (struct dir_store *)s;
	char rel[3 + ERIS_REF_B32_LEN + 1], tmp[128];
	unsigned slot;
	int fd = -1, rc = 0;

	slot = block_path(ref, rel);
	if (faccessat(d->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	snprintf(tmp, sizeof tmp, "tmp/%s.%ld.%lu", rel + 3, (long)getpid(), d->seq++);
	fd = openat(d->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, tmp, strerror(errno));
		goto out;
	}
	if (store_io_write(fd, block, len) != 0 || fdatasync(fd) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	char sub[3] = {rel[0], rel[1], '\0'};
	if (mkdirat(d->dfd, sub, 0755) != 0 && errno != EEXIST) {
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, sub, strerror(errno));
		goto out;
	}
	if (renameat(d->dfd, tmp, d->dfd, rel) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, rel, strerror(errno));
		goto out;
	}
	d->dirty[slot] = 1;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	unlinkat(d->dfd, tmp, 0);
	return rc;
}

static int sync_dir(struct dir_store *d, const char *rel, eris_error *err)
{
	int fd = openat(d->dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) != 0)
		rc = eris_error_set(err, ERIS_E_IO, "%s/%s: cannot sync: %s", d->path, rel,
				    strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static int dir_flush(store *s, eris_error *err)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	struct dir_store *d = (struct dir_store *)s;
	int rc = 0;

	for (unsigned i = 0; i < FANOUT; i++) {
		if (!d->dirty[i])
			continue;
		char sub[3] = {alphabet[i / 32], alphabet[i % 32], '\0'};
		if (rc == 0)
			rc = sync_dir(d, sub, err);
		d->dirty[i] = 0;
	}
	return rc;
}

static void dir_close(store *s)
{
	struct dir_store *d = (struct dir_store *)s;

	(void)dir_flush(s, NULL);
	if (d->dfd >= 0)
		close(d->dfd);
	free(d->path);
	free(d);
}

/* Calls fn(ctx, ref, size, subdir fd, name) for every block file. */
typedef int (*dir_each_fn)(void *ctx, const uint8_t *ref, size_t len, int subfd, const char *name);

static int dir_each(struct dir_store *d, dir_each_fn fn, void *ctx, eris_error *err)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	int rc = 0;

	for (unsigned i = 0; i < FANOUT && rc == 0; i++) {
		char sub[3] = {alphabet[i / 32], alphabet[i % 32], '\0'};
		int fd = openat(d->dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *e;
		if (!dir) {
			if (fd >= 0)
				close(fd);
			if (errno == ENOENT)
				continue;
			return eris_error_set(err, ERIS_E_IO, "%s/%s: %s", d->path, sub, strerror(errno));
		}
		while (rc == 0 && (e = readdir(dir)) != NULL) {
			uint8_t ref[ERIS_REF_SIZE];
			struct stat st;
			if (strlen(e->d_name) != ERIS_REF_B32_LEN ||
			    eris_ref_from_b32(ref, e->d_name, ERIS_REF_B32_LEN) != 0 ||
			    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue; /* not a block file */
			if (fn(ctx, ref, (size_t)st.st_size, dirfd(dir), e->d_name) != 0)
				rc = eris_error_set(err, ERIS_E_IO, "listing stopped");
		}
		closedir(dir);
	}
	return rc;
}

struct list_ctx {
	store_list_fn fn;
	void *ctx;
	store_keep_fn keep;
	uint64_t *removed;
	struct dir_store *d;
};

static int list_one(void *ctx, const uint8_t *ref, size_t len, int subfd, const char *name)
{
	struct list_ctx *l = ctx;

	(void)subfd;
	(void)name;
	return l->fn(l->ctx, ref, len);
}

static int dir_list(store *s, store_list_fn fn, void *ctx, eris_error *err)
{
	struct list_ctx l = {fn, ctx, NULL, NULL, (struct dir_store *)s};

	return dir_each((struct dir_store *)s, list_one, &l, err);
}

static int retain_one(void *ctx, const uint8_t *ref, size_t len, int subfd, const char *name)
{
	struct list_ctx *l = ctx;
	char b32[ERIS_REF_B32_LEN + 1];

	(void)len;
	if (l->keep(l->ctx, ref))
		return 0;
	if (unlinkat(subfd, name, 0) != 0)
		return -1;
	eris_ref_to_b32(ref, b32);
	l->d->dirty[b32_index(b32[0]) * 32 + b32_index(b32[1])] = 1;
	(*l->removed)++;
	return 0;
}

static int dir_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed,
		      eris_error *err)
{
	struct dir_store *d = (struct dir_store *)s;
	struct list_ctx l = {NULL, ctx, keep, removed, d};
	int rc = dir_each(d, retain_one, &l, err);

	return rc == 0 ? dir_flush(s, err) : rc;
}

static const struct store_ops dir_ops = {dir_get,   dir_put, dir_has,  dir_flush,
					 dir_close, NULL,    NULL,     dir_list, dir_retain};

/* Removes what a crashed writer left in DIR/tmp: files named NAME.PID.N
 * whose process is gone. Live writers' files are left alone. */
static void clean_tmp(struct dir_store *d)
{
	int fd = openat(d->dfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		const char *dot = strchr(e->d_name, '.');
		long pid = dot ? strtol(dot + 1, NULL, 10) : 0;
		if (e->d_name[0] == '.' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			unlinkat(dirfd(dir), e->d_name, 0);
	}
	closedir(dir);
}

/* Creates DIR (and its marker) when asked to. */
static int create_store(const char *path, eris_error *err)
{
	char marker[4096];
	int fd, rc = 0;

	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return eris_error_set(err, ERIS_E_IO, "%s: cannot create store: %s", path,
				      strerror(errno));
	snprintf(marker, sizeof marker, "%s/%s", path, marker_name);
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0
				       : eris_error_set(err, ERIS_E_IO, "%s: %s", marker, strerror(errno));
	if (store_io_write(fd, (const uint8_t *)marker_text, sizeof marker_text - 1) != 0 ||
	    fsync(fd) != 0)
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", marker, strerror(errno));
	close(fd);
	return rc;
}

/* Checks the marker, so that a typo does not turn any directory into a store. */
static int check_marker(struct dir_store *d, eris_error *err)
{
	char buf[64] = {0};
	int fd = openat(d->dfd, marker_name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return eris_error_set(err, ERIS_E_IO, "%s: not a sigil store (no %s file)", d->path,
				      marker_name);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n != (ssize_t)(sizeof marker_text - 1) || memcmp(buf, marker_text, (size_t)n) != 0)
		return eris_error_set(err, ERIS_E_IO, "%s: unknown store format in %s", d->path,
				      marker_name);
	return 0;
}

int store_dir_open(store **out, const char *path, int flags, eris_error *err)
{
	struct dir_store *d = NULL;
	int rc;

	*out = NULL;
	if (flags & STORE_CREATE) {
		rc = create_store(path, err);
		if (rc != 0)
			return rc;
	}
	d = calloc(1, sizeof *d);
	if (!d)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	d->base.ops = &dir_ops;
	d->dfd = -1;
	d->path = strdup(path);
	if (!d->path) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto fail;
	}
	d->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dfd < 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: cannot open store: %s", path, strerror(errno));
		goto fail;
	}
	rc = check_marker(d, err);
	if (rc != 0)
		goto fail;
	if (flags & (STORE_WRITE | STORE_CREATE)) {
		if (mkdirat(d->dfd, "tmp", 0755) != 0 && errno != EEXIST) {
			rc = eris_error_set(err, ERIS_E_IO, "%s/tmp: %s", path, strerror(errno));
			goto fail;
		}
		clean_tmp(d);
	}
	*out = &d->base;
	return 0;
fail:
	dir_close(&d->base);
	return rc;
}
