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
 *
 * The hot entry points (parse, encode) first try on the caller's own stack
 * with a budget (dhall_run_guarded) and move to the big thread only when
 * the input turns out to be deeper than the budget allows; the bounds of
 * a thread's stack are looked up once per thread (they cost system calls,
 * which parsing many small files would otherwise pay on every call). A
 * call made on a big thread that still has half its stack runs right
 * there.
 */
#include "dhall_int.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "banned.h"

#define DEEP_STACK ((size_t)1 << 30)
/* Stack kept free below a guarded call's floor, for the libc calls it makes. */
#define GUARD_MARGIN ((uintptr_t)256 * 1024)

struct deep_call {
	int (*fn)(void *);
	void *arg;
	int rc;
};

/* On a thread dhall_run_deep made, the lowest usable stack address (with
 * the margin); 0 on any other thread. Thread-local, set once per deep
 * thread: nested guarded calls on that thread (an import parsed while
 * evaluating) need no system calls to find their floor. */
static _Thread_local uintptr_t deep_floor;

static void *deep_main(void *p)
{
	struct deep_call *c = p;
	uintptr_t here = dhall_stack_here();
	deep_floor = here > DEEP_STACK - GUARD_MARGIN ? here - (DEEP_STACK - GUARD_MARGIN) : 1;
	c->rc = c->fn(c->arg);
	return NULL;
}

/* How far below `here` the caller's stack may be used: what is left of
 * this thread's stack, less a margin for the calls fn makes into libc. The
 * main thread's stack ends RLIMIT_STACK below glibc's __libc_stack_end;
 * another thread's bounds come from pthread_getattr_np (which would read
 * /proc/self/maps for the main thread, hence the split). 0 when unknown. */
extern void *__libc_stack_end;
#define GUARD_MAX ((uintptr_t)64 * 1024 * 1024)

/* This thread's lowest stack address as stack_left found it (0: not yet).
 * A thread's stack does not move, so it is looked up once per thread:
 * the look-up costs system calls, and parse and encode of many small
 * files (the Prelude) would otherwise pay them on every call. */
static _Thread_local uintptr_t stack_low;

static uintptr_t stack_low_lookup(void)
{
	if (getpid() == gettid()) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_STACK, &rl) != 0)
			return 0;
		uintptr_t size = rl.rlim_cur == RLIM_INFINITY ? (uintptr_t)8 << 20 : rl.rlim_cur;
		uintptr_t top = (uintptr_t)__libc_stack_end;
		return top > size ? top - size : 1;
	}
	pthread_attr_t a;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	int rc = pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return rc ? 0 : (uintptr_t)addr;
}

static uintptr_t stack_left(uintptr_t here)
{
	uintptr_t low = stack_low;
	if (!low && !(low = stack_low = stack_low_lookup()))
		return 0;
	if (here <= low + 2 * GUARD_MARGIN)
		return 0;
	uintptr_t left = here - low - GUARD_MARGIN;
	return left > GUARD_MAX ? GUARD_MAX : left;
}

struct guarded_call {
	int (*fn)(void *, uintptr_t);
	void *arg;
};

static int guarded_deep(void *p)
{
	struct guarded_call *g = p;
	return g->fn(g->arg, 0);
}

int dhall_run_guarded(int (*fn)(void *, uintptr_t floor), void *arg)
{
	uintptr_t here = dhall_stack_here(), left;
	int rc;
	if (deep_floor && here > deep_floor)
		rc = fn(arg, deep_floor);
	else if ((left = stack_left(here)))
		rc = fn(arg, here - left);
	else
		rc = DHALL_ESTACK;
	if (rc != DHALL_ESTACK)
		return rc;
	struct guarded_call g = {fn, arg};
	return dhall_run_deep(guarded_deep, &g);
}

int dhall_run_deep(int (*fn)(void *), void *arg)
{
	/* Already on a deep thread with most of its stack left (an import
	 * evaluated while evaluating): no need for another thread. */
	uintptr_t here = dhall_stack_here();
	if (deep_floor && here > deep_floor && here - deep_floor >= DEEP_STACK / 2)
		return fn(arg);
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
