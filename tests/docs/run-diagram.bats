#!/usr/bin/env bats
# scripts/run-diagram: a JSON debug log becomes a timeline (SVG) and its steps (text); and
# scripts/doc-test.sh fails when a chapter's committed steps differ from a fresh run's.
# The first tests need no root and no build: they read tests/docs/data/run-diagram.log, a
# hand-written log of a run with a createRuntime hook.

# shellcheck disable=SC2154 # bats sets $stderr (run --separate-stderr)
load helpers

setup() {
    RD=$REPO_ROOT/scripts/run-diagram
    DATA=$BATS_TEST_DIRNAME/data
    OUT=$BATS_TEST_TMPDIR/out
    mkdir -p "$OUT"
}

# svg_texts FILE: the text of the SVG's <text> elements, one a line.
svg_texts() {
    grep -o '<text[^>]*>[^<]*</text>\|<tspan[^>]*>[^<]*' "$1" | sed 's/<[^>]*>//g'
}

@test "run-diagram: lanes for rung, init and the hook, a bar per rule, the title with the total time" {
    run "$RD" --title "a test run" "$DATA/run-diagram.log" "$OUT/run.svg" --steps "$OUT/run.steps"
    assert_success
    assert_output ""
    diff -u "$DATA/run-diagram.steps" "$OUT/run.steps"
    run svg_texts "$OUT/run.svg"
    # The lanes, in the order they first speak; the hook's child, which narrates as [rung], has
    # a lane of its own.
    assert_line "rung"
    assert_line "init"
    assert_line "hook createRuntime"
    # Labels: the syscall, the step's leading words, the sync message, execve's program.
    assert_line "clone3"
    assert_line "init is pid"
    assert_line "send mounted"
    assert_line "execve true"
    # The two mounts of one rule are one bar; the rules are shown.
    assert_line "mount (2 steps)"
    assert_line "config.md: mounts"
    assert_line "runtime.md: Create, the ID MUST be unique"
    # Durations: the two mounts from 2.5 to 3.5 ms (the step after them); the hook's execve
    # until rung reaps the hook (waitpid 4243 at 7 ms), init's execve until waitpid 4242 at 10.
    assert_line "1.00 ms"
    assert_line "2.50 ms"
    assert_line "a test run: 10.0 ms from the first step to the last"
    # The warning without a lane is no step.
    refute_output --partial "not applied"
}

@test "run-diagram: too many bars for one picture group by the rule's section" {
    local log=$OUT/many.log i
    for i in $(seq 10 59); do
        printf '{"level":"debug","msg":"[init] mount(\\"m%s\\")   # config.md: mounts, destination %s","time":"2026-12-01T10:00:00.0000%s000Z"}\n' \
            "$i" "$i" "$i"
    done >"$log"
    run "$RD" "$log" --steps "$OUT/many.steps"
    assert_success
    run cat "$OUT/many.steps"
    assert_output "$(printf 'init\tmount\tconfig.md: mounts')"
    # 40 such lines are few enough for a bar each.
    head -40 "$log" >"$OUT/few.log"
    "$RD" "$OUT/few.log" --steps "$OUT/few.steps"
    [[ $(wc -l <"$OUT/few.steps") -eq 40 ]]
    grep -qxF "$(printf 'init\tmount\tconfig.md: mounts, destination 10')" "$OUT/few.steps"
}

@test "run-diagram: a log that is not JSON, empty or missing is one line, exit status 1, no output" {
    printf 'rung: run: this is text\n' >"$OUT/text.log"
    : >"$OUT/empty.log"
    printf '{"level":"debug","msg":"[rung] x()","time":"yesterday"}\n' >"$OUT/badtime.log"
    printf '{"level":"warning","msg":"no lane","time":"2026-12-01T10:00:00Z"}\n' >"$OUT/nolane.log"
    local log reason
    while IFS='|' read -r log reason; do
        run --separate-stderr "$RD" "$log" "$OUT/x.svg" --steps "$OUT/x.steps"
        assert_failure 1
        assert_output ""
        [[ $(printf '%s\n' "$stderr" | wc -l) -eq 1 ]]
        [[ $stderr == "run-diagram: $log"*"$reason"* ]] || {
            echo "stderr: $stderr"
            false
        }
        [[ ! -e $OUT/x.svg && ! -e $OUT/x.steps ]]
        run ls "$OUT"
        refute_output --partial .tmp
    done <<EOF
$OUT/text.log|:1: not JSON
$OUT/empty.log|empty
$OUT/missing.log|No such file or directory
$OUT/badtime.log|:1: "time" is not an RFC 3339 UTC time
$OUT/nolane.log|no narrated steps
EOF
    run --separate-stderr "$RD" "$DATA/run-diagram.log"
    assert_failure 1
    [[ $stderr == "run-diagram: usage: "* ]]
}

@test "doc-test: a chapter's run diagram passes with its committed steps and fails on tampered ones" {
    ((EUID == 0)) || skip "a fresh run of phase 1 needs root"
    local doc=$OUT/chapter.md build=${BUILD_DIR:-$REPO_ROOT/build}
    compgen -G "$build/phase1-*/rung" >/dev/null ||
        fail "no build of phase 1 in $build (BUILD_DIR): scripts/test.sh builds it first"
    mkdir "$OUT/img"
    cp "$REPO_ROOT/docs/img/run-phase1.steps" "$OUT/img/"
    printf '# A chapter\n\n![phase 1](img/run-phase1.svg)\n' >"$doc"
    run "$REPO_ROOT/scripts/doc-test.sh" "$doc"
    assert_success
    assert_line "ok    $doc:3: run diagram of phase 1 ($OUT/img/run-phase1.steps)"
    assert_line "1 of 1 run diagrams match their steps"
    # A step renamed in the committed file: the fresh run no longer matches, and the diff says how.
    sed -i 's/^init\tchroot\t/init\tpivot_root\t/' "$OUT/img/run-phase1.steps"
    run "$REPO_ROOT/scripts/doc-test.sh" "$doc"
    assert_failure 1
    assert_line --partial "FAIL  $doc:3: run diagram of phase 1 ($OUT/img/run-phase1.steps): the step sequence drifted from the code"
    assert_line --regexp $'^      -init\tpivot_root\t'
    assert_line --regexp $'^      \\+init\tchroot\t'
    assert_line "0 of 1 run diagrams match their steps"
    # --update redraws the picture and the steps from the fresh run: then it matches again.
    run "$REPO_ROOT/scripts/doc-test.sh" --update "$doc"
    assert_success
    assert_line "1 of 1 run diagrams redrawn"
    grep -q '<svg' "$OUT/img/run-phase1.svg"
    diff "$REPO_ROOT/docs/img/run-phase1.steps" "$OUT/img/run-phase1.steps"
}
