/*
 * fuzz_pack.c — the pack store reading a hostile file (header, commit slots,
 * index, tail records). The input is the whole pack image, placed in a memfd.
 *
 * Properties (abort on violation):
 *   - opening read-only (the whole image mapped) and read-write (only the
 *     index mapped, records read with pread) never crashes, hangs or leaks,
 *     whatever the bytes; seeds come in both header versions (v2-*: with the
 *     block-size field, some for one size only);
 *   - every block the pack lists is either served and hashes to its reference
 *     (store_get verifies), or refused — never served wrong;
 *   - a pack that opened for writing accepts a new block and, after close and
 *     reopen, serves it.
 */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "banned.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_pack: check failed: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	store *s;
	size_t n;
};

static int check_block(void *ctx, const uint8_t *ref, size_t len)
{
	struct seen *v = ctx;
	static uint8_t buf[ERIS_BLOCK_MAX];
	uint8_t h[ERIS_REF_SIZE];
	size_t got = 0;
	eris_error err = {0};

	(void)len;
	if (++v->n > 4096)
		return -1; /* enough for one input */
	if (store_get(v->s, ref, buf, sizeof buf, &got, &err) == 0) {
		crypto_generichash(h, sizeof h, buf, got, NULL, 0);
		CHECK(memcmp(h, ref, sizeof h) == 0);
		CHECK(got == ERIS_BLOCK_1K || got == ERIS_BLOCK_32K);
	}
	return 0;
}

static void exercise(const char *spec, int flags)
{
	store *s = NULL;
	eris_error err = {0};
	struct seen v = {NULL, 0};

	if (store_open(&s, spec, flags, &err) != 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	v.s = s;
	if (store_list(s, check_block, &v, &err) != 0)
		CHECK(err.msg[0] != '\0');
	if (flags & STORE_WRITE) {
		uint8_t b[ERIS_BLOCK_1K], ref[ERIS_REF_SIZE];
		memset(b, 0x5a, sizeof b);
		crypto_generichash(ref, sizeof ref, b, sizeof b, NULL, 0);
		int put = store_put(s, ref, b, sizeof b, &err) == 0 && store_flush(s, &err) == 0;
		store_close(s);
		if (put && store_open(&s, spec, STORE_READ, &err) == 0) {
			uint8_t back[ERIS_BLOCK_MAX];
			size_t got = 0;
			CHECK(store_get(s, ref, back, sizeof back, &got, &err) == 0);
			CHECK(got == sizeof b && memcmp(back, b, got) == 0);
			store_close(s);
		}
		return;
	}
	store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[64];
	int fd;

	if (sodium_init() < 0 || size > (1u << 22))
		return 0;
	fd = memfd_create("fuzz-pack", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(spec, sizeof spec, "pack:/proc/self/fd/%d", fd);
	exercise(spec, STORE_READ);
	exercise(spec, STORE_WRITE);
	close(fd);
	return 0;
}
