/*
 * fuzz_elf_patch.c — libFuzzer target for our ELF rewriter (lib/elf/patch.c,
 * what sigil import uses instead of patchelf): the input is an ELF file as
 * it might come from any package.
 *
 * The input goes to a memfd; elf_patch_file rewrites it into another with
 * the interpreter set to a /rom/URN path, RUNPATH to /rom and every
 * DT_NEEDED the reader (elf_info_parse) sees renamed to a URN-long name.
 * Properties (abort() on a violation):
 *   1. it returns 0, ELF_E_FORMAT or ELF_E_IO (ELF_E_NOMEM aside), with a
 *      terminated message on failure;
 *   2. on success the output parses; its DT_NEEDED are the renamed ones, in
 *      order; its RUNPATH is /rom and it has no RPATH when the input had a
 *      dynamic section; its interpreter is the new one when the input had
 *      one;
 *   3. it is deterministic: a second rewrite gives the same bytes.
 * Seeds: fuzz/corpus/fuzz_elf_patch/ (small executables and libraries
 * built from tests/data/elf/, and broken variants).
 */
#include "elf/patch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond))                                                                   \
			abort();                                                               \
	} while (0)

#define NEWNAME "urn:eris:BIAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
#define INTERP "/rom/" NEWNAME

/* The whole content of fd (malloc'd, *len), or NULL. */
static uint8_t *slurp(int fd, size_t *len)
{
	off_t n = lseek(fd, 0, SEEK_END);
	uint8_t *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!b || pread(fd, b, (size_t)n, 0) != n) {
		free(b);
		return NULL;
	}
	*len = (size_t)n;
	return b;
}

static int rewrite(const char *in, int outfd, const elf_info *info, const elf_rename *rn, size_t n,
		   elf_error *err)
{
	char out[64];
	snprintf(out, sizeof out, "/proc/self/fd/%d", outfd);
	return elf_patch_file(in, out, info->interp ? INTERP : NULL, info->has_dynamic ? "/rom" : NULL, rn,
			      n, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	elf_info info, got;
	elf_error err;
	elf_rename *rn = NULL;
	uint8_t *o1 = NULL, *o2 = NULL;
	size_t l1 = 0, l2 = 0;
	char in[64];
	int infd = memfd_create("in", 0), o1fd = memfd_create("o1", 0), o2fd = memfd_create("o2", 0);
	int parsed = 0;
	CHECK(infd >= 0 && o1fd >= 0 && o2fd >= 0);
	CHECK(write(infd, data, size) == (ssize_t)size);
	snprintf(in, sizeof in, "/proc/self/fd/%d", infd);
	memset(&err, 0, sizeof err);
	if (elf_info_parse(&info, data, size, &err) != 0)
		goto out; /* the rewriter runs only on what the reader accepted */
	parsed = 1;
	rn = calloc(info.n_needed + 1, sizeof *rn);
	CHECK(rn);
	for (size_t i = 0; i < info.n_needed; i++)
		rn[i] = (elf_rename){info.needed[i], NEWNAME};
	memset(&err, 0, sizeof err);
	int rc = rewrite(in, o1fd, &info, rn, info.n_needed, &err);
	if (rc != 0) {
		CHECK(rc == ELF_E_FORMAT || rc == ELF_E_IO || rc == ELF_E_NOMEM);
		CHECK(memchr(err.msg, '\0', sizeof err.msg));
		goto out;
	}
	o1 = slurp(o1fd, &l1);
	CHECK(o1);
	memset(&err, 0, sizeof err);
	CHECK(elf_info_parse(&got, o1, l1, &err) == 0);
	CHECK(got.n_needed == info.n_needed);
	for (size_t i = 0; i < got.n_needed; i++)
		CHECK(strcmp(got.needed[i], NEWNAME) == 0);
	if (info.has_dynamic)
		CHECK(got.runpath && strcmp(got.runpath, "/rom") == 0 && !got.rpath);
	if (info.interp)
		CHECK(got.interp && strcmp(got.interp, INTERP) == 0);
	elf_info_release(&got);
	memset(&err, 0, sizeof err);
	CHECK(rewrite(in, o2fd, &info, rn, info.n_needed, &err) == 0);
	o2 = slurp(o2fd, &l2);
	CHECK(o2 && l1 == l2 && memcmp(o1, o2, l1) == 0);
out:
	if (parsed)
		elf_info_release(&info);
	free(rn);
	free(o1);
	free(o2);
	close(infd);
	close(o1fd);
	close(o2fd);
	return 0;
}
