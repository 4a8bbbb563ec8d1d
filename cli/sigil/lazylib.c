/*
 * lazylib.c — libcurl and libxml2 for the sigil binary, loaded on first use.
 *
 * Most sigil runs need neither: `sigil exec` (whose start-up latency is a
 * benchmark: bench/exec.sh) reads a local store, `sigil check` reads Dhall.
 * Linked normally, the two libraries and the ~35 they pull in (TLS,
 * Kerberos, LDAP, ICU ...) are mapped and relocated, and their constructors
 * run, before main — about as long as running a whole small program. So
 * the sigil binary is linked without them (Makefile) and this file defines
 * the entry points the rest of the tree calls (lib/store/http.c,
 * lib/system/genode*.c, cli/sigil/genode.c): each resolves the real one
 * with dlopen/dlsym on its first call and forwards to it. The callers are
 * unchanged and other programs (eris, the tests) link the libraries as
 * before.
 *
 * Failure: the functions that start every use (curl_easy_init,
 * curl_multi_init, curl_url, curl_slist_append, xmlNewParserCtxt) return
 * NULL when the library cannot be loaded, after printing dlerror()'s reason
 * once — the callers already treat NULL as failure. Any other entry point
 * is only reachable after one of those succeeded.
 *
 * Variadic entry points (curl_easy_setopt, curl_multi_setopt,
 * curl_easy_getinfo) forward the one argument that follows the option,
 * typed as libcurl's option numbering says (CURLOPTTYPE_* ranges: long,
 * pointer, function pointer, curl_off_t, blob; getinfo always a pointer).
 *
 * State: one process-wide table per library, filled once under
 * pthread_once (the process owns it: cli/). The libraries stay loaded
 * until exit.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "banned.h"

/* ---- libcurl ------------------------------------------------------------ */

static struct {
	void *lib;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	void (*free_)(void *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	const char *(*multi_strerror)(CURLMcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;

#define SYM(tab, field, name)                                                                    \
	if (!(*(void **)&tab.field = dlsym(tab.lib, name))) {                                    \
		why = name;                                                                      \
		goto fail;                                                                       \
	}

static void cu_load(void)
{
	const char *why = NULL;

	cu.lib = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (!cu.lib) {
		fprintf(stderr, "sigil: cannot load libcurl: %s\n", dlerror());
		return;
	}
	SYM(cu, easy_init, "curl_easy_init")
	SYM(cu, easy_setopt, "curl_easy_setopt")
	SYM(cu, easy_perform, "curl_easy_perform")
	SYM(cu, easy_getinfo, "curl_easy_getinfo")
	SYM(cu, easy_cleanup, "curl_easy_cleanup")
	SYM(cu, easy_strerror, "curl_easy_strerror")
	SYM(cu, free_, "curl_free")
	SYM(cu, multi_init, "curl_multi_init")
	SYM(cu, multi_add_handle, "curl_multi_add_handle")
	SYM(cu, multi_remove_handle, "curl_multi_remove_handle")
	SYM(cu, multi_cleanup, "curl_multi_cleanup")
	SYM(cu, multi_info_read, "curl_multi_info_read")
	SYM(cu, multi_perform, "curl_multi_perform")
	SYM(cu, multi_poll, "curl_multi_poll")
	SYM(cu, multi_setopt, "curl_multi_setopt")
	SYM(cu, multi_strerror, "curl_multi_strerror")
	SYM(cu, slist_append, "curl_slist_append")
	SYM(cu, slist_free_all, "curl_slist_free_all")
	SYM(cu, url, "curl_url")
	SYM(cu, url_cleanup, "curl_url_cleanup")
	SYM(cu, url_get, "curl_url_get")
	SYM(cu, url_set, "curl_url_set")
	return;
fail:
	fprintf(stderr, "sigil: libcurl.so.4 lacks %s\n", why);
	cu.lib = NULL;
}

/* 1 when libcurl is usable (loading it on the first call). */
static int cu_ok(void)
{
	pthread_once(&cu_once, cu_load);
	return cu.lib != NULL;
}

CURL *curl_easy_init(void)
{
	return cu_ok() ? cu.easy_init() : NULL;
}

CURLM *curl_multi_init(void)
{
	return cu_ok() ? cu.multi_init() : NULL;
}

CURLU *curl_url(void)
{
	return cu_ok() ? cu.url() : NULL;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return cu_ok() ? cu.slist_append(l, s) : NULL;
}

/* The argument after a CURLoption or CURLMoption, by its number's range:
 * 0 long, 1 a pointer (data, string, list, callback, blob), 2 curl_off_t. */
static int opt_kind(int opt)
{
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		return 0;
	if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
		return 2;
	return 1;
}

CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;
	int kind = opt_kind((int)opt);

	if (!cu_ok())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (kind == 0)
		rc = cu.easy_setopt(c, opt, va_arg(ap, long));
	else if (kind == 2)
		rc = cu.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = cu.easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list ap;
	CURLMcode rc;
	int kind = opt_kind((int)opt);

	if (!cu_ok())
		return CURLM_INTERNAL_ERROR;
	va_start(ap, opt);
	if (kind == 0)
		rc = cu.multi_setopt(m, opt, va_arg(ap, long));
	else if (kind == 2)
		rc = cu.multi_setopt(m, opt, va_arg(ap, curl_off_t));
	else
		rc = cu.multi_setopt(m, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	void *p;

	if (!cu_ok())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return cu.easy_getinfo(c, info, p);
}

CURLcode curl_easy_perform(CURL *c)
{
	return cu_ok() ? cu.easy_perform(c) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *c)
{
	if (cu_ok())
		cu.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode code)
{
	return cu_ok() ? cu.easy_strerror(code) : "libcurl cannot be loaded";
}

void curl_free(void *p)
{
	if (cu_ok())
		cu.free_(p);
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *c)
{
	return cu_ok() ? cu.multi_add_handle(m, c) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *c)
{
	return cu_ok() ? cu.multi_remove_handle(m, c) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	return cu_ok() ? cu.multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	return cu_ok() ? cu.multi_info_read(m, left) : NULL;
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	return cu_ok() ? cu.multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[], unsigned int n, int ms, int *ret)
{
	return cu_ok() ? cu.multi_poll(m, extra, n, ms, ret) : CURLM_INTERNAL_ERROR;
}

const char *curl_multi_strerror(CURLMcode code)
{
	return cu_ok() ? cu.multi_strerror(code) : "libcurl cannot be loaded";
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (cu_ok())
		cu.slist_free_all(l);
}

void curl_url_cleanup(CURLU *u)
{
	if (cu_ok())
		cu.url_cleanup(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return cu_ok() ? cu.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return cu_ok() ? cu.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
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
