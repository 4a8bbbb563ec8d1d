/*
 * bundle.c — `eris export` and `eris import`: every block of some trees, with
 * their read capabilities, as one CBOR file (lib/store/bundle.h has the
 * format), for copying content between stores without a network.
 *
 * export walks each URN's tree in the store, checking every block, and
 * streams the bundle out: to standard output (refused when it is a terminal),
 * or with -o OUT to a temporary file beside OUT that is synced and renamed
 * over OUT only when the bundle is complete.
 *
 * import reads the bundle (a file, or standard input spooled to an unlinked
 * temporary file) in two passes over a mapping: first it parses it, checks
 * every block against its key and walks every capability to the end (blocks
 * missing from the bundle may come from the target store); only when all of
 * that passed are the blocks stored. Then it prints the capabilities as URNs,
 * one a line. A bad bundle exits 1 and stores nothing.
 */
#include "store/bundle.h"
#include "eris_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt export_opts[] = {
    {"store", 's', "STORE", "block store to read (a directory, dir:PATH, pack:FILE, mem: ...)"},
    {"output", 'o', "OUT", "write to OUT (atomically: only a complete bundle)"},
    {0},
};

static const struct cli_opt import_opts[] = {
    {"store", 's', "STORE", "block store to write (created when it does not exist)"},
    {0},
};

/* The exit status for a library error. */
static int status_of(int rc)
{
	return rc == ERIS_E_IO || rc == ERIS_E_NOMEM || rc == ERIS_E_ARG ? EXIT_SYSTEM : EXIT_DATA;
}

/* ---- export -------------------------------------------------------------- */

struct sink {
	int fd;
	int error; /* errno of a failed write, 0 when none */
};

static int sink_write(void *ctx, const void *data, size_t len)
{
	struct sink *k = ctx;

	if (bundle_write_fd(&k->fd, data, len) != 0) {
		k->error = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

static int run_export(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	const char *spec, *outpath;
	char tmp[4096] = "";
	eris_cap *caps = NULL;
	store *s = NULL;
	eris_error err = {0};
	bundle_stats st;
	struct sink k = {STDOUT_FILENO, 0};
	int status, rc;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	spec = cli_get(cmd, &a, "store");
	outpath = cli_get(cmd, &a, "output");
	if (!spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc == 0)
		return cli_fail(cmd, EXIT_USAGE, "no urn given");
	if (!outpath && isatty(STDOUT_FILENO))
		return cli_fail(cmd, EXIT_USAGE,
				"not writing a bundle to a terminal (use -o OUT or redirect)");
	caps = calloc((size_t)a.argc, sizeof *caps);
	if (!caps)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	for (int i = 0; i < a.argc; i++) {
		if (eris_cap_from_urn(&caps[i], a.argv[i], &err) != 0) {
			status = cli_fail(cmd, EXIT_USAGE, "\"%s\": %s", a.argv[i], err.msg);
			goto out;
		}
	}
	if (store_open(&s, spec, STORE_READ, &err) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		goto out;
	}
	if (outpath) {
		k.fd = cli_temp_open(outpath, tmp, sizeof tmp);
		if (k.fd < 0) {
			status =
			    cli_fail(cmd, EXIT_SYSTEM, "%s: cannot create a temporary file: %s",
				     outpath, strerror(errno));
			tmp[0] = '\0';
			goto out;
		}
	}
	rc = bundle_export(s, caps, (size_t)a.argc, sink_write, &k, &st, &err);
	if (rc != 0 && k.error) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write %s: %s",
				  outpath ? outpath : "the output", strerror(k.error));
		goto out;
	}
	if (rc != 0) {
		if (st.failed_cap < (size_t)a.argc)
			status =
			    cli_fail(cmd, status_of(rc), "%s: %s", a.argv[st.failed_cap], err.msg);
		else
			status = cli_fail(cmd, status_of(rc), "%s", err.msg);
		goto out;
	}
	if (outpath && cli_temp_commit(&k.fd, tmp, outpath) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", outpath, strerror(errno));
		goto out;
	}
	if (cli_show_progress())
		fprintf(stderr, "%s %s: %llu blocks, %u capabilities, %llu bytes\n", cli_prog,
			cmd->name, (unsigned long long)st.blocks, st.caps,
			(unsigned long long)st.bytes);
	status = EXIT_OK;
out:
	if (outpath && k.fd >= 0)
		close(k.fd);
	if (tmp[0])
		unlink(tmp);
	store_close(s);
	free(caps);
	return status;
}

/* ---- import -------------------------------------------------------------- */

static int run_import(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	const char *spec, *path, *name;
	bundle_map m = {0};
	bundle *b = NULL;
	store *s = NULL;
	eris_error err = {0};
	uint64_t stored = 0;
	size_t bad = SIZE_MAX;
	int fd = -1, status, rc;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	spec = cli_get(cmd, &a, "store");
	if (!spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE,
				"give exactly one bundle file (got %d; - is standard input)",
				a.argc);
	path = a.argv[0];
	name = strcmp(path, "-") == 0 ? "standard input" : path;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		struct stat sb;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			status = cli_fail(cmd, EXIT_USAGE, "%s: is a directory", path);
			goto out;
		}
	}
	if ((rc = bundle_map_fd(&m, fd, getenv("TMPDIR"), &err)) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", name, err.msg);
		goto out;
	}
	/* pass 1: structure, every block's hash */
	if ((rc = bundle_parse(&b, m.data, m.len, &err)) != 0) {
		status = cli_fail(cmd, status_of(rc), "%s: %s", name, err.msg);
		goto out;
	}
	if (store_open(&s, spec, STORE_CREATE, &err) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		goto out;
	}
	/* every capability complete, from the bundle or the store */
	if ((rc = bundle_check(b, s, &bad, &err)) != 0) {
		eris_cap cap;
		char urn[ERIS_URN_LEN + 1] = "";
		if (bad < bundle_cap_count(b)) {
			bundle_cap(b, bad, &cap);
			(void)!eris_cap_to_urn(&cap, urn, sizeof urn);
			status = cli_fail(cmd, status_of(rc),
					  "%s: capability %zu (%s): %s; nothing stored", name, bad,
					  urn, err.msg);
		} else {
			status =
			    cli_fail(cmd, status_of(rc), "%s: %s; nothing stored", name, err.msg);
		}
		goto out;
	}
	/* pass 2 */
	if ((rc = bundle_store(b, s, &stored, &err)) != 0) {
		status = cli_fail(cmd, rc == ERIS_E_HASH ? EXIT_DATA : EXIT_SYSTEM,
				  "%s: %s (%llu blocks stored before the failure)", name, err.msg,
				  (unsigned long long)stored);
		goto out;
	}
	for (size_t i = 0; i < bundle_cap_count(b); i++) {
		eris_cap cap;
		char urn[ERIS_URN_LEN + 1];
		bundle_cap(b, i, &cap);
		if (eris_cap_to_urn(&cap, urn, sizeof urn) == 0)
			puts(urn);
	}
	if (fflush(stdout) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write the output: %s", strerror(errno));
		goto out;
	}
	if (cli_show_progress())
		fprintf(stderr, "%s %s: %zu blocks, %zu capabilities\n", cli_prog, cmd->name,
			bundle_block_count(b), bundle_cap_count(b));
	status = EXIT_OK;
out:
	bundle_free(b);
	bundle_unmap(&m);
	store_close(s);
	if (fd > STDIN_FILENO)
		close(fd);
	return status;
}

const struct cli_cmd eris_cmd_export = {
    "export",
    "-s STORE URN... [-o OUT]",
    "Write every block of each URN, and the URNs, as one bundle file.",
    "The bundle is the ERIS CBOR serialization (tag 1701996915): a map from\n"
    "reference to block, each block once, then the read capabilities. Every block\n"
    "is checked as it is read; a missing or bad one exits 1. The same URNs and\n"
    "store give the same bytes. Without -o the bundle goes to standard output.",
    export_opts,
    run_export};

const struct cli_cmd eris_cmd_import = {
    "import",
    "-s STORE FILE",
    "Check a bundle, store its blocks and print its URNs.",
    "FILE may be - for standard input. Every block is checked against its key and\n"
    "every URN's tree is walked to the end (blocks may also come from the store)\n"
    "before any block is stored: a bad bundle exits 1 and stores nothing.",
    import_opts,
    run_import};
