#!/usr/bin/env python3
"""nested_gen.py COUNT PREFIX — random systems with nested inits for
tests/t/sigil_nested_prop.sh: PREFIX<i>.json and, next to each, the routes
the model must take, one "client|server|label" per line (PREFIX<i>.routes;
the label as `sigil graph` writes it).

The generator knows the routing rule on its own (docs/system.md): a server
sees a client's path below the innermost init holding both, then " -> "
and the session label; the system's parent sees the full path. Every use it
keeps is matched by exactly one server's exact policy; a use that two
servers would take (a server inside an init cannot tell its sibling "c"
from an outside "c", as in Genode) is dropped, and so are the policies no
kept use matches. Clients only use servers
made before them, so there is no cycle. Names repeat across inits on
purpose."""
import json
import random
import sys

NAMES = ["a", "b", "c", "log", "vfs", "fs"]
SERVICES = ["S0", "S1", "S2"]
PARENT_SERVICES = ["P0", "P1"]
LEAF_RAM, LEAF_CAPS = 4 << 20, 64


def gen(rng):
    children = {}  # full name -> record
    leaves = []    # full names, in creation order

    def make_init(prefix, depth):
        """Creates the children of init `prefix` ("" at the top); returns
        their RAM and caps sums."""
        used = set()
        ram = caps = 0
        for _ in range(rng.randint(1, 3)):
            n = rng.choice([x for x in NAMES if x not in used])
            used.add(n)
            full = prefix + " -> " + n if prefix else n
            children[full] = {"binary": "/bin/x",
                              "resources": {"ram": LEAF_RAM, "caps": LEAF_CAPS},
                              "provides": [], "uses": []}
            leaves.append(full)
            ram += LEAF_RAM
            caps += LEAF_CAPS
        if depth < 3:
            for _ in range(rng.randint(0, 2)):
                free = [x for x in NAMES if x not in used]
                if not free:
                    break
                n = rng.choice(free)
                used.add(n)
                full = prefix + " -> " + n if prefix else n
                r, c = make_init(full, depth + 1)
                r += (2 << 20) + (4 << 20)
                c += 64 + 40
                children[full] = {"binary": "", "init": True, "resources": {"ram": r, "caps": c}}
                ram += r
                caps += c
        return ram, caps

    ram, caps = make_init("", 0)

    def path(full):
        return full.split(" -> ")

    def seen_by(client, label, server):
        """The label of client's use as server sees it (server None: the parent)."""
        cp = path(client)
        if server is None:
            rel = cp
        else:
            sp = path(server)
            d = 0  # the depth of the innermost init holding both
            while d < len(cp) - 1 and d < len(sp) - 1 and cp[d] == sp[d]:
                d += 1
            rel = cp[d:]
        return " -> ".join(rel) + (" -> " + label if label else "")

    policies = {}  # (server or None, service) -> set of exact labels
    uses = []      # (client, service, label, server or None)
    order = leaves[:]
    rng.shuffle(order)
    for i, client in enumerate(order):
        for _ in range(rng.randint(0, 3)):
            label = rng.choice(["", "", "x", "y"])
            if rng.random() < 0.25:
                svc, server = rng.choice(PARENT_SERVICES), None
            elif i > 0:
                svc, server = rng.choice(SERVICES), rng.choice(order[:i])
            else:
                continue
            if any(u[0] == client and u[1] == svc and u[2] == label for u in uses):
                continue
            uses.append((client, svc, label, server))
            policies.setdefault((server, svc), set()).add(seen_by(client, label, server))
    # keep the uses exactly one server takes
    routes = []
    kept = []
    for client, svc, label, server in uses:
        takers = [s for (s, v), labs in policies.items() if v == svc and s != client and
                  seen_by(client, label, s) in labs]
        mine = [s for (s, v), labs in policies.items() if v == svc and s == client and
                seen_by(client, label, s) in labs]
        if takers == [server] and not mine:
            kept.append((client, svc, label, server))
    # only the policies some kept use matches: an unused one says nothing
    # Genode's policy list (one per server, for all its services) can carry
    used = {}
    for client, svc, label, server in kept:
        used.setdefault((server, svc), set()).add(seen_by(client, label, server))
    policies = used
    for client, svc, label, server in kept:
        children[client]["uses"].append({"service": svc, "label": label})
        routes.append("%s|%s|%s" % (client, "(parent)" if server is None else server,
                                    svc + (' \\"%s\\"' % label if label else "")))
    for (server, svc), labs in sorted(policies.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        if server is None:
            continue
        children[server]["provides"].append(
            {"name": svc, "policies": [{"label": {"exact": l}} for l in sorted(labs)]})
    parent = [{"name": svc, "path": "/run/host-%s.sock" % svc,
               "policies": [{"label": {"exact": l}} for l in sorted(labs)]}
              for (server, svc), labs in sorted(policies.items(), key=lambda kv: kv[0][1])
              if server is None]
    system = {"name": "prop", "ram": ram + (8 << 20), "caps": caps + 64, "children": children}
    if parent:
        system["parent"] = parent
    return system, routes


def main():
    count, prefix = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261122)
    for i in range(count):
        system, routes = gen(rng)
        with open("%s%d.json" % (prefix, i), "w") as f:
            json.dump(system, f, indent=1)
        with open("%s%d.routes" % (prefix, i), "w") as f:
            f.write("".join(r + "\n" for r in routes))


main()
