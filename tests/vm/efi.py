#!/usr/bin/env python3
"""efi.py — the UEFI path: `sigil boot --efi` boots tiny.dhall's image
through OVMF and the GRUB that `sigil image` put on the ESP (no PVH, no
kernel handed to QEMU): GRUB finds the ESP by its volume id and loads the
kernel and core image with the image's command line; the children's lines
appear on the console and sigil-init powers off with status 0.

Slow under TCG (about 30 s): the slow tier only (SIGIL_TIER=fast skips it).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Test  # noqa: E402


def main(t):
    if os.environ.get("SIGIL_TIER") == "fast":
        t.skip("slow tier (SIGIL_TIER=fast)", "sigil boot --efi")
        return
    if not os.path.exists("/usr/share/OVMF/OVMF_CODE_4M.fd"):
        t.ok(False, "OVMF is missing: run tools/deps (package ovmf)")
        return
    env = dict(os.environ, SIGIL_CACHE=os.path.join(t.build, "pkg-cache"),
               SOURCE_DATE_EPOCH="1700000000")
    init = os.path.join(t.build, "bin", "sigil-init")
    normal = os.environ.get("SIGIL_VM_INIT") or os.path.join(t.top, "build", "bin", "sigil-init")
    if os.environ.get("SIGIL_SAN") == "1" and os.access(normal, os.X_OK):
        init = normal
    disk = os.path.join(t.work, "tiny.img")
    r = subprocess.run([t.sigil, "image", "-q", "--init", init, "--build-dir",
                        os.path.join(t.work, "tiny"), "-o", disk,
                        os.path.join(t.top, "examples", "systems", "tiny.dhall")],
                       env=env, capture_output=True, text=True)
    if not t.ok(r.returncode == 0, "sigil image tiny.dhall"):
        print("# " + r.stderr.replace("\n", "\n# "))
        return
    vm = t.machine("tiny-efi", disk, args=["--efi"])
    vm.start()
    t.waited(vm, r"^\[greeter\] hello from sigil", 240, "UEFI: OVMF → GRUB → the kernel: the greeter's line")
    t.is_(vm.wait_for_shutdown(240), 0, "sigil boot --efi exits 0 (the system's status)")
    con = vm.console()
    t.ok("Run /init as init process" in con and "sigil-init: boot: PID 1" in con,
         "the kernel came from GRUB with the image's command line (no `quiet`: its log shows)")
    t.ok("powering off (exit status 0)" in con, "sigil-init powered off when its children exited")
    with open(vm.stderr_path) as f:
        err = f.read()
    t.ok("UEFI: OVMF, GRUB" in err, "sigil boot says it boots through UEFI")


if __name__ == "__main__":
    Test("efi", global_timeout=int(os.environ.get("SIGIL_VM_TIMEOUT", "600"))).run(main)
