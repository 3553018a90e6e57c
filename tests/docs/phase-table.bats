#!/usr/bin/env bats
# scripts/phase-table.sh: the README's table of what each phase passes, from a run's TAP streams.

load helpers

setup() {
    PT=$REPO_ROOT/scripts/phase-table.sh
    TAPS=$BATS_TEST_TMPDIR/build
    mkdir -p "$TAPS"
    # Two phases' streams of three real tests: one of 00-cli.bats, two of 01-namespaces.bats.
    cat >"$TAPS/oci-phase1-namespaces.tap" <<'TAP'
1..3
ok 1 no command at all is one line
ok 2 the hostname is the container's, not the host's
not ok 3 /proc is the container's own
TAP
    cat >"$TAPS/oci-phase2-lifecycle.tap" <<'TAP'
1..3
ok 1 no command at all is one line # skip needs phase 3 (this is phase 2)
ok 2 the hostname is the container's, not the host's
ok 3 /proc is the container's own
TAP
}

@test "phase-table counts each file's tests per phase: passed, failed apart, skipped as none" {
    run "$PT" "$TAPS"
    assert_success
    assert_line --index 0 '| tests/oci | tests | phase 1 | phase 2 |'
    assert_line '| 00-cli.bats | 1 | 1 | · |'
    assert_line '| 01-namespaces.bats | 2 | 1 (1 failed) | 2 |'
    assert_line '| **all** | **3** | **2** (1 failed) | **2** |'
}

@test "phase-table --readme replaces only its marked section, and refuses a README without one" {
    local copy=$BATS_TEST_TMPDIR/repo
    mkdir -p "$copy/scripts"
    cp "$PT" "$copy/scripts/"
    cp -r "$REPO_ROOT/tests" "$copy/tests"
    printf '%s\n' '# r' '<!-- phase-table begin -->' 'old' '<!-- phase-table end -->' 'after' >"$copy/README.md"
    run "$copy/scripts/phase-table.sh" --readme "$TAPS"
    assert_success
    run cat "$copy/README.md"
    assert_line --index 0 '# r'
    assert_line --index 1 '<!-- phase-table begin -->'
    assert_line --index 2 '| tests/oci | tests | phase 1 | phase 2 |'
    refute_line 'old'
    assert_line --index -1 'after'
    printf '# no section\n' >"$copy/README.md"
    run "$copy/scripts/phase-table.sh" --readme "$TAPS"
    assert_failure 2
}
