/*
 * test_unit.c — lib/unit on its own: the unit file syntax (sections,
 * comments, continuations with comments inside, BOM, what is skipped with a
 * warning and what is an error with its line), word splitting and C
 * escapes, EnvironmentFile= parsing, specifiers and unit-name unescaping,
 * finding units (templates, instances, masking) with their drop-ins in
 * systemd's order, and translation details (variables, prefixes, reset by
 * an empty assignment, restart mapping, errors), every mapping of the
 * sandbox directives with its note's file:line, ExecStartPre/Post,
 * WorkingDirectory, RestartSec, Type=notify, the prefixes - @ : + ! !!,
 * and a unit holding one of each directive the translator knows with a
 * table of what each must become (a field, a note with its file:line, or
 * a warning at its line).
 */
#include "tap.h"

#include "unit/unit.h"
#include "unit/unit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static int parse(unit_file *u, const char *text, struct unit_diags *w, unit_error *err)
{
	unit_file_init(u);
	return unit_parse(u, "t.service", text, strlen(text), w, err);
}

static const char *val(const unit_file *u, const char *sec, const char *key)
{
	const struct unit_entry *e = unit_last(u, sec, key);
	return e ? e->value : "(none)";
}

static void test_syntax(void)
{
	unit_file u;
	struct unit_diags w = {0};
	unit_error err = {0};
	int rc = parse(&u,
		       "\xef\xbb\xbf# comment\n"
		       "; another\n"
		       "[Unit]\n"
		       "  Description  =  spaced value  \n"
		       "[Service]\n"
		       "ExecStart=/bin/a \\\n"
		       "# skipped inside the continuation\n"
		       "; this too\n"
		       "   b \\\n"
		       "  c\n"
		       "NoEquals\n"
		       "Environment=A=1\n"
		       "Environment=\n"
		       "Last=\\\n",
		       &w, &err);
	tap_ok(rc == 0, "parse: %s", err.msg);
	tap_ok(!strcmp(val(&u, "Unit", "Description"), "spaced value"), "whitespace around = stripped: '%s'",
	       val(&u, "Unit", "Description"));
	tap_ok(!strcmp(val(&u, "Service", "ExecStart"), "/bin/a     b    c"),
	       "continuation joins with spaces, comments inside skipped: '%s'",
	       val(&u, "Service", "ExecStart"));
	const struct unit_entry *e = unit_last(&u, "Service", "ExecStart");
	tap_ok(e && e->line == 6 && !strcmp(e->file, "t.service"), "entry keeps its first line (%u)",
	       e ? e->line : 0);
	tap_ok(!strcmp(val(&u, "Service", "Environment"), ""), "an empty assignment is kept (a reset)");
	tap_ok(!strcmp(val(&u, "Service", "Last"), ""), "a continuation at the end of the file ends it: '%s'",
	       val(&u, "Service", "Last"));
	tap_ok(w.n == 1 && w.d[0].line == 11 && strstr(w.d[0].msg, "not an assignment"),
	       "a line without '=' is a warning with its line (%zu: %s)", w.n, w.n ? w.d[0].msg : "");
	tap_ok(u.n == 5, "5 assignments (%zu)", u.n);
	unit_file_free(&u);
	unit_diags_free(&w);

	rc = parse(&u, "A=1\n[S]\nB=2\n", &w, &err);
	tap_ok(rc == 0 && w.n == 1 && w.d[0].line == 1 && strstr(w.d[0].msg, "outside"),
	       "an assignment before any section is a warning");
	unit_file_free(&u);
	unit_diags_free(&w);

	rc = parse(&u, "[S]\nA=\xff\xfe\nB=ok\n", &w, &err);
	tap_ok(rc == 0 && w.n == 1 && strstr(w.d[0].msg, "UTF-8") && !strcmp(val(&u, "S", "B"), "ok"),
	       "a line that is not UTF-8 is skipped with a warning");
	unit_file_free(&u);
	unit_diags_free(&w);

	rc = parse(&u, "[Unit]\n\n[Service\nA=1\n", &w, &err);
	tap_ok(rc == UNIT_E_SYNTAX && err.line == 3, "an unterminated section header is an error at line %u",
	       err.line);
	unit_file_free(&u);
	unit_diags_free(&w);

	unit_file_init(&u);
	rc = unit_parse(&u, "t", "[S]\nA=1\0\n", 9, &w, &err);
	tap_ok(rc == UNIT_E_SYNTAX && err.line == 2, "a NUL byte is an error (line %u)", err.line);
	unit_file_free(&u);
	unit_diags_free(&w);
}

static int words_are(const char *in, int flags, const char *const *want, size_t n)
{
	struct unit_words ws;
	char msg[128];
	if (unit_split(in, flags, &ws, msg, sizeof msg) != 0)
		return 0;
	int ok = ws.n == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(ws.w[i], want[i]) == 0;
	unit_words_free(&ws);
	return ok;
}

static void test_words(void)
{
	const char *const w1[] = {"/bin/x", "a b", "c d", "e", ""};
	tap_ok(words_are("  /bin/x \"a b\" 'c d'  e \"\"", UNIT_SPLIT_CUNESCAPE, w1, 5),
	       "double, single quotes and an empty word");
	const char *const w2[] = {"ab cd"};
	tap_ok(words_are("a\"b c\"d", 0, w2, 1), "quotes inside a word join it");
	const char *const w3[] = {"A\tB", "x y", "\xc3\xa9", "\"'", "S"};
	tap_ok(words_are("\\x41\\tB x\\sy \\u00e9 \"\\\"'\" \\123", UNIT_SPLIT_CUNESCAPE, w3, 5),
	       "C escapes: \\x \\t \\s \\u, escaped quote, octal");
	const char *const w4[] = {"a\\sb"};
	tap_ok(words_are("a\\\\sb", UNIT_SPLIT_CUNESCAPE, w4, 1), "an escaped backslash");
	const char *const w5[] = {"as"};
	tap_ok(words_are("a\\s", 0, w5, 1), "without unescaping a backslash takes the next character");
	struct unit_words ws;
	char msg[128];
	tap_ok(unit_split("a \"b", 0, &ws, msg, sizeof msg) == UNIT_E_SYNTAX && strstr(msg, "unterminated"),
	       "an unterminated quote: %s", msg);
	tap_ok(unit_split("a \\q", UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg) == UNIT_E_SYNTAX,
	       "an unknown escape: %s", msg);
	tap_ok(unit_split("a \\x00", UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg) == UNIT_E_SYNTAX,
	       "an escape producing NUL: %s", msg);
	tap_ok(unit_split("a\\", UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg) == UNIT_E_SYNTAX,
	       "a trailing backslash: %s", msg);
	tap_ok(unit_split("   ", 0, &ws, msg, sizeof msg) == 0 && ws.n == 0, "blank: no words");
	unit_words_free(&ws);
}

static void test_envfile(void)
{
	const char *text = "# comment \\\n"
			   "  continued comment\n"
			   "A=plain value   \n"
			   "B=\"double \\\"q\\\" \\$x \\n\"\n"
			   "C='single \\n $x'\n"
			   "D=one\\\n"
			   "two\n"
			   "E=\"a\"'b'c\n"
			   "1BAD=x\n"
			   "no equals here\n"
			   "; other comment\n"
			   "A=again\n"
			   "F=";
	struct unit_env env = {0};
	struct unit_diags w = {0};
	int rc = unit_parse_envfile("env", text, strlen(text), &env, &w);
	tap_ok(rc == 0, "envfile parses");
	tap_ok(env.n == 6, "6 variables (%zu)", env.n);
	const char *a = unit_env_get(&env, "A"), *b = unit_env_get(&env, "B"),
		   *c = unit_env_get(&env, "C"), *d = unit_env_get(&env, "D"),
		   *e = unit_env_get(&env, "E"), *f = unit_env_get(&env, "F");
	tap_ok(a && !strcmp(a, "again"), "a later assignment wins, trailing space dropped: '%s'", a ? a : "");
	tap_ok(b && !strcmp(b, "double \"q\" $x \\n"), "double quotes: \\\" and \\$ escape, \\n stays: '%s'",
	       b ? b : "");
	tap_ok(c && !strcmp(c, "single \\n $x"), "single quotes are literal: '%s'", c ? c : "");
	tap_ok(d && !strcmp(d, "onetwo"), "backslash-newline continues: '%s'", d ? d : "");
	tap_ok(e && !strcmp(e, "abc"), "quoted pieces join: '%s'", e ? e : "");
	tap_ok(f && !strcmp(f, ""), "an empty value at the end of the file");
	tap_ok(w.n == 2 && w.d[0].line == 9 && w.d[1].line == 10, "bad name and no '=' warned at lines %u, %u",
	       w.n > 0 ? w.d[0].line : 0, w.n > 1 ? w.d[1].line : 0);
	unit_env_free(&env);
	unit_diags_free(&w);
}

static int spec_is(const struct unit_spec *s, const char *in, const char *want, size_t nwarn)
{
	struct unit_diags w = {0};
	char *out = NULL;
	int ok = unit_specifiers(s, in, &out, "f", 1, &w) == 0 && !strcmp(out, want) && w.n == nwarn;
	if (!ok)
		tap_diag("%s -> %s (%zu warnings)", in, out ? out : "(null)", w.n);
	free(out);
	unit_diags_free(&w);
	return ok;
}

static void test_specifiers(void)
{
	struct unit_spec s = {"foo-bar@a-b\\x2dc.service", "foo-bar", "a-b\\x2dc", "service",
			      "/lib/systemd/system/foo-bar@.service", NULL, NULL};
	tap_ok(spec_is(&s, "%n|%N|%p|%P|%i|%I", "foo-bar@a-b\\x2dc.service|foo-bar@a-b\\x2dc|foo-bar|foo/bar|a-b\\x2dc|a/b-c", 0),
	       "%%n %%N %%p %%P %%i %%I");
	tap_ok(spec_is(&s, "%j %J %f", "bar bar /a/b-c", 0), "%%j %%J %%f");
	tap_ok(spec_is(&s, "%t %S %C %L %E %T %V", "/run /var/lib /var/cache /var/log /etc /tmp /var/tmp", 0),
	       "system directories");
	tap_ok(spec_is(&s, "%u %g %h %U %s %%", "root root /root 0 /bin/sh %", 0), "root without User=");
	tap_ok(spec_is(&s, "%y %Y", "/lib/systemd/system/foo-bar@.service /lib/systemd/system", 0), "%%y %%Y");
	s.user = "redis";
	tap_ok(spec_is(&s, "%u %h", "redis %h", 1), "User=: %%u is it, %%h stays with a warning");
	s.group = "grp";
	tap_ok(spec_is(&s, "%g", "grp", 0), "Group= gives %%g");
	tap_ok(spec_is(&s, "%H %m %Z x%", "%H %m %Z x%", 4), "host and unknown specifiers stay, warned");
	s.instance = NULL;
	tap_ok(spec_is(&s, "[%i] %f", "[] /foo/bar", 0), "no instance: %%i empty, %%f from the prefix");
	char *u = unit_unescape("a-b\\x2dc\\x2fd");
	tap_ok(u && !strcmp(u, "a/b-c/d"), "unit_unescape: %s", u ? u : "");
	free(u);
	char *p, *i, *t;
	tap_ok(unit_name_split("x@y.service", &p, &i, &t) == 0 && !strcmp(p, "x") && !strcmp(i, "y") &&
		       !strcmp(t, "service"),
	       "name split: prefix, instance, type");
	free(p);
	free(i);
	free(t);
	tap_ok(unit_name_split("noext", &p, &i, &t) == UNIT_E_ARG, "a name without a type is refused");
	tap_ok(unit_name_split("@x.service", &p, &i, &t) == UNIT_E_ARG, "an empty prefix is refused");
}

static void put(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	for (char *s = path + strlen(dir) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_load(void)
{
	char root[] = "/tmp/sigil-unit-XXXXXX";
	if (!mkdtemp(root)) {
		tap_skip("mkdtemp failed", "load");
		return;
	}
	put(root, "lib/systemd/system/app-web@.service",
	    "[Service]\nExecStart=/bin/app %i\nEnvironment=ORDER=frag\n");
	put(root, "lib/systemd/system/app-web@.service.d/20-tmpl.conf", "[Service]\nEnvironment=ORDER=tmpl\n");
	put(root, "lib/systemd/system/app-web@x.service.d/30-inst.conf", "[Service]\nEnvironment=ORDER=inst\n");
	put(root, "lib/systemd/system/app-.service.d/10-dash.conf", "[Service]\nEnvironment=ORDER=dash\n");
	put(root, "lib/systemd/system/service.d/05-all.conf", "[Service]\nEnvironment=ORDER=all\n");
	put(root, "etc/systemd/system/app-web@.service.d/20-tmpl.conf", "[Service]\nEnvironment=ORDER=etc\n");
	put(root, "etc/systemd/system/app-web@x.service.d/not-conf.txt", "[Service]\nEnvironment=ORDER=no\n");
	put(root, "lib/systemd/system/masked.service", "");
	put(root, "lib/systemd/system/tmpl@.service", "[Service]\nExecStart=/bin/t\n[Install]\nDefaultInstance=dflt\n");

	unit_file u;
	struct unit_diags w = {0};
	unit_error err = {0};
	unit_file_init(&u);
	int rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "app-web@x.service", NULL, &w, &err);
	tap_ok(rc == 0, "load app-web@x.service via its template: %s", err.msg);
	tap_ok(u.name && !strcmp(u.name, "app-web@x.service") && u.instance && !strcmp(u.instance, "x"),
	       "name and instance");
	tap_ok(u.path && strstr(u.path, "/lib/systemd/system/app-web@.service"), "the fragment is the template");
	tap_ok(u.ndropins == 4, "4 drop-ins (%zu): all, dash, tmpl (etc masks lib), inst", u.ndropins);
	if (u.ndropins == 4) {
		tap_ok(strstr(u.dropins[0], "05-all.conf") && strstr(u.dropins[1], "10-dash.conf") &&
			       strstr(u.dropins[2], "etc/systemd/system/app-web@.service.d/20-tmpl.conf") &&
			       strstr(u.dropins[3], "30-inst.conf"),
		       "sorted by file name; /etc's 20-tmpl.conf masks /lib's");
	} else {
		tap_ok(0, "drop-in order");
	}
	tap_ok(!strcmp(val(&u, "Service", "Environment"), "ORDER=inst"), "the last drop-in applies last: %s",
	       val(&u, "Service", "Environment"));
	unit_file_free(&u);

	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "app-web@.service", "y", &w, &err);
	tap_ok(rc == 0 && !strcmp(u.name, "app-web@y.service") && u.ndropins == 3,
	       "template + --instance: %s, %zu drop-ins", u.name ? u.name : "-", u.ndropins);
	unit_file_free(&u);

	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "app-web@.service", NULL, &w, &err);
	tap_ok(rc == UNIT_E_ARG, "a template without an instance: %s", err.msg);
	unit_file_free(&u);

	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "tmpl@.service", NULL, &w, &err);
	tap_ok(rc == 0 && u.instance && !strcmp(u.instance, "dflt"), "DefaultInstance= gives the instance");
	unit_file_free(&u);

	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "masked.service", NULL, &w, &err);
	tap_ok(rc == UNIT_E_UNSUPPORTED && strstr(err.msg, "masked"), "an empty unit is masked: %s", err.msg);
	unit_file_free(&u);

	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "none.service", NULL, &w, &err);
	tap_ok(rc == UNIT_E_NOTFOUND, "an absent unit: %s", err.msg);
	unit_file_free(&u);
	unit_file_init(&u);
	rc = unit_load(&u, root, unit_system_dirs, unit_system_ndirs, "tmpl@a.service", "b", &w, &err);
	tap_ok(rc == UNIT_E_ARG, "two different instances: %s", err.msg);
	unit_file_free(&u);
	unit_diags_free(&w);

	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
}

/* Translates `text` as t.service; returns the Dhall (malloc'd) or NULL. */
static char *translate(const char *text, struct unit_diags *w, unit_error *err, int *rc)
{
	unit_file u;
	char *out = NULL;
	unit_file_init(&u);
	*rc = unit_parse(&u, "t.service", text, strlen(text), w, err);
	u.name = strdup("t.service");
	u.prefix = strdup("t");
	u.type = strdup("service");
	u.path = strdup("/x/t.service");
	struct unit_translate_opts o = {"/pkg/package.dhall", "/nonexistent-root"};
	if (*rc == 0)
		*rc = unit_translate(&u, NULL, &o, &out, w, err);
	unit_file_free(&u);
	return out;
}

static int has_warning(const struct unit_diags *w, unsigned line, const char *what)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->d[i].line == line && strstr(w->d[i].msg, what))
			return 1;
	return 0;
}

static void test_translate(void)
{
	struct unit_diags w = {0};
	unit_error err = {0};
	int rc;
	char *d = translate("[Service]\n"
			    "Environment=A=1 \"B=two words\"\n"
			    "ExecStart=/bin/old\n"
			    "ExecStart=\n"
			    "ExecStart=-@/bin/prog argv0 $A ${B} $$HOME :%n\n"
			    "Restart=on-abort\n"
			    "MemoryHigh=1.5G\n"
			    "Bogus=1\n",
			    &w, &err, &rc);
	tap_ok(rc == 0 && d, "translate: %s", err.msg);
	d = d ? d : strdup("");
	tap_ok(strstr(d, "binary = \"/bin/prog\"") != NULL, "an empty ExecStart= resets the earlier one");
	tap_ok(strstr(d, "[ \"1\"\n      , \"two words\"\n      , \"\\$HOME\"\n      , \":t.service\"") != NULL,
	       "'@' drops argv0; $A, ${B} kept whole, $$ → $, %%n");
	tap_ok(strstr(d, "restart = Sigil.Restart.OnFailure") != NULL, "on-abort → OnFailure");
	tap_ok(has_warning(&w, 6, "approximated"), "with a warning at line 6");
	tap_ok(strstr(d, "ram = Sigil.units.MiB 1536") != NULL, "MemoryHigh=1.5G → ram (no MemoryMax=)");
	tap_ok(has_warning(&w, 5, "'-'"), "prefix '-' on ExecStart= is warned (the restart policy sees the status)");
	tap_ok(!has_warning(&w, 5, "'@'") && strstr(d, "argv0 = Some \"argv0\"") != NULL,
	       "prefix '@' → argv0, not a warning");
	tap_ok(has_warning(&w, 8, "[Service] Bogus= is not translated"), "an unknown directive is a warning");
	tap_ok(strstr(d, "let Sigil = /pkg/package.dhall") != NULL, "the package import");
	free(d);
	unit_diags_free(&w);

	d = translate("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n", &w, &err, &rc);
	tap_ok(rc == UNIT_E_UNSUPPORTED && err.line == 3, "two ExecStart= without oneshot: an error at line %u",
	       err.line);
	free(d);
	unit_diags_free(&w);
	d = translate("[Service]\nExecStart=/bin/a \"open\n", &w, &err, &rc);
	tap_ok(rc == UNIT_E_UNSUPPORTED && strstr(err.msg, "unterminated"), "a bad main command: %s", err.msg);
	free(d);
	unit_diags_free(&w);
	d = translate("[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n", &w, &err, &rc);
	tap_ok(rc == 0 && has_warning(&w, 4, "not run"), "oneshot: the second ExecStart= is warned about");
	tap_ok(d && strstr(d, "restart = Sigil.Restart.Never"), "no Restart=: Never (systemd's default)");
	free(d);
	unit_diags_free(&w);
	d = translate("[Service]\nExecStart=relative arg\nReadWritePaths=/var/lib/x /var/lib/x/sub -/proc\n"
		      "RuntimeDirectory=r\nReadWritePaths=/var/run/r\n",
		      &w, &err, &rc);
	tap_ok(rc == 0 && d && strstr(d, "binary = \"/usr/bin/relative\""), "a bare name: assumed /usr/bin");
	tap_ok(d && strstr(d, "target = \"/var/lib/x\"") && !strstr(d, "target = \"/var/lib/x/sub\"") &&
		       !strstr(d, "target = \"/proc\""),
	       "nested mounts fold, /proc is not mounted");
	tap_ok(d && strstr(d, "target = \"/run/r\"") && !strstr(d, "target = \"/var/run"), "/var/run/r and /run/r are one mount");
	free(d);
	unit_diags_free(&w);
	d = translate("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/x\n", &w, &err, &rc);
	tap_ok(rc == 0 && w.n == 1 && has_warning(&w, 4, "not found"),
	       "a minimal unit: only the missing program is warned about (%zu)", w.n);
	free(d);
	unit_diags_free(&w);
}


/* Item by item: the mappings with their notes (file:line), commands,
 * WorkingDirectory, RestartSec, Type=notify and the prefixes. */
static void test_mappings(void)
{
	struct unit_diags w = {0};
	unit_error err = {0};
	int rc;
	char *d = translate("[Service]\n"                                /* 1 */
			    "ExecStart=@/bin/prog prog-name $X\n"        /* 2 */
			    "User=redis\n"                               /* 3 */
			    "Group=redis\n"                              /* 4 */
			    "DynamicUser=yes\n"                          /* 5 */
			    "PrivateNetwork=yes\n"                       /* 6 */
			    "PrivateTmp=yes\n"                           /* 7 */
			    "ProtectSystem=full\n"                       /* 8 */
			    "ProtectHome=read-only\n"                    /* 9 */
			    "ReadWritePaths=/var/lib/app -/var/lib/app/sub\n" /* 10 */
			    "Environment=X=1\n"                          /* 11 */
			    "ExecStartPre=-/bin/pre $X\n"                /* 12 */
			    "ExecStartPre=:/bin/pre2 $X ${X}\n"          /* 13 */
			    "ExecStartPost=+/bin/post\n"                 /* 14 */
			    "ExecStartPost=!!@/bin/post2 p2\n"           /* 15 */
			    "WorkingDirectory=/var/lib/app\n"            /* 16 */
			    "RestartSec=1min 30s\n"                      /* 17 */
			    "Restart=on-failure\n"                       /* 18 */
			    "Type=notify\n",                             /* 19 */
			    &w, &err, &rc);
	tap_ok(rc == 0 && d, "mappings: translate: %s", err.msg);
	d = d ? d : strdup("");
	tap_ok(strstr(d, "--   User=redis: a child runs as its own unprivileged identity; the name is "
			 "not kept (t.service:3)") != NULL, "User= → a note with file:line");
	tap_ok(strstr(d, "--   Group=redis: a child runs as its own unprivileged identity; the name "
			 "is not kept (t.service:4)") != NULL, "Group= → a note with file:line");
	tap_ok(strstr(d, "--   DynamicUser=yes: every child already has an identity of its own "
			 "(t.service:5)") != NULL, "DynamicUser= → a note with file:line");
	tap_ok(strstr(d, "--   PrivateNetwork=yes: a child's network is loopback only unless it has an "
			 "uplink (t.service:6)") != NULL && !strstr(d, "uplink = "),
	       "PrivateNetwork= → a note (no uplink)");
	tap_ok(strstr(d, "--   PrivateTmp=yes: a child's /tmp is its own tmpfs (t.service:7)") != NULL,
	       "PrivateTmp= → a note with file:line");
	tap_ok(strstr(d, "--   ProtectSystem=full: a child sees /rom (read-only) and its mounts, nothing "
			 "of the host system (t.service:8)") != NULL, "ProtectSystem= → a note with file:line");
	tap_ok(strstr(d, "--   ProtectHome=read-only: a child sees no home directory (t.service:9)") != NULL,
	       "ProtectHome= → a note with file:line");
	tap_ok(strstr(d, "-- ReadWritePaths=/var/lib/app -/var/lib/app/sub (t.service:10)\n"
			 "        Sigil.Mount::{ target = \"/var/lib/app\", state = Some \"var/lib/app\" }") != NULL,
	       "ReadWritePaths= → a state mount, its comment with file:line");
	tap_ok(strstr(d, "--   ReadWritePaths=/var/lib/app -/var/lib/app/sub (t.service:10): inside the "
			 "mount of /var/lib/app") != NULL, "a nested ReadWritePaths= folds, noted with file:line");
	tap_ok(strstr(d, "    , argv0 = Some \"prog-name\"\n    , args =\n      [ \"1\"\n      ]") != NULL,
	       "ExecStart= '@': argv0, $X substituted");
	tap_ok(strstr(d, "Sigil.Command::{ argv = [ \"/bin/pre\", \"1\" ], ignoreFailure = True }") != NULL,
	       "ExecStartPre= '-' → preStart with ignoreFailure, $X substituted");
	tap_ok(strstr(d, "Sigil.Command::{ argv = [ \"/bin/pre2\", \"\\$X\", \"\\${X}\" ] }") != NULL,
	       "ExecStartPre= ':' → no substitution");
	tap_ok(strstr(d, "preStart =\n      [ -- ExecStartPre=-/bin/pre $X (t.service:12)") != NULL,
	       "preStart in order, each with its directive and file:line");
	tap_ok(strstr(d, "postStart =\n      [ -- ExecStartPost=+/bin/post (t.service:14)\n"
			 "        Sigil.Command::{ argv = [ \"/bin/post\" ] }") != NULL,
	       "ExecStartPost= → postStart");
	tap_ok(has_warning(&w, 14, "never runs a child with more privileges"), "prefix '+' is warned about");
	tap_ok(has_warning(&w, 15, "never runs a child with more privileges") &&
		       strstr(d, "argv = [ \"/bin/post2\" ], argv0 = Some \"p2\"") != NULL,
	       "prefix '!!' is warned about, '@' after it still gives argv0");
	tap_ok(strstr(d, "    , cwd = Some \"/var/lib/app\"\n") != NULL && !has_warning(&w, 16, ""),
	       "WorkingDirectory= → cwd (inside a mount: no warning)");
	tap_ok(strstr(d, "    , restartDelay = Some 90000\n") != NULL, "RestartSec=1min 30s → restartDelay 90000 ms");
	tap_ok(strstr(d, "    , readiness = Sigil.Readiness.Notify\n") != NULL && !has_warning(&w, 19, ""),
	       "Type=notify → readiness = Notify, no warning");
	free(d);
	unit_diags_free(&w);

	d = translate("[Service]\nExecStart=:/bin/x $X ${X} $$\nEnvironment=X=1\nWorkingDirectory=/srv/x\n"
		      "RestartSec=soon\nType=notify-reload\nExecStartPre=@/bin/only-argv0\n",
		      &w, &err, &rc);
	tap_ok(rc == 0 && d && strstr(d, "[ \"\\$X\"\n      , \"\\${X}\"\n      , \"\\$\\$\"\n      ]"),
	       "ExecStart= ':' keeps $X, ${X} and $$ as written");
	tap_ok(has_warning(&w, 4, "no mount of the child"), "a cwd outside every mount is warned about");
	tap_ok(has_warning(&w, 5, "not a time span") && d && !strstr(d, "restartDelay"), "a bad RestartSec= is a warning");
	tap_ok(has_warning(&w, 6, "reload") && d && strstr(d, "Readiness.Notify"),
	       "notify-reload: Notify, the reload half warned");
	tap_ok(rc == 0 && has_warning(&w, 7, "the line is skipped") && d && !strstr(d, "preStart"),
	       "a bad ExecStartPre= line is skipped with a warning, as systemd skips it");
	free(d);
	unit_diags_free(&w);
	static const struct {
		const char *in;
		int rc;
		unsigned long long ms;
	} spans[] = {{"5", 0, 5000}, {"100ms", 0, 100}, {"1.5s", 0, 1500}, {"2min 3s", 0, 123000},
		     {"1h", 0, 3600000}, {"250us", 0, 0}, {"infinity", 1, 0}, {"5 parsecs", -1, 0},
		     {"", -1, 0}, {"-1", -1, 0}};
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		unsigned long long ms = 0;
		int r = unit__timespan_ms(spans[i].in, &ms);
		tap_ok(r == spans[i].rc && (r || ms == spans[i].ms), "time span \"%s\": %d, %llu ms",
		       spans[i].in, r, ms);
	}
}

/* One of each directive the translator knows (and its sections), with
 * what each must become: 'F' a field of the child (the text given), 'N' a
 * note carrying its file:line, 'W' a warning at its line. The lines were
 * listed from translate.c's table (every key it knows, in its order) and
 * each outcome reviewed; the last check says none went unaccounted. */
static const struct {
	const char *line;
	char expect;
	const char *field;
} directives[] = {
	{"[Unit]", 0, NULL},
	{"Description=all directives", 'F', "-- Description: all directives"},
	{"Documentation=man:t(8)", 'F', "-- Documentation: man:t(8)"},
	{"After=yes", 'N', NULL},
	{"Before=yes", 'N', NULL},
	{"Requires=yes", 'N', NULL},
	{"Wants=yes", 'N', NULL},
	{"BindsTo=yes", 'N', NULL},
	{"PartOf=yes", 'N', NULL},
	{"Requisite=yes", 'N', NULL},
	{"Upholds=yes", 'N', NULL},
	{"RequiresMountsFor=yes", 'N', NULL},
	{"WantsMountsFor=yes", 'N', NULL},
	{"DefaultDependencies=yes", 'N', NULL},
	{"ReloadPropagatedFrom=yes", 'N', NULL},
	{"PropagatesReloadTo=yes", 'N', NULL},
	{"Conflicts=yes", 'W', NULL},
	{"OnFailure=yes", 'W', NULL},
	{"OnSuccess=yes", 'W', NULL},
	{"StartLimitIntervalSec=yes", 'W', NULL},
	{"StartLimitBurst=yes", 'W', NULL},
	{"StartLimitAction=yes", 'W', NULL},
	{"JobTimeoutSec=yes", 'W', NULL},
	{"[Service]", 0, NULL},
	{"ExecStart=/bin/true", 'F', "binary = \"/bin/true\""},
	{"ExecStartPre=-/bin/true pre", 'N', NULL},
	{"ExecStartPost=/bin/true post", 'N', NULL},
	{"ExecCondition=/bin/true", 'W', NULL},
	{"Environment=A=1", 'F', "{ mapKey = \"A\", mapValue = \"1\" }"},
	{"EnvironmentFile=-/etc/none", 'N', NULL},
	{"UnsetEnvironment=B", 'N', NULL},
	{"Type=notify", 'N', NULL},
	{"Restart=always", 'F', "restart = Sigil.Restart.Always"},
	{"RestartSec=2s", 'N', NULL},
	{"User=nobody", 'N', NULL},
	{"Group=nogroup", 'N', NULL},
	{"DynamicUser=yes", 'N', NULL},
	{"MemoryMax=64M", 'F', "ram = Sigil.units.MiB 64"},
	{"MemoryLimit=64M", 'F', "ram = Sigil.units.MiB 64"},
	{"MemoryHigh=32M", 'W', NULL},
	{"LimitNOFILE=100", 'F', "caps = 110"},
	{"TasksMax=10", 'F', "caps = 110"},
	{"PrivateNetwork=yes", 'N', NULL},
	{"PrivateTmp=yes", 'N', NULL},
	{"ProtectSystem=strict", 'N', NULL},
	{"ProtectHome=yes", 'N', NULL},
	{"ReadWritePaths=/var/lib/rw", 'N', NULL},
	{"ReadWriteDirectories=/var/lib/rwd", 'N', NULL},
	{"ReadOnlyPaths=/etc/ro", 'W', NULL},
	{"ReadOnlyDirectories=/etc/rod", 'W', NULL},
	{"StateDirectory=st", 'N', NULL},
	{"RuntimeDirectory=rt", 'N', NULL},
	{"CacheDirectory=ca", 'N', NULL},
	{"LogsDirectory=lg", 'N', NULL},
	{"ConfigurationDirectory=cf", 'N', NULL},
	{"CapabilityBoundingSet=CAP_NET_BIND_SERVICE", 'W', NULL},
	{"AmbientCapabilities=CAP_NET_BIND_SERVICE", 'W', NULL},
	{"StandardOutput=journal", 'N', NULL},
	{"StandardError=file:/x", 'W', NULL},
	{"WorkingDirectory=/var/lib/st", 'N', NULL},
	{"PIDFile=/run/t.pid", 'W', NULL},
	{"NotifyAccess=main", 'N', NULL},
	{"RemainAfterExit=yes", 'W', NULL},
	{"StateDirectoryMode=yes", 'N', NULL},
	{"RuntimeDirectoryMode=yes", 'N', NULL},
	{"CacheDirectoryMode=yes", 'N', NULL},
	{"LogsDirectoryMode=yes", 'N', NULL},
	{"ConfigurationDirectoryMode=yes", 'N', NULL},
	{"NoNewPrivileges=yes", 'N', NULL},
	{"PrivateDevices=yes", 'N', NULL},
	{"PrivateMounts=yes", 'N', NULL},
	{"PrivateIPC=yes", 'N', NULL},
	{"RemoveIPC=yes", 'N', NULL},
	{"ProtectHostname=yes", 'N', NULL},
	{"ProtectKernelModules=yes", 'N', NULL},
	{"ProtectKernelTunables=yes", 'N', NULL},
	{"ProtectKernelLogs=yes", 'N', NULL},
	{"ProtectClock=yes", 'N', NULL},
	{"ProtectControlGroups=yes", 'N', NULL},
	{"ProtectProc=yes", 'N', NULL},
	{"InaccessiblePaths=yes", 'N', NULL},
	{"InaccessibleDirectories=yes", 'N', NULL},
	{"SyslogIdentifier=t", 'N', NULL},
	{"SyslogFacility=yes", 'N', NULL},
	{"SyslogLevelPrefix=yes", 'N', NULL},
	{"Sockets=t.socket", 'N', NULL},
	{"ExecReload=yes", 'W', NULL},
	{"ExecStop=yes", 'W', NULL},
	{"ExecStopPost=yes", 'W', NULL},
	{"KillMode=yes", 'W', NULL},
	{"KillSignal=yes", 'W', NULL},
	{"SendSIGKILL=yes", 'W', NULL},
	{"SendSIGHUP=yes", 'W', NULL},
	{"FinalKillSignal=yes", 'W', NULL},
	{"RestartKillSignal=yes", 'W', NULL},
	{"TimeoutSec=yes", 'W', NULL},
	{"TimeoutStartSec=yes", 'W', NULL},
	{"TimeoutStopSec=yes", 'W', NULL},
	{"TimeoutAbortSec=yes", 'W', NULL},
	{"WatchdogSec=yes", 'W', NULL},
	{"RestartPreventExitStatus=yes", 'W', NULL},
	{"RestartForceExitStatus=yes", 'W', NULL},
	{"SuccessExitStatus=yes", 'W', NULL},
	{"PassEnvironment=yes", 'W', NULL},
	{"RootDirectory=yes", 'W', NULL},
	{"RootImage=yes", 'W', NULL},
	{"BindPaths=yes", 'W', NULL},
	{"BindReadOnlyPaths=yes", 'W', NULL},
	{"TemporaryFileSystem=yes", 'W', NULL},
	{"SupplementaryGroups=yes", 'W', NULL},
	{"PrivateUsers=yes", 'W', NULL},
	{"SystemCallFilter=yes", 'W', NULL},
	{"SystemCallArchitectures=yes", 'W', NULL},
	{"SystemCallErrorNumber=yes", 'W', NULL},
	{"SystemCallLog=yes", 'W', NULL},
	{"RestrictAddressFamilies=yes", 'W', NULL},
	{"RestrictNamespaces=yes", 'W', NULL},
	{"RestrictRealtime=yes", 'W', NULL},
	{"RestrictSUIDSGID=yes", 'W', NULL},
	{"MemoryDenyWriteExecute=yes", 'W', NULL},
	{"LockPersonality=yes", 'W', NULL},
	{"ExecPaths=yes", 'W', NULL},
	{"NoExecPaths=yes", 'W', NULL},
	{"IPAddressAllow=yes", 'W', NULL},
	{"IPAddressDeny=yes", 'W', NULL},
	{"DeviceAllow=yes", 'W', NULL},
	{"DevicePolicy=yes", 'W', NULL},
	{"LoadCredential=yes", 'W', NULL},
	{"LoadCredentialEncrypted=yes", 'W', NULL},
	{"SetCredential=yes", 'W', NULL},
	{"UMask=yes", 'W', NULL},
	{"Nice=yes", 'W', NULL},
	{"OOMScoreAdjust=yes", 'W', NULL},
	{"CPUQuota=yes", 'W', NULL},
	{"CPUWeight=yes", 'W', NULL},
	{"IOWeight=yes", 'W', NULL},
	{"Slice=yes", 'W', NULL},
	{"Delegate=yes", 'W', NULL},
	{"MemoryMin=yes", 'W', NULL},
	{"MemoryLow=yes", 'W', NULL},
	{"MemorySwapMax=yes", 'W', NULL},
	{"PermissionsStartOnly=yes", 'W', NULL},
	{"GuessMainPID=yes", 'W', NULL},
	{"BusName=yes", 'W', NULL},
	{"IgnoreSIGPIPE=yes", 'W', NULL},
	{"StandardInput=yes", 'W', NULL},
	{"TTYPath=yes", 'W', NULL},
	{"AppArmorProfile=yes", 'W', NULL},
	{"SELinuxContext=yes", 'W', NULL},
	{"RuntimeDirectoryPreserve=yes", 'W', NULL},
	{"ProcSubset=yes", 'W', NULL},
	{"[Install]", 0, NULL},
	{"WantedBy=yes", 'N', NULL},
	{"RequiredBy=yes", 'N', NULL},
	{"UpheldBy=yes", 'N', NULL},
	{"Alias=yes", 'N', NULL},
	{"Also=yes", 'N', NULL},
	{"DefaultInstance=yes", 'N', NULL},
	{"[Socket]", 0, NULL},
	{"ListenStream=80", 'W', NULL},
	{"Accept=no", 'W', NULL},
	{"Service=t.service", 'N', NULL},
	{"SocketMode=yes", 'N', NULL},
	{"SocketUser=yes", 'N', NULL},
	{"SocketGroup=yes", 'N', NULL},
};

static void test_directives(void)
{
	struct unit_diags w = {0};
	unit_error err = {0};
	int rc;
	size_t n = sizeof directives / sizeof directives[0];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s\n", directives[i].line);
	if (f)
		fclose(f);
	char *d = translate(text ? text : "", &w, &err, &rc);
	tap_ok(rc == 0 && d, "one of each directive: translates: %s", err.msg);
	d = d ? d : strdup("");
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (!directives[i].expect)
			continue;
		char at[32];
		snprintf(at, sizeof at, "(t.service:%zu)", i + 1);
		int ok = directives[i].expect == 'W'   ? has_warning(&w, (unsigned)i + 1, "")
			 : directives[i].expect == 'N' ? strstr(d, at) != NULL
						       : strstr(d, directives[i].field) != NULL;
		tap_ok(ok, "line %zu %s: %s", i + 1, directives[i].line,
		       directives[i].expect == 'W' ? "a warning at its line"
		       : directives[i].expect == 'N' ? "a note with its file:line"
						     : directives[i].field);
		bad += !ok;
	}
	tap_ok(bad == 0, "every directive is translated, noted with file:line, or warned (%zu not)", bad);
	free(d);
	free(text);
	unit_diags_free(&w);
}

int main(void)
{
	test_syntax();
	test_words();
	test_envfile();
	test_specifiers();
	test_load();
	test_translate();
	test_mappings();
	test_directives();
	return tap_done();
}
