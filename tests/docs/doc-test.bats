#!/usr/bin/env bats
# scripts/doc-test.sh: the transcripts marked <!-- doc-test --> run, and their output matches.

load helpers

setup() {
    DT=$REPO_ROOT/scripts/doc-test.sh
}

@test "doc-test: every marked transcript of README.md and docs/ matches what its command prints" {
    run "$DT"
    assert_success
    refute_line --partial FAIL
    assert_line --regexp '^[1-9][0-9]* of [1-9][0-9]* transcript commands match$'
}

@test "doc-test: placeholders match numbers, IDs and the rest of a line; a wrong line fails with a diff" {
    local doc=$BATS_TEST_TMPDIR/t.md
    cat >"$doc" <<'DOC'
<!-- doc-test -->
```console
$ echo "pid 4242 of ctr-7.a, started 12:00:01 UTC"
pid {N} of {ID}, started {...}
$ printf 'a.b\n(c)\n'
a.b
(c)
```

```console
$ false
```
DOC
    run "$DT" "$doc"
    assert_success
    assert_line "2 of 2 transcript commands match"
    # The unmarked block is not run; a wrong line and an extra one fail, with a diff.
    sed -i 's/^(c)$/(d)/' "$doc"
    run "$DT" "$doc"
    assert_failure 1
    assert_line "FAIL  $doc:5: printf 'a.b\n(c)\n' (exit status 0)"
    assert_line '      < (d)'
    assert_line '      > (c)'
    # --update writes the real output in, and leaves the line with placeholders as it was.
    run "$DT" --update "$doc"
    assert_success
    assert_line "1 transcript commands updated"
    run "$DT" "$doc"
    assert_success
    grep -qx '(c)' "$doc"
    grep -qxF 'pid {N} of {ID}, started {...}' "$doc"
    # a.b as a pattern would match "axb": the dot is literal.
    printf '%s\n' '<!-- doc-test -->' '```console' '$ echo axb' 'a.b' '```' >"$doc"
    run "$DT" "$doc"
    assert_failure 1
}

@test "doc-test: a command that fails is a failure, even with its output as shown" {
    printf '%s\n' '<!-- doc-test -->' '```console' '$ echo out; exit 3' 'out' '```' >"$BATS_TEST_TMPDIR/f.md"
    run "$DT" "$BATS_TEST_TMPDIR/f.md"
    assert_failure 1
    assert_line --partial '(exit status 3)'
}
