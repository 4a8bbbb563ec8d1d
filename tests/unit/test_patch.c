/*
 * test_patch.c — our ELF rewriter (lib/elf/patch.c) on real binaries of this
 * machine: the patched copy names what it was told (read back with
 * elf_info_read, which parses with libelf, and with readelf when installed),
 * keeps every other name, leaves the original untouched, is the same bytes
 * every time, and still runs — a copy of /bin/true whose libc is named by
 * its absolute path (so the version needs must follow the rename, or ld.so
 * aborts) and whose interpreter and RUNPATH were rewritten exits 0. Files
 * the rewriter does not handle (not ELF, 32-bit, damaged program headers)
 * are ELF_E_FORMAT, which is when import.c runs patchelf instead.
 */
#include "tap.h"

#include "elf/patch.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

static char dir[256];

static int hash_file(const char *path, uint8_t h[32])
{
	FILE *f = fopen(path, "rb");
	crypto_generichash_state st;
	uint8_t buf[65536];
	size_t n;

	if (!f)
		return -1;
	crypto_generichash_init(&st, NULL, 0, 32);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_generichash_update(&st, buf, n);
	fclose(f);
	return crypto_generichash_final(&st, h, 32);
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Runs argv[0] with argv; its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int has_needed(const elf_info *in, const char *name)
{
	for (size_t i = 0; i < in->n_needed; i++)
		if (strcmp(in->needed[i], name) == 0)
			return 1;
	return 0;
}

static void real_binary(void)
{
	const char *src = "/bin/true";
	char out[300], out2[300], cmd[700], libc[256] = "";
	elf_info before, after;
	elf_error err = {0};
	uint8_t h0[32], h1[32], a[32], b[32];
	const char *interp;

	memset(&before, 0, sizeof before);
	memset(&after, 0, sizeof after);
	if (elf_info_read(&before, src, &err) != 0 || !before.interp ||
	    !has_needed(&before, "libc.so.6") || before.elf_class != 2 || before.data != 1) {
		tap_skip("no 64-bit little-endian /bin/true needing libc.so.6 here",
			 "a real binary is rewritten");
		elf_info_release(&before);
		return;
	}
	/* where this machine's loader finds libc.so.6 */
	{
		FILE *p = popen("ldd /bin/true 2>/dev/null | awk '/libc.so.6 =>/ {print $3}'", "r");
		if (p && fgets(libc, sizeof libc, p))
			libc[strcspn(libc, "\n")] = '\0';
		if (p)
			pclose(p);
	}
	interp = before.interp;
	snprintf(out, sizeof out, "%s/true", dir);
	snprintf(out2, sizeof out2, "%s/true2", dir);
	elf_rename rn[] = {{"libc.so.6", libc[0] ? libc : "libc.so.6"}};
	tap_ok(hash_file(src, h0) == 0, "hash the original");
	tap_ok(elf_patch_file(src, out, interp, "/nonexistent/rom", rn, 1, &err) == 0,
	       "/bin/true rewritten: libc by its path %s, RUNPATH, the interpreter: %s", libc,
	       err.msg);
	tap_ok(hash_file(src, h1) == 0 && memcmp(h0, h1, 32) == 0, "the original is untouched");
	tap_ok(elf_info_read(&after, out, &err) == 0, "the copy parses (libelf): %s", err.msg);
	tap_ok(libc[0] && has_needed(&after, libc) && !has_needed(&after, "libc.so.6"),
	       "DT_NEEDED names libc by its path");
	tap_ok(after.runpath && strcmp(after.runpath, "/nonexistent/rom") == 0 && !after.rpath,
	       "DT_RUNPATH is the new one, no DT_RPATH");
	tap_ok(after.interp && strcmp(after.interp, interp) == 0, "PT_INTERP as asked");
	tap_ok(after.n_needed == before.n_needed, "no DT_NEEDED lost or added (%zu)",
	       after.n_needed);
	tap_ok(chmod(out, 0755) == 0 && run((char *[]){out, NULL}) == 0,
	       "the copy runs and exits 0 (ld.so matched its version needs by the new name)");
	tap_ok(elf_patch_file(src, out2, interp, "/nonexistent/rom", rn, 1, &err) == 0 &&
		       hash_file(out, a) == 0 && hash_file(out2, b) == 0 && memcmp(a, b, 32) == 0,
	       "the same input gives the same bytes");
	elf_info_release(&after);
	memset(&after, 0, sizeof after);

	/* a longer interpreter path and renames of names that are not there */
	elf_rename none[] = {{"libnothere.so.1", "urn:eris:X"}};
	char longer[200];
	snprintf(longer, sizeof longer, "/rom/%0110d", 7);
	tap_ok(elf_patch_file(src, out2, longer, NULL, none, 1, &err) == 0 &&
		       elf_info_read(&after, out2, &err) == 0 && after.interp &&
		       strcmp(after.interp, longer) == 0 && has_needed(&after, "libc.so.6") &&
		       !after.runpath,
	       "only the interpreter changes when no DT_NEEDED matches and RUNPATH is kept");
	elf_info_release(&after);

	if (system("command -v readelf > /dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof cmd,
			 "readelf -d -V -l -W '%s' 2>&1 | grep -ci 'warning\\|error' | grep -qx 0",
			 out);
		tap_ok(system(cmd) == 0, "readelf reads the copy without a warning");
		snprintf(cmd, sizeof cmd, "readelf -V '%s' | grep -q 'File: %s'", out, libc);
		tap_ok(system(cmd) == 0, "readelf -V: the version needs name libc by its path");
	} else {
		tap_skip("no readelf", "readelf reads the copy without a warning");
		tap_skip("no readelf", "readelf -V: the version needs name libc by its path");
	}
	elf_info_release(&before);
}

static void refused(void)
{
	char path[300], out[300];
	elf_error err = {0};
	uint8_t h[64] = {0x7f, 'E', 'L', 'F', 1, 1, 1};

	snprintf(path, sizeof path, "%s/text", dir);
	snprintf(out, sizeof out, "%s/text.out", dir);
	tap_ok(write_file(path, "#!/bin/sh\necho hi\n", 18) == 0 &&
		       elf_patch_file(path, out, NULL, "/rom", NULL, 0, &err) == ELF_E_FORMAT,
	       "not elf: ELF_E_FORMAT: %s", err.msg);
	snprintf(path, sizeof path, "%s/elf32", dir);
	tap_ok(write_file(path, h, sizeof h) == 0 &&
		       elf_patch_file(path, out, NULL, "/rom", NULL, 0, &err) == ELF_E_FORMAT &&
		       strstr(err.msg, "64-bit"),
	       "32-bit elf: ELF_E_FORMAT (patchelf's job): %s", err.msg);
	h[4] = 2;    /* ELFCLASS64 */
	h[16] = 3;   /* ET_DYN */
	h[32] = 200; /* e_phoff past the end */
	h[54] = 56;  /* e_phentsize */
	h[56] = 4;   /* e_phnum */
	snprintf(path, sizeof path, "%s/badph", dir);
	tap_ok(write_file(path, h, sizeof h) == 0 &&
		       elf_patch_file(path, out, NULL, "/rom", NULL, 0, &err) == ELF_E_FORMAT,
	       "program headers past the end: ELF_E_FORMAT: %s", err.msg);
	snprintf(path, sizeof path, "%s/absent", dir);
	tap_ok(elf_patch_file(path, out, NULL, "/rom", NULL, 0, &err) == ELF_E_IO,
	       "a missing file: ELF_E_IO: %s", err.msg);
	tap_ok(access(out, F_OK) != 0, "and no output is left behind by any refusal");
}

int main(void)
{
	char cmd[300];

	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof dir, "%s/sigil-patch.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	real_binary();
	refused();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
