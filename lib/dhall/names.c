/*
 * names.c — spellings of builtins and operators, shared by the parser,
 * the binary encoding (builtins are encoded as their names) and printers.
 */
#include "dhall/dhall.h"

#include <string.h>

#include "banned.h"

static const char *const builtin_names[DHALL_B_COUNT] = {
	"Natural/build", "Natural/fold", "Natural/isZero", "Natural/even", "Natural/odd",
	"Natural/toInteger", "Natural/show", "Natural/subtract", "Integer/toDouble",
	"Integer/show", "Integer/negate", "Integer/clamp", "Double/show", "List/build",
	"List/fold", "List/length", "List/head", "List/last", "List/indexed", "List/reverse",
	"Text/show", "Text/replace", "Date/show", "Time/show", "TimeZone/show", "Bool",
	"Optional", "None", "Natural", "Integer", "Double", "Text", "Bytes", "List", "Date",
	"Time", "TimeZone", "Type", "Kind", "Sort",
};

static const char *const op_names[DHALL_OP_COUNT] = {
	"||", "&&", "==", "!=", "+", "*", "++", "#", "/\\", "//", "//\\\\", "?", "===", "::",
};

const char *dhall_builtin_name(unsigned b)
{
	return b < DHALL_B_COUNT ? builtin_names[b] : NULL;
}

int dhall_builtin_lookup(const char *s, size_t len)
{
	/* Builtins all start with an upper-case letter: a cheap first filter
	 * for the parser's hot path (most identifiers are variables). */
	if (len < 4 || len > 17 || s[0] < 'B' || s[0] > 'T')
		return -1;
	for (unsigned i = 0; i < DHALL_B_COUNT; i++)
		if (strlen(builtin_names[i]) == len && memcmp(builtin_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

const char *dhall_op_name(unsigned op)
{
	return op < DHALL_OP_COUNT ? op_names[op] : NULL;
}
