/*
 * genode_int.h — what the Genode files of lib/system share (genode_*.c,
 * dhall_out.c, graph.c): a growable text buffer, the two label-matching
 * rules (Genode's route selectors, INIT.md §4.2, and Sigil's policy match,
 * INIT.md §4.6 as check.c applies it), and route resolution over the raw
 * Genode model of sys.h.
 */
#ifndef SIGIL_GENODE_INT_H
#define SIGIL_GENODE_INT_H

#include "sys_int.h"

/* Text built piece by piece (malloc'd). After an allocation failure `oom`
 * is set and further appends do nothing; gt_take checks it once. */
struct gtext {
	char *s;
	size_t len, cap;
	int oom;
};
void gt_put(struct gtext *t, const char *s, size_t n);
void gt_puts(struct gtext *t, const char *s);
void gt_printf(struct gtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text over (NUL-terminated): 0, or DHALL_ENOMEM (text freed). */
int gt_take(struct gtext *t, char **out, size_t *len);
void gt_free(struct gtext *t);

/* Appends s as XML attribute content (&amp; &lt; &quot;, tab and line
 * breaks as character references). Returns -1 (nothing appended) when s
 * holds a character XML 1.0 cannot carry (other C0 controls). */
int gt_xml(struct gtext *t, const char *s);

/* The part of a label after its last " -> " (the whole label when none). */
const char *gn_last_element(const char *label);

/* Genode's route-rule match (INIT.md §4.2) for a request with full label
 * `full` from child `client`: 1 when the rule's selectors accept it. */
int gn_rule_matches(const struct sys_gn_sel *sel, const char *client, const char *full);

/* Sigil's policy match (check.c): none of the present selectors conflicts
 * with the full label; no selector never matches. */
int gn_sigil_matches(const struct sys_label *l, const char *label);

/* The index of the start named `name` (aliases resolved), SIZE_MAX when none. */
size_t gn_find_start(const struct sys_gn_config *c, const char *name);

/* Whether start i announces service s. */
int gn_provides(const struct sys_gn_start *st, const char *s);

/* Whether s is listed in <parent-provides>. */
int gn_parent_provides(const struct sys_gn_config *c, const char *s);

/* The result of routing one request. */
enum gn_res_kind { GN_DENIED, GN_TO_PARENT, GN_TO_CHILD };
struct gn_res {
	enum gn_res_kind kind;
	size_t server;                      /* GN_TO_CHILD: start index */
	const struct sys_gn_rule *rule;     /* the rule that decided (NULL: none matched) */
	const struct sys_gn_target *target; /* the target taken (NULL when denied) */
	int ambiguous;                      /* an <any-child/> was skipped: several provide it */
};

/* The rules that apply to start i: its <route>, else <default-route>. */
const struct sys_gn_rule *gn_rules(const struct sys_gn_config *c, size_t i, size_t *n);

/* Routes a request for `service` with full label `full` from start i the
 * way init does (INIT.md §4.2, §4.3: first matching rule, its targets in
 * order, a matched <service> never falls through). */
void gn_resolve(const struct sys_gn_config *c, size_t i, const char *service, const char *full,
		struct gn_res *res);

#endif
