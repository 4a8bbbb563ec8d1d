/*
 * fuzz_system.c — libFuzzer target for the system loaders and the checker
 * (lib/system: load.c, model.c, cbor.c, check.c).
 *
 * Input: one selector byte, then the data: 'j' JSON, 'c' a CBOR system
 * description, anything else Dhall source. Properties (abort() on a
 * violation):
 *   1. loading returns 0, -1 (findings in the report, at least one error)
 *      or DHALL_ENOMEM; every finding has a message;
 *   2. a loaded system goes through sys_check without crashing;
 *   3. a loaded system encodes as a description, the description loads
 *      back, and re-encodes to the same bytes (when the encoder accepts it:
 *      duplicate map keys have no canonical form).
 * Seeds: fuzz/corpus/fuzz_system/ (ours: the example systems, broken ones
 * from tests/data/system, a description).
 */
#include "system/sys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *file = data[0] == 'j' ? "f.json" : data[0] == 'c' ? "f.cbor" : "f.dhall";
	struct dhall_arena arena, a2;
	struct sys_report rep = {0}, rep2 = {0};
	struct sys_system s, s2;
	struct dhall_buf b1 = {0}, b2 = {0};
	dhall_arena_init(&arena);
	dhall_arena_init(&a2);
	int rc = sys_load_any(&arena, file, (const char *)data + 1, size - 1, &s, &rep);
	for (size_t i = 0; i < rep.n; i++)
		if (!rep.d[i].msg[0])
			abort();
	if (rc == -1 && rep.errors == 0)
		abort();
	if (rc != 0 && rc != -1 && rc != DHALL_ENOMEM)
		abort();
	if (rc == 0) {
		sys_check(&s, &rep);
		if (sys_encode_cbor(&arena, &s, &b1) == 0) {
			if (sys_load_cbor(&a2, b1.data, b1.len, "re.cbor", &s2, &rep2) != 0)
				abort();
			if (sys_encode_cbor(&a2, &s2, &b2) != 0 || b1.len != b2.len ||
			    memcmp(b1.data, b2.data, b1.len) != 0)
				abort();
		}
	}
	dhall_buf_free(&b1);
	dhall_buf_free(&b2);
	sys_report_free(&rep);
	sys_report_free(&rep2);
	dhall_arena_free(&arena);
	dhall_arena_free(&a2);
	return 0;
}
