/*
 * image.c — a whole bootable disk, built in user space: no root, no loop
 * devices, no mounts. Every partition is built as a file in the work
 * directory, then placed into the disk file behind a GPT of our own.
 *
 *   LBA 0..33            protective MBR, primary GPT (gpt.c)
 *   LBA 40 (20 KiB)      1  ESP     FAT (mkfs.vfat, mtools), type EFI System
 *                           EFI/BOOT/BOOTX64.EFI  GRUB (grub-mkimage, config built in)
 *                           sigil/vmlinuz         the kernel (bzImage)
 *                           sigil/core.img        the core image (initramfs, cpio.c,
 *                                                 LZ4): /init (stripped) and, for a
 *                                                 dynamic init, its loader and libraries;
 *                                                 the modules without their appended
 *                                                 signatures unless keep_module_sigs
 *                           sigil/cmdline         the kernel command line
 *   next 4 KiB           2  store   a pack (pack.c), our type GUID
 *   next 4 KiB           3  state   ext4 (mkfs.ext4), type Linux filesystem; only
 *                                   when a child has a state mount
 *   last 33 sectors      backup GPT
 *
 * Every partition is sized to what it holds: the ESP its files and FAT's
 * own tables, the store exactly its blocks (it is read-only in the VM), the
 * state what the caller asked for. Starts and sizes are multiples of 4 KiB
 * (a page; nothing in a VM's disk wants more), and the disk ends 40 sectors
 * after the last partition (the backup GPT, rounded up to 4 KiB).
 * Every GUID, the FAT volume id, the ext4 UUID and hash seed and the pack's
 * UUID derive from the root capability (gpt_guid_derive), every timestamp
 * is the epoch (SOURCE_DATE_EPOCH), inputs go in sorted: the same system,
 * kernel and init give the same disk, byte for byte.
 *
 * Module signatures: Debian's kernel checks a module's appended signature
 * when there is one (a SHA-256 of the whole module and an RSA verify) but
 * does not require one (no CONFIG_MODULE_SIG_FORCE, no lockdown without
 * Secure Boot); it loads an unsigned module and only taints. Under TCG the
 * check is most of a module's load time: the ext4 stack loaded in
 * 0.71 s signed and 0.40 s unsigned. The core image is one trusted unit
 * (its own bytes are what the boot trusts), so nothing is lost by cutting
 * the signatures off; --keep-module-signatures keeps them for a kernel that
 * enforces them. Cutting is deterministic: the same module, the same bytes.
 *
 * Compression of the core image: LZ4 (the legacy frame the kernel's
 * CONFIG_RD_LZ4 reads, `lz4 -l`), not zstd: under TCG the kernel unpacked
 * the kv system's core image in 0.10-0.11 s from LZ4 and 0.23-0.33 s from
 * zstd -9 (0.06-0.08 s uncompressed), for 1.9 MB instead of 1.4 MB (4.9 MB
 * uncompressed) on the ESP. One block stream, no threads: the bytes depend
 * only on the archive and lz4's version.
 */
#include "disk/disk.h"
#include "elf/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum {
	ALIGN = 4096, /* partition starts and sizes */
	FAT_EPOCH_MIN = 315619200, /* 1980-01-02: FAT starts in 1980 */
	LZ4_LEVEL = 9, /* the core image (HC): -12 is 10 KB smaller and 9x slower */
};

static uint64_t round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

static int fd_write(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, len -= (size_t)w;
	}
	return 0;
}

/* The whole file into a malloc'd buffer (one byte more than its size,
 * for slurp's NUL), its size in *len; NULL with errno set when it cannot
 * be read whole. */
static uint8_t *slurp_bytes(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		e = errno;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : EIO;
			break;
		}
		got += (size_t)r;
	}
out:
	close(fd);
	if (e) {
		free(buf);
		errno = e;
		return NULL;
	}
	*len = got;
	return buf;
}

/* The whole file as a NUL-terminated string; NULL when absent or not
 * readable whole. */
static char *slurp(const char *path)
{
	size_t len;
	char *buf = (char *)slurp_bytes(path, &len);
	if (buf)
		buf[len] = 0; /* slurp_bytes leaves room for it */
	return buf;
}

int img_core_write(const img_opts *o, const char *out, size_t *nmods, disk_error *err)
{
	char **mods = NULL, *dep = NULL, *soft = NULL, *alias = NULL, *builtin = NULL;
	char *list = NULL, cmdline[ERIS_URN_LEN + 32], p[4200], stripped[4200], raw[4200];
	char (*names)[512] = NULL, (*paths)[4400] = NULL;
	uint8_t **mbuf = NULL; /* modules read to cut their signatures off */
	size_t *groups = NULL; /* each module's (img_modules_resolve_groups) */
	cpio_entry *e = NULL;
	size_t nm = 0, n = 0, listlen = 0;
	int rc = 0, fd = -1, have_closure = 0;
	struct stat st;
	elf_closure cl = {0};
	elf_error ee = {0};

	*nmods = 0;
	stripped[0] = raw[0] = 0;
	if (!o->init || stat(o->init, &st) != 0 || !S_ISREG(st.st_mode))
		return disk_error_set(err, DISK_E_NOTFOUND,
				      "the init binary '%s' is not there (build sigil-init, or give "
				      "--init FILE)",
				      o->init ? o->init : "(none)");
	if (o->modroot && o->kversion && o->nmodules) {
		snprintf(p, sizeof p, "%s/lib/modules/%s/modules.dep", o->modroot, o->kversion);
		if (!(dep = slurp(p))) {
			rc = disk_error_set(err, DISK_E_NOTFOUND, "no '%s' (run depmod -b)", p);
			goto out;
		}
		snprintf(p, sizeof p, "%s/lib/modules/%s/modules.softdep", o->modroot, o->kversion);
		soft = slurp(p);
		snprintf(p, sizeof p, "%s/lib/modules/%s/modules.alias", o->modroot, o->kversion);
		alias = slurp(p);
		snprintf(p, sizeof p, "%s/lib/modules/%s/modules.builtin", o->modroot, o->kversion);
		builtin = slurp(p);
		if ((rc = img_modules_resolve_groups(dep, soft, alias, builtin, o->modules,
						     o->nmodules, &mods, &nm, &groups, err)))
			goto out;
	}
	/* a dynamically linked init brings its libraries and loader, each at
	 * the path the loader finds it at on this host */
	if (elf_closure_resolve(&cl, o->init, NULL, 0, NULL, &ee) != 0) {
		rc = disk_error_set(err, DISK_E_FORMAT, "the init binary '%s': %s", o->init,
				    ee.msg);
		goto out;
	}
	have_closure = 1;
	/* /init without its symbols and debug information (a -g build's are a
	 * third of it): smaller to load, and strip's output depends only on its
	 * input */
	snprintf(stripped, sizeof stripped, "%s.init", out);
	const char *strip[] = {"strip", "--strip-all", "-o", stripped, o->init, NULL};
	if ((rc = img_run(strip, NULL, NULL, o->log, "binutils", err)))
		goto out;
	if (!(e = calloc(nm + cl.n + 4, sizeof *e)) || !(names = calloc(nm + 1, sizeof *names)) ||
	    !(paths = calloc(nm + 1, sizeof *paths)) || !(mbuf = calloc(nm + 1, sizeof *mbuf)) ||
	    !(list = malloc(nm * 4400 + 1))) {
		rc = disk_error_set(err, DISK_E_NOMEM, "out of memory");
		goto out;
	}
	list[0] = 0;
	snprintf(cmdline, sizeof cmdline, "sigil.system=%s\n", o->root_urn);
	e[n++] = (cpio_entry){.name = "init", .mode = S_IFREG | 0755, .path = stripped};
	for (size_t i = 0; i < cl.n; i++) {
		const char *name = cl.nodes[i].path;
		if (i == cl.program)
			continue;
		while (*name == '/')
			name++;
		e[n++] = (cpio_entry){.name = name, .mode = S_IFREG | 0755, .path = cl.nodes[i].real};
	}
	e[n++] = (cpio_entry){.name = "dev/console", .mode = S_IFCHR | 0600, .rdev_major = 5,
			      .rdev_minor = 1};
	e[n++] = (cpio_entry){.name = "etc/sigil/cmdline", .mode = S_IFREG | 0644, .data = cmdline,
			      .size = strlen(cmdline)};
	for (size_t i = 0; i < nm; i++) {
		snprintf(names[i], sizeof names[i], "lib/modules/%s/%s", o->kversion, mods[i]);
		snprintf(paths[i], sizeof paths[i], "%s/lib/modules/%s/%s", o->modroot, o->kversion,
			 mods[i]);
		e[n] = (cpio_entry){.name = names[i], .mode = S_IFREG | 0644, .path = paths[i]};
		if (!o->keep_module_sigs) { /* see "Module signatures" above */
			size_t len = 0, keep = 0;
			if (!(mbuf[i] = slurp_bytes(paths[i], &len))) {
				rc = disk_error_set(err, DISK_E_IO, "cannot read the module '%s': %s",
						    paths[i], strerror(errno));
				goto out;
			}
			if (img_module_unsigned_len(mbuf[i], len, &keep) != 0) {
				rc = disk_error_set(err, DISK_E_FORMAT,
						    "the module '%s' ends with a signature marker "
						    "but its lengths do not fit (--keep-module-signatures "
						    "takes it as it is)",
						    paths[i]);
				goto out;
			}
			e[n].path = NULL;
			e[n].data = mbuf[i];
			e[n].size = keep;
		}
		n++;
	}
	/* the list: group after group, each in load order, an empty line
	 * between two (sigil-init may load groups side by side) */
	for (size_t g = 0, done = 0; done < nm; g++) {
		if (g)
			list[listlen++] = '\n';
		for (size_t i = 0; i < nm; i++)
			if (groups[i] == g) {
				listlen += (size_t)snprintf(list + listlen, 4400, "/%s\n", names[i]);
				done++;
			}
	}
	e[n++] = (cpio_entry){.name = "etc/sigil/modules", .mode = S_IFREG | 0644, .data = list,
			      .size = listlen};
	snprintf(raw, sizeof raw, "%s.cpio", out);
	if ((fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot create '%s': %s", raw, strerror(errno));
		goto out;
	}
	if ((rc = cpio_write(e, n, o->epoch, fd_write, &fd, err)))
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		rc = disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", raw, strerror(errno));
		goto out;
	}
	fd = -1;
	/* compressed to 40%: LZ4's legacy frame (-l), which the kernel
	 * unpacks (CONFIG_RD_LZ4) fastest of its decompressors (see the top) */
	char level[8];
	snprintf(level, sizeof level, "-%d", LZ4_LEVEL);
	const char *lz4[] = {"lz4", "-q", "-f", "-l", level, raw, out, NULL};
	if ((rc = img_run(lz4, NULL, NULL, o->log, "lz4", err)))
		goto out;
	*nmods = nm;
out:
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", raw, strerror(errno));
	if (raw[0])
		unlink(raw);
	if (stripped[0])
		unlink(stripped);
	if (have_closure)
		elf_closure_release(&cl);
	img_modules_free(mods, nm);
	free(dep);
	free(soft);
	free(alias);
	free(builtin);
	free(list);
	free(names);
	free(paths);
	for (size_t i = 0; mbuf && i < nm; i++)
		free(mbuf[i]);
	free(mbuf);
	free(groups);
	free(e);
	return rc;
}

static int copy_file(const char *from, const char *to, disk_error *err)
{
	int in = -1, out = -1, rc = 0;
	uint8_t buf[65536];
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot copy '%s': %s", from, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r > 0 && fd_write(&out, buf, (size_t)r) < 0)) {
			rc = disk_error_set(err, DISK_E_IO, "cannot copy '%s': %s", from,
					    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && !rc)
		rc = disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", to, strerror(errno));
	return rc;
}

static int write_text(const char *path, const char *text, disk_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || fd_write(&fd, text, strlen(text)) < 0) {
		if (fd >= 0)
			close(fd);
		return disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	if (close(fd) != 0)
		return disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Copies the file `from` to offset `off` of fd, skipping all-zero chunks
 * (the disk file is sparse and zero there already). */
static int place(int fd, const char *from, uint64_t off, uint64_t limit, disk_error *err)
{
	static const uint8_t zero[65536];
	uint8_t *buf = malloc(65536);
	int in = open(from, O_RDONLY | O_CLOEXEC), rc = 0;
	uint64_t pos = 0;
	if (!buf || in < 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot read '%s': %s", from, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r = read(in, buf, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = disk_error_set(err, DISK_E_IO, "cannot read '%s': %s", from,
					    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (pos + (uint64_t)r > limit) {
			rc = disk_error_set(err, DISK_E_ARG, "'%s' is larger than its partition", from);
			goto out;
		}
		if (memcmp(buf, zero, (size_t)r) != 0) {
			size_t left = (size_t)r;
			uint8_t *q = buf;
			uint64_t at = off + pos;
			while (left) {
				ssize_t w = pwrite(fd, q, left, (off_t)at);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					rc = disk_error_set(err, DISK_E_IO, "cannot write the disk: %s",
							    strerror(errno));
					goto out;
				}
				q += w, left -= (size_t)w, at += (uint64_t)w;
			}
		}
		pos += (uint64_t)r;
	}
out:
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

struct paths {
	char pack[4200], core[4200], esp[4200], state[4200], grubcfg[4200], grub[4200];
	char vmlinuz[4200], cmdline[4200];
};

static int build_esp(const img_opts *o, const struct paths *w, const gpt_guid *espg,
		     const char *kline, uint64_t *bytes, disk_error *err)
{
	char volid[9], uuid[GPT_GUID_TEXT], cfg[1024], sde[64], size_kib[32];
	int rc;
	gpt_guid_format(espg, uuid);
	snprintf(volid, sizeof volid, "%.8s", uuid);
	/* GRUB: find the ESP by its FAT volume id, boot the kernel and core image */
	snprintf(cfg, sizeof cfg,
		 "search --no-floppy --fs-uuid --set=root %.4s-%.4s\n"
		 "linux /sigil/vmlinuz %s\n"
		 "initrd /sigil/core.img\n"
		 "boot\n",
		 volid, volid + 4, kline);
	if ((rc = write_text(w->grubcfg, cfg, err)) ||
	    (rc = write_text(w->cmdline, kline, err)))
		return rc;
	const char *grub[] = {"grub-mkimage", "-O", "x86_64-efi", "-p", "/EFI/BOOT", "-c", w->grubcfg,
			      "-o", w->grub, "part_gpt", "fat", "search", "search_fs_uuid", "linux",
			      "boot", "echo", NULL};
	if ((rc = img_run(grub, NULL, NULL, o->log, "grub-efi-amd64-bin", err)))
		return rc;
	if ((rc = copy_file(o->kernel, w->vmlinuz, err)))
		return rc;
	/* the files, their mtimes at the epoch (FAT cannot hold times before 1980) */
	const char *files[][2] = {
		{w->grub, "::/EFI/BOOT/BOOTX64.EFI"},
		{w->cmdline, "::/sigil/cmdline"},
		{w->core, "::/sigil/core.img"},
		{w->vmlinuz, "::/sigil/vmlinuz"},
	};
	uint64_t fat_epoch = o->epoch < FAT_EPOCH_MIN ? FAT_EPOCH_MIN : o->epoch;
	uint64_t total = 0, dirs = 3; /* EFI, EFI/BOOT, sigil */
	struct timespec ts[2] = {{.tv_sec = (time_t)fat_epoch}, {.tv_sec = (time_t)fat_epoch}};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		total += round_up(file_size(files[i][0]), 8192); /* clusters: at most 8 KiB here */
		if (utimensat(AT_FDCWD, files[i][0], ts, 0) != 0)
			return disk_error_set(err, DISK_E_IO, "cannot set the time of '%s': %s",
					      files[i][0], strerror(errno));
	}
	/* the files in whole clusters, a cluster per directory, then what FAT
	 * itself takes: boot sector and reserved sectors, the root directory
	 * (512 entries), two FATs (at most 4 bytes a 512-byte cluster: 1/64) */
	*bytes = round_up(total + dirs * 8192 + 64 * 1024 + total / 64, ALIGN);
	snprintf(size_kib, sizeof size_kib, "%llu", (unsigned long long)(*bytes / 1024));
	snprintf(sde, sizeof sde, "SOURCE_DATE_EPOCH=%llu", (unsigned long long)fat_epoch);
	const char *env[] = {sde, NULL};
	unlink(w->esp);
	const char *mkfs[] = {"mkfs.vfat", "--invariant", "-i", volid, "-n", "SIGIL-ESP", "-C",
			      w->esp, size_kib, NULL};
	if ((rc = img_run(mkfs, env, NULL, o->log, "dosfstools", err)))
		return rc;
	const char *mmd[] = {"mmd", "-i", w->esp, "::/EFI", "::/EFI/BOOT", "::/sigil", NULL};
	if ((rc = img_run(mmd, env, NULL, o->log, "mtools", err)))
		return rc;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *cp[] = {"mcopy", "-m", "-i", w->esp, files[i][0], files[i][1], NULL};
		if ((rc = img_run(cp, env, NULL, o->log, "mtools", err)))
			return rc;
	}
	return 0;
}

static int build_state(const img_opts *o, const struct paths *w, uint64_t bytes, disk_error *err)
{
	gpt_guid fs, seed;
	char fsu[GPT_GUID_TEXT], seedu[GPT_GUID_TEXT], ext[256], sde[64], fake[64];
	int fd;
	gpt_guid_derive(&fs, "state-fs", o->root_urn);
	gpt_guid_derive(&seed, "state-hash-seed", o->root_urn);
	gpt_guid_format(&fs, fsu);
	gpt_guid_format(&seed, seedu);
	unlink(w->state);
	if ((fd = open(w->state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    ftruncate(fd, (off_t)bytes) != 0) {
		if (fd >= 0)
			close(fd);
		return disk_error_set(err, DISK_E_IO, "cannot create '%s': %s", w->state,
				      strerror(errno));
	}
	close(fd);
	/* e2fsprogs reads its clock from E2FSPROGS_FAKE_TIME (0 means "not set") */
	uint64_t t = o->epoch ? o->epoch : 1;
	snprintf(sde, sizeof sde, "SOURCE_DATE_EPOCH=%llu", (unsigned long long)t);
	snprintf(fake, sizeof fake, "E2FSPROGS_FAKE_TIME=%llu", (unsigned long long)t);
	snprintf(ext, sizeof ext,
		 "hash_seed=%s,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard",
		 seedu);
	const char *env[] = {sde, fake, NULL};
	const char *mkfs[] = {"mkfs.ext4", "-q", "-F", "-U", fsu, "-E", ext, "-L", "sigil-state",
			      w->state, NULL};
	return img_run(mkfs, env, NULL, o->log, "e2fsprogs", err);
}

int img_build(const img_opts *o, const char *out, img_result *r, disk_error *err)
{
	img_blocks b = {0};
	struct paths w;
	gpt_disk d;
	char tmp[4200];
	int rc, fd = -1;
	uint8_t uuid[16];
	gpt_guid pg;

	memset(r, 0, sizeof *r);
	tmp[0] = 0;
#define P(f, name) snprintf(w.f, sizeof w.f, "%s/%s", o->workdir, name)
	P(pack, "store.pack");
	P(core, "core.img");
	P(esp, "esp.img");
	P(state, "state.img");
	P(grubcfg, "grub.cfg");
	P(grub, "BOOTX64.EFI");
	P(vmlinuz, "vmlinuz");
	P(cmdline, "cmdline");
#undef P
	if (!o->kernel || access(o->kernel, R_OK) != 0)
		return disk_error_set(err, DISK_E_NOTFOUND, "the kernel '%s' is not there",
				      o->kernel ? o->kernel : "(none)");
	gpt_guid_derive(&r->disk, "disk", o->root_urn);
	gpt_guid_derive(&r->esp, "esp", o->root_urn);
	gpt_guid_derive(&r->store, "store", o->root_urn);
	gpt_guid_derive(&r->state, "state", o->root_urn);

	/* the core image first: a missing init fails before the slow parts */
	if ((rc = img_core_write(o, w.core, &r->nmodules, err)))
		goto out;
	/* store partition */
	if ((rc = img_blocks_collect(o->store, o->root_urn, &b, err)))
		goto out;
	r->blocks = b.n;
	r->store_bytes = img_pack_capacity(&b);
	gpt_guid_derive(&pg, "pack", o->root_urn);
	memcpy(uuid, pg.b, 16);
	unlink(w.pack);
	if ((rc = img_pack_write(o->store, &b, w.pack, r->store_bytes, uuid, err)))
		goto out;
	/* ESP */
	char kline[ERIS_URN_LEN + 600];
	snprintf(kline, sizeof kline, "%s%ssigil.system=%s", o->cmdline ? o->cmdline : "",
		 o->cmdline && o->cmdline[0] ? " " : "", o->root_urn);
	if ((rc = build_esp(o, &w, &r->esp, kline, &r->esp_bytes, err)))
		goto out;
	/* state partition */
	r->state_bytes = round_up(o->state_size, ALIGN);
	if (r->state_bytes && (rc = build_state(o, &w, r->state_bytes, err)))
		goto out;

	/* the disk */
	memset(&d, 0, sizeof d);
	d.guid = r->disk;
	uint64_t at = round_up(GPT_HEAD_SECTORS * GPT_SECTOR, ALIGN);
	const struct {
		const gpt_guid *type, *guid;
		uint64_t bytes;
		const char *name;
	} parts[3] = {
		{&gpt_type_efi, &r->esp, r->esp_bytes, "sigil-esp"},
		{&gpt_type_sigil_store, &r->store, r->store_bytes, "sigil-store"},
		{&gpt_type_linux, &r->state, r->state_bytes, "sigil-state"},
	};
	size_t nparts = r->state_bytes ? 3 : 2;
	for (size_t i = 0; i < nparts; i++) {
		gpt_part *p = &d.parts[d.nparts++];
		p->type = *parts[i].type;
		p->guid = *parts[i].guid;
		p->first_lba = at / GPT_SECTOR;
		p->last_lba = (at + parts[i].bytes) / GPT_SECTOR - 1;
		snprintf(p->name, sizeof p->name, "%s", parts[i].name);
		at += parts[i].bytes;
	}
	r->total_bytes = at + round_up(GPT_TAIL_SECTORS * GPT_SECTOR, ALIGN);
	d.sectors = r->total_bytes / GPT_SECTOR;
	if ((rc = gpt_layout(&d, err)))
		goto out;
	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
	if ((fd = mkstemp(tmp)) < 0) {
		tmp[0] = 0;
		rc = disk_error_set(err, DISK_E_IO, "cannot create '%s': %s", out, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) != 0 || ftruncate(fd, (off_t)r->total_bytes) != 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot size '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = gpt_write_fd(fd, &d, err)))
		goto out;
	const char *files[3] = {w.esp, w.pack, w.state};
	for (size_t i = 0; i < nparts; i++)
		if ((rc = place(fd, files[i], d.parts[i].first_lba * GPT_SECTOR, parts[i].bytes, err)))
			goto out;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		rc = disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, out) != 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot rename to '%s': %s", out, strerror(errno));
		goto out;
	}
	tmp[0] = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	img_blocks_free(&b);
	return rc;
}
