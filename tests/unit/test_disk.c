/*
 * test_disk.c — lib/disk: CRC-32 against its check value; GUID text and
 * on-disk forms (the EFI System type's known bytes) and derivation; GPT
 * round trips through gpt_build/gpt_read, checked by independent readers
 * (sfdisk --json, sgdisk -v) when installed; the backup copy used when the
 * primary header or entries are damaged, both damaged refused; invalid
 * layouts refused by the writer; the cpio writer's determinism (input
 * order does not matter), its output read back by GNU cpio, and its name
 * checks; module load order from a small modules.dep/softdep/alias.
 */
#include "tap.h"

#include "disk/disk.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static char dir[256];

static int have(const char *prog)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* the output of a shell command, malloc'd */
static char *capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (!p || !buf) {
		if (p)
			pclose(p);
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, cap - 1, p);
	buf[n] = 0;
	pclose(p);
	return buf;
}

static void test_crc(void)
{
	tap_ok(disk_crc32(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value of 123456789");
	uint32_t c = disk_crc32(0, "1234", 4);
	tap_ok(disk_crc32(c, "56789", 5) == 0xCBF43926u, "CRC-32 runs on across calls");
	tap_ok(disk_crc32(0, "", 0) == 0, "CRC-32 of nothing is 0");
}

static void test_guid(void)
{
	static const uint8_t efi[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
					0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
	gpt_guid g, h;
	char t[GPT_GUID_TEXT];
	tap_ok(memcmp(gpt_type_efi.b, efi, 16) == 0, "EFI System type GUID in on-disk byte order");
	tap_ok(gpt_guid_parse(&g, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b") == 0 &&
		       gpt_guid_equal(&g, &gpt_type_efi),
	       "lower-case text parses to the same GUID");
	gpt_guid_format(&gpt_type_sigil_store, t);
	tap_ok(strcmp(t, "ED0D3E17-888C-465F-B3CC-245A5D6F2FF4") == 0, "our store type GUID: %s", t);
	tap_ok(gpt_guid_parse(&g, "C12A7328F81F-11D2-BA4B-00A0C93EC93B0") < 0 &&
		       gpt_guid_parse(&g, "C12A7328-F81F-11D2-BA4B-00A0C93EC93G") < 0 &&
		       gpt_guid_parse(&g, "") < 0,
	       "malformed GUID texts are refused");
	const char *urn = "urn:eris:BIAJGW4JQOADZUD6CX2MCWR3FS2A2HZEXNCAJWUZEKDW2CECEOYBT44D42YPTF7DEUB3SX4"
			  "FRZFV3KHGLYTAK2SEBPRVHTXXKZT4YLRJIU";
	gpt_guid_derive(&g, "store", urn);
	gpt_guid_derive(&h, "store", urn);
	tap_ok(gpt_guid_equal(&g, &h), "derivation is deterministic");
	gpt_guid_format(&g, t);
	tap_ok(t[14] == '4' && strchr("89AB", t[19]) != NULL, "derived GUID is version 4, variant 10: %s",
	       t);
	gpt_guid_derive(&h, "state", urn);
	tap_ok(!gpt_guid_equal(&g, &h), "another role, another GUID");
	tap_ok(gpt_guid_parse(&h, t) == 0 && gpt_guid_equal(&g, &h), "format then parse round-trips");
}

static void sample_disk(gpt_disk *d)
{
	memset(d, 0, sizeof *d);
	d->sectors = 64 * 2048; /* 64 MiB */
	gpt_guid_derive(&d->guid, "disk", "urn:test");
	const char *names[3] = {"sigil-esp", "sigil-store", "sigil-state"};
	const gpt_guid *types[3] = {&gpt_type_efi, &gpt_type_sigil_store, &gpt_type_linux};
	const char *roles[3] = {"esp", "store", "state"};
	uint64_t at = 2048;
	for (int i = 0; i < 3; i++) {
		gpt_part *p = &d->parts[d->nparts++];
		p->type = *types[i];
		gpt_guid_derive(&p->guid, roles[i], "urn:test");
		p->first_lba = at;
		p->last_lba = at + 16 * 2048 - 1;
		snprintf(p->name, sizeof p->name, "%s", names[i]);
		at += 16 * 2048;
	}
}

static uint8_t *image_of(const gpt_disk *d)
{
	size_t len = (size_t)d->sectors * GPT_SECTOR;
	uint8_t *img = calloc(1, len);
	uint8_t head[GPT_HEAD_SECTORS * GPT_SECTOR], tail[GPT_TAIL_SECTORS * GPT_SECTOR];
	disk_error err = {0};
	if (!img || gpt_build(d, head, tail, &err)) {
		tap_diag("gpt_build: %s", err.msg);
		free(img);
		return NULL;
	}
	memcpy(img, head, sizeof head);
	memcpy(img + len - sizeof tail, tail, sizeof tail);
	return img;
}

static int same_parts(const gpt_disk *a, const gpt_disk *b)
{
	if (a->nparts != b->nparts || !gpt_guid_equal(&a->guid, &b->guid))
		return 0;
	for (size_t i = 0; i < a->nparts; i++) {
		const gpt_part *p = &a->parts[i], *q = &b->parts[i];
		if (!gpt_guid_equal(&p->type, &q->type) || !gpt_guid_equal(&p->guid, &q->guid) ||
		    p->first_lba != q->first_lba || p->last_lba != q->last_lba ||
		    strcmp(p->name, q->name) != 0)
			return 0;
	}
	return 1;
}

static void test_gpt_roundtrip(void)
{
	gpt_disk d, r;
	disk_error err = {0};
	sample_disk(&d);
	size_t len = (size_t)d.sectors * GPT_SECTOR;
	uint8_t *img = image_of(&d);
	if (!tap_ok(img != NULL, "gpt_build writes a three-partition table"))
		return;
	tap_ok(img[510] == 0x55 && img[511] == 0xAA && img[446 + 4] == 0xEE,
	       "protective MBR: 55 AA, one partition of type EE");
	tap_ok(memcmp(img + 512, "EFI PART", 8) == 0 && memcmp(img + len - 512, "EFI PART", 8) == 0,
	       "primary header at LBA 1, backup in the last LBA");
	tap_ok(gpt_read_mem(img, len, &r, &err) == 0 && !r.from_backup, "gpt_read_mem reads it: %s",
	       err.msg);
	tap_ok(same_parts(&d, &r), "the same disk GUID and partitions come back");
	tap_ok(r.first_usable == 34 && r.last_usable == d.sectors - 34, "usable LBAs 34..N-34");
	const gpt_part *p = gpt_find(&r, NULL, &gpt_type_sigil_store);
	tap_ok(p && strcmp(p->name, "sigil-store") == 0 && p->index == 1, "gpt_find by type GUID");
	tap_ok(p && gpt_find(&r, &p->guid, NULL) == p, "gpt_find by partition GUID");
	gpt_guid other;
	gpt_guid_derive(&other, "nothing", "urn:test");
	tap_ok(gpt_find(&r, &other, NULL) == NULL, "gpt_find: an unknown GUID is not found");

	/* damage: primary header, then primary entries, then both */
	uint8_t *copy = malloc(len);
	memcpy(copy, img, len);
	copy[512 + 40] ^= 1;
	tap_ok(gpt_read_mem(copy, len, &r, &err) == 0 && r.from_backup && same_parts(&d, &r),
	       "a damaged primary header: the backup is used");
	memcpy(copy, img, len);
	copy[1024 + 130] ^= 0x80;
	tap_ok(gpt_read_mem(copy, len, &r, &err) == 0 && r.from_backup && same_parts(&d, &r),
	       "damaged primary entries: the backup is used");
	copy[len - 512 + 20] ^= 1;
	int rc = gpt_read_mem(copy, len, &r, &err);
	tap_ok(rc == DISK_E_FORMAT && strstr(err.msg, "primary") && strstr(err.msg, "backup"),
	       "both damaged: refused, naming both (%s)", err.msg);
	tap_ok(gpt_read_mem(img, 1000, &r, &err) < 0, "a truncated disk is refused");
	free(copy);

	/* an independent reader: sfdisk --json, sgdisk -v */
	char path[400], cmd[600];
	snprintf(path, sizeof path, "%s/gpt.img", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int wrc = fd >= 0 && ftruncate(fd, (off_t)len) == 0 ? gpt_write_fd(fd, &d, &err) : -1;
	if (fd >= 0)
		close(fd);
	tap_ok(wrc == 0, "gpt_write_fd to a file");
	if (have("sfdisk")) {
		snprintf(cmd, sizeof cmd, "sfdisk --json %s 2>&1", path);
		char *out = capture(cmd);
		json_error_t je;
		json_t *j = out ? json_loads(out, 0, &je) : NULL;
		json_t *pt = json_object_get(j, "partitiontable");
		json_t *ps = json_object_get(pt, "partitions");
		int good = json_is_array(ps) && json_array_size(ps) == 3;
		char t[GPT_GUID_TEXT];
		gpt_guid_format(&d.guid, t);
		good = good && strcmp(json_string_value(json_object_get(pt, "id")), t) == 0;
		for (size_t i = 0; good && i < 3; i++) {
			json_t *e = json_array_get(ps, i);
			gpt_guid_format(&d.parts[i].guid, t);
			good = good && strcmp(json_string_value(json_object_get(e, "uuid")), t) == 0;
			gpt_guid_format(&d.parts[i].type, t);
			good = good && strcmp(json_string_value(json_object_get(e, "type")), t) == 0;
			good = good && (uint64_t)json_integer_value(json_object_get(e, "start")) ==
					       d.parts[i].first_lba;
			good = good && strcmp(json_string_value(json_object_get(e, "name")),
					      d.parts[i].name) == 0;
		}
		tap_ok(good, "sfdisk --json reads the same GUIDs, types, starts and names");
		json_decref(j);
		free(out);
	} else {
		tap_skip("sfdisk is not installed (fdisk)", "sfdisk --json agrees");
	}
	if (have("sgdisk")) {
		snprintf(cmd, sizeof cmd, "sgdisk -v %s 2>&1", path);
		char *out = capture(cmd);
		tap_ok(out && strstr(out, "No problems found"), "sgdisk -v finds no problems (CRCs, backup)");
		free(out);
	} else {
		tap_skip("sgdisk is not installed (gdisk)", "sgdisk -v finds no problems");
	}
	unlink(path);
	free(img);
}

static void test_gpt_writer_checks(void)
{
	gpt_disk d;
	disk_error err = {0};
	uint8_t head[GPT_HEAD_SECTORS * GPT_SECTOR], tail[GPT_TAIL_SECTORS * GPT_SECTOR];
	sample_disk(&d);
	d.parts[1].first_lba = d.parts[0].last_lba;
	tap_ok(gpt_build(&d, head, tail, &err) == DISK_E_ARG && strstr(err.msg, "overlap"),
	       "overlapping partitions are refused");
	sample_disk(&d);
	d.parts[2].last_lba = d.sectors - 1;
	tap_ok(gpt_build(&d, head, tail, &err) == DISK_E_ARG, "a partition over the backup GPT is refused");
	sample_disk(&d);
	d.parts[2].guid = d.parts[0].guid;
	tap_ok(gpt_build(&d, head, tail, &err) == DISK_E_ARG, "two partitions with one GUID are refused");
	sample_disk(&d);
	snprintf(d.parts[0].name, sizeof d.parts[0].name, "%s", "a-name-of-more-than-36-characters-long");
	tap_ok(gpt_build(&d, head, tail, &err) == DISK_E_ARG, "a name over 36 characters is refused");
	sample_disk(&d);
	d.sectors = 50;
	tap_ok(gpt_build(&d, head, tail, &err) == DISK_E_ARG, "a disk too small is refused");
}

struct mem {
	uint8_t *data;
	size_t len;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;
	uint8_t *p = realloc(m->data, m->len + len);
	if (!p)
		return -1;
	memcpy(p + m->len, buf, len);
	m->data = p;
	m->len += len;
	return 0;
}

static void test_cpio(void)
{
	char path[400], file[400], cmd[1200];
	disk_error err = {0};
	snprintf(file, sizeof file, "%s/payload", dir);
	FILE *f = fopen(file, "w");
	fputs("from a file\n", f);
	fclose(f);
	cpio_entry e[] = {
		{.name = "init", .mode = S_IFREG | 0755, .path = file},
		{.name = "etc/sigil/cmdline", .mode = S_IFREG | 0644, .data = "sigil.system=x\n", .size = 15},
		{.name = "dev/console", .mode = S_IFCHR | 0600, .rdev_major = 5, .rdev_minor = 1},
		{.name = "bin/sh", .mode = S_IFLNK | 0777, .data = "/init", .size = 5},
		{.name = "tmp", .mode = S_IFDIR | 01777},
	};
	cpio_entry rev[5];
	for (int i = 0; i < 5; i++)
		rev[i] = e[4 - i];
	struct mem a = {0}, b = {0};
	tap_ok(cpio_write(e, 5, 1234, mem_write, &a, &err) == 0, "cpio_write: %s", err.msg);
	tap_ok(cpio_write(rev, 5, 1234, mem_write, &b, &err) == 0 && a.len == b.len &&
		       memcmp(a.data, b.data, a.len) == 0,
	       "the same entries in another order give the same bytes");
	tap_ok(a.len % 512 == 0 && memcmp(a.data, "070701", 6) == 0,
	       "newc magic, padded to 512 bytes");
	tap_ok(memmem(a.data, a.len, "TRAILER!!!", 11) != NULL, "ends with TRAILER!!!");
	snprintf(path, sizeof path, "%s/a.cpio", dir);
	f = fopen(path, "w");
	fwrite(a.data, 1, a.len, f);
	fclose(f);
	if (have("cpio")) {
		snprintf(cmd, sizeof cmd, "cpio -it --quiet < %s 2>&1 | tr '\\n' ' '", path);
		char *out = capture(cmd);
		tap_ok(out && strcmp(out, "bin bin/sh dev dev/console etc etc/sigil etc/sigil/cmdline "
					  "init tmp ") == 0,
		       "cpio -t: sorted, parent directories added (%s)", out ? out : "");
		free(out);
		snprintf(cmd, sizeof cmd, "cpio -i --quiet --to-stdout init < %s", path);
		out = capture(cmd);
		tap_ok(out && strcmp(out, "from a file\n") == 0, "a file's content read from its path");
		free(out);
		snprintf(cmd, sizeof cmd, "cpio -itv --quiet < %s 2>&1 | grep -c ' root  *root ' | tr -d '\\n'", path);
		out = capture(cmd);
		tap_ok(out && strtol(out, NULL, 10) == 9, "every member owned by root (%s)", out ? out : "");
		free(out);
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("cpio is not installed", "cpio -t reads the archive");
	}
	unlink(path);
	const char *bad[] = {"", "/abs", "a/../b", "a//b", "a/", "./a", "..", "a/."};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cpio_entry x = {.name = bad[i], .mode = S_IFREG | 0644, .data = "", .size = 0};
		struct mem m = {0};
		refused += cpio_write(&x, 1, 0, mem_write, &m, &err) == DISK_E_ARG;
		free(m.data);
	}
	tap_ok(refused == (int)(sizeof bad / sizeof bad[0]), "invalid names are refused (%d of %zu)",
	       refused, sizeof bad / sizeof bad[0]);
	cpio_entry dup[2] = {e[1], e[1]};
	struct mem m = {0};
	tap_ok(cpio_write(dup, 2, 0, mem_write, &m, &err) == DISK_E_ARG, "a name listed twice is refused");
	cpio_entry notdir[2] = {{.name = "a", .mode = S_IFREG | 0644, .data = "x", .size = 1},
				{.name = "a/b", .mode = S_IFREG | 0644, .data = "y", .size = 1}};
	tap_ok(cpio_write(notdir, 2, 0, mem_write, &m, &err) == DISK_E_ARG,
	       "a file with members is refused");
	tap_ok(cpio_write(e, 5, 1ull << 33, mem_write, &m, &err) == DISK_E_ARG,
	       "an mtime past 2106 is refused");
	free(m.data);
	free(a.data);
	free(b.data);
	unlink(file);
}

static void test_modules(void)
{
	const char *dep = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
			  "kernel/fs/jbd2/jbd2.ko\n"
			  "kernel/lib/crc16.ko:\n"
			  "kernel/fs/mbcache.ko:\n"
			  "kernel/fs/jbd2/jbd2.ko:\n"
			  "kernel/crypto/crc32c_generic.ko:\n"
			  "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
			  "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko "
			  "kernel/drivers/virtio/virtio_ring.ko\n"
			  "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
			  "kernel/drivers/virtio/virtio_ring.ko:\n"
			  "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n";
	const char *soft = "# comment\nsoftdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crypto-crc32c\n";
	const char *alias = "alias crypto-crc32c crc32c_intel\nalias crypto-crc32c crc32c_generic\n";
	const char *builtin = "kernel/lib/crc32.ko\n";
	const char *want[] = {"virtio-pci", "ext4", "crc32", "virtio_ring"};
	char **out = NULL;
	size_t n = 0;
	disk_error err = {0};
	int rc = img_modules_resolve(dep, soft, alias, builtin, want, 4, &out, &n, &err);
	char got[1024] = "";
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(got);
		snprintf(got + l, sizeof got - l, "%s%s", i ? " " : "", strrchr(out[i], '/') + 1);
	}
	tap_ok(rc == 0 && strcmp(got, "virtio_ring.ko virtio.ko virtio_pci.ko crc32c_generic.ko "
				      "jbd2.ko mbcache.ko crc16.ko ext4.ko") == 0,
	       "load order: dependencies first, soft deps via a *_generic alias, built-ins left "
	       "out (%s)",
	       got);
	img_modules_free(out, n);
	const char *missing[] = {"nosuch"};
	tap_ok(img_modules_resolve(dep, soft, alias, builtin, missing, 1, &out, &n, &err) ==
			       DISK_E_NOTFOUND &&
		       strstr(err.msg, "nosuch"),
	       "a module that is not there is named: %s", err.msg);
	const char *cyc[] = {"a"};
	tap_ok(img_modules_resolve(dep, soft, alias, builtin, cyc, 1, &out, &n, &err) == DISK_E_FORMAT,
	       "a dependency cycle is refused: %s", err.msg);
	tap_ok(img_modules_resolve("no colon here\n", NULL, NULL, NULL, want, 1, &out, &n, &err) ==
		       DISK_E_FORMAT,
	       "a malformed modules.dep is refused");

	/* groups: virtio-pci's and ext4's stacks need nothing of each other;
	 * crc32c_generic is ext4's (a soft dependency of ext4 and jbd2) */
	size_t *groups = NULL;
	const char *two[] = {"virtio-pci", "ext4"};
	rc = img_modules_resolve_groups(dep, soft, alias, builtin, two, 2, &out, &n, &groups, &err);
	char gs[256] = "";
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t l = strlen(gs);
		snprintf(gs + l, sizeof gs - l, "%s%s:%zu", i ? " " : "", strrchr(out[i], '/') + 1,
			 groups[i]);
	}
	tap_ok(rc == 0 && strcmp(gs, "virtio_ring.ko:0 virtio.ko:0 virtio_pci.ko:0 "
				     "crc32c_generic.ko:1 jbd2.ko:1 mbcache.ko:1 crc16.ko:1 "
				     "ext4.ko:1") == 0,
	       "groups: modules joined by a dependency (hard or soft) share one, numbered in "
	       "order (%s)",
	       gs);
	img_modules_free(out, n);
	free(groups);
}

/* img_module_unsigned_len on a signed, an unsigned and broken trailers. */
static void test_module_signature(void)
{
	static const char marker[] = "~Module signature appended~\n";
	uint8_t m[200];
	size_t k = 0, body = 100, signer = 3, keyid = 5, sig = 40;
	memset(m, 0x7f, sizeof m);
	/* body, then signer + key id + PKCS#7 bytes, the 12-byte struct, the marker */
	size_t at = body + signer + keyid + sig;
	uint8_t *ms = m + at;
	memset(ms, 0, 12);
	ms[3] = (uint8_t)signer;
	ms[4] = (uint8_t)keyid;
	ms[11] = (uint8_t)sig;
	memcpy(ms + 12, marker, sizeof marker - 1);
	size_t len = at + 12 + sizeof marker - 1;
	int rc = img_module_unsigned_len(m, len, &k);
	tap_ok(rc == 0 && k == body,
	       "a signed module: the signature starts after the body (%zu of %zu bytes)", k, len);
	tap_ok(img_module_unsigned_len(m, body, &k) == 0 && k == body,
	       "an unsigned module is kept whole");
	ms[11] = 200; /* a signature longer than the file */
	tap_ok(img_module_unsigned_len(m, len, &k) == DISK_E_FORMAT,
	       "a signature length past the start of the file is refused");
	ms[11] = 0;
	ms[3] = ms[4] = 0;
	tap_ok(img_module_unsigned_len(m, len, &k) == DISK_E_FORMAT,
	       "an empty signature is refused");
	tap_ok(img_module_unsigned_len(ms + 12 - 4, 4 + sizeof marker - 1, &k) == DISK_E_FORMAT,
	       "a marker with no room for its struct before it is refused");
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/sigil-disk.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_crc();
	test_guid();
	test_gpt_roundtrip();
	test_gpt_writer_checks();
	test_cpio();
	test_modules();
	test_module_signature();
	rmdir(dir);
	return tap_done();
}
