#!/usr/bin/env bats
# scripts/phase-diff: the summary and the diff between any two phases. Needs no root and no
# build: it reads the phase directories only.

load helpers

setup() {
    PD=$REPO_ROOT/scripts/phase-diff
    PHASES=()
    local d
    for d in "$REPO_ROOT"/phase[0-9]-*/; do
        d=${d%/} && d=${d##*/phase}
        PHASES+=("${d%%-*}")
    done
}

dir_of() { # dir_of N: phaseN-name
    local d
    for d in "$REPO_ROOT"/phase"$1"-*/; do
        d=${d%/} && echo "${d##*/}"
    done
}

@test "phase-diff N M, for every pair of phases, is a diff that turns phase N into phase M" {
    ((${#PHASES[@]} >= 2))
    for n in "${PHASES[@]}"; do
        for m in "${PHASES[@]}"; do
            ((n != m)) || continue
            run --separate-stderr "$PD" "$n" "$m"
            assert_success
            # The diff starts at the first "diff --git"; git apply -p2 strips a/phaseN-name/.
            printf '%s\n' "$output" | sed -n '/^diff --git /,$p' >"$BATS_TEST_TMPDIR/d"
            local copy=$BATS_TEST_TMPDIR/copy-$n-$m
            cp -r "$REPO_ROOT/$(dir_of "$n")" "$copy"
            (cd "$copy" && git apply -p2 "$BATS_TEST_TMPDIR/d")
            diff -r "$copy" "$REPO_ROOT/$(dir_of "$m")"
        done
    done
}

@test "phase-diff's summary names each file that differs once, with the lines diff counts" {
    run "$PD" --stat 3 4
    assert_success
    assert_line --index 0 --regexp '^phase-diff 3 4: phase3-[a-z]+ -> phase4-[a-z]+ \(chapter 4: docs/04-.*\.md\)$'
    refute_output --partial 'diff --git'
    local from to
    from=$REPO_ROOT/$(dir_of 3) to=$REPO_ROOT/$(dir_of 4)
    # diff -rq lists each file that differs or is only on one side, once.
    local differ
    differ=$(diff -rq "$from" "$to" | wc -l || true)
    [[ $(printf '%s\n' "$output" | grep -cE '^  (added|changed|removed) ') -eq $differ ]]
    # An added file counts all its lines, a changed one what diff marks > and <.
    assert_line --regexp "^  added +cgroups\.cpp +\+$(wc -l <"$to/cgroups.cpp") -0$"
    local p q
    p=$(diff "$from/init.cpp" "$to/init.cpp" | grep -c '^>' || true)
    q=$(diff "$from/init.cpp" "$to/init.cpp" | grep -c '^<' || true)
    assert_line --regexp "^  changed +init\.cpp +\+$p -$q$"
    assert_line --regexp '^[0-9]+ added, [0-9]+ changed, 0 removed: \+[0-9]+ -[0-9]+ lines$'
}

@test "phase-diff the other way round says so and lists the later phase's files as removed" {
    run "$PD" --stat 4 3
    assert_success
    assert_line --index 0 --partial '(the reverse: what chapter 4 would take away)'
    assert_line --regexp '^  removed +cgroups\.cpp +\+0 -[0-9]+$'
    run "$PD" --stat 1 5
    assert_success
    assert_line --index 0 --partial '(chapters 2 to 5)'
}

@test "phase-diff of a phase with itself is an empty summary" {
    run "$PD" 2 2
    assert_success
    assert_line --index 1 '0 added, 0 changed, 0 removed: +0 -0 lines'
    assert_equal "${#lines[@]}" 2
}

@test "phase-diff refuses a phase that does not exist, a word and a missing argument in one line" {
    local stderr # set by run --separate-stderr
    run --separate-stderr "$PD" 1 9
    assert_failure 2
    assert_equal "$stderr" 'phase-diff: there is no phase 9 (no phase9-*/ directory here)'
    run --separate-stderr "$PD" one 2
    assert_failure 2
    assert_equal "$stderr" 'phase-diff: "one" is not a phase number'
    run --separate-stderr "$PD" 1
    assert_failure 2
    assert_equal "$stderr" 'usage: scripts/phase-diff [--stat] N M   (N and M are phase numbers, 1 to 5)'
    run --separate-stderr "$PD" --color 1 2
    assert_failure 2
    assert_equal "${stderr%%$'\n'*}" 'phase-diff: unknown flag "--color"'
}
