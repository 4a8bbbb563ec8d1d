/* http.c — placeholder while the http backend is written (replaced before landing). */
#include "store_int.h"

#include "banned.h"

int store_http_open(store **out, const char *url, int flags, eris_error *err)
{
	(void)flags;
	*out = NULL;
	return eris_error_set(err, ERIS_E_ARG, "%s: http stores are not implemented yet", url);
}
