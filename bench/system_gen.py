#!/usr/bin/env python3
"""bench/system_gen.py OUT.json [CHILDREN] [POLICIES] — a generated system
for the checker benchmark (deterministic): CHILDREN children (default 1000),
a tenth of them servers, each providing one service whose policies (POLICIES
in all, default 5000) name clients exactly or by prefix; every client uses
as many services as policies name it, each use matched by exactly one policy."""
import json
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
npol = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
MiB = 1 << 20
servers = n // 10
clients = n - servers
children = {}
per = npol // servers
for s in range(servers):
    pols = []
    for k in range(per):
        c = (s * 7 + k * 13) % clients
        pols.append({"label": {"exact": "c%d -> s%d" % (c, s)}, "attributes": {"root": "/c%d" % c}})
    children["s%d" % s] = {"binary": "/usr/bin/server", "resources": {"ram": 4 * MiB, "caps": 32},
                           "provides": [{"name": "S%d" % s, "policies": pols}]}
uses = {}
for s in range(servers):
    for k in range(per):
        c = (s * 7 + k * 13) % clients
        uses.setdefault(c, []).append({"service": "S%d" % s, "label": "s%d" % s})
for c in range(clients):
    children["c%d" % c] = {"binary": "/usr/bin/client", "resources": {"ram": 2 * MiB, "caps": 16},
                           "uses": uses.get(c, [])}
system = {"name": "bench", "ram": 16 << 30, "caps": 100000, "children": children}
json.dump(system, open(out, "w"))
