/*
 * sys.h — the system model: what a Sigil system description says (children,
 * their binaries, resources, provided services with their policies, used
 * services, ROM modules, state mounts, uplinks, restart policy), how it is
 * loaded (from a Dhall expression in normal form, or JSON), and the checker
 * that catches routing and quota mistakes before anything runs.
 *
 * Routing follows Sigil's rule: a route is written once, at the server. A
 * client only says which services it uses (and with which session label);
 * the server's policies say which client labels it serves. A use is routed
 * to the one server whose policy matches the client's full label
 * ("client" or "client -> label", Genode's separator); none or several is
 * an error found by sys_check.
 *
 * Everything of a system lives in the arena passed to the loader; strings
 * are NUL-terminated. Positions are byte offsets into the source the model
 * came from (sys_system.src), turned into file:line:col when reported.
 */
#ifndef SIGIL_SYS_H
#define SIGIL_SYS_H

#include "dhall/dhall.h"

#include <stddef.h>
#include <stdint.h>

/* Limits and the runtime's own overhead (what a child needs before its own
 * code runs: the kernel objects of a process, its ROM tmpfs, init's books). */
#define SYS_NAME_MAX 63          /* child names (Genode: String<64>) */
#define SYS_LABEL_MAX 160        /* full session labels (Genode: String<160>) */
#define SYS_CHILD_MIN_RAM (2u << 20) /* bytes */
#define SYS_CHILD_MIN_CAPS 16u   /* processes + file descriptors */
#define SYS_INIT_RAM (8u << 20)  /* what sigil-init keeps for itself */
#define SYS_INIT_CAPS 64u
#define SYS_MAX_DEPTH 8u         /* nested inits inside each other */
/* What a nested init keeps for itself out of its resources (at least
 * Genode's env overhead plus init's preserved quota: 568 KiB, 54 caps). */
#define SYS_NESTED_INIT_RAM (2u << 20)
#define SYS_NESTED_INIT_CAPS 64u

struct sys_kv {
	const char *key, *value;
};

/* A label selector: which full client labels a policy matches. Exactly
 * one of exact / prefix / suffix is usual; prefix and suffix together
 * narrow. No selector at all is refused: there are no wildcards. */
struct sys_label {
	const char *exact, *prefix, *suffix;
};

struct sys_policy {
	struct sys_label label;
	struct sys_kv *attrs; /* passed to the server with the session */
	size_t nattrs;
	size_t pos;
};

/* A service: provided by a child, or by the system's parent (the host
 * sigil-init runs on; sys_system.parent), whose `path` is then the host's
 * endpoint (a Unix socket) that sigil-init binds into the clients. */
struct sys_service {
	const char *name;
	struct sys_policy *policies;
	size_t npolicies;
	const char *path; /* parent services only; NULL when none */
	size_t pos;
};

/* A service the child uses: the session label it asks with ("" for
 * none) and where in its file system the endpoint appears. */
struct sys_use {
	const char *service, *label, *path;
	size_t pos;
};

enum sys_rom_kind { SYS_ROM_PATH, SYS_ROM_TEXT, SYS_ROM_DHALL, SYS_ROM_URN };
struct sys_rom {
	const char *name; /* the file name under /rom */
	enum sys_rom_kind kind;
	const char *value; /* host path, literal text, a .dhall file to render as CBOR, or
			    * (after sigil build) the urn:eris: of the content */
	size_t pos;
};

enum sys_mount_kind { SYS_MOUNT_STATE, SYS_MOUNT_TMPFS };
struct sys_mount {
	const char *target;  /* absolute path in the child */
	enum sys_mount_kind kind;
	const char *state;   /* SYS_MOUNT_STATE: directory on the state partition */
	uint64_t size;       /* SYS_MOUNT_TMPFS: bytes (counted against the child's RAM) */
	int writable;
	size_t pos;
};

struct sys_forward {
	uint64_t host, child; /* ports */
	const char *proto;    /* "tcp" or "udp" */
	size_t pos;
};

struct sys_uplink {
	int present;
	const char *address; /* CIDR, e.g. "10.0.2.15/24" */
	struct sys_forward *forwards;
	size_t nforwards;
	size_t pos;
};

enum sys_restart { SYS_RESTART_NEVER, SYS_RESTART_ON_FAILURE, SYS_RESTART_ALWAYS };

/* When a child counts as started: Simple, the process init starts is the
 * service; Forking, that process exits 0 once its daemon runs, and the
 * daemon (named by pid_file, else whatever remains in the child's PID
 * namespace) is the service from then on (systemd's Type=forking). */
enum sys_readiness { SYS_READY_SIMPLE, SYS_READY_FORKING, SYS_READY_NOTIFY };
/* Notify (systemd's Type=notify): the program gets NOTIFY_SOCKET and is
 * started once it sends READY=1 there (MAINPID= names the main process). */

/* A command run in the child's sandbox before (preStart) or after
 * (postStart) its program: argv[0] the program (a host path, after sigil
 * build /rom/PATH), argv0 what it sees as argv[0] (NULL: argv[0]); a
 * failure fails the start unless ignore_failure (systemd's '-'). */
struct sys_command {
	const char **argv;
	size_t nargv;
	const char *argv0;
	int ignore_failure;
	size_t pos;
};

/* A child. Nested inits: a child with `init` set is itself an init whose
 * children are the entries named "NAME -> CHILD" (Genode's label
 * notation), at any depth. Such a child runs no binary of its own; its
 * resources are the budget of its children. `name` is the full key as
 * written ("shell -> bash"), `base` its last part ("bash"), `parent` the
 * index of the enclosing init child (SIZE_MAX at the top), `depth` the
 * number of enclosing inits. */
struct sys_child {
	const char *name;
	const char *base;
	size_t parent;
	unsigned depth;
	int init;
	const char *binary;
	const char **args;
	size_t nargs;
	struct sys_kv *env;
	size_t nenv;
	uint64_t ram, caps;
	size_t ram_pos, caps_pos;
	struct sys_service *provides;
	size_t nprovides;
	struct sys_use *uses;
	size_t nuses;
	struct sys_rom *roms;
	size_t nroms;
	struct sys_mount *mounts;
	size_t nmounts;
	struct sys_uplink uplink;
	enum sys_restart restart;
	enum sys_readiness readiness;
	const char *pid_file; /* Forking: the daemon's PID file in the child, or NULL */
	int has_uid;          /* uid given: run as uid/gid `uid` (0 allowed); else init picks one */
	uint64_t uid;
	const char *argv0;    /* the program's argv[0], NULL: the closure's */
	const char *cwd;      /* working directory in the child, NULL: / */
	int has_restart_delay; /* restartDelay given: a fixed delay (ms) before each restart */
	uint64_t restart_delay;
	struct sys_command *pre_start, *post_start;
	size_t npre_start, npost_start;
	const char **seccomp;       /* calls of sys_seccomp_denied it may make after all */
	size_t nseccomp;
	const char **capabilities;  /* granted: kept in its bounding, ambient, effective sets */
	size_t ncapabilities;
	int has_syscalls;           /* syscalls given (Some): a strict allow-list, not the deny list */
	const char **syscalls;      /* then the only system calls it may make (may be empty) */
	size_t nsyscalls;
	size_t seccomp_pos, capabilities_pos, syscalls_pos;
	size_t pos;
};

struct sys_system {
	const char *name;
	uint64_t ram, caps; /* the budget: the machine (or VM) the system gets */
	size_t ram_pos, caps_pos;
	struct sys_child *children;
	size_t nchildren;
	/* services the system's parent provides, each with policies naming
	 * the clients by their full labels (as seen from the top) */
	struct sys_service *parent;
	size_t nparent;
	size_t pos;
	/* the source the positions point into */
	const char *file, *src;
	size_t srclen;
};

/* A finding of the loader or the checker. */
enum sys_severity { SYS_ERROR, SYS_WARNING };
struct sys_diag {
	enum sys_severity severity;
	size_t pos;       /* byte offset in the source; SIZE_MAX when none */
	char msg[512];    /* what is wrong */
	char hint[512];   /* which value to change ("" when none) */
};

/* Collects findings (malloc'd array). */
struct sys_report {
	struct sys_diag *d;
	size_t n, cap, errors, warnings;
};
void sys_report_free(struct sys_report *r);

/* Loads a system from a Dhall expression in normal form (records, lists,
 * Text, Natural, Bool, Optional, unions, toMap lists): the result of
 * evaluating a system file, or such a file itself. `src`/`file` are the
 * source the expression's positions refer to (may be NULL). Shape errors
 * (a missing field, a wrong type, an unknown field) go to `r`; returns 0,
 * -1 when the shape is wrong (see r), or DHALL_ENOMEM. */
int sys_load_dhall(struct dhall_arena *arena, const struct dhall_expr *e, const char *file,
		   const char *src, size_t srclen, struct sys_system *out, struct sys_report *r);

/* Loads a system from JSON text (the shape dhall-to-json gives the Dhall
 * form). Positions are those of the JSON text where jansson reports them
 * (parse errors); shape errors name the path (children.web.ram). */
int sys_load_json(struct dhall_arena *arena, const char *text, size_t len, const char *file,
		  struct sys_system *out, struct sys_report *r);

/* A Dhall file as the value it stands for: parsed (and, once the evaluator
 * is wired in, resolved, type-checked and normalized). Syntax errors become
 * findings. */
int sys_dhall_value(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		    struct dhall_expr **out, struct sys_report *r);

/* Loads data[0..len) by the form its file name says: .json, .cbor, or
 * Dhall (anything else; syntax errors become findings). */
int sys_load_any(struct dhall_arena *arena, const char *file, const char *data, size_t len,
		 struct sys_system *out, struct sys_report *r);

/* The system description (docs/system-format.md): canonical CBOR of the
 * model, appended to out. Returns 0, DHALL_ENOMEM, or DHALL_EBINARY when a
 * map would have duplicate keys. */
int sys_encode_cbor(struct dhall_arena *arena, const struct sys_system *s, struct dhall_buf *out);

/* Loads a system description (strict: canonical, definite lengths, no
 * tags or floats). Errors go to r; returns 0, -1 or DHALL_ENOMEM. */
int sys_load_cbor(struct dhall_arena *arena, const uint8_t *data, size_t len, const char *file,
		  struct sys_system *out, struct sys_report *r);

/* Runs every check (docs/system.md lists them) and appends the findings to
 * r. Returns the number of errors. */
size_t sys_check(const struct sys_system *s, struct sys_report *r);

/* Prints the findings as "file:line:col: error: msg" (+ "  hint: …") to
 * `out` (a FILE *), positions resolved against s->src. */
void sys_report_print(const struct sys_report *r, const struct sys_system *s, void *out);

/* Names a child may grant (lib/system/names.c). sys_seccomp_denied: the
 * system calls sigil-init's default seccomp filter denies (NULL-ended;
 * "clone" stands for clone with a CLONE_NEW* flag, "clone3" fails with
 * ENOSYS); a child's `seccomp` list may name only these. sys_cap_number:
 * the number of a capability named "CAP_NET_RAW" or "net_raw" (any case),
 * -1 when there is none. */
extern const char *const sys_seccomp_denied[];
int sys_seccomp_known(const char *name);
int sys_cap_number(const char *name);

/* ====================================================================
 * Routes (lib/system/route.c; for sigil-init). The checker's routing rule,
 * as data: for each use of each child, the one server it reaches.
 * ==================================================================== */

/* A use resolved: children[client].uses[use] reaches service `service`
 * (an index into children[server].provides) of children[server], chosen
 * by policy `policy` (the strongest match within that server: exact, then
 * the longest prefix, then the longest suffix). server is SIZE_MAX when no
 * server, or more than one, matches, or the client itself does (sys_check
 * reports those). */
struct sys_route {
	size_t client, use;
	size_t server, service, policy;
};
/* sys_route.server of a use routed to the system's parent; `service` is
 * then an index into sys_system.parent. */
#define SYS_PARENT (SIZE_MAX - 1)

/* A policy's selectors as text for messages: `exact "a", prefix "b"`
 * (route.c). Writes into buf (truncated to size) and returns it. */
const char *sys_label_text(const struct sys_label *l, char *buf, size_t size);

/* Every use of every child, in order (client, then use). *out is
 * malloc'd (the caller frees it; NULL with *n = 0 when there are no
 * uses). Returns 0, or DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int sys_routes(const struct sys_system *s,
						   struct sys_route **out, size_t *n);

/* ====================================================================
 * Genode init configs (issue 6): lib/system/genode_parse.c (XML → the
 * light model below, libxml2), genode_check.c (the checks of Genode's
 * init semantics, shared/genode/INIT.md §9), genode_import.c (a Genode
 * config → struct sys_system), genode.c (struct sys_system → a Genode
 * init <config>), dhall_out.c (struct sys_system → Dhall text) and
 * graph.c (→ Graphviz DOT).
 *
 * The Sigil model cannot hold what a Genode config says (client-side
 * route rules, first-match order, <parent/> targets, label rewriting,
 * aliases, forwarded services), so a Genode config is first read into
 * this separate, raw model: everything is kept as written, strings in
 * the arena, positions are byte offsets of the start of the node's line
 * in the XML text (so sys_report_print gives file:line).
 * ==================================================================== */

enum sys_gn_target_kind { SYS_GN_PARENT, SYS_GN_CHILD, SYS_GN_ANY_CHILD, SYS_GN_LOCAL };
struct sys_gn_target {
	enum sys_gn_target_kind kind;
	const char *name;  /* SYS_GN_CHILD: the child or alias named (NULL when missing) */
	const char *label; /* label rewrite, NULL when none */
	size_t pos;
};

/* Route-rule and policy selectors, NULL when absent. */
struct sys_gn_sel {
	const char *label, *prefix, *suffix, *last, *unscoped;
};

/* One rule of a <route> or <default-route>. */
struct sys_gn_rule {
	int any;             /* <any-service> */
	const char *service; /* <service name>; NULL for <any-service> */
	struct sys_gn_sel sel;
	struct sys_gn_target *targets;
	size_t ntargets;
	size_t pos;
};

/* A <policy>/<default-policy>: of a server's <config>, or of a forwarded
 * <service> (then `target` is its <child>). */
struct sys_gn_policy {
	struct sys_gn_sel sel;
	int is_default;
	struct sys_kv *attrs; /* every other attribute, in document order */
	size_t nattrs;
	struct sys_gn_target target;
	size_t pos;
};

struct sys_gn_named {
	const char *name;
	size_t pos;
};

struct sys_gn_config;
struct sys_gn_start {
	const char *name;   /* "" when the start node has none */
	const char *binary; /* <binary name>, else the start name */
	uint64_t ram, caps; /* configured (caps: caps=, else <default caps>) */
	int has_ram, has_caps, has_priority, has_affinity, ld;
	long priority;
	struct sys_gn_named *provides;
	size_t nprovides;
	int has_route;
	struct sys_gn_rule *route;
	size_t nroute;
	int has_config;
	struct sys_gn_policy *policies; /* of its <config> */
	size_t npolicies;
	struct sys_gn_config *sub; /* the config of a nested init, NULL when none */
	size_t pos, ram_pos, caps_pos, prio_pos, affinity_pos;
};

struct sys_gn_alias {
	const char *name, *child;
	size_t pos;
};

struct sys_gn_service {
	const char *name;
	struct sys_gn_policy *policies;
	size_t npolicies;
	size_t pos;
};

struct sys_gn_config {
	const char *step; /* test-init harness: the <init_config> version/number; else NULL */
	int has_parent_provides, has_default_route, has_preserve_ram, has_preserve_caps;
	int has_prio_levels, has_affinity_space;
	struct sys_gn_named *parent_provides;
	size_t nparent;
	struct sys_gn_rule *default_route;
	size_t ndefault_route;
	uint64_t default_caps, default_ram, preserve_ram, preserve_caps;
	long prio_levels;
	struct sys_gn_start *starts;
	size_t nstarts;
	struct sys_gn_alias *aliases;
	size_t naliases;
	struct sys_gn_service *services; /* init's forwarded <service>s */
	size_t nservices;
	struct sys_gn_named *unknown; /* top-level nodes init does not know */
	size_t nunknown;
	unsigned depth; /* 0 top level, 1 a nested init's config, ... */
	size_t pos, prio_pos;
};

/* A file: one init config, or the steps of a test-init script (a <config>
 * of <init_config> nodes, shared/genode/configs/07-*). */
struct sys_gn_file {
	struct sys_gn_config **configs;
	size_t nconfigs;
	int harness;
};

#define SYS_GN_MAX_INPUT (16u << 20) /* bytes of XML the parser accepts */
#define SYS_GN_MAX_NESTING 8u        /* nested init configs followed */

/* Parses the XML text of a Genode init config (libxml2; no network, no
 * DTD, no entities; at most SYS_GN_MAX_INPUT bytes). Syntax and shape
 * errors go to r with positions; returns 0, -1 (see r) or DHALL_ENOMEM.
 * Everything is allocated in `arena`. */
__attribute__((warn_unused_result)) int sys_genode_parse(struct dhall_arena *arena,
							 const char *text, size_t len,
							 struct sys_gn_file *out,
							 struct sys_report *r);

/* The checks of INIT.md §9 over every config of f (nested ones too);
 * appends findings to r and returns the number of errors. */
size_t sys_genode_check(const struct sys_gn_file *f, struct sys_report *r);

/* Builds a Sigil system named `name` from config c: each <start> a child
 * (binary, RAM, caps, provided services), each route that resolves to a
 * sibling (INIT.md §4.2) a use, each server's <policy> a policy of every
 * service it provides (plus an exact policy for each use none matches, so
 * that Sigil's policy routing reaches the same server). What the model
 * cannot hold (routes to the parent, label rewrites, default policies,
 * other <config> content) is listed in `notes` as warnings. Returns 0 or
 * DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int sys_genode_import(struct dhall_arena *arena,
							  const struct sys_gn_config *c,
							  const char *name, struct sys_system *out,
							  struct sys_report *notes);

enum sys_gn_dialect { SYS_GN_21_05, SYS_GN_CURRENT };

/* Renders s as a Genode init <config> (sorted, escaped). On success *out
 * is malloc'd text (the caller frees) and 0 is returned; -1 when s holds
 * something XML cannot carry (findings in r); DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int sys_genode_render(const struct sys_system *s,
							  enum sys_gn_dialect d, char **out,
							  size_t *len, struct sys_report *r);

/* Renders s as Dhall text in the shape of lib/system/model.c, with each
 * note of `notes` (may be NULL) as a leading comment. *out malloc'd.
 * Returns 0 or DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int sys_dhall_render(const struct sys_system *s,
							 const struct sys_report *notes, char **out,
							 size_t *len);

/* Renders s as a Graphviz digraph: a node per child (RAM, caps), an edge
 * client → server per use (service and label), uses no server takes in
 * red to a "?" node, policies that match no use as dashed red nodes.
 * *out malloc'd. Returns 0 or DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int sys_graph_dot(const struct sys_system *s, char **out,
						      size_t *len);

#endif
