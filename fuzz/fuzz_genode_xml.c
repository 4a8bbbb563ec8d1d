/*
 * fuzz_genode_xml.c — libFuzzer target for the Genode init-config reader
 * (lib/system/genode_parse.c, libxml2 underneath), its checker, the import
 * into the Sigil model and the renderers.
 *
 * Input: any bytes, as the text of a Genode init config (at most 256 KiB;
 * the parser's own limit is SYS_GN_MAX_INPUT). The parser runs libxml2
 * with XML_PARSE_NONET, refuses any DTD (so no entities, internal or
 * external) and never prints. Properties (abort() on a violation):
 *   1. sys_genode_parse returns 0, -1 with at least one error reported,
 *      or DHALL_ENOMEM.
 *   2. Accepted input: sys_genode_check, sys_genode_import of every config
 *      and the renderers (XML in both dialects, Dhall, DOT) do not crash.
 *   3. A rendering that succeeds is an init config our parser reads back
 *      without errors and with the same number of top-level starts.
 *
 * Seeds: fuzz/corpus/fuzz_genode_xml/ (ours) plus the directories named in
 * fuzz/corpus/fuzz_genode_xml.shared (the shared Genode configs), read from
 * $SIGIL_SHARED at run time, never copied into the tree.
 */
#include "system/sys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reparse(const char *xml, size_t len, size_t nstarts)
{
	struct dhall_arena a;
	struct sys_report r = {0};
	struct sys_gn_file f;
	dhall_arena_init(&a);
	int rc = sys_genode_parse(&a, xml, len, &f, &r);
	if (rc == 0 && (r.errors || f.nconfigs != 1 || f.configs[0]->nstarts != nstarts))
		abort();
	if (rc != 0 && rc != DHALL_ENOMEM)
		abort();
	sys_report_free(&r);
	dhall_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhall_arena a;
	struct sys_report r = {0};
	struct sys_gn_file f;
	if (size > (256u << 10))
		return 0;
	dhall_arena_init(&a);
	int rc = sys_genode_parse(&a, (const char *)data, size, &f, &r);
	if (rc == -1 && r.errors == 0)
		abort();
	if (rc != 0 && rc != -1 && rc != DHALL_ENOMEM)
		abort();
	if (rc == 0) {
		sys_genode_check(&f, &r);
		for (size_t i = 0; i < f.nconfigs; i++) {
			struct sys_system s;
			struct sys_report notes = {0}, rr = {0};
			if (sys_genode_import(&a, f.configs[i], "fuzz", &s, &notes) == 0) {
				for (int d = 0; d < 2; d++) {
					char *xml = NULL;
					size_t len = 0;
					size_t top = 0; /* children of nested inits are inside their <start> */
					for (size_t k = 0; k < s.nchildren; k++)
						top += s.children[k].parent == SIZE_MAX;
					if (sys_genode_render(&s, d ? SYS_GN_CURRENT : SYS_GN_21_05, &xml, &len, &rr) == 0)
						reparse(xml, len, top);
					free(xml);
				}
				char *t = NULL;
				size_t tl;
				if (sys_dhall_render(&s, &notes, &t, &tl) == 0)
					free(t);
				t = NULL;
				if (sys_graph_dot(&s, &t, &tl) == 0)
					free(t);
			}
			sys_report_free(&notes);
			sys_report_free(&rr);
		}
	}
	sys_report_free(&r);
	dhall_arena_free(&a);
	return 0;
}
