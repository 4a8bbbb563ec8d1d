/*
 * fuzz_elf.c — libFuzzer target for the three formats lib/elf reads:
 *
 *   1. ELF images (lib/elf/read.c, through libelf): elf_info_parse on the
 *      input must return 0 or ELF_E_FORMAT (ELF_E_NOMEM aside) with a
 *      terminated message; on success every DT_NEEDED is a non-empty string
 *      and the class is 32 or 64 bits.
 *   2. /etc/ld.so.cache (lib/elf/ldcache.c): elf_ldcache_parse returns 0 or
 *      ELF_E_FORMAT; on success every entry's name and path lie inside the
 *      parsed copy, and a lookup of each name finds an entry.
 *   3. closure descriptions (lib/elf/desc.c): elf_desc_decode returns 0 or
 *      ELF_E_DESC; an accepted description re-encodes to exactly the input
 *      bytes (one encoding per description, so one URN).
 *   4. kernel modules' signature trailers (lib/disk/modules.c):
 *      img_module_unsigned_len returns 0 or DISK_E_FORMAT, and on 0 a length
 *      no longer than the input, shorter exactly when the input ends with
 *      the marker.
 *
 * Every input goes through all three (they are cheap, and a seed of one
 * format is a mutation source for the others). A violated property is an
 * abort(). Seeds: fuzz/corpus/fuzz_elf/ (a small shared library, an
 * executable, this machine's ld.so.cache, descriptions from sigil import,
 * and broken variants); see fuzz/README.md.
 */
#include "disk/disk.h"
#include "elf/elf.h"

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond))                                                                   \
			abort();                                                               \
	} while (0)

static void fuzz_info(const uint8_t *data, size_t size)
{
	elf_info in;
	elf_error err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = elf_info_parse(&in, data, size, &err);
	if (rc != 0) {
		CHECK(rc == ELF_E_FORMAT || rc == ELF_E_NOMEM);
		CHECK(err.code == rc && memchr(err.msg, '\0', sizeof err.msg));
		return;
	}
	CHECK(in.elf_class == ELFCLASS32 || in.elf_class == ELFCLASS64);
	for (size_t i = 0; i < in.n_needed; i++)
		CHECK(in.needed[i] && in.needed[i][0] != '\0');
	CHECK(!in.interp || in.interp[0] != '\0');
	elf_info_release(&in);
}

static void fuzz_cache(const uint8_t *data, size_t size)
{
	elf_ldcache c;
	elf_error err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = elf_ldcache_parse(&c, data, size, &err);
	if (rc != 0) {
		CHECK(rc == ELF_E_FORMAT || rc == ELF_E_NOMEM);
		return;
	}
	for (size_t i = 0; i < c.n; i++) {
		const elf_ldcache_entry *e = &c.entries[i];
		CHECK((const uint8_t *)e->name >= c.data && (const uint8_t *)e->name < c.data + c.len);
		CHECK((const uint8_t *)e->path >= c.data && (const uint8_t *)e->path < c.data + c.len);
		CHECK(strlen(e->name) < c.len && strlen(e->path) < c.len);
		if (i < 64 && e->hwcap == 0) {
			size_t pos = 0;
			CHECK(elf_ldcache_next(&c, e->name, e->flags, &pos) != NULL);
		}
	}
	elf_ldcache_release(&c);
}

static void fuzz_desc(const uint8_t *data, size_t size)
{
	elf_desc d;
	elf_error err;
	uint8_t *back = NULL;
	size_t len = 0;
	int rc;

	memset(&err, 0, sizeof err);
	rc = elf_desc_decode(&d, data, size, &err);
	if (rc != 0) {
		CHECK(rc == ELF_E_DESC || rc == ELF_E_NOMEM);
		return;
	}
	CHECK(d.argv0 && d.exec);
	for (size_t i = 0; i < d.n_files; i++)
		CHECK(elf_desc_check_name(d.files[i].name));
	rc = elf_desc_encode(&d, &back, &len, &err);
	CHECK(rc == 0 || rc == ELF_E_NOMEM);
	if (rc == 0)
		CHECK(len == size && memcmp(back, data, size) == 0);
	free(back);
	elf_desc_release(&d);
}

static void fuzz_module_sig(const uint8_t *data, size_t size)
{
	static const char marker[] = "~Module signature appended~\n";
	const size_t mlen = sizeof marker - 1;
	int signed_ = size >= mlen && memcmp(data + size - mlen, marker, mlen) == 0;
	size_t k = 0;
	int rc = img_module_unsigned_len(data, size, &k);
	CHECK(rc == 0 || rc == DISK_E_FORMAT);
	if (rc == 0)
		CHECK(signed_ ? k < size : k == size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 20))
		return 0;
	fuzz_module_sig(data, size);
	fuzz_info(data, size);
	fuzz_cache(data, size);
	fuzz_desc(data, size);
	return 0;
}
