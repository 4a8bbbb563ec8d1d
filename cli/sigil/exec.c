/*
 * exec.c — `sigil exec`: run an imported program from verified bytes.
 *
 * Phases, each failing closed (nothing is run unless every phase passed):
 *   1. load: decode the closure description named by URN (every block
 *      verified) and check it (lib/elf/desc.c).
 *   2. namespace: unshare(CLONE_NEWNS), then make every mount private
 *      (MS_REC|MS_PRIVATE) so nothing we mount leaks to the host; create /rom
 *      on the host root if it does not exist (an empty directory, once).
 *   3. rom: mount a fresh tmpfs at /rom (nosuid, nodev) and decode every file
 *      of the description into it (lib/elf/rom.c): files named by URN (or by
 *      their declared target path), mode 0555. A missing or tampered block
 *      stops here with the block and the file named; the tmpfs dies with us.
 *   4. seal: remount /rom read-only.
 *   5. exec: environment = ours + the description's env + --env, argv[0] =
 *      the description's argv0 (or --argv0), then execv /rom/<exec>. The
 *      stock glibc loader finds everything in /rom through the patched
 *      PT_INTERP, DT_NEEDED and DT_RUNPATH.
 * The host root stays visible otherwise (this is not a sandbox; sigil-init's
 * children get one). Needs CAP_SYS_ADMIN (root).
 */
#include "sigil_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt exec_opts[] = {
	{"store", 's', "STORE", "block store to read"},
	{"env", 'e', "NAME=VALUE", "set an environment variable for the program (after the "
				   "closure's own); repeatable"},
	{"argv0", 0, "NAME", "argv[0] for the program (default: the name recorded at import)"},
	{"jobs", 'j', "N", "decode N files at a time (default: the CPUs online, at most 4)"},
	{"check", 0, NULL, "decode and verify into /rom, then exit 0 without running anything"},
	{0},
};

static int run_exec(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a;
	const char *spec, *urn, **envs;
	size_t n_env = 0;
	elf_desc d;
	elf_error err;
	store *s = NULL;
	char **args = NULL, path[4096 + 8];
	int status = EXIT_OK, rom = -1, jobs = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&d, 0, sizeof d);
	memset(&err, 0, sizeof err);
	if (sigil_parse(cmd, argc, argv, 1, &a, &status))
		return status;
	spec = cli_get(cmd, &a.a, "store");
	envs = sigil_all(cmd, &a, "env", &n_env);
	jobs = cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus;
	if (!spec) {
		status = cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
		goto out;
	}
	if (a.a.argc == 0) {
		status = cli_fail(cmd, EXIT_USAGE, "no urn given");
		goto out;
	}
	if (cli_get(cmd, &a.a, "jobs")) {
		uint64_t j = 0;
		if (cli_parse_u64(cli_get(cmd, &a.a, "jobs"), &j) != 0 || j < 1 || j > 16) {
			status = cli_fail(cmd, EXIT_USAGE, "--jobs wants a number from 1 to 16");
			goto out;
		}
		jobs = (int)j;
	}
	for (size_t i = 0; i < n_env; i++)
		if (!strchr(envs[i], '=') || envs[i][0] == '=') {
			status = cli_fail(cmd, EXIT_USAGE, "--env \"%s\" is not NAME=VALUE", envs[i]);
			goto out;
		}
	urn = a.a.argv[0];

	/* 1. load */
	if (store_open(&s, spec, STORE_READ, &err.eris) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.eris.msg);
		goto out;
	}
	if (elf_desc_load(&d, s, urn, &err) != 0) {
		if (err.code == ELF_E_ARG)
			status = cli_fail(cmd, EXIT_USAGE, "%s", err.msg);
		else
			status = sigil_fail_elf(cmd, &err);
		goto out;
	}

	/* 2. namespace */
	if (unshare(CLONE_NEWNS) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make a mount namespace: %s (needs root)",
				  strerror(errno));
		goto out;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make mounts private: %s",
				  strerror(errno));
		goto out;
	}
	if (mkdir("/rom", 0755) != 0 && errno != EEXIST) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot create /rom: %s", strerror(errno));
		goto out;
	}

	/* 3. rom */
	if (mount("sigil-rom", "/rom", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot mount a tmpfs at /rom: %s",
				  strerror(errno));
		goto out;
	}
	rom = open("/rom", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rom < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot open /rom: %s", strerror(errno));
		goto out;
	}
	if (elf_rom_populate(s, spec, &d, rom, jobs, &err) != 0) {
		status = sigil_fail_elf(cmd, &err);
		goto out;
	}
	store_close(s);
	s = NULL;

	/* 4. seal */
	if (mount(NULL, "/rom", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make /rom read-only: %s",
				  strerror(errno));
		goto out;
	}
	if (cli_get(cmd, &a.a, "check"))
		goto out;

	/* 5. exec */
	for (size_t i = 0; i < d.n_env + n_env; i++) {
		const char *e = i < d.n_env ? d.env[i] : envs[i - d.n_env];
		char *name = strndup(e, (size_t)(strchr(e, '=') - e));
		if (!name || setenv(name, strchr(e, '=') + 1, 1) != 0) {
			free(name);
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot set the environment");
			goto out;
		}
		free(name);
	}
	args = calloc((size_t)a.a.argc + 1, sizeof *args);
	if (!args) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	args[0] = cli_get(cmd, &a.a, "argv0") ? (char *)(uintptr_t)cli_get(cmd, &a.a, "argv0")
					      : d.argv0;
	for (int i = 1; i < a.a.argc; i++)
		args[i] = a.a.argv[i];
	snprintf(path, sizeof path, "/rom/%s", d.exec);
	fflush(NULL);
	execv(path, args);
	status = cli_fail(cmd, EXIT_SYSTEM, "cannot run %s: %s", path, strerror(errno));
out:
	free(args);
	if (rom >= 0)
		close(rom);
	store_close(s);
	elf_desc_release(&d);
	sigil_args_free(&a);
	return status;
}

const struct cli_cmd sigil_cmd_exec = {
	"exec", "-s STORE [-e NAME=VALUE]... [--argv0 NAME] URN [ARGS...]",
	"Run an imported program from its verified closure.",
	"URN is what \"sigil import\" printed. In a private mount namespace, every file of\n"
	"the closure is decoded from STORE into a tmpfs at /rom, each block verified; a\n"
	"missing or tampered block stops here (exit 1) naming the block and the file, before\n"
	"anything runs. Then /rom is made read-only and the program is exec'd with ARGS.\n"
	"Options after URN are the program's. Needs root (CAP_SYS_ADMIN).",
	exec_opts, run_exec};
