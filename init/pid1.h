/*
 * pid1.h — sigil-init as the first process of a VM booted from a `sigil
 * image` disk (pid1.c). main.c calls these four around its normal run, so a
 * booted system runs through exactly the code path of a hosted one.
 */
#ifndef SIGIL_INIT_PID1_H
#define SIGIL_INIT_PID1_H

struct init;

/* 1 when this process is PID 1 or argv[1] is "--pid1". */
int init_pid1_wanted(int argc, char **argv);

/* Brings the machine up to the point where sigil-init can run: a tmpfs
 * root (switched from the initramfs), /dev, /proc, /sys, cgroups, the
 * modules (in a child of ours, still loading on return), the store
 * partition found by its GUID. Replaces *argv with
 * "sigil-init -s pack:/dev/vdaN --run /run/sigil [--eager] URN" (--eager
 * for sigil.verify=eager). 0, or -1 after
 * printing why on the console. */
int init_pid1_setup(int *argc, char ***argv);

/* After /rom is mounted (rom.c): waits for the module loader (-1 if it
 * failed), then when a child has an uplink brings up
 * lo and the VM's NIC (eth0, 10.0.99.15/24, QEMU's user network) and sets
 * in->o.fwd_addr/fwd_dev so the forwards listen there; when a child has a
 * state mount, mounts the state partition (ext4) at /state and sets
 * in->o.state. 0, or -1 after printing why. */
int init_pid1_state(struct init *in);

/* Syncs, unmounts the state partition, writes status + 1 (0..126, larger
 * clamped) to the isa-debug-exit port 0xf4 — QEMU exits with (value << 1)
 * | 1, so 2 * status + 3 — and powers off. Returns `status` when this is
 * not PID 1 (--pid1); as PID 1 it does not return. */
int init_pid1_poweroff(int status);

#endif
