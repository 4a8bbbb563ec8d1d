/*
 * fuzz_gpt.c — the GPT reader (lib/disk/gpt.c) on hostile disks; sigil-init
 * runs it as PID 1 on whatever disk it boots from.
 *
 * Input: a sparse disk, so that small inputs reach both headers:
 *
 *   offset size field
 *   0      4    disk size in sectors, LE (taken modulo 16384, at least 3)
 *   4      4    H: bytes of the head, LE (clamped to what follows)
 *   8      H    the disk's first H bytes
 *   8+H    rest the disk's last bytes (ending at its end)
 *
 * Everything else reads as zeros; where head and tail meet, the head wins.
 *
 * Properties (abort on violation):
 *   - gpt_read never crashes, hangs or leaks, and fails only with
 *     DISK_E_FORMAT (it reads nothing outside the disk);
 *   - an accepted table has at most 128 partitions, each inside the usable
 *     LBAs, which lie inside the disk, none overlapping, names terminated;
 *   - gpt_find finds each partition by its GUID and type;
 *   - when gpt_build accepts the same partitions on a disk of the same size,
 *     reading that back gives them again (build/read round trip).
 *
 * Seeds in fuzz/corpus/fuzz_gpt/ are written by this file built as a
 * program: cc -DFUZZ_GPT_SEEDS -D_GNU_SOURCE -Ilib fuzz/fuzz_gpt.c
 * build/lib/libsigil.a -lsodium ... && ./a.out fuzz/corpus/fuzz_gpt
 * (valid tables, damaged primaries, damaged both, 0 and 128 partitions,
 * a UTF-16 name, a 1024-byte entry size, a disk too small).
 */
#include "disk/disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_gpt: check failed: %s (line %d)\n", #c, __LINE__);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct vdisk {
	uint64_t size;
	const uint8_t *head, *tail;
	size_t hlen, tlen;
};

static int vread(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct vdisk *v = ctx;
	uint8_t *out = buf;
	CHECK(off <= v->size && len <= v->size - off);
	for (size_t i = 0; i < len; i++) {
		uint64_t at = off + i;
		uint8_t b = 0;
		if (at < v->hlen)
			b = v->head[at];
		else if (at >= v->size - v->tlen)
			b = v->tail[at - (v->size - v->tlen)];
		out[i] = b;
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_disk(const gpt_disk *d, uint64_t sectors)
{
	CHECK(d->nparts <= GPT_ENTRIES);
	CHECK(d->first_usable <= d->last_usable && d->last_usable < sectors);
	for (size_t i = 0; i < d->nparts; i++) {
		const gpt_part *p = &d->parts[i];
		CHECK(p->first_lba <= p->last_lba);
		CHECK(p->first_lba >= d->first_usable && p->last_lba <= d->last_usable);
		CHECK(memchr(p->name, 0, sizeof p->name) != NULL);
		CHECK(!gpt_guid_is_zero(&p->type));
		for (size_t j = 0; j < i; j++)
			CHECK(p->last_lba < d->parts[j].first_lba || d->parts[j].last_lba < p->first_lba);
		const gpt_part *f = gpt_find(d, &p->guid, &p->type);
		CHECK(f && gpt_guid_equal(&f->guid, &p->guid));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	struct vdisk v;
	uint64_t sectors = le32(data) % 16384;
	if (sectors < 3)
		sectors = 3;
	size_t h = le32(data + 4);
	if (h > size - 8)
		h = size - 8;
	v.size = sectors * GPT_SECTOR;
	v.head = data + 8;
	v.hlen = h < v.size ? h : (size_t)v.size;
	v.tail = data + 8 + h;
	v.tlen = size - 8 - h < v.size ? size - 8 - h : (size_t)v.size;
	if (v.tlen < size - 8 - h)
		v.tail = data + size - v.tlen;

	gpt_disk *d = malloc(sizeof *d), *r = malloc(sizeof *r);
	disk_error err = {0};
	CHECK(d && r);
	int rc = gpt_read(vread, &v, v.size, d, &err);
	if (rc != 0) {
		CHECK(rc == DISK_E_FORMAT && err.msg[0]);
		goto out;
	}
	check_disk(d, sectors);

	/* round trip through the writer, when it accepts these partitions */
	uint8_t *head = malloc(GPT_HEAD_SECTORS * GPT_SECTOR), *tail = malloc(GPT_TAIL_SECTORS * GPT_SECTOR);
	CHECK(head && tail);
	if (gpt_build(d, head, tail, &err) == 0) {
		struct vdisk w = {.size = v.size, .head = head, .hlen = GPT_HEAD_SECTORS * GPT_SECTOR,
				  .tail = tail, .tlen = GPT_TAIL_SECTORS * GPT_SECTOR};
		CHECK(gpt_read(vread, &w, w.size, r, &err) == 0);
		CHECK(!r->from_backup && r->nparts == d->nparts && gpt_guid_equal(&r->guid, &d->guid));
		for (size_t i = 0; i < d->nparts; i++) {
			CHECK(gpt_guid_equal(&r->parts[i].guid, &d->parts[i].guid));
			CHECK(gpt_guid_equal(&r->parts[i].type, &d->parts[i].type));
			CHECK(r->parts[i].first_lba == d->parts[i].first_lba);
			CHECK(r->parts[i].last_lba == d->parts[i].last_lba);
			CHECK(strcmp(r->parts[i].name, d->parts[i].name) == 0);
		}
	}
	free(head);
	free(tail);
out:
	free(d);
	free(r);
	return 0;
}

#ifdef FUZZ_GPT_SEEDS
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void seed(const char *dir, const char *name, const gpt_disk *d, int damage)
{
	uint8_t head[GPT_HEAD_SECTORS * GPT_SECTOR], tail[GPT_TAIL_SECTORS * GPT_SECTOR], hdr[8];
	disk_error err = {0};
	char path[512];
	if (gpt_build(d, head, tail, &err)) {
		fprintf(stderr, "%s: %s\n", name, err.msg);
		exit(1);
	}
	if (damage & 1)
		head[512 + 24] ^= 1; /* primary header's own LBA */
	if (damage & 2)
		tail[sizeof tail - 512 + 88] ^= 1; /* backup's array CRC */
	if (damage & 4) {
		/* 1024-byte entries: rewrite the primary header's entry size and CRC */
		put32(head + 512 + 84, 1024);
		put32(head + 512 + 80, 16);
		put32(head + 512 + 88, disk_crc32(0, head + 1024, 16 * 1024));
		put32(head + 512 + 16, 0);
		put32(head + 512 + 16, disk_crc32(0, head + 512, 92));
	}
	if (damage & 8) {
		/* a UTF-16 surrogate pair and a lone surrogate in entry 1's name */
		uint8_t *n = head + 1024 + 56;
		n[0] = 0x3D, n[1] = 0xD8, n[2] = 0x00, n[3] = 0xDE, n[4] = 0x00, n[5] = 0xDC;
		put32(head + 512 + 88, disk_crc32(0, head + 1024, 128 * 128));
		put32(head + 512 + 16, 0);
		put32(head + 512 + 16, disk_crc32(0, head + 512, 92));
	}
	put32(hdr, (uint32_t)d->sectors);
	put32(hdr + 4, sizeof head);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(hdr, 1, 8, f) != 8 || fwrite(head, 1, sizeof head, f) != sizeof head ||
	    fwrite(tail, 1, sizeof tail, f) != sizeof tail || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	gpt_disk d;
	const char *dir = argc > 1 ? argv[1] : ".";
	memset(&d, 0, sizeof d);
	d.sectors = 10240;
	gpt_guid_derive(&d.guid, "disk", "urn:seed");
	const gpt_guid *types[3] = {&gpt_type_efi, &gpt_type_sigil_store, &gpt_type_linux};
	const char *roles[3] = {"esp", "store", "state"};
	for (int i = 0; i < 3; i++) {
		gpt_part *p = &d.parts[d.nparts++];
		p->type = *types[i];
		gpt_guid_derive(&p->guid, roles[i], "urn:seed");
		p->first_lba = 2048 + (uint64_t)i * 2048;
		p->last_lba = p->first_lba + 2047;
		snprintf(p->name, sizeof p->name, "sigil-%s", roles[i]);
	}
	seed(dir, "three", &d, 0);
	seed(dir, "three-primary-bad", &d, 1);
	seed(dir, "three-both-bad", &d, 3);
	seed(dir, "three-entry-1024", &d, 4);
	seed(dir, "three-utf16-name", &d, 8);
	gpt_disk e = d;
	e.nparts = 0;
	seed(dir, "empty", &e, 0);
	e.sectors = 68;
	seed(dir, "smallest", &e, 0);
	gpt_disk m = d;
	m.sectors = 16000;
	m.nparts = 0;
	for (int i = 0; i < GPT_ENTRIES; i++) {
		gpt_part *p = &m.parts[m.nparts++];
		char role[16];
		snprintf(role, sizeof role, "p%d", i);
		p->type = gpt_type_linux;
		gpt_guid_derive(&p->guid, role, "urn:seed");
		p->first_lba = 64 + (uint64_t)i * 100;
		p->last_lba = p->first_lba + 99;
	}
	seed(dir, "full-128", &m, 0);
	return 0;
}
#endif
