/*
 * words.c — the quoting rules systemd applies to values: splitting a value
 * into words (command lines, Environment=, path lists) and the
 * EnvironmentFile= format, plus the variable list both fill.
 *
 * Words (systemd's extract_first_word with EXTRACT_UNQUOTE, optionally
 * EXTRACT_CUNESCAPE): whitespace outside quotes separates words; "…" and
 * '…' quote (the quotes go, and may start anywhere in a word, as systemd
 * accepts); a backslash escapes the next character, or with C unescaping
 * starts one of \a \b \f \n \r \t \v \\ \" \' \s \xHH \NNN \uHHHH
 * \UHHHHHHHH. An escape producing NUL, an unknown escape, a trailing
 * backslash and an unterminated quote are errors.
 *
 * EnvironmentFile= (systemd's parse_env_file state machine): a line is
 * KEY=VALUE; lines starting with '#' or ';' are comments (a backslash at
 * the end continues a comment too); in a value, '…' is literal, "…" takes
 * \" \\ \` \$ and backslash-newline as escapes (other backslashes stay),
 * and unquoted text takes a backslash as an escape of the next character
 * (backslash-newline continues the value) with trailing whitespace
 * dropped. A line with no '=' or a name that is not a variable name is
 * skipped with a warning.
 */
#include "unit_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void unit_words_free(struct unit_words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i]);
	free(ws->w);
	ws->w = NULL;
	ws->n = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct ubuf *b, uint32_t cp)
{
	char o[4];
	if (cp < 0x80) {
		ubuf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		ubuf_addn(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		ubuf_addn(b, o, 3);
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		ubuf_addn(b, o, 4);
	}
}

/* Decodes the C escape after a backslash at *p; advances *p. 0 or -1. */
static int cunescape_one(const char **p, struct ubuf *b, char *msg, size_t msglen)
{
	const char *s = *p;
	char c = *s++;
	switch (c) {
	case 'a': ubuf_addc(b, '\a'); break;
	case 'b': ubuf_addc(b, '\b'); break;
	case 'f': ubuf_addc(b, '\f'); break;
	case 'n': ubuf_addc(b, '\n'); break;
	case 'r': ubuf_addc(b, '\r'); break;
	case 't': ubuf_addc(b, '\t'); break;
	case 'v': ubuf_addc(b, '\v'); break;
	case 's': ubuf_addc(b, ' '); break;
	case '\\':
	case '"':
	case '\'':
		ubuf_addc(b, c);
		break;
	case 'x': {
		int h = hexval(s[0]), l = h >= 0 ? hexval(s[1]) : -1;
		if (h < 0 || l < 0 || (h == 0 && l == 0)) {
			snprintf(msg, msglen, "bad escape \\x%.2s", s);
			return -1;
		}
		ubuf_addc(b, (char)(h * 16 + l));
		s += 2;
		break;
	}
	case 'u':
	case 'U': {
		int n = c == 'u' ? 4 : 8;
		uint32_t cp = 0;
		for (int i = 0; i < n; i++) {
			int h = hexval(s[i]);
			if (h < 0) {
				snprintf(msg, msglen, "bad escape \\%c", c);
				return -1;
			}
			cp = cp * 16 + (uint32_t)h;
		}
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			snprintf(msg, msglen, "bad escape \\%c%.*s", c, n, s);
			return -1;
		}
		put_utf8(b, cp);
		s += n;
		break;
	}
	default:
		if (c >= '0' && c <= '7') {
			if (s[0] < '0' || s[0] > '7' || s[1] < '0' || s[1] > '7') {
				snprintf(msg, msglen, "bad octal escape \\%c%.2s", c, s);
				return -1;
			}
			int v = (c - '0') * 64 + (s[0] - '0') * 8 + (s[1] - '0');
			if (v == 0 || v > 255) {
				snprintf(msg, msglen, "bad octal escape \\%c%.2s", c, s);
				return -1;
			}
			ubuf_addc(b, (char)v);
			s += 2;
			break;
		}
		if (!c)
			snprintf(msg, msglen, "a trailing backslash");
		else
			snprintf(msg, msglen, "unknown escape \\%c", c);
		return -1;
	}
	*p = s;
	return 0;
}

static int push_word(struct unit_words *out, struct ubuf *b)
{
	char **w = realloc(out->w, (out->n + 1) * sizeof *w);
	if (!w)
		return UNIT_E_NOMEM;
	out->w = w;
	w[out->n] = b->p ? b->p : strdup("");
	if (!w[out->n])
		return UNIT_E_NOMEM;
	out->n++;
	b->p = NULL;
	b->n = b->cap = 0;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int unit_split(const char *s, int flags, struct unit_words *out, char *msg, size_t msglen)
{
	struct ubuf b = {0};
	int rc = 0;
	out->w = NULL;
	out->n = 0;
	if (msglen)
		msg[0] = '\0';
	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		char quote = 0;
		b.n = 0;
		while (*s && (quote || !is_space(*s))) {
			char c = *s++;
			if (quote && c == quote) {
				quote = 0;
			} else if (!quote && (c == '"' || c == '\'')) {
				quote = c;
				ubuf_addn(&b, "", 0); /* "" is a word */
			} else if (c == '\\') {
				if (flags & UNIT_SPLIT_CUNESCAPE) {
					if (cunescape_one(&s, &b, msg, msglen) != 0) {
						rc = UNIT_E_SYNTAX;
						goto out;
					}
				} else if (!*s) {
					snprintf(msg, msglen, "a trailing backslash");
					rc = UNIT_E_SYNTAX;
					goto out;
				} else {
					ubuf_addc(&b, *s++);
				}
			} else {
				ubuf_addc(&b, c);
			}
		}
		if (quote) {
			snprintf(msg, msglen, "an unterminated %s quote",
				 quote == '"' ? "double" : "single");
			rc = UNIT_E_SYNTAX;
			goto out;
		}
		if (b.nomem || (rc = push_word(out, &b)) != 0) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
	}
out:
	ubuf_free(&b);
	if (rc)
		unit_words_free(out);
	return rc;
}

void unit_env_free(struct unit_env *env)
{
	for (size_t i = 0; i < env->n; i++) {
		free(env->k[i]);
		free(env->v[i]);
	}
	free(env->k);
	free(env->v);
	memset(env, 0, sizeof *env);
}

const char *unit_env_get(const struct unit_env *env, const char *k)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->k[i], k) == 0)
			return env->v[i];
	return NULL;
}

int unit_env_set(struct unit_env *env, const char *k, const char *v)
{
	char *nv = strdup(v);
	if (!nv)
		return UNIT_E_NOMEM;
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->k[i], k) == 0) {
			free(env->v[i]);
			env->v[i] = nv;
			return 0;
		}
	if (env->n == env->cap) {
		size_t cap = env->cap ? 2 * env->cap : 8;
		char **nk = realloc(env->k, cap * sizeof *nk);
		if (nk)
			env->k = nk;
		char **nvv = nk ? realloc(env->v, cap * sizeof *nvv) : NULL;
		if (!nvv) {
			free(nv);
			return UNIT_E_NOMEM;
		}
		env->v = nvv;
		env->cap = cap;
	}
	env->k[env->n] = strdup(k);
	if (!env->k[env->n]) {
		free(nv);
		return UNIT_E_NOMEM;
	}
	env->v[env->n++] = nv;
	return 0;
}

void unit_env_unset(struct unit_env *env, const char *k)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->k[i], k) == 0) {
			free(env->k[i]);
			free(env->v[i]);
			memmove(env->k + i, env->k + i + 1, (env->n - i - 1) * sizeof *env->k);
			memmove(env->v + i, env->v + i + 1, (env->n - i - 1) * sizeof *env->v);
			env->n--;
			return;
		}
}

/* A variable name systemd accepts: no '=', no control characters, not
 * starting with a digit, not empty. */
static int env_name_ok(const char *k, size_t n)
{
	if (!n || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

int unit_parse_envfile(const char *file, const char *text, size_t len, struct unit_env *env,
		       struct unit_diags *w)
{
	enum { PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESC, SQ, DQ, DQ_ESC, COMMENT, COMMENT_ESC };
	struct ubuf key = {0}, val = {0};
	int st = PRE_KEY, rc = 0;
	unsigned line = 1, key_line = 1;
	size_t val_trim = 0; /* value length without trailing unquoted whitespace */

	for (size_t i = 0; i <= len && rc == 0; i++) {
		char c = i < len ? text[i] : '\n';
		int nl = c == '\n' || c == '\r';
		int end_line = 0;
		switch (st) {
		case PRE_KEY:
			if (c == '#' || c == ';')
				st = COMMENT;
			else if (!is_space(c)) {
				st = KEY;
				key.n = 0;
				key_line = line;
				ubuf_addc(&key, c);
			}
			break;
		case KEY:
			if (nl) {
				rc = unit__warn(w, file, key_line,
						"\"%.*s\" is not an assignment (no '='); skipped",
						(int)(key.n > 80 ? 80 : key.n), key.p);
				st = PRE_KEY;
			} else if (c == '=') {
				st = PRE_VALUE;
				val.n = 0;
				val_trim = 0;
				ubuf_addn(&val, "", 0);
			} else {
				ubuf_addc(&key, c);
			}
			break;
		case PRE_VALUE:
			if (nl)
				end_line = 1;
			else if (c == '\'')
				st = SQ;
			else if (c == '"')
				st = DQ;
			else if (c == '\\')
				st = VALUE_ESC;
			else if (!is_space(c)) {
				st = VALUE;
				ubuf_addc(&val, c);
				val_trim = val.n;
			}
			break;
		case VALUE:
			if (nl)
				end_line = 1;
			else if (c == '\\')
				st = VALUE_ESC;
			else {
				ubuf_addc(&val, c);
				if (!is_space(c))
					val_trim = val.n;
			}
			break;
		case VALUE_ESC:
			st = VALUE;
			if (!nl) {
				ubuf_addc(&val, c);
				val_trim = val.n;
			}
			break;
		case SQ:
			if (c == '\'')
				st = PRE_VALUE;
			else
				ubuf_addc(&val, c);
			val_trim = val.n;
			break;
		case DQ:
			if (c == '"')
				st = PRE_VALUE;
			else if (c == '\\')
				st = DQ_ESC;
			else
				ubuf_addc(&val, c);
			val_trim = val.n;
			break;
		case DQ_ESC:
			st = DQ;
			if (c == '"' || c == '\\' || c == '`' || c == '$')
				ubuf_addc(&val, c);
			else if (c != '\n') {
				ubuf_addc(&val, '\\');
				ubuf_addc(&val, c);
			}
			val_trim = val.n;
			break;
		case COMMENT:
			if (c == '\\')
				st = COMMENT_ESC;
			else if (nl)
				st = PRE_KEY;
			break;
		case COMMENT_ESC:
			st = COMMENT;
			break;
		}
		if (end_line) {
			const char *k = key.p ? key.p : "";
			size_t kn = key.n;
			while (kn && is_space(k[kn - 1]))
				kn--;
			val.n = val_trim;
			if (val.p)
				val.p[val.n] = '\0';
			if (!env_name_ok(k, kn)) {
				rc = unit__warn(w, file, key_line,
						"\"%.*s\" is not a variable name; skipped",
						(int)(kn > 80 ? 80 : kn), k);
			} else if (key.nomem || val.nomem) {
				rc = UNIT_E_NOMEM;
			} else {
				key.p[kn] = '\0';
				rc = unit_env_set(env, key.p, val.p ? val.p : "");
			}
			st = PRE_KEY;
		}
		if (c == '\n')
			line++;
		if (key.nomem || val.nomem)
			rc = UNIT_E_NOMEM;
	}
	if (rc == 0 && (st == SQ || st == DQ || st == DQ_ESC))
		rc = unit__warn(w, file, key_line, "an unterminated quote at the end of the file");
	ubuf_free(&key);
	ubuf_free(&val);
	return rc;
}
