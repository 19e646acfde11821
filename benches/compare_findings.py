#!/usr/bin/env python3
"""Compares two kubeward JSON reports by (rule, object, field path): which findings of BEFORE
are missing from AFTER (merged facets of AFTER expanded; severities and messages ignored).

  python3 benches/compare_findings.py before.json after.json
Exits 1 when a finding was lost. Standard library only."""
import collections
import json
import sys


def keys(report, facets):
    out = collections.Counter()
    for f in report["findings"]:
        o = f["object"]
        obj = (o["kind"], o.get("namespace"), o["name"])
        out[(f["rule"],) + obj + (f["path"],)] += 1
        if facets:
            for x in f.get("facets", []):
                out[(x["rule"],) + obj + (x["path"],)] += 1
    return out


def main():
    before = keys(json.load(open(sys.argv[1])), False)
    after = keys(json.load(open(sys.argv[2])), True)
    lost, new = before - after, after - before
    print(f"before {sum(before.values())} after {sum(after.values())} "
          f"lost {sum(lost.values())} new {sum(new.values())}")
    for k in list(lost)[:20]:
        print("  lost", k)
    print("new by rule", collections.Counter(k[0] for k in new).most_common(12))
    print("new by kind", collections.Counter(k[1] for k in new).most_common(12))
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
