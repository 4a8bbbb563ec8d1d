/*
 * vectors.c — loading the official ERIS test vectors (JSON; every binary
 * field is unpadded upper-case base32). See vectors.h.
 */
#include "vectors.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int b32_field(json_t *obj, const char *key, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t n = 0;

	if (!s)
		return -1;
	*out = malloc(strlen(s) + 1);
	if (!*out)
		return -1;
	if (eris_b32_decode(*out, strlen(s) + 1, &n, s, strlen(s)) != 0)
		return -1;
	*len = n;
	return 0;
}

static int b32_fixed(json_t *obj, const char *key, uint8_t *out, size_t want)
{
	uint8_t *tmp = NULL;
	size_t n = 0;
	int rc = b32_field(obj, key, &tmp, &n);

	if (rc == 0 && n == want)
		memcpy(out, tmp, want);
	free(tmp);
	return rc == 0 && n == want ? 0 : -1;
}

static int load_one(const char *path, struct tv *v)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *rc_obj, *blocks;
	const char *key, *s;
	json_t *val;
	int rc = -1;

	memset(v, 0, sizeof *v);
	if (!root) {
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
		return -1;
	}
	v->id = (int)json_integer_value(json_object_get(root, "id"));
	s = json_string_value(json_object_get(root, "type"));
	v->positive = s && strcmp(s, "positive") == 0;
	s = json_string_value(json_object_get(root, "name"));
	snprintf(v->name, sizeof v->name, "%s", s ? s : "?");
	s = json_string_value(json_object_get(root, "urn"));
	snprintf(v->urn, sizeof v->urn, "%s", s ? s : "");
	if (v->positive) {
		if (b32_field(root, "content", &v->content, &v->content_len) != 0 ||
		    b32_fixed(root, "convergence-secret", v->secret, ERIS_SECRET_SIZE) != 0)
			goto out;
		v->block_size = (uint32_t)json_integer_value(json_object_get(root, "block-size"));
	}
	rc_obj = json_object_get(root, "read-capability");
	v->cap.block_size = (uint32_t)json_integer_value(json_object_get(rc_obj, "block-size"));
	v->cap.level = (uint8_t)json_integer_value(json_object_get(rc_obj, "level"));
	if (b32_fixed(rc_obj, "root-reference", v->cap.ref, ERIS_REF_SIZE) != 0 ||
	    b32_fixed(rc_obj, "root-key", v->cap.key, ERIS_KEY_SIZE) != 0)
		goto out;
	blocks = json_object_get(root, "blocks");
	v->blocks = calloc(json_object_size(blocks) + 1, sizeof *v->blocks);
	if (!v->blocks)
		goto out;
	json_object_foreach(blocks, key, val)
	{
		struct tv_block *b = &v->blocks[v->nblocks];
		s = json_string_value(val);
		if (!s || eris_ref_from_b32(b->ref, key, strlen(key)) != 0)
			goto out;
		b->data = malloc(strlen(s));
		if (!b->data || eris_b32_decode(b->data, strlen(s), &b->len, s, strlen(s)) != 0)
			goto out;
		v->nblocks++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	return ((const struct tv *)a)->id - ((const struct tv *)b)->id;
}

int tv_load_all(const char *dir, struct tv **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct tv *v = NULL;
	int n = 0;
	char path[4096];

	*out = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		struct tv *nv = realloc(v, (size_t)(n + 1) * sizeof *v);
		if (!nv)
			break;
		v = nv;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (load_one(path, &v[n]) != 0) {
			fprintf(stderr, "%s: cannot load test vector\n", path);
			n++;
			tv_free_all(v, n);
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof *v, by_id);
	*out = v;
	return n;
}

void tv_free_all(struct tv *v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i].content);
		for (size_t k = 0; k < v[i].nblocks; k++)
			free(v[i].blocks[k].data);
		free(v[i].blocks);
	}
	free(v);
}

/* Copies, so that both ways of answering are exercised (mem: is zero-copy). */
int tv_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
	   const uint8_t **block, size_t *len, eris_error *err)
{
	struct tv *v = ctx;

	(void)err;
	for (size_t i = 0; i < v->nblocks; i++) {
		if (memcmp(v->blocks[i].ref, ref, ERIS_REF_SIZE) != 0)
			continue;
		if (v->blocks[i].len > size)
			return ERIS_E_SIZE;
		memcpy(buf, v->blocks[i].data, v->blocks[i].len);
		*block = buf;
		*len = v->blocks[i].len;
		return 0;
	}
	return ERIS_E_MISSING;
}
