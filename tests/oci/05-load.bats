#!/usr/bin/env bats
# Load (issue 13, item 4): 200 containers created and started, 4 at a time; all reach running;
# all deleted, 4 at a time; then nothing is left: no state, cgroup, mount or process. And a
# race for one ID has exactly one winner. RUNG_LOAD=N changes the number of containers.

load helpers

setup() {
    setup_bundle
    NAP=44$$
    CGROUP2=/sys/fs/cgroup/unified
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || CGROUP2=/sys/fs/cgroup
    export RUNG ROOT BUNDLE BATS_TEST_TMPDIR
}

teardown() {
    teardown_bundle
}

# leftovers PREFIX: what is left of the containers whose IDs start with PREFIX.
leftovers() {
    local found
    found=$(shopt -s nullglob && echo "$ROOT/$1"*)
    [[ -z $found ]] || echo "state: $(echo "$found" | wc -w) dirs"
    found=$(shopt -s nullglob && echo "$CGROUP2/rung/$1"*)
    ((PHASE < 4)) || [[ -z $found ]] || echo "cgroups: $(echo "$found" | wc -w)"
    (($(mounts_below_tmpdir) == 0)) || echo "mounts below $BATS_TEST_TMPDIR"
    if pgrep -f -- "[-]-root $ROOT |[s]leep $NAP\$" >/dev/null; then echo "processes"; fi
}

no_leftovers() {
    [[ -z $(leftovers "$1") ]]
}

@test "load: 200 containers created and started 4 at a time, all running, all deleted, none left" {
    require_phase 5
    local n=${RUNG_LOAD:-200}
    set_args sleep "$NAP"
    # Output to files: each init keeps create's stdout and stderr open.
    seq "$n" | xargs -P 4 -I{} bash -c \
        '"$RUNG" --root "$ROOT" create --bundle "$BUNDLE" l{} >"$BATS_TEST_TMPDIR/c{}" 2>&1 </dev/null &&
         "$RUNG" --root "$ROOT" start l{} >>"$BATS_TEST_TMPDIR/c{}" 2>&1 ||
         { echo "l{}: $(cat "$BATS_TEST_TMPDIR/c{}")"; exit 255; }' ||
        fail "not every container was created and started"
    run rung list --format json
    assert_success
    assert_equal "$(jq '[.[] | select(.status == "running")] | length' <<<"$output")" "$n"
    seq "$n" | xargs -P 4 -I{} bash -c \
        '"$RUNG" --root "$ROOT" delete --force l{} || exit 255' || fail "a delete failed"
    wait_for no_leftovers l || fail "left: $(leftovers l | paste -sd,)"
    echo "# $n containers, 4 at a time" >&3
}

@test "load: 8 creates of one ID at once have exactly one winner, 10 times over" {
    require_phase 5
    set_args sleep "$NAP"
    local round won
    for round in $(seq 10); do
        seq 8 | xargs -P 8 -I{} bash -c \
            '"$RUNG" --root "$ROOT" create --bundle "$BUNDLE" same >"$BATS_TEST_TMPDIR/race{}" 2>&1 </dev/null; echo $? >"$BATS_TEST_TMPDIR/race{}.rc"'
        won=$(grep -lx 0 "$BATS_TEST_TMPDIR"/race*.rc | wc -l)
        assert_equal "$won" 1
        # The losers say why, in one line each.
        local f
        for f in "$BATS_TEST_TMPDIR"/race?; do
            [[ $(cat "$f.rc") == 0 ]] && continue
            assert_equal "$(wc -l <"$f")" 1
            grep -q 'already exists' "$f" || fail "round $round: $(cat "$f")"
        done
        assert_equal "$(container_status same)" created
        rung delete --force same
        rm -f "$BATS_TEST_TMPDIR"/race*
        wait_for no_leftovers same || fail "left: $(leftovers same | paste -sd,)"
    done
}
