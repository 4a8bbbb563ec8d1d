/*
 * agent.c — the test agent: a child of a system under test (tests/vm/) that
 * runs the driver's `succeed` commands inside the booted guest.
 *
 *   agent PORT      listens on 0.0.0.0:PORT in its own network namespace;
 *                   the system gives it an uplink whose forward QEMU reaches
 *                   from the host's 127.0.0.1 (sigil boot --forward)
 *
 * One command per connection: the driver sends one line, words separated by
 * blanks ('single quotes' keep blanks in a word); the agent answers with the
 * exit status as a decimal line, then the command's output, and closes.
 *
 * A child's view holds only its closure, its ROM modules and its mounts —
 * there is no shell in the guest — so the agent offers what a test needs to
 * look around, itself:
 *
 *   cat FILE...     the files' bytes
 *   ls DIR          the names in DIR, sorted, one per line
 *   PATH ARGS...    any other command is a program in the agent's view,
 *                   run with its stdout and stderr as the output
 *
 * Status 127 for a program that cannot be run, 1 when cat or ls fails (the
 * output says why), 2 for a line that does not parse.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_ 4096
#define WORDS_MAX 64

static int say(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w, len -= (size_t)w;
	}
	return 0;
}

/* Splits line into words in place; -1 on an unterminated quote or too
 * many words. */
static int split(char *line, char **w, int max)
{
	int n = 0;
	char *r = line, *o = line;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (n == max - 1)
			return -1;
		w[n++] = o;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '\'') {
				char *q = strchr(r + 1, '\'');
				if (!q)
					return -1;
				memmove(o, r + 1, (size_t)(q - r - 1));
				o += q - r - 1;
				r = q + 1;
			} else {
				*o++ = *r++;
			}
		}
		if (*r)
			r++;
		*o++ = 0;
	}
	w[n] = NULL;
	return n;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The command's output goes to out (a pipe's or temporary file's fd). */
static int run(char **w, int out)
{
	char buf[65536], msg[512];
	if (!strcmp(w[0], "cat")) {
		for (int i = 1; w[i]; i++) {
			int fd = open(w[i], O_RDONLY | O_CLOEXEC);
			ssize_t r;
			if (fd < 0) {
				snprintf(msg, sizeof msg, "cat: '%s': %s\n", w[i], strerror(errno));
				say(out, msg);
				return 1;
			}
			while ((r = read(fd, buf, sizeof buf)) > 0)
				if (write(out, buf, (size_t)r) != r)
					break;
			close(fd);
		}
		return 0;
	}
	if (!strcmp(w[0], "ls")) {
		const char *dir = w[1] ? w[1] : ".";
		DIR *d = opendir(dir);
		char *names[4096];
		size_t n = 0;
		if (!d) {
			snprintf(msg, sizeof msg, "ls: '%s': %s\n", dir, strerror(errno));
			say(out, msg);
			return 1;
		}
		for (struct dirent *e; (e = readdir(d)) && n < 4096;)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names, n, sizeof *names, cmp_names);
		for (size_t i = 0; i < n; i++) {
			if (names[i]) {
				say(out, names[i]);
				say(out, "\n");
			}
			free(names[i]);
		}
		return 0;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		dup2(out, 1);
		dup2(out, 2);
		execv(w[0], w);
		snprintf(msg, sizeof msg, "agent: cannot run '%s': %s\n", w[0], strerror(errno));
		say(2, msg);
		_exit(127);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Reads the request line, runs it, answers "STATUS\n" + output. */
static void serve(int c)
{
	char line[LINE_MAX_ + 1], *w[WORDS_MAX], head[32], buf[65536];
	size_t len = 0;
	int status = 2, tmp = -1;
	while (len < LINE_MAX_) {
		ssize_t r = read(c, line + len, LINE_MAX_ - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = 0;
	line[strcspn(line, "\r\n")] = 0;
	/* the output is gathered first, so the status can go before it */
	if ((tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		say(c, "127\nagent: no temporary file in /tmp\n");
		return;
	}
	if (split(line, w, WORDS_MAX) > 0)
		status = run(w, tmp);
	else
		say(tmp, "agent: expected a command\n");
	snprintf(head, sizeof head, "%d\n", status);
	say(c, head);
	lseek(tmp, 0, SEEK_SET);
	for (ssize_t r; (r = read(tmp, buf, sizeof buf)) > 0;)
		if (write(c, buf, (size_t)r) != r)
			break;
	close(tmp);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	int one = 1, s;
	if (argc != 2 || !(sin.sin_port = htons((uint16_t)strtoul(argv[1], NULL, 10)))) {
		fprintf(stderr, "usage: agent PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(s, 8) != 0) {
		fprintf(stderr, "agent: cannot listen on port %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("agent: listening on port %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "agent: accept: %s\n", strerror(errno));
			return 1;
		}
		serve(c);
		close(c);
	}
}
