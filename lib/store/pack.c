/* pack.c — placeholder while the pack store is written (replaced before landing). */
#include "store_int.h"

#include "banned.h"

int store_pack_open(store **out, const char *path, int flags, eris_error *err)
{
	(void)flags;
	*out = NULL;
	return eris_error_set(err, ERIS_E_ARG, "%s: pack stores are not implemented yet", path);
}
