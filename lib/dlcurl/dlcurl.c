/*
 * dlcurl.c — a table of libcurl's entry points, filled by dlopen/dlsym
 * (why: dlcurl.h). One table per opener; nothing is shared but what the
 * dynamic loader itself shares (the library stays mapped, RTLD_NODELETE).
 */
#include "dlcurl/dlcurl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "banned.h"

void dlcurl_close(struct dlcurl *c)
{
	if (!c)
		return;
	if (c->lib)
		dlclose(c->lib);
	free(c);
}

int dlcurl_open(struct dlcurl **out, char *msg, size_t msglen)
{
	/* field offset in the table and the symbol that fills it */
	static const struct {
		size_t off;
		const char *name;
	} syms[] = {
#define S(field, name) {offsetof(struct dlcurl, field), name}
		S(easy_init, "curl_easy_init"),
		S(easy_setopt, "curl_easy_setopt"),
		S(easy_perform, "curl_easy_perform"),
		S(easy_getinfo, "curl_easy_getinfo"),
		S(easy_cleanup, "curl_easy_cleanup"),
		S(easy_strerror, "curl_easy_strerror"),
		S(free, "curl_free"),
		S(multi_init, "curl_multi_init"),
		S(multi_add_handle, "curl_multi_add_handle"),
		S(multi_remove_handle, "curl_multi_remove_handle"),
		S(multi_cleanup, "curl_multi_cleanup"),
		S(multi_info_read, "curl_multi_info_read"),
		S(multi_perform, "curl_multi_perform"),
		S(multi_poll, "curl_multi_poll"),
		S(multi_setopt, "curl_multi_setopt"),
		S(multi_strerror, "curl_multi_strerror"),
		S(slist_append, "curl_slist_append"),
		S(slist_free_all, "curl_slist_free_all"),
		S(url, "curl_url"),
		S(url_cleanup, "curl_url_cleanup"),
		S(url_get, "curl_url_get"),
		S(url_set, "curl_url_set"),
#undef S
	};
	struct dlcurl *c;

	*out = NULL;
	if (!(c = calloc(1, sizeof *c))) {
		snprintf(msg, msglen, "cannot load libcurl: out of memory");
		return -1;
	}
	c->lib = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (!c->lib) {
		snprintf(msg, msglen, "cannot load libcurl: %s", dlerror());
		goto fail;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *f = dlsym(c->lib, syms[i].name);
		if (!f) {
			snprintf(msg, msglen, "libcurl.so.4 lacks %s", syms[i].name);
			goto fail;
		}
		*(void **)((char *)c + syms[i].off) = f;
	}
	*out = c;
	return 0;
fail:
	dlcurl_close(c);
	return -1;
}
