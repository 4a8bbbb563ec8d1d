#!/usr/bin/env python3
"""bench/system_gen.py OUT.json [CHILDREN] [POLICIES] [PACKAGE OUT.dhall] — a
generated system for the checker benchmark (deterministic): CHILDREN children
(default 1000), a tenth of them servers, each providing one service whose
policies (POLICIES in all, default 5000) name clients exactly or by prefix;
every client uses as many services as policies name it, each use matched by
exactly one policy. With PACKAGE (the path of dhall/Sigil/package.dhall) the
same system is also written to OUT.dhall as a person would write it with the
package: a completion (Sigil.Child::{ … }) per child, policy, service and use,
so that checking it includes evaluating it."""
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


def dhall(system, package):
    q = json.dumps  # a JSON string without control characters is a Dhall text literal
    lines = ["let Sigil = %s" % package, "", "in  Sigil.System::{",
             "    , name = %s" % q(system["name"]), "    , ram = %d" % system["ram"],
             "    , caps = %d" % system["caps"], "    , children = toMap"]
    for i, (name, c) in enumerate(system["children"].items()):
        fields = ["binary = %s" % q(c["binary"]),
                  "resources = Sigil.Resources::{ ram = %d, caps = %d }"
                  % (c["resources"]["ram"], c["resources"]["caps"])]
        if "provides" in c:
            services = []
            for sv in c["provides"]:
                pols = ", ".join(
                    "Sigil.Policy::{ label = Sigil.label.%s %s, attributes = toMap { %s } }"
                    % (kind, q(value), ", ".join("%s = %s" % (k, q(v)) for k, v in p["attributes"].items()))
                    for p in sv["policies"] for kind, value in p["label"].items())
                services.append("Sigil.Service::{ name = %s, policies = [ %s ] }" % (q(sv["name"]), pols))
            fields.append("provides = [ %s ]" % ", ".join(services))
        if c.get("uses"):
            fields.append("uses = [ %s ]" % ", ".join(
                "Sigil.Use::{ service = %s, label = %s }" % (q(u["service"]), q(u["label"])) for u in c["uses"]))
        lines.append("        %s %s = Sigil.Child::{ %s }" % ("," if i else "{", name, ", ".join(fields)))
    lines += ["        }", "    }"]
    return "\n".join(lines) + "\n"


if len(sys.argv) > 5:
    open(sys.argv[5], "w").write(dhall(system, sys.argv[4]))
