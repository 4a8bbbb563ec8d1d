/*
 * test_base32_urn.c — base32, read capabilities and URNs: known answers,
 * round trips, and strict rejection of every other spelling.
 */
#include "tap.h"

#include "eris/eris.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static void known_answers(void)
{
	/* RFC 4648 §10, without the padding */
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB",
					  "MZXW6YTBOI"};
	for (int i = 0; i < 7; i++) {
		char buf[32];
		uint8_t back[16];
		size_t n = 99;
		int ok = eris_b32_encode(buf, sizeof buf, (const uint8_t *)in[i], strlen(in[i])) == 0 &&
			 strcmp(buf, out[i]) == 0 &&
			 eris_b32_decode(back, sizeof back, &n, out[i], strlen(out[i])) == 0 &&
			 n == strlen(in[i]) && memcmp(back, in[i], n) == 0;
		tap_ok(ok, "base32 \"%s\" <-> \"%s\"", in[i], out[i]);
	}
}

static void rejects(void)
{
	static const char *const bad[] = {
		"mzxw6",    /* lower case */
		"MZXW6===", /* padding */
		"MZXW1",    /* '1' is not in the alphabet */
		"MZXW 6",   /* white space */
		"M",        /* 1 char: no whole byte */
		"MZX",      /* 3 chars */
		"MZXW6YQ",  /* 7 chars: "foob", fine */
		"MZ",       /* 'Z' leaves trailing bit set: "MY" is the only spelling of "f" */
		"MZXR",     /* non-zero trailing bits */
	};
	int expect_ok[] = {0, 0, 0, 0, 0, 0, 1, 0, 0};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t out[16];
		size_t n;
		int rc = eris_b32_decode(out, sizeof out, &n, bad[i], strlen(bad[i]));
		if (expect_ok[i])
			tap_ok(rc == 0, "base32 \"%s\" decodes", bad[i]);
		else
			tap_ok(rc == ERIS_E_URN, "base32 \"%s\" is rejected", bad[i]);
	}
	char small[4];
	tap_ok(eris_b32_encode(small, sizeof small, (const uint8_t *)"foo", 3) == ERIS_E_ARG,
	       "base32 encode refuses a short output buffer");
}

static void urns(void)
{
	const char *good = "urn:eris:BIAD77QDJMFAKZYH2DXBUZYAP3MXZ3DJZVFYQ5DFWC6T65WSFCU5S2IT4YZGJ7AC4"
			   "SYQMP2DM2ANS2ZTCP3DJJIRV733CRAAHOSWIYZM3M";
	char buf[ERIS_URN_LEN + 1], mod[ERIS_URN_LEN + 8];
	eris_cap cap;
	eris_error err = {0};

	tap_ok(eris_cap_from_urn(&cap, good, &err) == 0 && cap.block_size == 1024 &&
		       cap.level == 0,
	       "positive-00 urn parses (1 KiB, level 0)");
	tap_ok(eris_cap_to_urn(&cap, buf, sizeof buf) == 0 && strcmp(buf, good) == 0,
	       "and formats back identically");

	snprintf(mod, sizeof mod, "URN:ERIS:%s", good + 9);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "upper-case prefix rejected");
	snprintf(mod, sizeof mod, "urn:erisx2:%s", good + 9);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "urn:erisx2: rejected");
	snprintf(mod, sizeof mod, "%s", good);
	mod[20] = (char)(mod[20] - 'A' + 'a');
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "lower-case base32 rejected: %s",
	       err.msg);
	snprintf(mod, sizeof mod, "%sA", good);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "one character too many rejected");
	snprintf(mod, sizeof mod, "%.*s", ERIS_URN_LEN - 1, good);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "one character short rejected");
	snprintf(mod, sizeof mod, "%s#frag", good);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN, "a fragment is rejected");
	tap_ok(eris_cap_from_urn(&cap, "", &err) == ERIS_E_URN, "empty string rejected");

	/* the last character carries 2 unused bits; "M" (12) sets one */
	snprintf(mod, sizeof mod, "%.*sN", ERIS_URN_LEN - 1, good);
	tap_ok(eris_cap_from_urn(&cap, mod, &err) == ERIS_E_URN,
	       "non-zero trailing bits rejected (one capability, one urn)");

	uint8_t bin[ERIS_CAP_SIZE];
	tap_ok(eris_cap_from_urn(&cap, good, &err) == 0, "positive-00 parses again");
	eris_cap_pack(&cap, bin);
	bin[0] = 0x0B;
	tap_ok(eris_cap_unpack(&cap, bin, sizeof bin, &err) == ERIS_E_CAP,
	       "block size code 0x0b rejected: %s", err.msg);
	bin[0] = 0x0F;
	bin[1] = ERIS_MAX_LEVEL + 1;
	tap_ok(eris_cap_unpack(&cap, bin, sizeof bin, &err) == ERIS_E_CAP,
	       "level %d rejected: %s", ERIS_MAX_LEVEL + 1, err.msg);
	bin[1] = 3;
	tap_ok(eris_cap_unpack(&cap, bin, 65, &err) == ERIS_E_CAP, "65-byte capability rejected");
	tap_ok(eris_cap_unpack(&cap, bin, sizeof bin, &err) == 0 && cap.block_size == 32768 &&
		       cap.level == 3,
	       "32 KiB, level 3 capability accepted");

	/* random capabilities round-trip */
	uint64_t seed = 42;
	int all = 1;
	for (int i = 0; i < 2000; i++) {
		eris_cap c1, c2;
		c1.block_size = (i & 1) ? 1024 : 32768;
		c1.level = (uint8_t)(tap_rand(&seed) % (ERIS_MAX_LEVEL + 1));
		tap_fill_random(c1.ref, sizeof c1.ref, &seed);
		tap_fill_random(c1.key, sizeof c1.key, &seed);
		if (eris_cap_to_urn(&c1, buf, sizeof buf) != 0 || strlen(buf) != ERIS_URN_LEN ||
		    eris_cap_from_urn(&c2, buf, &err) != 0 || memcmp(&c1, &c2, sizeof c1) != 0 ||
		    strncmp(buf, (i & 1) ? "urn:eris:BI" : "urn:eris:B4", 11) != 0)
			all = 0;
	}
	tap_ok(all, "2000 random capabilities round-trip through their urns");

	uint8_t ref[ERIS_REF_SIZE], back[ERIS_REF_SIZE];
	char name[ERIS_REF_B32_LEN + 1];
	tap_fill_random(ref, sizeof ref, &seed);
	eris_ref_to_b32(ref, name);
	tap_ok(strlen(name) == 52 && eris_ref_from_b32(back, name, 52) == 0 &&
		       memcmp(ref, back, sizeof ref) == 0,
	       "block reference round-trips through 52 characters");
	tap_ok(eris_ref_from_b32(back, name, 51) != 0, "51 characters is not a reference");
}

int main(void)
{
	known_answers();
	rejects();
	urns();
	tap_ok(eris_auto_block_size(0) == 1024 && eris_auto_block_size(16383) == 1024 &&
		       eris_auto_block_size(16384) == 32768,
	       "auto block size: 1 KiB below 16 KiB, else 32 KiB");
	return tap_done();
}
