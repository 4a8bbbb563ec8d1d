/*
 * slow_large.c — the spec's "large content" vectors, streamed (slow tier).
 *
 * Content is the ChaCha20-IETF keystream under key BLAKE2b-256(name) with a
 * zero nonce, generated 1 MiB at a time and fed to the streaming encoder, so
 * neither side ever holds the whole content:
 *   "100MiB (block size 1KiB)"  104857600 bytes at 1 KiB
 *   "1GiB (block size 32KiB)"   1073741824 bytes at 32 KiB
 * The URNs must match the spec's. Peak RSS of the process must stay under
 * 64 MiB (not checked under ASan, whose shadow memory inflates RSS).
 */
#include "tap.h"

#include "eris/eris.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "banned.h"

enum { CHUNK = 1 << 20 };

static int run_large(const char *name, uint64_t size, uint32_t bs, int threads,
		     const char *want)
{
	uint8_t key[32], nonce[12] = {0};
	uint8_t *chunk = calloc(1, CHUNK);
	eris_encoder *enc = NULL;
	eris_error err = {0};
	eris_cap cap;
	char urn[ERIS_URN_LEN + 1] = "";
	struct timespec t0, t1;
	int rc;

	crypto_generichash(key, sizeof key, (const uint8_t *)name, strlen(name), NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = eris_encoder_new(&enc, bs, NULL, threads, NULL, NULL);
	for (uint64_t off = 0; rc == 0 && off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		memset(chunk, 0, n);
		crypto_stream_chacha20_ietf_xor_ic(chunk, chunk, n, nonce, (uint32_t)(off / 64), key);
		rc = eris_encoder_update(enc, chunk, n, &err);
	}
	if (rc == 0)
		rc = eris_encoder_final(enc, &cap, &err);
	if (rc == 0)
		rc = eris_cap_to_urn(&cap, urn, sizeof urn);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	eris_encoder_free(enc);
	free(chunk);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	tap_ok(rc == 0 && strcmp(urn, want) == 0, "\"%s\", %d thread(s): urn matches the spec (%.1f s)",
	       name, threads, secs);
	if (rc != 0)
		tap_diag("%s", err.msg);
	else if (strcmp(urn, want) != 0)
		tap_diag("got %s", urn);
	return rc;
}

int main(void)
{
	struct rusage ru;
	const char *san = getenv("SIGIL_SAN");

	if (sodium_init() < 0)
		return 1;
	run_large("100MiB (block size 1KiB)", 104857600ull, 1024, 1,
		  "urn:eris:BIC6F5EKY2PMXS2VNOKPD3AJGKTQBD3EXSCSLZIENXAXBM7PCTH2TCMF5OKJWAN36N4DFO6JPF"
		  "ZBR3MS7ECOGDYDERIJJ4N5KAQSZS67YY");
	run_large("1GiB (block size 32KiB)", 1073741824ull, 32768, 2,
		  "urn:eris:B4BL4DKSEOPGMYS2CU2OFNYCH4BGQT774GXKGURLFO5FDXAQQPJGJ35AZR3PEK6CVCV74FVTAXH"
		  "RSWLUUNYYA46ZPOPDOV2M5NVLBETWVI");
	getrusage(RUSAGE_SELF, &ru);
	if (san && strcmp(san, "1") == 0)
		tap_skip("ASan shadow memory inflates RSS", "peak RSS while streaming 1 GiB (%ld KiB)",
			 ru.ru_maxrss);
	else
		tap_ok(ru.ru_maxrss < 64 * 1024, "peak RSS while streaming 1 GiB: %ld KiB (< 64 MiB)",
		       ru.ru_maxrss);
	return tap_done();
}
