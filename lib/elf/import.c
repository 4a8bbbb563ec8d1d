/*
 * import.c — patching a resolved closure bottom-up and encoding it into a
 * store, then encoding its closure description.
 *
 * Order: a depth-first post-order over DT_NEEDED and PT_INTERP edges, so a
 * file is patched only after every file it names has its URN (the URN of the
 * *patched* bytes). A cycle among libraries has no such order and fails with
 * ELF_E_CYCLE naming the files (the dynamic-linker entry, ELF_NONE, is no
 * edge, which is what breaks the libc <-> ld.so loop).
 *
 * Patching: each ELF with a dynamic section or interpreter is rewritten into
 * a copy by patch.c (elf_patch_node: one added segment holds the new names;
 * a few milliseconds of patchelf start-up per file saved). Files it does not
 * handle (32-bit, big-endian), or every file when a patchelf is named, go
 * through patchelf instead: copied by
 * `patchelf --set-rpath /rom --output COPY ORIGINAL` (the original is only
 * read; a DT_RPATH becomes DT_RUNPATH /rom), then the copy is patched again
 * in a second run (0.14 cannot do both in one, see patch_node) with
 *   --set-interpreter /rom/URN   when it has PT_INTERP
 *   --replace-needed NAME URN    for each DT_NEEDED but the dynamic linker's
 * A "#!" script is copied with its first line replaced by
 *   #!/rom/URN [ARG]             URN: its interpreter's (patched) closure file
 * so the kernel runs the verified interpreter from /rom; the rest of the
 * script is kept byte for byte.
 * The interpreter itself is stored unpatched (it has no DT_NEEDED, and its
 * bytes are what PT_INTERP pins). Other files (data, static, ET_REL) are
 * stored as they are. Copies go to a private temporary directory under the
 * caller's workdir and are removed as soon as they are encoded.
 *
 * Determinism: a URN depends only on bytes (the original's, patchelf's
 * deterministic rewrite of them, the URNs of its dependencies), the block
 * size (chosen from the length: eris_auto_block_size) and the secret — not on
 * paths, times or the order files were found in. The description lists files
 * sorted by name. patchelf's output can differ between its releases; tools/deps
 * pins Debian's package.
 */
#include "elf_int.h"
#include "patch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

extern char **environ;

/* Encodes the file at path; fills cap and *size. */
static int encode_file(const char *path, store *s, const uint8_t *secret, eris_cap *cap,
		       uint64_t *size, elf_error *err)
{
	int fd = -1, rc;
	struct stat st;
	void *map = MAP_FAILED;
	const void *data = "";

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			rc = elf_error_set(err, ELF_E_IO, "cannot map \"%s\": %s", path,
					   strerror(errno));
			goto out;
		}
		data = map;
	}
	memset(&err->eris, 0, sizeof err->eris);
	rc = eris_encode(data, (size_t)st.st_size, eris_auto_block_size((uint64_t)st.st_size),
			 secret, s ? store_eris_put : NULL, s, cap, &err->eris);
	if (rc != 0) {
		if (s && store_last_error(s) && store_last_error(s)->code)
			err->eris = *store_last_error(s);
		elf_copy(err->file, sizeof err->file, path);
		rc = elf_error_set(err, ELF_E_ERIS, "cannot encode \"%s\": %s", path,
				   err->eris.msg[0] ? err->eris.msg : eris_strerror(rc));
		goto out;
	}
	*size = (uint64_t)st.st_size;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Runs argv (argv[0] looked up on PATH); stderr's first line goes to err. */
static int run_patchelf(char *const *argv, const char *what, elf_error *err)
{
	posix_spawn_file_actions_t fa;
	int pfd[2] = {-1, -1}, status = 0, rc = 0;
	pid_t pid = -1;
	char msg[512];
	size_t got = 0;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return elf_error_set(err, ELF_E_IO, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return elf_error_set(err, ELF_E_PATCH, "cannot run \"%s\": %s", argv[0],
				     strerror(rc));
	}
	for (;;) {
		ssize_t n = read(pfd[0], msg + got, sizeof msg - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof msg - 1) {
			char sink[256];
			while (read(pfd[0], sink, sizeof sink) > 0)
				;
			break;
		}
	}
	msg[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		return elf_error_set(err, ELF_E_PATCH, "patchelf failed on \"%s\": %s", what,
				     got ? msg : "no message");
	}
	return 0;
}

/* Patches node i into `out`: two patchelf runs, because patchelf 0.14
 * corrupts the dynamic string table when --set-rpath and --replace-needed
 * come in one run (RUNPATH ends up naming a URN, DT_NEEDED unchanged). */
static int patch_node(const elf_closure *c, size_t i, const char *patchelf, const char *out,
		      elf_error *err)
{
	const elf_node *n = &c->nodes[i];
	size_t max = 8 + 3 * n->info.n_needed, k = 0;
	char **argv = calloc(max, sizeof *argv);
	char interp[ERIS_URN_LEN + 8];
	int rc = 0, first = 1;

	if (!argv)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	if (n->info.has_dynamic) {
		char *rp[] = {(char *)(uintptr_t)patchelf, "--set-rpath", "/rom", "--output",
			      (char *)(uintptr_t)out, n->real, NULL};
		rc = run_patchelf(rp, n->path, err);
		first = 0;
	}
	argv[k++] = (char *)(uintptr_t)patchelf;
	if (n->interp != ELF_NONE) {
		snprintf(interp, sizeof interp, "/rom/%s", c->nodes[n->interp].urn);
		argv[k++] = "--set-interpreter";
		argv[k++] = interp;
	}
	for (size_t j = 0; j < n->info.n_needed; j++) {
		if (n->deps[j] == ELF_NONE)
			continue;
		argv[k++] = "--replace-needed";
		argv[k++] = n->info.needed[j];
		argv[k++] = (char *)(uintptr_t)c->nodes[n->deps[j]].urn;
	}
	if (rc == 0 && k > 1) {
		if (first) {
			argv[k++] = "--output";
			argv[k++] = (char *)(uintptr_t)out;
			argv[k++] = n->real;
		} else {
			argv[k++] = (char *)(uintptr_t)out;
		}
		argv[k] = NULL;
		rc = run_patchelf(argv, n->path, err);
	}
	free(argv);
	return rc;
}

/* Writes the script of node i to `out` with its "#!" line naming the
 * interpreter by URN under /rom (its argument kept). */
static int patch_script(const elf_closure *c, size_t i, const char *out, elf_error *err)
{
	const elf_node *n = &c->nodes[i];
	char line[512];
	char *data = NULL;
	size_t len = 0, cap = 0;
	FILE *in = NULL, *o = NULL;
	int rc = 0;
	int k = snprintf(line, sizeof line, "#!/rom/%s%s%s\n", c->nodes[n->interp].urn,
			 n->script_arg ? " " : "", n->script_arg ? n->script_arg : "");
	if (k < 0 || k > 255) /* the kernel reads 256 bytes of a "#!" line */
		return elf_error_set(err, ELF_E_FORMAT,
				     "\"%s\": the \"#!\" line naming its interpreter by URN would be "
				     "longer than the kernel reads (256 bytes)", n->path);
	if (!(in = fopen(n->real, "rb")))
		return elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", n->real, strerror(errno));
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *d = realloc(data, nc);
			if (!d) {
				rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
				goto out;
			}
			data = d;
			cap = nc;
		}
		size_t got = fread(data + len, 1, cap - len, in);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		rc = elf_error_set(err, ELF_E_IO, "cannot read \"%s\"", n->real);
		goto out;
	}
	char *nl = memchr(data, '\n', len);
	size_t rest = nl ? (size_t)(nl + 1 - data) : len;
	if (!(o = fopen(out, "wb")) || fwrite(line, 1, (size_t)k, o) != (size_t)k ||
	    fwrite(data + rest, 1, len - rest, o) != len - rest) {
		rc = elf_error_set(err, ELF_E_IO, "cannot write \"%s\": %s", out, strerror(errno));
		goto out;
	}
	if (fclose(o) != 0) {
		o = NULL;
		rc = elf_error_set(err, ELF_E_IO, "cannot write \"%s\": %s", out, strerror(errno));
		goto out;
	}
	o = NULL;
out:
	if (o)
		fclose(o);
	fclose(in);
	free(data);
	return rc;
}

struct import {
	elf_closure *c;
	store *s;
	const elf_import_opts *o;
	char dir[PATH_MAX];
	unsigned long seq;
	elf_error *err;
};

static int import_node(struct import *im, size_t i)
{
	elf_node *n = &im->c->nodes[i];
	const char *src = n->real;
	char tmp[PATH_MAX + 32];
	eris_cap cap;
	int rc, patched = 0;

	if (n->state == 2)
		return 0;
	if (n->state == 1)
		return elf_error_set(im->err, ELF_E_CYCLE, "dependency cycle through \"%s\"",
				     n->path);
	n->state = 1;
	if (n->interp != ELF_NONE && (rc = import_node(im, n->interp)) != 0)
		return rc;
	for (size_t k = 0; k < im->c->nodes[i].info.n_needed; k++) {
		size_t j = im->c->nodes[i].deps[k];
		if (j != ELF_NONE && (rc = import_node(im, j)) != 0) {
			if (rc == ELF_E_CYCLE)
				elf_error_prefix(im->err, "\"%s\"", im->c->nodes[i].path);
			return rc;
		}
	}
	n = &im->c->nodes[i];
	if (n->script) {
		snprintf(tmp, sizeof tmp, "%s/%lu", im->dir, im->seq++);
		rc = patch_script(im->c, i, tmp, im->err);
		if (rc != 0) {
			unlink(tmp);
			return rc;
		}
		src = tmp;
		patched = 1;
	} else if (n->patch && !n->is_interp) {
		snprintf(tmp, sizeof tmp, "%s/%lu", im->dir, im->seq++);
		/* our rewriter (patch.c), unless a patchelf is named; patchelf
		 * for what it does not handle (ELF_E_FORMAT: not 64-bit LE ...) */
		rc = im->o->patchelf ? ELF_E_FORMAT : elf_patch_node(im->c, i, tmp, im->err);
		if (rc == ELF_E_FORMAT)
			rc = patch_node(im->c, i, im->o->patchelf ? im->o->patchelf : "patchelf",
					tmp, im->err);
		if (rc != 0)
			return rc;
		src = tmp;
		patched = 1;
	}
	rc = encode_file(src, im->s, im->o->secret, &cap, &n->size, im->err);
	if (patched)
		unlink(tmp);
	if (rc != 0)
		return rc;
	if (eris_cap_to_urn(&cap, n->urn, sizeof n->urn) != 0)
		return elf_error_set(im->err, ELF_E_ARG, "cannot format a urn");
	n->state = 2;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const elf_desc_file *)a)->name, ((const elf_desc_file *)b)->name);
}

/* Builds and stores the description. */
static int import_desc(struct import *im)
{
	elf_closure *c = im->c;
	elf_desc d;
	size_t n = 0, k = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	eris_cap cap;
	int rc;

	memset(&d, 0, sizeof d);
	for (size_t i = 0; i < c->n; i++)
		n += c->nodes[i].reached;
	n += c->n_extras;
	d.files = calloc(n ? n : 1, sizeof *d.files);
	if (!d.files)
		return elf_error_set(im->err, ELF_E_NOMEM, "out of memory");
	for (size_t i = 0; i < c->n; i++)
		if (c->nodes[i].reached)
			d.files[k++].name = c->nodes[i].urn;
	for (size_t i = 0; i < c->n_extras; i++)
		d.files[k++].name = c->extras[i].target;
	for (size_t i = 0; i < k; i++) {
		const char *urn = d.files[i].name;
		if (i >= k - c->n_extras)
			urn = c->nodes[c->extras[i - (k - c->n_extras)].node].urn;
		if (eris_cap_from_urn(&d.files[i].cap, urn, &im->err->eris) != 0) {
			rc = elf_error_set(im->err, ELF_E_ARG, "bad urn \"%s\"", urn);
			goto out;
		}
	}
	qsort(d.files, k, sizeof *d.files, cmp_file);
	/* identical files found at two paths have one name: keep it once */
	n = 0;
	for (size_t i = 0; i < k; i++)
		if (n == 0 || strcmp(d.files[n - 1].name, d.files[i].name) != 0)
			d.files[n++] = d.files[i];
	d.n_files = n;
	d.exec = c->nodes[c->program].urn;
	d.argv0 = im->o->argv0 ? (char *)(uintptr_t)im->o->argv0 : c->argv0;
	d.env = (char **)(uintptr_t)im->o->env;
	d.n_env = im->o->n_env;
	rc = elf_desc_encode(&d, &buf, &len, im->err);
	if (rc != 0)
		goto out;
	memset(&im->err->eris, 0, sizeof im->err->eris);
	rc = eris_encode(buf, len, eris_auto_block_size(len), im->o->secret,
			 im->s ? store_eris_put : NULL, im->s, &cap, &im->err->eris);
	if (rc != 0) {
		rc = elf_error_set(im->err, ELF_E_ERIS, "cannot encode the closure description: %s",
				   im->err->eris.msg);
		goto out;
	}
	if (eris_cap_to_urn(&cap, c->desc_urn, sizeof c->desc_urn) != 0)
		rc = elf_error_set(im->err, ELF_E_ARG, "cannot format a urn");
out:
	free(buf);
	free(d.files);
	return rc;
}

int elf_closure_import(elf_closure *c, store *s, const elf_import_opts *o, elf_error *err)
{
	struct import im = {c, s, o, {0}, 0, err};
	int rc = 0;

	if (!c || !o || !o->workdir)
		return elf_error_set(err, ELF_E_ARG, "no closure or work directory");
	if (snprintf(im.dir, sizeof im.dir, "%s/sigil-import.XXXXXX", o->workdir) >=
		    (int)sizeof im.dir ||
	    !mkdtemp(im.dir))
		return elf_error_set(err, ELF_E_IO, "cannot make a directory in \"%s\": %s",
				     o->workdir, strerror(errno));
	for (size_t i = 0; i < c->n; i++)
		c->nodes[i].state = 0;
	for (size_t i = 0; rc == 0 && i < c->n; i++)
		rc = import_node(&im, i);
	if (rc == 0)
		rc = import_desc(&im);
	if (rc == 0 && s) {
		memset(&err->eris, 0, sizeof err->eris);
		if (store_flush(s, &err->eris) != 0)
			rc = elf_error_set(err, ELF_E_ERIS, "%s", err->eris.msg);
	}
	rmdir(im.dir);
	return rc;
}
