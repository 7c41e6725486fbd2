#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum the results of every test suite of `make check` into one line.

    tests/summarize.py [--expect NAME ...] RESULT_DIR...

Reads, in each RESULT_DIR:
  kunit-*.tap   KUnit TAP, parsed with the kernel's own tools/testing/kunit
  *.tap         other TAP (kselftest harness, host checks, VM steps): the
                top-level "ok N" / "not ok N" lines, "# SKIP" counted apart
Prints one line per suite and ends with "N passed, N failed, N skipped".
Exits 1 when anything failed, when a suite has no result, or when an
expected suite (--expect, a file name without .tap) is missing: a run that
tested nothing must not look green.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KUNIT = os.path.join(os.environ.get("BUILD", os.path.join(TOP, "build")),
                     "linux", "tools", "testing", "kunit", "kunit.py")

TAP_LINE = re.compile(r"^(not )?ok \d+\b(.*)$")


def count_kunit_cases(node, counts):
    for case in node.get("test_cases", []):
        status = case.get("status", "FAIL")
        key = {"PASS": "pass", "SKIP": "skip"}.get(status, "fail")
        counts[key] += 1
    for sub in node.get("sub_groups", []):
        count_kunit_cases(sub, counts)


def kunit_counts(path):
    counts = {"pass": 0, "fail": 0, "skip": 0}
    with tempfile.NamedTemporaryFile(suffix=".json") as js:
        res = subprocess.run([sys.executable, KUNIT, "parse", "--json=" + js.name,
                              os.path.abspath(path)],
                             capture_output=True, text=True)
        try:
            with open(js.name) as f:
                data = json.load(f)
        except (OSError, ValueError):
            sys.stderr.write(res.stdout + res.stderr)
            counts["fail"] += 1
            return counts
    count_kunit_cases(data, counts)
    return counts


def tap_counts(path):
    counts = {"pass": 0, "fail": 0, "skip": 0}
    with open(path, errors="replace") as f:
        for line in f:
            m = TAP_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            if re.search(r"#\s*SKIP", m.group(2), re.I):
                counts["skip"] += 1
            elif m.group(1):
                counts["fail"] += 1
            else:
                counts["pass"] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()

    total = {"pass": 0, "fail": 0, "skip": 0}
    seen = set()
    bad = False
    for d in args.dirs:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".tap"):
                continue
            path = os.path.join(d, name)
            suite = name[:-4]
            seen.add(suite)
            c = kunit_counts(path) if name.startswith("kunit-") else tap_counts(path)
            if c["pass"] + c["fail"] + c["skip"] == 0:
                print(f"  {suite}: no results")
                bad = True
            else:
                print(f"  {suite}: {c['pass']} passed, {c['fail']} failed, "
                      f"{c['skip']} skipped")
            for k in total:
                total[k] += c[k]
    for e in args.expect:
        if e not in seen:
            print(f"  {e}: missing (the suite did not run)")
            total["fail"] += 1
    print(f"{total['pass']} passed, {total['fail']} failed, "
          f"{total['skip']} skipped")
    return 1 if bad or total["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
