/*
 * translate.c — a .service (and its .socket) → the child model (unit_int.h),
 * which emit.c writes as Dhall.
 *
 * Two passes. The first walks every assignment in file order and looks its
 * [Section] Key up in `table`: a directive that is translated is collected
 * into its slot (a list where an empty value resets what came before, as
 * systemd does; a single-valued directive is the slot's last value); one
 * whose effect the Sigil sandbox already has becomes a note; an ordering or
 * install directive becomes a note; every other directive — and every one
 * not in the table — is a warning naming file:line. Nothing is dropped
 * silently. The second pass computes the child from the slots:
 *
 *   ExecStart=          binary + args; words split with C escapes,
 *                       specifiers expanded per word, then $VAR / ${VAR}
 *                       from Environment= and EnvironmentFile= (read under
 *                       opts.root now, not at start; not with ':'); a name
 *                       without '/' is searched in systemd's fixed PATH;
 *                       '@' → argv0; '-' warned (the restart policy sees
 *                       the real status); '+' '!' '!!' warned (never more
 *                       privileges)
 *   ExecStartPre/Post   preStart / postStart commands, the same way; '-'
 *                       → ignoreFailure
 *   WorkingDirectory=   cwd;  RestartSec= → restartDelay (ms)
 *   Environment*        env (EnvironmentFile= wins over Environment=)
 *   Type=               readiness, written out as a comment, with a warning
 *                       where sigil-init would behave differently; forking
 *                       → readiness = Forking, with PIDFile= as pidFile;
 *                       notify → readiness = Notify
 *   Restart=            Never | OnFailure | Always (absent: Never, as "no")
 *   MemoryMax/High      resources.ram;  LimitNOFILE + TasksMax → caps
 *   *Directory=, ReadWritePaths=  mounts: state directories named by their
 *                       path ("var/lib/redis"), tmpfs for anything in /run
 *   ListenStream=       one provided service per address, named after the
 *                       socket unit
 *   After/Requires/…    ordering notes
 * Arguments naming host files the child cannot see are warned about too.
 */
#include "unit_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

enum slot {
	S_EXEC_START, S_EXEC_PRE, S_EXEC_POST, S_EXEC_COND, S_ENV, S_ENVFILE, S_UNSETENV,
	S_TYPE, S_RESTART, S_RESTART_SEC, S_USER, S_GROUP, S_DYNUSER, S_MEMMAX, S_MEMHIGH,
	S_NOFILE, S_TASKS, S_PRIVNET, S_PRIVTMP, S_PROTSYS, S_PROTHOME, S_RWPATHS, S_ROPATHS,
	S_STATEDIR, S_RUNTIMEDIR, S_CACHEDIR, S_LOGSDIR, S_CONFIGDIR, S_CAPBOUND, S_AMBIENT,
	S_STDOUT, S_STDERR, S_WORKDIR, S_PIDFILE, S_NOTIFYACCESS, S_REMAIN, S_LISTEN, S_ACCEPT,
	S_NSLOTS
};

enum kind {
	K_SLOT,    /* collected into a slot */
	K_HEADER,  /* Description=, Documentation=: the header comment */
	K_ORDER,   /* an ordering note */
	K_INSTALL, /* enablement: a note */
	K_COVERED, /* the Sigil sandbox already does it: a note */
	K_WARN,    /* not translated: a warning with the reason */
};

struct rule {
	const char *section, *key;
	enum kind kind;
	int slot;
	const char *why;
};

#define SLOT(sec, k, s) {sec, k, K_SLOT, s, NULL}
#define WARN(sec, k, why) {sec, k, K_WARN, 0, why}
#define COVER(sec, k, why) {sec, k, K_COVERED, 0, why}
#define ORDER(k) {"Unit", k, K_ORDER, 0, NULL}

static const char NO_STOP[] = "sigil-init stops a child with SIGTERM, then SIGKILL";
static const char NO_LIMIT[] = "a child has a RAM and a caps quota only";
static const char NO_SECCOMP[] = "sigil-init applies its own seccomp filter to every child";
static const char NS[] = "every child has its own namespaces and no capabilities";

static const struct rule table[] = {
	{"Unit", "Description", K_HEADER, 0, NULL},
	{"Unit", "Documentation", K_HEADER, 0, NULL},
	ORDER("After"), ORDER("Before"), ORDER("Requires"), ORDER("Wants"), ORDER("BindsTo"),
	ORDER("PartOf"), ORDER("Requisite"), ORDER("Upholds"), ORDER("RequiresMountsFor"),
	ORDER("WantsMountsFor"), ORDER("DefaultDependencies"), ORDER("ReloadPropagatedFrom"),
	ORDER("PropagatesReloadTo"),
	WARN("Unit", "Conflicts", "children do not exclude each other"),
	WARN("Unit", "OnFailure", "sigil-init starts no unit on failure; see restart"),
	WARN("Unit", "OnSuccess", "sigil-init starts no unit on success"),
	WARN("Unit", "StartLimitIntervalSec", "sigil-init restarts with its own backoff"),
	WARN("Unit", "StartLimitBurst", "sigil-init restarts with its own backoff"),
	WARN("Unit", "StartLimitAction", "sigil-init restarts with its own backoff"),
	WARN("Unit", "JobTimeoutSec", "sigil-init has no jobs"),
	{"Install", "WantedBy", K_INSTALL, 0, NULL},
	{"Install", "RequiredBy", K_INSTALL, 0, NULL},
	{"Install", "UpheldBy", K_INSTALL, 0, NULL},
	{"Install", "Alias", K_INSTALL, 0, NULL},
	{"Install", "Also", K_INSTALL, 0, NULL},
	{"Install", "DefaultInstance", K_INSTALL, 0, NULL},
	SLOT("Service", "ExecStart", S_EXEC_START),
	SLOT("Service", "ExecStartPre", S_EXEC_PRE),
	SLOT("Service", "ExecStartPost", S_EXEC_POST),
	SLOT("Service", "ExecCondition", S_EXEC_COND),
	SLOT("Service", "Environment", S_ENV),
	SLOT("Service", "EnvironmentFile", S_ENVFILE),
	SLOT("Service", "UnsetEnvironment", S_UNSETENV),
	SLOT("Service", "Type", S_TYPE),
	SLOT("Service", "Restart", S_RESTART),
	SLOT("Service", "RestartSec", S_RESTART_SEC),
	SLOT("Service", "User", S_USER),
	SLOT("Service", "Group", S_GROUP),
	SLOT("Service", "DynamicUser", S_DYNUSER),
	SLOT("Service", "MemoryMax", S_MEMMAX),
	SLOT("Service", "MemoryLimit", S_MEMMAX),
	SLOT("Service", "MemoryHigh", S_MEMHIGH),
	SLOT("Service", "LimitNOFILE", S_NOFILE),
	SLOT("Service", "TasksMax", S_TASKS),
	SLOT("Service", "PrivateNetwork", S_PRIVNET),
	SLOT("Service", "PrivateTmp", S_PRIVTMP),
	SLOT("Service", "ProtectSystem", S_PROTSYS),
	SLOT("Service", "ProtectHome", S_PROTHOME),
	SLOT("Service", "ReadWritePaths", S_RWPATHS),
	SLOT("Service", "ReadWriteDirectories", S_RWPATHS),
	SLOT("Service", "ReadOnlyPaths", S_ROPATHS),
	SLOT("Service", "ReadOnlyDirectories", S_ROPATHS),
	SLOT("Service", "StateDirectory", S_STATEDIR),
	SLOT("Service", "RuntimeDirectory", S_RUNTIMEDIR),
	SLOT("Service", "CacheDirectory", S_CACHEDIR),
	SLOT("Service", "LogsDirectory", S_LOGSDIR),
	SLOT("Service", "ConfigurationDirectory", S_CONFIGDIR),
	SLOT("Service", "CapabilityBoundingSet", S_CAPBOUND),
	SLOT("Service", "AmbientCapabilities", S_AMBIENT),
	SLOT("Service", "StandardOutput", S_STDOUT),
	SLOT("Service", "StandardError", S_STDERR),
	SLOT("Service", "WorkingDirectory", S_WORKDIR),
	SLOT("Service", "PIDFile", S_PIDFILE),
	SLOT("Service", "NotifyAccess", S_NOTIFYACCESS),
	SLOT("Service", "RemainAfterExit", S_REMAIN),
	COVER("Service", "StateDirectoryMode", "the child owns its state directories"),
	COVER("Service", "RuntimeDirectoryMode", "the child owns its runtime directories"),
	COVER("Service", "CacheDirectoryMode", "the child owns its cache directories"),
	COVER("Service", "LogsDirectoryMode", "the child owns its log directories"),
	COVER("Service", "ConfigurationDirectoryMode", "the child owns its directories"),
	COVER("Service", "NoNewPrivileges", "sigil-init sets no_new_privs on every child"),
	COVER("Service", "PrivateDevices", "a child's /dev is minimal"),
	COVER("Service", "PrivateMounts", "every child has its own mount namespace"),
	COVER("Service", "PrivateIPC", "every child has its own IPC namespace"),
	COVER("Service", "RemoveIPC", "a child's IPC namespace goes with it"),
	COVER("Service", "ProtectHostname", "every child has its own UTS namespace"),
	COVER("Service", "ProtectKernelModules", NS),
	COVER("Service", "ProtectKernelTunables", NS),
	COVER("Service", "ProtectKernelLogs", NS),
	COVER("Service", "ProtectClock", NS),
	COVER("Service", "ProtectControlGroups", "a child does not see the cgroup tree"),
	COVER("Service", "ProtectProc", "every child has its own PID namespace"),
	COVER("Service", "InaccessiblePaths", "a child sees no host path but its mounts"),
	COVER("Service", "InaccessibleDirectories", "a child sees no host path but its mounts"),
	COVER("Service", "SyslogIdentifier", "sigil-init labels each log line with the child's name"),
	COVER("Service", "SyslogFacility", "sigil-init labels each log line with the child's name"),
	COVER("Service", "SyslogLevelPrefix", "sigil-init labels each log line with the child's name"),
	COVER("Service", "Sockets", "the socket unit of the same name is read"),
	WARN("Service", "ExecReload", "sigil-init has no reload"),
	WARN("Service", "ExecStop", NO_STOP),
	WARN("Service", "ExecStopPost", NO_STOP),
	WARN("Service", "KillMode", NO_STOP),
	WARN("Service", "KillSignal", NO_STOP),
	WARN("Service", "SendSIGKILL", NO_STOP),
	WARN("Service", "SendSIGHUP", NO_STOP),
	WARN("Service", "FinalKillSignal", NO_STOP),
	WARN("Service", "RestartKillSignal", NO_STOP),
	WARN("Service", "TimeoutSec", "sigil-init has no start or stop timeouts"),
	WARN("Service", "TimeoutStartSec", "sigil-init has no start or stop timeouts"),
	WARN("Service", "TimeoutStopSec", "sigil-init has no start or stop timeouts"),
	WARN("Service", "TimeoutAbortSec", "sigil-init has no start or stop timeouts"),
	WARN("Service", "WatchdogSec", "sigil-init has no watchdog"),
	WARN("Service", "RestartPreventExitStatus", "the restart policy does not look at exit codes"),
	WARN("Service", "RestartForceExitStatus", "the restart policy does not look at exit codes"),
	WARN("Service", "SuccessExitStatus", "the restart policy does not look at exit codes"),
	WARN("Service", "PassEnvironment", "a child gets only the environment in env"),
	WARN("Service", "RootDirectory", "a child's root is /rom and its mounts"),
	WARN("Service", "RootImage", "a child's root is /rom and its mounts"),
	WARN("Service", "BindPaths", "a child sees no host path; use a state mount or a ROM module"),
	WARN("Service", "BindReadOnlyPaths", "a child sees no host path; give it as a ROM module"),
	WARN("Service", "TemporaryFileSystem", "write a tmpfs mount for it"),
	WARN("Service", "SupplementaryGroups", "a child runs as its own identity"),
	WARN("Service", "PrivateUsers", "no user namespace is set up for a child"),
	WARN("Service", "SystemCallFilter", NO_SECCOMP),
	WARN("Service", "SystemCallArchitectures", NO_SECCOMP),
	WARN("Service", "SystemCallErrorNumber", NO_SECCOMP),
	WARN("Service", "SystemCallLog", NO_SECCOMP),
	WARN("Service", "RestrictAddressFamilies", NO_SECCOMP),
	WARN("Service", "RestrictNamespaces", NO_SECCOMP),
	WARN("Service", "RestrictRealtime", NO_SECCOMP),
	WARN("Service", "RestrictSUIDSGID", NO_SECCOMP),
	WARN("Service", "MemoryDenyWriteExecute", NO_SECCOMP),
	WARN("Service", "LockPersonality", NO_SECCOMP),
	WARN("Service", "ExecPaths", "a child may execute anything in its /rom"),
	WARN("Service", "NoExecPaths", "a child may execute anything in its /rom"),
	WARN("Service", "IPAddressAllow", "a child's network is loopback or its uplink"),
	WARN("Service", "IPAddressDeny", "a child's network is loopback or its uplink"),
	WARN("Service", "DeviceAllow", "a child's /dev is minimal and fixed"),
	WARN("Service", "DevicePolicy", "a child's /dev is minimal and fixed"),
	WARN("Service", "LoadCredential", "give the credential as a ROM module"),
	WARN("Service", "LoadCredentialEncrypted", "give the credential as a ROM module"),
	WARN("Service", "SetCredential", "give the credential as a ROM module"),
	WARN("Service", "UMask", "not set for a child"),
	WARN("Service", "Nice", "no scheduling settings for a child"),
	WARN("Service", "OOMScoreAdjust", "no OOM settings for a child: its RAM quota bounds it"),
	WARN("Service", "CPUQuota", "no CPU quota for a child"),
	WARN("Service", "CPUWeight", "no CPU quota for a child"),
	WARN("Service", "IOWeight", "no I/O settings for a child"),
	WARN("Service", "Slice", "each child has its own cgroup"),
	WARN("Service", "Delegate", "each child has its own cgroup, not delegated"),
	WARN("Service", "MemoryMin", NO_LIMIT),
	WARN("Service", "MemoryLow", NO_LIMIT),
	WARN("Service", "MemorySwapMax", NO_LIMIT),
	WARN("Service", "PermissionsStartOnly", "preStart/postStart commands run with the child's "
						"identity, as its program"),
	WARN("Service", "GuessMainPID", "a child is the process sigil-init starts"),
	WARN("Service", "BusName", "no D-Bus readiness"),
	WARN("Service", "IgnoreSIGPIPE", "signal dispositions are not set for a child"),
	WARN("Service", "StandardInput", "a child's stdin is /dev/null"),
	WARN("Service", "TTYPath", "a child has no terminal"),
	WARN("Service", "AppArmorProfile", "no LSM profile for a child"),
	WARN("Service", "SELinuxContext", "no LSM profile for a child"),
	WARN("Service", "RuntimeDirectoryPreserve", "a runtime directory is a tmpfs that goes with the child"),
	WARN("Service", "ProcSubset", "a child's /proc is its PID namespace's"),
	SLOT("Socket", "ListenStream", S_LISTEN),
	SLOT("Socket", "Accept", S_ACCEPT),
	COVER("Socket", "Service", "the socket is read with its service"),
	COVER("Socket", "SocketMode", "a service's socket is reached only by routed clients"),
	COVER("Socket", "SocketUser", "a service's socket is reached only by routed clients"),
	COVER("Socket", "SocketGroup", "a service's socket is reached only by routed clients"),
};

struct elist {
	const struct unit_entry **e;
	size_t n, cap;
};

struct tr {
	const unit_file *svc, *sock;
	const struct unit_translate_opts *o;
	struct unit_diags *w;
	unit_error *err;
	struct unit_spec spec;
	int rc; /* sticky: the first failure */
	struct elist slot[S_NSLOTS];
	struct tr_child c;
	const char *type;
};

static void warn(struct tr *t, const struct unit_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn(struct tr *t, const struct unit_entry *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = unit__vwarn(t->w, e ? e->file : (t->svc->path ? t->svc->path : ""),
			     e ? e->line : 0, fmt, ap);
	va_end(ap);
	if (rc && !t->rc)
		t->rc = rc;
}

/* "(file:line)" of e, shortened to the file's base name. */
static void where(struct ubuf *b, const struct unit_entry *e)
{
	const char *f = strrchr(e->file, '/') ? strrchr(e->file, '/') + 1 : e->file;
	ubuf_printf(b, " (%s:%u)", f, e->line);
}

static void note(struct ubuf *b, const struct unit_entry *e, const char *text)
{
	ubuf_add(b, "--   ");
	if (e) {
		unit__comment_text(b, e->key);
		ubuf_addc(b, '=');
		unit__comment_text(b, e->value);
		ubuf_add(b, ": ");
	}
	unit__comment_text(b, text);
	if (e)
		where(b, e);
	ubuf_addc(b, '\n');
}

/* A note about a directive the unit does not have: "(NAME.service)". */
static void note_unit(struct tr *t, const char *text)
{
	struct ubuf *b = &t->c.notes;
	const char *f = t->svc->path ? t->svc->path : t->svc->name;
	ubuf_add(b, "--   ");
	unit__comment_text(b, text);
	ubuf_add(b, " (");
	unit__comment_text(b, strrchr(f, '/') ? strrchr(f, '/') + 1 : f);
	ubuf_add(b, ")\n");
}

static void push(struct tr *t, struct elist *l, const struct unit_entry *e)
{
	if (!*e->value) { /* an empty assignment resets the list */
		l->n = 0;
		note(&t->c.notes, e,
		     strcmp(e->key, "CapabilityBoundingSet") == 0
			     ? "no capabilities, as every child"
			     : "empty: resets what came before, as in systemd");
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4;
		const struct unit_entry **ne = realloc(l->e, cap * sizeof *ne);
		if (!ne) {
			t->rc = UNIT_E_NOMEM;
			return;
		}
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n++] = e;
}

static const struct unit_entry *last(const struct tr *t, int s)
{
	return t->slot[s].n ? t->slot[s].e[t->slot[s].n - 1] : NULL;
}

/* Specifier expansion of s (for e's file:line); NULL on failure (t->rc). */
static char *expand(struct tr *t, const struct unit_entry *e, const char *s)
{
	char *res = NULL;
	int rc = unit_specifiers(&t->spec, s, &res, e->file, e->line, t->w);
	if (rc) {
		if (!t->rc)
			t->rc = rc;
		return NULL;
	}
	return res;
}

/* First pass: every assignment of u. */
static void classify(struct tr *t, const unit_file *u, int is_socket)
{
	for (size_t i = 0; i < u->n && !t->rc; i++) {
		const struct unit_entry *e = &u->e[i];
		const struct rule *r = NULL;
		for (size_t k = 0; k < sizeof table / sizeof table[0] && !r; k++)
			if (strcmp(table[k].key, e->key) == 0 &&
			    strcmp(table[k].section, e->section) == 0)
				r = &table[k];
		if (!r) {
			if (strncmp(e->key, "Condition", 9) == 0 || strncmp(e->key, "Assert", 6) == 0)
				warn(t, e, "%s= is not translated: a child always starts", e->key);
			else if (strncmp(e->section, "X-", 2) == 0)
				warn(t, e, "[%s] %s= is not translated: an extension section",
				     e->section, e->key);
			else if (strncmp(e->key, "Limit", 5) == 0)
				warn(t, e, "%s= is not translated: %s", e->key, NO_LIMIT);
			else
				warn(t, e, "[%s] %s= is not translated", e->section, e->key);
			continue;
		}
		if (r->kind == K_SLOT && ((r->slot == S_LISTEN || r->slot == S_ACCEPT) != is_socket)) {
			warn(t, e, "[%s] %s= is not translated here", e->section, e->key);
			continue;
		}
		switch (r->kind) {
		case K_SLOT: push(t, &t->slot[r->slot], e); break;
		case K_HEADER: {
			char *x = expand(t, e, e->value);
			if (x) {
				ubuf_printf(&t->c.header, "-- %s: ", e->key);
				unit__comment_text(&t->c.header, x);
				ubuf_addc(&t->c.header, '\n');
			}
			free(x);
			break;
		}
		case K_ORDER:
			note(&t->c.ordering, e,
			     "children start when the services they use are up; nothing else orders them");
			break;
		case K_INSTALL:
			note(&t->c.notes, e, "a child runs because the system lists it");
			break;
		case K_COVERED: note(&t->c.notes, e, r->why); break;
		case K_WARN: warn(t, e, "%s= is not translated: %s", e->key, r->why); break;
		}
	}
}

static int valid_env_name(const char *k, size_t n)
{
	if (!n || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

static void do_env(struct tr *t)
{
	struct elist *l = &t->slot[S_ENV];
	for (size_t i = 0; i < l->n && !t->rc; i++) {
		const struct unit_entry *e = l->e[i];
		struct unit_words ws;
		char msg[128];
		int rc = unit_split(e->value, UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg);
		if (rc == UNIT_E_NOMEM) {
			t->rc = rc;
			return;
		}
		if (rc) {
			warn(t, e, "Environment= skipped: %s", msg);
			continue;
		}
		for (size_t k = 0; k < ws.n && !t->rc; k++) {
			char *x = expand(t, e, ws.w[k]);
			char *eq = x ? strchr(x, '=') : NULL;
			if (x && (!eq || !valid_env_name(x, (size_t)(eq - x)))) {
				warn(t, e, "Environment= \"%s\" is not NAME=VALUE; skipped", x);
			} else if (x) {
				*eq = '\0';
				if (unit_env_set(&t->c.env, x, eq + 1))
					t->rc = UNIT_E_NOMEM;
			}
			free(x);
		}
		unit_words_free(&ws);
	}
	l = &t->slot[S_ENVFILE];
	const char *root = t->o->root ? t->o->root : "/";
	for (size_t i = 0; i < l->n && !t->rc; i++) {
		const struct unit_entry *e = l->e[i];
		char *x = expand(t, e, e->value);
		if (!x)
			return;
		const char *p = x;
		int optional = *p == '-';
		if (optional)
			p++;
		char *data = NULL;
		size_t len = 0;
		if (p[0] != '/') {
			warn(t, e, "EnvironmentFile=%s is not an absolute path; skipped", p);
		} else if (unit__read(root, p, &data, &len) != 0) {
			if (optional)
				note(&t->c.notes, e,
				     "absent under the root read; ignored, as systemd ignores it");
			else
				warn(t, e,
				     "EnvironmentFile=%s cannot be read under %s: its variables are "
				     "missing from env",
				     p, root);
		} else {
			int rc = unit_parse_envfile(p, data, len, &t->c.env, t->w);
			if (rc)
				t->rc = rc;
			note(&t->c.notes, e,
			     "read now, at translation, not when the child starts: its variables are in env");
		}
		free(data);
		free(x);
	}
	l = &t->slot[S_UNSETENV];
	for (size_t i = 0; i < l->n && !t->rc; i++) {
		struct unit_words ws;
		char msg[128];
		if (unit_split(l->e[i]->value, UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg) != 0) {
			warn(t, l->e[i], "UnsetEnvironment= skipped: %s", msg);
			continue;
		}
		note(&t->c.notes, l->e[i], "removed from env");
		for (size_t k = 0; k < ws.n; k++) {
			char *eq = strchr(ws.w[k], '=');
			if (eq) { /* NAME=VALUE: only when it has that value */
				*eq = '\0';
				const char *v = unit_env_get(&t->c.env, ws.w[k]);
				if (v && strcmp(v, eq + 1) == 0)
					unit_env_unset(&t->c.env, ws.w[k]);
			} else {
				unit_env_unset(&t->c.env, ws.w[k]);
			}
		}
		unit_words_free(&ws);
	}
}

static int add_arg(struct tr *t, struct tr_cmd *c, const char *s, size_t n)
{
	char **a = realloc(c->args, (c->nargs + 1) * sizeof *a);
	if (!a || !(a[c->nargs] = strndup(s, n))) {
		if (a)
			c->args = a;
		t->rc = UNIT_E_NOMEM;
		return -1;
	}
	c->args = a;
	c->nargs++;
	return 0;
}

/* $NAME / ${NAME} in one argument (systemd's rules): a whole-word $NAME
 * becomes the value's words, ${NAME} anywhere the value as is, $$ a '$'. */
static void substitute(struct tr *t, struct tr_cmd *c, const struct unit_entry *e,
		       const char *w)
{
	const struct unit_env *env = &t->c.env;
	if (w[0] == '$' && w[1] != '{' && valid_env_name(w + 1, strlen(w + 1))) {
		const char *v = unit_env_get(env, w + 1);
		if (!v) {
			warn(t, e, "$%s is not set by the unit: it expands to nothing, as in systemd",
			     w + 1);
			return;
		}
		for (const char *p = v; *p;) {
			while (*p == ' ' || *p == '\t' || *p == '\n')
				p++;
			const char *s = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;
			if (p > s && add_arg(t, c, s, (size_t)(p - s)) != 0)
				return;
		}
		return;
	}
	struct ubuf b = {0};
	ubuf_addn(&b, "", 0);
	for (const char *p = w; *p; p++) {
		if (p[0] == '$' && p[1] == '$') {
			ubuf_addc(&b, '$');
			p++;
		} else if (p[0] == '$' && p[1] == '{' && strchr(p, '}')) {
			const char *end = strchr(p, '}');
			char *name = strndup(p + 2, (size_t)(end - p - 2));
			if (!name) {
				b.nomem = 1;
				break;
			}
			const char *v = unit_env_get(env, name);
			if (!v)
				warn(t, e,
				     "${%s} is not set by the unit: it expands to nothing, as in systemd",
				     name);
			ubuf_add(&b, v ? v : "");
			free(name);
			p = end;
		} else {
			ubuf_addc(&b, *p);
		}
	}
	if (b.nomem)
		t->rc = UNIT_E_NOMEM;
	else
		add_arg(t, c, b.p, b.n);
	ubuf_free(&b);
}

static int exists_under(const char *root, const char *path)
{
	char *full = unit__rooted(root, path);
	struct stat st;
	int ok = full && stat(full, &st) == 0 && !S_ISDIR(st.st_mode);
	free(full);
	return ok;
}

/* One command line of Exec*= e into c: prefixes - @ : + ! !!, words split
 * with C escapes, specifiers per word, then $VAR / ${VAR} (not with ':'),
 * the program searched in systemd's fixed PATH under root when it has no
 * '/'. Returns 0, or UNIT_E_UNSUPPORTED / UNIT_E_NOMEM with t->err. */
static int parse_cmd(struct tr *t, const struct unit_entry *e, struct tr_cmd *c, int is_main)
{
	const char *root = t->o->root ? t->o->root : "/";
	const char *v = e->value;
	int argv0 = 0, nosubst = 0, priv = 0;
	for (;; v++) {
		if (*v == '-')
			c->ignore = 1;
		else if (*v == '@')
			argv0 = 1;
		else if (*v == ':')
			nosubst = 1;
		else if (*v == '+' || *v == '!')
			priv = 1;
		else
			break;
	}
	struct unit_words ws;
	char msg[128];
	int rc = unit_split(v, UNIT_SPLIT_CUNESCAPE, &ws, msg, sizeof msg);
	if (rc) {
		unit__error(t->err, rc, e->file, e->line, "%s=: %s", e->key,
			    rc == UNIT_E_NOMEM ? "out of memory" : msg);
		return rc == UNIT_E_NOMEM ? rc : UNIT_E_UNSUPPORTED;
	}
	size_t nw = ws.n;
	for (size_t i = 0; i < ws.n; i++)
		if (strcmp(ws.w[i], ";") == 0) { /* further commands: not run */
			nw = i;
			warn(t, e, "commands after \";\" in %s= are not run: write one %s= each", e->key,
			     e->key);
			break;
		}
	if (nw == 0 || (argv0 && nw < 2)) {
		unit_words_free(&ws);
		unit__error(t->err, UNIT_E_UNSUPPORTED, e->file, e->line, "%s= names no program",
			    e->key);
		return UNIT_E_UNSUPPORTED;
	}
	if (c->ignore && is_main)
		warn(t, e, "ExecStart= prefix '-' (failure counts as success) is not translated: "
			   "the restart policy sees the real exit status");
	else if (c->ignore)
		note(&t->c.notes, e, "prefix '-': its failure is ignored (ignoreFailure = True)");
	if (argv0)
		note(&t->c.notes, e, "prefix '@': the second word is argv[0] (argv0)");
	if (nosubst)
		note(&t->c.notes, e, "prefix ':': $VAR and ${VAR} are kept as written");
	if (priv)
		warn(t, e, "%s= prefix '+', '!' or '!!' (more privileges) is not translated: Sigil "
			   "never runs a child with more privileges than the child has", e->key);
	char *bin = expand(t, e, ws.w[0]);
	if (bin && bin[0] != '/') {
		static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
						   "/usr/bin", "/sbin", "/bin"};
		char *found = NULL;
		for (size_t i = 0; i < 6 && !found && !strchr(bin, '/'); i++) {
			struct ubuf p = {0};
			ubuf_printf(&p, "%s/%s", path[i], bin);
			if (!p.nomem && exists_under(root, p.p))
				found = p.p;
			else
				ubuf_free(&p);
		}
		if (!found) {
			struct ubuf p = {0};
			ubuf_printf(&p, "/usr/bin/%s", bin);
			found = p.p;
			warn(t, e, "program \"%s\" is not found in PATH under %s; assumed %s", bin, root,
			     found ? found : "");
		}
		free(bin);
		bin = found;
	} else if (bin && !exists_under(root, bin)) {
		warn(t, e, "program %s is not found under %s", bin, root);
	}
	c->binary = bin;
	if (!bin && !t->rc)
		t->rc = UNIT_E_NOMEM;
	if (argv0 && !t->rc && !(c->argv0 = expand(t, e, ws.w[1])) && !t->rc)
		t->rc = UNIT_E_NOMEM;
	for (size_t i = argv0 ? 2 : 1; i < nw && !t->rc; i++) {
		char *x = expand(t, e, ws.w[i]);
		if (x && nosubst)
			add_arg(t, c, x, strlen(x));
		else if (x)
			substitute(t, c, e, x);
		free(x);
	}
	unit_words_free(&ws);
	return 0;
}

static void cmd_free(struct tr_cmd *c);

/* The commands: ExecStart= (the child's program), ExecStartPre/Post=
 * (preStart/postStart, in order). Returns 0 or an error in t->err. */
static int do_exec(struct tr *t)
{
	struct elist *l = &t->slot[S_EXEC_START];
	if (!l->n) {
		unit__error(t->err, UNIT_E_UNSUPPORTED, t->svc->path, 0,
			    "%s has no ExecStart=: nothing to run", t->svc->name);
		return UNIT_E_UNSUPPORTED;
	}
	if (l->n > 1 && strcmp(t->type, "oneshot") != 0) {
		unit__error(t->err, UNIT_E_UNSUPPORTED, l->e[1]->file, l->e[1]->line,
			    "more than one ExecStart= (only Type=oneshot allows it)");
		return UNIT_E_UNSUPPORTED;
	}
	for (size_t i = 1; i < l->n; i++)
		warn(t, l->e[i],
		     "ExecStart=%s is not run: a child runs one program (the first ExecStart=)",
		     l->e[i]->value);
	int rc = parse_cmd(t, l->e[0], &t->c.main, 1);
	if (rc)
		return rc;
	static const int other[] = {S_EXEC_PRE, S_EXEC_POST};
	struct tr_cmd **lists[] = {&t->c.pre, &t->c.post};
	size_t *counts[] = {&t->c.npre, &t->c.npost};
	for (int k = 0; k < 2 && !t->rc; k++) {
		struct elist *o = &t->slot[other[k]];
		if (o->n && !(*lists[k] = calloc(o->n, sizeof **lists[k]))) {
			t->rc = UNIT_E_NOMEM;
			break;
		}
		for (size_t i = 0; i < o->n && !t->rc; i++) {
			struct tr_cmd *c = &(*lists[k])[(*counts[k])++];
			if ((rc = parse_cmd(t, o->e[i], c, 0)) == UNIT_E_UNSUPPORTED) {
				/* as systemd: a bad line is ignored, with a message */
				warn(t, o->e[i], "%s: the line is skipped, as systemd skips it", t->err->msg);
				memset(t->err, 0, sizeof *t->err);
				cmd_free(c);
				memset(c, 0, sizeof *c);
				(*counts[k])--;
				continue;
			}
			if (rc)
				return rc;
			struct ubuf why = {0};
			ubuf_printf(&why, "%s=", o->e[i]->key);
			unit__comment_text(&why, o->e[i]->value);
			where(&why, o->e[i]);
			c->why = why.p;
			if (why.nomem)
				t->rc = UNIT_E_NOMEM;
		}
	}
	for (size_t i = 0; i < t->slot[S_EXEC_COND].n; i++)
		warn(t, t->slot[S_EXEC_COND].e[i],
		     "ExecCondition=%s is not run: a child always starts (no condition)",
		     t->slot[S_EXEC_COND].e[i]->value);
	return 0;
}

static void do_type(struct tr *t)
{
	const struct unit_entry *e = last(t, S_TYPE);
	struct ubuf *r = &t->c.readiness;
	const char *ty = t->type;
	if (!strcmp(ty, "simple") || !strcmp(ty, "exec")) {
		note(r, e, "ready once started; no readiness protocol");
	} else if (!strcmp(ty, "notify") || !strcmp(ty, "notify-reload")) {
		note(r, e, "ready when it sends READY=1 to $NOTIFY_SOCKET (sd_notify): "
			   "readiness = Notify");
		t->c.notify = 1;
		if (!strcmp(ty, "notify-reload"))
			warn(t, e, "Type=notify-reload: the reload half is not translated (sigil-init "
				   "has no reload); readiness = Notify");
	} else if (!strcmp(ty, "forking")) {
		note(r, e, "ready when the started process exits 0, leaving its daemon behind "
			   "(readiness = Forking; the daemon is the child from then on)");
		t->c.forking = 1;
	} else if (!strcmp(ty, "oneshot")) {
		note(r, e, "done when it exits");
		warn(t, e, "Type=oneshot: a child is a long-running program; this one exits when done "
			   "(restart stays Never unless Restart= says otherwise)");
	} else {
		note(r, e, "ready once started");
		warn(t, e, "Type=%s is not translated: the child counts as ready once started", ty);
	}
	const struct unit_entry *pf = last(t, S_PIDFILE);
	if (pf && t->c.forking && pf->value[0] == '/') {
		char *x = expand(t, pf, pf->value);
		if (x && !(t->c.pid_file = strdup(x)) && !t->rc)
			t->rc = UNIT_E_NOMEM;
		free(x);
		if (t->c.pid_file)
			note(r, pf, "the daemon is the process its PID file names (pidFile)");
	} else if (pf) {
		warn(t, pf, "PIDFile= is not translated: %s", t->c.forking ? "not an absolute path"
			     : "the child is the process sigil-init starts");
	}
	const struct unit_entry *na = last(t, S_NOTIFYACCESS);
	if (na && t->c.notify)
		note(r, na, "any process of the child may notify: its socket is private to the "
			    "child's network namespace");
	else if (na)
		note(r, na, "no effect without Type=notify, as in systemd");
	const struct unit_entry *ra = last(t, S_REMAIN);
	if (ra && unit__bool(ra->value) == 1)
		warn(t, ra, "RemainAfterExit= is not translated: an exited child is not running");
}

static void do_restart(struct tr *t)
{
	const struct unit_entry *e = last(t, S_RESTART);
	const char *v = e ? e->value : "no";
	if (!e) {
		t->c.restart = "Never";
		note_unit(t, "Restart= is not set: systemd's default \"no\" is Never");
	} else if (!strcmp(v, "no")) {
		t->c.restart = "Never";
	} else if (!strcmp(v, "always")) {
		t->c.restart = "Always";
	} else if (!strcmp(v, "on-failure")) {
		t->c.restart = "OnFailure";
	} else if (!strcmp(v, "on-abnormal") || !strcmp(v, "on-abort") || !strcmp(v, "on-watchdog")) {
		t->c.restart = "OnFailure";
		warn(t, e, "Restart=%s is approximated by OnFailure (restarts after any failure)", v);
	} else if (!strcmp(v, "on-success")) {
		t->c.restart = "Never";
		warn(t, e, "Restart=on-success is not translated: there is no such policy; Never");
	} else {
		t->c.restart = "Never";
		warn(t, e, "Restart=%s is not a restart policy; Never", v);
	}
	const struct unit_entry *s = last(t, S_RESTART_SEC);
	unsigned long long ms;
	int r = s ? unit__timespan_ms(s->value, &ms) : -1;
	if (s && r == 0 && ms > 86400000ULL)
		warn(t, s, "RestartSec=%s is not translated: a restartDelay is at most a day", s->value);
	else if (s && r == 0) {
		t->c.has_delay = 1;
		t->c.delay_ms = ms;
		note(&t->c.notes, s, !strcmp(t->c.restart, "Never")
					     ? "restartDelay (no effect while restart is Never)"
					     : "restartDelay: sigil-init waits this long before each restart");
	} else if (s) {
		warn(t, s, "RestartSec=%s is not translated: %s", s->value,
		     r == 1 ? "a restartDelay is a number of milliseconds" : "not a time span");
	}
}

static char *norm_path(const char *p);
static int under(const char *path, const char *dir);

static void do_identity(struct tr *t)
{
	const struct unit_entry *u = last(t, S_USER), *g = last(t, S_GROUP), *d = last(t, S_DYNUSER);
	if (u)
		note(&t->c.notes, u, "a child runs as its own unprivileged identity; the name is not kept");
	if (g)
		note(&t->c.notes, g, "a child runs as its own unprivileged identity; the name is not kept");
	if (d)
		note(&t->c.notes, d, "every child already has an identity of its own");
	const struct unit_entry *wd = last(t, S_WORKDIR);
	const char *wv = wd ? wd->value : NULL;
	if (wv && wv[0] == '-') {
		wv++;
		note(&t->c.notes, wd, "prefix '-' (a missing directory is fine) is not kept: a start "
				      "fails when cwd is missing");
	}
	if (wv && wv[0] == '~')
		warn(t, wd, "WorkingDirectory=~ is not translated: a child has no home directory; it "
			    "starts in /");
	else if (wv && wv[0] != '/' && strchr(wv, '%') == NULL)
		warn(t, wd, "WorkingDirectory=%s is not translated: not an absolute path", wd->value);
	else if (wv) {
		char *x = expand(t, wd, wv);
		char *n = x ? norm_path(x) : NULL;
		if (x && !n)
			warn(t, wd, "WorkingDirectory=%s is not translated: not an absolute path",
			     wd->value);
		else if (n) {
			t->c.cwd = n;
			note(&t->c.notes, wd, "cwd");
		}
		free(x);
	}
	static const int io[] = {S_STDOUT, S_STDERR};
	for (int k = 0; k < 2; k++) {
		const struct unit_entry *e = last(t, io[k]);
		if (!e)
			continue;
		if (!strcmp(e->value, "journal") || !strcmp(e->value, "inherit") ||
		    !strcmp(e->value, "syslog") || !strcmp(e->value, "kmsg") ||
		    !strncmp(e->value, "journal+", 8))
			note(&t->c.notes, e, "sigil-init writes the child's output as [name] lines");
		else
			warn(t, e, "%s=%s is not translated: sigil-init logs the child's output", e->key,
			     e->value);
	}
	static const int caps[] = {S_CAPBOUND, S_AMBIENT};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < t->slot[caps[k]].n; i++) {
			const struct unit_entry *e = t->slot[caps[k]].e[i];
			if (k == 0 && e->value[0] == '~')
				warn(t, e, "CapabilityBoundingSet=%s keeps capabilities; a child has none",
				     e->value);
			else
				warn(t, e, "%s=%s is not translated: a child has no capabilities", e->key,
				     e->value);
		}
}

static void do_resources(struct tr *t)
{
	const struct unit_entry *mx = last(t, S_MEMMAX), *hi = last(t, S_MEMHIGH);
	unsigned long long v;
	if (mx) {
		int r = unit__size(mx->value, &v);
		if (r == 0) {
			t->c.ram = v;
			t->c.has_ram = 1;
		} else {
			warn(t, mx, "%s=%s is not translated: %s", mx->key, mx->value,
			     r == 1 ? "a child's RAM quota is a number" : "not a size in bytes");
		}
	}
	if (hi) {
		int r = unit__size(hi->value, &v);
		if (r == 0 && !t->c.has_ram) {
			t->c.ram = v;
			t->c.has_ram = 1;
			warn(t, hi, "MemoryHigh= (a throttling threshold) becomes the hard RAM quota");
		} else if (r == 0) {
			warn(t, hi, "MemoryHigh= is not translated: MemoryMax= is the RAM quota");
		} else {
			warn(t, hi, "MemoryHigh=%s is not translated: %s", hi->value,
			     r == 1 ? "a child's RAM quota is a number" : "not a size in bytes");
		}
	}
	if (!t->c.has_ram)
		note_unit(t, "no MemoryMax=: the default RAM quota (16 MiB) applies");
	const struct unit_entry *nf = last(t, S_NOFILE), *tk = last(t, S_TASKS);
	unsigned long long fds = 0, tasks = 0;
	int has_fds = 0, has_tasks = 0;
	if (nf) {
		const char *colon = strchr(nf->value, ':');
		const char *hard = colon ? colon + 1 : nf->value;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(hard, &end, 10);
		if (hard[0] >= '0' && hard[0] <= '9' && !*end && !errno) {
			fds = n;
			has_fds = 1;
		} else {
			warn(t, nf, "LimitNOFILE=%s is not translated: the caps quota is a number",
			     nf->value);
		}
	}
	if (tk) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(tk->value, &end, 10);
		if (tk->value[0] >= '0' && tk->value[0] <= '9' && !*end && !errno) {
			tasks = n;
			has_tasks = 1;
		} else {
			warn(t, tk, "TasksMax=%s is not translated: the caps quota is a number",
			     tk->value);
		}
	}
	if (has_fds || has_tasks) {
		struct ubuf why = {0};
		if (!has_fds)
			fds = 64;
		if (!has_tasks)
			tasks = 16;
		t->c.caps = fds + tasks;
		t->c.has_caps = 1;
		ubuf_printf(&why, "caps = %llu file descriptors (%s) + %llu processes (%s)", fds,
			    has_fds ? "LimitNOFILE=" : "a default", tasks,
			    has_tasks ? "TasksMax=" : "a default");
		t->c.caps_why = why.p;
		if (why.nomem)
			t->rc = UNIT_E_NOMEM;
	}
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
}

/* Normalizes an absolute path (// and /./ collapse, no trailing '/',
 * /var/run → /run); NULL when it is not absolute or has "..". */
static char *norm_path(const char *p)
{
	if (p[0] != '/')
		return NULL;
	struct ubuf b = {0};
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		const char *c = s;
		while (*s && *s != '/')
			s++;
		size_t n = (size_t)(s - c);
		if (!n || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			ubuf_free(&b);
			return NULL;
		}
		ubuf_addc(&b, '/');
		ubuf_addn(&b, c, n);
	}
	if (!b.n)
		ubuf_addc(&b, '/');
	if (b.nomem) {
		ubuf_free(&b);
		return NULL;
	}
	if (under(b.p, "/var/run")) {
		memmove(b.p, b.p + 4, b.n - 4 + 1);
		b.n -= 4;
	}
	return b.p;
}

static void add_mount(struct tr *t, const struct unit_entry *e, const char *target)
{
	static const char *const forbidden[] = {"/proc", "/dev", "/tmp", "/rom", "/sys"};
	char *p = norm_path(target);
	if (!p) {
		warn(t, e, "%s=%s: \"%s\" is not an absolute path; no mount", e->key, e->value, target);
		return;
	}
	if (!strcmp(p, "/")) {
		warn(t, e, "%s=/ is not translated: the whole host cannot be mounted in a child",
		     e->key);
		free(p);
		return;
	}
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (under(p, forbidden[i])) {
			note(&t->c.notes, e, !strcmp(forbidden[i], "/tmp")
						     ? "a child's /tmp is already its own writable tmpfs"
						     : "the child's own is provided by sigil-init; no mount");
			free(p);
			return;
		}
	struct tr_mount *m = realloc(t->c.mounts, (t->c.nmounts + 1) * sizeof *m);
	if (!m) {
		free(p);
		t->rc = UNIT_E_NOMEM;
		return;
	}
	t->c.mounts = m;
	m = &t->c.mounts[t->c.nmounts++];
	memset(m, 0, sizeof *m);
	m->target = p;
	if (under(p, "/run")) {
		m->tmpfs = 1024 * 1024;
	} else if (!(m->state = strdup(p + 1))) {
		t->rc = UNIT_E_NOMEM;
	}
	struct ubuf why = {0};
	ubuf_printf(&why, "%s=%s", e->key, e->value);
	where(&why, e);
	m->why = why.p;
	if (why.nomem)
		t->rc = UNIT_E_NOMEM;
}

static int cmp_mount(const void *a, const void *b)
{
	return strcmp(((const struct tr_mount *)a)->target, ((const struct tr_mount *)b)->target);
}

static void do_mounts(struct tr *t)
{
	static const struct {
		int slot;
		const char *base;
	} dirs[] = {{S_STATEDIR, "/var/lib"},   {S_RUNTIMEDIR, "/run"}, {S_CACHEDIR, "/var/cache"},
		    {S_LOGSDIR, "/var/log"},    {S_CONFIGDIR, "/etc"}};
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		struct elist *l = &t->slot[dirs[d].slot];
		for (size_t i = 0; i < l->n && !t->rc; i++) {
			struct unit_words ws;
			char msg[128];
			if (unit_split(l->e[i]->value, 0, &ws, msg, sizeof msg) != 0) {
				warn(t, l->e[i], "%s= skipped: %s", l->e[i]->key, msg);
				continue;
			}
			for (size_t k = 0; k < ws.n && !t->rc; k++) {
				char *x = expand(t, l->e[i], ws.w[k]);
				if (!x)
					break;
				char *colon = strchr(x, ':');
				if (colon) {
					warn(t, l->e[i], "%s=%s: the symlink \"%s\" is not made", l->e[i]->key,
					     x, colon + 1);
					*colon = '\0';
				}
				struct ubuf p = {0};
				ubuf_printf(&p, "%s/%s", dirs[d].base, x);
				if (x[0] == '/' || p.nomem)
					warn(t, l->e[i], "%s=%s is not a relative path; no mount",
					     l->e[i]->key, x);
				else
					add_mount(t, l->e[i], p.p);
				ubuf_free(&p);
				free(x);
			}
			unit_words_free(&ws);
		}
	}
	struct elist *l = &t->slot[S_RWPATHS];
	for (size_t i = 0; i < l->n && !t->rc; i++) {
		struct unit_words ws;
		char msg[128];
		if (unit_split(l->e[i]->value, 0, &ws, msg, sizeof msg) != 0) {
			warn(t, l->e[i], "%s= skipped: %s", l->e[i]->key, msg);
			continue;
		}
		for (size_t k = 0; k < ws.n && !t->rc; k++) {
			char *x = expand(t, l->e[i], ws.w[k]);
			if (!x)
				break;
			const char *p = x;
			while (*p == '-' || *p == '+')
				p++;
			add_mount(t, l->e[i], p);
			free(x);
		}
		unit_words_free(&ws);
	}
	/* one mount per target; none inside another */
	if (t->c.nmounts > 1)
		qsort(t->c.mounts, t->c.nmounts, sizeof *t->c.mounts, cmp_mount);
	size_t out = 0;
	for (size_t i = 0; i < t->c.nmounts; i++) {
		struct tr_mount *m = &t->c.mounts[i];
		if (out && under(m->target, t->c.mounts[out - 1].target)) {
			ubuf_add(&t->c.notes, "--   ");
			unit__comment_text(&t->c.notes, m->why);
			ubuf_add(&t->c.notes, ": inside the mount of ");
			unit__comment_text(&t->c.notes, t->c.mounts[out - 1].target);
			ubuf_addc(&t->c.notes, '\n');
			free(m->target);
			free(m->state);
			free(m->why);
			continue;
		}
		t->c.mounts[out++] = *m;
	}
	t->c.nmounts = out;
	l = &t->slot[S_ROPATHS];
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->e[i]->value;
		while (*v == '-' || *v == '+')
			v++;
		if (!strcmp(v, "/"))
			note(&t->c.notes, l->e[i], "a child sees no host path but its mounts");
		else
			warn(t, l->e[i], "%s=%s is not translated: a child sees no host path; give "
					 "what it reads as ROM modules", l->e[i]->key, l->e[i]->value);
	}
	static const struct {
		int slot;
		const char *text;
	} isol[] = {
		{S_PRIVNET, "a child's network is loopback only unless it has an uplink"},
		{S_PRIVTMP, "a child's /tmp is its own tmpfs"},
		{S_PROTSYS, "a child sees /rom (read-only) and its mounts, nothing of the host system"},
		{S_PROTHOME, "a child sees no home directory"},
	};
	for (size_t k = 0; k < sizeof isol / sizeof isol[0]; k++) {
		const struct unit_entry *e = last(t, isol[k].slot);
		if (e)
			note(&t->c.notes, e, isol[k].text);
	}
	if (!last(t, S_PRIVNET))
		note_unit(t,
		     "network: loopback only; add an uplink to reach the child from outside");
}

static void do_socket(struct tr *t)
{
	if (!t->sock)
		return;
	const struct unit_entry *acc = last(t, S_ACCEPT);
	if (acc && unit__bool(acc->value) == 1)
		warn(t, acc, "Accept=yes (one instance per connection) is not translated");
	struct elist *l = &t->slot[S_LISTEN];
	for (size_t i = 0; i < l->n && !t->rc; i++) {
		struct tr_service *s = realloc(t->c.provides, (t->c.nprovides + 1) * sizeof *s);
		if (!s) {
			t->rc = UNIT_E_NOMEM;
			return;
		}
		t->c.provides = s;
		s = &t->c.provides[t->c.nprovides++];
		struct ubuf n = {0}, why = {0};
		if (i == 0)
			ubuf_add(&n, t->sock->prefix);
		else
			ubuf_printf(&n, "%s-%zu", t->sock->prefix, i + 1);
		const char *v = l->e[i]->value;
		int unix_path = v[0] == '/' || v[0] == '@';
		ubuf_printf(&why, "ListenStream=%s (%s:%u): %s", v,
			    strrchr(l->e[i]->file, '/') ? strrchr(l->e[i]->file, '/') + 1 : l->e[i]->file,
			    l->e[i]->line,
			    unix_path ? "a Unix socket; clients reach it when a policy routes them"
				      : "a TCP address; routed clients reach the service, add an "
					"uplink forward to expose the port");
		s->name = n.p;
		s->why = why.p;
		if (n.nomem || why.nomem)
			t->rc = UNIT_E_NOMEM;
	}
	if (l->n)
		warn(t, l->e[0], "socket activation is not translated: no listening socket is passed "
				 "(LISTEN_FDS); the program must listen itself");
}

/* Arguments naming host files the child cannot see. */
static void check_args(struct tr *t)
{
	const struct unit_entry *e = t->slot[S_EXEC_START].e[0];
	for (size_t i = 0; i < t->c.main.nargs; i++) {
		const char *a = t->c.main.args[i];
		const char *p = a[0] == '/' ? a : NULL;
		if (!p && a[0] == '-' && strchr(a, '=') && strchr(a, '=')[1] == '/')
			p = strchr(a, '=') + 1;
		if (!p || under(p, "/rom") || under(p, "/tmp") || under(p, "/dev") ||
		    under(p, "/proc"))
			continue;
		int seen = 0;
		for (size_t k = 0; k < t->c.nmounts && !seen; k++)
			seen = under(p, t->c.mounts[k].target);
		if (!seen)
			warn(t, e, "argument \"%s\" names a host path the child does not see; give it as a "
				   "ROM module or a mount", a);
	}
	const struct unit_entry *wd = last(t, S_WORKDIR);
	if (t->c.cwd && strcmp(t->c.cwd, "/") != 0 && !under(t->c.cwd, "/tmp")) {
		int seen = 0;
		for (size_t k = 0; k < t->c.nmounts && !seen; k++)
			seen = under(t->c.cwd, t->c.mounts[k].target);
		if (!seen)
			warn(t, wd, "WorkingDirectory=%s is no mount of the child: it must exist in the "
				    "child's root (add a mount), or the start fails", t->c.cwd);
	}
}

static void cmd_free(struct tr_cmd *c)
{
	free(c->binary);
	for (size_t i = 0; i < c->nargs; i++)
		free(c->args[i]);
	free(c->args);
	free(c->argv0);
	free(c->why);
}

int unit_translate(const unit_file *svc, const unit_file *sock,
		   const struct unit_translate_opts *o, char **out, struct unit_diags *w,
		   unit_error *err)
{
	struct tr t;
	struct ubuf text = {0};
	int rc;
	memset(&t, 0, sizeof t);
	t.svc = svc;
	t.sock = sock;
	t.o = o;
	t.w = w;
	t.err = err;
	*out = NULL;
	size_t first_warning = w->n;

	if (!svc->type || strcmp(svc->type, "service") != 0) {
		unit__error(err, UNIT_E_UNSUPPORTED, svc->path, 0,
			    "\"%s\" is not a .service unit (a .socket is read with its service)",
			    svc->name ? svc->name : "?");
		return UNIT_E_UNSUPPORTED;
	}
	t.spec.name = svc->name;
	t.spec.prefix = svc->prefix;
	t.spec.instance = svc->instance;
	t.spec.type = svc->type;
	t.spec.fragment = svc->path;
	const struct unit_entry *ue = unit_last(svc, "Service", "User");
	const struct unit_entry *ge = unit_last(svc, "Service", "Group");
	t.spec.user = ue && *ue->value && !strchr(ue->value, '%') ? ue->value : NULL;
	t.spec.group = ge && *ge->value && !strchr(ge->value, '%') ? ge->value : NULL;

	ubuf_printf(&t.c.header, "-- %s, translated from a systemd unit by `sigil unit`\n",
		    svc->name);
	ubuf_add(&t.c.header, "-- from: ");
	unit__comment_text(&t.c.header, svc->path);
	ubuf_addc(&t.c.header, '\n');
	for (size_t i = 0; i < svc->ndropins; i++) {
		ubuf_add(&t.c.header, "--   drop-in: ");
		unit__comment_text(&t.c.header, svc->dropins[i]);
		ubuf_addc(&t.c.header, '\n');
	}
	if (sock) {
		ubuf_add(&t.c.header, "--   socket: ");
		unit__comment_text(&t.c.header, sock->path);
		ubuf_addc(&t.c.header, '\n');
	}
	classify(&t, svc, 0);
	if (sock && !t.rc) {
		struct unit_spec keep = t.spec;
		t.spec.name = sock->name;
		t.spec.prefix = sock->prefix;
		t.spec.instance = sock->instance;
		t.spec.type = sock->type;
		t.spec.fragment = sock->path;
		classify(&t, sock, 1);
		t.spec = keep;
	}
	t.type = last(&t, S_TYPE) ? last(&t, S_TYPE)->value : "simple";
	if (!t.rc)
		do_env(&t);
	if (!t.rc && (rc = do_exec(&t)) != 0)
		goto done;
	if (!t.rc)
		do_type(&t);
	if (!t.rc)
		do_restart(&t);
	if (!t.rc)
		do_identity(&t);
	if (!t.rc)
		do_resources(&t);
	if (!t.rc)
		do_mounts(&t);
	if (!t.rc)
		do_socket(&t);
	if (!t.rc)
		check_args(&t);
	if (!t.rc && t.c.header.nomem + t.c.readiness.nomem + t.c.ordering.nomem + t.c.notes.nomem)
		t.rc = UNIT_E_NOMEM;
	if (!t.rc)
		t.rc = unit__emit(&t.c, o->package, w, first_warning, &text);
	rc = t.rc;
	if (rc)
		unit__error(err, rc, svc->path, 0, "out of memory");
	else {
		*out = text.p;
		text.p = NULL;
	}
done:
	ubuf_free(&text);
	for (int i = 0; i < S_NSLOTS; i++)
		free(t.slot[i].e);
	cmd_free(&t.c.main);
	for (size_t i = 0; i < t.c.npre; i++)
		cmd_free(&t.c.pre[i]);
	for (size_t i = 0; i < t.c.npost; i++)
		cmd_free(&t.c.post[i]);
	free(t.c.pre);
	free(t.c.post);
	free(t.c.cwd);
	unit_env_free(&t.c.env);
	free(t.c.ram_why);
	free(t.c.caps_why);
	for (size_t i = 0; i < t.c.nmounts; i++) {
		free(t.c.mounts[i].target);
		free(t.c.mounts[i].state);
		free(t.c.mounts[i].why);
	}
	free(t.c.mounts);
	for (size_t i = 0; i < t.c.nprovides; i++) {
		free(t.c.provides[i].name);
		free(t.c.provides[i].why);
	}
	free(t.c.provides);
	free(t.c.restart_why);
	free(t.c.pid_file);
	ubuf_free(&t.c.header);
	ubuf_free(&t.c.readiness);
	ubuf_free(&t.c.ordering);
	ubuf_free(&t.c.notes);
	return rc;
}
