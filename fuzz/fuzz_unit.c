/*
 * fuzz_unit.c — libFuzzer target for lib/unit: the unit file parser, word
 * splitting, EnvironmentFile= parsing, specifiers, and the translation of
 * whatever parses.
 *
 * Input: a unit file (as a service "t@i.service"). Properties (abort() on a
 * violation):
 *   1. unit_parse returns 0, UNIT_E_SYNTAX (with a message and a line) or
 *      UNIT_E_NOMEM; every warning has a message; every entry has a
 *      section, a non-empty key, and key and value without outer
 *      whitespace;
 *   2. unit_split, unit_parse_envfile and unit_specifiers on the same bytes
 *      return 0, UNIT_E_SYNTAX (split only) or UNIT_E_NOMEM;
 *   3. a parsed unit translates (0) or is refused with a message
 *      (UNIT_E_UNSUPPORTED); a translation is Dhall that our parser reads.
 * Seeds: fuzz/corpus/fuzz_unit/ (crafted units: quoting, continuations,
 * specifiers, sockets, resources, mounts, commands with every prefix,
 * one of each directive).
 */
#include "dhall/dhall.h"
#include "unit/unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	unit_file u;
	struct unit_diags w = {0};
	unit_error err = {0};
	unit_file_init(&u);
	int rc = unit_parse(&u, "t@i.service", text, size, &w, &err);
	if (rc != 0 && rc != UNIT_E_SYNTAX && rc != UNIT_E_NOMEM)
		abort();
	if (rc == UNIT_E_SYNTAX && (!err.msg[0] || !err.line))
		abort();
	for (size_t i = 0; i < w.n; i++)
		if (!w.d[i].msg || !w.d[i].msg[0])
			abort();
	for (size_t i = 0; rc == 0 && i < u.n; i++) {
		const struct unit_entry *e = &u.e[i];
		size_t kl = strlen(e->key), vl = strlen(e->value);
		if (!e->section || !kl || ws(e->key[0]) || ws(e->key[kl - 1]) ||
		    (vl && (ws(e->value[0]) || ws(e->value[vl - 1]))))
			abort();
	}

	/* the same bytes through the value grammars (up to the first NUL) */
	struct unit_words words;
	char msg[128];
	int src = unit_split(text, UNIT_SPLIT_CUNESCAPE, &words, msg, sizeof msg);
	if (src != 0 && src != UNIT_E_SYNTAX && src != UNIT_E_NOMEM)
		abort();
	if (src == 0)
		unit_words_free(&words);
	struct unit_env env = {0};
	int erc = unit_parse_envfile("env", text, size, &env, &w);
	if (erc != 0 && erc != UNIT_E_NOMEM)
		abort();
	unit_env_free(&env);
	struct unit_spec spec = {"t@i.service", "t", "i", "service", "/x/t@.service", "u", NULL};
	char *exp = NULL;
	if (unit_specifiers(&spec, text, &exp, "t", 1, &w) == 0 && !exp)
		abort();
	free(exp);

	if (rc == 0) {
		char *out = NULL;
		u.name = strdup("t@i.service");
		u.prefix = strdup("t");
		u.instance = strdup("i");
		u.type = strdup("service");
		u.path = strdup("/x/t@.service");
		struct unit_translate_opts o = {"/pkg/Sigil/package.dhall", "/nonexistent"};
		if (u.name && u.prefix && u.instance && u.type && u.path) {
			int trc = unit_translate(&u, NULL, &o, &out, &w, &err);
			if (trc != 0 && trc != UNIT_E_UNSUPPORTED && trc != UNIT_E_NOMEM)
				abort();
			if (trc == UNIT_E_UNSUPPORTED && !err.msg[0])
				abort();
			if (trc == 0) {
				struct dhall_arena arena;
				struct dhall_expr *e;
				struct dhall_err derr;
				dhall_arena_init(&arena);
				int drc = dhall_parse(&arena, out, strlen(out), "out", &e, &derr);
				if (drc != 0 && drc != DHALL_ENOMEM)
					abort();
				dhall_arena_free(&arena);
			}
		}
		free(out);
	}
	unit_file_free(&u);
	unit_diags_free(&w);
	free(text);
	return 0;
}
