#!/usr/bin/env python3
"""bench/dhall_gen.py OUTDIR — writes the Dhall benchmark inputs (deterministic):

  records.dhall  a list of 50,000 records (about 5 MB), already in normal form
  nested.dhall   about 1 MB: a list of records of lists nested 1,000 deep
"""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

recs = []
for i in range(50000):
    recs.append('{ name = "svc-%d", port = %d, on = %s, tags = [ "t%d" ], '
                'ratio = %d.5, user = { uid = %d } }'
                % (i, 1000 + i % 5000, "True" if i % 2 else "False", i % 97, i % 7, i))
with open(os.path.join(out, "records.dhall"), "w") as f:
    f.write("[ " + "\n, ".join(recs) + "\n]\n")

depth, items = 1000, 0
parts = []
size = 0
while size < 1_000_000:
    s = "{ a = [ " * depth + str(items) + " ] }" * depth
    parts.append(s)
    size += len(s)
    items += 1
with open(os.path.join(out, "nested.dhall"), "w") as f:
    f.write("[ " + "\n, ".join(parts) + "\n]\n")
