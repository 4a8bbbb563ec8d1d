/*
 * dhall.h — the Dhall interpreter's public interface: the expression tree
 * (AST), the arena it lives in, the parser, and the binary (CBOR) encoding.
 *
 * The AST follows the standard's syntax (standard/syntax.md) after the
 * parser's desugaring: dotted record fields are nested records, duplicate
 * record fields are combined with `∧`, punned fields `{ x }` are `{ x = x }`,
 * `a.{ x }` is a projection, and `f a b` is one application with two
 * arguments (as the binary encoding flattens it). Variables keep their name
 * and de Bruijn index (`x@1`): the index counts the enclosing binders of the
 * same name, exactly as in the standard.
 *
 * Every node and every string of a tree is allocated from one arena and freed
 * with it. Strings (struct dhall_str) are UTF-8, not NUL-terminated, and may
 * point into the parsed source; the source must then outlive the tree.
 */
#ifndef SIGIL_DHALL_H
#define SIGIL_DHALL_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- arena */

/* A bump allocator of chunks; freed all at once. */
struct dhall_arena {
	struct dhall_chunk *head; /* newest chunk */
	size_t used;              /* bytes handed out, over all chunks */
	/* a chunk given back by a release to a mark, kept for the next chunk
	 * the arena needs (arena.c); NULL: none */
	struct dhall_chunk *spare;
};

void dhall_arena_init(struct dhall_arena *a);
/* Returns zeroed memory aligned to 8, or NULL when out of memory. */
void *dhall_arena_alloc(struct dhall_arena *a, size_t size);
/* Copies len bytes (and adds a NUL after them); NULL when out of memory. */
char *dhall_arena_strdup(struct dhall_arena *a, const char *s, size_t len);
void dhall_arena_free(struct dhall_arena *a);

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1): returns its length, 1 to
 * 4, with the code point in *cp; 0 when it is not valid UTF-8 (overlong,
 * a surrogate, past U+10FFFF, cut short). */
size_t dhall_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* ---------------------------------------------------------------- errors */

/* Details of a failure: where (file:line:col, 1-based; line 0 when there is
 * no source position, e.g. when decoding CBOR) and what. */
struct dhall_err {
	char file[256];
	unsigned line, col;
	size_t offset;       /* byte offset of the error in the input */
	char msg[256];
	char context[256];   /* the offending source line (may be cut) */
};

enum {
	DHALL_OK = 0,
	DHALL_ESYNTAX = -1, /* the text is not Dhall */
	DHALL_EBINARY = -2, /* the bytes are not a Dhall binary encoding */
	DHALL_ENOMEM = -3,
	DHALL_ELIMIT = -4,  /* nesting deeper than DHALL_MAX_DEPTH */
};

/* The deepest nesting the parser, encoder and decoder accept. Deeper input
 * is refused with DHALL_ELIMIT, never a stack overflow. */
#define DHALL_MAX_DEPTH 100000

/* Public entry points that walk a tree (parse, encode, decode, JSON, format)
 * run on a thread of their own with a large, lazily committed stack, so that
 * DHALL_MAX_DEPTH levels fit whatever the caller's stack. */

/* Prints "file:line:col: error: msg", the source line and a caret under the
 * column (or "file: error: msg" without a position) to `out` (a FILE *). */
void dhall_err_print(const struct dhall_err *err, void *out);

/* Fills err's file, line, col, offset and context for byte `offset` of
 * src[0..len) (for other modules that report positions in Dhall sources). */
void dhall_err_locate_public(struct dhall_err *err, const char *name, const char *src,
			     size_t len, size_t offset);

/* ---------------------------------------------------------------- AST */

struct dhall_str {
	const char *s;
	size_t len;
};

/* A natural number (or an integer's magnitude): `small` when it fits in 64
 * bits (big == NULL), else `big`: the big-endian bytes of the value, without
 * leading zero bytes, big_len of them (which shares storage with small: a
 * number is one or the other, and 16 bytes keep the node small). */
struct dhall_num {
	union {
		uint64_t small;
		size_t big_len;
	};
	const uint8_t *big;
};

enum dhall_kind {
	DHALL_VAR,         /* name@index: label, index */
	DHALL_BUILTIN,     /* op = enum dhall_builtin (incl. Type, Kind, Sort) */
	DHALL_BOOL,        /* op = 0 (False) or 1 (True) */
	DHALL_NATURAL,     /* u.num */
	DHALL_INTEGER,     /* u.num, op = 1 when negative (magnitude in num) */
	DHALL_DOUBLE,      /* u.dbl */
	DHALL_TEXT,        /* n interpolations: labels[0..n] (n+1 strings), items[0..n-1] */
	DHALL_BYTES,       /* the raw bytes in label.s[0..label.len) */
	DHALL_DATE,        /* u.date */
	DHALL_TIME,        /* u.time (allocated with the node: rare) */
	DHALL_TIMEZONE,    /* u.tz */
	DHALL_LAMBDA,      /* λ(label : a) → b (op, c: evaluator marks, see eval_int.h) */
	DHALL_PI,          /* ∀(label : a) → b ("_" for a plain arrow a → b) */
	DHALL_APP,         /* a applied to items[0..n-1], n >= 1 */
	DHALL_LET,         /* let label : c = a in b; c may be NULL */
	DHALL_ANNOT,       /* a : b */
	DHALL_IF,          /* if a then b else c */
	DHALL_OP,          /* a OP b, op = enum dhall_op */
	DHALL_LIST,        /* [ items[0..n-1] ], n >= 1; or n == 0: `[] : a`, a = the annotation */
	DHALL_SOME,        /* Some a */
	DHALL_RECORD_TYPE, /* { labels[i] : items[i] }, n fields in source order */
	DHALL_RECORD,      /* { labels[i] = items[i] }, n fields in source order */
	DHALL_UNION,       /* < labels[i] : items[i] | … >, items[i] NULL for no payload */
	DHALL_FIELD,       /* a.label */
	DHALL_PROJECT,     /* a.{ labels[0..n-1] } */
	DHALL_PROJECT_TYPE,/* a.(b) */
	DHALL_MERGE,       /* merge a b : c; c may be NULL */
	DHALL_TOMAP,       /* toMap a : c; c may be NULL */
	DHALL_SHOWCONS,    /* showConstructor a */
	DHALL_WITH,        /* a with labels[0..n-1] = b; a label "?" (with_opt bit i set) is the `?` component */
	DHALL_ASSERT,      /* assert : a */
	DHALL_IMPORT,      /* u.import */
	DHALL_KIND_COUNT
};

enum dhall_op { /* the binary encoding's operator numbers */
	DHALL_OP_OR = 0,       /* || */
	DHALL_OP_AND = 1,      /* && */
	DHALL_OP_EQ = 2,       /* == */
	DHALL_OP_NE = 3,       /* != */
	DHALL_OP_PLUS = 4,     /* + */
	DHALL_OP_TIMES = 5,    /* * */
	DHALL_OP_TEXT_APPEND = 6, /* ++ */
	DHALL_OP_LIST_APPEND = 7, /* # */
	DHALL_OP_COMBINE = 8,  /* ∧ */
	DHALL_OP_PREFER = 9,   /* ⫽ */
	DHALL_OP_COMBINE_TYPES = 10, /* ⩓ */
	DHALL_OP_ALT = 11,     /* ? (import alternative) */
	DHALL_OP_EQUIV = 12,   /* ≡ */
	DHALL_OP_COMPLETE = 13,/* :: */
	DHALL_OP_COUNT
};

/* Builtins in the order of dhall_builtin_name(). */
enum dhall_builtin {
	DHALL_B_NATURAL_BUILD, DHALL_B_NATURAL_FOLD, DHALL_B_NATURAL_ISZERO, DHALL_B_NATURAL_EVEN,
	DHALL_B_NATURAL_ODD, DHALL_B_NATURAL_TOINTEGER, DHALL_B_NATURAL_SHOW,
	DHALL_B_NATURAL_SUBTRACT, DHALL_B_INTEGER_TODOUBLE, DHALL_B_INTEGER_SHOW,
	DHALL_B_INTEGER_NEGATE, DHALL_B_INTEGER_CLAMP, DHALL_B_DOUBLE_SHOW, DHALL_B_LIST_BUILD,
	DHALL_B_LIST_FOLD, DHALL_B_LIST_LENGTH, DHALL_B_LIST_HEAD, DHALL_B_LIST_LAST,
	DHALL_B_LIST_INDEXED, DHALL_B_LIST_REVERSE, DHALL_B_TEXT_SHOW, DHALL_B_TEXT_REPLACE,
	DHALL_B_DATE_SHOW, DHALL_B_TIME_SHOW, DHALL_B_TIMEZONE_SHOW,
	DHALL_B_BOOL, DHALL_B_OPTIONAL, DHALL_B_NONE, DHALL_B_NATURAL, DHALL_B_INTEGER,
	DHALL_B_DOUBLE, DHALL_B_TEXT, DHALL_B_BYTES, DHALL_B_LIST, DHALL_B_DATE, DHALL_B_TIME,
	DHALL_B_TIMEZONE, DHALL_B_TYPE, DHALL_B_KIND, DHALL_B_SORT,
	DHALL_B_COUNT
};

/* The builtin's spelling ("Natural/fold"); NULL when out of range. */
const char *dhall_builtin_name(unsigned b);
/* The builtin spelled by s[0..len), or -1. True/False are not builtins here. */
int dhall_builtin_lookup(const char *s, size_t len);
/* The operator's ASCII spelling ("//\\" for ⩓, "?" …). */
const char *dhall_op_name(unsigned op);

enum dhall_import_mode { DHALL_AS_CODE = 0, DHALL_AS_TEXT = 1, DHALL_AS_LOCATION = 2, DHALL_AS_BYTES = 3 };
enum dhall_import_type { /* the binary encoding's scheme numbers */
	DHALL_IMPORT_HTTP = 0, DHALL_IMPORT_HTTPS = 1, DHALL_IMPORT_ABSOLUTE = 2,
	DHALL_IMPORT_HERE = 3, DHALL_IMPORT_PARENT = 4, DHALL_IMPORT_HOME = 5,
	DHALL_IMPORT_ENV = 6, DHALL_IMPORT_MISSING = 7
};

struct dhall_import {
	uint8_t mode;               /* enum dhall_import_mode */
	uint8_t type;               /* enum dhall_import_type */
	const uint8_t *hash;        /* the 32 bytes of sha256:…, or NULL */
	struct dhall_expr *headers; /* `using` expression (URLs only), or NULL */
	struct dhall_str authority; /* URLs: "user@host:port" as written */
	struct dhall_str *path;     /* path components, decoded; the last is the file */
	size_t npath;
	struct dhall_str query;     /* URLs: text after "?" */
	int has_query;
	struct dhall_str env;       /* env: variable name, unescaped */
};

struct dhall_date { uint16_t year; uint8_t month, day; };
struct dhall_time {
	/* seconds = sec_mantissa * 10^-sec_exp: "07.50" is mantissa 750, exp 2 */
	struct dhall_num sec_mantissa;
	uint32_t sec_exp;
	uint8_t hour, minute;
};
struct dhall_tz { uint8_t negative, hour, minute; };

/* Which fields a kind uses is listed at enum dhall_kind; fields that no
 * kind uses together share storage (anonymous unions), which keeps a node
 * at 64 bytes: large inputs are mostly nodes, and fresh memory costs the
 * kernel's zeroing of its pages as well as our stores.
 *
 * One item or label: items[] and labels[] may point into the node itself.
 * The parser keeps the only item of an APP-less kind with items (a list,
 * record, record type or union of one) in b (items == &e->b), and the only
 * label of a one-field record, record type or union, or the one chunk of a
 * plain text, in label (labels == &e->label): those kinds use neither
 * field otherwise. Nested data is mostly such nodes; the arrays of one
 * were a fifth of its memory. Code reads items[] and labels[] as always,
 * and must not take b or label of these kinds for anything else (nor
 * assume an items[] array outlives its node). */
struct dhall_expr {
	uint8_t kind;              /* enum dhall_kind */
	uint8_t op;                /* builtin, operator, Bool value, Integer sign */
	uint32_t pos;              /* byte offset in the source (0 when decoded) */
	union {
		size_t n;          /* number of items/labels (see the kinds) */
		uint64_t index;    /* DHALL_VAR: the de Bruijn index (x@index) */
	};
	struct dhall_expr *a, *b;
	union {
		struct dhall_expr *c;      /* LET (type), IF (else), MERGE/TOMAP (type) */
		struct dhall_expr **items; /* APP, TEXT, LIST, RECORD*, UNION */
	};
	struct dhall_str *labels;  /* record/union/projection/with labels; text chunks */
	union { /* no kind uses two of these */
		struct dhall_str label; /* variable or binder name; field name; bytes */
		uint64_t with_opt;      /* DHALL_WITH: bit i set when labels[i] is `?` (i < 64) */
		union {
			struct dhall_num num;
			double dbl;
			struct dhall_date date;
			struct dhall_time *time;
			struct dhall_tz tz;
			struct dhall_import *import;
		} u;
	};
};

/* ---------------------------------------------------------------- parse */

/* Parses a whole Dhall file (text src[0..len), UTF-8) into *out, allocating
 * from `arena`. `name` names the input in errors ("-" for stdin). Labels and
 * text chunks may point into src, so src must outlive the tree. Returns 0, or
 * DHALL_ESYNTAX / DHALL_ELIMIT / DHALL_ENOMEM with err filled. */
__attribute__((warn_unused_result)) int dhall_parse(struct dhall_arena *arena, const char *src,
						    size_t len, const char *name,
						    struct dhall_expr **out, struct dhall_err *err);

/* ---------------------------------------------------------------- binary */

/* A growable byte buffer (malloc'd). Optionally it spills: with `spill`
 * set, a buffer holding DHALL_BUF_SPILL bytes or more that must grow hands
 * its bytes to spill(spill_ctx, …) instead, adds their count to `spilled`
 * and starts again empty; a non-zero return fails the write (DHALL_ENOMEM;
 * the spill function keeps its own reason). Output then needs no memory of
 * its size, but a failed render cannot take back what was spilled: the
 * owner of the sink does (dhall-to-json truncates its output file). */
#define DHALL_BUF_SPILL ((size_t)4 << 20)
struct dhall_buf {
	uint8_t *data;
	size_t len, cap;
	int (*spill)(void *spill_ctx, const uint8_t *data, size_t len);
	void *spill_ctx;
	size_t spilled;
};
void dhall_buf_free(struct dhall_buf *b);

/* Appends the standard binary encoding (standard/binary.md) of e to out:
 * canonical CBOR, record fields sorted, floats in the smallest width that
 * round-trips. Returns 0, DHALL_ENOMEM or DHALL_ELIMIT. */
__attribute__((warn_unused_result)) int dhall_encode(const struct dhall_expr *e,
						     struct dhall_buf *out);

/* Decodes the binary encoding in data[0..len) (an optional leading CBOR
 * tag 55799 is accepted) into *out, allocating from `arena`. Strict: trailing
 * bytes, unknown labels, wrong arities and non-Dhall CBOR are errors.
 * Returns 0 or DHALL_EBINARY / DHALL_ELIMIT / DHALL_ENOMEM with err->msg set. */
__attribute__((warn_unused_result)) int dhall_decode(struct dhall_arena *arena, const uint8_t *data,
						     size_t len, struct dhall_expr **out,
						     struct dhall_err *err);

/* ---------------------------------------------------------------- output */

/* Renders e, which must already be in normal form, as JSON the way
 * dhall-haskell's dhall-to-json does: records → objects, lists → arrays,
 * Optional → value or null, unions → their payload (or the constructor name
 * as a string when it has none), `{ mapKey, mapValue }` lists → objects.
 * indent = 0 for compact output, else 2-space pretty printing. Returns 0, or
 * DHALL_ESYNTAX with err->msg saying which part has no JSON form. */
__attribute__((warn_unused_result)) int dhall_to_json(const struct dhall_expr *e, int indent,
						      struct dhall_buf *out, struct dhall_err *err);

/* Prints e back as Dhall source in a canonical, stable layout (dhall format).
 * Parsing the output gives an expression with the same binary encoding.
 * Returns 0 or DHALL_ENOMEM / DHALL_ELIMIT. */
__attribute__((warn_unused_result)) int dhall_format(const struct dhall_expr *e,
						     struct dhall_buf *out);

/* ================================================================
 * Evaluation: type inference, normalization, α-normalization,
 * equivalence, semantic hashes, import resolution (eval.c, builtins.c,
 * quote.c, typecheck.c, resolve.c).
 *
 * These walk trees recursively on a big-stack thread (like the parser).
 * Results are allocated from the caller's arena and may share strings with
 * the input tree (which must outlive them); scratch memory is freed before
 * returning. Every evaluation runs under a step and memory budget (see
 * struct dhall_ctx): a runaway normalization is DHALL_ELIMIT, not a hang.
 * ================================================================ */

enum {
	DHALL_ETYPE = -5,   /* the expression does not type-check */
	DHALL_EIMPORT = -6, /* an import could not be resolved */
};

/* Options and source information for evaluation. Zero-initialise it (or
 * call dhall_ctx_init); every field is optional. */
struct dhall_ctx {
	/* the parsed source, so that errors carry file:line:col (e->pos) */
	const char *name;
	const char *src;
	size_t len;
	/* budgets: evaluation steps (applications, builtin reductions, …) and
	 * bytes of scratch memory; 0 means the default (2e7 steps, 1 GiB:
	 * far more than configuration needs; a step allocates ~250 bytes) */
	uint64_t max_steps;
	size_t max_bytes;
	/* imports (resolve.c): the cache directory ($XDG_CACHE_HOME/dhall or
	 * ~/.cache/dhall when NULL); no_cache: neither read nor write it;
	 * no_remote: refuse http(s) imports */
	const char *cache_dir;
	int no_cache, no_remote;
	/* remote imports (remote.c): remote_map is NULL or an array of
	 * pairs { from, to, from, to, …, NULL }: an URL starting with `from`
	 * is fetched from `to` followed by the rest of it (e.g. tests map
	 * "https://test.dhall-lang.org/" to "http://127.0.0.1:PORT/test/");
	 * imports keep their logical URL for chaining, CORS, `as Location`
	 * and the origin headers. remote_map_only: URLs that no pair maps
	 * are refused. remote_timeout_ms (0: 60 s) bounds one transfer,
	 * remote_max_bytes (0: 64 MiB) one body. no_user_headers: do not
	 * load the origin header configuration (env:DHALL_HEADERS,
	 * $XDG_CONFIG_HOME/dhall/headers.dhall, ~/.config/dhall/headers.dhall). */
	const char *const *remote_map;
	int remote_map_only, no_user_headers;
	unsigned remote_timeout_ms;
	size_t remote_max_bytes;
};
void dhall_ctx_init(struct dhall_ctx *ctx);

/* The type of e (which must have no imports left), in normal form, into
 * *out. ctx may be NULL. Returns 0, or DHALL_ETYPE with err naming the
 * offending expression, the expected and actual types, and the position
 * (file:line:col when ctx has the source), or DHALL_ELIMIT/DHALL_ENOMEM. */
__attribute__((warn_unused_result)) int dhall_typeof(const struct dhall_ctx *ctx,
						     struct dhall_arena *arena,
						     const struct dhall_expr *e,
						     struct dhall_expr **out, struct dhall_err *err);

/* β-normalizes e (standard/beta-normalization.md) into *out. Does not
 * type-check: ill-typed input may stay stuck or give DHALL_ETYPE. Returns
 * 0 or DHALL_ELIMIT / DHALL_ENOMEM / DHALL_ETYPE. */
__attribute__((warn_unused_result)) int dhall_normalize(struct dhall_arena *arena,
							const struct dhall_expr *in,
							struct dhall_expr **out,
							struct dhall_err *err);
__attribute__((warn_unused_result)) int dhall_normalize_ctx(const struct dhall_ctx *ctx,
							    struct dhall_arena *arena,
							    const struct dhall_expr *in,
							    struct dhall_expr **out,
							    struct dhall_err *err);

/* α-normalizes e (every bound variable renamed to `_`), no β. */
__attribute__((warn_unused_result)) int dhall_alpha_normalize(struct dhall_arena *arena,
							      const struct dhall_expr *in,
							      struct dhall_expr **out,
							      struct dhall_err *err);

/* Judgmental equivalence (standard/equivalence.md): *equal = 1 when the
 * α-β-normal forms of a and b have the same binary encoding. */
__attribute__((warn_unused_result)) int dhall_equivalent(const struct dhall_expr *a,
							 const struct dhall_expr *b, int *equal,
							 struct dhall_err *err);

/* The semantic hash: "sha256:" and 64 hex digits of the SHA-256 of the
 * binary encoding of e's α-β-normal form, NUL-terminated, into out[72].
 * e must have no imports left. */
__attribute__((warn_unused_result)) int dhall_semantic_hash(const struct dhall_ctx *ctx,
							    const struct dhall_expr *e,
							    char out[72], struct dhall_err *err);

/* dhall_normalize_ctx then dhall_to_json, without building the normal
 * form: e (no imports left; type-check it first, as for normalization) is
 * evaluated and the JSON appended to out straight from the values, so
 * large outputs need no second, syntax-tree copy. Same output and errors
 * as the two calls; scratch memory is freed before returning (out is the
 * caller's; on failure it is left as it was). */
__attribute__((warn_unused_result)) int dhall_eval_to_json(const struct dhall_ctx *ctx,
							   const struct dhall_expr *e, int indent,
							   struct dhall_buf *out,
							   struct dhall_err *err);

/* Resolves every import of e (standard/imports.md): local files relative
 * to `base` (the importing file's path; NULL: the current directory),
 * `~`, absolute paths, env:, missing, `?`, `as Text|Location|Bytes`,
 * sha256 integrity checks with the standard cache, cycle detection and
 * referential sanity. Imported files are type-checked and their
 * expressions inlined; *out is allocated from `arena` (file contents are
 * kept in it too). Returns 0, DHALL_EIMPORT (err says which import and
 * why, with the chain of importing files), DHALL_ESYNTAX / DHALL_ETYPE
 * from an imported file, or DHALL_ENOMEM / DHALL_ELIMIT. */
__attribute__((warn_unused_result)) int dhall_resolve(const struct dhall_ctx *ctx,
						      struct dhall_arena *arena,
						      const struct dhall_expr *e, const char *base,
						      struct dhall_expr **out, struct dhall_err *err);

#endif
