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

/* The label of use u of child `client` as child `server` sees it: the
 * client's path below the innermost init holding both, then " -> " and
 * the use's label when it has one (route.c). */
void sys_use_label(const struct sys_system *s, size_t client, const struct sys_use *u,
		   size_t server, char *out, size_t size);

/* Who provides what, sorted by service name (route.c). */
struct sys_provider {
	const char *service;
	size_t child, svc; /* children[child].provides[svc], or SYS_PARENT and parent[svc] */
};
struct sys_providers {
	struct sys_provider *ix;
	size_t n;
};
/* Builds the index of s's providers (0 or DHALL_ENOMEM); _free releases it. */
int sys_providers_init(const struct sys_system *s, struct sys_providers *p);
void sys_providers_free(struct sys_providers *p);

/* The servers whose policy for u's service matches the label of use u of
 * child `client` (as each server sees it), in the index's order, each with
 * its strongest matching policy: the first `max` are written to m (use =
 * SIZE_MAX), the count of all is returned. *nproviders (may be NULL) gets
 * the number of children providing the service at all. */
size_t sys_match_use(const struct sys_system *s, const struct sys_providers *p, size_t client,
		     const struct sys_use *u, struct sys_route *m, size_t max, size_t *nproviders);



/* Nested inits (model.c): "a -> b" is child b of the init child "a".
 * Sets base, parent and depth of every child of s; an enclosing entry that
 * is missing or not an init is an error in r. Returns 0 or -1. Every
 * builder of a struct sys_system calls it once the children are there. */
int sys_nesting(struct sys_system *s, struct sys_report *r);

/* Reads JSON text into a value tree in the arena, every value with its
 * byte offset (json.c). Errors (one finding at the offending byte) go to
 * r; returns 0, -1 or DHALL_ENOMEM. */
int sys_json_value(struct dhall_arena *a, const char *text, size_t len, struct sval **out,
		   struct sys_report *r);

/* sys_load_dhall for an evaluated system: `written` is the file's own
 * parsed tree, whose record fields give the value's nodes their positions
 * back (srcpos.c). */
int sys_load_dhall_src(struct dhall_arena *arena, const struct dhall_expr *e,
		       const struct dhall_expr *written, const char *file, const char *src,
		       size_t srclen, struct sys_system *out, struct sys_report *r);
/* Positions for an evaluated value tree from the file's parsed tree:
 * 0 or DHALL_ENOMEM (srcpos.c). */
int sys_srcpos(struct sval *v, const struct dhall_expr *written);

/* Builds the model from a value tree (model.c). */
int sys_from_value(struct dhall_arena *a, const struct sval *v, struct sys_system *out,
		   struct sys_report *r);

#endif
