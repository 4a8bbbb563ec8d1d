/*
 * resolve.c — import resolution (standard/imports.md). (import.c is the
 * parser's import *syntax*; this file gives imports their meaning.)
 *
 * dhall_resolve walks a tree and replaces every import by the expression
 * it names: the imported file's own imports resolved (relative to it),
 * type-checked in the empty context, and β-normalized. A location is kept
 * in canonical form (struct loc): a kind (relative to the working
 * directory, ~, absolute, env:, missing, remote) and path components with
 * `.` dropped and `x/..` folded; a leading `..` stays (relative paths that
 * climb). Chaining follows the standard: a relative child of a local
 * parent continues the parent's directory; anything absolute stands on its
 * own; relative children of env: or missing parents stay relative.
 *
 * Memory: an imported file's source, parse tree, the walk's copies and
 * its type live in an arena of their own, freed once the file's normal
 * form (which copies every string it keeps) is in the results; the type
 * checker and the evaluator reuse one scratch arena for all files
 * (dhall_arena_reset). Normal forms are hash-consed into the results
 * (intern.c): a subtree that recurs, within a file's normal form or
 * across files, is kept once (the Prelude's JSON renderers inline the
 * same helpers dozens of times). The α-normal copy a hash check encodes
 * is temporary too. The functions of every normal form (the root, or
 * fields of root records) are marked closed and get their type attached
 * (mark_closed, learn_types; EV_SRC_CLOSED in eval_int.h): an importing
 * file's normal form then shares them instead of copying them, and the
 * type checker takes their type instead of inferring each function again
 * in every file that inlines it (a package of packages, the Prelude).
 * Long `let` chains are walked with a loop (walk_lets), and the functions
 * with big buffers are kept out of walk's frame, so deep trees cost little
 * stack.
 *
 * Per resolution session: an import chain (for cycle detection: a
 * location importing itself, directly or not, is an error) and a memo of
 * locations already resolved (in each mode), so every import is read once
 * and means one thing. Integrity checks: `sha256:H` imports are first
 * looked up in the cache ($XDG_CACHE_HOME/dhall or ~/.cache/dhall, file
 * 1220<H>: the binary encoding of the α-β-normal form); an entry whose
 * hash does not match is ignored (poisoned cache); after resolving, the
 * hash of the result must equal H, and the result is written to the cache
 * (best effort: atomically through a temporary file; failures to write are
 * not errors).
 *
 * `a ? b`: b is tried only when resolving a failed for a reason the
 * standard lets one recover from (a missing file or variable, `missing`,
 * an unsupported remote); a cycle, a hash mismatch, a parse or type error
 * are not recovered.
 *
 * Remote imports (http/https; remote.c does the transfer): the URL is
 * chained and canonicalized like a path (a relative import inside a remote
 * file is relative to its URL, and inherits the parent's `using` headers);
 * the `using` expression is resolved in the importing file, type-checked
 * in the empty context as List { mapKey : Text, mapValue : Text } (or the
 * older { header, value }), normalized and sent, after the user's origin
 * header configuration for that origin (which wins on equal names; loaded
 * once per session, lazily). A remote file may import only remote files
 * and `missing` (referential sanity; `as Location` is exempt), and a child
 * of another origin only when its Access-Control-Allow-Origin allows the
 * parent (CORS). An unreachable host or an HTTP error status is
 * recoverable by `?`; a CORS refusal, an oversized body and header errors
 * are not. Remote results are memoized and hash-cached like local ones.
 */
#include "eval_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum { L_HERE, L_HOME, L_ABS, L_ENV, L_MISSING, L_REMOTE };

struct loc {
	int kind;
	struct dhall_str *comps; /* directories then the file (local) */
	size_t n;
	struct dhall_str env;   /* L_ENV: the variable */
	int https;              /* L_REMOTE: scheme, authority, query */
	struct dhall_str authority, query;
	int has_query;
	const struct ev_header *hdrs; /* L_REMOTE: the `using` headers (normalized) */
	size_t nhdrs;
	const char *key;        /* canonical spelling, NUL-terminated */
};

struct chain { /* the imports being resolved, innermost first */
	const char *key;
	const struct chain *next;
};

struct memo {
	const char *key;
	int mode;
	struct dhall_expr *e;
	struct memo *next;
};

struct rs {
	const struct dhall_ctx *ctx;
	struct dhall_arena *arena; /* results: imported values, locations, memo */
	/* the tree being walked: the caller's arena for the root file, a
	 * temporary one for an imported file (its parse tree and the walk's
	 * copies are garbage once its normal form is made) */
	struct dhall_arena *tree;
	/* the evaluator's scratch memory, reused from one import to the next */
	struct dhall_arena scratch;
	struct ev_intern intern; /* the normal forms' nodes, in `arena` */
	struct dhall_err *err;
	struct memo *memo;
	char cache[4096]; /* "" when there is none */
	int recoverable;  /* the last failure may be recovered by `?` */
	unsigned depth;
	/* the origin header configuration (remote.c's callers' side): 0 not
	 * loaded yet, 1 being loaded (a remote import now is a cycle), 2 loaded */
	int uh_state;
	struct dhall_expr *user_hdrs; /* its normal form; NULL: none */
	struct dlcurl *curl; /* libcurl, loaded by the first remote import */
};

/* ---------------------------------------------------------------- errors */

static int fail_at(struct rs *rs, int recoverable, const char *name, const char *src, size_t len,
		   const struct dhall_expr *at, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int fail_at(struct rs *rs, int recoverable, const char *name, const char *src, size_t len,
		   const struct dhall_expr *at, const char *fmt, ...)
{
	va_list ap;
	rs->recoverable = recoverable;
	if (!rs->err)
		return DHALL_EIMPORT;
	memset(rs->err, 0, sizeof *rs->err);
	va_start(ap, fmt);
	vsnprintf(rs->err->msg, sizeof rs->err->msg, fmt, ap);
	va_end(ap);
	if (src && at && at->pos <= len)
		dhall_err_locate(rs->err, name, src, len, at->pos);
	else
		snprintf(rs->err->file, sizeof rs->err->file, "%s", name ? name : "-");
	return DHALL_EIMPORT;
}

static int nomem(struct rs *rs)
{
	rs->recoverable = 0;
	return dhall_err_set(rs->err, DHALL_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- locations */

static int key_of(struct rs *rs, struct loc *l)
{
	struct dhall_buf b = {0};
	int rc = 0;
	switch (l->kind) {
	case L_HERE:
		if (!(l->n && ev_str_is(l->comps[0], "..")))
			rc = dhall_buf_puts(&b, ".");
		break;
	case L_HOME:
		rc = dhall_buf_puts(&b, "~");
		break;
	case L_ENV:
		rc = dhall_buf_printf(&b, "env:%.*s", (int)l->env.len, l->env.s);
		break;
	case L_MISSING:
		rc = dhall_buf_puts(&b, "missing");
		break;
	case L_REMOTE:
		rc = dhall_buf_printf(&b, "%s://%.*s", l->https ? "https" : "http",
				      (int)l->authority.len, l->authority.s);
		break;
	default:
		break;
	}
	for (size_t i = 0; !rc && i < l->n && (l->kind <= L_ABS || l->kind == L_REMOTE); i++) {
		if (i > 0 || l->kind != L_HERE || !ev_str_is(l->comps[0], ".."))
			rc = dhall_buf_putc(&b, '/');
		if (!rc)
			rc = dhall_buf_put(&b, l->comps[i].s, l->comps[i].len);
	}
	if (!rc && l->kind == L_REMOTE && l->has_query)
		rc = dhall_buf_printf(&b, "?%.*s", (int)l->query.len, l->query.s);
	if (!rc)
		rc = dhall_buf_putc(&b, 0);
	if (!rc && !(l->key = dhall_arena_strdup(rs->arena, (const char *)b.data, b.len - 1)))
		rc = DHALL_ENOMEM;
	dhall_buf_free(&b);
	return rc ? nomem(rs) : 0;
}

/* Drops "." and folds "x/..", keeping leading ".." components. */
static void canonicalize(struct loc *l)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct dhall_str c = l->comps[i];
		if (ev_str_is(c, "."))
			continue;
		if (ev_str_is(c, "..") && k > 0 && !ev_str_is(l->comps[k - 1], "..")) {
			k--;
			continue;
		}
		l->comps[k++] = c;
	}
	l->n = k;
}

/* The location of import `im` inside a file at `parent`. */
static int chain_loc(struct rs *rs, const struct loc *parent, const struct dhall_import *im,
		     struct loc *out)
{
	memset(out, 0, sizeof *out);
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		out->kind = L_REMOTE;
		out->https = im->type == DHALL_IMPORT_HTTPS;
		out->authority = im->authority;
		out->query = im->query;
		out->has_query = im->has_query;
		out->n = im->npath;
		if (!(out->comps = dhall_arena_alloc(rs->arena, (im->npath + 1) * sizeof *out->comps)))
			return nomem(rs);
		memcpy(out->comps, im->path, im->npath * sizeof *im->path);
		break;
	case DHALL_IMPORT_ENV:
		out->kind = L_ENV;
		out->env = im->env;
		return key_of(rs, out);
	case DHALL_IMPORT_MISSING:
		out->kind = L_MISSING;
		return key_of(rs, out);
	case DHALL_IMPORT_HOME:
	case DHALL_IMPORT_ABSOLUTE:
		out->kind = im->type == DHALL_IMPORT_HOME ? L_HOME : L_ABS;
		out->n = im->npath;
		if (!(out->comps = dhall_arena_alloc(rs->arena, (im->npath + 1) * sizeof *out->comps)))
			return nomem(rs);
		memcpy(out->comps, im->path, im->npath * sizeof *im->path);
		break;
	default: { /* ./ or ../ */
		int up = im->type == DHALL_IMPORT_PARENT;
		int local = parent && (parent->kind <= L_ABS || parent->kind == L_REMOTE);
		size_t pdirs = local && parent->n ? parent->n - 1 : 0;
		out->kind = local ? parent->kind : L_HERE;
		if (local && parent->kind == L_REMOTE) {
			out->https = parent->https;
			out->authority = parent->authority;
			out->hdrs = parent->hdrs; /* relative children reuse them */
			out->nhdrs = parent->nhdrs;
		}
		out->n = pdirs + (size_t)up + im->npath;
		if (!(out->comps = dhall_arena_alloc(rs->arena, (out->n + 1) * sizeof *out->comps)))
			return nomem(rs);
		if (pdirs)
			memcpy(out->comps, parent->comps, pdirs * sizeof *out->comps);
		if (up)
			out->comps[pdirs] = (struct dhall_str){"..", 2};
		memcpy(out->comps + pdirs + up, im->path, im->npath * sizeof *im->path);
		break;
	}
	}
	canonicalize(out);
	return key_of(rs, out);
}

/* The file system path of a local location (malloc'd). */
static char *fs_path(const struct loc *l)
{
	struct dhall_buf b = {0};
	int rc = 0;
	if (l->kind == L_HOME) {
		const char *home = getenv("HOME");
		rc = dhall_buf_puts(&b, home ? home : "");
	} else if (l->kind == L_HERE)
		rc = dhall_buf_puts(&b, ".");
	for (size_t i = 0; !rc && i < l->n; i++) {
		rc = dhall_buf_putc(&b, '/');
		if (!rc)
			rc = dhall_buf_put(&b, l->comps[i].s, l->comps[i].len);
	}
	if (!rc)
		rc = dhall_buf_putc(&b, 0);
	if (rc) {
		dhall_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* A location from a file name given by the caller (the root). */
static int root_loc(struct rs *rs, const char *base, struct loc *out)
{
	memset(out, 0, sizeof *out);
	if (!base)
		base = "./(stdin)";
	const char *p = base;
	out->kind = L_HERE;
	if (*p == '/') {
		out->kind = L_ABS;
		p++;
	} else if (p[0] == '~' && p[1] == '/') {
		out->kind = L_HOME;
		p += 2;
	}
	size_t n = 1;
	for (const char *q = p; *q; q++)
		n += *q == '/';
	if (!(out->comps = dhall_arena_alloc(rs->arena, (n + 1) * sizeof *out->comps)))
		return nomem(rs);
	while (*p) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);
		if (len)
			out->comps[out->n++] = (struct dhall_str){p, len};
		p += len + (s != NULL);
	}
	canonicalize(out);
	return key_of(rs, out);
}

/* ---------------------------------------------------------------- building */

static struct dhall_expr *node(struct rs *rs, enum dhall_kind kind)
{
	struct dhall_expr *e = dhall_arena_alloc(rs->arena, sizeof *e);
	if (e)
		e->kind = (uint8_t)kind;
	return e;
}

static struct dhall_expr *text_node(struct rs *rs, const char *s, size_t len)
{
	struct dhall_expr *e = node(rs, DHALL_TEXT);
	struct dhall_str *l = dhall_arena_alloc(rs->arena, sizeof *l);
	char *copy = dhall_arena_strdup(rs->arena, s, len);
	if (!e || !l || !copy)
		return NULL;
	*l = (struct dhall_str){copy, len};
	e->labels = l;
	return e;
}

/* < Environment : Text | Local : Text | Missing | Remote : Text >.alt text */
static struct dhall_expr *location_value(struct rs *rs, const struct loc *l)
{
	static const char *const alts[4] = {"Environment", "Local", "Missing", "Remote"};
	struct dhall_expr *u = node(rs, DHALL_UNION), *f = node(rs, DHALL_FIELD);
	if (!u || !f || !(u->labels = dhall_arena_alloc(rs->arena, 4 * sizeof *u->labels)) ||
	    !(u->items = dhall_arena_alloc(rs->arena, 4 * sizeof *u->items)))
		return NULL;
	u->n = 4;
	for (int i = 0; i < 4; i++) {
		u->labels[i] = (struct dhall_str){alts[i], strlen(alts[i])};
		if (i != 2) {
			if (!(u->items[i] = node(rs, DHALL_BUILTIN)))
				return NULL;
			u->items[i]->op = DHALL_B_TEXT;
		}
	}
	int which = l->kind == L_ENV ? 0 : l->kind == L_MISSING ? 2 : l->kind == L_REMOTE ? 3 : 1;
	f->a = u;
	f->label = u->labels[which];
	if (which == 2)
		return f;
	struct dhall_expr *app = node(rs, DHALL_APP), *t;
	t = which == 0 ? text_node(rs, l->env.s, l->env.len) : text_node(rs, l->key, strlen(l->key));
	if (!app || !t || !(app->items = dhall_arena_alloc(rs->arena, sizeof *app->items)))
		return NULL;
	app->a = f;
	app->n = 1;
	app->items[0] = t;
	return app;
}

/* ---------------------------------------------------------------- cache */

static void cache_dir_init(struct rs *rs)
{
	const char *x;
	rs->cache[0] = 0;
	if (rs->ctx && rs->ctx->no_cache)
		return;
	if (rs->ctx && rs->ctx->cache_dir)
		snprintf(rs->cache, sizeof rs->cache, "%s", rs->ctx->cache_dir);
	else if ((x = getenv("XDG_CACHE_HOME")) && *x)
		snprintf(rs->cache, sizeof rs->cache, "%s/dhall", x);
	else if ((x = getenv("HOME")) && *x)
		snprintf(rs->cache, sizeof rs->cache, "%s/.cache/dhall", x);
}

static void cache_name(const struct rs *rs, const uint8_t *hash, char *out, size_t size)
{
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, hash, 32);
	snprintf(out, size, "%s/1220%s", rs->cache, hex);
}

/* Reads a whole file into a malloc'd buffer; -1 with errno set. */
static int read_file(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	for (;;) {
		if (!buf || n + 1 >= cap) {
			char *p = realloc(buf, buf ? cap *= 2 : cap);
			if (!p)
				goto fail;
			buf = p;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/* The α-normal encoding of a β-normal e and its sha256. */
static int hash_of(struct rs *rs, const struct dhall_expr *e, struct dhall_buf *enc, uint8_t h[32])
{
	struct dhall_expr *a;
	struct dhall_err err;
	struct dhall_arena tmp;
	dhall_arena_init(&tmp);
	int rc = dhall_alpha_normalize(&tmp, e, &a, &err);
	if (!rc)
		rc = dhall_encode(a, enc);
	dhall_arena_free(&tmp);
	if (rc)
		return rc == DHALL_ENOMEM ? nomem(rs) : dhall_err_set(rs->err, rc, "expression too deep to hash");
	crypto_hash_sha256(h, enc->data, enc->len);
	return 0;
}

static struct dhall_expr *cache_get(struct rs *rs, const uint8_t *hash)
{
	char path[4200], *data = NULL;
	size_t len;
	uint8_t h[32];
	struct dhall_expr *e = NULL;
	struct dhall_err err;
	if (!rs->cache[0])
		return NULL;
	cache_name(rs, hash, path, sizeof path);
	if (read_file(path, &data, &len) != 0)
		return NULL;
	crypto_hash_sha256(h, (const uint8_t *)data, len);
	if (sodium_memcmp(h, hash, 32) == 0) {
		uint8_t *copy = dhall_arena_alloc_uninit(rs->arena, len ? len : 1);
		if (copy) {
			memcpy(copy, data, len);
			if (dhall_decode(rs->arena, copy, len, &e, &err) != 0)
				e = NULL;
		}
	}
	free(data);
	return e;
}

static void cache_put(struct rs *rs, const uint8_t *hash, const struct dhall_buf *enc)
{
	char path[4200], tmp[4300];
	if (!rs->cache[0])
		return;
	cache_name(rs, hash, path, sizeof path);
	if (access(path, F_OK) == 0)
		return;
	/* create the directory (and its parent) when missing */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", rs->cache);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		(void)mkdir(dir, 0700);
		*slash = '/';
	}
	(void)mkdir(dir, 0700);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t off = 0;
	while (off < enc->len) {
		ssize_t w = write(fd, enc->data + off, enc->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int ok = off == enc->len && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
}

/* ---------------------------------------------------------------- resolving */

struct file { /* the file whose imports are being resolved */
	const struct loc *loc;
	const char *name, *src;
	size_t len;
	const struct chain *chain;
};

static int walk(struct rs *rs, const struct file *f, struct dhall_expr *e, struct dhall_expr **out);

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
		if (!k || (k == 1 && c < 0xc2))
			return 0;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}


/* ---------------------------------------------------------------- headers */

/* 1 when the type ty (normal form) is the type written in src. */
static int type_is(struct rs *rs, const struct dhall_expr *ty, const char *src)
{
	struct dhall_expr *want;
	struct dhall_err err;
	struct dhall_buf a = {0}, b = {0};
	int same = dhall_parse(rs->arena, src, strlen(src), "-", &want, &err) == 0 &&
		   dhall_encode(ty, &a) == 0 && dhall_encode(want, &b) == 0 && a.len == b.len &&
		   memcmp(a.data, b.data, a.len) == 0;
	dhall_buf_free(&a);
	dhall_buf_free(&b);
	return same;
}

static const char map_tt[] = "List { mapKey : Text, mapValue : Text }";
static const char map_hv[] = "List { header : Text, value : Text }";
static const char map_user[] =
	"List { mapKey : Text, mapValue : List { mapKey : Text, mapValue : Text } }";

/* The text of a normal-form Text literal without interpolations. */
static int plain_text(const struct dhall_expr *e, struct dhall_str *out)
{
	if (!e || e->kind != DHALL_TEXT || e->n != 0)
		return 0;
	*out = e->labels[0];
	return 1;
}

/* The field `name` of a normal-form record literal, or NULL. */
static const struct dhall_expr *field(const struct dhall_expr *r, const char *name)
{
	if (!r || r->kind != DHALL_RECORD)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (ev_str_is(r->labels[i], name))
			return r->items[i];
	return NULL;
}

/* The pairs of a normal-form list of { k : Text, v : Text } records. */
static int header_pairs(struct rs *rs, const struct dhall_expr *list, const char *k, const char *v,
			struct ev_header **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!list || list->kind != DHALL_LIST || list->n == 0)
		return 0;
	if (!(*out = dhall_arena_alloc(rs->arena, list->n * sizeof **out)))
		return nomem(rs);
	for (size_t i = 0; i < list->n; i++)
		if (plain_text(field(list->items[i], k), &(*out)[*n].name) &&
		    plain_text(field(list->items[i], v), &(*out)[*n].value))
			(*n)++;
	return 0;
}

/* Resolves, type-checks (in the empty context) and normalizes the `using`
 * expression of the URL import e in file f into header pairs. */
static int inline_headers(struct rs *rs, const struct file *f, const struct dhall_expr *e,
			  struct ev_header **out, size_t *n)
{
	struct dhall_expr *resolved, *ty, *nf;
	struct dhall_ctx cx = rs->ctx ? *rs->ctx : (struct dhall_ctx){0};
	int rc;
	cx.name = f->name;
	cx.src = f->src;
	cx.len = f->len;
	if ((rc = walk(rs, f, e->u.import->headers, &resolved)))
		return rc;
	if ((rc = dhall_typeof(&cx, rs->arena, resolved, &ty, rs->err)) ||
	    (rc = dhall_normalize_ctx(&cx, rs->arena, resolved, &nf, rs->err))) {
		rs->recoverable = 0;
		return rc;
	}
	if (type_is(rs, ty, map_tt))
		return header_pairs(rs, nf, "mapKey", "mapValue", out, n);
	if (type_is(rs, ty, map_hv))
		return header_pairs(rs, nf, "header", "value", out, n);
	return fail_at(rs, 0, f->name, f->src, f->len, e,
		       "the headers of a remote import must be a %s (or %s)", map_tt, map_hv);
}

/* Loads the origin header configuration (standard/imports.md): the Dhall
 * expression in $DHALL_HEADERS, else $XDG_CONFIG_HOME/dhall/headers.dhall,
 * else ~/.config/dhall/headers.dhall, else none; its local imports are
 * resolved as usual, and a remote one is an import cycle (fetching it
 * would need this very configuration). */
static int load_user_headers(struct rs *rs, const struct dhall_expr *at, const struct file *f)
{
	char path[4200], *data = NULL;
	const char *v, *name;
	size_t len = 0;
	struct loc l;
	struct dhall_expr *parsed, *resolved, *ty;
	int rc;

	if (rs->uh_state == 2 || (rs->ctx && rs->ctx->no_user_headers))
		return 0;
	if (rs->uh_state == 1)
		return fail_at(rs, 0, f->name, f->src, f->len, at,
			       "import cycle: a remote import inside the origin header "
			       "configuration (which every remote import needs)");
	memset(&l, 0, sizeof l);
	if ((v = getenv("DHALL_HEADERS"))) {
		name = "env:DHALL_HEADERS";
		l.kind = L_ENV;
		l.env = (struct dhall_str){"DHALL_HEADERS", 13};
		if ((rc = key_of(rs, &l)))
			return rc;
		if (!(data = strdup(v)))
			return nomem(rs);
		len = strlen(v);
	} else {
		if ((v = getenv("XDG_CONFIG_HOME")) && *v)
			snprintf(path, sizeof path, "%s/dhall/headers.dhall", v);
		else if ((v = getenv("HOME")) && *v)
			snprintf(path, sizeof path, "%s/.config/dhall/headers.dhall", v);
		else
			path[0] = 0;
		if (!path[0] || read_file(path, &data, &len) != 0) {
			rs->uh_state = 2; /* optional: no file is no headers */
			return 0;
		}
		if (!(name = dhall_arena_strdup(rs->arena, path, strlen(path)))) {
			free(data);
			return nomem(rs);
		}
		if ((rc = root_loc(rs, name, &l))) {
			free(data);
			return rc;
		}
	}
	char *copy = dhall_arena_strdup(rs->arena, data, len);
	free(data);
	if (!copy)
		return nomem(rs);
	struct chain link = {l.key, NULL};
	struct file hf = {&l, name, copy, len, &link};
	struct dhall_ctx cx = rs->ctx ? *rs->ctx : (struct dhall_ctx){0};
	cx.name = name;
	cx.src = copy;
	cx.len = len;
	rs->uh_state = 1;
	rc = dhall_parse(rs->arena, copy, len, name, &parsed, rs->err);
	if (!rc)
		rc = walk(rs, &hf, parsed, &resolved);
	if (!rc && !(rc = dhall_typeof(&cx, rs->arena, resolved, &ty, rs->err)) &&
	    !type_is(rs, ty, map_user))
		rc = fail_at(rs, 0, name, copy, len, NULL,
			     "the origin header configuration must be a %s", map_user);
	if (!rc)
		rc = dhall_normalize_ctx(&cx, rs->arena, resolved, &rs->user_hdrs, rs->err);
	if (rc) {
		rs->uh_state = 0;
		rs->recoverable = 0;
		return rc;
	}
	rs->uh_state = 2;
	return 0;
}

/* "host:port" of a remote location (the key of the origin header
 * configuration): userinfo dropped, the scheme's port added when absent. */
static void origin_key(const struct loc *l, char *out, size_t size)
{
	struct dhall_str a = l->authority;
	const char *at = memchr(a.s, '@', a.len);
	if (at) {
		a.len -= (size_t)(at + 1 - a.s);
		a.s = at + 1;
	}
	const char *close = a.len && a.s[0] == '[' ? memchr(a.s, ']', a.len) : NULL;
	const char *after = close ? close + 1 : a.s;
	int has_port = memchr(after, ':', a.len - (size_t)(after - a.s)) != NULL;
	snprintf(out, size, "%.*s%s", (int)a.len, a.s,
		 has_port ? "" : l->https ? ":443" : ":80");
}

static int same_name_ci(struct dhall_str a, struct dhall_str b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.s[i], y = (unsigned char)b.s[i];
		if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
			return 0;
	}
	return 1;
}

/* The headers of a request for l: the user's for its origin, then the
 * `using` ones the user's do not name (the user's configuration wins). */
static int request_headers(struct rs *rs, const struct loc *l, struct ev_header **out, size_t *n)
{
	char origin[512];
	struct ev_header *user = NULL;
	size_t nuser = 0;
	const struct dhall_expr *cfg = rs->user_hdrs;
	int rc;
	*out = NULL;
	*n = 0;
	origin_key(l, origin, sizeof origin);
	for (size_t i = 0; cfg && cfg->kind == DHALL_LIST && i < cfg->n; i++) {
		struct dhall_str k;
		if (plain_text(field(cfg->items[i], "mapKey"), &k) && ev_str_is(k, origin)) {
			if ((rc = header_pairs(rs, field(cfg->items[i], "mapValue"), "mapKey",
					       "mapValue", &user, &nuser)))
				return rc;
			break;
		}
	}
	if (!(*out = dhall_arena_alloc(rs->arena, (nuser + l->nhdrs + 1) * sizeof **out)))
		return nomem(rs);
	if (nuser)
		memcpy(*out, user, nuser * sizeof *user);
	*n = nuser;
	for (size_t i = 0; i < l->nhdrs; i++) {
		int dup = 0;
		for (size_t j = 0; j < nuser && !dup; j++)
			dup = same_name_ci(user[j].name, l->hdrs[i].name);
		if (!dup)
			(*out)[(*n)++] = l->hdrs[i];
	}
	return 0;
}

/* The CORS rule: a remote parent may import a child of another origin only
 * when the child's response has exactly one Access-Control-Allow-Origin,
 * `*` or the parent's scheme://authority. */
static int cors_ok(const struct loc *parent, const struct loc *child, const struct ev_remote *r)
{
	char origin[512];
	if (!parent || parent->kind != L_REMOTE)
		return 1;
	if (parent->https == child->https && ev_str_eq(parent->authority, child->authority))
		return 1;
	if (r->nacao != 1)
		return 0;
	snprintf(origin, sizeof origin, "%s://%.*s", parent->https ? "https" : "http",
		 (int)parent->authority.len, parent->authority.s);
	return strcmp(r->acao[0], "*") == 0 || strcmp(r->acao[0], origin) == 0;
}

/* Fetches the remote location l (imported by e in f) into *data (malloc'd). */
static int fetch_remote(struct rs *rs, const struct file *f, const struct dhall_expr *e,
			const struct loc *l, char **data, size_t *len)
{
	struct ev_header *hdrs;
	struct ev_remote r;
	size_t n;
	char msg[256];
	int rc;
	if (rs->ctx && rs->ctx->no_remote)
		return fail_at(rs, 1, f->name, f->src, f->len, e,
			       "remote imports are disabled: '%s'", l->key);
	if ((rc = load_user_headers(rs, e, f)) || (rc = request_headers(rs, l, &hdrs, &n)))
		return rc;
	if ((rc = ev_remote_fetch(rs->ctx, &rs->curl, l->key, hdrs, n, &r, msg, sizeof msg)))
		return fail_at(rs, rc == -1, f->name, f->src, f->len, e, "%s", msg);
	if (!cors_ok(f->loc, l, &r)) {
		rc = fail_at(rs, 0, f->name, f->src, f->len, e,
			     "CORS: '%s' may not be imported from '%s' (its Access-Control-Allow-"
			     "Origin is %s%s%s)",
			     l->key, f->loc->key, r.nacao == 1 ? "'" : "",
			     r.nacao == 0 ? "missing" : r.nacao == 1 ? r.acao[0] : "given twice",
			     r.nacao == 1 ? "'" : "");
		ev_remote_free(&r);
		return rc;
	}
	*data = r.body;
	*len = r.len;
	r.body = NULL;
	ev_remote_free(&r);
	return 0;
}

/* After mark_closed: gives r's marked λs their type (in their `c`, see
 * EV_SRC_CLOSED), t being r's type (a record's field types are its
 * type's fields of the same label) in a temporary arena: a λ's type is
 * copied into the results (normalizing a normal form copies it). A λ
 * shared with an earlier import has its type already: a package that
 * re-exports other files' functions costs no copies of their types. */
static int learn_types(struct rs *rs, const struct dhall_ctx *cx, struct dhall_expr *r,
		       const struct dhall_expr *t, unsigned depth)
{
	if (r->kind == DHALL_LAMBDA && r->op == EV_SRC_CLOSED) {
		if (r->c)
			return 0;
		return ev_normalize_interned(cx, &rs->intern, &rs->scratch, t, &r->c, rs->err);
	}
	if (r->kind != DHALL_RECORD || t->kind != DHALL_RECORD_TYPE || depth >= 8)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < t->n; j++)
			if (ev_str_eq(r->labels[i], t->labels[j])) {
				DHALL_TRY(learn_types(rs, cx, r->items[i], t->items[j], depth + 1));
				break;
			}
	return 0;
}

/* Marks the functions of an import's normal form r (closed, in normal
 * form: the root, and the fields of root records, nested) EV_SRC_CLOSED,
 * so that quoting their closures shares them (eval_int.h). r is ours: it
 * lives in the results arena. Bounded: only the top levels of a package
 * matter. */
static void mark_closed(struct dhall_expr *r, unsigned depth)
{
	if (r->kind == DHALL_LAMBDA)
		r->op = EV_SRC_CLOSED;
	else if (r->kind == DHALL_RECORD && depth < 8)
		for (size_t i = 0; i < r->n; i++)
			mark_closed(r->items[i], depth + 1);
}

/* noinline: walk recurses once per level of the tree (10,000 levels for a
 * long let chain) and must keep a small frame; this function's buffers
 * (paths, cache names) would otherwise be inlined into every level. */
__attribute__((noinline)) static int import_one(struct rs *rs, const struct file *f,
						const struct dhall_expr *e, struct dhall_expr **out)
{
	const struct dhall_import *im = e->u.import;
	struct loc l;
	int rc;
	char *data = NULL;
	size_t len = 0;
	uint8_t h[32];
	struct dhall_buf enc = {0};
	struct dhall_expr *r = NULL;

	struct ev_header *hdrs = NULL;
	size_t nhdrs = 0;
	if (im->headers && im->mode != DHALL_AS_LOCATION &&
	    (rc = inline_headers(rs, f, e, &hdrs, &nhdrs)))
		return rc;
	if ((rc = chain_loc(rs, f->loc, im, &l)))
		return rc;
	if (im->headers) {
		l.hdrs = hdrs;
		l.nhdrs = nhdrs;
	}
	if (im->mode == DHALL_AS_LOCATION) {
		if (!(*out = location_value(rs, &l)))
			return nomem(rs);
		return 0;
	}
	/* referential sanity: remote code may only import remote code */
	if (f->loc && f->loc->kind == L_REMOTE && l.kind != L_REMOTE && l.kind != L_MISSING)
		return fail_at(rs, 0, f->name, f->src, f->len, e,
			       "a remote import may not refer to '%s'", l.key);
	if (im->hash && im->mode == DHALL_AS_CODE && (r = cache_get(rs, im->hash))) {
		mark_closed(r, 0);
		*out = r;
		return 0;
	}
	for (const struct chain *c = f->chain; c; c = c->next)
		if (strcmp(c->key, l.key) == 0)
			return fail_at(rs, 0, f->name, f->src, f->len, e, "import cycle: '%s' imports itself",
				       l.key);
	for (struct memo *m = rs->memo; m; m = m->next)
		if (m->mode == im->mode && strcmp(m->key, l.key) == 0) {
			r = m->e;
			goto check_hash;
		}
	switch (l.kind) {
	case L_MISSING:
		return fail_at(rs, 1, f->name, f->src, f->len, e, "`missing` cannot be imported");
	case L_REMOTE:
		if ((rc = fetch_remote(rs, f, e, &l, &data, &len)))
			return rc;
		break;
	case L_ENV: {
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)l.env.len, l.env.s);
		const char *v = getenv(name);
		if (!v)
			return fail_at(rs, 1, f->name, f->src, f->len, e,
				       "environment variable '%s' is not set", name);
		if (!(data = strdup(v)))
			return nomem(rs);
		len = strlen(v);
		break;
	}
	default: {
		char *path = fs_path(&l);
		if (!path)
			return nomem(rs);
		if (read_file(path, &data, &len) != 0) {
			int err = errno;
			rc = fail_at(rs, err == ENOENT || err == ENOTDIR, f->name, f->src, f->len, e,
				     "cannot import '%s': %s", l.key, strerror(err));
			free(path);
			return rc;
		}
		free(path);
	}
	}
	if (im->mode == DHALL_AS_TEXT || im->mode == DHALL_AS_BYTES) {
		/* the data now lives in the results */
		char *copy = dhall_arena_strdup(rs->arena, data, len);
		free(data);
		if (!copy)
			return nomem(rs);
		if (im->mode == DHALL_AS_BYTES) {
			if (!(r = node(rs, DHALL_BYTES)))
				return nomem(rs);
			r->label = (struct dhall_str){copy, len};
		} else if (!utf8_valid((const unsigned char *)copy, len)) {
			return fail_at(rs, 0, f->name, f->src, f->len, e, "'%s' is not UTF-8 text",
				       l.key);
		} else if (!(r = text_node(rs, copy, len))) {
			return nomem(rs);
		}
	} else {
		struct dhall_expr *parsed, *resolved, *ty = NULL;
		struct dhall_ctx cx = rs->ctx ? *rs->ctx : (struct dhall_ctx){0};
		struct chain link = {l.key, f->chain};
		struct dhall_arena tree, *outer = rs->tree;
		/* the source, its parse tree and its type live in `tree`, freed
		 * once the normal form (which copies every string it keeps) is
		 * in the results */
		dhall_arena_init(&tree);
		char *copy = dhall_arena_strdup(&tree, data, len);
		free(data);
		if (!copy) {
			dhall_arena_free(&tree);
			return nomem(rs);
		}
		struct file child = {&l, l.key, copy, len, &link};
		cx.name = l.key;
		cx.src = copy;
		cx.len = len;
		if (++rs->depth > 1000) { /* import nesting; cycles are caught above */
			dhall_arena_free(&tree);
			return fail_at(rs, 0, f->name, f->src, f->len, e, "imports nested too deeply");
		}
		rs->tree = &tree;
		rc = dhall_parse(&tree, copy, len, l.key, &parsed, rs->err);
		if (rc)
			rs->recoverable = 0;
		else
			rc = walk(rs, &child, parsed, &resolved);
		rs->depth--;
		/* type-check, then the normal form into the results; its
		 * functions are marked and given their types (copied) */
		if (!rc && ((rc = ev_typeof_scratch(&cx, &tree, &rs->scratch, resolved, &ty,
						    rs->err)) ||
			    (rc = ev_normalize_interned(&cx, &rs->intern, &rs->scratch, resolved, &r,
							rs->err))))
			rs->recoverable = 0;
		if (!rc) {
			mark_closed(r, 0);
			rc = learn_types(rs, &cx, r, ty, 0);
		}
		rs->tree = outer;
		dhall_arena_free(&tree);
		if (rc)
			return rc;
	}
	struct memo *m = dhall_arena_alloc(rs->arena, sizeof *m);
	if (!m)
		return nomem(rs);
	*m = (struct memo){l.key, im->mode, r, rs->memo};
	rs->memo = m;
check_hash:
	if (im->hash) {
		if ((rc = hash_of(rs, r, &enc, h)))
			goto out;
		if (sodium_memcmp(h, im->hash, 32) != 0) {
			char want[65], got[65];
			sodium_bin2hex(want, sizeof want, im->hash, 32);
			sodium_bin2hex(got, sizeof got, h, 32);
			rc = fail_at(rs, 0, f->name, f->src, f->len, e,
				     "hash mismatch for '%s': expected sha256:%s, got sha256:%s", l.key,
				     want, got);
			goto out;
		}
		if (im->mode == DHALL_AS_CODE)
			cache_put(rs, h, &enc);
	}
	*out = r;
out:
	dhall_buf_free(&enc);
	return rc;
}

/* Copy-on-write walk: *out == e when nothing below changed. */
static int walk_slot(struct rs *rs, const struct file *f, struct dhall_expr **slot, int *changed)
{
	struct dhall_expr *n;
	int rc;
	if (!*slot)
		return 0;
	if ((rc = walk(rs, f, *slot, &n)))
		return rc;
	if (n != *slot) {
		*slot = n;
		*changed = 1;
	}
	return 0;
}

/* `a ? b` (noinline for the same reason as import_one: the saved error). */
__attribute__((noinline)) static int walk_alt(struct rs *rs, const struct file *f,
					      struct dhall_expr *e, struct dhall_expr **out)
{
	int rc;
	struct dhall_err saved = rs->err ? *rs->err : (struct dhall_err){0};
	rc = walk(rs, f, e->a, out);
	if (rc != DHALL_EIMPORT || !rs->recoverable)
		return rc;
	rc = walk(rs, f, e->b, out);
	if (rc == DHALL_EIMPORT && rs->recoverable && rs->err) {
		/* both failed: say so, keeping the first reason */
		char second[256];
		snprintf(second, sizeof second, "%s", rs->err->msg);
		*rs->err = saved;
		snprintf(rs->err->msg + strlen(rs->err->msg),
			 sizeof rs->err->msg - strlen(rs->err->msg), "; the alternative: %s",
			 second);
	}
	return rc;
}

/* A chain of n >= 2 `let`s (each the body of the one before): walked with
 * a loop, not n levels of recursion (10,000-binding chains are real), in
 * the order walk would (annotation, value, then the next let), rebuilt
 * copy-on-write from the innermost out. */
__attribute__((noinline)) static int walk_lets(struct rs *rs, const struct file *f,
					       struct dhall_expr *e, size_t n,
					       struct dhall_expr **out)
{
	struct link {
		struct dhall_expr node; /* the let with its walked c and a */
		struct dhall_expr *orig;
		int changed;
	} *chain = malloc(n * sizeof *chain);
	struct dhall_expr *body, *x = e;
	int rc = 0;
	if (!chain)
		return nomem(rs);
	for (size_t i = 0; i < n; i++, x = x->b) {
		chain[i] = (struct link){*x, x, 0};
		if ((rc = walk_slot(rs, f, &chain[i].node.c, &chain[i].changed)) ||
		    (rc = walk_slot(rs, f, &chain[i].node.a, &chain[i].changed)))
			goto out;
	}
	if ((rc = walk(rs, f, x, &body)))
		goto out;
	for (size_t i = n; i-- > 0;) {
		if (!chain[i].changed && body == chain[i].orig->b) {
			body = chain[i].orig;
			continue;
		}
		struct dhall_expr *c = dhall_arena_alloc_uninit(rs->tree, sizeof *c);
		if (!c) {
			rc = nomem(rs);
			goto out;
		}
		*c = chain[i].node;
		c->b = body;
		body = c;
	}
	*out = body;
out:
	free(chain);
	return rc;
}

static int walk(struct rs *rs, const struct file *f, struct dhall_expr *e, struct dhall_expr **out)
{
	struct dhall_expr c = *e;
	int rc, changed = 0;
	if (e->kind == DHALL_IMPORT)
		return import_one(rs, f, e, out);
	if (e->kind == DHALL_LET && e->b->kind == DHALL_LET) {
		size_t n = 0;
		for (const struct dhall_expr *x = e; x->kind == DHALL_LET; x = x->b)
			n++;
		return walk_lets(rs, f, e, n, out);
	}
	if (e->kind == DHALL_OP && e->op == DHALL_OP_ALT)
		return walk_alt(rs, f, e, out);
	switch ((enum dhall_kind)e->kind) {
	case DHALL_APP:
	case DHALL_TEXT:
	case DHALL_LIST:
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		if ((rc = walk_slot(rs, f, &c.a, &changed)))
			return rc;
		for (size_t i = 0; i < e->n; i++) {
			struct dhall_expr *item = e->items[i];
			int ch = 0;
			if ((rc = walk_slot(rs, f, &item, &ch)))
				return rc;
			if (ch) {
				if (c.items == e->items) {
					c.items = dhall_arena_alloc(rs->tree, e->n * sizeof *c.items);
					if (!c.items)
						return nomem(rs);
					memcpy(c.items, e->items, e->n * sizeof *c.items);
				}
				c.items[i] = item;
				changed = 1;
			}
		}
		break;
	case DHALL_LET:
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
		if ((rc = walk_slot(rs, f, &c.c, &changed)))
			return rc;
		/* fall through */
	default:
		if ((rc = walk_slot(rs, f, &c.a, &changed)) || (rc = walk_slot(rs, f, &c.b, &changed)))
			return rc;
		break;
	case DHALL_VAR:
	case DHALL_BUILTIN:
	case DHALL_BOOL:
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_BYTES:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE:
		break;
	}
	if (!changed) {
		*out = e;
		return 0;
	}
	struct dhall_expr *n = dhall_arena_alloc_uninit(rs->tree, sizeof *n);
	if (!n)
		return nomem(rs);
	*n = c;
	*out = n;
	return 0;
}

struct rjob {
	struct rs *rs;
	const struct dhall_expr *e;
	const char *base;
	struct dhall_expr **out;
};

static int resolve_main(void *p)
{
	struct rjob *j = p;
	struct rs *rs = j->rs;
	struct loc root;
	int rc = root_loc(rs, j->base, &root);
	if (rc)
		return rc;
	struct chain link = {root.key, NULL};
	struct file f = {&root, rs->ctx && rs->ctx->name ? rs->ctx->name : j->base,
			 rs->ctx ? rs->ctx->src : NULL, rs->ctx ? rs->ctx->len : 0, &link};
	return walk(rs, &f, (struct dhall_expr *)j->e, j->out);
}

int dhall_resolve(const struct dhall_ctx *ctx, struct dhall_arena *arena, const struct dhall_expr *e,
		  const char *base, struct dhall_expr **out, struct dhall_err *err)
{
	struct rs rs = {.ctx = ctx, .arena = arena, .tree = arena, .err = err};
	struct rjob j = {&rs, e, base, out};
	if (err)
		dhall_err_clear(err);
	dhall_arena_init(&rs.scratch);
	ev_intern_init(&rs.intern, arena);
	cache_dir_init(&rs);
	int rc = dhall_run_deep(resolve_main, &j);
	ev_intern_free(&rs.intern);
	dhall_arena_free(&rs.scratch);
	ev_remote_close(rs.curl);
	return rc;
}
