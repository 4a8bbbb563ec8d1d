/*
 * elf.h — binaries as capabilities: ELF closure resolution, URN patching,
 * closure descriptions and verified loading into a ROM directory.
 *
 * A program and everything it loads is imported into an ERIS store so that
 * one URN names all of it and every byte is verified when it is loaded:
 *
 *   1. Resolve (closure.c, read.c, ldcache.c): starting from the program,
 *      follow PT_INTERP and every DT_NEEDED the way glibc's loader does
 *      (DT_RPATH, LD_LIBRARY_PATH when asked, DT_RUNPATH, $ORIGIN,
 *      /etc/ld.so.cache, default directories), plus the extra files the user
 *      declares (dlopen'd plugins, data, whole directories). Every file read
 *      is a node, identified by its real path. A program that is a "#!"
 *      script brings its interpreter (an ELF program, "env NAME" looked up
 *      on PATH) and the interpreter's closure; the script's "#!" line is
 *      rewritten to "#!/rom/urn:eris:…" (the interpreter's URN) on import.
 *   2. Patch (import.c): bottom-up, so that a library's URN is the URN of its
 *      patched bytes: DT_NEEDED -> "urn:eris:…", PT_INTERP ->
 *      "/rom/urn:eris:…", DT_RUNPATH -> "/rom" (DT_RPATH dropped). Copies are
 *      patched by patch.c (patchelf for the files it does not handle);
 *      originals are never written. One exception: a
 *      DT_NEEDED naming the dynamic linker itself (libc's
 *      "ld-linux-x86-64.so.2") keeps its soname, because glibc recognises
 *      itself by soname and would otherwise map a second copy of itself; its
 *      content is pinned anyway by the program's PT_INTERP.
 *   3. Describe (desc.c): a small CBOR "closure description" lists every
 *      file /rom must hold (name -> read capability), the program to run and
 *      its argv[0] and environment. It is stored like any file; its URN is
 *      what `sigil import` prints and `sigil exec` takes.
 *   4. Load (rom.c): decode and verify every file of a description into a
 *      directory (sigil exec mounts a private tmpfs at /rom for it).
 *   5. Manifest (manifest.c): eris-manifest.json in the shape of the original
 *      Sigil's eris-patch-hook: { path: { cap, closure: { path: cap } } }.
 *
 * Functions return 0 or a negative ELF_E_* code and fill a caller-supplied
 * elf_error. Nothing here prints, exits or keeps global state (libelf's
 * elf_version handshake aside). Names avoid libelf's own elf_* functions:
 * every public name here is elf_info_*, elf_ldcache_*, elf_closure_*,
 * elf_desc_*, elf_rom_*, elf_manifest_* or elf_error*.
 */
#ifndef SIGIL_ELF_H
#define SIGIL_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "eris/eris.h"
#include "store/store.h"

#define ELF_WARN_UNUSED __attribute__((warn_unused_result))

/* Error codes (negative returns). */
enum {
	ELF_OK = 0,
	ELF_E_ARG = -1,      /* bad argument from the caller */
	ELF_E_NOMEM = -2,    /* allocation failed */
	ELF_E_IO = -3,       /* a file cannot be opened, read or written */
	ELF_E_FORMAT = -4,   /* not ELF, or a malformed header or dynamic section */
	ELF_E_NOTFOUND = -5, /* a DT_NEEDED library cannot be found */
	ELF_E_CYCLE = -6,    /* libraries that need each other (no bottom-up order) */
	ELF_E_PATCH = -7,    /* patchelf failed or is missing */
	ELF_E_ERIS = -8,     /* encoding or decoding failed: details in err->eris */
	ELF_E_DESC = -9,     /* a malformed closure description */
};

/* Details of a failure. `msg` is one lowercase line. For ELF_E_ERIS, `eris`
 * holds the codec's or store's own report (eris.has_ref: the block at fault)
 * and `file` names the file being encoded or decoded. */
typedef struct elf_error {
	int code;
	char msg[1024];
	char file[512];
	eris_error eris;
} elf_error;

/* A short name for an error code. Never NULL. */
const char *elf_strerror(int code);

/* Fills err (may be NULL) with a formatted message; returns code. */
int elf_error_set(elf_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- reading ELF (read.c) ------------------------------------------------ */

/* What the loader needs to know about one ELF file. Strings are owned. */
typedef struct elf_info {
	int elf_class;    /* ELFCLASS32 or ELFCLASS64 */
	int data;         /* ELFDATA2LSB or ELFDATA2MSB */
	int machine;      /* e_machine */
	int type;         /* e_type: ET_EXEC, ET_DYN, ET_REL ... */
	int has_dynamic;  /* a PT_DYNAMIC segment with a string table */
	int nodeflib;     /* DF_1_NODEFLIB: no ld.so.cache, no default dirs */
	char *interp;     /* PT_INTERP, or NULL */
	char *soname;     /* DT_SONAME, or NULL */
	char *runpath;    /* DT_RUNPATH, or NULL */
	char *rpath;      /* DT_RPATH, or NULL */
	char **needed;    /* DT_NEEDED entries, in order */
	size_t n_needed;
} elf_info;

/* 1 when data starts with the ELF magic. */
int elf_info_is_elf(const void *data, size_t len);

/* Parses an ELF image in memory (not modified, not kept). ELF_E_FORMAT when
 * it is not ELF or its program headers, PT_INTERP or dynamic section are
 * malformed (out of bounds, unterminated strings, no string table). On
 * success *info must be released with elf_info_release. */
int elf_info_parse(elf_info *info, const void *data, size_t len, elf_error *err) ELF_WARN_UNUSED;

/* elf_info_parse on a file (mapped read-only). */
int elf_info_read(elf_info *info, const char *path, elf_error *err) ELF_WARN_UNUSED;

void elf_info_release(elf_info *info);

/* ---- /etc/ld.so.cache (ldcache.c) ---------------------------------------- */

typedef struct elf_ldcache_entry {
	const char *name; /* soname ("libc.so.6"), points into the cache data */
	const char *path; /* full path */
	int32_t flags;    /* FLAG_ELF_LIBC6 | arch bits, as ldconfig writes them */
	uint64_t hwcap;   /* non-zero: a glibc-hwcaps variant (skipped by lookups) */
} elf_ldcache_entry;

typedef struct elf_ldcache {
	uint8_t *data;
	size_t len;
	elf_ldcache_entry *entries;
	size_t n;
} elf_ldcache;

/* Parses the "glibc-ld.so.cache1.1" format (alone or after the old
 * "ld.so-1.7.0" table). Copies data. ELF_E_FORMAT when malformed. */
int elf_ldcache_parse(elf_ldcache *c, const void *data, size_t len, elf_error *err) ELF_WARN_UNUSED;

/* Loads a cache file; a file that does not exist gives an empty cache. */
int elf_ldcache_load(elf_ldcache *c, const char *path, elf_error *err) ELF_WARN_UNUSED;

/* The ldconfig flags word matching objects of this class and machine
 * (e.g. 0x0303 for x86-64), or -1 when the machine is not known. */
int32_t elf_ldcache_flags_for(int elf_class, int machine);

/* Paths recorded for `name` with flags `want` (-1: any), in cache order;
 * *pos starts at 0 and is advanced. NULL when there are no more. */
const char *elf_ldcache_next(const elf_ldcache *c, const char *name, int32_t want, size_t *pos);

void elf_ldcache_release(elf_ldcache *c);

/* ---- closure resolution (closure.c) --------------------------------------- */

/* A file the program needs at run time that no DT_NEEDED names: SOURCE is a
 * file or a directory (taken recursively, symbolic links followed), TARGET
 * the path under /rom it appears at (relative, no "..", no empty parts). */
typedef struct elf_extra {
	const char *source;
	const char *target;
} elf_extra;

typedef struct elf_closure_opts {
	const char *const *library_path; /* searched like LD_LIBRARY_PATH */
	size_t n_library_path;
	const char *ldcache;             /* NULL: /etc/ld.so.cache; "": none */
	const char *const *default_dirs; /* NULL: the built-in list */
	size_t n_default_dirs;
	int no_default_dirs;             /* 1: neither ld.so.cache nor default dirs */
} elf_closure_opts;

enum { ELF_NONE = (size_t)-1 };

/* One file of the closure. */
typedef struct elf_node {
	char *path;        /* the path it was found at (the base of $ORIGIN) */
	char *real;        /* its real path: the node's identity */
	int is_elf;        /* ELF at all (else data, stored as is) */
	int patch;         /* ELF with a dynamic section or interpreter: patched */
	int reached;       /* 1 when placed under its URN (program, NEEDED, PT_INTERP) */
	int is_interp;     /* some node's PT_INTERP */
	int script;        /* the program is a "#!" script: `interp` is its
			    * interpreter's node (an ELF program, patched as any) */
	char *script_arg;  /* the optional argument of its "#!" line, or NULL */
	int state;         /* import: 0 new, 1 on the stack, 2 done */
	elf_info info;
	size_t *deps;      /* per info.needed[i]: node index, or ELF_NONE for the
			    * entry that names the dynamic linker (kept as is) */
	size_t interp;     /* node of PT_INTERP, or ELF_NONE */
	uint64_t size;     /* bytes stored (after patching) */
	char urn[ERIS_URN_LEN + 1]; /* set by elf_closure_import */
} elf_node;

/* An extra file placed at `target` under /rom. */
typedef struct elf_placed {
	char *target; /* path under /rom */
	char *source; /* the file it came from */
	size_t node;
} elf_placed;

typedef struct elf_closure {
	elf_node *nodes;
	size_t n, cap;
	size_t program;      /* the root node */
	char *program_path;  /* absolute path of the program as given */
	elf_placed *extras;  /* sorted by target */
	size_t n_extras;
	char *argv0;         /* basename of the program path as given */
	char **env;          /* "NAME=VALUE" recorded for exec */
	size_t n_env;
	char desc_urn[ERIS_URN_LEN + 1]; /* set by elf_closure_import */
} elf_closure;

/* Resolves the closure of `program` (an ELF file, or a "#!" script whose
 * interpreter is one) and the extras. Every DT_NEEDED must be found
 * (ELF_E_NOTFOUND names it and who needs it), and a script's interpreter
 * (ELF_E_NOTFOUND; ELF_E_FORMAT for a "#!" line the kernel would refuse). On
 * success *c must be released with elf_closure_release; on failure it is
 * released already. */
int elf_closure_resolve(elf_closure *c, const char *program, const elf_extra *extras,
			size_t n_extras, const elf_closure_opts *opts, elf_error *err) ELF_WARN_UNUSED;

void elf_closure_release(elf_closure *c);

/* ---- patching and import (import.c) --------------------------------------- */

typedef struct elf_import_opts {
	const char *patchelf;  /* NULL: our rewriter (patch.c), and "patchelf" on PATH
				* for files it does not handle; else run this */
	const uint8_t *secret; /* convergence secret (32 bytes) or NULL */
	const char *workdir;   /* where patched copies are written (removed after) */
	const char *const *env;/* "NAME=VALUE" recorded in the description */
	size_t n_env;
	const char *argv0;     /* NULL: the basename of the program path */
} elf_import_opts;

/* Patches (copies of) every node bottom-up and encodes it into `s` (NULL:
 * compute URNs only), then encodes the closure description; sets every
 * node's urn and c->desc_urn. Deterministic: the same files, targets,
 * options and secret give the same URNs (with the same patchelf release). */
int elf_closure_import(elf_closure *c, store *s, const elf_import_opts *o,
		       elf_error *err) ELF_WARN_UNUSED;

/* ---- closure descriptions (desc.c) ---------------------------------------- */

/* A file under /rom: `name` is a URN (for the program and its libraries) or a
 * declared target path. */
typedef struct elf_desc_file {
	char *name;
	eris_cap cap;
} elf_desc_file;

/* The CBOR description (format in desc.c). Strings are owned. */
typedef struct elf_desc {
	char *argv0;
	char *exec;           /* name of the file to run (one of files[]) */
	char **env;           /* "NAME=VALUE" */
	size_t n_env;
	elf_desc_file *files; /* sorted by name, unique */
	size_t n_files;
} elf_desc;

enum { ELF_DESC_MAX = 16 << 20 }; /* the largest description we decode */

/* Encodes d (files must be sorted and unique) into a malloc'ed buffer. */
int elf_desc_encode(const elf_desc *d, uint8_t **out, size_t *len, elf_error *err) ELF_WARN_UNUSED;

/* Decodes and validates a description: known keys only, names relative
 * without "." or ".." parts, sorted and unique, exec among them, every URN
 * name matching its capability. ELF_E_DESC when not. */
int elf_desc_decode(elf_desc *d, const uint8_t *data, size_t len, elf_error *err) ELF_WARN_UNUSED;

/* Decodes (verifying every block) the content of `urn` from s and parses
 * it as a description. ELF_E_ERIS names the block; ELF_E_DESC when it is
 * not a description. */
int elf_desc_load(elf_desc *d, store *s, const char *urn, elf_error *err) ELF_WARN_UNUSED;

/* Validates a relative target path (for descriptions and --extra). */
int elf_desc_check_name(const char *name);

void elf_desc_release(elf_desc *d);

/* ---- loading (rom.c) ------------------------------------------------------- */

/* Decodes every file of d from s into the directory dirfd (creating the
 * parent directories of target paths), each verified block by block and
 * given mode 0555; then sets directories to 0555. On a missing or damaged
 * block, ELF_E_ERIS with err->file naming the file and err->eris the block.
 * `threads` >= 1 decodes that many files at a time (one store handle each,
 * opened from `spec`, when threads > 1; spec NULL or "mem:": one thread). */
int elf_rom_populate(store *s, const char *spec, const elf_desc *d, int dirfd, int threads,
		     elf_error *err) ELF_WARN_UNUSED;

/* ---- manifest (manifest.c) ------------------------------------------------- */

/* eris-manifest.json for imported closures: { program path: { "cap": URN,
 * "closure": { path: URN ... } } }, keys sorted, closure = every other file
 * (libraries by the path they were found at, extras by source path).
 * malloc'ed text, ending in a newline. */
int elf_manifest_json(const elf_closure *const *cs, size_t n, char **out,
		      elf_error *err) ELF_WARN_UNUSED;

#endif
