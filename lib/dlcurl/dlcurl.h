/*
 * dlcurl.h — libcurl, loaded when a caller first needs it.
 *
 * Most runs of our programs never speak HTTP: `sigil exec` reads a local
 * store, `dhall-to-json` rarely meets a remote import. Linked normally,
 * libcurl and the ~35 libraries it pulls in (TLS, Kerberos, LDAP, ICU …)
 * are mapped and relocated, and their constructors run, before main — about
 * as long as a whole small program. So no program links libcurl; its users
 * (lib/store/http.c, lib/dhall/remote.c) open a table of its entry points
 * with dlcurl_open when they first need one and call through it. The header
 * <curl/curl.h> still gives the types and constants.
 *
 * Each table belongs to its opener (a store handle, a resolve session) and
 * is released by dlcurl_close: no state of our own is shared. The library
 * is opened RTLD_NODELETE: closing drops the reference but never unmaps
 * code that libcurl's process-wide set-up (TLS back-ends, atexit handlers)
 * may still point to.
 *
 * libcurl's global initialisation: curl_easy_init() calls
 * curl_global_init() itself when nothing has; since libcurl 7.84 that is
 * thread-safe when the library reports CURL_VERSION_THREADSAFE (Debian 12
 * ships 7.88 built so). Without that feature a program that opens tables
 * from several threads at once must call curl_global_init() first.
 */
#ifndef SIGIL_DLCURL_H
#define SIGIL_DLCURL_H

#include <curl/curl.h>
#include <stddef.h>

/* The entry points our callers use. */
struct dlcurl {
	void *lib;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	void (*free)(void *);
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
};

/* Loads libcurl into a new table (*out). 0, or -1 with msg saying why
 * ("libcurl.so.4: cannot open shared object file …", or the missing entry
 * point) and *out NULL. */
int dlcurl_open(struct dlcurl **out, char *msg, size_t msglen);

/* Releases a table (NULL is fine). */
void dlcurl_close(struct dlcurl *c);

#endif
