/*
 * desc.c — the closure description: what `sigil import` prints the URN of and
 * `sigil exec` loads. It names every file /rom must hold, so one URN is
 * enough to find a whole program, its libraries and its declared extras.
 *
 * CBOR (RFC 8949), one definite map with exactly these five keys, in this
 * order (CDDL):
 *
 *   closure = {
 *     "sigil": "closure/1",        ; format and version
 *     "argv0": tstr,               ; argv[0] for the program (its name as imported)
 *     "exec":  tstr,               ; the file to run: one of files' names (a URN)
 *     "env":   [* tstr],           ; "NAME=VALUE", set for the program
 *     "files": [* [tstr, bstr .size 66]],  ; name under /rom, read capability
 *   }
 *
 * Invariants checked on decode (the bytes come from a store: their integrity
 * is the URN's, but their sense is ours to check): definite lengths only, no
 * trailing bytes, text without NUL, names relative with no empty, "." or ".."
 * part and strictly increasing (sorted, unique), a name starting with
 * "urn:eris:" equal to the URN of its own capability, exec among the names,
 * env entries of the form NAME=VALUE. Encoding writes exactly this form, so
 * the same closure always gives the same bytes (and URN).
 *
 * Written and read by hand (no libcbor: sigil-init links this statically
 * and Debian has no libcbor.a); descriptions are small (a line per file)
 * and bounded by ELF_DESC_MAX. Before anything is decoded, shape_ok()
 * walks the heads: only byte strings, text, arrays and maps, definite,
 * with the shortest head for each length (so an accepted input is the one
 * encoding), nested at most 3 deep, and no count larger than the bytes
 * left could hold (so a 4-byte head never becomes a 32 GiB allocation).
 * The decoder then walks the same bytes with a cursor that needs no
 * bounds checks of its own.
 */
#include "elf_int.h"

#include "cbor/cbor_head.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static const char format_name[] = "closure/1";
static const char *const keys[] = {"sigil", "argv0", "exec", "env", "files"};

int elf_desc_check_name(const char *name)
{
	const char *p = name;
	size_t len = strlen(name);

	if (len == 0 || len >= 4096 || name[0] == '/')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return 0; /* trailing slash */
	}
	return 1;
}

void elf_desc_release(elf_desc *d)
{
	if (!d)
		return;
	free(d->argv0);
	free(d->exec);
	for (size_t i = 0; i < d->n_env; i++)
		free(d->env[i]);
	free(d->env);
	for (size_t i = 0; i < d->n_files; i++)
		free(d->files[i].name);
	free(d->files);
	memset(d, 0, sizeof *d);
}

/* The encoder's growing buffer; `bad` sticks once an allocation fails. */
struct obuf {
	uint8_t *p;
	size_t n, cap;
	int bad;
};

static void o_put(struct obuf *o, const void *d, size_t len)
{
	if (o->bad || elf_grow(&o->p, &o->cap, o->n + len, 1) != 0) {
		o->bad = 1;
		return;
	}
	memcpy(o->p + o->n, d, len);
	o->n += len;
}

/* A head of major type mt with argument v, in its shortest form. */
static void o_head(struct obuf *o, unsigned mt, uint64_t v)
{
	uint8_t h[CBOR_HEAD_MAX];
	o_put(o, h, cbor_head_put(h, mt, v));
}

static void o_text(struct obuf *o, const char *t)
{
	o_head(o, 3, strlen(t));
	o_put(o, t, strlen(t));
}

static int check_env(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq && eq != e;
}

int elf_desc_encode(const elf_desc *d, uint8_t **out, size_t *len, elf_error *err)
{
	struct obuf o = {0};

	*out = NULL;
	*len = 0;
	if (!d->argv0 || !d->exec)
		return elf_error_set(err, ELF_E_ARG, "no argv0 or exec");
	for (size_t i = 0; i < d->n_files; i++)
		if (!elf_desc_check_name(d->files[i].name) ||
		    (i > 0 && strcmp(d->files[i - 1].name, d->files[i].name) >= 0))
			return elf_error_set(err, ELF_E_ARG, "file names must be valid, sorted, unique");
	for (size_t i = 0; i < d->n_env; i++)
		if (!check_env(d->env[i]))
			return elf_error_set(err, ELF_E_ARG, "environment entry \"%s\" is not NAME=VALUE",
					     d->env[i]);
	o_head(&o, 5, 5);
	o_text(&o, keys[0]);
	o_text(&o, format_name);
	o_text(&o, keys[1]);
	o_text(&o, d->argv0);
	o_text(&o, keys[2]);
	o_text(&o, d->exec);
	o_text(&o, keys[3]);
	o_head(&o, 4, d->n_env);
	for (size_t i = 0; i < d->n_env; i++)
		o_text(&o, d->env[i]);
	o_text(&o, keys[4]);
	o_head(&o, 4, d->n_files);
	for (size_t i = 0; i < d->n_files; i++) {
		uint8_t cap[ERIS_CAP_SIZE];
		eris_cap_pack(&d->files[i].cap, cap);
		o_head(&o, 4, 2);
		o_text(&o, d->files[i].name);
		o_head(&o, 2, sizeof cap);
		o_put(&o, cap, sizeof cap);
	}
	if (o.bad) {
		free(o.p);
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	}
	*out = o.p;
	*len = o.n;
	return 0;
}

enum { MAX_DEPTH = 4 };

/* 1 when data is one CBOR item of the shape described above. */
static int shape_ok(const uint8_t *data, size_t len)
{
	uint64_t need[MAX_DEPTH];
	size_t pos = 0;
	int d = 0;

	need[0] = 1;
	for (;;) {
		uint64_t arg;
		unsigned mt;
		while (d >= 0 && need[d] == 0)
			d--;
		if (d < 0)
			break;
		need[d]--;
		struct cbor_head h;
		int hn = cbor_head_get(data + pos, len - pos, &h);
		if (hn < 0 || h.indefinite || !h.shortest)
			return 0; /* truncated, reserved, indefinite or not shortest */
		pos += (size_t)hn;
		mt = h.major;
		arg = h.arg;
		switch (mt) {
		case 2:
		case 3:
			if (arg > len - pos)
				return 0;
			pos += (size_t)arg;
			break;
		case 4:
		case 5:
			if (mt == 5 && arg > (len - pos) / 2)
				return 0;
			if (arg > len - pos || d + 1 >= MAX_DEPTH)
				return 0;
			d++;
			need[d] = mt == 5 ? arg * 2 : arg;
			break;
		default:
			return 0;
		}
	}
	return pos == len;
}

/* A cursor over bytes shape_ok() accepted: every head is well formed and
 * every length is inside the data. */
struct cur {
	const uint8_t *p;
	size_t pos, len;
};

/* The next head: major type and argument. */
static unsigned c_head(struct cur *c, uint64_t *arg)
{
	struct cbor_head h = {0};
	int n = cbor_head_get(c->p + c->pos, c->len - c->pos, &h);
	c->pos += n > 0 ? (size_t)n : 1; /* the input was checked whole before */
	*arg = h.arg;
	return h.major;
}

/* The next item as a text string without NUL, malloc'ed; NULL when it is
 * something else (it is skipped over only when it is text or bytes). */
static char *c_text(struct cur *c)
{
	uint64_t n;
	size_t at = c->pos;
	unsigned mt = c_head(c, &n);
	if (mt != 3) {
		c->pos = at;
		return NULL;
	}
	const uint8_t *t = c->p + c->pos;
	c->pos += (size_t)n;
	if (memchr(t, '\0', (size_t)n))
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, t, (size_t)n);
	s[n] = '\0';
	return s;
}

static int c_key(struct cur *c, const char *key)
{
	char *k = c_text(c);
	int ok = k && strcmp(k, key) == 0;
	free(k);
	return ok;
}

int elf_desc_decode(elf_desc *d, const uint8_t *data, size_t len, elf_error *err)
{
	struct cur c = {data, 0, len};
	uint64_t n;
	char *fmt = NULL;
	int rc = ELF_E_DESC, found = 0;

	memset(d, 0, sizeof *d);
	if (len > ELF_DESC_MAX)
		return elf_error_set(err, ELF_E_DESC, "description of %zu bytes is too large", len);
	if (!shape_ok(data, len)) {
		elf_error_set(err, ELF_E_DESC, "not one definite, shortest-form cbor map of text, "
					       "bytes and arrays");
		goto out;
	}
	if (c_head(&c, &n) != 5 || n != 5) {
		elf_error_set(err, ELF_E_DESC, "not a map of five keys");
		goto out;
	}
	if (!c_key(&c, keys[0])) {
		elf_error_set(err, ELF_E_DESC, "key %d is not \"%s\"", 0, keys[0]);
		goto out;
	}
	fmt = c_text(&c);
	if (!fmt || strcmp(fmt, format_name) != 0) {
		elf_error_set(err, ELF_E_DESC, "not a \"%s\" description", format_name);
		goto out;
	}
	if (!c_key(&c, keys[1]) || !(d->argv0 = c_text(&c)) || !c_key(&c, keys[2]) ||
	    !(d->exec = c_text(&c))) {
		elf_error_set(err, ELF_E_DESC, "no argv0 and exec texts under their keys");
		goto out;
	}
	if (!c_key(&c, keys[3]) || c_head(&c, &n) != 4) {
		elf_error_set(err, ELF_E_DESC, "env is not an array under its key");
		goto out;
	}
	d->env = calloc((size_t)n + 1, sizeof *d->env);
	if (!d->env) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		d->env[i] = c_text(&c);
		if (d->env[i])
			d->n_env++;
		if (!d->env[i] || !check_env(d->env[i])) {
			elf_error_set(err, ELF_E_DESC, "env entry %zu is not NAME=VALUE text", i);
			goto out;
		}
	}
	if (!c_key(&c, keys[4]) || c_head(&c, &n) != 4) {
		elf_error_set(err, ELF_E_DESC, "files is not an array under its key");
		goto out;
	}
	d->files = calloc((size_t)n + 1, sizeof *d->files);
	if (!d->files) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		elf_desc_file *f = &d->files[i];
		eris_error ee;
		uint64_t two, blen;
		if (c_head(&c, &two) != 4 || two != 2) {
			elf_error_set(err, ELF_E_DESC, "file %zu is not a [name, cap] pair", i);
			goto out;
		}
		f->name = c_text(&c);
		if (f->name)
			d->n_files++;
		if (!f->name || !elf_desc_check_name(f->name) ||
		    (i > 0 && strcmp(d->files[i - 1].name, f->name) >= 0)) {
			elf_error_set(err, ELF_E_DESC, "file %zu: bad, unsorted or repeated name", i);
			goto out;
		}
		if (c_head(&c, &blen) != 2 ||
		    eris_cap_unpack(&f->cap, c.p + c.pos, (size_t)blen, &ee) != 0) {
			elf_error_set(err, ELF_E_DESC, "file \"%s\": bad read capability", f->name);
			goto out;
		}
		c.pos += (size_t)blen;
		if (strncmp(f->name, "urn:eris:", 9) == 0) {
			char urn[ERIS_URN_LEN + 1];
			if (eris_cap_to_urn(&f->cap, urn, sizeof urn) != 0 || strcmp(urn, f->name) != 0) {
				elf_error_set(err, ELF_E_DESC, "file \"%s\": name and capability differ",
					      f->name);
				goto out;
			}
		}
		if (strcmp(f->name, d->exec) == 0)
			found = 1;
	}
	if (!found) {
		elf_error_set(err, ELF_E_DESC, "exec \"%s\" is not among the files", d->exec);
		goto out;
	}
	rc = 0;
out:
	free(fmt);
	if (rc != 0)
		elf_desc_release(d);
	return rc;
}

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int mem_write(void *ctx, const uint8_t *data, size_t len)
{
	struct membuf *m = ctx;

	if (len > ELF_DESC_MAX || m->len + len > ELF_DESC_MAX)
		return -1;
	if (elf_grow(&m->p, &m->cap, m->len + len, 1) != 0)
		return -1;
	memcpy(m->p + m->len, data, len);
	m->len += len;
	return 0;
}

int elf_desc_load(elf_desc *d, store *s, const char *urn, elf_error *err)
{
	struct membuf m = {0};
	eris_cap cap;
	int rc;

	memset(d, 0, sizeof *d);
	memset(&err->eris, 0, sizeof err->eris);
	elf_copy(err->file, sizeof err->file, urn);
	if (eris_cap_from_urn(&cap, urn, &err->eris) != 0)
		return elf_error_set(err, ELF_E_ARG, "malformed urn \"%s\"", urn);
	rc = eris_decode(&cap, store_eris_get, s, mem_write, &m, NULL, &err->eris);
	if (rc != 0) {
		rc = elf_error_set(err, ELF_E_ERIS, "closure description %s: %s", urn,
				   err->eris.msg);
		goto out;
	}
	rc = elf_desc_decode(d, m.p ? m.p : (const uint8_t *)"", m.len, err);
	if (rc != 0)
		elf_error_prefix(err, "%s", urn);
out:
	free(m.p);
	return rc;
}
