/*
 * file.c — sys_load_any: one entry point for the three forms a system
 * comes in, chosen by the file name: NAME.json (JSON), NAME.cbor (the
 * system description, docs/system-format.md), anything else Dhall (parsed
 * here; a syntax error becomes a finding with its position).
 */
#include "sys_int.h"

#include <string.h>

#include "banned.h"

static int dhall_value(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		       struct dhall_expr **out, struct dhall_expr **written, struct sys_report *r);

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int sys_load_any(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		 struct sys_system *out, struct sys_report *r)
{
	if (ends_with(file, ".json"))
		return sys_load_json(arena, data, len, file, out, r);
	if (ends_with(file, ".cbor")) {
		int rc = sys_load_cbor(arena, (const uint8_t *)data, len, file, out, r);
		out->src = NULL; /* binary: no source positions */
		return rc;
	}
	struct dhall_expr *e, *written;
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = data;
	out->srclen = len;
	int rc = dhall_value(arena, file, data, len, &e, &written, r);
	if (rc)
		return rc;
	/* an evaluated value has lost its positions: srcpos.c finds them */
	return sys_load_dhall_src(arena, e, e == written ? NULL : written, file, data, len, out, r);
}

/* A plain value: what load.c turns into the value tree directly (records,
 * lists, text without interpolation, numbers, bools, Some/None, union
 * alternatives, toMap of a record). Types inside None and [] are fine. */
static int plain(const struct dhall_expr *e, unsigned depth)
{
	if (depth > 200)
		return 0;
	switch (e->kind) {
	case DHALL_RECORD:
	case DHALL_LIST:
		for (size_t i = 0; i < e->n; i++)
			if (!plain(e->items[i], depth + 1))
				return 0;
		return 1;
	case DHALL_TEXT:
		return e->n == 0;
	case DHALL_NATURAL:
	case DHALL_BOOL:
		return 1;
	case DHALL_SOME:
		return plain(e->a, depth + 1);
	case DHALL_TOMAP:
		return e->a->kind == DHALL_RECORD && plain(e->a, depth + 1);
	case DHALL_FIELD:
		return e->a->kind == DHALL_UNION;
	case DHALL_APP:
		if (e->n != 1)
			return 0;
		if (e->a->kind == DHALL_BUILTIN && e->a->op == DHALL_B_NONE)
			return 1;
		return e->a->kind == DHALL_FIELD && e->a->a->kind == DHALL_UNION &&
		       plain(e->items[0], depth + 1);
	default:
		return 0;
	}
}

int sys_dhall_value(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		    struct dhall_expr **out, struct sys_report *r)
{
	struct dhall_expr *written;
	return dhall_value(arena, file, data, len, out, &written, r);
}

/* sys_dhall_value, also giving the parsed tree (*written; *out is the same
 * tree when it was a plain value). */
static int dhall_value(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		       struct dhall_expr **out, struct dhall_expr **written, struct sys_report *r)
{
	struct dhall_err err;
	struct dhall_expr *e, *resolved, *type, *nf;
	struct dhall_ctx ctx;
	int rc = dhall_parse(arena, data, len, file, &e, &err);
	*written = e;
	if (rc == DHALL_ENOMEM)
		return rc;
	if (rc)
		return sys_diag(r, SYS_ERROR, err.offset, NULL, "%s", err.msg);
	/* imports are resolved relative to the file; then the whole value is
	 * type-checked, also when it is plain (a list of records of different
	 * shapes is no system) */
	dhall_ctx_init(&ctx);
	ctx.name = file;
	ctx.src = data;
	ctx.len = len;
	if ((rc = dhall_resolve(&ctx, arena, e, file, &resolved, &err)) ||
	    (rc = dhall_typeof(&ctx, arena, resolved, &type, &err))) {
		if (rc == DHALL_ENOMEM)
			return rc;
		return sys_diag(r, SYS_ERROR, err.line ? err.offset : SIZE_MAX, NULL, "%s", err.msg);
	}
	/* a plain value keeps its source positions for the checker's findings */
	if (plain(e, 0)) {
		*out = e;
		return 0;
	}
	if ((rc = dhall_normalize_ctx(&ctx, arena, resolved, &nf, &err))) {
		if (rc == DHALL_ENOMEM)
			return rc;
		return sys_diag(r, SYS_ERROR, err.line ? err.offset : SIZE_MAX, NULL, "%s", err.msg);
	}
	*out = nf;
	return 0;
}
