/*
 * image.c — `sigil image SYSTEM|DIR -o disk.img`: a bootable GPT disk for a
 * system, built in user space (lib/disk; layout in docs/image-format.md).
 *
 *   1. the system: a build directory (DIR/system.urn, DIR/store.pack) is
 *      used as it is; a system file is built first, through `sigil build`'s
 *      own entry point, into --build-dir (default: result);
 *   2. the kernel: --kernel FILE (with --modules DIR for its modules), else
 *      Debian's kernel package, fetched once into the cache (--cache, else
 *      $SIGIL_CACHE, else $XDG_CACHE_HOME/sigil, else ~/.cache/sigil);
 *   3. the modules the system needs — virtio_pci, virtio_blk and fuse, ext4 when
 *      a child has a state mount, virtio_net and veth when one has an
 *      uplink, plus every --module — closed over modules.dep into load order;
 *      their appended signatures are cut off (the kernel checks a signature
 *      it finds, slowly under TCG, but does not require one: lib/disk/image.c)
 *      unless --keep-module-signatures;
 *   4. img_build: ESP (GRUB, kernel, core image with --init at /init), the
 *      store partition (a pack of the system's blocks) and, when a child
 *      has a state mount, the state partition (ext4: --state-size, else
 *      STATE_BASE plus STATE_PER_MOUNT for each state mount), behind a
 *      GPT whose GUIDs derive from the root URN.
 *
 * Reproducible: SOURCE_DATE_EPOCH (default 0) is every timestamp; the
 * same system, kernel and init give the same bytes. Tool output goes to a
 * log in the work directory; on failure it is kept as OUT.log.
 */
#include "sigil_cli.h"
#include "disk/disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

/* The default state partition: ext4's journal (1 MiB at the 1 KiB blocks
 * mkfs.ext4 picks for a small file system) and its tables, then room for
 * each state mount. --state-size for a system that keeps more. */
#define STATE_BASE (5ull << 19)    /* 2.5 MiB */
#define STATE_PER_MOUNT (1ull << 19) /* 0.5 MiB */
#define STATE_MIN (2ull << 20)

static const struct cli_opt opts[] = {
	{"output", 'o', "FILE", "the disk image to write (required)"},
	{"kernel", 0, "FILE", "boot this bzImage instead of Debian's kernel package"},
	{"modules", 0, "DIR", "with --kernel: DIR/lib/modules/VERSION holds its modules (depmod'ed)"},
	{"kernel-package", 0, "PKG", "the Debian kernel package (default: linux-image-amd64)"},
	{"init", 0, "FILE", "the binary at /init in the core image (default: sigil-init beside sigil)"},
	{"module", 'm', "NAME", "also load this kernel module (repeatable)"},
	{"build-dir", 0, "DIR", "where a SYSTEM file is built (default: result)"},
	{"cache", 0, "DIR", "the download cache (default: $SIGIL_CACHE or $XDG_CACHE_HOME/sigil)"},
	{"state-size", 0, "BYTES", "size of the state partition (default: 2.5 MiB + 0.5 MiB a state mount)"},
	{"append", 0, "ARGS", "kernel arguments before sigil.system= (default: console=ttyS0 panic=-1)"},
	{"keep-module-signatures", 0, NULL, "modules as shipped (default: their appended signatures cut off)"},
	{"quiet", 'q', NULL, "print nothing but errors"},
	{0},
};

static void default_init(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	out[0] = 0;
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(out, size, "%.4000s/sigil-init", self) >= size)
				out[0] = 0;
		}
	}
}


/* `sigil build -q -o DIR SYSTEM`, its URN line kept off our stdout (on
 * stderr, or nowhere when quiet). */
static int build(const char *system, const char *outdir, int quiet)
{
	char *argv[] = {(char *)"build", (char *)"-q", (char *)"-o", (char *)(uintptr_t)outdir,
			(char *)(uintptr_t)system, NULL};
	int saved, rc;
	fflush(stdout);
	saved = dup(1);
	int to = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : 2;
	if (saved < 0 || to < 0 || dup2(to, 1) < 0)
		return EXIT_SYSTEM;
	if (quiet)
		close(to);
	rc = sigil_cmd_build.run(&sigil_cmd_build, 5, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

/* The one VERSION under DIR/lib/modules. */
static int module_version(const char *dir, char *out, size_t size)
{
	char p[4200];
	DIR *d;
	int n = 0;
	snprintf(p, sizeof p, "%s/lib/modules", dir);
	if (!(d = opendir(p)))
		return -1;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.') {
			snprintf(out, size, "%.120s", de->d_name);
			n++;
		}
	closedir(d);
	return n == 1 ? 0 : -1;
}

static int exit_for(const disk_error *e)
{
	switch (e->code) {
	case DISK_E_STORE:
	case DISK_E_FORMAT: return EXIT_DATA;
	case DISK_E_ARG: return EXIT_USAGE;
	default: return EXIT_SYSTEM;
	}
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a = {0};
	int status = EXIT_OK;
	char urnp[4200], urn[ERIS_URN_LEN + 2] = "", spec[4300], init[PATH_MAX], cache[4096];
	char work[4200] = "", log[4300] = "", keep[4300], kver[128] = "";
	const char **mods = NULL;
	store *st = NULL;
	disk_error de = {0};
	img_kernel k = {0};
	struct stat sb;

	if (sigil_parse(cmd, argc, argv, 0, &a, &status))
		return status;
	const char *out = cli_get(cmd, &a.a, "output"), *kernel = cli_get(cmd, &a.a, "kernel");
	const char *modroot = cli_get(cmd, &a.a, "modules");
	int quiet = cli_get(cmd, &a.a, "quiet") != NULL;
	if (a.a.argc != 1 || !out) {
		status = cli_fail(cmd, EXIT_USAGE, "expected one SYSTEM file or build directory, and -o FILE");
		goto out;
	}
	uint64_t epoch = 0, state_size = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde && cli_parse_u64(sde, &epoch)) {
		status = cli_fail(cmd, EXIT_USAGE, "SOURCE_DATE_EPOCH='%s' is not a number", sde);
		goto out;
	}
	if (cli_get(cmd, &a.a, "state-size") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "state-size"), &state_size) ||
	     state_size < STATE_MIN)) {
		status = cli_fail(cmd, EXIT_USAGE, "--state-size: a number of bytes, at least 2 MiB");
		goto out;
	}
	if (modroot && !kernel) {
		status = cli_fail(cmd, EXIT_USAGE, "--modules goes with --kernel");
		goto out;
	}

	/* 1. the system */
	const char *arg = a.a.argv[0], *outdir = arg;
	if (stat(arg, &sb) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "'%s': %s", arg, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		outdir = cli_get(cmd, &a.a, "build-dir") ? cli_get(cmd, &a.a, "build-dir") : "result";
		if ((status = build(arg, outdir, quiet)) != 0)
			goto out;
	}
	snprintf(urnp, sizeof urnp, "%s/system.urn", outdir);
	FILE *f = fopen(urnp, "r");
	if (!f) {
		status = cli_fail(cmd, EXIT_USAGE, "'%s' has no system.urn (not a sigil build output)",
				  outdir);
		goto out;
	}
	if (!fgets(urn, sizeof urn, f))
		urn[0] = 0;
	fclose(f);
	urn[strcspn(urn, "\r\n")] = 0;
	if (strncmp(urn, "urn:eris:", 9) != 0) {
		status = cli_fail(cmd, EXIT_DATA, "'%s' holds no URN", urnp);
		goto out;
	}
	snprintf(spec, sizeof spec, "pack:%s/store.pack", outdir);
	eris_error ee = {0};
	if (store_open(&st, spec, STORE_READ, &ee)) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot open store '%s': %s", spec, ee.msg);
		goto out;
	}

	/* the work directory and its log */
	snprintf(work, sizeof work, "%s.work.XXXXXX", out);
	if (!mkdtemp(work)) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot create a work directory beside '%s': %s",
				  out, strerror(errno));
		work[0] = 0;
		goto out;
	}
	snprintf(log, sizeof log, "%s/tools.log", work);

	/* 2. the init and the kernel */
	if (cli_get(cmd, &a.a, "init"))
		snprintf(init, sizeof init, "%s", cli_get(cmd, &a.a, "init"));
	else
		default_init(init, sizeof init);
	if (stat(init, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		status = cli_fail(cmd, EXIT_USAGE,
				  "no init binary: '%s' is not there (build sigil-init with make, "
				  "or give --init FILE)",
				  init);
		goto out;
	}
	if (kernel) {
		errno = 0;
		if (stat(kernel, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			status = cli_fail(cmd, EXIT_USAGE, "--kernel '%s': %s", kernel,
					  errno ? strerror(errno) : "not a file");
			goto out;
		}
		if (modroot && module_version(modroot, kver, sizeof kver) != 0) {
			status = cli_fail(cmd, EXIT_USAGE,
					  "--modules '%s': expected one DIR/lib/modules/VERSION", modroot);
			goto out;
		}
	} else {
		sigil_cache_dir(cache, sizeof cache);
		if (cli_get(cmd, &a.a, "cache"))
			snprintf(cache, sizeof cache, "%s", cli_get(cmd, &a.a, "cache"));
		if (!quiet && cli_show_progress())
			fprintf(stderr, "sigil image: the kernel (cache %s)\n", cache);
		if (img_kernel_fetch(cache, cli_get(cmd, &a.a, "kernel-package"), log, &k, &de)) {
			status = cli_fail(cmd, de.code == DISK_E_NOTFOUND ? EXIT_USAGE : EXIT_SYSTEM,
					  "no kernel: %s", de.msg);
			goto out;
		}
		kernel = k.vmlinuz;
		modroot = k.modroot;
		snprintf(kver, sizeof kver, "%s", k.version);
	}

	/* 3. the modules */
	size_t nextra = 0, uplinks = 0, states = 0, nm = 0;
	const char **extra = sigil_all(cmd, &a, "module", &nextra);
	if (img_system_needs(st, urn, &uplinks, &states, &de)) {
		status = cli_fail(cmd, exit_for(&de), "%s", de.msg);
		goto out;
	}
	if (!(mods = calloc(nextra + 6, sizeof *mods))) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	mods[nm++] = "virtio_pci";
	mods[nm++] = "virtio_blk";
	mods[nm++] = "fuse"; /* sigil-init serves the children's /rom over FUSE */
	if (states) {
		mods[nm++] = "ext4"; /* the state partition */
		if (!state_size)
			state_size = STATE_BASE + STATE_PER_MOUNT * states;
	} else {
		state_size = 0; /* nothing keeps state: no partition */
	}
	if (uplinks) {
		mods[nm++] = "virtio_net"; /* the VM's NIC, which the forwards listen on */
		mods[nm++] = "veth";       /* the children's uplinks */
	}
	for (size_t i = 0; i < nextra; i++)
		mods[nm++] = extra[i];

	/* 4. the image */
	img_opts o = {
		.root_urn = urn,
		.store = st,
		.kernel = kernel,
		.modroot = modroot,
		.kversion = kver[0] ? kver : NULL,
		.modules = mods,
		.nmodules = modroot ? nm : 0,
		.init = init,
		.workdir = work,
		.log = log,
		.epoch = epoch,
		.state_size = state_size,
		.cmdline = cli_get(cmd, &a.a, "append") ? cli_get(cmd, &a.a, "append")
							: "console=ttyS0 panic=-1",
		.keep_module_sigs = cli_get(cmd, &a.a, "keep-module-signatures") != NULL,
	};
	img_result r;
	if (img_build(&o, out, &r, &de)) {
		status = cli_fail(cmd, exit_for(&de), "%s", de.msg);
		goto out;
	}
	if (!quiet) {
		char g[4][GPT_GUID_TEXT];
		gpt_guid_format(&r.disk, g[0]);
		gpt_guid_format(&r.esp, g[1]);
		gpt_guid_format(&r.store, g[2]);
		gpt_guid_format(&r.state, g[3]);
		fprintf(stderr,
			"sigil image: %s, %.1f MiB: esp %.1f MiB, store %.1f MiB (%zu blocks), "
			"state %.1f MiB; kernel %s, %zu modules\n"
			"  disk  %s\n  esp   %s\n  store %s\n  state %s\n",
			out, r.total_bytes / 1048576.0, r.esp_bytes / 1048576.0,
			r.store_bytes / 1048576.0, r.blocks, r.state_bytes / 1048576.0,
			kver[0] ? kver : kernel,
			r.nmodules, g[0], g[1], g[2], g[3]);
	}
out:
	if (work[0]) {
		if (status != EXIT_OK && access(log, R_OK) == 0) {
			snprintf(keep, sizeof keep, "%s.log", out);
			if (rename(log, keep) == 0)
				fprintf(stderr, "sigil image: the tools' output is in %s\n", keep);
		}
		const char *rm[] = {"rm", "-rf", "--", work, NULL};
		disk_error ignored;
		if (img_run(rm, NULL, NULL, NULL, "coreutils", &ignored))
			fprintf(stderr, "sigil image: warning: cannot remove %s\n", work);
	}
	if (st)
		store_close(st);
	free(mods);
	sigil_args_free(&a);
	return status;
}

const struct cli_cmd sigil_cmd_image = {
	.name = "image",
	.args = "-o FILE [--kernel F [--modules DIR]] [--init F] [-m MODULE]... SYSTEM|DIR",
	.summary = "write a bootable GPT disk image of a system (ESP, store, state), no root needed",
	.details = "Builds SYSTEM first (as `sigil build`, into --build-dir) unless given a build\n"
		   "directory. The disk holds an ESP (GRUB, the kernel, the core image with the\n"
		   "init and the kernel modules), the store partition (a pack with exactly the\n"
		   "system's blocks, found by its GUID) and, when a child has a state mount, an\n"
		   "ext4 state partition; each partition is as large as what it holds. The kernel\n"
		   "is Debian's package, downloaded once into the cache, unless --kernel says\n"
		   "otherwise. Reproducible: set SOURCE_DATE_EPOCH; the same inputs give the\n"
		   "same bytes. Layout: docs/image-format.md.",
	.opts = opts,
	.run = run,
};
