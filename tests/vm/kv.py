#!/usr/bin/env python3
"""kv.py — the kv system as a VM: examples/kv.dhall (Debian's redis-server
with a state mount and a forward) plus the test agent as a second child,
built into an image with `sigil image` and booted twice with `sigil boot`.

  boot 1   redis comes up on the console; `redis-cli -p PORT ping` on the
           host answers PONG through QEMU's forward (127.0.0.1 only) and
           sigil-init's forward in the guest; a SET is answered OK and
           appended to redis's file on /data; the agent (another child,
           with redis's state directory mounted read-only and an uplink of
           its own) sees, from inside the guest, that /data is the ext4
           state partition holding redis's append-only directory and that
           its uplink has its declared address; sigil boot stops the guest
           cleanly (SIGTERM → ctrl-alt-delete) with status 0
  boot 2   the same disk: GET returns the value set before the reboot

redis-server and redis-cli are Debian's, unpacked into build/pkg-cache/redis
(tests/vm/fetch_redis.sh; never installed). Under the sanitizer pass the
guest's /init is the normal build's sigil-init when there is one (as in
tests/t/sigil_boot.sh): the host side is what ASan checks here.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Test, free_port  # noqa: E402

KV_PORT = 16379     # where examples/kv.dhall's forward listens in the guest
AGENT_PORT = 17000  # the agent's forward in the guest (its own port: 7000)


def main(t):
    top = t.top
    cache = os.path.join(top, "build", "pkg-cache")
    r = subprocess.run([os.path.join(top, "tests", "vm", "fetch_redis.sh"), cache],
                       capture_output=True, text=True)
    if r.returncode != 0:
        for name in ("boot 1", "ping", "set", "agent", "stop", "boot 2", "get", "stop 2"):
            t.skip("no Debian redis (apt-get download failed: offline?)", name)
        return
    redis = r.stdout.strip()
    libs = os.path.join(redis, "usr", "lib", "x86_64-linux-gnu")
    env = dict(os.environ, SIGIL_REDIS=os.path.join(redis, "usr", "bin", "redis-server"),
               SIGIL_CACHE=os.path.join(t.build, "pkg-cache"), SOURCE_DATE_EPOCH="1700000000")
    work = t.work

    def cli(port, *args):
        p = subprocess.run([os.path.join(redis, "usr", "bin", "redis-cli"), "-p", str(port)] + list(args),
                           env=dict(os.environ, LD_LIBRARY_PATH=libs), capture_output=True,
                           text=True, timeout=20)
        return p.stdout.strip()

    agent = os.path.join(work, "agent")
    r = subprocess.run(["cc", "-O1", "-Wall", "-Wextra", "-Werror", "-o", agent, os.path.join(top, "tests", "vm", "agent.c")],
                       capture_output=True, text=True)
    if not t.ok(r.returncode == 0, "build the test agent"):
        print("# " + r.stderr)
        return
    system = os.path.join(work, "kv-vm.dhall")
    with open(system, "w") as f:
        f.write("""
let Sigil = %(top)s/dhall/Sigil/package.dhall

let kv = %(top)s/examples/kv.dhall

in  kv
    //  { children =
              kv.children
            # toMap
                { agent = Sigil.Child::{
                  , binary = "%(agent)s"
                  , args = [ "7000" ]
                  , resources = Sigil.Resources::{ ram = Sigil.units.MiB 16, caps = 32 }
                  , mounts =
                    [ Sigil.Mount::{ target = "/data", state = Some "redis", writable = False } ]
                  , uplink = Some Sigil.Uplink::{
                    , address = "10.0.2.16/24"
                    , forwards = [ Sigil.Forward::{ host = %(aport)d, child = 7000 } ]
                    }
                  }
                }
        }
""" % {"top": top, "agent": agent, "aport": AGENT_PORT})
    init = os.path.join(t.build, "bin", "sigil-init")
    normal = os.environ.get("SIGIL_VM_INIT") or os.path.join(top, "build", "bin", "sigil-init")
    if os.environ.get("SIGIL_SAN") == "1" and os.access(normal, os.X_OK):
        init = normal
    disk = os.path.join(work, "kv.img")
    r = subprocess.run([t.sigil, "build", "-q", "-L", libs, "-o", os.path.join(work, "kv"), system],
                       env=env, capture_output=True, text=True)
    if t.ok(r.returncode == 0, "sigil build of kv.dhall with the agent child"):
        r = subprocess.run([t.sigil, "image", "-q", "--init", init, "-o", disk, os.path.join(work, "kv")],
                           env=env, capture_output=True, text=True)
    if not t.ok(r.returncode == 0, "sigil image of it"):
        print("# " + r.stderr.replace("\n", "\n# "))
        return

    rport, aport = free_port(), free_port()
    vm = t.machine("kv", disk, forwards=[(rport, KV_PORT), (aport, AGENT_PORT)], agent=aport)

    # ---- boot 1 ----------------------------------------------------------
    vm.start()
    if not t.waited(vm, r"^\[redis\] .*Ready to accept connections", 120,
                    "boot 1: redis-server is ready (console)"):
        return
    t.ok("boot: network eth0 10.0.99.15/24" in vm.console(),
         "PID 1 brought up the VM's NIC for the uplinks")
    ss = subprocess.run(["ss", "-Hltn", "sport = :%d" % rport], capture_output=True, text=True).stdout
    t.is_(sorted(line.split()[3] for line in ss.splitlines()), ["127.0.0.1:%d" % rport],
          "the host side of the forward listens on 127.0.0.1 only")
    t.is_(cli(rport, "ping"), "PONG", "redis-cli -p %d ping → PONG through the forward" % rport)
    t.is_(cli(rport, "set", "sigil-vm", "kept-across-reboots"), "OK", "SET through the forward")
    info = cli(rport, "info", "persistence")
    t.ok("aof_enabled:1" in info and "aof_last_write_status:ok" in info,
         "redis appends every write to its file on /data (INFO persistence)")
    mounts = vm.succeed("cat /proc/mounts")
    data = [line for line in mounts.splitlines() if line.split()[1:2] == ["/data"]]
    t.ok(len(data) == 1 and data[0].split()[2] == "ext4" and "ro" in data[0].split()[3].split(","),
         "agent: its /data is redis's directory on the ext4 state partition, read-only: %s"
         % (data[0] if data else "none"))
    listing = vm.succeed("ls /data")
    t.ok("appendonlydir" in listing.split(), "agent: redis's append-only directory is on it: %s"
         % " ".join(listing.split()))
    trie = vm.succeed("cat /proc/net/fib_trie")
    t.ok("10.0.2.16" in trie, "agent: its uplink in the guest holds its declared address 10.0.2.16")
    status, out = vm.execute("cat /data/no-such-file")
    t.ok(status == 1 and "No such file" in out, "agent: a failing command reports its status (%d)" % status)
    rc = vm.shutdown()
    t.is_(rc, 0, "boot 1: sigil boot stops the guest cleanly (SIGTERM → ctrl-alt-delete), status 0")
    t.ok("all children stopped" in vm.console() and "powering off (exit status 0)" in vm.console(),
         "boot 1: sigil-init stopped the children and powered off")

    # ---- boot 2 ----------------------------------------------------------
    vm.start()
    if not t.waited(vm, r"^\[redis\] .*Ready to accept connections", 120, "boot 2: redis-server is ready"):
        return
    t.ok("Creating AOF base file" not in vm.console(), "boot 2: redis found its files on /data")
    t.is_(cli(rport, "get", "sigil-vm"), "kept-across-reboots",
          "boot 2: GET returns the value set before the reboot (state partition)")
    t.is_(vm.shutdown(), 0, "boot 2: stopped cleanly, status 0")


if __name__ == "__main__":
    Test("kv", global_timeout=int(os.environ.get("SIGIL_VM_TIMEOUT", "600"))).run(main)
