/*
 * unit_int.h — what the lib/unit files share and nobody else sees: string
 * storage owned by a unit_file, a growable text buffer, warnings, and the
 * child model translate.c fills and emit.c writes out.
 */
#ifndef SIGIL_UNIT_INT_H
#define SIGIL_UNIT_INT_H

#include "unit.h"

#include <stdarg.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (n bytes available), 0 if bad. */
size_t unit__utf8_len(const unsigned char *p, size_t n);

/* Strings that live as long as the unit_file (freed all at once). */
char *unit__strndup(unit_file *u, const char *s, size_t n);

/* A growable NUL-terminated buffer; `nomem` sticks once an append fails. */
struct ubuf {
	char *p;
	size_t n, cap;
	int nomem;
};
void ubuf_addn(struct ubuf *b, const char *s, size_t n);
void ubuf_add(struct ubuf *b, const char *s);
void ubuf_addc(struct ubuf *b, char c);
void ubuf_printf(struct ubuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ubuf_free(struct ubuf *b);

/* Appends a warning; 0 or UNIT_E_NOMEM. */
int unit__warn(struct unit_diags *w, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int unit__vwarn(struct unit_diags *w, const char *file, unsigned line, const char *fmt,
		va_list ap);
void unit__error(unit_error *err, int code, const char *file, unsigned line, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* systemd's booleans: 1 true, 0 false, -1 neither. */
int unit__bool(const char *s);
/* Sizes in bytes with K/M/G/T/P/E suffixes (base 1024) and decimals:
 * 0 ok, 1 "infinity", -1 bad (percentages included). */
int unit__size(const char *s, unsigned long long *out);
/* systemd time spans ("5", "100ms", "1min 30s", "0.5s"; a bare number is
 * seconds) in milliseconds: 0 ok, 1 "infinity", -1 bad. */
int unit__timespan_ms(const char *s, unsigned long long *ms);
/* Reads a whole file under root ("/" or NULL: as is); 0, or -1 with errno. */
int unit__read(const char *root, const char *path, char **data, size_t *len);
/* root + path as one malloc'd path (NULL: out of memory). */
char *unit__rooted(const char *root, const char *path);

/* ---- the child model (translate.c fills it, emit.c writes it) ---------- */

struct tr_mount {
	char *target;
	char *state;              /* state directory (relative), or NULL */
	unsigned long long tmpfs; /* tmpfs bytes when state is NULL */
	char *why;                /* "RuntimeDirectory=redis": a comment */
};

struct tr_service {
	char *name;
	char *why; /* a comment */
};

/* A command: ExecStart= (the child's binary, args, argv0) or one of
 * ExecStartPre=/ExecStartPost= (a Sigil.Command). */
struct tr_cmd {
	char *binary;
	char **args;
	size_t nargs;
	char *argv0;  /* '@': what the program sees as argv[0], else NULL */
	int ignore;   /* '-' */
	char *why;    /* "ExecStartPre=… (file:line)": a comment */
};

struct tr_child {
	struct tr_cmd main;
	struct tr_cmd *pre, *post; /* preStart, postStart */
	size_t npre, npost;
	char *cwd;            /* WorkingDirectory=, NULL when none */
	int has_delay;        /* RestartSec=: restartDelay */
	unsigned long long delay_ms;
	struct unit_env env;
	unsigned long long ram, caps;
	int has_ram, has_caps;
	char *ram_why, *caps_why;
	struct tr_mount *mounts;
	size_t nmounts;
	struct tr_service *provides;
	size_t nprovides;
	const char *restart; /* "Never", "OnFailure", "Always" */
	int forking;          /* Type=forking: readiness = Forking */
	int notify;           /* Type=notify: readiness = Notify */
	char *pid_file;       /* its PIDFile=, or NULL */
	char *restart_why;
	struct ubuf header;   /* comment lines (each starting "-- ") before the expression */
	struct ubuf readiness, ordering, notes;
};

/* Writes the child as Dhall: the header comments, the warnings (as
 * comments), then "let Sigil = PACKAGE in Sigil.Child::{ … }". 0 or
 * UNIT_E_NOMEM. */
int unit__emit(const struct tr_child *c, const char *package, const struct unit_diags *w,
	       size_t first_warning, struct ubuf *out);

/* Dhall text literal of s (quotes included). */
void unit__dhall_text(struct ubuf *b, const char *s);
/* s made safe inside a "--" comment (no line breaks, ASCII only). */
void unit__comment_text(struct ubuf *b, const char *s);

#endif
