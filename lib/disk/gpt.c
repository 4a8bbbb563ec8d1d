/*
 * gpt.c — the GUID Partition Table (UEFI 2.10 §5.3), written and read.
 *
 * What we write for a disk of N sectors (512 bytes each):
 *
 *   LBA 0          protective MBR: one partition, type 0xEE, LBA 1 .. N-1
 *   LBA 1          primary header
 *   LBA 2..33      primary entry array: 128 entries of 128 bytes
 *   LBA 34..N-34   usable: the partitions
 *   LBA N-33..N-2  backup entry array (the same bytes)
 *   LBA N-1        backup header
 *
 * Protective MBR (LBA 0):
 *
 *   offset size field
 *   0      446  zero (no boot code)
 *   446    16   partition record: 00, CHS 00 02 00, type EE, CHS FF FF FF,
 *               start LBA 1 (LE32), size min(N-1, 0xFFFFFFFF) (LE32)
 *   462    48   zero (three empty records)
 *   510    2    55 AA
 *
 * Header (all integers little-endian):
 *
 *   offset size field
 *   0      8    signature "EFI PART"
 *   8      4    revision 0x00010000
 *   12     4    header size, 92
 *   16     4    CRC-32 of the header's first `header size` bytes, this field 0
 *   20     4    reserved, 0
 *   24     8    this header's LBA
 *   32     8    the other header's LBA
 *   40     8    first usable LBA
 *   48     8    last usable LBA
 *   56     16   disk GUID
 *   72     8    LBA of this copy's entry array
 *   80     4    number of entries (128)
 *   84     4    size of an entry (128)
 *   88     4    CRC-32 of the entry array (number x size bytes)
 *   92     420  zero
 *
 * Entry:
 *
 *   offset size field
 *   0      16   partition type GUID (zero: entry unused)
 *   16     16   unique partition GUID
 *   32     8    first LBA
 *   40     8    last LBA (inclusive)
 *   48     8    attributes
 *   56     72   name, UTF-16LE, NUL-padded
 *
 * The reader is strict (it runs as PID 1 on whatever disk it is given, and
 * under fuzz_gpt): signature, revision 1.x, header size 92..512, both CRCs,
 * the header's own LBA, usable range inside the disk and clear of the
 * entry array, entry size 128..1024 and a multiple of 8, the array at most
 * 1 MiB, used entries inside the usable range and not overlapping, at most
 * 128 of them. A primary copy that fails any of these is replaced by the
 * backup; when both fail the error names both reasons.
 */
#include "disk/disk.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum {
	HDR_SIZE = 92,
	ARRAY_SECTORS = GPT_ENTRIES * GPT_ENTRY_SIZE / GPT_SECTOR, /* 32 */
	ARRAY_MAX = 1 << 20,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int gpt_layout(gpt_disk *d, disk_error *err)
{
	if (d->sectors < GPT_HEAD_SECTORS + GPT_TAIL_SECTORS + 1)
		return disk_error_set(err, DISK_E_ARG, "a disk of %llu sectors is too small for a GPT",
				      (unsigned long long)d->sectors);
	d->first_usable = GPT_HEAD_SECTORS;
	d->last_usable = d->sectors - GPT_TAIL_SECTORS - 1;
	return 0;
}

static void write_header(uint8_t *h, const gpt_disk *d, uint64_t my, uint64_t other,
			 uint64_t array_lba, uint32_t array_crc)
{
	memset(h, 0, GPT_SECTOR);
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x00010000);
	put32(h + 12, HDR_SIZE);
	put64(h + 24, my);
	put64(h + 32, other);
	put64(h + 40, d->first_usable);
	put64(h + 48, d->last_usable);
	memcpy(h + 56, d->guid.b, 16);
	put64(h + 72, array_lba);
	put32(h + 80, GPT_ENTRIES);
	put32(h + 84, GPT_ENTRY_SIZE);
	put32(h + 88, array_crc);
	put32(h + 16, disk_crc32(0, h, HDR_SIZE));
}

int gpt_build(const gpt_disk *din, uint8_t head[GPT_HEAD_SECTORS * GPT_SECTOR],
	      uint8_t tail[GPT_TAIL_SECTORS * GPT_SECTOR], disk_error *err)
{
	gpt_disk d = *din;
	int rc;
	if ((rc = gpt_layout(&d, err)))
		return rc;
	if (d.nparts > GPT_ENTRIES)
		return disk_error_set(err, DISK_E_ARG, "%zu partitions: at most %d", d.nparts,
				      GPT_ENTRIES);
	if (gpt_guid_is_zero(&d.guid))
		return disk_error_set(err, DISK_E_ARG, "the disk GUID is zero");
	memset(head, 0, GPT_HEAD_SECTORS * GPT_SECTOR);
	memset(tail, 0, GPT_TAIL_SECTORS * GPT_SECTOR);
	uint8_t *array = head + 2 * GPT_SECTOR;
	for (size_t i = 0; i < d.nparts; i++) {
		const gpt_part *p = &d.parts[i];
		uint8_t *e = array + i * GPT_ENTRY_SIZE;
		if (gpt_guid_is_zero(&p->type) || gpt_guid_is_zero(&p->guid))
			return disk_error_set(err, DISK_E_ARG, "partition %zu: a zero GUID", i + 1);
		if (gpt_guid_equal(&p->guid, &d.guid))
			return disk_error_set(err, DISK_E_ARG, "partition %zu has the disk's GUID",
					      i + 1);
		if (p->first_lba > p->last_lba || p->first_lba < d.first_usable ||
		    p->last_lba > d.last_usable)
			return disk_error_set(err, DISK_E_ARG,
					      "partition %zu (LBA %llu..%llu) is outside %llu..%llu",
					      i + 1, (unsigned long long)p->first_lba,
					      (unsigned long long)p->last_lba,
					      (unsigned long long)d.first_usable,
					      (unsigned long long)d.last_usable);
		for (size_t j = 0; j < i; j++) {
			const gpt_part *q = &d.parts[j];
			if (gpt_guid_equal(&p->guid, &q->guid))
				return disk_error_set(err, DISK_E_ARG,
						      "partitions %zu and %zu have the same GUID",
						      j + 1, i + 1);
			if (p->first_lba <= q->last_lba && q->first_lba <= p->last_lba)
				return disk_error_set(err, DISK_E_ARG,
						      "partitions %zu and %zu overlap", j + 1,
						      i + 1);
		}
		size_t nl = strlen(p->name);
		if (nl > GPT_NAME_MAX)
			return disk_error_set(err, DISK_E_ARG, "partition name '%s' is over %d characters",
					      p->name, GPT_NAME_MAX);
		memcpy(e, p->type.b, 16);
		memcpy(e + 16, p->guid.b, 16);
		put64(e + 32, p->first_lba);
		put64(e + 40, p->last_lba);
		put64(e + 48, p->attrs);
		for (size_t k = 0; k < nl; k++) {
			unsigned char c = (unsigned char)p->name[k];
			if (c < 0x20 || c > 0x7e)
				return disk_error_set(err, DISK_E_ARG,
						      "partition %zu: the name is not printable ASCII",
						      i + 1);
			put16(e + 56 + 2 * k, c);
		}
	}
	uint32_t array_crc = disk_crc32(0, array, GPT_ENTRIES * GPT_ENTRY_SIZE);
	uint64_t last = d.sectors - 1;

	/* protective MBR */
	uint8_t *m = head + 446;
	m[1] = 0x00, m[2] = 0x02, m[3] = 0x00, m[4] = 0xEE, m[5] = 0xFF, m[6] = 0xFF, m[7] = 0xFF;
	put32(m + 8, 1);
	put32(m + 12, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)last);
	head[510] = 0x55, head[511] = 0xAA;

	write_header(head + GPT_SECTOR, &d, 1, last, 2, array_crc);
	memcpy(tail, array, GPT_ENTRIES * GPT_ENTRY_SIZE);
	write_header(tail + ARRAY_SECTORS * GPT_SECTOR, &d, last, 1, last - ARRAY_SECTORS,
		     array_crc);
	return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, len -= (size_t)w, off += (uint64_t)w;
	}
	return 0;
}

int gpt_write_fd(int fd, const gpt_disk *d, disk_error *err)
{
	uint8_t *head = malloc(GPT_HEAD_SECTORS * GPT_SECTOR), *tail = malloc(GPT_TAIL_SECTORS * GPT_SECTOR);
	int rc = 0;
	if (!head || !tail) {
		rc = disk_error_set(err, DISK_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = gpt_build(d, head, tail, err)))
		goto out;
	if (pwrite_all(fd, head, GPT_HEAD_SECTORS * GPT_SECTOR, 0) < 0 ||
	    pwrite_all(fd, tail, GPT_TAIL_SECTORS * GPT_SECTOR,
		       (d->sectors - GPT_TAIL_SECTORS) * GPT_SECTOR) < 0)
		rc = disk_error_set(err, DISK_E_IO, "cannot write the partition table: %s",
				    strerror(errno));
out:
	free(head);
	free(tail);
	return rc;
}

/* ---------------------------------------------------------------- reading */

/* UTF-16LE name (72 bytes) to UTF-8; anything not a valid code point is '?'. */
static void name_utf8(const uint8_t *in, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < GPT_NAME_MAX; i++) {
		uint32_t c = (uint32_t)in[2 * i] | (uint32_t)in[2 * i + 1] << 8;
		if (c == 0)
			break;
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < GPT_NAME_MAX) {
			uint32_t lo = (uint32_t)in[2 * i + 2] | (uint32_t)in[2 * i + 3] << 8;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i++;
			} else {
				c = '?';
			}
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = '?';
		}
		uint8_t u[4];
		size_t n;
		if (c < 0x80) {
			u[0] = (uint8_t)c, n = 1;
		} else if (c < 0x800) {
			u[0] = (uint8_t)(0xC0 | c >> 6), u[1] = (uint8_t)(0x80 | (c & 0x3F)), n = 2;
		} else if (c < 0x10000) {
			u[0] = (uint8_t)(0xE0 | c >> 12), u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
			u[2] = (uint8_t)(0x80 | (c & 0x3F)), n = 3;
		} else {
			u[0] = (uint8_t)(0xF0 | c >> 18), u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
			u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)), u[3] = (uint8_t)(0x80 | (c & 0x3F));
			n = 4;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = 0;
}

/* Checks one copy (header at LBA `my`) and fills d; 0 or DISK_E_FORMAT/IO
 * with the reason in why. */
static int read_copy(gpt_read_fn rd, void *ctx, uint64_t sectors, uint64_t my, gpt_disk *d,
		     char *why, size_t wsize)
{
	uint8_t h[GPT_SECTOR];
	uint8_t *array = NULL;
	int rc = DISK_E_FORMAT;

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(why, wsize, __VA_ARGS__);                                                 \
		goto out;                                                                          \
	} while (0)

	if (rd(ctx, my * GPT_SECTOR, h, sizeof h) < 0) {
		rc = DISK_E_IO;
		BAD("cannot read LBA %llu", (unsigned long long)my);
	}
	if (memcmp(h, "EFI PART", 8) != 0)
		BAD("no GPT signature");
	if (get32(h + 8) >> 16 != 1)
		BAD("revision %#x", get32(h + 8));
	uint32_t hs = get32(h + 12);
	if (hs < HDR_SIZE || hs > GPT_SECTOR)
		BAD("header size %u", hs);
	uint32_t want = get32(h + 16);
	memset(h + 16, 0, 4);
	if (disk_crc32(0, h, hs) != want)
		BAD("header CRC mismatch");
	if (get64(h + 24) != my)
		BAD("the header says it is at LBA %llu", (unsigned long long)get64(h + 24));
	uint64_t first = get64(h + 40), last = get64(h + 48), alba = get64(h + 72);
	uint32_t n = get32(h + 80), esize = get32(h + 84);
	if (first > last || last >= sectors || first < 2)
		BAD("usable LBAs %llu..%llu on a disk of %llu sectors", (unsigned long long)first,
		    (unsigned long long)last, (unsigned long long)sectors);
	if (esize < GPT_ENTRY_SIZE || esize > 1024 || esize % 8)
		BAD("entry size %u", esize);
	if (n == 0 || (uint64_t)n * esize > ARRAY_MAX)
		BAD("%u entries of %u bytes", n, esize);
	size_t asize = (size_t)n * esize;
	uint64_t asec = (asize + GPT_SECTOR - 1) / GPT_SECTOR;
	if (alba < 1 || alba >= sectors || asec > sectors - alba || alba == my ||
	    (my >= alba && my < alba + asec) || !(alba + asec <= first || alba > last))
		BAD("entry array at LBA %llu (%llu sectors) is misplaced",
		    (unsigned long long)alba, (unsigned long long)asec);
	if (!(array = malloc(asize))) {
		rc = DISK_E_NOMEM;
		BAD("out of memory");
	}
	if (rd(ctx, alba * GPT_SECTOR, array, asize) < 0) {
		rc = DISK_E_IO;
		BAD("cannot read the entry array");
	}
	if (disk_crc32(0, array, asize) != get32(h + 88))
		BAD("entry array CRC mismatch");
	memset(d, 0, sizeof *d);
	d->sectors = sectors;
	d->first_usable = first;
	d->last_usable = last;
	memcpy(d->guid.b, h + 56, 16);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = array + (size_t)i * esize;
		gpt_part p;
		memcpy(p.type.b, e, 16);
		if (gpt_guid_is_zero(&p.type))
			continue;
		if (d->nparts == GPT_ENTRIES)
			BAD("more than %d partitions", GPT_ENTRIES);
		memcpy(p.guid.b, e + 16, 16);
		p.first_lba = get64(e + 32);
		p.last_lba = get64(e + 40);
		p.attrs = get64(e + 48);
		p.index = i;
		name_utf8(e + 56, p.name, sizeof p.name);
		if (p.first_lba > p.last_lba || p.first_lba < first || p.last_lba > last)
			BAD("entry %u (LBA %llu..%llu) is outside the usable LBAs", i + 1,
			    (unsigned long long)p.first_lba, (unsigned long long)p.last_lba);
		for (size_t j = 0; j < d->nparts; j++)
			if (p.first_lba <= d->parts[j].last_lba && d->parts[j].first_lba <= p.last_lba)
				BAD("entries %u and %u overlap", d->parts[j].index + 1, i + 1);
		d->parts[d->nparts++] = p;
	}
	rc = 0;
#undef BAD
out:
	free(array);
	return rc;
}

int gpt_read(gpt_read_fn rd, void *ctx, uint64_t size, gpt_disk *d, disk_error *err)
{
	uint64_t sectors = size / GPT_SECTOR;
	char why1[200] = "", why2[200] = "";
	int rc;
	if (sectors < 3)
		return disk_error_set(err, DISK_E_FORMAT, "%llu bytes: too small for a GPT",
				      (unsigned long long)size);
	if ((rc = read_copy(rd, ctx, sectors, 1, d, why1, sizeof why1)) == 0)
		return 0;
	if (rc == DISK_E_NOMEM)
		return disk_error_set(err, rc, "out of memory");
	if ((rc = read_copy(rd, ctx, sectors, sectors - 1, d, why2, sizeof why2)) == 0) {
		d->from_backup = 1;
		return 0;
	}
	memset(d, 0, sizeof *d);
	return disk_error_set(err, rc == DISK_E_IO ? DISK_E_IO : DISK_E_FORMAT,
			      "no valid GPT: primary: %s; backup: %s", why1, why2);
}

struct memdisk {
	const uint8_t *data;
	size_t len;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct memdisk *m = ctx;
	if (off > m->len || len > m->len - off)
		return -1;
	memcpy(buf, m->data + off, len);
	return 0;
}

int gpt_read_mem(const uint8_t *data, size_t len, gpt_disk *d, disk_error *err)
{
	struct memdisk m = {data, len};
	return gpt_read(mem_read, &m, len, d, err);
}

static int fd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	uint8_t *p = buf;
	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r, len -= (size_t)r, off += (uint64_t)r;
	}
	return 0;
}

int gpt_read_fd(int fd, gpt_disk *d, disk_error *err)
{
	struct stat st;
	uint64_t size;
	if (fstat(fd, &st) != 0)
		return disk_error_set(err, DISK_E_IO, "cannot stat the disk: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) != 0)
			return disk_error_set(err, DISK_E_IO, "cannot get the device's size: %s",
					      strerror(errno));
	} else {
		size = (uint64_t)st.st_size;
	}
	return gpt_read(fd_read, &fd, size, d, err);
}

const gpt_part *gpt_find(const gpt_disk *d, const gpt_guid *guid, const gpt_guid *type)
{
	for (size_t i = 0; i < d->nparts; i++) {
		if (guid && !gpt_guid_equal(&d->parts[i].guid, guid))
			continue;
		if (type && !gpt_guid_equal(&d->parts[i].type, type))
			continue;
		return &d->parts[i];
	}
	return NULL;
}
