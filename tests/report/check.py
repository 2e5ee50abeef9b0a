#!/usr/bin/python3
"""tests/report/check.py - compares tl-report --json (GOT) with the
reference of sklearn_ref.py (WANT): every number of WANT within TOL
(absolute), counts exactly.  Prints one line per mismatch; exit 1 if any.

usage: check.py GOT WANT [TOL]
"""
import json
import sys

got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
bad = []


def near(name, g, w):
    if g is None or abs(g - w) > tol:
        bad.append("%s: got %r want %r" % (name, g, w))


for key, w in want.items():
    if key == "per_class":
        for c, stats in w.items():
            for m, v in stats.items():
                near("%s[%s]" % (m, c), got["per_class"][c][m], v)
    elif key == "confusion":
        if got["confusion"] != w:
            bad.append("confusion: got %r want %r" % (got["confusion"], w))
    else:
        near(key, got["metrics"][key]["value"], w)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
