/*
 * patch.c — rewriting the names an ELF file loads by, in a copy: PT_INTERP,
 * DT_RUNPATH (DT_RPATH dropped) and DT_NEEDED, as `patchelf --set-interpreter
 * --set-rpath --replace-needed` would, without a process per file.
 *
 * The new names are longer than the old ones and do not fit where those
 * are, so the copy gets one new loadable segment at its end holding
 * everything that changes, and nothing in the original layout moves:
 *
 *   offset   size            what
 *   O        (n + 1) × 56    the program headers: the original n, updated,
 *                            and the new PT_LOAD after the last PT_LOAD
 *   O + P    (m + 1) × 16    the dynamic section: the original entries but
 *                            DT_RPATH/DT_RUNPATH, renamed DT_NEEDED pointing
 *                            at new strings, DT_STRTAB/DT_STRSZ at the new
 *                            table, one DT_RUNPATH, then DT_NULL
 *   O + P + Y  strsz + new   the string table: the original one byte for byte
 *                            (every other offset into it — symbols, version
 *                            needs, DT_SONAME — stays valid), then the new
 *                            strings, each NUL-terminated
 *   ...      len + 1         the interpreter's path
 *
 * The version needs (DT_VERNEED, .gnu.version_r) name the libraries they
 * are about by the same strings as DT_NEEDED, and glibc matches them to the
 * loaded objects by those names: their vn_file is renamed too, in place (an
 * offset into the new table).
 *
 * O is the original length rounded up to 8 (zeros in between). The segment
 * is mapped read-write (glibc relocates the dynamic section's pointers in
 * place and writes DT_DEBUG there) at V: the first page boundary above every
 * original segment's end, plus O's offset within a page, as mmap needs
 * V ≡ O (mod page); page is the largest p_align of the PT_LOADs (at least
 * 4096). PT_PHDR, PT_INTERP and PT_DYNAMIC move into it; e_phoff and e_phnum
 * follow. The section headers of .dynamic, the dynamic string table and
 * .interp (found by address) are pointed at the new copies, so readelf shows
 * what the loader uses. The kernel finds the program headers through the
 * PT_LOAD that holds e_phoff (Linux >= 5.18), ld.so through PT_PHDR.
 *
 * The dynamic section is rewritten (and moved) only when a name in it
 * changes; the interpreter only when asked. Only 64-bit little-endian files
 * (x86-64, aarch64, riscv64, ...) of type ET_EXEC or ET_DYN are handled:
 * anything else is ELF_E_FORMAT, and the caller runs patchelf instead. Every
 * offset and size read from the file is checked against its length first.
 */
#include "patch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum { EH = 64, PH = 56, SH = 64, DYN = 16, MAX_PHNUM = 0xfff0 };

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void wr(uint8_t *p, int n, uint64_t v)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A program header, unpacked. */
struct phdr {
	uint32_t type, flags;
	uint64_t off, vaddr, paddr, filesz, memsz, align;
};

static void ph_unpack(struct phdr *h, const uint8_t *p)
{
	h->type = (uint32_t)rd(p, 4);
	h->flags = (uint32_t)rd(p + 4, 4);
	h->off = rd(p + 8, 8);
	h->vaddr = rd(p + 16, 8);
	h->paddr = rd(p + 24, 8);
	h->filesz = rd(p + 32, 8);
	h->memsz = rd(p + 40, 8);
	h->align = rd(p + 48, 8);
}

static void ph_pack(uint8_t *p, const struct phdr *h)
{
	wr(p, 4, h->type);
	wr(p + 4, 4, h->flags);
	wr(p + 8, 8, h->off);
	wr(p + 16, 8, h->vaddr);
	wr(p + 24, 8, h->paddr);
	wr(p + 32, 8, h->filesz);
	wr(p + 40, 8, h->memsz);
	wr(p + 48, 8, h->align);
}

/* Places a piece [off, off + size) of the new segment in header h. */
static void ph_place(struct phdr *h, uint64_t off, uint64_t vaddr, uint64_t size)
{
	h->off = off;
	h->vaddr = h->paddr = vaddr;
	h->filesz = h->memsz = size;
}

/* The bytes [off, off + n) fit in a file of len bytes. */
static int fits(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

/* The file offset of [addr, addr + n) through the PT_LOAD holding it. */
static int vaddr_to_off(const struct phdr *ph, size_t phnum, uint64_t addr, uint64_t n,
			uint64_t *off)
{
	for (size_t i = 0; i < phnum; i++) {
		if (ph[i].type != PT_LOAD || addr < ph[i].vaddr || addr - ph[i].vaddr > ph[i].filesz ||
		    n > ph[i].filesz - (addr - ph[i].vaddr))
			continue;
		*off = ph[i].off + (addr - ph[i].vaddr);
		return 0;
	}
	return -1;
}

static int read_all(const char *path, uint8_t **out, size_t *len, elf_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int rc = elf_error_set(err, ELF_E_IO, "cannot read \"%s\": %s", path,
				       fd < 0 || errno ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return elf_error_set(err, buf ? ELF_E_IO : ELF_E_NOMEM, "cannot read \"%s\"", path);
	}
	*out = buf;
	*len = got;
	return 0;
}

static int write_all(const char *path, const uint8_t *data, size_t len, elf_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;

	if (fd < 0)
		return elf_error_set(err, ELF_E_IO, "cannot create \"%s\": %s", path, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) != 0 || done != len)
		return elf_error_set(err, ELF_E_IO, "cannot write \"%s\"", path);
	return 0;
}

/* The rewrite, in memory: the new file in *out (malloc'ed). */
struct plan {
	const uint8_t *in;
	size_t len;
	struct phdr *ph; /* phnum + 1 */
	size_t phnum;
	int i_dyn, i_interp, i_phdr, i_last_load;
	uint64_t max_end, page;
	/* the dynamic section and its string table, as they are */
	uint64_t dyn_off, ndyn, str_addr, str_off, str_size;
	/* the new ones */
	uint8_t *dyn;     /* (m + 1) × DYN */
	size_t m;
	char *strs;       /* appended strings */
	size_t strs_len, strs_cap;
	uint64_t *to_off; /* per rename: its string's offset, 0 until used */
	uint64_t verneed, verneednum; /* DT_VERNEED's address (0: none), count */
};

static int add_string(struct plan *p, const char *s, uint64_t *off)
{
	size_t n = strlen(s) + 1;

	if (p->strs_len + n > p->strs_cap) {
		size_t cap = (p->strs_len + n) * 2;
		char *t = realloc(p->strs, cap);
		if (!t)
			return -1;
		p->strs = t;
		p->strs_cap = cap;
	}
	*off = p->str_size + p->strs_len;
	memcpy(p->strs + p->strs_len, s, n);
	p->strs_len += n;
	return 0;
}

/* Reads the headers and finds the segments the rewrite needs. */
static int read_headers(struct plan *p, const char *path, elf_error *err)
{
	const uint8_t *e = p->in;
	uint64_t phoff;

	if (p->len < EH || memcmp(e, ELFMAG, SELFMAG) != 0)
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": not an elf file", path);
	if (e[EI_CLASS] != ELFCLASS64 || e[EI_DATA] != ELFDATA2LSB)
		return elf_error_set(err, ELF_E_FORMAT,
				     "\"%s\": only 64-bit little-endian files are rewritten here",
				     path);
	if (rd(e + 16, 2) != ET_EXEC && rd(e + 16, 2) != ET_DYN)
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": not an executable or shared object",
				     path);
	/* the section header table, when there is one, lies inside the file:
	 * the new segment goes at the end, where a table that is not there
	 * would make the output's headers point into it (extended numbering,
	 * e_shnum 0 with a table, is left to patchelf) */
	uint64_t shoff = rd(e + 40, 8), shnum = rd(e + 60, 2);
	if (shoff != 0 && (shnum == 0 || rd(e + 58, 2) != SH || !fits(shoff, shnum * SH, p->len)))
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": malformed section headers", path);
	phoff = rd(e + 32, 8);
	p->phnum = (size_t)rd(e + 56, 2);
	/* a table at offset 0 is "no program headers" to libelf (the reader,
	 * read.c), and one inside the ELF header would change when the header
	 * does: neither is rewritten */
	if (rd(e + 54, 2) != PH || p->phnum == 0 || p->phnum >= MAX_PHNUM || phoff < EH ||
	    !fits(phoff, (uint64_t)p->phnum * PH, p->len))
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": malformed program headers", path);
	p->ph = calloc(p->phnum + 1, sizeof *p->ph);
	if (!p->ph)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	p->i_dyn = p->i_interp = p->i_phdr = p->i_last_load = -1;
	p->page = 4096;
	for (size_t i = 0; i < p->phnum; i++) {
		struct phdr *h = &p->ph[i];
		ph_unpack(h, e + phoff + i * PH);
		if (h->type == PT_LOAD) {
			if ((h->align & (h->align - 1)) != 0 || h->vaddr + h->memsz < h->vaddr ||
			    h->filesz > h->memsz || !fits(h->off, h->filesz, p->len))
				return elf_error_set(err, ELF_E_FORMAT, "\"%s\": malformed PT_LOAD",
						     path);
			if (h->align > p->page)
				p->page = h->align;
			if (h->vaddr + h->memsz > p->max_end)
				p->max_end = h->vaddr + h->memsz;
			p->i_last_load = (int)i;
		} else if (h->type == PT_DYNAMIC && p->i_dyn < 0) {
			p->i_dyn = (int)i;
		} else if (h->type == PT_INTERP && p->i_interp < 0) {
			p->i_interp = (int)i;
		} else if (h->type == PT_PHDR && p->i_phdr < 0) {
			p->i_phdr = (int)i;
		}
	}
	if (p->i_last_load < 0 || p->page > (1u << 30))
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": no usable PT_LOAD", path);
	return 0;
}

/* Builds the new dynamic section and strings; *changed says whether any
 * entry differs. */
static int plan_dynamic(struct plan *p, const char *path, const char *runpath,
			const elf_rename *renames, size_t n_renames, int *changed, elf_error *err)
{
	const struct phdr *d = &p->ph[p->i_dyn];
	const uint8_t *ent;
	uint64_t strtab = 0, strsz = 0, off;
	int have_strtab = 0, have_strsz = 0, placed_runpath = 0;

	*changed = 0;
	if (!fits(d->off, d->filesz, p->len))
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": malformed PT_DYNAMIC", path);
	p->dyn_off = d->off;
	ent = p->in + d->off;
	for (p->ndyn = 0; p->ndyn < d->filesz / DYN && rd(ent + p->ndyn * DYN, 8) != DT_NULL;
	     p->ndyn++) {
		uint64_t tag = rd(ent + p->ndyn * DYN, 8), val = rd(ent + p->ndyn * DYN + 8, 8);
		if (tag == DT_STRTAB) {
			strtab = val;
			have_strtab = 1;
		} else if (tag == DT_STRSZ) {
			strsz = val;
			have_strsz = 1;
		} else if (tag == DT_VERNEED) {
			p->verneed = val;
		} else if (tag == DT_VERNEEDNUM) {
			p->verneednum = val;
		}
	}
	if (!have_strtab || !have_strsz || vaddr_to_off(p->ph, p->phnum, strtab, strsz, &off) != 0)
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": no usable dynamic string table",
				     path);
	p->str_addr = strtab;
	p->str_off = off;
	p->str_size = strsz;
	p->dyn = calloc(p->ndyn + 2, DYN);
	p->to_off = calloc(n_renames ? n_renames : 1, sizeof *p->to_off);
	if (!p->dyn || !p->to_off)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	p->m = 0;
	for (uint64_t i = 0; i < p->ndyn; i++) {
		uint64_t tag = rd(ent + i * DYN, 8), val = rd(ent + i * DYN + 8, 8);
		if (tag == DT_NEEDED) {
			const char *name = (const char *)p->in + p->str_off + val;
			if (val >= strsz || !memchr(name, '\0', strsz - val))
				return elf_error_set(err, ELF_E_FORMAT,
						     "\"%s\": a DT_NEEDED outside the string table",
						     path);
			for (size_t k = 0; k < n_renames; k++) {
				if (strcmp(name, renames[k].from) != 0)
					continue;
				if (!p->to_off[k] && add_string(p, renames[k].to, &p->to_off[k]) != 0)
					return elf_error_set(err, ELF_E_NOMEM, "out of memory");
				val = p->to_off[k];
				*changed = 1;
				break;
			}
		} else if (runpath && (tag == DT_RPATH || tag == DT_RUNPATH)) {
			*changed = 1;
			if (placed_runpath)
				continue; /* one DT_RUNPATH is enough */
			tag = DT_RUNPATH;
			if (add_string(p, runpath, &val) != 0)
				return elf_error_set(err, ELF_E_NOMEM, "out of memory");
			placed_runpath = 1;
		}
		wr(p->dyn + p->m * DYN, 8, tag);
		wr(p->dyn + p->m * DYN + 8, 8, val);
		p->m++;
	}
	if (runpath && !placed_runpath) {
		uint64_t val;
		if (add_string(p, runpath, &val) != 0)
			return elf_error_set(err, ELF_E_NOMEM, "out of memory");
		wr(p->dyn + p->m * DYN, 8, DT_RUNPATH);
		wr(p->dyn + p->m * DYN + 8, 8, val);
		p->m++;
		*changed = 1;
	}
	wr(p->dyn + p->m * DYN, 8, DT_NULL); /* calloc'ed: value 0 */
	return 0;
}

/* Renames the vn_file of every version need naming a renamed library, in
 * the copy `out` (whose first p->len bytes are the original's). */
static int rename_verneeds(const struct plan *p, uint8_t *out, const elf_rename *renames,
			   size_t n_renames, const char *path, elf_error *err)
{
	uint64_t off;

	if (!p->verneed || !p->verneednum)
		return 0;
	if (vaddr_to_off(p->ph, p->phnum, p->verneed, 16, &off) != 0)
		return elf_error_set(err, ELF_E_FORMAT, "\"%s\": DT_VERNEED outside the file", path);
	for (uint64_t i = 0; i < p->verneednum; i++) {
		uint64_t file, next;
		if (!fits(off, 16, p->len))
			return elf_error_set(err, ELF_E_FORMAT, "\"%s\": malformed version needs",
					     path);
		file = rd(out + off + 4, 4); /* vn_version, vn_cnt, vn_file, vn_aux, vn_next */
		next = rd(out + off + 12, 4);
		if (file >= p->str_size || !memchr(p->in + p->str_off + file, '\0', p->str_size - file))
			return elf_error_set(err, ELF_E_FORMAT,
					     "\"%s\": a version need outside the string table", path);
		for (size_t k = 0; k < n_renames; k++) {
			if (p->to_off[k] &&
			    strcmp((const char *)p->in + p->str_off + file, renames[k].from) == 0) {
				wr(out + off + 4, 4, p->to_off[k]);
				break;
			}
		}
		if (next == 0)
			break;
		off += next;
	}
	return 0;
}

/* Points the section headers at address `addr` (and type) at the new copy. */
static void move_sections(uint8_t *out, size_t len, uint32_t type, uint64_t addr, uint64_t off,
			  uint64_t vaddr, uint64_t size)
{
	uint64_t shoff = rd(out + 40, 8), shnum = rd(out + 60, 2);

	if (shoff == 0 || rd(out + 58, 2) != SH || !fits(shoff, shnum * SH, len))
		return;
	for (uint64_t i = 0; i < shnum; i++) {
		uint8_t *s = out + shoff + i * SH;
		if (rd(s + 4, 4) != type || rd(s + 16, 8) != addr || addr == 0)
			continue;
		wr(s + 16, 8, vaddr);
		wr(s + 24, 8, off);
		wr(s + 32, 8, size);
	}
}

int elf_patch_file(const char *in, const char *out, const char *interp, const char *runpath,
		   const elf_rename *renames, size_t n_renames, elf_error *err)
{
	struct plan p;
	uint8_t *data = NULL, *o = NULL;
	size_t len = 0;
	int rc, move_dyn = 0;

	memset(&p, 0, sizeof p);
	rc = read_all(in, &data, &len, err);
	if (rc != 0)
		return rc;
	p.in = data;
	p.len = len;
	if ((rc = read_headers(&p, in, err)) != 0)
		goto out;
	if (interp && p.i_interp < 0) {
		rc = elf_error_set(err, ELF_E_FORMAT, "\"%s\": no PT_INTERP to replace", in);
		goto out;
	}
	if (p.i_dyn >= 0 && (runpath || n_renames > 0) &&
	    (rc = plan_dynamic(&p, in, runpath, renames, n_renames, &move_dyn, err)) != 0)
		goto out;

	/* the new segment's layout */
	uint64_t base = (len + 7) & ~(uint64_t)7;
	uint64_t phsz = (uint64_t)(p.phnum + 1) * PH;
	uint64_t dyn_at = base + phsz;
	uint64_t dynsz = move_dyn ? (uint64_t)(p.m + 1) * DYN : 0;
	uint64_t str_at = dyn_at + dynsz;
	uint64_t strsz = move_dyn ? p.str_size + p.strs_len : 0;
	uint64_t interp_at = str_at + strsz;
	uint64_t interpsz = interp ? strlen(interp) + 1 : 0;
	uint64_t total = interp_at + interpsz;
	uint64_t vbase = ((p.max_end + p.page - 1) & ~(p.page - 1)) + base % p.page;
#define VA(off) (vbase + ((off) - base))

	if (p.max_end + p.page < p.max_end || total > SIZE_MAX || vbase < p.max_end) {
		rc = elf_error_set(err, ELF_E_FORMAT, "\"%s\": no room for a new segment", in);
		goto out;
	}
	o = calloc(1, (size_t)total);
	if (!o) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(o, data, len);
	if (move_dyn) {
		/* DT_STRTAB and DT_STRSZ name the new table */
		for (size_t i = 0; i < p.m; i++) {
			uint64_t tag = rd(p.dyn + i * DYN, 8);
			if (tag == DT_STRTAB)
				wr(p.dyn + i * DYN + 8, 8, VA(str_at));
			else if (tag == DT_STRSZ)
				wr(p.dyn + i * DYN + 8, 8, strsz);
		}
		memcpy(o + dyn_at, p.dyn, dynsz);
		memcpy(o + str_at, data + p.str_off, p.str_size);
		memcpy(o + str_at + p.str_size, p.strs, p.strs_len);
		if ((rc = rename_verneeds(&p, o, renames, n_renames, in, err)) != 0)
			goto out;
		move_sections(o, len, SHT_DYNAMIC, p.ph[p.i_dyn].vaddr, dyn_at, VA(dyn_at), dynsz);
		move_sections(o, len, SHT_STRTAB, p.str_addr, str_at, VA(str_at), strsz);
		ph_place(&p.ph[p.i_dyn], dyn_at, VA(dyn_at), dynsz);
	}
	if (interp) {
		memcpy(o + interp_at, interp, interpsz);
		move_sections(o, len, SHT_PROGBITS, p.ph[p.i_interp].vaddr, interp_at, VA(interp_at),
			      interpsz);
		ph_place(&p.ph[p.i_interp], interp_at, VA(interp_at), interpsz);
	}
	if (p.i_phdr >= 0)
		ph_place(&p.ph[p.i_phdr], base, vbase, phsz);
	/* the new PT_LOAD goes after the last one: PT_LOADs stay sorted */
	memmove(&p.ph[p.i_last_load + 2], &p.ph[p.i_last_load + 1],
		(p.phnum - (size_t)p.i_last_load - 1) * sizeof *p.ph);
	p.ph[p.i_last_load + 1] = (struct phdr){PT_LOAD, PF_R | PF_W, base, vbase, vbase,
					       total - base, total - base, p.page};
	for (size_t i = 0; i <= p.phnum; i++)
		ph_pack(o + base + i * PH, &p.ph[i]);
	wr(o + 32, 8, base);
	wr(o + 56, 2, p.phnum + 1);
#undef VA
	rc = write_all(out, o, (size_t)total, err);
out:
	free(o);
	free(data);
	free(p.ph);
	free(p.dyn);
	free(p.strs);
	free(p.to_off);
	return rc;
}

int elf_patch_node(const elf_closure *c, size_t i, const char *out, elf_error *err)
{
	const elf_node *n = &c->nodes[i];
	elf_rename *rn = calloc(n->info.n_needed ? n->info.n_needed : 1, sizeof *rn);
	char interp[ERIS_URN_LEN + 8];
	size_t k = 0;
	int rc;

	if (!rn)
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	if (n->interp != ELF_NONE)
		snprintf(interp, sizeof interp, "/rom/%s", c->nodes[n->interp].urn);
	for (size_t j = 0; j < n->info.n_needed; j++) {
		if (n->deps[j] == ELF_NONE)
			continue;
		rn[k].from = n->info.needed[j];
		rn[k].to = c->nodes[n->deps[j]].urn;
		k++;
	}
	rc = elf_patch_file(n->real, out, n->interp != ELF_NONE ? interp : NULL,
			    n->info.has_dynamic ? "/rom" : NULL, rn, k, err);
	free(rn);
	return rc;
}
