/*
 * disk.h — bootable disk images: GPT reading and writing, a deterministic
 * newc cpio writer (the core image), kernel modules in load order, the
 * store partition's pack, and the assembly of a whole image.
 *
 *   crc32.c    CRC-32 (IEEE 802.3, the one GPT and zlib use), table-driven
 *   guid.c     GUIDs: text <-> on-disk bytes, the partition type GUIDs,
 *              partition GUIDs derived from a system's root capability
 *   gpt.c      GPT: protective MBR, primary and backup headers and entry
 *              arrays; a strict reader that falls back to the backup
 *   cpio.c     newc archives: sorted, fixed mtime, uid/gid 0, parents implied
 *   modules.c  modules.dep / modules.softdep / modules.alias -> load order
 *   pack.c     the blocks a system reaches, copied into a pack of its own size
 *   tools.c    running the host tools (mkfs.vfat, mcopy, mkfs.ext4, grub-mkimage,
 *              apt-get, dpkg, depmod) with their output kept in a log
 *   kernel.c   the Debian kernel package in a cache; the PVH vmlinux
 *   image.c    the whole disk: ESP, store and state partitions, GPT
 *
 * The layout is documented in docs/image-format.md. Sectors are 512 bytes.
 *
 * Functions return 0 or a negative DISK_E_* code and fill the caller's
 * disk_error with one lowercase line. Nothing here prints, exits, or keeps
 * global state; the constant GUID tables are read-only.
 */
#ifndef SIGIL_DISK_H
#define SIGIL_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DISK_WARN_UNUSED __attribute__((warn_unused_result))

enum {
	DISK_OK = 0,
	DISK_E_ARG = -1,      /* bad argument from the caller */
	DISK_E_NOMEM = -2,
	DISK_E_IO = -3,       /* a file or device cannot be read or written */
	DISK_E_FORMAT = -4,   /* not a valid GPT / modules.dep / ... */
	DISK_E_NOTFOUND = -5, /* a partition, module, kernel or tool is not there */
	DISK_E_TOOL = -6,     /* a host tool failed: msg has its last output line */
	DISK_E_STORE = -7,    /* the system's store: a block missing or invalid */
};

typedef struct disk_error {
	int code;
	char msg[1024];
} disk_error;

/* Fills err (may be NULL) and returns code. */
int disk_error_set(disk_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- CRC-32 (crc32.c) ------------------------------------------------------ */

/* The running CRC-32 of data (start with crc = 0), as zlib's crc32(). */
uint32_t disk_crc32(uint32_t crc, const void *data, size_t len);

/* ---- GUIDs (guid.c) -------------------------------------------------------- */

/* A GUID as its 16 bytes on disk: the first three fields little-endian
 * (so the text 00112233-4455-6677-8899-aabbccddeeff is stored as
 * 33 22 11 00 55 44 77 66 88 99 aa bb cc dd ee ff). */
typedef struct gpt_guid {
	uint8_t b[16];
} gpt_guid;

enum { GPT_GUID_TEXT = 37 }; /* 36 characters and the NUL */

extern const gpt_guid gpt_type_efi;         /* C12A7328-F81F-11D2-BA4B-00A0C93EC93B */
extern const gpt_guid gpt_type_linux;       /* 0FC63DAF-8483-4772-8E79-3D69D8477DE4 */
extern const gpt_guid gpt_type_sigil_store; /* docs/image-format.md */

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case). DISK_E_FORMAT
 * otherwise. */
int gpt_guid_parse(gpt_guid *g, const char *text) DISK_WARN_UNUSED;

/* Writes the upper-case text form (GPT_GUID_TEXT bytes with the NUL). */
void gpt_guid_format(const gpt_guid *g, char out[GPT_GUID_TEXT]);

int gpt_guid_equal(const gpt_guid *a, const gpt_guid *b);
int gpt_guid_is_zero(const gpt_guid *g);

/* The GUID of `role` ("disk", "esp", "store", "state", ...) in the image of
 * the system named by `urn`: BLAKE2b-128 of "sigil-partition:" role ":" urn,
 * with the version (4) and variant (10) bits set as in a random GUID. */
void gpt_guid_derive(gpt_guid *g, const char *role, const char *urn);

/* ---- GPT (gpt.c) ----------------------------------------------------------- */

enum {
	GPT_SECTOR = 512,
	GPT_ENTRIES = 128,      /* entries we write (and at most keep when reading) */
	GPT_ENTRY_SIZE = 128,
	GPT_HEAD_SECTORS = 34,  /* protective MBR, header, 32 sectors of entries */
	GPT_TAIL_SECTORS = 33,  /* entries, then the backup header in the last LBA */
	GPT_NAME_MAX = 36,      /* UTF-16 code units of a partition name */
};

typedef struct gpt_part {
	gpt_guid type, guid;
	uint64_t first_lba, last_lba; /* inclusive */
	uint64_t attrs;
	char name[GPT_NAME_MAX * 3 + 1]; /* UTF-8 */
	uint32_t index;                  /* entry number in the array (from 0) */
} gpt_part;

typedef struct gpt_disk {
	gpt_guid guid;
	uint64_t sectors;                 /* the disk's size in sectors */
	uint64_t first_usable, last_usable;
	gpt_part parts[GPT_ENTRIES];      /* the used entries, in entry order */
	size_t nparts;
	int from_backup;                  /* reader: the primary was bad, the backup used */
} gpt_disk;

/* Fills first_usable/last_usable for a disk of d->sectors with our layout
 * (128 entries). DISK_E_ARG when the disk is too small. */
int gpt_layout(gpt_disk *d, disk_error *err) DISK_WARN_UNUSED;

/* Writes the protective MBR, the primary header and entries (head: the
 * first GPT_HEAD_SECTORS sectors) and the backup entries and header (tail:
 * the last GPT_TAIL_SECTORS sectors) of d. Checks that every partition lies
 * in the usable range, that they do not overlap, that names are ASCII of at
 * most 36 characters and that GUIDs are unique and non-zero. */
int gpt_build(const gpt_disk *d, uint8_t head[GPT_HEAD_SECTORS * GPT_SECTOR],
	      uint8_t tail[GPT_TAIL_SECTORS * GPT_SECTOR], disk_error *err) DISK_WARN_UNUSED;

/* gpt_build, written to fd (a file of d->sectors sectors, or a device). */
int gpt_write_fd(int fd, const gpt_disk *d, disk_error *err) DISK_WARN_UNUSED;

/* Reads `len` bytes at byte offset `off` of the disk; 0 or negative. */
typedef int (*gpt_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Reads the GPT of a disk of `size` bytes: the primary header and entries
 * when their CRCs, signature, revision, sizes and LBAs hold, else the backup
 * (d->from_backup = 1). Partitions must lie in the usable range and not
 * overlap. DISK_E_FORMAT names what is wrong with both copies. */
int gpt_read(gpt_read_fn read, void *ctx, uint64_t size, gpt_disk *d,
	     disk_error *err) DISK_WARN_UNUSED;

/* gpt_read on bytes in memory (a disk image). */
int gpt_read_mem(const uint8_t *data, size_t len, gpt_disk *d, disk_error *err) DISK_WARN_UNUSED;

/* gpt_read on an open file or block device (its size from BLKGETSIZE64). */
int gpt_read_fd(int fd, gpt_disk *d, disk_error *err) DISK_WARN_UNUSED;

/* The partition whose unique GUID is `guid` (NULL: any) and whose type is
 * `type` (NULL: any); NULL when there is none. */
const gpt_part *gpt_find(const gpt_disk *d, const gpt_guid *guid, const gpt_guid *type);

/* ---- cpio (cpio.c) --------------------------------------------------------- */

/* One member of an archive. `mode` holds the file type (S_IFREG, S_IFDIR,
 * S_IFLNK, S_IFCHR, S_IFBLK) and permission bits. A regular file's content
 * is data/size, or, with data NULL, the file at `path` (read at write time);
 * a link's target is data/size. Names are relative ("init", "lib/x.ko"). */
typedef struct cpio_entry {
	const char *name;
	uint32_t mode;
	uint32_t rdev_major, rdev_minor;
	const void *data;
	uint64_t size;
	const char *path;
} cpio_entry;

/* Receives the archive in order. Returns 0, or negative to stop. */
typedef int (*cpio_write_fn)(void *ctx, const void *buf, size_t len);

/* Writes a newc ("070701") archive of the entries: sorted by name
 * (bytewise), every parent directory present (missing ones are added, mode
 * 0755), inode numbers 1, 2, ... in that order, uid and gid 0, every mtime
 * `mtime`, then the TRAILER!!! entry, padded to a multiple of 512 bytes. The
 * same entries give the same bytes. DISK_E_ARG for an invalid name (empty,
 * absolute, "." or ".." parts, "//", over 4095 bytes), a duplicate, an
 * unknown type or a size over 4 GiB - 1. `entries` is not modified. */
int cpio_write(const cpio_entry *entries, size_t n, uint64_t mtime, cpio_write_fn write,
	       void *ctx, disk_error *err) DISK_WARN_UNUSED;

/* ---- kernel modules (modules.c) --------------------------------------------- */

/* The length of a module file without its appended signature: a module
 * signed by the kernel's sign-file ends with the PKCS#7 signature, a
 * struct module_signature (12 bytes, big-endian sig_len at its end) and
 * the 28-byte marker "~Module signature appended~\n"; *out gets the offset
 * where the signature starts, or len for an unsigned module. DISK_E_FORMAT
 * when the marker is there but the lengths before it do not fit. Reads
 * only the last bytes; allocates nothing. */
int img_module_unsigned_len(const uint8_t *data, size_t len, size_t *out) DISK_WARN_UNUSED;

/* The modules to load, in order, for the modules named in `want` (names as
 * modprobe takes them; '-' and '_' are the same): each module after every
 * module it depends on (modules.dep) and after its "pre:" soft dependencies
 * (modules.softdep; an alias among them resolves through modules.alias,
 * preferring a *_generic module). Built-in modules (modules.builtin) are
 * left out. The texts are the files' contents (softdep, alias, builtin may
 * be NULL). *out gets paths as modules.dep writes them (relative to
 * lib/modules/VERSION), malloc'd; free with img_modules_free.
 * DISK_E_NOTFOUND names a wanted module that is neither there nor built in. */
int img_modules_resolve(const char *dep, const char *softdep, const char *alias,
			const char *builtin, const char *const *want, size_t nwant, char ***out,
			size_t *nout, disk_error *err) DISK_WARN_UNUSED;

/* The same, and when groups is not NULL, *groups (malloc'd, *nout entries,
 * freed by the caller) gives each module's group: modules linked by a
 * dependency (hard or soft, either way, transitively) share one; groups
 * are numbered from 0 in the order of their first module. Modules of
 * different groups need nothing of each other. */
int img_modules_resolve_groups(const char *dep, const char *softdep, const char *alias,
			       const char *builtin, const char *const *want, size_t nwant,
			       char ***out, size_t *nout, size_t **groups,
			       disk_error *err) DISK_WARN_UNUSED;

void img_modules_free(char **paths, size_t n);

/* ---- the store partition (pack.c) -------------------------------------------- */

/* The blocks of a system, in the order they were first reached. */
typedef struct img_blocks {
	uint8_t (*ref)[ERIS_REF_SIZE];
	uint32_t *len;
	size_t n, cap;
	uint64_t bytes; /* block payload, in total */
} img_blocks;

/* Every block the system `root_urn` reaches in s: the description, each
 * child's closure description and its files, and every ROM module. Each
 * tree is walked and verified (eris_walk); DISK_E_STORE names a missing or
 * damaged block. Release with img_blocks_free. */
int img_blocks_collect(store *s, const char *root_urn, img_blocks *b,
		       disk_error *err) DISK_WARN_UNUSED;

void img_blocks_free(img_blocks *b);

/* *uplinks gets the number of children with an uplink (they need
 * virtio_net and veth), *states the number of state mounts (they need the
 * state partition and ext4). */
int img_system_needs(store *s, const char *root_urn, size_t *uplinks, size_t *states,
		     disk_error *err) DISK_WARN_UNUSED;

/* Bytes a pack needs for exactly these blocks (header, commit slots, the
 * records, room for the index written twice), rounded up to 4 KiB: the
 * store partition is read-only in the VM, so it has no headroom. */
uint64_t img_pack_capacity(const img_blocks *b);

/* Formats `path` (a new file) as a pack of `capacity` bytes with `uuid` and
 * copies the blocks from s into it, in order (so the same blocks give the
 * same bytes). */
int img_pack_write(store *s, const img_blocks *b, const char *path, uint64_t capacity,
		   const uint8_t uuid[16], disk_error *err) DISK_WARN_UNUSED;

/* ---- host tools (tools.c) ------------------------------------------------------ */

/* Runs argv (argv[0] looked up in PATH) with the extra environment `env`
 * ("NAME=VALUE", NULL-terminated, may be NULL) and TZ=UTC, LC_ALL=C, in `cwd`
 * (NULL: here), stdin from /dev/null and stdout+stderr appended to `log`
 * (NULL: discarded). DISK_E_NOTFOUND when the program is not installed (msg
 * names it and `package`, the Debian package that has it), DISK_E_TOOL when
 * it fails (msg: the command and the last line of its output). */
int img_run(const char *const *argv, const char *const *env, const char *cwd, const char *log,
	    const char *package, disk_error *err) DISK_WARN_UNUSED;

/* ---- the kernel (kernel.c) ------------------------------------------------------- */

typedef struct img_kernel {
	char version[128];  /* "6.1.0-56-amd64"; "" for a --kernel without modules */
	char vmlinuz[4096]; /* the bzImage */
	char modroot[4096]; /* DIR with lib/modules/VERSION (modules.dep done); "" if none */
} img_kernel;

/* The Debian kernel (package `package`, NULL: linux-image-amd64, the
 * metapackage resolved to the versioned package it depends on) in `cache`:
 * downloaded with apt-get download and unpacked with dpkg -x (never
 * installed) into CACHE/kernel/PACKAGE_VERSION/, depmod run there. A cache
 * entry already complete is used as it is. Tool output goes to `log`. */
int img_kernel_fetch(const char *cache, const char *package, const char *log, img_kernel *k,
		     disk_error *err) DISK_WARN_UNUSED;

/* Writes the uncompressed vmlinux (an ELF with the PVH entry note) inside a
 * bzImage whose payload is XZ-compressed to `out` (xz -dc). */
int img_kernel_vmlinux(const char *vmlinuz, const char *out, const char *log,
		       disk_error *err) DISK_WARN_UNUSED;

/* ---- the image (image.c) -------------------------------------------------------- */

typedef struct img_opts {
	const char *root_urn;   /* the system */
	store *store;           /* holds its blocks */
	const char *kernel;     /* the bzImage */
	const char *modroot;    /* DIR with lib/modules/VERSION, or NULL */
	const char *kversion;   /* VERSION, or NULL */
	const char *const *modules; /* modules to load (names), closed over */
	size_t nmodules;
	const char *init;       /* the binary placed at /init */
	const char *workdir;    /* scratch space (emptied and removed by the caller) */
	const char *log;        /* tool output */
	uint64_t epoch;         /* SOURCE_DATE_EPOCH */
	uint64_t state_size;    /* bytes of the state partition (0: none) */
	const char *cmdline;    /* extra kernel arguments before sigil.system=… (NULL: none) */
	int keep_module_sigs;   /* modules as shipped; 0: appended signatures cut off */
} img_opts;

/* What was built. */
typedef struct img_result {
	gpt_guid disk, esp, store, state; /* the GUIDs */
	uint64_t esp_bytes, store_bytes, state_bytes, total_bytes;
	size_t blocks, nmodules;
} img_result;

/* Builds the disk image `out` (written whole to a temporary file beside
 * it, then renamed): GPT with the ESP (GRUB, kernel, core image), the store
 * partition (a pack of the system's blocks) and, when o->state_size is not
 * 0, the state partition (ext4). Each partition is as large as what it
 * holds, in 4 KiB steps (docs/image-format.md).
 * The same inputs and epoch give the same bytes. */
int img_build(const img_opts *o, const char *out, img_result *r, disk_error *err) DISK_WARN_UNUSED;

/* The core image alone (the initramfs): /init, and when it is linked
 * dynamically its ELF closure (loader and libraries, elf_closure_resolve)
 * at the paths they were found at on this host, the modules under
 * lib/modules/VERSION in load order (their appended signatures cut off
 * unless o->keep_module_sigs), etc/sigil/modules listing them by group
 * (img_modules_resolve_groups; an empty line between groups),
 * etc/sigil/cmdline with "sigil.system=URN", dev/console; /init stripped
 * (strip), the archive compressed (lz4 -l, the kernel's legacy LZ4 frame). Written to `out` (and, while it
 * is made, OUT.init and OUT.cpio); *nmods gets the number of modules. DISK_E_FORMAT when the init's
 * closure cannot be resolved. */
int img_core_write(const img_opts *o, const char *out, size_t *nmods,
		   disk_error *err) DISK_WARN_UNUSED;

#endif
