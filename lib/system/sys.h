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

struct sys_service {
	const char *name;
	struct sys_policy *policies;
	size_t npolicies;
	size_t pos;
};

/* A service the child uses: the session label it asks with ("" for
 * none) and where in its file system the endpoint appears. */
struct sys_use {
	const char *service, *label, *path;
	size_t pos;
};

enum sys_rom_kind { SYS_ROM_PATH, SYS_ROM_TEXT, SYS_ROM_DHALL };
struct sys_rom {
	const char *name; /* the file name under /rom */
	enum sys_rom_kind kind;
	const char *value; /* host path, literal text, or a .dhall file to render as CBOR */
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

struct sys_child {
	const char *name;
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
	size_t pos;
};

struct sys_system {
	const char *name;
	uint64_t ram, caps; /* the budget: the machine (or VM) the system gets */
	size_t ram_pos, caps_pos;
	struct sys_child *children;
	size_t nchildren;
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

#endif
