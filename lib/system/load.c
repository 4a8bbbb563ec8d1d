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
 * JSON (jansson): objects, arrays, strings, non-negative integers, booleans,
 * null. jansson keeps no positions of values, so shape errors from JSON name
 * the path instead; syntax errors carry jansson's line and column.
 */
#include "sys_int.h"

#include <jansson.h>
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
	struct sval *v;
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = src;
	out->srclen = srclen;
	int rc = from_dhall(arena, e, &v, r, 0);
	if (rc)
		return rc;
	return sys_from_value(arena, v, out, r);
}

static int from_json(struct dhall_arena *a, json_t *j, struct sval **out, struct sys_report *r,
		     unsigned depth)
{
	struct sval *v = NULL;
	if (depth > 200)
		return sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "JSON nested too deeply");
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		v = sv_new(a, SV_MAP, SIZE_MAX);
		size_t n = json_object_size(j), i = 0;
		if (!v || !(v->keys = dhall_arena_alloc(a, (n + 1) * sizeof *v->keys)) ||
		    !(v->items = dhall_arena_alloc(a, (n + 1) * sizeof *v->items)))
			return DHALL_ENOMEM;
		const char *key;
		json_t *val;
		json_object_foreach(j, key, val)
		{
			if (!(v->keys[i] = dhall_arena_strdup(a, key, strlen(key))))
				return DHALL_ENOMEM;
			int rc = from_json(a, val, &v->items[i], r, depth + 1);
			if (rc)
				return rc;
			i++;
		}
		v->n = i;
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		v = sv_new(a, SV_LIST, SIZE_MAX);
		if (!v || !(v->items = dhall_arena_alloc(a, (n + 1) * sizeof *v->items)))
			return DHALL_ENOMEM;
		v->n = n;
		for (size_t i = 0; i < n; i++) {
			int rc = from_json(a, json_array_get(j, i), &v->items[i], r, depth + 1);
			if (rc)
				return rc;
		}
		break;
	}
	case JSON_STRING:
		if (memchr(json_string_value(j), 0, json_string_length(j)))
			return sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "a string holds a NUL character");
		v = sv_new(a, SV_TEXT, SIZE_MAX);
		if (!v || !(v->text = dhall_arena_strdup(a, json_string_value(j), json_string_length(j))))
			return DHALL_ENOMEM;
		break;
	case JSON_INTEGER:
		if (json_integer_value(j) < 0)
			return sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "negative number %lld",
					(long long)json_integer_value(j));
		v = sv_new(a, SV_NAT, SIZE_MAX);
		if (!v)
			return DHALL_ENOMEM;
		v->nat = (uint64_t)json_integer_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v = sv_new(a, SV_BOOL, SIZE_MAX);
		if (!v)
			return DHALL_ENOMEM;
		v->b = json_is_true(j);
		break;
	case JSON_NULL:
		if (!(v = sv_new(a, SV_NULL, SIZE_MAX)))
			return DHALL_ENOMEM;
		break;
	default:
		return sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "a fractional number is not allowed here");
	}
	*out = v;
	return 0;
}

int sys_load_json(struct dhall_arena *arena, const char *text, size_t len, const char *file,
		  struct sys_system *out, struct sys_report *r)
{
	json_error_t je;
	memset(out, 0, sizeof *out);
	out->file = file;
	out->src = text;
	out->srclen = len;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		/* jansson counts lines and columns from 1; find the offset */
		size_t pos = je.position > 0 ? (size_t)je.position - 1 : 0;
		return sys_diag(r, SYS_ERROR, pos < len ? pos : len, NULL, "bad JSON: %s", je.text);
	}
	struct sval *v;
	int rc = from_json(arena, j, &v, r, 0);
	json_decref(j);
	if (rc)
		return rc;
	return sys_from_value(arena, v, out, r);
}
