/*
 * names.c — spellings of builtins and operators, shared by the parser,
 * the binary encoding (builtins are encoded as their names) and printers.
 */
#include "dhall/dhall.h"

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

int dhall_builtin_lookup(const char *s, size_t len)
{
	/* Builtins all start with an upper-case letter: a cheap first filter
	 * for the parser's hot path (most identifiers are variables). */
	if (len < 4 || len > 17 || s[0] < 'B' || s[0] > 'T')
		return -1;
	/* from the end: the types (Bool, Natural, Text, List, Type, …),
	 * which source mentions most, are last */
	for (unsigned i = DHALL_B_COUNT; i-- > 0;)
		if (builtin_names[i].len == len && builtin_names[i].s[0] == s[0] &&
		    memcmp(builtin_names[i].s, s, len) == 0)
			return (int)i;
	return -1;
}

const char *dhall_op_name(unsigned op)
{
	return op < DHALL_OP_COUNT ? op_names[op] : NULL;
}
