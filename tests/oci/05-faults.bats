#!/usr/bin/env bats
# Fault injection at every step (issue 13, item 3). Each phase's `rung` has a fault point after
# each step of create, start, exec and delete (rung/fault.hpp) that does nothing; its twin,
# faults/<phase>/rung in the same build tree, is the same objects linked with live points:
# RUNG_FAULT=<point>:exit makes the process that reaches it fail there with "injected fault at
# <point>", RUNG_FAULT=<point>:kill makes it SIGKILL itself. For every point of this phase, found
# by name in its sources, both ways: the command fails, then `delete --force` leaves no state
# directory, cgroup, mount or process, and the ID works again.
#
# The twin is found beside $RUNG (BUILD/phaseN-NAME/rung -> BUILD/faults/phaseN-NAME/rung);
# RUNG_FAULT_BIN names another: a rung, or a build directory holding faults/phaseN-*/rung.

load helpers

setup() {
    setup_bundle
    NAP=43$$
    local bin=${RUNG_FAULT_BIN:-}
    if [[ -z $bin ]]; then
        bin=${RUNG%/*/rung}/faults/$(basename "$(dirname "$RUNG")")/rung
    elif [[ -d $bin ]]; then
        bin=$(echo "$bin"/faults/phase"$PHASE"-*/rung)
    fi
    FAULT_RUNG=$bin
    CGROUP2=/sys/fs/cgroup/unified
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || CGROUP2=/sys/fs/cgroup
}

teardown() {
    teardown_bundle
}

require_fault_build() {
    # Only a tree configured with -DRUNG_FAULT_TWINS=OFF, or a rung from elsewhere, lacks it.
    [[ -n ${RUNG_FAULT_BIN:-} || -x $FAULT_RUNG ]] ||
        skip "no fault twin of $RUNG at $FAULT_RUNG (a build with -DRUNG_FAULT_TWINS=ON has it)"
    [[ -x $FAULT_RUNG ]] || fail "RUNG_FAULT_BIN: no phase $PHASE rung at '$FAULT_RUNG'"
}

# frung [RUNG_FAULT] ARGS...: the fault build with this test's --root, the fault in its env.
frung() {
    local fault=$1
    shift
    RUNG_FAULT=$fault timeout 30 "$FAULT_RUNG" --root "$ROOT" "$@" </dev/null
}

# fault_points: every point of this phase's sources, one a line.
fault_points() {
    grep -ho 'fault::point("[^"]*")' "$REPO_ROOT"/phase"$PHASE"-*/*.cpp | sed 's/.*("\(.*\)")/\1/' |
        sort -u
}

# stage_of POINT: the command whose environment gets RUNG_FAULT, and the one expected to fail,
# as "inject:fail". init inherits create's environment, so a point init reaches after start
# is still injected at create. Once init has sent "ready" the runtime no longer listens to it:
# a failure of init after that is seen by start.
stage_of() {
    case $1 in
    init:ready | init:committed) echo create:start ;;
    init:started | hook:startContainer | process:*) echo create:start ;;
    start:* | hook:poststart) echo start:start ;;
    exec:*) echo exec:exec ;;
    destroy:* | hook:poststop) echo delete:delete ;;
    *) echo create:create ;;
    esac
}

# leftovers ID: what is left of ID, one line per thing; empty when nothing.
leftovers() {
    local id=$1
    [[ ! -e $ROOT/$id ]] || echo "state dir $ROOT/$id"
    ((PHASE < 4)) || [[ ! -e $CGROUP2/rung/$id ]] || echo "cgroup $CGROUP2/rung/$id"
    # (MOUNTS: the test's own, a tmpfs as --root.)
    (($(mounts_below_tmpdir) == ${MOUNTS:-0})) || echo "mounts below $BATS_TEST_TMPDIR"
    if pgrep -f -- "[-]-root $ROOT .* $id\$|[s]leep $NAP\$" >/dev/null; then echo "processes"; fi
}

# status_is ID STATUS: `state ID` says STATUS now (for wait_for).
status_is() {
    [[ $(timeout 30 "$RUNG" --root "$ROOT" state "$1" | jq -r .status) == "$2" ]]
}

no_leftovers() {
    [[ -z $(leftovers "$1") ]]
}

# one_fault POINT MODE ID: inject, check the failure, recover; prints what went wrong, if any.
one_fault() {
    local point=$1 mode=$2 id=$3 stage inject failing cmd out status
    stage=$(stage_of "$point")
    inject=${stage%:*} failing=${stage#*:}
    local cmds=(create start exec delete)
    ((PHASE >= 3)) || cmds=(create start delete) # exec comes with phase 3
    for cmd in "${cmds[@]}"; do
        local fault=""
        [[ $cmd != "$inject" ]] || fault=$point:$mode
        status=0
        # To a file: init keeps create's stdout and stderr open, a pipe would wait for it.
        case $cmd in
        create) frung "$fault" create --bundle "$BUNDLE" "$id" ;;
        start) frung "$fault" start "$id" ;;
        exec) frung "$fault" exec "$id" true ;;
        delete) frung "$fault" delete --force "$id" ;;
        esac >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
        out=$(<"$BATS_TEST_TMPDIR/out")
        if [[ $cmd == "$failing" ]]; then
            if [[ $inject != "$failing" && $mode == kill && $status == 0 ]]; then
                # init killed past the start byte: its FIFO closes as an execve would close it,
                # and start returns as runc's does (it does not wait for the execve). The
                # container is stopped once the kernel has finished init's exit, which may come
                # a moment after its FIFO closed.
                wait_for status_is "$id" stopped ||
                    echo "$point:$mode: start succeeded and the container is not stopped"
            elif ((status == 0)); then
                echo "$point:$mode: $cmd succeeded"
            elif [[ $mode == exit && $point != init:ready && $point != init:committed &&
                $out != *"injected fault at $point"* ]]; then
                # (init:ready and init:committed report to a runtime that has gone.)
                echo "$point:$mode: $cmd did not fail at the point: $out"
            fi
            break
        fi
        ((status == 0)) || {
            echo "$point:$mode: $cmd failed before the point: $out"
            break
        }
    done
    out=$(timeout 30 "$RUNG" --root "$ROOT" delete --force "$id" 2>&1) ||
        echo "$point:$mode: delete --force failed: $out"
    wait_for no_leftovers "$id" || echo "$point:$mode: left: $(leftovers "$id" | paste -sd,)"
    # The ID again, without a fault, from create to delete.
    { frung "" create --bundle "$BUNDLE" "$id" && frung "" start "$id" &&
        frung "" delete --force "$id"; } >"$BATS_TEST_TMPDIR/out" 2>&1 ||
        echo "$point:$mode: the ID again: $(<"$BATS_TEST_TMPDIR/out")"
    no_leftovers "$id" || echo "$point:$mode: the ID again left: $(leftovers "$id" | paste -sd,)"
}

@test "a fault at any step, as an error or a SIGKILL, is cleaned up by delete --force" {
    require_phase 2
    require_fault_build
    set_args sleep "$NAP"
    if ((PHASE >= 3)); then
        # A bind mount, so that init:mount-bind is reached.
        mkdir "$BUNDLE/shared"
        update_config --arg s "$BUNDLE/shared" \
            '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]'
    fi
    local points point mode p problems=""
    mapfile -t points < <(fault_points)
    ((${#points[@]} >= 10)) || fail "only ${#points[@]} fault points found"
    for point in "${points[@]}"; do
        for mode in exit kill; do
            p=$(one_fault "$point" "$mode" f)
            [[ -z $p ]] || problems+=$p$'\n'
        done
    done
    echo "# phase $PHASE: ${#points[@]} fault points, each as :exit and :kill" >&3
    [[ -z $problems ]] || fail "$problems"
}

# ---- hostile conditions, with the ordinary build ($RUNG) ---------------------------------------

# assert_nothing_left ID: no state directory, cgroup, mount or process of ID.
assert_nothing_left() {
    wait_for no_leftovers "$1" || fail "left of $1: $(leftovers "$1" | paste -sd,)"
}

@test "a read-only --root is a clear error, in one line" {
    require_phase 2
    mkdir "$BATS_TEST_TMPDIR/ro"
    mount -t tmpfs -o ro,size=1m tmpfs "$BATS_TEST_TMPDIR/ro"
    MOUNTS=1
    set_args sleep "$NAP"
    run "$RUNG" --root "$BATS_TEST_TMPDIR/ro/state" create --bundle "$BUNDLE" c
    assert_failure 1
    assert_output --regexp '^rung: create: .*Read-only file system$'
    assert_equal "${#lines[@]}" 1
    ROOT=$BATS_TEST_TMPDIR/ro/state assert_nothing_left c
}

@test "a full disk under --root is a clear error, in one line, and nothing is left" {
    require_phase 2
    local root=$BATS_TEST_TMPDIR/full
    mkdir "$root"
    mount -t tmpfs -o size=64k,nr_inodes=64 tmpfs "$root"
    MOUNTS=1
    dd if=/dev/zero of="$root/filler" bs=4k 2>/dev/null || true
    set_args sleep "$NAP"
    run "$RUNG" --root "$root" create --bundle "$BUNDLE" c
    assert_failure 1
    assert_output --regexp '^rung: create: .*No space left on device$'
    assert_equal "${#lines[@]}" 1
    [[ ! -e $root/c ]]
    ROOT=$root assert_nothing_left c
}

@test "a truncated state.json is a clear error, and delete --force still cleans up" {
    require_phase 2
    create_container t sleep "$NAP"
    local pid
    pid=$(rung state t | jq -r .pid)
    : >"$ROOT/t/state.json"
    run rung state t
    assert_failure 1
    assert_output --partial 'state.json'
    assert_equal "${#lines[@]}" 1
    run rung delete --force t
    assert_success
    ((PHASE >= 4)) || kill -KILL "$pid" # no state: phases before cgroups cannot find it
    assert_nothing_left t
}

@test "a PID 1 that ignores SIGTERM: kill TERM does not stop it, delete --force does" {
    require_phase 2
    # No handler: as PID 1 of its namespace the kernel drops SIGTERM for it.
    create_container term sleep "$NAP"
    rung start term
    rung kill term TERM
    sleep 1
    assert_equal "$(container_status term)" running
    run rung delete --force term
    assert_success
    assert_nothing_left term
}

@test "no runtime-side zombies; orphans of a PID 1 that is no init stay inside the container" {
    require_phase 3
    # runtime-spec does not ask the runtime to reap the container's orphans: PID 1 is the
    # container's to choose (an engine's --init adds one). rung's part: none of its own children
    # left unreaped while it runs (hooks, the helper), and none after the container is gone.
    update_config '.hooks.prestart = [{"path": "/bin/true"}]'
    set_args sh -c "(sleep 0 &); exec sleep $NAP"
    "$RUNG" --root "$ROOT" --log "$BATS_TEST_TMPDIR/log" run --bundle "$BUNDLE" z \
        >"$BATS_TEST_TMPDIR/z.out" 2>&1 </dev/null &
    local runner=$!
    wait_for status_is z running
    sleep 0.5
    local child zombies=""
    for child in $(pgrep -P "$runner"); do
        [[ $(awk '{print $3}' "/proc/$child/stat") != Z ]] || zombies+=" $child"
    done
    [[ -z $zombies ]] || fail "zombie children of rung run:$zombies"
    rung delete --force z
    wait "$runner" || true
    assert_nothing_left z
}

@test "the runtime killed while start waits: the container is still deleted cleanly" {
    require_phase 3
    # startContainer runs in init after start opened the FIFO: start waits for the execve.
    update_config '.hooks.startContainer = [{"path": "/bin/sleep", "args": ["sleep", "2"]}]'
    create_container w sleep "$NAP"
    run timeout -s KILL 0.5 "$RUNG" --root "$ROOT" start w
    assert_equal "$status" 137
    # init goes on by itself: the program runs once the hook is done.
    wait_for status_is w running
    run rung delete --force w
    assert_success
    assert_nothing_left w
}

@test "two delete --force racing both succeed, and leave nothing" {
    require_phase 2
    local i
    for i in 1 2 3 4 5; do
        create_container r sleep "$NAP"
        rung start r
        rung delete --force r >"$BATS_TEST_TMPDIR/d1" 2>&1 &
        local d1=$!
        rung delete --force r >"$BATS_TEST_TMPDIR/d2" 2>&1 || fail "round $i: $(cat "$BATS_TEST_TMPDIR/d2")"
        wait "$d1" || fail "round $i: $(cat "$BATS_TEST_TMPDIR/d1")"
        assert_nothing_left r
    done
}

@test "kill racing with the exit of the container: a success or one clear line, never more" {
    require_phase 2
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        create_container k true
        rung start k
        run rung kill k KILL
        if ((status != 0)); then
            assert_output 'rung: kill: container "k" is stopped: only a created or running one can be signalled (container not running)'
        fi
        rung delete --force k
        assert_nothing_left k
    done
}
