/*
 * nohttp.c — sigil-init reads its store from a pack, a partition or a
 * directory, never over HTTP: this definition of store_http_open (which
 * lib/store/store.c calls for "http://" specs) is linked ahead of
 * libsigil.a, so the archive's http.o, and with it libcurl, stays out of
 * init. That is what lets init link statically: Debian 12's libcurl.a
 * needs archives Debian does not ship (libzstd.a among them).
 */
#include "store/store_int.h"

#include "banned.h"

/* Refuses: an "http://" store is not for sigil-init. Returns ERIS_E_ARG. */
int store_http_open(store **out, const char *url, int flags, eris_error *err)
{
	(void)flags;
	*out = NULL;
	return eris_error_set(err, ERIS_E_ARG, "'%s': sigil-init reads no http store (copy it into "
					       "a pack with eris export/import first)", url);
}
