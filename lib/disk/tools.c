/*
 * tools.c — running the host programs an image needs (mkfs.vfat, mmd,
 * mcopy, mkfs.ext4, grub-mkimage, apt-get, dpkg, depmod, xz), never
 * through a shell: argv as given, stdin /dev/null, stdout and stderr
 * appended to a log file the caller names (so a failure can quote the
 * tool's last line), and an environment made for reproducibility: the
 * caller's, with TZ=UTC and LC_ALL=C, and the caller's extra variables
 * (SOURCE_DATE_EPOCH, E2FSPROGS_FAKE_TIME) replacing any of the same name.
 */
#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

extern char **environ;

static int named(const char *entry, const char *const *vars)
{
	for (size_t i = 0; vars[i]; i++) {
		const char *eq = strchr(vars[i], '=');
		size_t n = eq ? (size_t)(eq - vars[i]) : strlen(vars[i]);
		if (strncmp(entry, vars[i], n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/* the last non-empty line of log from offset `from` on, into out */
static void last_line(const char *log, off_t from, char *out, size_t size)
{
	char buf[4096];
	out[0] = 0;
	if (!log)
		return;
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) == 0) {
		off_t start = st.st_size - (off_t)sizeof buf + 1;
		if (start < from)
			start = from;
		ssize_t n = start < st.st_size ? pread(fd, buf, sizeof buf - 1, start) : 0;
		if (n > 0) {
			buf[n] = 0;
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
				buf[--n] = 0;
			char *l = strrchr(buf, '\n');
			snprintf(out, size, "%.500s", l ? l + 1 : buf);
		}
	}
	close(fd);
}

int img_run(const char *const *argv, const char *const *env, const char *cwd, const char *log,
	    const char *package, disk_error *err)
{
	static const char *const fixed[] = {"TZ=UTC", "LC_ALL=C", NULL};
	const char *none[] = {NULL};
	const char *const *extra = env ? env : none;
	size_t n = 0, k = 0, nextra = 0;
	char **envp = NULL, cmd[512] = "", last[600];
	posix_spawn_file_actions_t fa;
	int fa_init = 0, logfd = -1, rc = 0, status;
	pid_t pid;
	off_t from = 0;

	for (size_t i = 0; argv[i]; i++) {
		size_t l = strlen(cmd);
		snprintf(cmd + l, sizeof cmd - l, "%s%s", i ? " " : "", argv[i]);
	}
	while (environ[n])
		n++;
	while (extra[nextra])
		nextra++;
	if (!(envp = calloc(n + nextra + 3, sizeof *envp)))
		return disk_error_set(err, DISK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!named(environ[i], extra) && !named(environ[i], fixed))
			envp[k++] = environ[i];
	for (size_t i = 0; fixed[i]; i++)
		if (!named(fixed[i], extra))
			envp[k++] = (char *)fixed[i];
	for (size_t i = 0; i < nextra; i++)
		envp[k++] = (char *)extra[i];
	envp[k] = NULL;

	if (log) {
		if ((logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
			rc = disk_error_set(err, DISK_E_IO, "cannot open the log '%s': %s", log,
					    strerror(errno));
			goto out;
		}
		dprintf(logfd, "$ %s\n", cmd);
		from = lseek(logfd, 0, SEEK_END);
	}
	posix_spawn_file_actions_init(&fa);
	fa_init = 1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (logfd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, logfd, 1);
		posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
	if (e == ENOENT) {
		rc = disk_error_set(err, DISK_E_NOTFOUND, "'%s' is not installed%s%s%s", argv[0],
				    package ? " (Debian package " : "", package ? package : "",
				    package ? "; tools/deps installs it)" : "");
		goto out;
	}
	if (e) {
		rc = disk_error_set(err, DISK_E_TOOL, "cannot run '%s': %s", argv[0], strerror(e));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = disk_error_set(err, DISK_E_TOOL, "waiting for '%s': %s", argv[0],
					    strerror(errno));
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		last_line(log, from, last, sizeof last);
		rc = disk_error_set(err, DISK_E_TOOL, "'%s' failed (%s %d)%s%s", cmd,
				    WIFEXITED(status) ? "status" : "signal",
				    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				    last[0] ? ": " : "", last);
	}
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (logfd >= 0)
		close(logfd);
	free(envp);
	return rc;
}
