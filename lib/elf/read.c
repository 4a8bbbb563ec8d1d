/*
 * read.c — what the dynamic loader reads from an ELF file, read through
 * libelf (elfutils): class, machine, type, PT_INTERP and the dynamic section
 * (DT_NEEDED, DT_SONAME, DT_RUNPATH, DT_RPATH, DF_1_NODEFLIB).
 *
 * The dynamic section is found the way ld.so finds it — through the program
 * headers, not section headers (which may be stripped or lie): PT_DYNAMIC
 * gives the entries, DT_STRTAB is a virtual address mapped back to a file
 * offset through the PT_LOAD segment that contains it, DT_STRSZ bounds it.
 *
 * Invariants (the input is hostile: fuzz/fuzz_elf.c): every offset and size
 * is checked against the file size before use, with overflow-safe arithmetic;
 * every string must end inside both the string table and the file; counts
 * are bounded by what the file can hold. libelf does byte-order and class
 * conversion (gelf_*, elf_getdata_rawchunk); we never cast raw bytes to
 * structures. Anything malformed is ELF_E_FORMAT, never a crash.
 */
#include "elf_int.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

const char *elf_strerror(int code)
{
	switch (code) {
	case ELF_OK: return "success";
	case ELF_E_ARG: return "bad argument";
	case ELF_E_NOMEM: return "out of memory";
	case ELF_E_IO: return "i/o error";
	case ELF_E_FORMAT: return "malformed elf";
	case ELF_E_NOTFOUND: return "library not found";
	case ELF_E_CYCLE: return "dependency cycle";
	case ELF_E_PATCH: return "patching failed";
	case ELF_E_ERIS: return "eris error";
	case ELF_E_DESC: return "malformed closure description";
	}
	return "unknown error";
}

int elf_error_set(elf_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

int elf_info_is_elf(const void *data, size_t len)
{
	return len >= 4 && memcmp(data, ELFMAG, SELFMAG) == 0;
}

void elf_info_release(elf_info *info)
{
	if (!info)
		return;
	free(info->interp);
	free(info->soname);
	free(info->runpath);
	free(info->rpath);
	for (size_t i = 0; i < info->n_needed; i++)
		free(info->needed[i]);
	free(info->needed);
	memset(info, 0, sizeof *info);
}

/* The file offset of virtual address `addr` through the PT_LOAD segments. */
static int vaddr_to_offset(Elf *e, size_t phnum, uint64_t addr, size_t file_len, uint64_t *off,
			   uint64_t *room)
{
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr < ph.p_vaddr || addr - ph.p_vaddr >= ph.p_filesz)
			continue;
		uint64_t o = ph.p_offset + (addr - ph.p_vaddr);
		if (o < ph.p_offset || o >= file_len)
			return -1;
		*off = o;
		*room = ph.p_filesz - (addr - ph.p_vaddr);
		return 0;
	}
	return -1;
}

/* A copy of the NUL-terminated string at strtab[idx], bounded by strsz. */
static int dyn_string(const char *strtab, uint64_t strsz, uint64_t idx, char **out)
{
	const char *s, *nul;

	if (idx >= strsz)
		return -1;
	s = strtab + idx;
	nul = memchr(s, '\0', strsz - idx);
	if (!nul)
		return -1;
	*out = strdup(s);
	return *out ? 0 : -2;
}

int elf_info_parse(elf_info *info, const void *data, size_t len, elf_error *err)
{
	Elf *e = NULL;
	GElf_Ehdr eh;
	size_t phnum = 0;
	uint64_t dyn_off = 0, dyn_size = 0, strtab_addr = 0, strsz = 0;
	int have_dyn = 0, have_strtab = 0, have_strsz = 0, rc = ELF_E_FORMAT;
	uint64_t soname = 0, runpath = 0, rpath = 0;
	int have_soname = 0, have_runpath = 0, have_rpath = 0;
	uint64_t *needed_idx = NULL;
	size_t n_idx = 0;
	Elf_Data *dd = NULL;

	memset(info, 0, sizeof *info);
	if (!elf_info_is_elf(data, len))
		return elf_error_set(err, ELF_E_FORMAT, "not an elf file");
	if (elf_version(EV_CURRENT) == EV_NONE)
		return elf_error_set(err, ELF_E_FORMAT, "libelf: %s", elf_errmsg(-1));
	/* libelf reads the image without writing it (ELF_C_READ_MMAP) */
	e = elf_memory((char *)(uintptr_t)data, len);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		elf_error_set(err, ELF_E_FORMAT, "malformed elf header: %s", elf_errmsg(-1));
		goto out;
	}
	info->elf_class = eh.e_ident[EI_CLASS];
	info->data = eh.e_ident[EI_DATA];
	info->machine = eh.e_machine;
	info->type = eh.e_type;
	if (elf_getphdrnum(e, &phnum) != 0) {
		elf_error_set(err, ELF_E_FORMAT, "malformed program headers: %s", elf_errmsg(-1));
		goto out;
	}
	if (phnum > len / 32) {
		elf_error_set(err, ELF_E_FORMAT, "%zu program headers cannot fit", phnum);
		goto out;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph)) {
			elf_error_set(err, ELF_E_FORMAT, "program header %zu unreadable", i);
			goto out;
		}
		if (ph.p_type == PT_INTERP && !info->interp) {
			const char *p;
			if (ph.p_offset >= len || ph.p_filesz > len - ph.p_offset ||
			    ph.p_filesz == 0) {
				elf_error_set(err, ELF_E_FORMAT, "PT_INTERP out of bounds");
				goto out;
			}
			p = (const char *)data + ph.p_offset;
			if (!memchr(p, '\0', ph.p_filesz) || p[0] == '\0') {
				elf_error_set(err, ELF_E_FORMAT, "PT_INTERP is not a string");
				goto out;
			}
			info->interp = strdup(p);
			if (!info->interp) {
				rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
				goto out;
			}
		} else if (ph.p_type == PT_DYNAMIC && !have_dyn) {
			if (ph.p_offset >= len || ph.p_filesz > len - ph.p_offset) {
				elf_error_set(err, ELF_E_FORMAT, "PT_DYNAMIC out of bounds");
				goto out;
			}
			dyn_off = ph.p_offset;
			dyn_size = ph.p_filesz;
			have_dyn = 1;
		}
	}
	if (!have_dyn || dyn_size == 0) {
		rc = 0;
		goto out;
	}
	dd = elf_getdata_rawchunk(e, (int64_t)dyn_off, dyn_size, ELF_T_DYN);
	if (!dd) {
		elf_error_set(err, ELF_E_FORMAT, "dynamic section unreadable: %s", elf_errmsg(-1));
		goto out;
	}
	{
		size_t entsz = gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT);
		size_t count = entsz ? (size_t)(dyn_size / entsz) : 0;
		needed_idx = calloc(count ? count : 1, sizeof *needed_idx);
		if (!needed_idx) {
			rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < count; i++) {
			GElf_Dyn d;
			if (!gelf_getdyn(dd, (int)i, &d))
				break;
			if (d.d_tag == DT_NULL)
				break;
			switch (d.d_tag) {
			case DT_NEEDED: needed_idx[n_idx++] = d.d_un.d_val; break;
			case DT_STRTAB: strtab_addr = d.d_un.d_ptr; have_strtab = 1; break;
			case DT_STRSZ: strsz = d.d_un.d_val; have_strsz = 1; break;
			case DT_SONAME: soname = d.d_un.d_val; have_soname = 1; break;
			case DT_RUNPATH: runpath = d.d_un.d_val; have_runpath = 1; break;
			case DT_RPATH: rpath = d.d_un.d_val; have_rpath = 1; break;
			case DT_FLAGS_1:
				if (d.d_un.d_val & DF_1_NODEFLIB)
					info->nodeflib = 1;
				break;
			default: break;
			}
		}
	}
	if (!have_strtab || !have_strsz) {
		if (n_idx || have_soname || have_runpath || have_rpath) {
			elf_error_set(err, ELF_E_FORMAT, "dynamic section has no string table");
			goto out;
		}
		rc = 0;
		goto out;
	}
	{
		uint64_t off = 0, room = 0;
		const char *strtab;
		if (vaddr_to_offset(e, phnum, strtab_addr, len, &off, &room) != 0 || strsz > room ||
		    strsz > len - off || strsz == 0) {
			elf_error_set(err, ELF_E_FORMAT, "DT_STRTAB outside the file");
			goto out;
		}
		strtab = (const char *)data + off;
		info->has_dynamic = 1;
		if (n_idx) {
			info->needed = calloc(n_idx, sizeof *info->needed);
			if (!info->needed) {
				rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
				goto out;
			}
		}
		for (size_t i = 0; i < n_idx; i++) {
			int r = dyn_string(strtab, strsz, needed_idx[i], &info->needed[i]);
			if (r == 0)
				info->n_needed++;
			if (r == -2) {
				rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
				goto out;
			}
			if (r != 0 || info->needed[i][0] == '\0') {
				elf_error_set(err, ELF_E_FORMAT, "DT_NEEDED %zu is not a string", i);
				goto out;
			}
		}
		if ((have_soname && dyn_string(strtab, strsz, soname, &info->soname) != 0) ||
		    (have_runpath && dyn_string(strtab, strsz, runpath, &info->runpath) != 0) ||
		    (have_rpath && dyn_string(strtab, strsz, rpath, &info->rpath) != 0)) {
			elf_error_set(err, ELF_E_FORMAT, "DT_SONAME, DT_RUNPATH or DT_RPATH unreadable");
			goto out;
		}
	}
	rc = 0;
out:
	free(needed_idx);
	if (e)
		elf_end(e);
	if (rc != 0)
		elf_info_release(info);
	return rc;
}

int elf_info_read(elf_info *info, const char *path, elf_error *err)
{
	int fd = -1, rc;
	struct stat st;
	void *map = MAP_FAILED;

	memset(info, 0, sizeof *info);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 4) {
		rc = elf_error_set(err, ELF_E_FORMAT, "\"%s\" is not an elf file", path);
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = elf_error_set(err, ELF_E_IO, "cannot map \"%s\": %s", path, strerror(errno));
		goto out;
	}
	rc = elf_info_parse(info, map, (size_t)st.st_size, err);
	if (rc != 0 && err) {
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg);
		elf_error_set(err, rc, "\"%s\": %s", path, m);
	}
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}
