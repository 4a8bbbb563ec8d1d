/*
 * err.c — filling and printing struct dhall_err: "file:line:col: error:
 * message", then the source line and a caret under the column, the way
 * compilers report.
 */
#include "dhall_int.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

int dhall_err_set(struct dhall_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void dhall_err_locate(struct dhall_err *err, const char *name, const char *src, size_t len,
		      size_t offset)
{
	if (!err)
		return;
	if (offset > len)
		offset = len;
	snprintf(err->file, sizeof err->file, "%s", name ? name : "-");
	unsigned line = 1;
	size_t bol = 0;
	for (size_t i = 0; i < offset; i++)
		if (src[i] == '\n') {
			line++;
			bol = i + 1;
		}
	/* columns count characters (UTF-8 continuation bytes do not count) */
	unsigned col = 1;
	for (size_t i = bol; i < offset; i++)
		if (((unsigned char)src[i] & 0xc0) != 0x80)
			col++;
	size_t eol = bol;
	while (eol < len && src[eol] != '\n' && src[eol] != '\r')
		eol++;
	size_t n = eol - bol;
	if (n >= sizeof err->context)
		n = sizeof err->context - 1;
	memcpy(err->context, src + bol, n);
	err->context[n] = 0;
	err->line = line;
	err->col = col;
	err->offset = offset;
}

void dhall_err_print(const struct dhall_err *err, void *out)
{
	FILE *f = out;
	if (err->line == 0) {
		fprintf(f, "%s: error: %s\n", err->file[0] ? err->file : "-", err->msg);
		return;
	}
	fprintf(f, "%s:%u:%u: error: %s\n", err->file, err->line, err->col, err->msg);
	fprintf(f, "%5u | %s\n      | ", err->line, err->context);
	/* the caret under the column: tabs kept as tabs so it lines up */
	unsigned c = 1;
	for (const char *p = err->context; *p && c < err->col; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		fputc(*p == '\t' ? '\t' : ' ', f);
		c++;
	}
	fputs("^\n", f);
}

void dhall_err_locate_public(struct dhall_err *err, const char *name, const char *src,
			     size_t len, size_t offset)
{
	dhall_err_locate(err, name, src, len, offset);
}
