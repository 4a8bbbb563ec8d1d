/*
 * specifiers.c — systemd's %-specifiers (systemd.unit(5), "Specifiers")
 * for a system unit, and unit-name unescaping.
 *
 * A translated unit runs on a Sigil system, not on the machine that
 * translates it, so specifiers split three ways:
 *   - fixed by the unit: %n %N %p %P %i %I %j %J %f %y %Y, and %% ;
 *   - fixed for every system service manager: %t /run, %S /var/lib,
 *     %C /var/cache, %L /var/log, %E /etc, %T /tmp, %V /var/tmp,
 *     %D /usr/share, %a x86-64 (the only architecture Sigil builds), and
 *     %u %g %h %s %U %G for a unit without User= (root: "root", "/root",
 *     "/bin/sh", 0);
 *   - unknowable here: the machine's (%H %l %q %m %b %B %v %o %w %W %M %A)
 *     and, for a User=, the user database (%h %s %U %G, and %g without
 *     Group=). These stay as written, with a warning; so does an unknown
 *     specifier and a '%' at the end.
 * Unescaping (%I %P %J %f): "-" becomes "/", "\xHH" the byte HH.
 */
#include "unit_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *unit_unescape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			*o++ = '/';
		} else if (s[i] == '\\' && s[i + 1] == 'x' && hexv(s[i + 2]) >= 0 &&
			   hexv(s[i + 3]) >= 0 && (hexv(s[i + 2]) || hexv(s[i + 3]))) {
			*o++ = (char)(hexv(s[i + 2]) * 16 + hexv(s[i + 3]));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Adds an unescaped copy of s[0..n). */
static void add_unescaped(struct ubuf *b, const char *s, size_t n)
{
	char *tmp = strndup(s, n);
	char *u = tmp ? unit_unescape(tmp) : NULL;
	if (!u)
		b->nomem = 1;
	else
		ubuf_add(b, u);
	free(tmp);
	free(u);
}

int unit_specifiers(const struct unit_spec *s, const char *in, char **out, const char *file,
		    unsigned line, struct unit_diags *w)
{
	struct ubuf b = {0};
	int rc = 0;
	const char *inst = s->instance ? s->instance : "";
	const char *name = s->name ? s->name : "";
	const char *prefix = s->prefix ? s->prefix : "";
	const char *dash = strrchr(prefix, '-');

	ubuf_addn(&b, "", 0);
	for (const char *p = in; *p && rc == 0; p++) {
		if (*p != '%') {
			ubuf_addc(&b, *p);
			continue;
		}
		char c = p[1];
		const char *fixed = NULL, *why = NULL;
		if (!c) {
			rc = unit__warn(w, file, line, "a '%%' at the end of \"%s\"; kept", in);
			ubuf_addc(&b, '%');
			break;
		}
		p++;
		switch (c) {
		case '%': fixed = "%"; break;
		case 'n': fixed = name; break;
		case 'N': {
			const char *dot = strrchr(name, '.');
			ubuf_addn(&b, name, dot ? (size_t)(dot - name) : strlen(name));
			continue;
		}
		case 'p': fixed = prefix; break;
		case 'P': add_unescaped(&b, prefix, strlen(prefix)); continue;
		case 'i': fixed = inst; break;
		case 'I': add_unescaped(&b, inst, strlen(inst)); continue;
		case 'j': fixed = dash ? dash + 1 : prefix; break;
		case 'J': {
			const char *j = dash ? dash + 1 : prefix;
			add_unescaped(&b, j, strlen(j));
			continue;
		}
		case 'f': {
			const char *f = *inst ? inst : prefix;
			if (f[0] != '-')
				ubuf_addc(&b, '/');
			add_unescaped(&b, f, strlen(f));
			continue;
		}
		case 'y': fixed = s->fragment ? s->fragment : ""; break;
		case 'Y': {
			const char *f = s->fragment ? s->fragment : "";
			const char *sl = strrchr(f, '/');
			if (sl == f)
				ubuf_addc(&b, '/');
			else
				ubuf_addn(&b, f, sl ? (size_t)(sl - f) : 0);
			continue;
		}
		case 't': fixed = "/run"; break;
		case 'S': fixed = "/var/lib"; break;
		case 'C': fixed = "/var/cache"; break;
		case 'L': fixed = "/var/log"; break;
		case 'E': fixed = "/etc"; break;
		case 'T': fixed = "/tmp"; break;
		case 'V': fixed = "/var/tmp"; break;
		case 'D': fixed = "/usr/share"; break;
		case 'a': fixed = "x86-64"; break;
		case 'u': fixed = s->user ? s->user : "root"; break;
		case 'g':
			if (s->group)
				fixed = s->group;
			else if (!s->user)
				fixed = "root";
			else
				why = "the primary group of User= (set Group= to fix it)";
			break;
		case 'U':
			fixed = s->user ? NULL : "0";
			why = "the user id of User= is in the user database";
			break;
		case 'G':
			fixed = s->user ? NULL : "0";
			why = "the group id of User= is in the user database";
			break;
		case 'h':
			fixed = s->user ? NULL : "/root";
			why = "the home directory of User= is in the user database";
			break;
		case 's':
			fixed = s->user ? NULL : "/bin/sh";
			why = "the shell of User= is in the user database";
			break;
		case 'd':
			why = "the credentials directory depends on LoadCredential=, which is not translated";
			break;
		case 'H':
		case 'l':
		case 'q':
			why = "the host name is the running machine's";
			break;
		case 'm':
		case 'b':
		case 'B':
		case 'v':
		case 'o':
		case 'w':
		case 'W':
		case 'M':
		case 'A':
			why = "it names the running machine (its id, boot, kernel or OS)";
			break;
		default:
			why = "it is not a systemd specifier";
			break;
		}
		if (fixed) {
			ubuf_add(&b, fixed);
		} else {
			rc = unit__warn(w, file, line, "specifier %%%c is kept as written: %s", c,
					why);
			ubuf_addc(&b, '%');
			ubuf_addc(&b, c);
		}
	}
	if (rc == 0 && b.nomem)
		rc = UNIT_E_NOMEM;
	if (rc) {
		ubuf_free(&b);
		*out = NULL;
		return rc;
	}
	*out = b.p;
	return 0;
}
