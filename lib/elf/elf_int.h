/*
 * elf_int.h — what the files of lib/elf share and nobody else needs.
 */
#ifndef SIGIL_ELF_INT_H
#define SIGIL_ELF_INT_H

#include "elf.h"

/* The built-in default library directories (after ld.so.cache). */
extern const char *const elf_default_dirs[];
extern const size_t elf_n_default_dirs;

/* Copies of the error message into err->msg prefixed by "what: ". */
void elf_error_prefix(elf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies src into dst (size bytes), truncating, always terminated. */
void elf_copy(char *dst, size_t size, const char *src);

/* Grows *p (of *cap elements of size sz) to hold at least n; 0 or -1. */
int elf_grow(void *p, size_t *cap, size_t n, size_t sz);

#endif
