/*
 * lazylib.c — libxml2 for the sigil binary, loaded on first use.
 *
 * Most sigil runs never read XML: `sigil exec` (whose start-up latency is
 * a benchmark: bench/exec.sh) reads a local store, `sigil check` reads
 * Dhall. Linked normally, libxml2 and what it pulls in (ICU, lzma …) are
 * mapped and relocated, and their constructors run, before main. So the
 * sigil binary is linked without it (Makefile) and this file defines the
 * entry points lib/system/genode*.c and cli/sigil/genode.c call: each
 * resolves the real one with dlopen/dlsym on its first call and forwards
 * to it. The callers are unchanged and other programs (the tests) link
 * libxml2 as before. (libcurl is loaded the other way, into a table its
 * users own: lib/dlcurl. libxml2's callers are many small functions over
 * a parsed tree, and its `xmlFree` is a variable, which a table would not
 * make simpler.)
 *
 * Failure: xmlNewParserCtxt, which starts every use, returns NULL when the
 * library cannot be loaded, after printing dlerror()'s reason once — the
 * callers already treat NULL as failure. Any other entry point is only
 * reachable after it succeeded.
 *
 * State: one process-wide table, filled once under pthread_once (the
 * process owns it: cli/). The library stays loaded until exit.
 */
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stdio.h>

#include "banned.h"

#define SYM(tab, field, name)                                                                    \
	if (!(*(void **)&tab.field = dlsym(tab.lib, name))) {                                    \
		why = name;                                                                      \
		goto fail;                                                                       \
	}

/* ---- libxml2 ------------------------------------------------------------ */

static struct {
	void *lib;
	xmlParserCtxtPtr (*new_parser_ctxt)(void);
	void (*free_parser_ctxt)(xmlParserCtxtPtr);
	xmlDocPtr (*ctxt_read_memory)(xmlParserCtxtPtr, const char *, int, const char *,
				      const char *, int);
	xmlErrorPtr (*ctxt_get_last_error)(void *);
	xmlNodePtr (*doc_get_root_element)(const xmlDoc *);
	void (*free_doc)(xmlDocPtr);
	long (*get_line_no)(const xmlNode *);
	xmlChar *(*get_no_ns_prop)(const xmlNode *, const xmlChar *);
	xmlChar *(*node_list_get_string)(xmlDocPtr, const xmlNode *, int);
	xmlFreeFunc *free_; /* libxml2's own xmlFree variable */
} xm;
static pthread_once_t xm_once = PTHREAD_ONCE_INIT;

static void xm_load(void)
{
	const char *why = NULL;

	xm.lib = dlopen("libxml2.so.2", RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (!xm.lib) {
		fprintf(stderr, "sigil: cannot load libxml2: %s\n", dlerror());
		return;
	}
	SYM(xm, new_parser_ctxt, "xmlNewParserCtxt")
	SYM(xm, free_parser_ctxt, "xmlFreeParserCtxt")
	SYM(xm, ctxt_read_memory, "xmlCtxtReadMemory")
	SYM(xm, ctxt_get_last_error, "xmlCtxtGetLastError")
	SYM(xm, doc_get_root_element, "xmlDocGetRootElement")
	SYM(xm, free_doc, "xmlFreeDoc")
	SYM(xm, get_line_no, "xmlGetLineNo")
	SYM(xm, get_no_ns_prop, "xmlGetNoNsProp")
	SYM(xm, node_list_get_string, "xmlNodeListGetString")
	SYM(xm, free_, "xmlFree")
	return;
fail:
	fprintf(stderr, "sigil: libxml2.so.2 lacks %s\n", why);
	xm.lib = NULL;
}

static int xm_ok(void)
{
	pthread_once(&xm_once, xm_load);
	return xm.lib != NULL;
}

static void lazy_xml_free(void *p)
{
	if (xm_ok())
		(*xm.free_)(p);
}

/* The callers use libxml2's xmlFree variable: ours forwards to its value. */
xmlFreeFunc xmlFree = lazy_xml_free;

xmlParserCtxtPtr xmlNewParserCtxt(void)
{
	return xm_ok() ? xm.new_parser_ctxt() : NULL;
}

void xmlFreeParserCtxt(xmlParserCtxtPtr c)
{
	if (xm_ok())
		xm.free_parser_ctxt(c);
}

xmlDocPtr xmlCtxtReadMemory(xmlParserCtxtPtr c, const char *buf, int size, const char *url,
			    const char *enc, int options)
{
	return xm_ok() ? xm.ctxt_read_memory(c, buf, size, url, enc, options) : NULL;
}

xmlErrorPtr xmlCtxtGetLastError(void *c)
{
	return xm_ok() ? xm.ctxt_get_last_error(c) : NULL;
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *d)
{
	return xm_ok() ? xm.doc_get_root_element(d) : NULL;
}

void xmlFreeDoc(xmlDocPtr d)
{
	if (xm_ok())
		xm.free_doc(d);
}

long xmlGetLineNo(const xmlNode *n)
{
	return xm_ok() ? xm.get_line_no(n) : -1;
}

xmlChar *xmlGetNoNsProp(const xmlNode *n, const xmlChar *name)
{
	return xm_ok() ? xm.get_no_ns_prop(n, name) : NULL;
}

xmlChar *xmlNodeListGetString(xmlDocPtr d, const xmlNode *list, int in_line)
{
	return xm_ok() ? xm.node_list_get_string(d, list, in_line) : NULL;
}
