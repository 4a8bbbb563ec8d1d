#!/usr/bin/env python3
"""gen-seeds.py — writes the seed corpora fuzz/corpus/fuzz_urn/ and
fuzz/corpus/fuzz_decode/.

Run from the top of the tree (it reads the official test vectors from
$SIGIL_SHARED, default ../shared):

    fuzz/gen-seeds.py

Every seed is a regression test (`make check` replays them through
fuzz/driver.c) and a starting point for `make fuzz`. The output is
deterministic; re-running rewrites the same files. The input formats are
described at the top of fuzz/fuzz_urn.c and fuzz/fuzz_decode.c; the names of
the fuzz_decode seeds say which path each one reaches.
"""

import base64
import glob
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("SIGIL_SHARED", os.path.join(HERE, "..", "..", "shared"))


def b32(data):
    return base64.b32encode(data).decode().rstrip("=")


def write(dirname, name, data):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def stream(seed, n):
    """n deterministic pseudo-random bytes (BLAKE2b in counter mode)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.blake2b(seed + struct.pack("<Q", i), digest_size=64).digest()
        i += 1
    return out[:n]


# ---- fuzz_urn ---------------------------------------------------------------

def urn_seeds(out):
    urns = []
    for path in sorted(glob.glob(os.path.join(SHARED, "eris", "test-vectors", "*.json"))):
        with open(path) as f:
            urn = json.load(f)["urn"]
        if urn not in urns:
            urns.append(urn)
    if not urns:
        sys.exit("gen-seeds: no test vectors under %s (set SIGIL_SHARED)" % SHARED)
    # a 1 KiB level-0, a 1 KiB level-1, a 1 KiB level-3 and a 32 KiB one
    pick = [u for u in urns if u.startswith("urn:eris:BIAD")][:1]
    pick += [u for u in urns if u.startswith("urn:eris:BIAR")][:1]
    pick += [u for u in urns if u.startswith("urn:eris:BIBU")][:1]
    pick += [u for u in urns if u.startswith("urn:eris:B4A")][:2]
    for i, u in enumerate(pick):
        write(out, "valid-%d" % i, u)
    good = pick[0]
    body = good[len("urn:eris:"):]
    capbin = base64.b32decode(body + "=" * (-len(body) % 8))
    assert len(capbin) == 66

    write(out, "bad-lower-case", good.lower())
    write(out, "bad-lower-prefix-only", "URN:ERIS:" + body)
    write(out, "bad-short", good[:-1])
    write(out, "bad-long", good + "A")
    write(out, "bad-erisx2-prefix", "urn:erisx2:" + body)
    write(out, "bad-char-1", good[:20] + "1" + good[21:])
    write(out, "bad-char-equals", good[:-2] + "==")
    write(out, "bad-trailing-newline", good + "\n")
    # 66 bytes = 528 bits in 106 characters (530 bits): the last character's
    # two low bits must be zero
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(good[-1])
    write(out, "bad-trailing-bits", good[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last | 1])
    write(out, "bad-block-size-code", "urn:eris:" + b32(b"\x0b" + capbin[1:]))
    write(out, "bad-level-17", "urn:eris:" + b32(capbin[:1] + b"\x11" + capbin[2:]))
    write(out, "empty", b"")
    # the raw bytes are also tried as a binary capability and as base32 text
    write(out, "binary-cap", capbin)
    write(out, "binary-cap-bad-code", b"\x0c" + capbin[1:])
    write(out, "ref-base32", body[4:56])
    write(out, "base32-10-chars", "MZXW6YTBOI")


# ---- fuzz_decode --------------------------------------------------------------

RAW, ENCODE, CRAFT, FIXED = 0, 1, 2, 3


def b0(mode, big=False, knobs=0):
    return bytes([(1 if big else 0) | mode << 1 | knobs << 3])


def raw(mode, level, chunks, big=False, extend=False, root_plain=False, pick=0):
    return (b0(mode, big, (1 if extend else 0) | (2 if root_plain else 0))
            + bytes([level & 3 | pick << 2]) + chunks)


def encode(length=0, fault=0, sticky=False, threads=1, verified=False, at=0, param=0,
           off=0, mut=0, mut_param=0, seed=1, payload=b"", big=False, secret=False,
           streaming=False):
    flags = (fault | (8 if sticky else 0) | ((threads - 1) << 4) | (64 if verified else 0)
             | (128 if streaming else 0))
    return (b0(ENCODE, big, 1 if secret else 0) + struct.pack(">HB", length // 8, flags)
            + struct.pack(">HBH", at, param, off) + bytes([mut, mut_param])
            + struct.pack(">H", seed) + payload)


class Craft:
    """Records for CRAFT mode; each method returns the new record's index."""

    def __init__(self, big=False):
        self.big = big
        self.recs = []

    def _add(self, tag, payload):
        assert len(payload) < 256
        self.recs.append(bytes([tag, len(payload)]) + payload)
        return len(self.recs) - 1

    def leaf(self, content, pad=True, fill=False, other_size=False):
        return self._add(0 | (4 if pad else 0) | (8 if fill else 0)
                         | (0x80 if other_size else 0), content)

    @staticmethod
    def _level(level):
        assert 1 <= level <= 16
        return ((level - 1) & 7) << 4 | (4 if level > 8 else 0)

    def node(self, children, level=1, fill=False):
        return self._add(1 | (8 if fill else 0) | self._level(level), bytes(children))

    def raw_node(self, plain, level=1):
        return self._add(2 | self._level(level), plain)

    def raw_block(self, data, whole=False):
        return self._add(3 | (4 if whole else 0), data)

    def seed(self, cap_sel=0):
        return b0(CRAFT, self.big) + bytes([cap_sel]) + b"".join(self.recs)


def decode_seeds(out):
    seeds = {}

    # RAW / FIXED: the input is the blocks
    seeds["raw-1k-level0-garbage"] = raw(RAW, 0, stream(b"r0", 2048))
    seeds["raw-1k-root-leaf-padded"] = raw(RAW, 0, b"hello, eris\x80", extend=True,
                                           root_plain=True)
    # a real root node whose pairs name chunk 1 and 2 (by hash) with junk keys
    c1, c2 = stream(b"c1", 1024), stream(b"c2", 1024)
    pairs = (hashlib.blake2b(c1, digest_size=32).digest() + b"K" * 32
             + hashlib.blake2b(c2, digest_size=32).digest() + b"K" * 32)
    seeds["raw-1k-root-node-junk-keys"] = raw(RAW, 1, pairs.ljust(1024, b"\0") + c1 + c2,
                                              root_plain=True)
    seeds["fixed-1k-wrong-reference"] = raw(FIXED, 2, pairs.ljust(1024, b"\0") + c1,
                                            root_plain=True, pick=1)

    # ENCODE: valid trees, then damage
    text = b"The quick brown fox jumps over the lazy dog. " * 3
    seeds["enc-1k-short"] = encode(payload=b"hello world", streaming=True)
    seeds["enc-1k-empty"] = encode(streaming=True)
    seeds["enc-1k-exact-block"] = encode(length=1024, payload=text, streaming=True)
    seeds["enc-1k-level2-threads"] = encode(length=20000, threads=3, seed=77, payload=text,
                                            streaming=True)
    seeds["enc-1k-level3"] = encode(length=270000, seed=5, payload=stream(b"l3", 300),
                                    streaming=True)
    seeds["enc-32k-level1-secret"] = encode(length=100000, big=True, secret=True, threads=2,
                                            payload=text, streaming=True)
    seeds["enc-32k-exact-block"] = encode(length=32768, big=True, payload=b"x",
                                          streaming=True)
    seeds["enc-fault-flip"] = encode(length=5000, fault=1, at=3, param=0x40, off=77,
                                     payload=text)
    seeds["enc-fault-cut-root"] = encode(length=5000, fault=2, at=0, param=3, payload=text)
    seeds["enc-fault-missing-sticky"] = encode(length=40000, fault=3, sticky=True, at=5,
                                               payload=text)
    # an odd parameter: a positive code from the source, which has no message
    seeds["enc-fault-io-verified"] = encode(length=3000, fault=4, at=1, param=7,
                                            verified=True, payload=text)
    seeds["enc-fault-other-block"] = encode(length=5000, fault=5, at=2, param=3, payload=text)
    seeds["enc-cap-level-down"] = encode(length=2000, mut=2, payload=text)
    seeds["enc-cap-key-flip"] = encode(length=20000, mut=3 | 5 << 5, mut_param=9, payload=text)

    # CRAFT: trees with real hashes and keys but chosen structure
    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)     # a full 1 KiB leaf
    b = c.leaf(b"tail")                         # the padded last leaf
    n1 = c.node([a], fill=True)                 # 16 × A
    n2 = c.node([b])
    c.node([n1, n2], level=2)                   # 16 KiB + 4 bytes, canonical
    seeds["craft-1k-level2-valid"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    b = c.leaf(b"tail")
    n1 = c.node([a, a])                         # not full, yet not right-most
    n2 = c.node([b])
    c.node([n1, n2], level=2)
    seeds["craft-1k-short-middle-node"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    b = c.leaf(b"tail")
    c.node([a, 0xFF, b])                        # a null pair, then data
    seeds["craft-1k-data-after-null-pair"] = c.seed()

    c = Craft()
    a = c.leaf(b"no padding here", pad=False)
    b = c.leaf(b"B", pad=False, fill=True)
    c.node([b, a, 0])                           # a leaf referenced at level 1 too
    seeds["craft-1k-bad-padding-and-leaf-as-node"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    b = c.leaf(b"tail")
    n = c.node([a, b], level=3)                 # a level-3 node where level 1 belongs
    c.node([n, n], level=2)
    seeds["craft-1k-wrong-child-level"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    w = c.leaf(b"wrong size", other_size=True)  # a valid 32 KiB block in a 1 KiB tree
    r = c.raw_block(b"short")
    c.node([a, w, r])
    seeds["craft-1k-wrong-sizes"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    n = c.node([a], fill=True)
    r = c.raw_node(bytes(range(200)), level=1)  # arbitrary bytes as a node
    c.node([n, r], level=2)
    seeds["craft-1k-raw-node"] = c.seed()

    c = Craft()
    a = c.leaf(b"A", pad=False, fill=True)
    b = c.leaf(b"tail")
    n = c.node([a, b])
    c.node([n], level=2)                        # a root with one pair
    seeds["craft-1k-single-pair-root"] = c.seed()

    # A DAG: six levels of full nodes over one full leaf, and a right-most
    # path ending in a padded leaf, describe 16^6 leaves (16 GiB) in 14
    # blocks. Decoding runs into the fetch budget; the reader opens it and
    # reads at scattered offsets.
    c = Craft()
    full = c.leaf(b"Z", pad=False, fill=True)
    last = c.leaf(b"end")
    for lv in range(1, 7):
        full, last = (c.node([full], level=lv, fill=True),
                      c.node([full] * 15 + [last], level=lv))
    seeds["craft-1k-dag-budget"] = c.seed()

    # The same at 32 KiB, five levels: about 2^60 bytes, near the 64-bit limit.
    c = Craft(big=True)
    full = c.leaf(b"Z", pad=False, fill=True)
    last = c.leaf(b"end")
    for lv in range(1, 6):
        full, last = (c.node([full], level=lv, fill=True),
                      c.node([full] * 254 + [last], level=lv))
    seeds["craft-32k-dag-2e60-bytes"] = c.seed()

    # more blocks than the mem store's first table holds (it grows at 512)
    c = Craft()
    leaves = [c.leaf(struct.pack(">H", i), pad=False, fill=True) for i in range(600)]
    c.node([leaves[0], 0xFF, leaves[1]])
    seeds["craft-1k-600-blocks"] = c.seed()

    c = Craft(big=True)
    a = c.leaf(b"0123456789", pad=False, fill=True)
    b = c.leaf(b"end")
    c.node([a, a, b])
    seeds["craft-32k-level1-valid"] = c.seed()

    for name, data in sorted(seeds.items()):
        assert len(data) < 70 * 1024, name
        write(out, name, data)
    return seeds


def main():
    corpus = os.path.join(HERE, "corpus")
    urn_seeds(os.path.join(corpus, "fuzz_urn"))
    decode_seeds(os.path.join(corpus, "fuzz_decode"))


if __name__ == "__main__":
    main()
