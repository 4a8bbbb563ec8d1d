/*
 * kernel.c — the kernel an image boots: Debian's linux-image-*-amd64,
 * fetched into a cache and never installed on the host.
 *
 *   CACHE/kernel/
 *     PACKAGE.resolved     for a metapackage (linux-image-amd64): the
 *                          versioned package it depended on when first
 *                          fetched — later builds use the same kernel
 *                          without asking apt (reproducible, offline)
 *     PACKAGE/             dpkg -x of the package, with depmod run:
 *       boot/vmlinuz-VERSION
 *       lib/modules/VERSION/{kernel/,modules.dep,...}
 *       .complete          VERSION; written last, so a torn fetch is redone
 *     PACKAGE.tmp/         a fetch under way (removed when it starts anew)
 *
 * The PVH vmlinux (for QEMU's direct kernel boot of the uncompressed ELF,
 * which finds the PVH entry note) is the XZ stream inside the bzImage,
 * found by its magic FD 37 7A 58 5A 00 and decompressed with xz -dc.
 */
#include "disk/disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static int read_small(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
	return 0;
}

static int write_small(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static int mkdirs(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int fill(img_kernel *k, const char *dir, const char *version, disk_error *err)
{
	struct stat st;
	snprintf(k->version, sizeof k->version, "%s", version);
	snprintf(k->vmlinuz, sizeof k->vmlinuz, "%s/boot/vmlinuz-%s", dir, version);
	snprintf(k->modroot, sizeof k->modroot, "%s", dir);
	if (stat(k->vmlinuz, &st) != 0)
		return disk_error_set(err, DISK_E_NOTFOUND, "no kernel at '%s'", k->vmlinuz);
	return 0;
}

/* The versioned package a metapackage depends on, from apt-cache. */
static int resolve_meta(const char *kdir, const char *package, char *out, size_t size,
			disk_error *err)
{
	char path[4200], text[8192];
	snprintf(path, sizeof path, "%s/%s.depends", kdir, package);
	unlink(path);
	const char *argv[] = {"apt-cache", "depends", "--important", package, NULL};
	int rc = img_run(argv, NULL, NULL, path, "apt", err);
	if (rc == 0 && read_small(path, text, sizeof text) == 0) {
		const char *d = strstr(text, "Depends: ");
		if (d) {
			d += 9;
			size_t n = strcspn(d, " \n<>");
			if (n && n < size && strncmp(d, "linux-image-", 12) == 0) {
				snprintf(out, size, "%.*s", (int)n, d);
				unlink(path);
				return 0;
			}
		}
		rc = disk_error_set(err, DISK_E_NOTFOUND,
				    "apt-cache does not know which kernel '%s' depends on (apt-get "
				    "update first?)",
				    package);
	}
	unlink(path);
	return rc;
}

static int rm_rf(const char *dir, const char *log, disk_error *err)
{
	const char *argv[] = {"rm", "-rf", "--", dir, NULL};
	return img_run(argv, NULL, NULL, log, "coreutils", err);
}

int img_kernel_fetch(const char *cache, const char *package, const char *log, img_kernel *k,
		     disk_error *err)
{
	char kdir[4096], resolved[4200], pkg[256], dir[4400], tmp[4400], done[4500], p[4600];
	char version[128];
	int rc;
	DIR *dh = NULL;

	memset(k, 0, sizeof *k);
	if (!package)
		package = "linux-image-amd64";
	snprintf(kdir, sizeof kdir, "%s/kernel", cache);
	if (mkdirs(kdir) != 0)
		return disk_error_set(err, DISK_E_IO, "cannot create the cache '%s': %s", kdir,
				      strerror(errno));
	snprintf(pkg, sizeof pkg, "%s", package);
	snprintf(resolved, sizeof resolved, "%s/%s.resolved", kdir, package);
	if (!(strncmp(package, "linux-image-", 12) == 0 && package[12] >= '0' &&
	      package[12] <= '9')) {
		/* a metapackage: the versioned package it named when first fetched */
		if (read_small(resolved, pkg, sizeof pkg) != 0 || !pkg[0]) {
			if ((rc = resolve_meta(kdir, package, pkg, sizeof pkg, err)))
				return rc;
		}
	}
	snprintf(dir, sizeof dir, "%s/%s", kdir, pkg);
	snprintf(done, sizeof done, "%s/.complete", dir);
	if (read_small(done, version, sizeof version) == 0 && version[0]) {
		if (strcmp(pkg, package) != 0)
			write_small(resolved, pkg);
		return fill(k, dir, version, err);
	}

	/* fetch: apt-get download, dpkg -x, depmod */
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", kdir, pkg);
	if ((rc = rm_rf(tmp, log, err)) || (rc = rm_rf(dir, log, err)))
		return rc;
	if (mkdirs(tmp) != 0)
		return disk_error_set(err, DISK_E_IO, "cannot create '%s': %s", tmp, strerror(errno));
	const char *dl[] = {"apt-get", "download", "-q", pkg, NULL};
	if ((rc = img_run(dl, NULL, tmp, log, "apt", err)))
		return rc;
	char deb[4800] = "";
	if (!(dh = opendir(tmp)))
		return disk_error_set(err, DISK_E_IO, "cannot read '%s': %s", tmp, strerror(errno));
	for (struct dirent *de; (de = readdir(dh));) {
		size_t n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".deb") == 0)
			snprintf(deb, sizeof deb, "%s/%s", tmp, de->d_name);
	}
	closedir(dh);
	if (!deb[0])
		return disk_error_set(err, DISK_E_NOTFOUND, "apt-get download %s gave no .deb", pkg);
	snprintf(p, sizeof p, "%s/root", tmp);
	const char *x[] = {"dpkg", "-x", deb, p, NULL};
	if ((rc = img_run(x, NULL, NULL, log, "dpkg", err)))
		return rc;
	unlink(deb);
	/* the one directory under lib/modules is the version */
	snprintf(p, sizeof p, "%s/root/lib/modules", tmp);
	version[0] = 0;
	if (!(dh = opendir(p)))
		return disk_error_set(err, DISK_E_FORMAT, "'%s' has no lib/modules", pkg);
	for (struct dirent *de; (de = readdir(dh));)
		if (de->d_name[0] != '.')
			snprintf(version, sizeof version, "%.127s", de->d_name);
	closedir(dh);
	if (!version[0])
		return disk_error_set(err, DISK_E_FORMAT, "'%s' has no kernel version directory", pkg);
	snprintf(p, sizeof p, "%s/root", tmp);
	const char *dep[] = {"depmod", "-b", p, version, NULL};
	if ((rc = img_run(dep, NULL, NULL, log, "kmod", err)))
		return rc;
	if (rename(p, dir) != 0)
		return disk_error_set(err, DISK_E_IO, "cannot move '%s' to '%s': %s", p, dir,
				      strerror(errno));
	if ((rc = rm_rf(tmp, log, err)))
		return rc;
	if (write_small(done, version) != 0 || (strcmp(pkg, package) != 0 && write_small(resolved, pkg)))
		return disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", done, strerror(errno));
	return fill(k, dir, version, err);
}

int img_kernel_vmlinux(const char *vmlinuz, const char *out, const char *log, disk_error *err)
{
	static const uint8_t magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
	int fd = -1, ofd = -1, rc = 0;
	uint8_t *map = MAP_FAILED;
	struct stat st;
	char xzin[4200];
	size_t off = 0, len = 0;

	snprintf(xzin, sizeof xzin, "%s.xz", out);
	if ((fd = open(vmlinuz, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = disk_error_set(err, DISK_E_IO, "cannot read '%s': %s", vmlinuz, strerror(errno));
		goto out;
	}
	len = (size_t)st.st_size;
	if (len < sizeof magic ||
	    (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		rc = disk_error_set(err, DISK_E_FORMAT, "'%s' is not a kernel image", vmlinuz);
		goto out;
	}
	for (off = 0; off + sizeof magic <= len; off++)
		if (memcmp(map + off, magic, sizeof magic) == 0)
			break;
	if (off + sizeof magic > len) {
		rc = disk_error_set(err, DISK_E_FORMAT,
				    "'%s' holds no XZ-compressed kernel (no PVH vmlinux inside)",
				    vmlinuz);
		goto out;
	}
	/* the XZ stream (and whatever follows it: xz stops at its end) */
	if ((ofd = open(xzin, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    write(ofd, map + off, len - off) != (ssize_t)(len - off) || close(ofd) != 0) {
		ofd = -1;
		rc = disk_error_set(err, DISK_E_IO, "cannot write '%s': %s", xzin, strerror(errno));
		goto out;
	}
	ofd = -1;
	{
		/* xz -d turns OUT.xz into OUT; --single-stream stops at the end of
		 * the kernel's stream and ignores what the bzImage has after it */
		const char *argv[] = {"xz", "-d", "-q", "-f", "--single-stream", xzin, NULL};
		if ((rc = img_run(argv, NULL, NULL, log, "xz-utils", err)))
			goto out;
	}
out:
	unlink(xzin);
	if (map != MAP_FAILED)
		munmap(map, len);
	if (fd >= 0)
		close(fd);
	return rc;
}
