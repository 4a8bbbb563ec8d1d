/*
 * emit.c — the child model (unit_int.h) as Dhall text.
 *
 * Layout of what is written:
 *   -- header: unit name, files read, Description=, Documentation=
 *   -- readiness: how Type= maps
 *   -- ordering: After=/Requires=/… as notes
 *   -- notes: directives whose effect the child already has, or that only
 *   --        need saying (User=, EnvironmentFile= read now, …)
 *   -- warnings: every directive not translated, as FILE:LINE: message
 *   let Sigil = PACKAGE
 *   in  Sigil.Child::{ , binary = … , argv0 = … , args = … , cwd = …
 *                      , preStart = … , postStart = … , env = …
 *                      , resources = … , provides = … , mounts = …
 *                      , readiness = … , pidFile = … , restartDelay = …
 *                      , restart = … }
 * Only fields that differ from Sigil.Child's defaults are written, except
 * restart (always, since systemd's default differs from Sigil's). env is a
 * list of { mapKey, mapValue } records, so any variable name is fine; sizes
 * that are whole KiB/MiB/GiB are written with Sigil.units.
 *
 * Text literals escape '"', '\', '$' and control characters (bytes that
 * are not UTF-8 become U+FFFD: systemd values may hold any byte); comments are
 * reduced to printable ASCII on one line. The package path is written as
 * given when it is a plain path, each component quoted otherwise.
 */
#include "unit_int.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

void unit__dhall_text(struct ubuf *b, const char *s)
{
	ubuf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"')
			ubuf_add(b, "\\\"");
		else if (*p == '\\')
			ubuf_add(b, "\\\\");
		else if (*p == '$')
			ubuf_add(b, "\\$");
		else if (*p < 0x20 || *p == 0x7f)
			ubuf_printf(b, "\\u%04X", *p);
		else if (*p < 0x80)
			ubuf_addc(b, (char)*p);
		else {
			size_t k = unit__utf8_len(p, strlen((const char *)p));
			unsigned cp = 0;
			for (size_t i = 0; i < k; i++) /* the code point, for Dhall's exclusions */
				cp = i ? (cp << 6) | (p[i] & 0x3fu) : p[0] & (0x7fu >> k);
			if (k && ((cp & 0xfffe) == 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)))
				k = 0; /* a noncharacter: Dhall does not accept it */
			if (k) {
				ubuf_addn(b, (const char *)p, k);
				p += k - 1;
			} else {
				ubuf_add(b, "\\uFFFD"); /* not UTF-8: the replacement character */
			}
		}
	}
	ubuf_addc(b, '"');
}

void unit__comment_text(struct ubuf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		ubuf_addc(b, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
}

/* A size as Sigil.units.X n when exact, else the number. */
static void size(struct ubuf *b, unsigned long long v)
{
	static const struct {
		unsigned long long n;
		const char *u;
	} u[] = {{1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}};
	for (size_t i = 0; i < 3; i++)
		if (v && v % u[i].n == 0) {
			ubuf_printf(b, "Sigil.units.%s %llu", u[i].u, v / u[i].n);
			return;
		}
	ubuf_printf(b, "%llu", v);
}

static int plain_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+' || c == '~' || c == '/';
}

static void import_path(struct ubuf *b, const char *p)
{
	int plain = 1;
	for (const char *s = p; *s; s++)
		plain &= plain_path_char(*s);
	if (p[0] != '/' && strncmp(p, "./", 2) != 0 && strncmp(p, "../", 3) != 0 &&
	    strncmp(p, "~/", 2) != 0)
		ubuf_add(b, "./");
	if (plain) {
		ubuf_add(b, p);
		return;
	}
	/* quote every component: "/a/\"b c\"/…" */
	const char *s = p;
	if (*s == '/') {
		s++;
		ubuf_addc(b, '/');
	} else if (strncmp(s, "./", 2) == 0 || strncmp(s, "~/", 2) == 0) {
		ubuf_addn(b, s, 2);
		s += 2;
	} else if (strncmp(s, "../", 3) == 0) {
		ubuf_addn(b, s, 3);
		s += 3;
	}
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		ubuf_addc(b, '"');
		ubuf_addn(b, s, n);
		ubuf_addc(b, '"');
		s += n;
		if (*s == '/') {
			ubuf_addc(b, '/');
			s++;
		}
	}
}

/* preStart/postStart: a list of Sigil.Command::{ argv = [ … ], … }. */
static void commands(struct ubuf *out, const char *field, const struct tr_cmd *c, size_t n)
{
	if (!n)
		return;
	ubuf_printf(out, "    , %s =\n      [ ", field);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ubuf_add(out, "      , ");
		ubuf_add(out, "-- ");
		unit__comment_text(out, c[i].why ? c[i].why : "");
		ubuf_add(out, "\n        Sigil.Command::{ argv = [ ");
		unit__dhall_text(out, c[i].binary);
		for (size_t k = 0; k < c[i].nargs; k++) {
			ubuf_add(out, ", ");
			unit__dhall_text(out, c[i].args[k]);
		}
		ubuf_add(out, " ]");
		if (c[i].argv0) {
			ubuf_add(out, ", argv0 = Some ");
			unit__dhall_text(out, c[i].argv0);
		}
		if (c[i].ignore)
			ubuf_add(out, ", ignoreFailure = True");
		ubuf_add(out, " }\n");
	}
	ubuf_add(out, "      ]\n");
}

static void section(struct ubuf *b, const char *title, const struct ubuf *body)
{
	if (!body->n)
		return;
	ubuf_printf(b, "--\n-- %s\n", title);
	ubuf_addn(b, body->p, body->n);
}

int unit__emit(const struct tr_child *c, const char *package, const struct unit_diags *w,
	       size_t first_warning, struct ubuf *out)
{
	ubuf_addn(out, c->header.p ? c->header.p : "", c->header.n);
	section(out, "readiness (Type=):", &c->readiness);
	section(out, "ordering:", &c->ordering);
	section(out, "notes:", &c->notes);
	if (w->n > first_warning) {
		ubuf_printf(out, "--\n-- warnings (%zu): not translated\n", w->n - first_warning);
		for (size_t i = first_warning; i < w->n; i++) {
			const char *f = strrchr(w->d[i].file, '/') ? strrchr(w->d[i].file, '/') + 1
								   : w->d[i].file;
			ubuf_add(out, "--   ");
			unit__comment_text(out, f);
			ubuf_printf(out, ":%u: ", w->d[i].line);
			unit__comment_text(out, w->d[i].msg);
			ubuf_addc(out, '\n');
		}
	}
	ubuf_add(out, "let Sigil = ");
	import_path(out, package);
	ubuf_add(out, "\n\nin  Sigil.Child::{\n    , binary = ");
	unit__dhall_text(out, c->main.binary);
	ubuf_addc(out, '\n');
	if (c->main.argv0) {
		ubuf_add(out, "    , argv0 = Some ");
		unit__dhall_text(out, c->main.argv0);
		ubuf_addc(out, '\n');
	}
	if (c->main.nargs) {
		ubuf_add(out, "    , args =\n      [ ");
		for (size_t i = 0; i < c->main.nargs; i++) {
			if (i)
				ubuf_add(out, "\n      , ");
			unit__dhall_text(out, c->main.args[i]);
		}
		ubuf_add(out, "\n      ]\n");
	}
	if (c->cwd) {
		ubuf_add(out, "    , cwd = Some ");
		unit__dhall_text(out, c->cwd);
		ubuf_addc(out, '\n');
	}
	commands(out, "preStart", c->pre, c->npre);
	commands(out, "postStart", c->post, c->npost);
	if (c->env.n) {
		ubuf_add(out, "    , env =\n      [ ");
		for (size_t i = 0; i < c->env.n; i++) {
			if (i)
				ubuf_add(out, "\n      , ");
			ubuf_add(out, "{ mapKey = ");
			unit__dhall_text(out, c->env.k[i]);
			ubuf_add(out, ", mapValue = ");
			unit__dhall_text(out, c->env.v[i]);
			ubuf_add(out, " }");
		}
		ubuf_add(out, "\n      ]\n");
	}
	if (c->has_ram || c->has_caps) {
		ubuf_add(out, "    , resources = Sigil.Resources::{");
		if (c->has_ram) {
			ubuf_add(out, " ram = ");
			size(out, c->ram);
			if (c->has_caps)
				ubuf_addc(out, ',');
		}
		if (c->has_caps)
			ubuf_printf(out, " caps = %llu", c->caps);
		ubuf_add(out, " }\n");
		if (c->caps_why) {
			ubuf_add(out, "      -- ");
			unit__comment_text(out, c->caps_why);
			ubuf_addc(out, '\n');
		}
	}
	if (c->nprovides) {
		ubuf_add(out, "    , provides =\n      [ ");
		for (size_t i = 0; i < c->nprovides; i++) {
			if (i)
				ubuf_add(out, "      , ");
			ubuf_add(out, "-- ");
			unit__comment_text(out, c->provides[i].why);
			ubuf_add(out, "\n        -- no policy yet: add Sigil.Policy::{ label = … } for "
				      "each client\n        Sigil.Service::{ name = ");
			unit__dhall_text(out, c->provides[i].name);
			ubuf_add(out, " }\n");
		}
		ubuf_add(out, "      ]\n");
	}
	if (c->nmounts) {
		ubuf_add(out, "    , mounts =\n      [ ");
		for (size_t i = 0; i < c->nmounts; i++) {
			const struct tr_mount *m = &c->mounts[i];
			if (i)
				ubuf_add(out, "      , ");
			ubuf_add(out, "-- ");
			unit__comment_text(out, m->why);
			ubuf_add(out, "\n        Sigil.Mount::{ target = ");
			unit__dhall_text(out, m->target);
			if (m->state) {
				ubuf_add(out, ", state = Some ");
				unit__dhall_text(out, m->state);
			} else {
				ubuf_add(out, ", tmpfs = Some (");
				size(out, m->tmpfs);
				ubuf_addc(out, ')');
			}
			ubuf_add(out, " }\n");
		}
		ubuf_add(out, "      ]\n");
	}
	if (c->notify)
		ubuf_add(out, "    , readiness = Sigil.Readiness.Notify\n");
	if (c->forking) {
		ubuf_add(out, "    , readiness = Sigil.Readiness.Forking\n");
		if (c->pid_file) {
			ubuf_add(out, "    , pidFile = Some ");
			unit__dhall_text(out, c->pid_file);
			ubuf_addc(out, '\n');
		}
	}
	if (c->has_delay)
		ubuf_printf(out, "    , restartDelay = Some %llu\n", c->delay_ms);
	ubuf_printf(out, "    , restart = Sigil.Restart.%s\n    }\n", c->restart);
	return out->nomem ? UNIT_E_NOMEM : 0;
}
