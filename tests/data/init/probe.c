/*
 * probe.c — a test child for tests/t/sigil_run.sh: runs the operations
 * its arguments name, in order, printing one line per result (so a test
 * can grep "[child] ..." in sigil-init's log). One binary, so each
 * child's closure is just it and libc.
 *
 *   say TEXT       print TEXT
 *   ls DIR         "ls DIR: a b c" (sorted) or "ls DIR: error ENOENT-text"
 *   cat FILE       "cat FILE: first line" or "cat FILE: error ..."
 *   pid            "pid N" (as the child sees itself)
 *   comm N         "comm N: NAME" from /proc/N/comm
 *   status KEY     "status KEY: VALUE" from /proc/self/status
 *   hostname       "hostname NAME"
 *   alloc MIB      allocate and touch MIB MiB, 1 MiB at a time; "allocated N MiB"
 *   sleep MS       sleep
 *   exit CODE      exit now with CODE
 *   serve PATH     listen on a Unix socket at PATH; answer each connection
 *                  with "hello from HOSTNAME" (forever)
 *   connect PATH   "connect PATH: REPLY" or "connect PATH: error ..."
 *   fork N         fork N sleeping children; "forked K of N"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void op_ls(const char *dir)
{
	DIR *d = opendir(dir);
	char *names[512];
	size_t n = 0;
	if (!d) {
		printf("ls %s: error %s\n", dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && n < 512)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	printf("ls %s:", dir);
	for (size_t i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void op_cat(const char *file)
{
	char line[1024];
	FILE *f = fopen(file, "r");
	if (!f) {
		printf("cat %s: error %s\n", file, strerror(errno));
		return;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("cat %s: %s\n", file, line);
	fclose(f);
}

static void op_status(const char *key)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
			char *v = line + strlen(key) + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			printf("status %s: %s\n", key, v);
		}
	if (f)
		fclose(f);
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void op_serve(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char host[64] = "", msg[128];
	gethostname(host, sizeof host - 1);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || listen(s, 8)) {
		printf("serve %s: error %s\n", path, strerror(errno));
		exit(1);
	}
	printf("serving %s\n", path);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		int n = snprintf(msg, sizeof msg, "hello from %s", host);
		if (write(c, msg, (size_t)n) < 0)
			perror("write");
		close(c);
	}
}

static void op_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[128];
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	for (int tries = 0; tries < 50; tries++) { /* the server may still be starting */
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
			ssize_t n = read(s, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = 0;
			printf("connect %s: %s\n", path, buf);
			close(s);
			return;
		}
		int e = errno;
		if (s >= 0)
			close(s);
		if (e == ENOENT && tries > 3) {
			printf("connect %s: error %s\n", path, strerror(e));
			return;
		}
		msleep(50);
		errno = e;
	}
	printf("connect %s: error %s\n", path, strerror(errno));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(op, "pid")) {
			printf("pid %d\n", (int)getpid());
			continue;
		}
		if (!strcmp(op, "hostname")) {
			char h[64] = "";
			gethostname(h, sizeof h - 1);
			printf("hostname %s\n", h);
			continue;
		}
		i++;
		if (!strcmp(op, "say"))
			printf("%s\n", arg);
		else if (!strcmp(op, "ls"))
			op_ls(arg);
		else if (!strcmp(op, "cat"))
			op_cat(arg);
		else if (!strcmp(op, "comm")) {
			char p[64];
			snprintf(p, sizeof p, "/proc/%s/comm", arg);
			op_cat(p);
		} else if (!strcmp(op, "status"))
			op_status(arg);
		else if (!strcmp(op, "alloc")) {
			long mib = strtol(arg, NULL, 10);
			for (long k = 1; k <= mib; k++) {
				char *p = malloc(1 << 20);
				if (!p) {
					printf("malloc failed at %ld MiB\n", k);
					break;
				}
				memset(p, (int)k, 1 << 20);
				if (k % 4 == 0)
					printf("allocated %ld MiB\n", k);
			}
		} else if (!strcmp(op, "sleep"))
			msleep(strtol(arg, NULL, 10));
		else if (!strcmp(op, "exit"))
			exit((int)strtol(arg, NULL, 10));
		else if (!strcmp(op, "serve"))
			op_serve(arg);
		else if (!strcmp(op, "connect"))
			op_connect(arg);
		else if (!strcmp(op, "fork")) {
			long n = strtol(arg, NULL, 10), k = 0;
			for (; k < n; k++) {
				pid_t p = fork();
				if (p < 0)
					break;
				if (p == 0) {
					msleep(60000);
					_exit(0);
				}
			}
			printf("forked %ld of %ld\n", k, n);
		} else {
			printf("unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
