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
 * libcbor builds and parses the item tree; descriptions are small (a line
 * per file) and bounded by ELF_DESC_MAX. Before libcbor sees the bytes,
 * shape_ok() walks the heads: only byte strings, text, arrays and maps,
 * definite, with the shortest head for each length (so an accepted input is
 * the one encoding), nested at most 3 deep, and no count larger than the
 * bytes left could hold — libcbor allocates a container's declared size up
 * front, and a 4-byte head must not become a 32 GiB allocation.
 */
#include "elf_int.h"

#include <cbor.h>
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

/* Adds key -> value to map, consuming value; 0 or -1. */
static int put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
	cbor_item_t *k = cbor_build_string(key);
	int ok = k && value && cbor_map_add(map, (struct cbor_pair){.key = k, .value = value});

	if (k)
		cbor_decref(&k);
	if (value)
		cbor_decref(&value);
	return ok ? 0 : -1;
}

static int push(cbor_item_t *arr, cbor_item_t *item)
{
	int ok = item && cbor_array_push(arr, item);

	if (item)
		cbor_decref(&item);
	return ok ? 0 : -1;
}

static int check_env(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq && eq != e;
}

int elf_desc_encode(const elf_desc *d, uint8_t **out, size_t *len, elf_error *err)
{
	cbor_item_t *map = NULL, *env = NULL, *files = NULL;
	unsigned char *buf = NULL;
	size_t size = 0, n;
	int rc = ELF_E_NOMEM;

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
	map = cbor_new_definite_map(5);
	env = cbor_new_definite_array(d->n_env);
	files = cbor_new_definite_array(d->n_files);
	if (!map || !env || !files)
		goto out;
	for (size_t i = 0; i < d->n_env; i++)
		if (push(env, cbor_build_string(d->env[i])) != 0)
			goto out;
	for (size_t i = 0; i < d->n_files; i++) {
		uint8_t cap[ERIS_CAP_SIZE];
		cbor_item_t *pair = cbor_new_definite_array(2);
		eris_cap_pack(&d->files[i].cap, cap);
		if (!pair || push(pair, cbor_build_string(d->files[i].name)) != 0 ||
		    push(pair, cbor_build_bytestring(cap, sizeof cap)) != 0 || push(files, pair) != 0) {
			if (pair)
				cbor_decref(&pair);
			goto out;
		}
	}
	if (put(map, keys[0], cbor_build_string(format_name)) != 0 ||
	    put(map, keys[1], cbor_build_string(d->argv0)) != 0 ||
	    put(map, keys[2], cbor_build_string(d->exec)) != 0)
		goto out;
	{
		cbor_item_t *e = env, *f = files;
		int r1, r2;
		env = files = NULL;
		r1 = put(map, keys[3], e);
		r2 = put(map, keys[4], f);
		if (r1 != 0 || r2 != 0)
			goto out;
	}
	n = cbor_serialize_alloc(map, &buf, &size);
	if (n == 0)
		goto out;
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (rc != 0)
		elf_error_set(err, rc, "out of memory");
	free(buf);
	if (map)
		cbor_decref(&map);
	if (env)
		cbor_decref(&env);
	if (files)
		cbor_decref(&files);
	return rc;
}

/* A copy of a definite text string without NUL, or NULL. */
static char *text(const cbor_item_t *it)
{
	size_t n;
	char *s;

	if (!cbor_isa_string(it) || !cbor_string_is_definite(it))
		return NULL;
	n = cbor_string_length(it);
	if (memchr(cbor_string_handle(it), '\0', n))
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, cbor_string_handle(it), n);
	s[n] = '\0';
	return s;
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
		unsigned mt, ai, extra;
		while (d >= 0 && need[d] == 0)
			d--;
		if (d < 0)
			break;
		need[d]--;
		if (pos >= len)
			return 0;
		mt = data[pos] >> 5;
		ai = data[pos] & 31;
		pos++;
		if (ai < 24) {
			arg = ai;
			extra = 0;
		} else if (ai <= 27) {
			extra = 1u << (ai - 24);
			if (len - pos < extra)
				return 0;
			arg = 0;
			for (unsigned i = 0; i < extra; i++)
				arg = arg << 8 | data[pos + i];
			pos += extra;
			/* shortest form only */
			if ((extra == 1 && arg < 24) || (extra == 2 && arg <= 0xff) ||
			    (extra == 4 && arg <= 0xffff) || (extra == 8 && arg <= 0xffffffffu))
				return 0;
		} else {
			return 0; /* reserved or indefinite */
		}
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

static int is_key(const cbor_item_t *it, const char *key)
{
	return cbor_isa_string(it) && cbor_string_is_definite(it) &&
	       cbor_string_length(it) == strlen(key) &&
	       memcmp(cbor_string_handle(it), key, strlen(key)) == 0;
}

int elf_desc_decode(elf_desc *d, const uint8_t *data, size_t len, elf_error *err)
{
	struct cbor_load_result res;
	cbor_item_t *root = NULL;
	struct cbor_pair *pairs;
	cbor_item_t **items;
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
	root = cbor_load(data, len, &res);
	if (!root || res.error.code != CBOR_ERR_NONE || res.read != len) {
		elf_error_set(err, ELF_E_DESC, "not one cbor item");
		goto out;
	}
	if (!cbor_isa_map(root) || !cbor_map_is_definite(root) || cbor_map_size(root) != 5) {
		elf_error_set(err, ELF_E_DESC, "not a map of five keys");
		goto out;
	}
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < 5; i++)
		if (!is_key(pairs[i].key, keys[i])) {
			elf_error_set(err, ELF_E_DESC, "key %zu is not \"%s\"", i, keys[i]);
			goto out;
		}
	fmt = text(pairs[0].value);
	if (!fmt || strcmp(fmt, format_name) != 0) {
		elf_error_set(err, ELF_E_DESC, "not a \"%s\" description", format_name);
		goto out;
	}
	d->argv0 = text(pairs[1].value);
	d->exec = text(pairs[2].value);
	if (!d->argv0 || !d->exec) {
		elf_error_set(err, ELF_E_DESC, "argv0 or exec is not text");
		goto out;
	}
	if (!cbor_isa_array(pairs[3].value) || !cbor_array_is_definite(pairs[3].value) ||
	    !cbor_isa_array(pairs[4].value) || !cbor_array_is_definite(pairs[4].value)) {
		elf_error_set(err, ELF_E_DESC, "env or files is not an array");
		goto out;
	}
	items = cbor_array_handle(pairs[3].value);
	d->env = calloc(cbor_array_size(pairs[3].value) + 1, sizeof *d->env);
	if (!d->env) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cbor_array_size(pairs[3].value); i++) {
		d->env[i] = text(items[i]);
		if (d->env[i])
			d->n_env++;
		if (!d->env[i] || !check_env(d->env[i])) {
			elf_error_set(err, ELF_E_DESC, "env entry %zu is not NAME=VALUE text", i);
			goto out;
		}
	}
	items = cbor_array_handle(pairs[4].value);
	d->files = calloc(cbor_array_size(pairs[4].value) + 1, sizeof *d->files);
	if (!d->files) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cbor_array_size(pairs[4].value); i++) {
		cbor_item_t *p = items[i], **two;
		elf_desc_file *f = &d->files[i];
		eris_error ee;
		if (!cbor_isa_array(p) || !cbor_array_is_definite(p) || cbor_array_size(p) != 2) {
			elf_error_set(err, ELF_E_DESC, "file %zu is not a [name, cap] pair", i);
			goto out;
		}
		two = cbor_array_handle(p);
		f->name = text(two[0]);
		if (f->name)
			d->n_files++;
		if (!f->name || !elf_desc_check_name(f->name) ||
		    (i > 0 && strcmp(d->files[i - 1].name, f->name) >= 0)) {
			elf_error_set(err, ELF_E_DESC, "file %zu: bad, unsorted or repeated name", i);
			goto out;
		}
		if (!cbor_isa_bytestring(two[1]) || !cbor_bytestring_is_definite(two[1]) ||
		    eris_cap_unpack(&f->cap, cbor_bytestring_handle(two[1]),
				    cbor_bytestring_length(two[1]), &ee) != 0) {
			elf_error_set(err, ELF_E_DESC, "file \"%s\": bad read capability", f->name);
			goto out;
		}
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
	if (root)
		cbor_decref(&root);
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
