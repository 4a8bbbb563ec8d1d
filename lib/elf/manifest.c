/*
 * manifest.c — eris-manifest.json, in the shape the original Sigil's
 * eris-patch-hook wrote into nix-support/ (so Nix tooling like its
 * lib.getEris can read ours):
 *
 *   { "<program path>": { "cap": "urn:eris:…",
 *                         "closure": { "<path>": "urn:eris:…", … } }, … }
 *
 * "cap" is the URN of the patched program; "closure" holds every other file
 * of its closure: libraries and the interpreter under the path they were
 * found at, extras under their source path (each with the URN of its stored,
 * patched-if-ELF content). Keys are sorted (bytewise) at both levels, so the
 * same import gives the same bytes. The closure description's URN (what
 * sigil import prints) is not part of this shape.
 *
 * JSON strings are escaped per RFC 8259: '"', '\\', control characters;
 * bytes >= 0x80 pass through (paths are bytes; valid UTF-8 stays valid).
 */
#include "elf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (elf_grow(&b->p, &b->cap, b->len + n + 1, 1) != 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void adds(struct sbuf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void add_json(struct sbuf *b, const char *s)
{
	adds(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			add(b, esc, 2);
		} else if (*p < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			adds(b, esc);
		} else {
			add(b, (const char *)p, 1);
		}
	}
	adds(b, "\"");
}

struct kv {
	const char *k, *v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static int cmp_closure(const void *a, const void *b)
{
	const elf_closure *x = *(const elf_closure *const *)a, *y = *(const elf_closure *const *)b;
	return strcmp(x->program_path, y->program_path);
}

int elf_manifest_json(const elf_closure *const *cs, size_t n, char **out, elf_error *err)
{
	struct sbuf b = {0};
	const elf_closure **sorted = NULL;
	struct kv *kv = NULL;
	int rc = 0;

	*out = NULL;
	sorted = calloc(n ? n : 1, sizeof *sorted);
	if (!sorted)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	memcpy(sorted, cs, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_closure);
	adds(&b, "{");
	for (size_t i = 0; i < n; i++) {
		const elf_closure *c = sorted[i];
		size_t m = 0, k = 0;
		if (i > 0 && strcmp(sorted[i - 1]->program_path, c->program_path) == 0)
			continue; /* the same program imported twice: once */
		kv = calloc(c->n + c->n_extras + 1, sizeof *kv);
		if (!kv) {
			rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
			goto out;
		}
		for (size_t j = 0; j < c->n; j++)
			if (j != c->program && c->nodes[j].reached)
				kv[m++] = (struct kv){c->nodes[j].path, c->nodes[j].urn};
		for (size_t j = 0; j < c->n_extras; j++)
			kv[m++] = (struct kv){c->extras[j].source, c->nodes[c->extras[j].node].urn};
		qsort(kv, m, sizeof *kv, cmp_kv);
		adds(&b, i ? ",\n  " : "\n  ");
		add_json(&b, c->program_path);
		adds(&b, ": {\n    \"cap\": ");
		add_json(&b, c->nodes[c->program].urn);
		adds(&b, ",\n    \"closure\": {");
		for (size_t j = 0; j < m; j++) {
			if (j > 0 && strcmp(kv[j - 1].k, kv[j].k) == 0)
				continue;
			adds(&b, k++ ? ",\n      " : "\n      ");
			add_json(&b, kv[j].k);
			adds(&b, ": ");
			add_json(&b, kv[j].v);
		}
		adds(&b, k ? "\n    }\n  }" : "}\n  }");
		free(kv);
		kv = NULL;
	}
	adds(&b, n ? "\n}\n" : "}\n");
	if (b.oom) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	*out = b.p;
	b.p = NULL;
out:
	free(kv);
	free(sorted);
	free(b.p);
	return rc;
}
