/*
 * patch.h — our own rewriter of the names an ELF file loads by (patch.c):
 * what import.c uses instead of running patchelf twice per file.
 */
#ifndef SIGIL_ELF_PATCH_H
#define SIGIL_ELF_PATCH_H

#include "elf.h"

/* One DT_NEEDED rename. */
typedef struct elf_rename {
	const char *from; /* the DT_NEEDED string as it is */
	const char *to;   /* what it becomes */
} elf_rename;

/* Writes to `out` (created or truncated, mode 0644) a copy of the ELF file
 * `in` in which
 *   - PT_INTERP names `interp` (NULL: left as it is; then the file must have
 *     none or keep its own),
 *   - DT_RUNPATH is `runpath` and DT_RPATH is gone (runpath NULL: both left),
 *   - every DT_NEEDED equal to a renames[i].from names renames[i].to.
 * The original is only read. ELF_E_FORMAT when the file is not one this
 * rewriter handles (only 64-bit little-endian ET_EXEC/ET_DYN with program
 * headers; the caller may fall back to patchelf) or is malformed; ELF_E_IO
 * when reading or writing fails. Deterministic: the output depends only on
 * the input bytes and the strings. */
int elf_patch_file(const char *in, const char *out, const char *interp, const char *runpath,
		   const elf_rename *renames, size_t n_renames, elf_error *err) ELF_WARN_UNUSED;

/* Patches node i of c into `out` the way import.c needs it (PT_INTERP ->
 * "/rom/" + its interpreter's URN, DT_RUNPATH -> "/rom" when it has a
 * dynamic section, each DT_NEEDED -> its library's URN but the dynamic
 * linker's own entry); every node it names must have its URN already.
 * Returns what elf_patch_file returns. */
int elf_patch_node(const elf_closure *c, size_t i, const char *out, elf_error *err) ELF_WARN_UNUSED;

#endif
