/*
 * sys_int.h — what the files of lib/system share: a small generic value
 * tree (the common form of Dhall values and JSON documents the model is
 * built from) and report helpers.
 */
#ifndef SIGIL_SYS_INT_H
#define SIGIL_SYS_INT_H

#include "system/sys.h"

#include <stdbool.h>

enum sval_kind { SV_NULL, SV_BOOL, SV_NAT, SV_TEXT, SV_LIST, SV_MAP, SV_TAG };

/* A value: SV_MAP has n keys/items, SV_LIST n items, SV_TAG a union
 * alternative `tag` with an optional payload (items[0] when n == 1). */
struct sval {
	enum sval_kind kind;
	size_t pos; /* byte offset in the source, SIZE_MAX when unknown */
	uint64_t nat;
	int b;
	const char *text; /* SV_TEXT; SV_TAG: the alternative's name */
	const char **keys;
	struct sval **items;
	size_t n;
};

/* Appends a finding; returns -1 (for `return sys_diag(...)`) or
 * DHALL_ENOMEM when even that fails. */
int sys_diag(struct sys_report *r, enum sys_severity sev, size_t pos, const char *hint,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Genode's server-side policy match (INIT.md §4.6) on a full label: no
 * present selector conflicts; a policy with no selector matches nothing
 * (route.c; the checker, the router and the Genode renderer share it). */
int sys_label_matches(const struct sys_label *l, const char *label);
/* The full label of a use: "client" or "client -> label" (route.c). */
void sys_full_label(const char *client, const char *label, char *out, size_t size);

/* A selector as text for messages: exact "a", prefix "b" (route.c). */
const char *sys_label_text(const struct sys_label *l, char *buf, size_t size);

/* Builds the model from a value tree (model.c). */
int sys_from_value(struct dhall_arena *a, const struct sval *v, struct sys_system *out,
		   struct sys_report *r);

#endif
