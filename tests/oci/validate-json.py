#!/usr/bin/env python3
# validate-json.py SCHEMA [FILE]: check the JSON document FILE (default: stdin) against SCHEMA, a
# JSON Schema whose relative $refs name files next to it. Prints the first violation and exits 1.
# Needs python3-jsonschema (scripts/deps.sh installs it).
import json
import pathlib
import sys
import warnings

import jsonschema

schema_path = pathlib.Path(sys.argv[1]).resolve()
doc = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
schema = json.loads(schema_path.read_text())
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver: fine for file refs
    resolver = jsonschema.RefResolver(schema_path.parent.as_uri() + "/", schema)
    validator = jsonschema.Draft4Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
if errors:
    e = errors[0]
    print(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}", file=sys.stderr)
    sys.exit(1)
