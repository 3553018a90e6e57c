#!/usr/bin/env bats
# scripts/lab-check.sh: each lab's check passes on the phase that is its solution, and reports
# the lab's behaviours as failing for a build that has not done the lab (an earlier phase's
# binary, which is where lab-start leaves a learner). Needs root and the builds of every phase
# in BUILD_DIR (scripts/test.sh runs it after building them).

load helpers

setup() {
    BUILD=${BUILD_DIR:-$REPO_ROOT/build}
    export ROOTFS_CACHE=${ROOTFS_CACHE:-$BUILD/rootfs}
    LC=$REPO_ROOT/scripts/lab-check.sh
    ((EUID == 0)) || skip "lab-check runs the OCI suite: needs root"
}

bin_of() { # bin_of N: the build of phase N
    local b
    for b in "$BUILD"/phase"$1"-*/rung; do [[ -x $b ]] && echo "$b"; done
}

# lab_check N [RUNG]: lab-check of lab N, against RUNG (default: the build of phase N), with none
# of this suite's Bats variables in its way.
lab_check() {
    local rung=${2:-$(bin_of "$1")}
    [[ -n $rung ]] || fail "phase $1 is not built in $BUILD"
    run env -u BATS_RUN_TMPDIR -u BATS_TEST_FILENAME -u BATS_TEST_DIRNAME RUNG="$rung" \
        LAB_TIMEOUT=30 "$LC" "$1"
}

# The hints file's test count: the lines that tie a test to a task.
tests_of_lab() { grep -cE '^[a-z]+/[^ ]+\.bats \| ' "$REPO_ROOT/docs/labs/phase$1.hints"; }

@test "lab-check passes every behaviour of each lab on the phase that solves it" {
    local n total
    for n in 1 2 3 4 5; do
        lab_check "$n"
        assert_success
        refute_line --partial 'FAIL'
        # tests/vm lines are listed, not run, and not counted.
        total=$(grep -cE '^oci/[^ ]+\.bats \| ' "$REPO_ROOT/docs/labs/phase$n.hints")
        assert_line "$total of $total behaviours pass: lab $n is done (compare with the solution: git diff -R -- phase$n-*)"
    done
}

@test "lab-check of lab 2 against phase 1's binary, where lab-start leaves a learner, fails every behaviour with its hint" {
    lab_check 2 "$(bin_of 1)"
    assert_failure 1
    local total
    total=$(tests_of_lab 2)
    assert_line "0 of $total behaviours pass; $total still fail"
    assert_equal "$(printf '%s\n' "$output" | grep -c '^  FAIL  ')" "$total"
    assert_equal "$(printf '%s\n' "$output" | grep -c '^        hint: ')" "$total"
    assert_line '  FAIL  invalid IDs are refused before anything is written  (tests/oci/02-lifecycle.bats)'
}

@test "lab 1's starting point applies to phase 1, and lab-check fails lab 1 for a binary of another phase" {
    git -C "$REPO_ROOT" apply --check docs/labs/phase1-start.patch
    lab_check 1 "$(bin_of 2)"
    assert_failure 1
    assert_line --partial "0 of $(tests_of_lab 1) behaviours pass"
}

@test "lab-check refuses a lab that does not exist, and a hints line naming a test the suite lacks" {
    local stderr # set by run --separate-stderr
    run --separate-stderr "$LC" 9
    assert_failure 2
    assert_equal "$stderr" 'lab-check: there is no lab for phase 9 (docs/labs/phase9.hints does not exist)'
    # A copy of the repository's scripts and docs with one test renamed in the hints.
    local copy=$BATS_TEST_TMPDIR/repo
    mkdir -p "$copy/scripts" "$copy/docs/labs"
    cp "$LC" "$copy/scripts/"
    cp -r "$REPO_ROOT/tests" "$copy/tests"
    sed '0,/^oci\/01-namespaces.bats | the hostname/s//oci\/01-namespaces.bats | the hostname, renamed/' \
        "$REPO_ROOT/docs/labs/phase1.hints" >"$copy/docs/labs/phase1.hints"
    run --separate-stderr env RUNG="$(bin_of 1)" "$copy/scripts/lab-check.sh" 1
    assert_failure 2
    assert_equal "$stderr" "lab-check: docs/labs/phase1.hints: tests/oci/01-namespaces.bats has no test \"the hostname, renamed is the container's, not the host's\""
}
