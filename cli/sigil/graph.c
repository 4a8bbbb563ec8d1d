/*
 * graph.c — `sigil graph SYSTEM [-T dot|svg] [-o FILE]`: the children and
 * their routes as a Graphviz digraph (lib/system/graph.c). With -T svg the
 * DOT text is piped through `dot -Tsvg` (Graphviz must be installed).
 */
#include "sigil_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"type", 'T', "dot|svg", "output format (default dot; svg runs Graphviz's dot)"},
	{"output", 'o', "FILE", "write to FILE (atomically) instead of stdout"},
	{0},
};

/* Runs `dot -Tsvg` with `in` on its stdin; its stdout into *out (malloc'd). */
static int to_svg(const struct cli_cmd *cmd, const char *in, size_t inlen, char **out, size_t *outlen)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, rc = EXIT_SYSTEM;
	pid_t pid = -1;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC)) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0)
			_exit(127);
		execlp("dot", "dot", "-Tsvg", (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	pin[0] = pout[1] = -1;
	/* DOT text is small: write it all, then read (dot reads its input first) */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int werr = cli_write_all(pin[1], in, inlen);
	signal(SIGPIPE, old);
	close(pin[1]);
	pin[1] = -1;
	for (;;) {
		if (cap - n < 4096) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!b) {
				rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
				goto out;
			}
			buf = b;
		}
		ssize_t r = read(pout[0], buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || werr) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "%s",
			      WIFEXITED(st) && WEXITSTATUS(st) == 127
				      ? "cannot run 'dot' (install Graphviz, or use -T dot)"
				      : "'dot -Tsvg' failed");
		goto out;
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	buf = NULL;
	rc = EXIT_OK;
out:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(buf);
	return rc;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one SYSTEM file (.dhall or .json)");
	const char *type = cli_get(cmd, &a, "type");
	int svg = type && strcmp(type, "svg") == 0;
	if (type && !svg && strcmp(type, "dot") != 0)
		return cli_fail(cmd, EXIT_USAGE, "unknown output type '%s' (use dot or svg)", type);
	struct dhall_arena arena;
	struct sys_system sys = {0};
	char *src = NULL, *dot = NULL, *img = NULL;
	size_t len = 0, dlen = 0, ilen = 0;
	dhall_arena_init(&arena);
	int rc = sigil_load_system(cmd, a.argv[0], &arena, &sys, &src, &len);
	if (rc)
		goto out;
	if (sys_graph_dot(&sys, &dot, &dlen)) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (svg && (rc = to_svg(cmd, dot, dlen, &img, &ilen)))
		goto out;
	rc = sigil_write_out(cmd, cli_get(cmd, &a, "output"), svg ? img : dot, svg ? ilen : dlen);
out:
	dhall_arena_free(&arena);
	free(src);
	free(dot);
	free(img);
	return rc;
}

const struct cli_cmd sigil_cmd_graph = {
	.name = "graph",
	.args = "SYSTEM [-T dot|svg] [-o FILE]",
	.summary = "draw a system's children and routes (Graphviz)",
	.details = "A node per child (RAM, caps, provided services), an edge client -> server per\n"
		   "use, labelled with the service and session label. Uses no server takes go to a\n"
		   "red \"?\" node, uses several servers take are red edges, and policies no use\n"
		   "matches are dashed red notes. -T svg pipes the graph through Graphviz's dot.",
	.opts = opts,
	.run = run,
};
