/*
 * dhall_out.c — sys_dhall_render: a system as Dhall text, in the shape
 * model.c reads and examples/systems/hello.dhall shows (so `sigil check`
 * loads it back): a record literal with every value a literal, maps as
 * `toMap { … }` (keys quoted with backticks where Dhall needs it, or, when
 * a key cannot be a Dhall label or repeats, as a list of mapKey/mapValue
 * records), optional values as `Some x` / `None T`, and every field of
 * every child written, empty ones with their type (`[] : List T`), so the
 * text type-checks (toMap needs all children of one type) the way
 * hello.dhall does. The output is deterministic: it follows the model's
 * order, which sys_genode_import has already sorted.
 */
#include "genode_int.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static void text(struct gtext *t, const char *s)
{
	gt_puts(t, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '$')
			gt_printf(t, "\\%c", *p);
		else if (*p == '\n')
			gt_puts(t, "\\n");
		else if (*p == '\t')
			gt_puts(t, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			gt_printf(t, "\\u%04X", *p);
		else
			gt_put(t, (const char *)p, 1);
	}
	gt_puts(t, "\"");
}

static void opt_text(struct gtext *t, const char *s)
{
	if (s) {
		gt_puts(t, "Some ");
		text(t, s);
	} else {
		gt_puts(t, "None Text");
	}
}

/* 1 when s can be written as a backtick-quoted (or plain) Dhall label. */
static int quotable(const char *s)
{
	if (!*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '`')
			return 0;
	return 1;
}

static void label(struct gtext *t, const char *s)
{
	static const char *const kw[] = {"if",      "then", "else",  "let",    "in",     "as",
					 "using",   "merge", "missing", "forall", "with", "assert",
					 "toMap",   "showConstructor", NULL};
	int plain = (*s >= 'a' && *s <= 'z') || *s == '_';
	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			*p == '_' || *p == '-';
	for (int i = 0; kw[i] && plain; i++)
		plain = strcmp(s, kw[i]) != 0;
	if (plain)
		gt_puts(t, s);
	else
		gt_printf(t, "`%s`", s);
}

/* Whether keys (stride bytes apart, first at base) can go into toMap { }. */
static int map_ok(const char *const *keys, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = *(const char *const *)((const char *)keys + i * stride);
		if (!quotable(k))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(k, *(const char *const *)((const char *)keys + j * stride)) == 0)
				return 0;
	}
	return 1;
}

static void kv_map(struct gtext *t, const struct sys_kv *kv, size_t n)
{
	if (n == 0) {
		gt_puts(t, "[] : List { mapKey : Text, mapValue : Text }");
		return;
	}
	int m = map_ok(&kv[0].key, n, sizeof *kv);
	gt_puts(t, m ? "toMap { " : "[ ");
	for (size_t i = 0; i < n; i++) {
		gt_puts(t, i ? ", " : "");
		if (m) {
			label(t, kv[i].key);
			gt_puts(t, " = ");
			text(t, kv[i].value);
		} else {
			gt_puts(t, "{ mapKey = ");
			text(t, kv[i].key);
			gt_puts(t, ", mapValue = ");
			text(t, kv[i].value);
			gt_puts(t, " }");
		}
	}
	gt_puts(t, m ? " }" : " ]");
}

static void policy(struct gtext *t, const struct sys_policy *p, const char *ind)
{
	gt_printf(t, "{ label = { exact = ");
	opt_text(t, p->label.exact);
	gt_puts(t, ", prefix = ");
	opt_text(t, p->label.prefix);
	gt_puts(t, ", suffix = ");
	opt_text(t, p->label.suffix);
	gt_printf(t, " }\n%s, attributes = ", ind);
	kv_map(t, p->attrs, p->nattrs);
	gt_printf(t, "\n%s}", ind);
}

#define T_KV "{ mapKey : Text, mapValue : Text }"
#define T_POL                                                                                      \
	"{ label : { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }, "       \
	"attributes : List " T_KV " }"
#define T_SVC "{ name : Text, policies : List " T_POL " }"
#define T_USE "{ service : Text, label : Text, path : Optional Text }"
#define T_ROM "{ name : Text, path : Optional Text, text : Optional Text, dhall : Optional Text%s }"
#define T_MOUNT "{ target : Text, state : Optional Text, tmpfs : Optional Natural, writable : Bool }"
#define T_UPLINK "{ address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }"
#define T_RESTART "< Never | OnFailure | Always >"

/* A child: every field written, empty ones with their type, so that all
 * children have one type (toMap and the type checker need that). `urn`:
 * some ROM of the system is a urn (after sigil build): every ROM record
 * then has that field too; likewise `init` when some child is a nested
 * init (`nested`). */
static void child(struct gtext *t, const struct sys_child *c, int urn, int nested)
{
	static const char *const I = "      ";
	const char *urn_t = urn ? ", urn : Optional Text" : "";
	gt_printf(t, "{ binary = ");
	text(t, c->binary ? c->binary : "");
	if (nested)
		gt_printf(t, "\n%s, init = %s", I, c->init ? "True" : "False");
	gt_printf(t, "\n%s, args = ", I);
	if (!c->nargs)
		gt_puts(t, "[] : List Text");
	for (size_t i = 0; i < c->nargs; i++) {
		gt_puts(t, i ? ", " : "[ ");
		text(t, c->args[i]);
	}
	gt_puts(t, c->nargs ? " ]" : "");
	gt_printf(t, "\n%s, env = ", I);
	kv_map(t, c->env, c->nenv);
	gt_printf(t, "\n%s, resources = { ram = %llu, caps = %llu }", I, (unsigned long long)c->ram,
		  (unsigned long long)c->caps);
	gt_printf(t, "\n%s, provides =", I);
	if (!c->nprovides)
		gt_puts(t, " [] : List " T_SVC);
	for (size_t j = 0; j < c->nprovides; j++) {
		const struct sys_service *sv = &c->provides[j];
		gt_printf(t, "\n%s  %s ", I, j ? "," : "[");
		gt_puts(t, "{ name = ");
		text(t, sv->name);
		if (sv->npolicies == 0) {
			gt_puts(t, ", policies = [] : List " T_POL " }");
			continue;
		}
		gt_printf(t, "\n%s    , policies =", I);
		for (size_t p = 0; p < sv->npolicies; p++) {
			gt_printf(t, "\n%s      %s ", I, p ? "," : "[");
			policy(t, &sv->policies[p], "              ");
		}
		gt_printf(t, "\n%s      ]\n%s    }", I, I);
	}
	if (c->nprovides)
		gt_printf(t, "\n%s  ]", I);
	gt_printf(t, "\n%s, uses =", I);
	if (!c->nuses)
		gt_puts(t, " [] : List " T_USE);
	for (size_t u = 0; u < c->nuses; u++) {
		gt_printf(t, "\n%s  %s ", I, u ? "," : "[");
		gt_puts(t, "{ service = ");
		text(t, c->uses[u].service);
		gt_puts(t, ", label = ");
		text(t, c->uses[u].label ? c->uses[u].label : "");
		gt_puts(t, ", path = ");
		opt_text(t, c->uses[u].path);
		gt_puts(t, " }");
	}
	if (c->nuses)
		gt_printf(t, "\n%s  ]", I);
	gt_printf(t, "\n%s, roms =", I);
	if (!c->nroms)
		gt_printf(t, " [] : List " T_ROM, urn_t);
	for (size_t i = 0; i < c->nroms; i++) {
		const struct sys_rom *r = &c->roms[i];
		gt_printf(t, "\n%s  %s ", I, i ? "," : "[");
		gt_puts(t, "{ name = ");
		text(t, r->name);
		gt_puts(t, ", path = ");
		opt_text(t, r->kind == SYS_ROM_PATH ? r->value : NULL);
		gt_puts(t, ", text = ");
		opt_text(t, r->kind == SYS_ROM_TEXT ? r->value : NULL);
		gt_puts(t, ", dhall = ");
		opt_text(t, r->kind == SYS_ROM_DHALL ? r->value : NULL);
		if (urn) {
			gt_puts(t, ", urn = ");
			opt_text(t, r->kind == SYS_ROM_URN ? r->value : NULL);
		}
		gt_puts(t, " }");
	}
	if (c->nroms)
		gt_printf(t, "\n%s  ]", I);
	gt_printf(t, "\n%s, mounts =", I);
	if (!c->nmounts)
		gt_puts(t, " [] : List " T_MOUNT);
	for (size_t i = 0; i < c->nmounts; i++) {
		const struct sys_mount *m = &c->mounts[i];
		gt_printf(t, "\n%s  %s ", I, i ? "," : "[");
		gt_puts(t, "{ target = ");
		text(t, m->target);
		gt_puts(t, ", state = ");
		opt_text(t, m->kind == SYS_MOUNT_STATE ? m->state : NULL);
		if (m->kind == SYS_MOUNT_TMPFS)
			gt_printf(t, ", tmpfs = Some %llu", (unsigned long long)m->size);
		else
			gt_puts(t, ", tmpfs = None Natural");
		gt_printf(t, ", writable = %s }", m->writable ? "True" : "False");
	}
	if (c->nmounts)
		gt_printf(t, "\n%s  ]", I);
	if (c->uplink.present) {
		gt_printf(t, "\n%s, uplink = Some { address = ", I);
		text(t, c->uplink.address ? c->uplink.address : "");
		gt_puts(t, ", forwards = ");
		if (!c->uplink.nforwards)
			gt_puts(t, "[] : List { host : Natural, child : Natural, proto : Text }");
		for (size_t i = 0; i < c->uplink.nforwards; i++) {
			const struct sys_forward *f = &c->uplink.forwards[i];
			gt_printf(t, "%s{ host = %llu, child = %llu, proto = ", i ? ", " : "[ ",
				  (unsigned long long)f->host, (unsigned long long)f->child);
			text(t, f->proto);
			gt_puts(t, " }");
		}
		gt_puts(t, c->uplink.nforwards ? " ] }" : " }");
	} else {
		gt_printf(t, "\n%s, uplink = None " T_UPLINK, I);
	}
	gt_printf(t, "\n%s, restart = " T_RESTART ".%s", I,
		  c->restart == SYS_RESTART_NEVER ? "Never" : c->restart == SYS_RESTART_ALWAYS ? "Always" : "OnFailure");
	gt_printf(t, "\n%s}", I);
}

int sys_dhall_render(const struct sys_system *s, const struct sys_report *notes, char **out, size_t *len)
{
	struct gtext t = {0};
	for (size_t i = 0; notes && i < notes->n; i++) {
		gt_puts(&t, "-- note: ");
		for (const char *p = notes->d[i].msg; *p; p++)
			gt_put(&t, (*p == '\n' || *p == '\r') ? " " : p, 1);
		gt_puts(&t, "\n");
	}
	gt_puts(&t, "{ name = ");
	text(&t, s->name ? s->name : "");
	gt_printf(&t, "\n, ram = %llu\n, caps = %llu\n, children =", (unsigned long long)s->ram,
		  (unsigned long long)s->caps);
	int urn = 0, nested = 0;
	for (size_t i = 0; i < s->nchildren; i++) {
		nested |= s->children[i].init;
		for (size_t k = 0; k < s->children[i].nroms; k++)
			urn |= s->children[i].roms[k].kind == SYS_ROM_URN;
	}
	if (s->nchildren == 0) {
		gt_printf(&t, " [] : List { mapKey : Text, mapValue : { binary : Text, args : List Text, env : "
			      "List " T_KV ", resources : { ram : Natural, caps : Natural }, provides : List " T_SVC
			      ", uses : List " T_USE ", roms : List " T_ROM ", mounts : List " T_MOUNT
			      ", uplink : Optional " T_UPLINK ", restart : " T_RESTART " } }\n}\n", "");
		return gt_take(&t, out, len);
	}
	int m = map_ok(&s->children[0].name, s->nchildren, sizeof *s->children);
	gt_puts(&t, m ? " toMap\n    { " : "\n    [ ");
	for (size_t i = 0; i < s->nchildren; i++) {
		if (i)
			gt_puts(&t, "\n    , ");
		if (m) {
			label(&t, s->children[i].name);
			gt_puts(&t, " =\n      ");
		} else {
			gt_puts(&t, "{ mapKey = ");
			text(&t, s->children[i].name);
			gt_puts(&t, "\n      , mapValue =\n      ");
		}
		child(&t, &s->children[i], urn, nested);
		if (!m)
			gt_puts(&t, "\n      }");
	}
	gt_puts(&t, m ? "\n    }" : "\n    ]");
	for (size_t j = 0; j < s->nparent; j++) { /* the parent's services, when there are some */
		const struct sys_service *sv = &s->parent[j];
		gt_puts(&t, j ? "\n    , " : "\n, parent =\n    [ ");
		gt_puts(&t, "{ name = ");
		text(&t, sv->name);
		gt_puts(&t, "\n      , path = ");
		opt_text(&t, sv->path);
		if (sv->npolicies == 0)
			gt_puts(&t, "\n      , policies = [] : List " T_POL);
		for (size_t p = 0; p < sv->npolicies; p++) {
			gt_puts(&t, p ? "\n        , " : "\n      , policies =\n        [ ");
			policy(&t, &sv->policies[p], "          ");
		}
		gt_puts(&t, sv->npolicies ? "\n        ]\n      }" : "\n      }");
	}
	gt_puts(&t, s->nparent ? "\n    ]\n}\n" : "\n}\n");
	return gt_take(&t, out, len);
}
