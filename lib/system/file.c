/*
 * file.c — sys_load_any: one entry point for the three forms a system
 * comes in, chosen by the file name: NAME.json (JSON), NAME.cbor (the
 * system description, docs/system-format.md), anything else Dhall (parsed
 * here; a syntax error becomes a finding with its position).
 */
#include "sys_int.h"

#include <string.h>

#include "banned.h"

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
	struct dhall_expr *e;
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = data;
	out->srclen = len;
	int rc = sys_dhall_value(arena, file, data, len, &e, r);
	if (rc)
		return rc;
	return sys_load_dhall(arena, e, file, data, len, out, r);
}

int sys_dhall_value(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		    struct dhall_expr **out, struct sys_report *r)
{
	struct dhall_err err;
	int rc = dhall_parse(arena, data, len, file, out, &err);
	if (rc == DHALL_ENOMEM)
		return rc;
	if (rc)
		return sys_diag(r, SYS_ERROR, err.offset, NULL, "%s", err.msg);
	return 0;
}
