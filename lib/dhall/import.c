/*
 * import.c — the syntax of imports: local paths (/, ./, ../, ~/ with
 * quoted components), http(s) URLs with `using` headers, env: variables,
 * `missing`, then an optional `sha256:` hash and `as Text|Location|Bytes`.
 * Only the syntax: resolving imports is Dhall II's business.
 */
#include "parse_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "banned.h"

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_unreserved(int c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_sub_delim(int c)
{
	return c == '!' || c == '$' || c == '&' || c == '\'' || c == '*' || c == '+' ||
	       c == ';' || c == '=';
}

/* Decodes the 64 hex digits at x (either case) into h[0..32); false when
 * one is not a hex digit. With SSE2, 16 digits at a time without a branch
 * per digit: a fifth of the Prelude's bytes are such hashes. */
static bool hex32(const unsigned char *x, uint8_t *h)
{
#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0'), a = _mm_set1_epi8('a'), nine = _mm_set1_epi8(9),
		      five = _mm_set1_epi8(5), ten = _mm_set1_epi8(10),
		      lower = _mm_set1_epi8(0x20), low_byte = _mm_set1_epi16(0xff);
	for (int k = 0; k < 2; k++) {
		__m128i half[2];
		for (int j = 0; j < 2; j++) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(x + 32 * k + 16 * j));
			/* digit: v - '0' <= 9; letter: (v | 0x20) - 'a' <= 5 (unsigned) */
			__m128i d = _mm_sub_epi8(v, zero);
			__m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
			__m128i l = _mm_sub_epi8(_mm_or_si128(v, lower), a);
			__m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);
			if (_mm_movemask_epi8(_mm_or_si128(is_d, is_l)) != 0xffff)
				return false;
			__m128i val = _mm_or_si128(_mm_and_si128(is_d, d),
						   _mm_and_si128(is_l, _mm_add_epi8(l, ten)));
			/* each 16-bit lane holds (high nibble, low nibble) */
			half[j] = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(val, low_byte), 4),
					       _mm_srli_epi16(val, 8));
		}
		_mm_storeu_si128((__m128i *)(void *)(h + 16 * k), _mm_packus_epi16(half[0], half[1]));
	}
	return true;
#else
	/* Hex digit values plus one; 0 for the other bytes. */
	static const uint8_t hexv1[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
		['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
		['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
		['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	};
	for (int i = 0; i < 32; i++) {
		int hi = hexv1[x[2 * i]] - 1, lo = hexv1[x[2 * i + 1]] - 1;
		if (hi < 0 || lo < 0)
			return false;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
#endif
}

static bool is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool ps_at_import_slow(const struct ps *p)
{
	int c0 = ps_peek(p, 0), c1 = ps_peek(p, 1);
	if (c0 == '/')
		return true; /* the caller has ruled out the // and /\ operators */
	if (c0 == '.' && c1 == '/')
		return true;
	if (c0 == '.' && c1 == '.' && ps_peek(p, 2) == '/')
		return true;
	if (c0 == '~' && c1 == '/')
		return true;
	if (ps_at(p, "https://", 8) || ps_at(p, "http://", 7))
		return true;
	if (ps_at(p, "env:", 4))
		return true;
	return ps_at_kw(p, "missing");
}

/* path: 1*("/" component) at the cursor; pushes the components. */
static bool path(struct ps *p, size_t lbase)
{
	(void)lbase;
	if (ps_peek(p, 0) != '/')
		return ps_fail(p, "expected '/' to start a path"), false;
	while (ps_peek(p, 0) == '/') {
		p->pos++;
		struct dhall_str comp;
		if (ps_peek(p, 0) == '"') {
			size_t start = ++p->pos;
			while (p->pos < p->len) {
				int c = (unsigned char)p->src[p->pos];
				/* quoted-path-character: %x20-21 / %x23-2E / %x30-7F / non-ASCII */
				if (c == '"' || c == '/' || c < 0x20)
					break;
				p->pos++;
			}
			if (ps_peek(p, 0) != '"')
				return ps_fail(p, "expected '\"' to close the quoted path component"),
				       false;
			if (p->pos == start)
				return ps_fail(p, "empty quoted path component"), false;
			comp.s = p->src + start;
			comp.len = p->pos - start;
			p->pos++;
		} else {
			size_t start = p->pos;
			while (p->pos < p->len && dhall_is_path_char((unsigned char)p->src[p->pos]))
				p->pos++;
			if (p->pos == start)
				return ps_fail(p, "empty path component"), false;
			comp.s = p->src + start;
			comp.len = p->pos - start;
		}
		if (ps_push_label(p, &comp))
			return false;
	}
	return true;
}

/* URL after "http(s)://": authority, path-abempty, query. */
static bool url(struct ps *p, struct dhall_import *im)
{
	size_t start = p->pos;
	while (p->pos < p->len) {
		int c = (unsigned char)p->src[p->pos];
		if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '[' ||
		    c == ']') {
			p->pos++;
		} else if (c == '%' && is_hex(ps_peek(p, 1)) && is_hex(ps_peek(p, 2))) {
			p->pos += 3;
		} else {
			break;
		}
	}
	if (p->pos == start)
		return ps_fail(p, "expected a host name after '//'"), false;
	im->authority.s = p->src + start;
	im->authority.len = p->pos - start;
	size_t lbase = p->labels.n;
	while (ps_peek(p, 0) == '/') {
		size_t s = ++p->pos;
		while (p->pos < p->len) {
			int c = (unsigned char)p->src[p->pos];
			if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@')
				p->pos++;
			else if (c == '%' && is_hex(ps_peek(p, 1)) && is_hex(ps_peek(p, 2)))
				p->pos += 3;
			else
				break;
		}
		struct dhall_str comp = {p->src + s, p->pos - s};
		if (ps_push_label(p, &comp))
			return false;
	}
	if (p->labels.n == lbase) { /* no path: it is "/" */
		struct dhall_str empty = {"", 0};
		if (ps_push_label(p, &empty))
			return false;
	}
	if (ps_peek(p, 0) == '?') {
		size_t s = ++p->pos;
		while (p->pos < p->len) {
			int c = (unsigned char)p->src[p->pos];
			if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/' ||
			    c == '?')
				p->pos++;
			else if (c == '%' && is_hex(ps_peek(p, 1)) && is_hex(ps_peek(p, 2)))
				p->pos += 3;
			else
				break;
		}
		im->has_query = 1;
		im->query.s = p->src + s;
		im->query.len = p->pos - s;
	}
	im->npath = p->labels.n - lbase;
	im->path = ps_take(p, &p->labels, lbase);
	return im->path != NULL;
}

static bool env_var(struct ps *p, struct dhall_import *im)
{
	p->pos += 4; /* env: */
	if (ps_peek(p, 0) != '"') {
		size_t s = p->pos;
		int c = ps_peek(p, 0);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
			return ps_fail(p, "expected an environment variable name"), false;
		while (is_alnum(ps_peek(p, 0)) || ps_peek(p, 0) == '_')
			p->pos++;
		im->env.s = p->src + s;
		im->env.len = p->pos - s;
		return true;
	}
	size_t start = p->pos++;
	size_t bbase = p->bytes.n;
	for (;;) {
		int c = ps_peek(p, 0);
		char out;
		if (c == '"')
			break;
		if (c == '\\') {
			switch (ps_peek(p, 1)) {
			case '"': out = '"'; break;
			case '\\': out = '\\'; break;
			case 'a': out = '\a'; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'v': out = '\v'; break;
			default:
				return ps_fail(p, "unknown escape in an environment variable name"),
				       false;
			}
			p->pos += 2;
		} else if (c >= 0x20 && c <= 0x7e && c != '=') {
			out = (char)c;
			p->pos++;
		} else {
			return ps_fail_at(p, start, "malformed quoted environment variable name"),
			       false;
		}
		if (ps_push(p, &p->bytes, &out))
			return false;
	}
	p->pos++;
	size_t n = p->bytes.n - bbase;
	if (!n)
		return ps_fail_at(p, start, "empty environment variable name"), false;
	char *s = dhall_arena_strdup(p->arena, (char *)p->bytes.v + bbase, n);
	p->bytes.n = bbase;
	if (!s)
		return ps_nomem(p), false;
	im->env.s = s;
	im->env.len = n;
	return true;
}

struct dhall_expr *ps_import(struct ps *p)
{
	size_t pos = p->pos;
	struct dhall_expr *e = ps_node(p, DHALL_IMPORT, pos);
	struct dhall_import *im = dhall_arena_alloc(p->arena, sizeof *im);
	if (!e || !im)
		return ps_nomem(p);
	e->u.import = im;
	if (ps_at(p, "https://", 8) || ps_at(p, "http://", 7)) {
		im->type = ps_at(p, "https://", 8) ? DHALL_IMPORT_HTTPS : DHALL_IMPORT_HTTP;
		p->pos += im->type == DHALL_IMPORT_HTTPS ? 8 : 7;
		if (!url(p, im))
			return NULL;
		/* [ whsp1 using whsp1 import-expression ] */
		size_t save = p->pos;
		long w = ps_ws(p);
		if (w < 0)
			return NULL;
		if (w > 0 && ps_at_kw(p, "using")) {
			p->pos += 5;
			if (!ps_ws1(p))
				return NULL;
			p->depth++;
			im->headers = ps_import_expression(p);
			p->depth--;
			if (!im->headers)
				return NULL;
		} else {
			p->pos = save;
		}
	} else if (ps_at(p, "env:", 4)) {
		im->type = DHALL_IMPORT_ENV;
		if (!env_var(p, im))
			return NULL;
	} else if (ps_at_kw(p, "missing")) {
		im->type = DHALL_IMPORT_MISSING;
		p->pos += 7;
	} else {
		if (ps_peek(p, 0) == '/') {
			im->type = DHALL_IMPORT_ABSOLUTE;
		} else if (ps_peek(p, 0) == '~') {
			im->type = DHALL_IMPORT_HOME;
			p->pos++;
		} else if (ps_peek(p, 1) == '.') {
			im->type = DHALL_IMPORT_PARENT;
			p->pos += 2;
		} else {
			im->type = DHALL_IMPORT_HERE;
			p->pos++;
		}
		size_t lbase = p->labels.n;
		if (!path(p, lbase))
			return NULL;
		im->npath = p->labels.n - lbase;
		if (!(im->path = ps_take(p, &p->labels, lbase)))
			return NULL;
	}
	/* [ whsp1 sha256:HEX ] */
	size_t save = p->pos;
	long w = ps_ws(p);
	if (w < 0)
		return NULL;
	if (w > 0 && ps_at(p, "sha256:", 7)) {
		p->pos += 7;
		uint8_t *h = dhall_arena_alloc_uninit(p->arena, 32);
		if (!h)
			return ps_nomem(p);
		if (p->len - p->pos < 64)
			return ps_fail(p, "a sha256 hash needs 64 hex digits");
		if (!hex32((const unsigned char *)p->src + p->pos, h))
			return ps_fail(p, "a sha256 hash needs 64 hex digits");
		if (is_hex(ps_peek(p, 64)) || ps_is_label_next(ps_peek(p, 64)))
			return ps_fail(p, "a sha256 hash needs exactly 64 hex digits");
		im->hash = h;
		p->pos += 64;
		save = p->pos;
		if ((w = ps_ws(p)) < 0)
			return NULL;
	}
	/* [ whsp1 as whsp1 (Text / Location / Bytes) ] */
	if (w > 0 && ps_at_kw(p, "as")) {
		size_t as_pos = p->pos;
		p->pos += 2;
		long w2 = ps_ws(p);
		if (w2 < 0)
			return NULL;
		if (w2 > 0 && ps_at_kw(p, "Text")) {
			im->mode = DHALL_AS_TEXT;
			p->pos += 4;
		} else if (w2 > 0 && ps_at_kw(p, "Location")) {
			im->mode = DHALL_AS_LOCATION;
			p->pos += 8;
		} else if (w2 > 0 && ps_at_kw(p, "Bytes")) {
			im->mode = DHALL_AS_BYTES;
			p->pos += 5;
		} else {
			return ps_fail_at(p, as_pos, "expected Text, Location or Bytes after 'as'");
		}
	} else {
		p->pos = save;
	}
	return e;
}
