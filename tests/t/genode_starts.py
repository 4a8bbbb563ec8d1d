#!/usr/bin/env python3
"""tests/t/genode_starts.py ORIGINAL.xml RENDERED.xml — compares what two
Genode init configs start: every <start> (those of nested inits as
"init -> child"), its RAM quantum, its caps (the <default caps> of its
config when it names none; a start with neither has 0, as Genode gives it)
and the services it provides. A test-init scenario (no <start> at the top,
<init_config> steps) is compared at its first step, which is what
`sigil genode --import` takes. Prints each difference and exits 1 on any."""
import sys
import xml.etree.ElementTree as ET


def quantity(s):
    s = s.strip()
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if s and s[-1].upper() in units:
        return int(float(s[:-1]) * units[s[-1].upper()])
    return int(s)


def starts(config, prefix, out, default_caps):
    d = config.find("default")
    if d is not None and d.get("caps"):
        default_caps = int(d.get("caps"))
    for st in config.findall("start"):
        name = prefix + st.get("name")
        ram = 0
        for r in st.findall("resource"):
            if r.get("name") == "RAM":
                ram = quantity(r.get("quantum"))
        caps = int(st.get("caps")) if st.get("caps") else default_caps
        provides = sorted(s.get("name") for p in st.findall("provides") for s in p.findall("service"))
        out[name] = {"ram": ram, "caps": caps, "provides": provides}
        sub = st.find("config")
        if sub is not None and sub.find("start") is not None:
            starts(sub, name + " -> ", out, default_caps)
    return out


def config_of(path):
    root = ET.parse(path).getroot()
    if root.find("start") is None and root.find("init_config") is not None:
        return root.find("init_config")
    return root


a = starts(config_of(sys.argv[1]), "", {}, 0)
b = starts(config_of(sys.argv[2]), "", {}, 0)
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
for k in bad:
    print("%s: original %s, rendered %s" % (k, a.get(k), b.get(k)))
print("%d starts, %d differ" % (len(a), len(bad)))
sys.exit(1 if bad or not a and b else 0)
