/*
 * names.c — the names a child may grant itself in a system description:
 * system calls of sigil-init's default seccomp filter (`seccomp`) and
 * Linux capabilities (`capabilities`). Both the checker (sigil check: an
 * unknown name is an error) and sigil-init (init/seccomp.c, sandbox.c)
 * use these tables, so a name the checker passes is one init knows.
 *
 * The capability numbers are those of <linux/capability.h> (0..40, Linux
 * 5.9); the table is indexed by number.
 */
#include "sys_int.h"

#include <string.h>
#include <strings.h>

#include "banned.h"

const char *const sys_seccomp_denied[] = {
	/* kernels, modules, power */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "reboot",
	/* storage and the file system tree (the root is built by init) */
	"swapon", "swapoff", "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "quotactl",
	"quotactl_fd", "open_by_handle_at", "name_to_handle_at", "acct", "nfsservctl", "uselib",
	/* tracing, kernel programs, other processes' memory */
	"bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"lookup_dcookie", "syslog",
	/* keyrings */
	"keyctl", "add_key", "request_key",
	/* hardware and time */
	"iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	/* memory tricks */
	"userfaultfd",
	/* namespaces: unshare, setns, clone3 (ENOSYS), clone with CLONE_NEW* */
	"unshare", "setns", "vhangup", "clone3", "clone",
	NULL,
};

int sys_seccomp_known(const char *name)
{
	for (size_t i = 0; sys_seccomp_denied[i]; i++)
		if (strcmp(sys_seccomp_denied[i], name) == 0)
			return 1;
	return 0;
}

static const char *const caps[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

int sys_cap_number(const char *name)
{
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	for (int i = 0; i < (int)(sizeof caps / sizeof *caps); i++)
		if (strcasecmp(caps[i], name) == 0)
			return i;
	return -1;
}
