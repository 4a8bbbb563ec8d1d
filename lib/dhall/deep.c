/*
 * deep.c — runs the tree walkers on a thread with a big stack.
 *
 * Recursive descent is the clearest way to write a parser, encoder and
 * printer, but the caller's stack (8 MiB by default, less on other threads)
 * would bound the nesting depth. Each public entry point instead calls its
 * worker through dhall_run_deep(), which starts one thread with a 1 GiB
 * stack: address space only, committed page by page as the recursion goes
 * deeper, so shallow inputs cost one thread start (tens of microseconds).
 * Every recursive function also counts its depth against DHALL_MAX_DEPTH,
 * which stays far inside that stack.
 */
#include "dhall_int.h"

#include <pthread.h>

#include "banned.h"

#define DEEP_STACK ((size_t)1 << 30)

struct deep_call {
	int (*fn)(void *);
	void *arg;
	int rc;
};

static void *deep_main(void *p)
{
	struct deep_call *c = p;
	c->rc = c->fn(c->arg);
	return NULL;
}

int dhall_run_deep(int (*fn)(void *), void *arg)
{
	struct deep_call c = {fn, arg, 0};
	pthread_attr_t attr;
	pthread_t t;
	if (pthread_attr_init(&attr))
		return DHALL_ENOMEM;
	int rc = pthread_attr_setstacksize(&attr, DEEP_STACK);
	if (!rc)
		rc = pthread_create(&t, &attr, deep_main, &c);
	pthread_attr_destroy(&attr);
	if (rc)
		return DHALL_ENOMEM;
	pthread_join(t, NULL);
	return c.rc;
}
