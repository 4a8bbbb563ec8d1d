/* plugin.c — libplugin.so for tests/t/sigil_import.sh: loaded with dlopen
 * (declared to sigil import with --extra), itself needing libgreet.so. */
#include <stdio.h>

const char *greet_word(void);
int plugin_run(int n);

int plugin_run(int n)
{
	printf("plugin says: %s, %d\n", greet_word(), n * 2);
	return n + 1;
}
