/*
 * rom.c — loading a closure: every file of a description decoded from the
 * store into a directory (sigil exec's private tmpfs at /rom), every block
 * length-, hash- and key-checked by the ERIS decoder before any of its bytes
 * are written.
 *
 * Steps: (1) create the parent directories of every target path (0755 while
 * we write); (2) decode the files, `threads` at a time — each worker opens its
 * own handle on the store (store handles are not shared between threads) and
 * takes the next file from a shared counter; the first failure stops the
 * others; (3) chmod files and directories to 0555. A failure leaves partial
 * files behind: the caller (sigil exec) discards the whole tmpfs and never
 * runs anything from it. err->file names the file, err->eris the block.
 */
#include "elf_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

/* Decodes one file; fills err (with file and block) on failure. */
static int load_file(store *s, const elf_desc_file *f, int dirfd, elf_error *err)
{
	int wfd = -1;
	int rc = 0;

	wfd = openat(dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0555);
	if (wfd < 0) {
		elf_copy(err->file, sizeof err->file, f->name);
		return elf_error_set(err, ELF_E_IO, "cannot create \"%s\": %s", f->name,
				     strerror(errno));
	}
	memset(&err->eris, 0, sizeof err->eris);
	rc = eris_decode(&f->cap, store_eris_get, s, eris_write_fd, &wfd, NULL, &err->eris);
	if (rc != 0) {
		elf_copy(err->file, sizeof err->file, f->name);
		rc = elf_error_set(err, ELF_E_ERIS, "file \"%s\": %s", f->name, err->eris.msg);
	}
	if (close(wfd) != 0 && rc == 0)
		rc = elf_error_set(err, ELF_E_IO, "cannot write \"%s\": %s", f->name, strerror(errno));
	return rc;
}

/* mkdir -p of the directories above name (not name itself). */
static int make_parents(int dirfd, const char *name, elf_error *err)
{
	char buf[4096];
	size_t len = strlen(name);

	if (len >= sizeof buf)
		return elf_error_set(err, ELF_E_ARG, "name too long");
	memcpy(buf, name, len + 1);
	for (char *p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dirfd, buf, 0755) != 0 && errno != EEXIST) {
			int e = errno;
			*p = '/';
			return elf_error_set(err, ELF_E_IO, "cannot create directory for \"%s\": %s",
					     name, strerror(e));
		}
		*p = '/';
	}
	return 0;
}

/* Sets every parent directory of every name to mode 0555, deepest first. */
static void seal_dirs(int dirfd, const elf_desc *d)
{
	for (size_t i = d->n_files; i-- > 0;) {
		char buf[4096];
		size_t len = strlen(d->files[i].name);
		if (len >= sizeof buf)
			continue;
		memcpy(buf, d->files[i].name, len + 1);
		for (char *p = strrchr(buf, '/'); p; p = strrchr(buf, '/')) {
			*p = '\0';
			fchmodat(dirfd, buf, 0555, 0);
		}
	}
}

struct pool {
	const elf_desc *d;
	const char *spec;
	int dirfd;
	pthread_mutex_t lock;
	size_t next;
	int failed;
	elf_error *err; /* the first failure's report */
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	store *s = NULL;
	elf_error e;

	memset(&e, 0, sizeof e);
	if (store_open(&s, p->spec, STORE_READ, &e.eris) != 0) {
		elf_error_set(&e, ELF_E_ERIS, "%s", e.eris.msg);
		goto fail;
	}
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		i = p->failed ? p->d->n_files : p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->d->n_files)
			break;
		if (load_file(s, &p->d->files[i], p->dirfd, &e) != 0)
			goto fail;
	}
	store_close(s);
	return NULL;
fail:
	store_close(s);
	pthread_mutex_lock(&p->lock);
	if (!p->failed)
		*p->err = e;
	p->failed = 1;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int elf_rom_populate(store *s, const char *spec, const elf_desc *d, int dirfd, int threads,
		     elf_error *err)
{
	int rc = 0;

	if (!s || !d || !err)
		return elf_error_set(err, ELF_E_ARG, "no store or description");
	for (size_t i = 0; i < d->n_files; i++)
		if ((rc = make_parents(dirfd, d->files[i].name, err)) != 0)
			return rc;
	if (threads > 16)
		threads = 16;
	if ((size_t)threads > d->n_files)
		threads = (int)d->n_files;
	/* a mem: store is private to its handle: one thread */
	if (threads <= 1 || !spec || strncmp(spec, "mem:", 4) == 0) {
		for (size_t i = 0; rc == 0 && i < d->n_files; i++)
			rc = load_file(s, &d->files[i], dirfd, err);
	} else {
		struct pool p = {d, spec, dirfd, PTHREAD_MUTEX_INITIALIZER, 0, 0, err};
		pthread_t tid[16];
		int started = 0;
		for (; started < threads - 1; started++)
			if (pthread_create(&tid[started], NULL, worker, &p) != 0)
				break;
		/* this thread works too, on the caller's store handle */
		for (;;) {
			size_t i;
			elf_error e;
			memset(&e, 0, sizeof e);
			pthread_mutex_lock(&p.lock);
			i = p.failed ? d->n_files : p.next++;
			pthread_mutex_unlock(&p.lock);
			if (i >= d->n_files)
				break;
			if (load_file(s, &d->files[i], dirfd, &e) != 0) {
				pthread_mutex_lock(&p.lock);
				if (!p.failed)
					*err = e;
				p.failed = 1;
				pthread_mutex_unlock(&p.lock);
				break;
			}
		}
		for (int i = 0; i < started; i++)
			pthread_join(tid[i], NULL);
		pthread_mutex_destroy(&p.lock);
		rc = p.failed ? (err->code ? err->code : ELF_E_ERIS) : 0;
	}
	if (rc == 0)
		seal_dirs(dirfd, d);
	return rc;
}
