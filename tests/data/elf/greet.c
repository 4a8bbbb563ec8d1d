/* greet.c — libgreet.so for tests/t/sigil_import.sh: a library found
 * through the program's $ORIGIN RUNPATH. */
#include <stdio.h>

const char *greet_word(void);

const char *greet_word(void)
{
	return "hello from libgreet";
}
