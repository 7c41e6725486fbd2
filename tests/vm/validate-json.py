#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""validate-json.py SCHEMA_DIR FILE:SCHEMA [FILE:SCHEMA...]

Check pasidctl's JSON against the schemas in SCHEMA_DIR (cli/schema).
SCHEMA is a schema's base name (dev-show, proc-show, monitor, apply,
apply-file, status, error). A FILE checked against monitor holds one JSON
object per line, as "pasidctl -j monitor" prints them: every non-empty line
is checked; any other FILE is one JSON document. TAP on stdout, one test
per FILE:SCHEMA; exits 1 if any fails, 2 on a usage error.
"""
import json
import sys

import jsonschema

LINE_SCHEMAS = ("monitor",)


def where(err):
    """The JSON path of an error's instance, e.g. $.dev[0].mode."""
    path = "$"
    for p in err.absolute_path:
        path += "[%d]" % p if isinstance(p, int) else ".%s" % p
    return path


def load_validator(schema_dir, name, cache):
    if name not in cache:
        with open("%s/%s.json" % (schema_dir, name), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        cache[name] = cls(schema)
    return cache[name]


def first_error(validator, doc):
    err = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if err is None:
        return None
    return "%s, at %s" % (err.message, where(err))


def check(schema_dir, file, name, cache):
    """None if FILE is valid against schema NAME, else why not."""
    try:
        validator = load_validator(schema_dir, name, cache)
    except (OSError, ValueError) as e:
        return "schema %s: %s" % (name, e)
    except jsonschema.exceptions.SchemaError as e:
        return "schema %s is not a valid schema: %s" % (name, e.message)
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        return str(e)
    if name not in LINE_SCHEMAS:
        try:
            doc = json.loads(text)
        except ValueError as e:
            return "not valid JSON: %s" % e
        return first_error(validator, doc)
    lines = 0
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines += 1
        try:
            doc = json.loads(line)
        except ValueError as e:
            return "line %d: not valid JSON: %s" % (no, e)
        why = first_error(validator, doc)
        if why:
            return "line %d: %s" % (no, why)
    return None if lines else "no JSON lines"


def main(argv):
    if len(argv) < 3 or any(":" not in a for a in argv[2:]):
        sys.stderr.write("usage: validate-json.py SCHEMA_DIR FILE:SCHEMA [FILE:SCHEMA...]\n")
        return 2
    schema_dir = argv[1]
    pairs = [a.rsplit(":", 1) for a in argv[2:]]
    cache = {}
    failed = False
    print("TAP version 13")
    print("1..%d" % len(pairs))
    for i, (file, name) in enumerate(pairs, 1):
        why = check(schema_dir, file, name, cache)
        if why is None:
            print("ok %d - %s valid against %s" % (i, file, name))
        else:
            failed = True
            print("not ok %d - %s: %s" % (i, file, " ".join(why.split())))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
