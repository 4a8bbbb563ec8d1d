/*
 * report.c — findings of the loader and the checker: collected in a
 * growable array, printed the way compilers print (file:line:col: error:),
 * with a hint line saying which value to change.
 */
#include "sys_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int sys_diag(struct sys_report *r, enum sys_severity sev, size_t pos, const char *hint,
	     const char *fmt, ...)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct sys_diag *d = realloc(r->d, cap * sizeof *d);
		if (!d)
			return DHALL_ENOMEM;
		r->d = d;
		r->cap = cap;
	}
	struct sys_diag *d = &r->d[r->n++];
	d->severity = sev;
	d->pos = pos;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	snprintf(d->hint, sizeof d->hint, "%s", hint ? hint : "");
	if (sev == SYS_ERROR)
		r->errors++;
	else
		r->warnings++;
	return -1;
}

void sys_report_free(struct sys_report *r)
{
	free(r->d);
	memset(r, 0, sizeof *r);
}

void sys_report_print(const struct sys_report *r, const struct sys_system *s, void *out)
{
	FILE *f = out;
	const char *file = s && s->file ? s->file : "-";
	for (size_t i = 0; i < r->n; i++) {
		const struct sys_diag *d = &r->d[i];
		const char *sev = d->severity == SYS_ERROR ? "error" : "warning";
		if (s && s->src && d->pos != SIZE_MAX && d->pos <= s->srclen) {
			struct dhall_err e;
			dhall_err_locate_public(&e, file, s->src, s->srclen, d->pos);
			fprintf(f, "%s:%u:%u: %s: %s\n", file, e.line, e.col, sev, d->msg);
		} else {
			fprintf(f, "%s: %s: %s\n", file, sev, d->msg);
		}
		if (d->hint[0])
			fprintf(f, "  hint: %s\n", d->hint);
	}
}
