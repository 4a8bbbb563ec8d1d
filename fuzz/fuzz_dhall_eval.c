/*
 * fuzz_dhall_eval.c — libFuzzer target for the Dhall evaluator
 * (lib/dhall/eval.c, builtins.c, quote.c, typecheck.c).
 *
 * Input: any bytes, as the text of a Dhall file. It is parsed; what parses
 * is type-checked, and what type-checks is normalized. Imports are not
 * resolved (they would read files): an expression with imports must be
 * refused cleanly. The evaluator runs under a small budget (FUZZ_STEPS
 * steps, FUZZ_BYTES of scratch memory), so that no input can hang it or
 * exhaust memory: `Natural/fold 1000000000 …`, repeated squaring, a list
 * doubled in a loop all end in DHALL_ELIMIT. Properties (abort() on a
 * violation):
 *   1. dhall_typeof / dhall_normalize_ctx return 0 or one of DHALL_ETYPE,
 *      DHALL_ELIMIT, DHALL_ENOMEM, with a message.
 *   2. A well-typed expression normalizes, unless the budget stops it, and
 *      its normal form is a fixed point: normalizing it again gives the
 *      same encoding (idempotence), and it has the same type (subject
 *      reduction, checked by judgmental equivalence).
 *   3. The semantic hash of the expression and of its normal form agree.
 *   4. JSON straight from the values (dhall_eval_to_json, which streams a
 *      list result element by element) equals the JSON of the normal form
 *      (dhall_to_json), and each refuses what the other refuses.
 *
 * Seeds: fuzz/corpus/fuzz_dhall_eval/ (ours) plus the directories listed
 * in fuzz/corpus/fuzz_dhall_eval.shared (the standard's normalization and
 * type-inference tests), read from $SIGIL_SHARED at run time.
 */
#include "dhall/dhall.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define FUZZ_STEPS 200000
#define FUZZ_BYTES ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ok_code(int rc)
{
	return rc == DHALL_ETYPE || rc == DHALL_ELIMIT || rc == DHALL_ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_ctx ctx;
	struct dhall_expr *e, *t, *nf, *nf2, *t2;
	struct dhall_buf a = {0}, b = {0}, j1 = {0}, j2 = {0};
	char h1[72], h2[72];
	int rc, eq;

	dhall_arena_init(&arena);
	dhall_ctx_init(&ctx);
	ctx.name = "fuzz";
	ctx.src = (const char *)data;
	ctx.len = size;
	ctx.max_steps = FUZZ_STEPS;
	ctx.max_bytes = FUZZ_BYTES;
	if (dhall_parse(&arena, (const char *)data, size, "fuzz", &e, &err) != 0)
		goto out;
	rc = dhall_typeof(&ctx, &arena, e, &t, &err);
	if (rc) {
		if (!ok_code(rc) || !err.msg[0])
			abort();
		goto out;
	}
	rc = dhall_normalize_ctx(&ctx, &arena, e, &nf, &err);
	if (rc) {
		/* a well-typed expression only fails for want of budget */
		if (rc != DHALL_ELIMIT && rc != DHALL_ENOMEM)
			abort();
		goto out;
	}
	rc = dhall_normalize_ctx(&ctx, &arena, nf, &nf2, &err);
	if (rc == 0) {
		if (dhall_encode(nf, &a) || dhall_encode(nf2, &b))
			goto out;
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort(); /* normalization is idempotent */
	} else if (!ok_code(rc) || rc == DHALL_ETYPE)
		abort();
	/* 4: JSON from values = JSON of the normal form */
	{
		int r1 = dhall_to_json(nf, 0, &j1, &err);
		int r2 = dhall_eval_to_json(&ctx, e, 0, &j2, &err);
		if (r2 != DHALL_ELIMIT && r2 != DHALL_ENOMEM && r1 != DHALL_ENOMEM) {
			if (r1 != r2)
				abort();
			if (r1 == 0 && (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len) != 0))
				abort();
		}
	}
	rc = dhall_typeof(&ctx, &arena, nf, &t2, &err);
	if (rc == 0) {
		if (dhall_equivalent(t, t2, &eq, &err) == 0 && !eq)
			abort(); /* subject reduction */
	} else if (rc != DHALL_ELIMIT && rc != DHALL_ENOMEM)
		abort();
	if (dhall_semantic_hash(&ctx, e, h1, &err) == 0 && dhall_semantic_hash(&ctx, nf, h2, &err) == 0 &&
	    strcmp(h1, h2) != 0)
		abort();
out:
	dhall_buf_free(&a);
	dhall_buf_free(&b);
	dhall_buf_free(&j1);
	dhall_buf_free(&j2);
	dhall_arena_free(&arena);
	return 0;
}
