/*
 * ldcache.c — reading /etc/ld.so.cache, the table ldconfig writes and glibc's
 * loader consults after DT_RUNPATH and before the default directories.
 *
 * Format (glibc >= 2.32 writes only the new one; older caches put the old
 * "ld.so-1.7.0" table first, and then the new header follows at the next
 * 8-byte boundary). All integers in host byte order, as ldconfig writes them.
 *
 *   new header (48 bytes)
 *     0  17  magic "glibc-ld.so.cache"
 *    17   3  version "1.1"
 *    20   4  nlibs
 *    24   4  len_strings
 *    28   1  flags (endianness marker), 3 bytes padding
 *    32   4  extension_offset
 *    36  12  unused
 *   entries (24 bytes each, nlibs of them)
 *     0   4  flags   (FLAG_ELF_LIBC6 = 3 | arch bits, e.g. 0x0300 x86-64)
 *     4   4  key     string offset of the soname
 *     8   4  value   string offset of the full path
 *    12   4  osversion
 *    16   8  hwcap   (non-zero: a glibc-hwcaps subdirectory variant)
 *   strings: offsets are relative to the new header's first byte.
 *
 *   old header: "ld.so-1.7.0" (11 bytes), pad to 12, nlibs (4), then nlibs
 *   entries of 12 bytes (flags, key, value).
 *
 * Invariant: every offset is checked against the data we hold and every
 * string must be NUL-terminated inside it; the parse never reads outside.
 */
#include "elf_int.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const char new_magic[] = "glibc-ld.so.cache1.1";
static const char old_magic[] = "ld.so-1.7.0";

enum { NEW_HEADER = 48, NEW_ENTRY = 24, OLD_HEADER = 16, OLD_ENTRY = 12 };

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

void elf_ldcache_release(elf_ldcache *c)
{
	if (!c)
		return;
	free(c->data);
	free(c->entries);
	memset(c, 0, sizeof *c);
}

/* The string at offset `off` from `base` inside data[0, len), or NULL. */
static const char *cstr(const uint8_t *data, size_t len, size_t base, uint64_t off)
{
	if (base > len || off >= len - base)
		return NULL;
	if (!memchr(data + base + off, '\0', len - base - off))
		return NULL;
	return (const char *)data + base + off;
}

int elf_ldcache_parse(elf_ldcache *c, const void *data, size_t len, elf_error *err)
{
	size_t base = 0;
	uint32_t nlibs;
	int rc = ELF_E_FORMAT;

	memset(c, 0, sizeof *c);
	if (len >= OLD_HEADER && memcmp(data, old_magic, sizeof old_magic - 1) == 0) {
		uint32_t old_n = rd32((const uint8_t *)data + 12);
		if (old_n > (len - OLD_HEADER) / OLD_ENTRY)
			return elf_error_set(err, ELF_E_FORMAT, "ld.so.cache: old table too long");
		base = OLD_HEADER + (size_t)old_n * OLD_ENTRY;
		base = (base + 7) & ~(size_t)7;
	}
	if (base > len || len - base < NEW_HEADER ||
	    memcmp((const uint8_t *)data + base, new_magic, sizeof new_magic - 1) != 0)
		return elf_error_set(err, ELF_E_FORMAT, "ld.so.cache: no \"%s\" header", new_magic);
	nlibs = rd32((const uint8_t *)data + base + 20);
	if (nlibs > (len - base - NEW_HEADER) / NEW_ENTRY)
		return elf_error_set(err, ELF_E_FORMAT, "ld.so.cache: %u entries cannot fit",
				     (unsigned)nlibs);
	c->data = malloc(len);
	c->entries = calloc(nlibs ? nlibs : 1, sizeof *c->entries);
	if (!c->data || !c->entries) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(c->data, data, len);
	c->len = len;
	for (uint32_t i = 0; i < nlibs; i++) {
		const uint8_t *p = c->data + base + NEW_HEADER + (size_t)i * NEW_ENTRY;
		elf_ldcache_entry *e = &c->entries[c->n];
		e->flags = (int32_t)rd32(p);
		e->name = cstr(c->data, len, base, rd32(p + 4));
		e->path = cstr(c->data, len, base, rd32(p + 8));
		e->hwcap = rd64(p + 16);
		if (!e->name || !e->path) {
			elf_error_set(err, ELF_E_FORMAT, "ld.so.cache: entry %u points outside", i);
			goto fail;
		}
		c->n++;
	}
	return 0;
fail:
	elf_ldcache_release(c);
	return rc;
}

int elf_ldcache_load(elf_ldcache *c, const char *path, elf_error *err)
{
	int fd = -1, rc = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	memset(c, 0, sizeof *c);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size > (64 << 20)) {
		rc = elf_error_set(err, ELF_E_FORMAT, "\"%s\" is too large", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = elf_error_set(err, ELF_E_IO, "cannot read \"%s\"", path);
			goto out;
		}
		got += (size_t)n;
	}
	rc = elf_ldcache_parse(c, buf, got, err);
	if (rc != 0)
		elf_error_prefix(err, "\"%s\"", path);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int32_t elf_ldcache_flags_for(int elf_class, int machine)
{
	/* FLAG_ELF_LIBC6 (3) | the arch bits of glibc's ldconfig.h */
	if (elf_class == ELFCLASS64) {
		switch (machine) {
		case EM_X86_64: return 0x0303;
		case EM_AARCH64: return 0x0a03;
		case EM_IA_64: return 0x0103;
		case EM_PPC64: return 0x0503;
		case EM_S390: return 0x0403;
		case EM_RISCV: return 0x1003; /* lp64d */
		default: return -1;
		}
	}
	if (elf_class == ELFCLASS32 && (machine == EM_386 || machine == EM_ARM))
		return machine == EM_ARM ? 0x0903 : 0x0003;
	return -1;
}

const char *elf_ldcache_next(const elf_ldcache *c, const char *name, int32_t want, size_t *pos)
{
	for (; *pos < c->n; (*pos)++) {
		const elf_ldcache_entry *e = &c->entries[*pos];
		if (e->hwcap != 0 || strcmp(e->name, name) != 0)
			continue;
		if (want != -1 && e->flags != want)
			continue;
		(*pos)++;
		return e->path;
	}
	return NULL;
}
