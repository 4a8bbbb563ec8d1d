#!/usr/bin/env python3
"""flip_block.py — damage a block a child must read to start (for the tamper
tests of tests/t/sigil_run.sh and tests/t/sigil_boot.sh).

  flip_block.py ERIS STORE URN ARGV0 TARGET [OFFSET]

Finds, in the system description URN (read with the eris CLI from STORE),
the closure of the child whose program's argv0 is ARGV0, and in it the
capability of the program itself; its root block is read (and verified)
when the program is looked up, before it can run. Flips one byte of that
block in TARGET: a dir: store's directory (the block's file), or a pack
(a file or a disk image with the pack at byte OFFSET: the block's record is
found by its reference, which its header holds). Prints the block's
reference in base32, as sigil-init names it.
"""
import base64
import os
import re
import subprocess
import sys


def get(eris, store, urn):
    return subprocess.run([eris, "get", "-s", store, urn], capture_output=True, check=True).stdout


def main():
    eris, store, urn, argv0, target = sys.argv[1:6]
    offset = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    urns = re.findall(rb"urn:eris:[A-Z2-7]+", get(eris, store, urn))
    exe = None
    for u in urns:
        desc = get(eris, store, u.decode())
        # CBOR: "argv0" then the text ARGV0; "exec" then a text URN
        if b"eargv0" + bytes([0x60 + len(argv0)]) + argv0.encode() in desc:
            exe = re.search(rb"dexec..(urn:eris:[A-Z2-7]+)", desc).group(1).decode()
            break
    if not exe:
        sys.exit("flip_block: no child runs %r" % argv0)
    b32 = exe[len("urn:eris:"):]
    cap = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    ref = cap[2:34]
    name = base64.b32encode(ref).decode().rstrip("=")
    if os.path.isdir(target):
        path = os.path.join(target, name[:2], name)
        at = 100
    else:
        path = target
        with open(target, "rb") as f:
            f.seek(offset)
            data = f.read()
        hit = data.find(ref)  # also in the index: a record's header is 64-aligned
        while hit >= 0 and ((hit - 8) % 64 or data[hit - 8:hit - 4] != b"BLK1"):
            hit = data.find(ref, hit + 1)
        hit -= 8
        if hit < 0:
            sys.exit("flip_block: block %s is not in %s" % (name, target))
        at = offset + hit + 64 + 100
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 1]))
    print(name)


if __name__ == "__main__":
    main()
