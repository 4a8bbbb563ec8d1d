/*
 * lit.c — literals: Natural/Integer/Double, Date/Time/TimeZone, Text (both
 * quoting styles, with interpolation and multi-line indentation stripping as
 * standard/multiline.md defines it) and Bytes.
 *
 * Text without escapes points into the source; text with escapes, and every
 * multi-line literal, is rebuilt in p->bytes (a stack shared by nested
 * literals: offsets, never pointers, since it may move) and copied to the
 * arena.
 */
#include "parse_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "banned.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---------------------------------------------------------------- numbers */

/* num = num * base + digit, growing into big-endian bytes past 64 bits.
 * big is a scratch array of `cap` bytes holding the value right-aligned. */
struct bignum {
	uint8_t b[512];
	size_t used; /* significant bytes at the end of b */
	bool big;
	uint64_t small;
};

static bool bn_muladd(struct bignum *n, unsigned base, unsigned digit)
{
	if (!n->big) {
		if (n->small <= (UINT64_MAX - digit) / base) {
			n->small = n->small * base + digit;
			return true;
		}
		n->big = true;
		n->used = 8;
		for (int i = 0; i < 8; i++)
			n->b[sizeof n->b - 1 - i] = (uint8_t)(n->small >> (8 * i));
	}
	unsigned carry = digit;
	size_t i;
	for (i = 0; i < n->used; i++) {
		size_t k = sizeof n->b - 1 - i;
		unsigned v = n->b[k] * base + carry;
		n->b[k] = (uint8_t)v;
		carry = v >> 8;
	}
	while (carry) {
		if (n->used == sizeof n->b)
			return false;
		n->b[sizeof n->b - 1 - n->used++] = (uint8_t)carry;
		carry >>= 8;
	}
	return true;
}

static bool bn_store(struct ps *p, const struct bignum *n, struct dhall_num *out)
{
	if (!n->big) {
		out->small = n->small;
		return true;
	}
	size_t skip = sizeof n->b - n->used;
	while (skip < sizeof n->b && n->b[skip] == 0)
		skip++;
	uint8_t *d = dhall_arena_alloc(p->arena, sizeof n->b - skip);
	if (!d)
		return ps_nomem(p), false;
	memcpy(d, n->b + skip, sizeof n->b - skip);
	out->big = d;
	out->big_len = sizeof n->b - skip;
	return true;
}

/* natural-literal at the cursor into *out; false (error set) if malformed. */
static bool natural(struct ps *p, struct dhall_num *out)
{
	struct bignum n = {.used = 0};
	size_t start = p->pos;
	unsigned base = 10;
	if (ps_peek(p, 0) == '0' && ps_peek(p, 1) == 'x') {
		base = 16;
		p->pos += 2;
	} else if (ps_peek(p, 0) == '0' && ps_peek(p, 1) == 'b') {
		base = 2;
		p->pos += 2;
	}
	size_t digits = 0;
	for (;;) {
		int c = ps_peek(p, 0), v;
		if (base == 16)
			v = hexval(c);
		else if (base == 2)
			v = c == '0' || c == '1' ? c - '0' : -1;
		else
			v = ps_is_digit(c) ? c - '0' : -1;
		if (v < 0)
			break;
		if (base == 10 && digits == 1 && p->src[start] == '0')
			break; /* "0" alone: a leading zero ends the literal */
		if (!bn_muladd(&n, base, (unsigned)v)) {
			ps_fail_at(p, start, "number literal too large");
			return false;
		}
		digits++;
		p->pos++;
	}
	if (!digits) {
		ps_fail_at(p, start, "expected digits");
		return false;
	}
	return bn_store(p, &n, out);
}

/* Reads exactly `n` decimal digits as a number; -1 if they are not there. */
static int digits_n(const struct ps *p, size_t at, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		int c = at + i < p->len ? (unsigned char)p->src[at + i] : -1;
		if (!ps_is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* full-date at pos (length 10), validated. */
static bool date_at(struct ps *p, size_t at, struct dhall_date *d)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = digits_n(p, at, 4), m = digits_n(p, at + 5, 2), day = digits_n(p, at + 8, 2);
	if (m < 1 || m > 12) {
		ps_fail_at(p, at + 5, "month %02d is out of range", m);
		return false;
	}
	if (day < 1 || day > mdays[m - 1] || (m == 2 && day == 29 && !is_leap(y))) {
		ps_fail_at(p, at + 8, "day %02d is out of range for %04d-%02d", day, y, m);
		return false;
	}
	d->year = (uint16_t)y;
	d->month = (uint8_t)m;
	d->day = (uint8_t)day;
	return true;
}

static bool looks_date(const struct ps *p, size_t at)
{
	return digits_n(p, at, 4) >= 0 && at + 4 < p->len && p->src[at + 4] == '-' &&
	       digits_n(p, at + 5, 2) >= 0 && at + 7 < p->len && p->src[at + 7] == '-' &&
	       digits_n(p, at + 8, 2) >= 0;
}

static bool looks_time(const struct ps *p, size_t at)
{
	return digits_n(p, at, 2) >= 0 && at + 2 < p->len && p->src[at + 2] == ':' &&
	       digits_n(p, at + 3, 2) >= 0 && at + 5 < p->len && p->src[at + 5] == ':' &&
	       digits_n(p, at + 6, 2) >= 0;
}

static bool looks_offset(const struct ps *p, size_t at)
{
	return at < p->len && (p->src[at] == '+' || p->src[at] == '-') &&
	       digits_n(p, at + 1, 2) >= 0 && at + 3 < p->len && p->src[at + 3] == ':' &&
	       digits_n(p, at + 4, 2) >= 0;
}

/* partial-time at the cursor. */
static bool time_lit(struct ps *p, struct dhall_time *t)
{
	size_t at = p->pos;
	int h = digits_n(p, at, 2), m = digits_n(p, at + 3, 2), s = digits_n(p, at + 6, 2);
	if (h > 23) {
		ps_fail_at(p, at, "hour %02d is out of range", h);
		return false;
	}
	if (m > 59) {
		ps_fail_at(p, at + 3, "minute %02d is out of range", m);
		return false;
	}
	if (s > 59) {
		ps_fail_at(p, at + 6, "second %02d is out of range", s);
		return false;
	}
	t->hour = (uint8_t)h;
	t->minute = (uint8_t)m;
	p->pos += 8;
	struct bignum n = {.small = (uint64_t)s};
	uint32_t exp = 0;
	if (ps_peek(p, 0) == '.' && ps_is_digit(ps_peek(p, 1))) {
		p->pos++;
		while (ps_is_digit(ps_peek(p, 0))) {
			if (!bn_muladd(&n, 10, (unsigned)(ps_peek(p, 0) - '0')) || exp == 100000) {
				ps_fail(p, "too many digits in the seconds");
				return false;
			}
			exp++;
			p->pos++;
		}
	}
	t->sec_exp = exp;
	return bn_store(p, &n, &t->sec_mantissa);
}

static bool offset_lit(struct ps *p, struct dhall_tz *tz)
{
	size_t at = p->pos;
	int h = digits_n(p, at + 1, 2), m = digits_n(p, at + 4, 2);
	if (h > 23) {
		ps_fail_at(p, at + 1, "hour %02d is out of range", h);
		return false;
	}
	if (m > 59) {
		ps_fail_at(p, at + 4, "minute %02d is out of range", m);
		return false;
	}
	tz->negative = p->src[at] == '-';
	tz->hour = (uint8_t)h;
	tz->minute = (uint8_t)m;
	p->pos += 6;
	return true;
}

/* A record literal of date/time/timeZone parts (absent parts NULL). */
static struct dhall_expr *temporal_record(struct ps *p, size_t pos, struct dhall_expr *d,
					  struct dhall_expr *t, struct dhall_expr *z)
{
	struct dhall_expr *r = ps_node(p, DHALL_RECORD, pos);
	if (!r)
		return NULL;
	r->labels = dhall_arena_alloc(p->arena, 3 * sizeof *r->labels);
	r->items = dhall_arena_alloc(p->arena, 3 * sizeof *r->items);
	if (!r->labels || !r->items)
		return ps_nomem(p);
	static const char *const names[3] = {"date", "time", "timeZone"};
	struct dhall_expr *parts[3] = {d, t, z};
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		r->labels[r->n].s = names[i];
		r->labels[r->n].len = strlen(names[i]);
		r->items[r->n++] = parts[i];
	}
	return r;
}

static struct dhall_expr *temporal(struct ps *p)
{
	size_t pos = p->pos;
	struct dhall_expr *d = NULL, *t = NULL, *z = NULL;
	if (looks_date(p, pos)) {
		d = ps_node(p, DHALL_DATE, pos);
		if (!d || !date_at(p, pos, &d->u.date))
			return NULL;
		p->pos += 10;
		int c = ps_peek(p, 0);
		if ((c == 'T' || c == 't') && looks_time(p, p->pos + 1)) {
			p->pos++;
		} else {
			return d;
		}
	}
	if (looks_time(p, p->pos)) {
		t = ps_node(p, DHALL_TIME, p->pos);
		if (!t || !(t->u.time = dhall_arena_alloc(p->arena, sizeof *t->u.time)))
			return ps_nomem(p);
		if (!time_lit(p, t->u.time))
			return NULL;
		int c = ps_peek(p, 0);
		if (c == 'Z' || c == 'z') {
			z = ps_node(p, DHALL_TIMEZONE, p->pos);
			if (!z)
				return NULL;
			p->pos++;
		} else if (looks_offset(p, p->pos)) {
			z = ps_node(p, DHALL_TIMEZONE, p->pos);
			if (!z || !offset_lit(p, &z->u.tz))
				return NULL;
		}
		if (!d && !z)
			return t;
		return temporal_record(p, pos, d, t, z);
	}
	if (!d && looks_offset(p, pos)) {
		z = ps_node(p, DHALL_TIMEZONE, pos);
		if (!z || !offset_lit(p, &z->u.tz))
			return NULL;
		return z;
	}
	return NULL; /* not a temporal literal */
}

/* numeric-double-literal: checks the shape at the cursor; returns its length
 * or 0 when it is not a double. */
static size_t double_len(const struct ps *p)
{
	size_t i = p->pos, n = p->len;
	const char *s = p->src;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	size_t d0 = i;
	while (i < n && ps_is_digit((unsigned char)s[i]))
		i++;
	if (i == d0)
		return 0;
	bool frac = false, exp = false;
	if (i + 1 < n && s[i] == '.' && ps_is_digit((unsigned char)s[i + 1])) {
		frac = true;
		i++;
		while (i < n && ps_is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && ps_is_digit((unsigned char)s[j])) {
			exp = true;
			while (j < n && ps_is_digit((unsigned char)s[j]))
				j++;
			i = j;
		}
	}
	return frac || exp ? i - p->pos : 0;
}

bool ps_plain_double(const char *q, size_t len, double *out)
{
	/* [+-]digits.digits, at most 15 digits and no exponent: mantissa and
	 * 10^k are exact doubles, so one division is correctly rounded, as
	 * strtod would be */
	static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	const char *end = q + len;
	bool neg = len && *q == '-';
	q += len && (*q == '-' || *q == '+');
	uint64_t m = 0;
	int nd = 0, frac = -1;
	for (; q < end && nd <= 15; q++) {
		if (*q == '.') {
			frac = 0;
			continue;
		}
		if (!ps_is_digit((unsigned char)*q))
			break;
		m = m * 10 + (uint64_t)(*q - '0');
		nd++;
		frac += frac >= 0;
	}
	if (q != end || nd > 15 || frac <= 0 || frac > 22)
		return false;
	double d = (double)m / pow10[frac];
	*out = neg ? -d : d;
	return true;
}

struct dhall_expr *ps_number(struct ps *p)
{
	size_t pos = p->pos;
	int c = ps_peek(p, 0);
	if (ps_is_digit(c)) {
		/* fast path: a plain decimal natural of up to 19 digits that is
		 * not the start of a double, a date/time or 0x/0b */
		size_t i = pos, end = p->len;
		uint64_t v = 0;
		while (i < end && i - pos < 20 && ps_is_digit((unsigned char)p->src[i]))
			v = v * 10 + (uint64_t)(p->src[i++] - '0');
		int next = i < end ? (unsigned char)p->src[i] : -1;
		size_t nd = i - pos;
		if (nd <= 19 && (nd == 1 || c != '0') && next != '.' && next != 'e' && next != 'E' &&
		    next != '-' && next != ':' && next != 'x' && next != 'b' && !ps_is_digit(next)) {
			struct dhall_expr *e = ps_node(p, DHALL_NATURAL, pos);
			if (!e)
				return NULL;
			e->u.num.small = v;
			p->pos = i;
			return e;
		}
		/* digits then '.' or an exponent: not a date (DDDD-) nor a
		 * time (DD:), so straight to the double */
		if (next == '.' || next == 'e' || next == 'E')
			goto dbl;
	}
	if (ps_is_digit(c) || c == '+' || c == '-') {
		struct dhall_expr *t = temporal(p);
		if (t || p->rc)
			return t;
	}
dbl:;
	size_t dl = double_len(p);
	if (dl) {
		double d;
		if (ps_plain_double(p->src + pos, dl, &d)) {
			struct dhall_expr *e = ps_node(p, DHALL_DOUBLE, pos);
			if (!e)
				return NULL;
			e->u.dbl = d;
			p->pos += dl;
			return e;
		}
		char tmp[128], *buf = tmp;
		if (dl >= sizeof tmp && !(buf = malloc(dl + 1)))
			return ps_nomem(p);
		memcpy(buf, p->src + pos, dl);
		buf[dl] = 0;
		errno = 0;
		d = strtod(buf, NULL);
		int range = errno == ERANGE && isinf(d);
		if (buf != tmp)
			free(buf);
		if (range)
			return ps_fail_at(p, pos, "double literal out of range");
		struct dhall_expr *e = ps_node(p, DHALL_DOUBLE, pos);
		if (!e)
			return NULL;
		e->u.dbl = d;
		p->pos += dl;
		return e;
	}
	if (c == '+' || c == '-') {
		if (!ps_is_digit(ps_peek(p, 1)))
			return NULL;
		struct dhall_expr *e = ps_node(p, DHALL_INTEGER, pos);
		if (!e)
			return NULL;
		e->op = c == '-';
		p->pos++;
		if (!natural(p, &e->u.num))
			return NULL;
		return e;
	}
	if (!ps_is_digit(c))
		return NULL;
	struct dhall_expr *e = ps_node(p, DHALL_NATURAL, pos);
	if (!e || !natural(p, &e->u.num))
		return NULL;
	return e;
}

/* ---------------------------------------------------------------- text */

static bool put_byte(struct ps *p, char c)
{
	return ps_push(p, &p->bytes, &c) == 0;
}

static bool put_utf8(struct ps *p, uint32_t cp)
{
	char b[4];
	int n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (int i = 0; i < n; i++)
		if (!put_byte(p, b[i]))
			return false;
	return true;
}

/* \u escape after "\u": XXXX or {X…}; appends the character. */
static bool unicode_escape(struct ps *p)
{
	size_t start = p->pos - 2;
	uint32_t cp = 0;
	if (ps_peek(p, 0) == '{') {
		p->pos++;
		size_t nd = 0;
		int v;
		while ((v = hexval(ps_peek(p, 0))) >= 0) {
			if (cp > 0x10ffff)
				break;
			cp = cp * 16 + (uint32_t)v;
			nd++;
			p->pos++;
		}
		if (!nd || ps_peek(p, 0) != '}') {
			ps_fail_at(p, start, "malformed \\u{…} escape");
			return false;
		}
		p->pos++;
	} else {
		for (int i = 0; i < 4; i++) {
			int v = hexval(ps_peek(p, 0));
			if (v < 0) {
				ps_fail_at(p, start, "a \\u escape needs four hex digits");
				return false;
			}
			cp = cp * 16 + (uint32_t)v;
			p->pos++;
		}
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp & 0xfffe) == 0xfffe) {
		ps_fail_at(p, start, "\\u escape of U+%04X: not a valid character", (unsigned)cp);
		return false;
	}
	return put_utf8(p, cp);
}

/* Finishes a text node from segment offsets in p->bytes and the pushed
 * interpolations; pops both stacks. */
struct seg {
	size_t off, len;
};

static struct dhall_expr *text_node(struct ps *p, size_t pos, struct seg *segs, size_t nseg,
				    size_t ebase, size_t bbase)
{
	struct dhall_expr *e = ps_node(p, DHALL_TEXT, pos);
	if (!e)
		return NULL;
	e->n = nseg - 1;
	e->labels = dhall_arena_alloc(p->arena, nseg * sizeof *e->labels);
	if (!e->labels)
		return ps_nomem(p);
	for (size_t i = 0; i < nseg; i++) {
		const char *from = segs[i].len ? (char *)p->bytes.v + segs[i].off : "";
		char *s = dhall_arena_strdup(p->arena, from, segs[i].len);
		if (!s)
			return ps_nomem(p);
		e->labels[i].s = s;
		e->labels[i].len = segs[i].len;
	}
	if (e->n && !(e->items = ps_take(p, &p->exprs, ebase)))
		return NULL;
	p->bytes.n = bbase;
	return e;
}

/* Pushes a segment record (kept in p->labels as {off,len} pairs cast). */
static bool push_seg(struct ps *p, size_t off, size_t len)
{
	struct dhall_str s = {(const char *)(uintptr_t)off, len};
	return ps_push_label(p, &s) == 0;
}

/* The segments pushed since lbase, as a malloc'd array (popped). */
static struct seg *take_segs(struct ps *p, size_t lbase, size_t *nseg)
{
	size_t n = p->labels.n - lbase;
	struct seg *segs = malloc(n * sizeof *segs);
	if (!segs)
		return ps_nomem(p);
	for (size_t k = 0; k < n; k++) {
		struct dhall_str *s = (struct dhall_str *)p->labels.v + lbase + k;
		segs[k].off = (size_t)(uintptr_t)s->s;
		segs[k].len = s->len;
	}
	p->labels.n = lbase;
	*nseg = n;
	return segs;
}

static struct dhall_expr *interpolation(struct ps *p)
{
	/* at "${" */
	p->pos += 2;
	if (ps_ws(p) < 0)
		return NULL;
	p->depth++;
	struct dhall_expr *e = ps_expression(p);
	p->depth--;
	if (!e || ps_ws(p) < 0)
		return NULL;
	if (ps_peek(p, 0) != '}')
		return ps_fail(p, "expected '}' to close the interpolation");
	p->pos++;
	return e;
}

static struct dhall_expr *double_quoted(struct ps *p)
{
	size_t pos = p->pos, ebase = p->exprs.n, bbase = p->bytes.n, lbase = p->labels.n;
	p->pos++;
	/* fast path: no escapes, no interpolation */
	size_t i = ps_text_stop(p->src, p->len, p->pos);
	if (i < p->len && p->src[i] == '"') {
		struct dhall_expr *e = ps_node(p, DHALL_TEXT, pos);
		if (!e)
			return NULL;
		ps_one_label(e, p->src + p->pos, i - p->pos);
		p->pos = i + 1;
		return e;
	}
	size_t seg_start = p->bytes.n;
	for (;;) {
		int c = ps_peek(p, 0);
		if (c < 0)
			return ps_fail_at(p, pos, "unterminated text literal");
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c == '\n' || c == '\r' || c == '\t')
			return ps_fail(p, "a line break or tab in a \"…\" text literal must be "
					  "escaped (\\n, \\t) or use ''…'' text");
		if (c == '$' && ps_peek(p, 1) == '{') {
			if (!push_seg(p, seg_start, p->bytes.n - seg_start))
				return NULL;
			struct dhall_expr *x = interpolation(p);
			if (!x || ps_push_expr(p, x))
				return NULL;
			seg_start = p->bytes.n;
			continue;
		}
		if (c == '\\') {
			int d = ps_peek(p, 1);
			char out;
			p->pos += 2;
			switch (d) {
			case '"': out = '"'; break;
			case '$': out = '$'; break;
			case '\\': out = '\\'; break;
			case '/': out = '/'; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'u':
				if (!unicode_escape(p))
					return NULL;
				continue;
			default:
				return ps_fail_at(p, p->pos - 2, "unknown escape sequence");
			}
			if (!put_byte(p, out))
				return NULL;
			continue;
		}
		if (!put_byte(p, (char)c))
			return NULL;
		p->pos++;
	}
	if (!push_seg(p, seg_start, p->bytes.n - seg_start))
		return NULL;
	size_t nseg;
	struct seg *segs = take_segs(p, lbase, &nseg);
	if (!segs)
		return NULL;
	struct dhall_expr *e = text_node(p, pos, segs, nseg, ebase, bbase);
	free(segs);
	return e;
}

/* Multi-line literal: collect segments (escapes resolved, CRLF → LF), then
 * strip the common indentation. */
static struct dhall_expr *single_quoted(struct ps *p)
{
	size_t pos = p->pos, ebase = p->exprs.n, bbase = p->bytes.n, lbase = p->labels.n;
	struct dhall_expr *res = NULL;
	struct seg *segs = NULL;
	p->pos += 2;
	if (ps_peek(p, 0) == '\n')
		p->pos++;
	else if (ps_peek(p, 0) == '\r' && ps_peek(p, 1) == '\n')
		p->pos += 2;
	else
		return ps_fail(p, "a ''-quoted text literal must start with a line break after ''");
	size_t seg_start = p->bytes.n;
	for (;;) {
		int c = ps_peek(p, 0);
		if (c < 0)
			return ps_fail_at(p, pos, "unterminated ''-quoted text literal");
		if (c == '\'' && ps_peek(p, 1) == '\'') {
			if (ps_peek(p, 2) == '\'') {
				if (!put_byte(p, '\'') || !put_byte(p, '\''))
					return NULL;
				p->pos += 3;
				continue;
			}
			if (ps_peek(p, 2) == '$' && ps_peek(p, 3) == '{') {
				if (!put_byte(p, '$') || !put_byte(p, '{'))
					return NULL;
				p->pos += 4;
				continue;
			}
			p->pos += 2;
			break;
		}
		if (c == '$' && ps_peek(p, 1) == '{') {
			if (!push_seg(p, seg_start, p->bytes.n - seg_start))
				return NULL;
			struct dhall_expr *x = interpolation(p);
			if (!x || ps_push_expr(p, x))
				return NULL;
			seg_start = p->bytes.n;
			continue;
		}
		if (c == '\r') { /* always \r\n (checked up front) */
			p->pos++;
			continue;
		}
		if (!put_byte(p, (char)c))
			return NULL;
		p->pos++;
	}
	if (!push_seg(p, seg_start, p->bytes.n - seg_start))
		return NULL;
	size_t nseg;
	if (!(segs = take_segs(p, lbase, &nseg)))
		return NULL;

	/* The indentation: the longest common prefix of spaces/tabs over the
	 * lines that are not empty, and always the last line. A line starts at
	 * the beginning of segment 0 and after every '\n'. */
	const char *base = p->bytes.v ? p->bytes.v : "";
	const char *pre = NULL;
	size_t prelen = 0;
	for (size_t k = 0; k < nseg; k++) {
		const char *s = base + segs[k].off;
		size_t n = segs[k].len;
		for (size_t i = 0; i <= n; i++) {
			if (!(i == 0 ? k == 0 : s[i - 1] == '\n'))
				continue;
			size_t j = i;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			bool last = (k == nseg - 1) && memchr(s + i, '\n', n - i) == NULL;
			bool empty = j == i && i < n && s[i] == '\n';
			if (empty && !last)
				continue;
			/* an empty last line (the closing '' right after a newline)
			 * has a prefix of length 0 */
			size_t len = j - i;
			if (!pre) {
				pre = s + i;
				prelen = len;
			} else {
				size_t m = 0;
				while (m < prelen && m < len && pre[m] == s[i + m])
					m++;
				prelen = m;
			}
		}
	}
	/* Strip prelen bytes at every non-empty line start (in place: the
	 * write index never passes the read index). */
	for (size_t k = 0; k < nseg; k++) {
		size_t off = segs[k].off, end = off + segs[k].len, i = off, w = off;
		char *s = (char *)p->bytes.v;
		bool at_start = k == 0;
		while (i < end) {
			if (at_start && s[i] != '\n') {
				i += prelen < end - i ? prelen : end - i;
				at_start = false;
				continue;
			}
			char c = s[i++];
			s[w++] = c;
			at_start = c == '\n';
		}
		segs[k].len = w - off;
	}
	res = text_node(p, pos, segs, nseg, ebase, bbase);
	free(segs);
	return res;
}

struct dhall_expr *ps_text(struct ps *p)
{
	if (ps_peek(p, 0) == '"')
		return double_quoted(p);
	if (ps_peek(p, 0) == '\'' && ps_peek(p, 1) == '\'')
		return single_quoted(p);
	return NULL;
}

struct dhall_expr *ps_bytes(struct ps *p)
{
	size_t pos = p->pos;
	if (!(ps_peek(p, 0) == '0' && ps_peek(p, 1) == 'x' && ps_peek(p, 2) == '"'))
		return NULL;
	p->pos += 3;
	size_t start = p->pos;
	while (hexval(ps_peek(p, 0)) >= 0)
		p->pos++;
	if (ps_peek(p, 0) != '"')
		return ps_fail(p, "a bytes literal holds hex digits only");
	size_t nd = p->pos - start;
	if (nd % 2)
		return ps_fail_at(p, pos, "a bytes literal needs an even number of hex digits");
	struct dhall_expr *e = ps_node(p, DHALL_BYTES, pos);
	uint8_t *b = dhall_arena_alloc(p->arena, nd / 2 + 1);
	if (!e || !b)
		return ps_nomem(p);
	for (size_t i = 0; i < nd / 2; i++)
		b[i] = (uint8_t)(hexval(p->src[start + 2 * i]) << 4 | hexval(p->src[start + 2 * i + 1]));
	e->label.s = (const char *)b;
	e->label.len = nd / 2;
	p->pos++;
	return e;
}
