/*
 * test_system_json.c — the JSON reader of lib/system (json.c).
 *
 *   table       valid documents and what they read as; invalid ones with the
 *               finding's text and byte offset
 *   jansson     differential: 2,000 random documents (nested objects and
 *               arrays, strings with escapes, control characters and
 *               non-ASCII text, naturals up to 2^64-1) written by jansson,
 *               with and without JSON_ENSURE_ASCII, read by both; the trees
 *               must be equal
 */
#include "system/sys_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "banned.h"

static struct sval *read1(struct dhall_arena *a, const char *text, struct sys_report *r)
{
	struct sval *v = NULL;
	if (sys_json_value(a, text, strlen(text), &v, r) != 0)
		return NULL;
	return v;
}

static void valid(const char *text, const char *what, int (*check)(const struct sval *))
{
	struct dhall_arena a;
	struct sys_report r = {0};
	dhall_arena_init(&a);
	struct sval *v = read1(&a, text, &r);
	tap_ok(v && r.n == 0 && check(v), "reads %s", what);
	sys_report_free(&r);
	dhall_arena_free(&a);
}

static void invalid(const char *text, const char *msg, size_t pos)
{
	struct dhall_arena a;
	struct sys_report r = {0};
	dhall_arena_init(&a);
	struct sval *v = read1(&a, text, &r);
	int ok = !v && r.errors == 1 && strstr(r.d[0].msg, msg) && r.d[0].pos == pos;
	tap_ok(ok, "refuses %s: \"%s\" at byte %zu%s%s", text, msg, pos, ok ? "" : " — got: ",
	       ok ? "" : r.n ? r.d[0].msg : "(nothing)");
	if (!ok && r.n)
		tap_diag("at byte %zu", r.d[0].pos);
	sys_report_free(&r);
	dhall_arena_free(&a);
}

static int is_escapes(const struct sval *v)
{
	return v->kind == SV_TEXT && strcmp(v->text, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80") == 0;
}
static int is_max(const struct sval *v)
{
	return v->kind == SV_NAT && v->nat == UINT64_MAX;
}
static int is_nested(const struct sval *v)
{
	return v->kind == SV_MAP && v->n == 2 && strcmp(v->keys[0], "a") == 0 && v->items[0]->kind == SV_LIST &&
	       v->items[0]->n == 3 && v->items[0]->items[2]->kind == SV_NULL && v->items[1]->kind == SV_BOOL &&
	       v->items[1]->b == 0 && v->items[0]->items[1]->pos == 11;
}
static int is_empty(const struct sval *v)
{
	return v->kind == SV_MAP && v->n == 0;
}

/* ---- differential against jansson */

static json_t *random_json(uint64_t *seed, unsigned depth)
{
	unsigned k = (unsigned)(tap_rand(seed) % (depth < 4 ? 7 : 5));
	switch (k) {
	case 0: {
		uint64_t r = tap_rand(seed);
		return json_integer((json_int_t)(r % 3 == 0 ? r >> 1 : r % 100000));
	}
	case 1:
		return json_boolean(tap_rand(seed) & 1);
	case 2:
		return json_null();
	case 3:
	case 4: {
		static const char *const pieces[] = {"a", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
						     "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " -> ", "x"};
		char buf[128] = "";
		size_t len = 0;
		unsigned n = (unsigned)(tap_rand(seed) % 12);
		for (unsigned i = 0; i < n; i++) { /* at most 12 pieces of 4 bytes */
			const char *piece = pieces[tap_rand(seed) % (sizeof pieces / sizeof *pieces)];
			memcpy(buf + len, piece, strlen(piece) + 1);
			len += strlen(piece);
		}
		return json_string(buf);
	}
	case 5: {
		json_t *o = json_object();
		unsigned n = (unsigned)(tap_rand(seed) % 6);
		for (unsigned i = 0; i < n; i++) {
			char key[32];
			snprintf(key, sizeof key, "k%u\xc3\xa9%u", i, (unsigned)(tap_rand(seed) % 50));
			json_object_set_new(o, key, random_json(seed, depth + 1));
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		unsigned n = (unsigned)(tap_rand(seed) % 6);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(a, random_json(seed, depth + 1));
		return a;
	}
	}
}

static int same(const struct sval *v, json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		if (v->kind != SV_MAP || v->n != json_object_size(j))
			return 0;
		for (size_t i = 0; i < v->n; i++) {
			json_t *x = json_object_get(j, v->keys[i]);
			if (!x || !same(v->items[i], x))
				return 0;
		}
		return 1;
	}
	case JSON_ARRAY:
		if (v->kind != SV_LIST || v->n != json_array_size(j))
			return 0;
		for (size_t i = 0; i < v->n; i++)
			if (!same(v->items[i], json_array_get(j, i)))
				return 0;
		return 1;
	case JSON_STRING:
		return v->kind == SV_TEXT && strcmp(v->text, json_string_value(j)) == 0;
	case JSON_INTEGER:
		return v->kind == SV_NAT && v->nat == (uint64_t)json_integer_value(j);
	case JSON_TRUE:
	case JSON_FALSE:
		return v->kind == SV_BOOL && v->b == json_is_true(j);
	case JSON_NULL:
		return v->kind == SV_NULL;
	default:
		return 0;
	}
}

static void differential(void)
{
	uint64_t seed = 0x5151ea11;
	int bad = 0;
	for (int i = 0; i < 2000 && !bad; i++) {
		json_t *j = random_json(&seed, 0);
		char *text = json_dumps(j, JSON_ENCODE_ANY | (i & 1 ? JSON_ENSURE_ASCII : 0) | (i & 2 ? JSON_INDENT(2) : 0));
		struct dhall_arena a;
		struct sys_report r = {0};
		dhall_arena_init(&a);
		struct sval *v = read1(&a, text, &r);
		json_error_t je;
		json_t *back = json_loads(text, JSON_DECODE_ANY, &je);
		if (!v || !back || !same(v, back)) {
			bad = 1;
			tap_diag("document %d differs: %s", i, text);
			if (r.n)
				tap_diag("our reader: %s at %zu", r.d[0].msg, r.d[0].pos);
		}
		json_decref(back);
		free(text);
		json_decref(j);
		sys_report_free(&r);
		dhall_arena_free(&a);
	}
	tap_ok(!bad, "2,000 random documents read the same as jansson reads them");
}

int main(void)
{
	valid("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"", "every escape, with a surrogate pair", is_escapes);
	valid("18446744073709551615", "2^64-1", is_max);
	valid(" {\"a\": [1, \"x\", null], \"b\": false} \n", "nested values with their offsets", is_nested);
	valid("{}", "an empty object", is_empty);

	invalid("", "unexpected end of input", 0);
	invalid("{\"a\": 1,}", "expected a key", 8);
	invalid("[1 2]", "expected ',' or ']'", 3);
	invalid("{\"a\" 1}", "expected ':' after the key", 5);
	invalid("{\"a\": 1, \"a\": 2}", "the key \"a\" appears twice", 0);
	invalid("-1", "a negative number", 0);
	invalid("1.5", "a fractional number", 0);
	invalid("1e3", "a fractional number", 0);
	invalid("012", "a leading zero", 0);
	invalid("18446744073709551616", "2^64 or more", 0);
	invalid("\"abc", "without its closing quote", 0);
	invalid("\"a\x01\"", "a control character in a string", 2);
	invalid("\"\\u0000\"", "a NUL character", 1);
	invalid("\"\\ud800\"", "a high surrogate without its low half", 1);
	invalid("\"\\udc00\"", "a lone low surrogate", 1);
	invalid("\"\\x\"", "an unknown escape", 1);
	invalid("\"\\u12g4\"", "four hexadecimal digits", 1);
	invalid("\"\xc3\x28\"", "not valid UTF-8", 1);
	invalid("\"\xed\xa0\x80\"", "not valid UTF-8", 1);  /* an encoded surrogate */
	invalid("\"\xc0\xaf\"", "not valid UTF-8", 1);      /* overlong */
	invalid("true false", "text after the value", 5);
	invalid("nul", "expected a value", 0);
	char deep[1000];
	memset(deep, '[', 300);
	deep[300] = 0;
	invalid(deep, "nested too deeply", 200);

	differential();
	return tap_done();
}
