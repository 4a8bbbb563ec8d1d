/*
 * pack.c — the store partition's content: exactly the blocks a system
 * reaches, in a pack of its own size (docs/pack-format.md).
 *
 * What a system reaches, from its root capability: the description (CBOR,
 * docs/system-format.md); per child (in the description's order), the
 * closure description its `binary` names and every file that lists; every
 * ROM module's `urn`. Each of these trees is walked with eris_walk, which
 * verifies every block, and each block is recorded once, in the order it
 * was first reached. Copying them into a fresh pack in that order, with
 * one flush at the end, gives the same pack bytes for the same system (the
 * pack's UUID is the caller's: derived from the root capability).
 */
#include "disk/disk.h"

#include "dhall/dhall.h"
#include "elf/elf.h"
#include "store/refset.h"
#include "system/sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum { DESC_MAX = 64 << 20 };

struct walk {
	img_blocks *b;
	refset seen;
	int nomem;
};

static int visit(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs,
		 int level)
{
	struct walk *w = ctx;
	img_blocks *b = w->b;
	(void)block;
	(void)level;
	int r = refset_add(&w->seen, ref);
	if (r < 0)
		goto nomem;
	if (r == 0)
		return 0;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		uint8_t(*nr)[ERIS_REF_SIZE] = realloc(b->ref, nc * sizeof *nr);
		if (!nr)
			goto nomem;
		b->ref = nr;
		uint32_t *nl = realloc(b->len, nc * sizeof *nl);
		if (!nl)
			goto nomem;
		b->len = nl;
		b->cap = nc;
	}
	memcpy(b->ref[b->n], ref, ERIS_REF_SIZE);
	b->len[b->n] = (uint32_t)bs;
	b->n++;
	b->bytes += bs;
	return 0;
nomem:
	w->nomem = 1;
	return -1;
}

static int walk_urn(store *s, struct walk *w, const char *urn, const char *what, disk_error *err)
{
	eris_cap cap;
	eris_error e = {0};
	if (eris_cap_from_urn(&cap, urn, &e))
		return disk_error_set(err, DISK_E_STORE, "%s: '%s' is not a URN: %s", what, urn,
				      e.msg);
	if (eris_walk(&cap, store_eris_get, s, visit, w, NULL, &e)) {
		if (w->nomem)
			return disk_error_set(err, DISK_E_NOMEM, "out of memory");
		return disk_error_set(err, DISK_E_STORE, "%s (%s): %s", what, urn, e.msg);
	}
	return 0;
}

struct membuf {
	uint8_t *data;
	size_t len, cap;
};

static int mem_write(void *ctx, const uint8_t *data, size_t len)
{
	struct membuf *m = ctx;
	if (len > DESC_MAX - m->len)
		return -1;
	if (m->len + len > m->cap) {
		size_t nc = m->cap ? m->cap : 4096;
		while (nc < m->len + len)
			nc *= 2;
		uint8_t *p = realloc(m->data, nc);
		if (!p)
			return -1;
		m->data = p, m->cap = nc;
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

/* Decodes and loads the description of root_urn into sys (arena-allocated). */
static int load_system(store *s, const char *root_urn, struct dhall_arena *arena,
		       struct sys_system *sys, disk_error *err)
{
	struct membuf desc = {0};
	struct sys_report rep = {0};
	eris_error e = {0};
	eris_cap cap;
	int rc = 0;
	if (eris_cap_from_urn(&cap, root_urn, &e) ||
	    eris_decode(&cap, store_eris_get, s, mem_write, &desc, NULL, &e)) {
		rc = disk_error_set(err, DISK_E_STORE, "the system description: %s", e.msg);
		goto out;
	}
	if (sys_load_cbor(arena, desc.data, desc.len, root_urn, sys, &rep) || rep.errors)
		rc = disk_error_set(err, DISK_E_STORE, "%s is not a system description%s%s",
				    root_urn, rep.n ? ": " : "", rep.n ? rep.d[0].msg : "");
out:
	free(desc.data);
	sys_report_free(&rep);
	return rc;
}

int img_system_needs(store *s, const char *root_urn, size_t *uplinks, size_t *states,
		     disk_error *err)
{
	struct dhall_arena arena;
	struct sys_system sys = {0};
	int rc;
	*uplinks = *states = 0;
	dhall_arena_init(&arena);
	if ((rc = load_system(s, root_urn, &arena, &sys, err)) == 0)
		for (size_t i = 0; i < sys.nchildren; i++) {
			const struct sys_child *c = &sys.children[i];
			*uplinks += c->uplink.present != 0;
			for (size_t m = 0; m < c->nmounts; m++)
				*states += c->mounts[m].kind == SYS_MOUNT_STATE;
		}
	dhall_arena_free(&arena);
	return rc;
}

int img_blocks_collect(store *s, const char *root_urn, img_blocks *b, disk_error *err)
{
	struct walk w = {.b = b};
	struct dhall_arena arena;
	struct sys_system sys = {0};
	int rc;

	memset(b, 0, sizeof *b);
	refset_init(&w.seen);
	dhall_arena_init(&arena);
	if ((rc = walk_urn(s, &w, root_urn, "the system description", err)))
		goto out;
	if ((rc = load_system(s, root_urn, &arena, &sys, err)))
		goto out;
	for (size_t i = 0; i < sys.nchildren; i++) {
		const struct sys_child *c = &sys.children[i];
		char what[512];
		elf_desc d = {0};
		elf_error ee = {0};
		snprintf(what, sizeof what, "child '%s': binary", c->name);
		if ((rc = walk_urn(s, &w, c->binary, what, err)))
			goto out;
		if (elf_desc_load(&d, s, c->binary, &ee)) {
			rc = disk_error_set(err, DISK_E_STORE, "child '%s': %s", c->name, ee.msg);
			goto out;
		}
		for (size_t k = 0; k < d.n_files && !rc; k++) {
			char urn[ERIS_URN_LEN + 1];
			snprintf(what, sizeof what, "child '%s': file '%s'", c->name, d.files[k].name);
			if (eris_cap_to_urn(&d.files[k].cap, urn, sizeof urn))
				rc = disk_error_set(err, DISK_E_STORE, "%s: bad capability", what);
			else
				rc = walk_urn(s, &w, urn, what, err);
		}
		elf_desc_release(&d);
		if (rc)
			goto out;
		for (size_t k = 0; k < c->nroms; k++) {
			if (c->roms[k].kind != SYS_ROM_URN) {
				rc = disk_error_set(err, DISK_E_STORE,
						    "child '%s': ROM '%s' is not built (no urn)",
						    c->name, c->roms[k].name);
				goto out;
			}
			snprintf(what, sizeof what, "child '%s': ROM '%s'", c->name, c->roms[k].name);
			if ((rc = walk_urn(s, &w, c->roms[k].value, what, err)))
				goto out;
		}
	}
out:
	if (rc)
		img_blocks_free(b);
	dhall_arena_free(&arena);
	refset_free(&w.seen);
	return rc;
}

void img_blocks_free(img_blocks *b)
{
	free(b->ref);
	free(b->len);
	memset(b, 0, sizeof *b);
}

uint64_t img_pack_capacity(const img_blocks *b)
{
	/* header and commit slots, then one record per block; the index
	 * record twice over (the flush and the close may each write one) */
	uint64_t need = 3 * 4096, index = 64 + ((40 * (uint64_t)b->n + 63) & ~(uint64_t)63);
	for (size_t i = 0; i < b->n; i++)
		need += 64 + ((b->len[i] + 63) & ~(uint64_t)63);
	need += 2 * index;
	return (need + 4095) & ~(uint64_t)4095;
}

int img_pack_write(store *s, const img_blocks *b, const char *path, uint64_t capacity,
		   const uint8_t uuid[16], disk_error *err)
{
	store *dst = NULL;
	eris_error e = {0};
	char spec[4200];
	uint8_t *buf = malloc(ERIS_BLOCK_MAX);
	int rc = 0;

	if (!buf)
		return disk_error_set(err, DISK_E_NOMEM, "out of memory");
	if (store_pack_format(path, capacity, uuid, &e)) {
		rc = disk_error_set(err, DISK_E_IO, "cannot format the pack '%s': %s", path, e.msg);
		goto out;
	}
	snprintf(spec, sizeof spec, "pack:%s", path);
	if (store_open(&dst, spec, STORE_WRITE, &e)) {
		rc = disk_error_set(err, DISK_E_IO, "cannot open '%s': %s", spec, e.msg);
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		size_t len;
		if (store_get(s, b->ref[i], buf, ERIS_BLOCK_MAX, &len, &e)) {
			rc = disk_error_set(err, DISK_E_STORE, "%s", e.msg);
			goto out;
		}
		if (store_put(dst, b->ref[i], buf, len, &e)) {
			rc = disk_error_set(err, DISK_E_IO, "cannot write to the pack: %s", e.msg);
			goto out;
		}
	}
	if (store_flush(dst, &e))
		rc = disk_error_set(err, DISK_E_IO, "cannot flush the pack: %s", e.msg);
out:
	if (dst)
		store_close(dst);
	free(buf);
	return rc;
}
