/*
 * fuzz_cpio.c — the cpio writer (lib/disk/cpio.c) on arbitrary entry lists:
 * names, types, sizes and order come from the input.
 *
 * Input: records, until the input ends (at most 64):
 *
 *   offset size field
 *   0      1    type: low 3 bits pick regular, directory, link, char device,
 *               block device, or (5..7) an unsupported type
 *   1      1    N: name length
 *   2      N    name (any bytes; a NUL ends it early)
 *   2+N    1    M: content length (regular files and links)
 *   3+N    M    content
 *
 * Properties (abort on violation):
 *   - cpio_write either succeeds or fails with DISK_E_ARG, never crashing;
 *   - on success the archive parses as newc: 110-byte headers with the magic,
 *     names strictly increasing (so unique and sorted), inodes 1, 2, ...,
 *     uid and gid 0, every mtime the one given, each member's parent listed
 *     before it as a directory, every given entry present with its size and
 *     content, then TRAILER!!!, and a length that is a multiple of 512;
 *   - the same entries in reverse order give the same bytes.
 */
#include "disk/disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_cpio: check failed: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	uint8_t *data;
	size_t len;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;
	uint8_t *p = realloc(m->data, m->len + len);
	if (!p)
		return -1;
	memcpy(p + m->len, buf, len);
	m->data = p;
	m->len += len;
	return 0;
}

static uint32_t hex8(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		int c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		CHECK(d >= 0);
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

static const uint32_t types[8] = {S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { MAXE = 64 };
	cpio_entry e[MAXE], rev[MAXE];
	char names[MAXE][256];
	size_t n = 0, pos = 0;
	const uint32_t mtime = 1700000000;
	while (pos + 2 <= size && n < MAXE) {
		uint8_t t = data[pos], nl = data[pos + 1];
		pos += 2;
		if (nl > size - pos)
			nl = (uint8_t)(size - pos);
		memcpy(names[n], data + pos, nl);
		names[n][nl] = 0;
		pos += nl;
		uint8_t cl = pos < size ? data[pos++] : 0;
		if (cl > size - pos)
			cl = (uint8_t)(size - pos);
		uint32_t type = types[t & 7];
		e[n] = (cpio_entry){.name = names[n], .mode = type | (type == S_IFDIR ? 0755u : 0644u)};
		if (type == S_IFREG || type == S_IFLNK) {
			e[n].data = data + pos;
			e[n].size = cl;
		}
		if (type == S_IFCHR || type == S_IFBLK)
			e[n].rdev_major = t >> 3, e[n].rdev_minor = cl;
		pos += cl;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		rev[i] = e[n - 1 - i];
	struct mem a = {0}, b = {0};
	disk_error err = {0};
	int rc = cpio_write(e, n, mtime, mem_write, &a, &err);
	int rc2 = cpio_write(rev, n, mtime, mem_write, &b, &err);
	CHECK(rc == rc2);
	if (rc) {
		CHECK(rc == DISK_E_ARG);
		goto out;
	}
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	CHECK(a.len % 512 == 0);

	/* parse it back */
	size_t off = 0, seen = 0;
	uint32_t ino = 1;
	char prev[4200] = "";
	char (*dirs)[256] = calloc(256, sizeof *dirs);
	size_t ndirs = 0;
	CHECK(dirs);
	for (;;) {
		CHECK(off + 110 <= a.len && memcmp(a.data + off, "070701", 6) == 0);
		const uint8_t *h = a.data + off;
		uint32_t f[13];
		for (int i = 0; i < 13; i++)
			f[i] = hex8(h + 6 + 8 * i);
		uint32_t namesize = f[11], fsize = f[6];
		CHECK(namesize >= 2 && off + 110 + namesize <= a.len);
		const char *name = (const char *)h + 110;
		CHECK(name[namesize - 1] == 0 && strlen(name) == namesize - 1);
		size_t data_at = (off + 110 + namesize + 3) & ~(size_t)3;
		CHECK(data_at + fsize <= a.len);
		if (strcmp(name, "TRAILER!!!") == 0) {
			off = (data_at + fsize + 3) & ~(size_t)3;
			break;
		}
		CHECK(f[0] == ino++ && f[2] == 0 && f[3] == 0 && f[5] == mtime && f[12] == 0);
		CHECK(strcmp(prev, name) < 0);
		snprintf(prev, sizeof prev, "%s", name);
		/* the parent came before, as a directory */
		const char *slash = strrchr(name, '/');
		if (slash) {
			int found = 0;
			for (size_t i = 0; i < ndirs && !found; i++)
				found = strlen(dirs[i]) == (size_t)(slash - name) &&
					memcmp(dirs[i], name, (size_t)(slash - name)) == 0;
			CHECK(found);
		}
		if ((f[1] & S_IFMT) == S_IFDIR && ndirs < 256)
			snprintf(dirs[ndirs++], sizeof dirs[0], "%s", name);
		/* a given entry: same type, size and content */
		for (size_t i = 0; i < n; i++) {
			if (strcmp(e[i].name, name) != 0)
				continue;
			seen++;
			CHECK(f[1] == e[i].mode && f[6] == e[i].size);
			CHECK(e[i].size == 0 || memcmp(a.data + data_at, e[i].data, e[i].size) == 0);
		}
		off = (data_at + fsize + 3) & ~(size_t)3;
	}
	CHECK(seen == n);
	for (; off < a.len; off++)
		CHECK(a.data[off] == 0);
	free(dirs);
out:
	free(a.data);
	free(b.data);
	return 0;
}
