/* main.c — the test program of tests/t/sigil_import.sh: built with
 * RUNPATH $ORIGIN/../lib (libgreet.so), and dlopen()s "libplugin.so",
 * which the loader looks for along the same RUNPATH. Prints what it got. */
#include <dlfcn.h>
#include <stdio.h>

const char *greet_word(void);

int main(int argc, char **argv)
{
	void *h;
	int (*run)(int);

	printf("main: %s, %d args\n", greet_word(), argc - 1);
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	h = dlopen("libplugin.so", RTLD_NOW);
	if (!h) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	run = (int (*)(int))dlsym(h, "plugin_run");
	if (!run) {
		printf("dlsym failed\n");
		return 1;
	}
	printf("main: plugin returned %d\n", run(20));
	return 0;
}
