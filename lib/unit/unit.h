/*
 * unit.h — systemd unit files: parsing (systemd.syntax(7)) and translation of
 * a .service (with its .socket) into a Sigil child written in Dhall.
 *
 * The pieces, one file each:
 *   parse.c       the syntax: sections, Key=Value, continuations, comments;
 *                 finding a unit by name in the unit directories, templates
 *                 and instances, drop-ins (NAME.service.d/ *.conf)
 *   words.c       quoting: word splitting with C escapes, EnvironmentFile=
 *   specifiers.c  %i %I %n %N %p %t %S %C %h %u … and unit-name escaping
 *   translate.c   directives → the child model, every directive accounted
 *                 for: translated, noted, or a warning naming file:line
 *   emit.c        the child model → Dhall text using dhall/Sigil/package.dhall
 *
 * A unit_file is a flat list of assignments in file order (main file, then
 * drop-ins in systemd's order), each remembering its file and line. Values
 * are kept as written (continuations joined, whitespace stripped): quoting
 * and specifiers are a property of each directive, decided by translate.c.
 * Nothing here prints or exits; warnings go to a caller's unit_diags.
 */
#ifndef SIGIL_UNIT_H
#define SIGIL_UNIT_H

#include <stddef.h>

enum {
	UNIT_OK = 0,
	UNIT_E_NOMEM = -1,
	UNIT_E_IO = -2,       /* a file cannot be read */
	UNIT_E_SYNTAX = -3,   /* the file is not a unit file */
	UNIT_E_NOTFOUND = -4, /* no unit of that name in the search directories */
	UNIT_E_ARG = -5,      /* a bad name, a template without an instance */
	UNIT_E_UNSUPPORTED = -6, /* well-formed, but cannot become a child */
};

/* Details of a failure: the file and line at fault (line 0: the whole file). */
typedef struct unit_error {
	int code;
	unsigned line;
	char file[1024];
	char msg[512];
} unit_error;

/* Warnings: "file:line: msg". Owned by the list; unit_diags_free frees all. */
struct unit_diag {
	char *file;
	unsigned line;
	char *msg;
};
struct unit_diags {
	struct unit_diag *d;
	size_t n, cap;
};
void unit_diags_free(struct unit_diags *w);

/* One assignment "Key=Value" in [Section] of file:line. */
struct unit_entry {
	const char *section;
	const char *key;
	const char *value; /* continuations joined, outer whitespace stripped */
	const char *file;
	unsigned line;
};

struct unit_chunk; /* private string storage */

typedef struct unit_file {
	char *name;     /* "foo@bar.service": the unit's full name (instance filled in) */
	char *prefix;   /* "foo" */
	char *instance; /* "bar", NULL when not an instance */
	char *type;     /* "service", "socket", … */
	char *path;     /* the fragment (main file) read, NULL before unit_load */
	char **dropins; /* drop-in files read, in the order applied */
	size_t ndropins;
	struct unit_entry *e;
	size_t n, cap;
	struct unit_chunk *mem;
} unit_file;

void unit_file_init(unit_file *u);
void unit_file_free(unit_file *u);

/* Appends the assignments of `text` (the contents of `file`) to u.
 * Lines that are not assignments or sections, assignments outside any
 * section, and lines that are not UTF-8 are skipped with a warning (as
 * systemd skips them). Returns 0; UNIT_E_SYNTAX (an unterminated section
 * header, a NUL byte) or UNIT_E_NOMEM with err filled. */
int unit_parse(unit_file *u, const char *file, const char *text, size_t len,
	       struct unit_diags *w, unit_error *err) __attribute__((warn_unused_result));

/* Splits "foo@bar.service" into its parts (malloc'd; instance NULL when the
 * name has no '@', "" for a template "foo@.service"). Returns 0 or
 * UNIT_E_ARG (no type suffix, empty prefix, a '/' in it) / UNIT_E_NOMEM. */
int unit_name_split(const char *name, char **prefix, char **instance, char **type)
	__attribute__((warn_unused_result));

/* The standard system unit directories in systemd's order of precedence. */
extern const char *const unit_system_dirs[];
extern const size_t unit_system_ndirs;

/* Loads a unit: `what` is a path (it contains a '/') or a unit name looked
 * up in dirs (each under root; root NULL or "/" for the host). For a
 * template ("foo@.service" or "foo@bar.service" found only as foo@.service)
 * the instance is `instance` or the one in the name. Then every drop-in
 * (NAME.d/ *.conf of the name, the template, each '-' prefix and the type)
 * from the fragment's own directory and dirs is applied in systemd's order:
 * by file name, an earlier directory masking a later one's file of the same
 * name. A fragment that is empty or a symlink to /dev/null is masked
 * (UNIT_E_UNSUPPORTED). Returns 0 or a UNIT_E_* with err filled. */
int unit_load(unit_file *u, const char *root, const char *const *dirs, size_t ndirs,
	      const char *what, const char *instance, struct unit_diags *w, unit_error *err)
	__attribute__((warn_unused_result));

/* The last assignment of section/key (an empty value included), or NULL. */
const struct unit_entry *unit_last(const unit_file *u, const char *section, const char *key);

/* ---- words.c ------------------------------------------------------------ */

/* Words of a value (malloc'd; unit_words_free). */
struct unit_words {
	char **w;
	size_t n;
};
void unit_words_free(struct unit_words *ws);

enum { UNIT_SPLIT_CUNESCAPE = 1 }; /* decode C escapes (\n \x41 \s \u00e9 …) */

/* Splits s at unquoted whitespace; "…" and '…' quote (the quotes are
 * removed), a backslash escapes the next character (or, with
 * UNIT_SPLIT_CUNESCAPE, starts a C escape). Returns 0, UNIT_E_SYNTAX (an
 * unterminated quote, a bad escape; msg says which) or UNIT_E_NOMEM. */
int unit_split(const char *s, int flags, struct unit_words *out, char *msg, size_t msglen)
	__attribute__((warn_unused_result));

/* Variables: KEY → value, in assignment order (a later one replaces). */
struct unit_env {
	char **k, **v;
	size_t n, cap;
};
void unit_env_free(struct unit_env *env);
/* Sets (or replaces) k; 0 or UNIT_E_NOMEM. */
int unit_env_set(struct unit_env *env, const char *k, const char *v)
	__attribute__((warn_unused_result));
void unit_env_unset(struct unit_env *env, const char *k);
const char *unit_env_get(const struct unit_env *env, const char *k);

/* Parses an EnvironmentFile= file: KEY=VALUE lines, '#'/';' comments,
 * "…" (with \ escapes) and '…' quoting, a trailing backslash continues the
 * line; an optional "export " is accepted. Bad lines are warnings. Returns
 * 0 or UNIT_E_NOMEM. */
int unit_parse_envfile(const char *file, const char *text, size_t len, struct unit_env *env,
		       struct unit_diags *w) __attribute__((warn_unused_result));

/* ---- specifiers.c -------------------------------------------------------- */

/* What the specifiers of one unit expand to. */
struct unit_spec {
	const char *name;     /* %n */
	const char *prefix;   /* %p */
	const char *instance; /* %i; NULL: none */
	const char *type;     /* "service" */
	const char *fragment; /* %y */
	const char *user;     /* User=, NULL when unset (then: root) */
	const char *group;    /* Group=, NULL when unset */
};

/* Expands the %-specifiers of `in` (file:line for warnings) into *out
 * (malloc'd). Specifiers that depend on the machine the unit would run on
 * (%H %m %b %v …) or on the user database (%h %U for a User=) stay as
 * written, with a warning; so does an unknown specifier. Returns 0 or
 * UNIT_E_NOMEM. */
int unit_specifiers(const struct unit_spec *s, const char *in, char **out, const char *file,
		    unsigned line, struct unit_diags *w) __attribute__((warn_unused_result));

/* Unit-name unescaping ("-" → "/", "\x2d" → "-"), as %I and %P do; a
 * malloc'd string or NULL (out of memory). */
char *unit_unescape(const char *s);

/* ---- translate.c --------------------------------------------------------- */

struct unit_translate_opts {
	const char *package; /* the Dhall import of the Sigil package, as written:
				"/abs/dhall/Sigil/package.dhall" or "./x/package.dhall" */
	const char *root;    /* where EnvironmentFile= and binaries are read: NULL = "/" */
};

/* Translates a loaded .service (and its .socket, or NULL) into the Dhall
 * text of one Sigil.Child (malloc'd into *out, NUL-terminated). Every
 * directive is translated, turned into a comment in the output, or reported
 * in w as "file:line: …" (and repeated as a comment in the output).
 * Returns 0, or UNIT_E_UNSUPPORTED (not a service, no ExecStart=, a main
 * command that does not parse), UNIT_E_ARG or UNIT_E_NOMEM with err. */
int unit_translate(const unit_file *svc, const unit_file *sock,
		   const struct unit_translate_opts *o, char **out, struct unit_diags *w,
		   unit_error *err) __attribute__((warn_unused_result));

#endif
