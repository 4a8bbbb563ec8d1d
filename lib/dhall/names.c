/*
 * names.c — spellings of builtins and operators, shared by the parser,
 * the binary encoding (builtins are encoded as their names) and printers.
 */
#include "dhall_int.h"

#include <string.h>

#include "banned.h"

#define B(s) {s, sizeof(s) - 1}
static const struct {
	const char *s;
	size_t len;
} builtin_names[DHALL_B_COUNT] = {
	B("Natural/build"),
	B("Natural/fold"),
	B("Natural/isZero"),
	B("Natural/even"),
	B("Natural/odd"),
	B("Natural/toInteger"),
	B("Natural/show"),
	B("Natural/subtract"),
	B("Integer/toDouble"),
	B("Integer/show"),
	B("Integer/negate"),
	B("Integer/clamp"),
	B("Double/show"),
	B("List/build"),
	B("List/fold"),
	B("List/length"),
	B("List/head"),
	B("List/last"),
	B("List/indexed"),
	B("List/reverse"),
	B("Text/show"),
	B("Text/replace"),
	B("Date/show"),
	B("Time/show"),
	B("TimeZone/show"),
	B("Bool"),
	B("Optional"),
	B("None"),
	B("Natural"),
	B("Integer"),
	B("Double"),
	B("Text"),
	B("Bytes"),
	B("List"),
	B("Date"),
	B("Time"),
	B("TimeZone"),
	B("Type"),
	B("Kind"),
	B("Sort"),
};
#undef B

static const char *const op_names[DHALL_OP_COUNT] = {
	"||", "&&", "==", "!=", "+", "*", "++", "#", "/\\", "//", "//\\\\", "?", "===", "::",
};

const char *dhall_builtin_name(unsigned b)
{
	return b < DHALL_B_COUNT ? builtin_names[b].s : NULL;
}

size_t dhall_builtin_name_len(unsigned b)
{
	return b < DHALL_B_COUNT ? builtin_names[b].len : 0;
}

/* A perfect hash of the builtin names: slot HASH(s, len) of builtin_hash
 * holds 1 + the builtin of that spelling, 0 for none (the parser looks up
 * every capitalised identifier). Generated for the list above: keep them
 * in step (a stale table makes builtins parse as variables, which the
 * standard's parser tests catch). */
#define HASH(s, len)                                                                             \
	(((unsigned char)(s)[1] * 2u + (unsigned char)(s)[(len) - 1] * 3u +                     \
	  (unsigned char)(s)[(len) - 2] * 56u + (unsigned)(len)) & 127u)
static const uint8_t builtin_hash[128] = {
	21,  0,  0,  0,  0,  0,  0,  0, 24,  0,  0,  0, 25,  3,  0,  0,
	 0, 12, 39,  0,  0, 10, 13,  0,  0, 37,  2,  1,  0,  0,  0,  0,
	 0, 28, 19,  0,  0, 38,  0, 15, 14,  0,  0,  0,  0, 22, 40,  0,
	 4,  0,  0, 31,  0, 20,  0,  0,  0,  0,  0,  9,  0,  0,  0, 17,
	 0,  6,  0,  0,  0, 29,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0, 30,  0,  0,  0, 35,  8,  0,  0,  5, 34,  0,  0, 36,  0, 18,
	 0,  0,  0,  0, 27,  0,  0,  0, 33,  0, 32,  0,  0,  0, 26,  0,
	 0,  0,  0,  0,  0, 16,  0,  0, 23, 11,  0,  7,  0,  0,  0,  0,
};

int dhall_builtin_lookup(const char *s, size_t len)
{
	/* Builtins all start with an upper-case letter: a cheap first filter
	 * for the parser's hot path (most identifiers are variables). */
	if (len < 4 || len > 17 || s[0] < 'B' || s[0] > 'T')
		return -1;
	unsigned i = builtin_hash[HASH(s, len)];
	if (!i-- || builtin_names[i].len != len || memcmp(builtin_names[i].s, s, len) != 0)
		return -1;
	return (int)i;
}

const char *dhall_op_name(unsigned op)
{
	return op < DHALL_OP_COUNT ? op_names[op] : NULL;
}
