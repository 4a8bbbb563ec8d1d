/*
 * json.c — JSON text (RFC 8259) straight into the value tree of sys_int.h,
 * for sys_load_json.
 *
 * Why not jansson, which the rest of the tree uses for JSON it writes or
 * reads in small amounts: a system description is read once, into the
 * arena, and every value should keep its byte offset so that a finding in
 * a JSON system points at file:line:col like one in a Dhall system.
 * jansson keeps no positions, and building then freeing its tree was 60%
 * of `sigil check` on a 1,000-child system (bench/system.sh). This reader
 * allocates only in the arena and never recurses deeper than JSON_MAX_DEPTH.
 *
 * What it accepts is exactly RFC 8259 JSON with these limits of the model:
 *   - numbers: non-negative integers below 2^64 (a minus sign, a fraction
 *     or an exponent is an error saying so);
 *   - strings: valid UTF-8, escapes as the RFC lists them, \uXXXX with
 *     surrogate pairs; a NUL character (raw or \u0000) is an error;
 *   - objects: a key appears once (duplicates are errors, not "last wins").
 * Each error is one finding at the offending byte.
 */
#include "sys_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define JSON_MAX_DEPTH 200

struct jr {
	const unsigned char *s;
	size_t len, at;
	struct dhall_arena *a;
	struct sys_report *r;
};

static int fail(struct jr *j, size_t pos, const char *what)
{
	return sys_diag(j->r, SYS_ERROR, pos, NULL, "bad JSON: %s", what);
}

static void skip_ws(struct jr *j)
{
	while (j->at < j->len && (j->s[j->at] == ' ' || j->s[j->at] == '\t' || j->s[j->at] == '\n' ||
				  j->s[j->at] == '\r'))
		j->at++;
}

static struct sval *node(struct jr *j, enum sval_kind k, size_t pos)
{
	struct sval *v = dhall_arena_alloc(j->a, sizeof *v);
	if (v) {
		v->kind = k;
		v->pos = pos;
	}
	return v;
}

static int hex4(struct jr *j, unsigned *out)
{
	unsigned v = 0;
	if (j->len - j->at < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = j->s[j->at++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at j->at (the opening quote): NUL-terminated, in the arena.
 * Escapes only shrink the text, so the output fits the input's length. */
static int string(struct jr *j, const char **out)
{
	size_t start = ++j->at, end = start;
	int plain = 1;
	while (end < j->len && j->s[end] != '"') { /* the fast path: no escapes */
		if (j->s[end] == '\\' || j->s[end] < 0x20 || j->s[end] >= 0x80) {
			plain = 0;
			break;
		}
		end++;
	}
	if (plain) {
		if (end >= j->len)
			return fail(j, start - 1, "a string without its closing quote");
		if (!(*out = dhall_arena_strdup(j->a, (const char *)j->s + start, end - start)))
			return DHALL_ENOMEM;
		j->at = end + 1;
		return 0;
	}
	char *o = dhall_arena_alloc(j->a, j->len - start + 1);
	size_t n = 0;
	if (!o)
		return DHALL_ENOMEM;
	for (;;) {
		if (j->at >= j->len)
			return fail(j, start - 1, "a string without its closing quote");
		size_t here = j->at;
		unsigned char c = j->s[j->at];
		if (c == '"') {
			j->at++;
			break;
		}
		if (c < 0x20)
			return fail(j, here, c ? "a control character in a string (escape it)"
					       : "a string holds a NUL character");
		if (c >= 0x80) {
			uint32_t cp8;
			size_t k = dhall_utf8_decode(j->s + j->at, j->len - j->at, &cp8);
			if (!k)
				return fail(j, here, "a string that is not valid UTF-8");
			memcpy(o + n, j->s + j->at, k);
			n += k;
			j->at += k;
			continue;
		}
		j->at++;
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		if (j->at >= j->len)
			return fail(j, here, "a string without its closing quote");
		unsigned cp;
		switch (j->s[j->at++]) {
		case '"': o[n++] = '"'; continue;
		case '\\': o[n++] = '\\'; continue;
		case '/': o[n++] = '/'; continue;
		case 'b': o[n++] = '\b'; continue;
		case 'f': o[n++] = '\f'; continue;
		case 'n': o[n++] = '\n'; continue;
		case 'r': o[n++] = '\r'; continue;
		case 't': o[n++] = '\t'; continue;
		case 'u':
			if (hex4(j, &cp))
				return fail(j, here, "\\u needs four hexadecimal digits");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(j, here, "a lone low surrogate in \\u escapes");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (j->len - j->at < 6 || j->s[j->at] != '\\' || j->s[j->at + 1] != 'u')
					return fail(j, here, "a high surrogate without its low half");
				j->at += 2;
				if (hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return fail(j, here, "a high surrogate without its low half");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return fail(j, here, "a string holds a NUL character");
			n += put_utf8(o + n, cp);
			continue;
		default:
			return fail(j, here, "an unknown escape in a string");
		}
	}
	o[n] = 0;
	*out = o;
	return 0;
}

static int number(struct jr *j, struct sval **out)
{
	size_t start = j->at;
	uint64_t v = 0;
	if (j->s[j->at] == '-')
		return fail(j, start, "a negative number (the model's numbers are natural)");
	if (j->s[j->at] == '0' && j->at + 1 < j->len && j->s[j->at + 1] >= '0' && j->s[j->at + 1] <= '9')
		return fail(j, start, "a number with a leading zero");
	while (j->at < j->len && j->s[j->at] >= '0' && j->s[j->at] <= '9') {
		unsigned d = j->s[j->at++] - '0';
		if (v > (UINT64_MAX - d) / 10)
			return fail(j, start, "a number of 2^64 or more");
		v = v * 10 + d;
	}
	if (j->at < j->len && (j->s[j->at] == '.' || j->s[j->at] == 'e' || j->s[j->at] == 'E'))
		return fail(j, start, "a fractional number is not allowed here");
	if (!(*out = node(j, SV_NAT, start)))
		return DHALL_ENOMEM;
	(*out)->nat = v;
	return 0;
}

static int word(struct jr *j, const char *w, size_t n)
{
	return j->len - j->at >= n && memcmp(j->s + j->at, w, n) == 0 ? (j->at += n, 1) : 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate keys of one object: pairwise when small, sorted otherwise. */
static const char *duplicate(struct jr *j, const struct sval *m)
{
	if (m->n <= 16) {
		for (size_t i = 1; i < m->n; i++)
			for (size_t k = 0; k < i; k++)
				if (strcmp(m->keys[i], m->keys[k]) == 0)
					return m->keys[i];
		return NULL;
	}
	const char **sorted = dhall_arena_alloc(j->a, m->n * sizeof *sorted);
	if (!sorted)
		return NULL;
	memcpy(sorted, m->keys, m->n * sizeof *sorted);
	qsort(sorted, m->n, sizeof *sorted, key_cmp);
	for (size_t i = 1; i < m->n; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			return sorted[i];
	return NULL;
}

/* Appends item (and key) to a list or map under construction, growing
 * its arrays in the arena by doubling. */
static int append(struct jr *j, struct sval *v, size_t *cap, const char *key, struct sval *item)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct sval **ni = dhall_arena_alloc(j->a, nc * sizeof *ni);
		const char **nk = v->kind == SV_MAP ? dhall_arena_alloc(j->a, nc * sizeof *nk) : NULL;
		if (!ni || (v->kind == SV_MAP && !nk))
			return DHALL_ENOMEM;
		if (v->n) {
			memcpy(ni, v->items, v->n * sizeof *ni);
			if (nk)
				memcpy(nk, v->keys, v->n * sizeof *nk);
		}
		v->items = ni;
		v->keys = nk;
		*cap = nc;
	}
	if (v->kind == SV_MAP)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
	return 0;
}

static int value(struct jr *j, struct sval **out, unsigned depth);

static int container(struct jr *j, struct sval **out, unsigned depth)
{
	int map = j->s[j->at] == '{', rc;
	size_t start = j->at++, cap = 0;
	struct sval *v = node(j, map ? SV_MAP : SV_LIST, start);
	if (!v)
		return DHALL_ENOMEM;
	if (depth >= JSON_MAX_DEPTH)
		return fail(j, start, "nested too deeply");
	skip_ws(j);
	if (j->at < j->len && j->s[j->at] == (map ? '}' : ']')) {
		j->at++;
		*out = v;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		struct sval *item;
		skip_ws(j);
		if (map) {
			if (j->at >= j->len || j->s[j->at] != '"')
				return fail(j, j->at, "expected a key (a string)");
			if ((rc = string(j, &key)))
				return rc;
			skip_ws(j);
			if (j->at >= j->len || j->s[j->at] != ':')
				return fail(j, j->at, "expected ':' after the key");
			j->at++;
		}
		if ((rc = value(j, &item, depth + 1)) || (rc = append(j, v, &cap, key, item)))
			return rc;
		skip_ws(j);
		if (j->at < j->len && j->s[j->at] == ',') {
			j->at++;
			continue;
		}
		if (j->at < j->len && j->s[j->at] == (map ? '}' : ']')) {
			j->at++;
			break;
		}
		return fail(j, j->at, map ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	const char *dup = map ? duplicate(j, v) : NULL;
	if (dup)
		return sys_diag(j->r, SYS_ERROR, start, NULL, "bad JSON: the key \"%.100s\" appears twice",
				dup);
	*out = v;
	return 0;
}

static int value(struct jr *j, struct sval **out, unsigned depth)
{
	skip_ws(j);
	if (j->at >= j->len)
		return fail(j, j->at, "unexpected end of input");
	size_t start = j->at;
	unsigned char c = j->s[j->at];
	if (c == '{' || c == '[')
		return container(j, out, depth);
	if (c == '"') {
		struct sval *v = node(j, SV_TEXT, start);
		if (!v)
			return DHALL_ENOMEM;
		*out = v;
		return string(j, &v->text);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(j, out);
	if (word(j, "true", 4) || word(j, "false", 5)) {
		if (!(*out = node(j, SV_BOOL, start)))
			return DHALL_ENOMEM;
		(*out)->b = c == 't';
		return 0;
	}
	if (word(j, "null", 4))
		return (*out = node(j, SV_NULL, start)) ? 0 : DHALL_ENOMEM;
	return fail(j, start, "expected a value");
}

int sys_json_value(struct dhall_arena *a, const char *text, size_t len, struct sval **out,
		   struct sys_report *r)
{
	struct jr j = {(const unsigned char *)text, len, 0, a, r};
	int rc = value(&j, out, 0);
	if (rc)
		return rc;
	skip_ws(&j);
	if (j.at < j.len)
		return fail(&j, j.at, "text after the value");
	return 0;
}
