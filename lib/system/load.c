/*
 * load.c — turns a Dhall expression in normal form, or a JSON document,
 * into the generic value tree (sys_int.h) that model.c builds the system
 * from. Both front ends meet there, so every shape rule lives in one place.
 *
 * Dhall: record literals (also under toMap) → maps, lists → lists, Text without interpolation
 * → text, Natural → numbers, Bool, `Some x` → x, `None T` → null, a union
 * alternative `< … >.A` → tag A, `< … >.A x` → tag A with payload x. Anything
 * else (a function, an unnormalized application, an import) is not a value
 * and is reported at its position.
 * JSON (our reader, json.c): objects, arrays, strings, non-negative
 * integers, booleans, null, each value with its byte offset, so findings
 * in a JSON system point at file:line:col as in a Dhall one.
 */
#include "sys_int.h"

#include <string.h>

#include "banned.h"

static struct sval *sv_new(struct dhall_arena *a, enum sval_kind k, size_t pos)
{
	struct sval *v = dhall_arena_alloc(a, sizeof *v);
	if (v) {
		v->kind = k;
		v->pos = pos;
	}
	return v;
}

static const char *str_dup(struct dhall_arena *a, const struct dhall_str *s)
{
	return dhall_arena_strdup(a, s->s, s->len);
}

static int from_dhall(struct dhall_arena *a, const struct dhall_expr *e, struct sval **out,
		      struct sys_report *r, unsigned depth)
{
	struct sval *v = NULL;
	if (depth > 200)
		return sys_diag(r, SYS_ERROR, e->pos, NULL, "value nested too deeply");
	switch (e->kind) {
	case DHALL_RECORD:
		v = sv_new(a, SV_MAP, e->pos);
		if (!v)
			return DHALL_ENOMEM;
		v->n = e->n;
		v->keys = dhall_arena_alloc(a, (e->n + 1) * sizeof *v->keys);
		v->items = dhall_arena_alloc(a, (e->n + 1) * sizeof *v->items);
		if (!v->keys || !v->items)
			return DHALL_ENOMEM;
		for (size_t i = 0; i < e->n; i++) {
			if (!(v->keys[i] = str_dup(a, &e->labels[i])))
				return DHALL_ENOMEM;
			int rc = from_dhall(a, e->items[i], &v->items[i], r, depth + 1);
			if (rc)
				return rc;
		}
		break;
	case DHALL_LIST:
		v = sv_new(a, SV_LIST, e->pos);
		if (!v)
			return DHALL_ENOMEM;
		v->n = e->n;
		v->items = dhall_arena_alloc(a, (e->n + 1) * sizeof *v->items);
		if (!v->items)
			return DHALL_ENOMEM;
		for (size_t i = 0; i < e->n; i++) {
			int rc = from_dhall(a, e->items[i], &v->items[i], r, depth + 1);
			if (rc)
				return rc;
		}
		break;
	case DHALL_TEXT:
		if (e->n)
			return sys_diag(r, SYS_ERROR, e->pos, "normalize the system first",
					"text with an interpolation is not a value");
		if (memchr(e->labels[0].s, 0, e->labels[0].len))
			return sys_diag(r, SYS_ERROR, e->pos, NULL, "text holds a NUL character");
		v = sv_new(a, SV_TEXT, e->pos);
		if (!v || !(v->text = str_dup(a, &e->labels[0])))
			return DHALL_ENOMEM;
		break;
	case DHALL_NATURAL:
		if (e->u.num.big)
			return sys_diag(r, SYS_ERROR, e->pos, NULL, "number too large (over 64 bits)");
		v = sv_new(a, SV_NAT, e->pos);
		if (!v)
			return DHALL_ENOMEM;
		v->nat = e->u.num.small;
		break;
	case DHALL_BOOL:
		v = sv_new(a, SV_BOOL, e->pos);
		if (!v)
			return DHALL_ENOMEM;
		v->b = e->op;
		break;
	case DHALL_SOME:
		return from_dhall(a, e->a, out, r, depth + 1);
	case DHALL_TOMAP: /* toMap of a record literal is that record, as a map */
		if (e->a->kind != DHALL_RECORD)
			goto not_value;
		return from_dhall(a, e->a, out, r, depth + 1);
	case DHALL_FIELD:
		if (e->a->kind != DHALL_UNION)
			goto not_value;
		v = sv_new(a, SV_TAG, e->pos);
		if (!v || !(v->text = str_dup(a, &e->label)))
			return DHALL_ENOMEM;
		break;
	case DHALL_APP:
		if (e->n == 1 && e->a->kind == DHALL_BUILTIN && e->a->op == DHALL_B_NONE) {
			if (!(v = sv_new(a, SV_NULL, e->pos)))
				return DHALL_ENOMEM;
			break;
		}
		if (e->n == 1 && e->a->kind == DHALL_FIELD && e->a->a->kind == DHALL_UNION) {
			v = sv_new(a, SV_TAG, e->pos);
			if (!v || !(v->text = str_dup(a, &e->a->label)))
				return DHALL_ENOMEM;
			v->n = 1;
			v->items = dhall_arena_alloc(a, sizeof *v->items);
			if (!v->items)
				return DHALL_ENOMEM;
			int rc = from_dhall(a, e->items[0], &v->items[0], r, depth + 1);
			if (rc)
				return rc;
			break;
		}
		goto not_value;
	default:
		goto not_value;
	}
	*out = v;
	return 0;
not_value:
	return sys_diag(r, SYS_ERROR, e->pos, "evaluate the system to a value (dhall normalize) first",
			"this is not a plain value (a record, list, text, number, bool, optional "
			"or union alternative)");
}

int sys_load_dhall(struct dhall_arena *arena, const struct dhall_expr *e, const char *file,
		   const char *src, size_t srclen, struct sys_system *out, struct sys_report *r)
{
	return sys_load_dhall_src(arena, e, NULL, file, src, srclen, out, r);
}

int sys_load_dhall_src(struct dhall_arena *arena, const struct dhall_expr *e,
		       const struct dhall_expr *written, const char *file, const char *src,
		       size_t srclen, struct sys_system *out, struct sys_report *r)
{
	struct sval *v;
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = src;
	out->srclen = srclen;
	int rc = from_dhall(arena, e, &v, r, 0);
	if (rc == 0 && written)
		rc = sys_srcpos(v, written);
	if (rc)
		return rc;
	return sys_from_value(arena, v, out, r);
}

int sys_load_json(struct dhall_arena *arena, const char *text, size_t len, const char *file,
		  struct sys_system *out, struct sys_report *r)
{
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = text;
	out->srclen = len;
	struct sval *v;
	int rc = sys_json_value(arena, text, len, &v, r);
	if (rc)
		return rc;
	return sys_from_value(arena, v, out, r);
}
