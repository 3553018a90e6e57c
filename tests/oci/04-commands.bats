#!/usr/bin/env bats
# Phase 4 and on: runc's `update`, `events` and `exec --cgroup`, on this host. Its cgroup2 may
# lack the controllers (a hybrid host has none but hugetlb), so these tests use what cgroup v2
# has without any: the core cgroup.* files, cpu.stat, cgroup.procs. tests/vm/04-commands.bats
# checks the limits themselves in the guest.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

# cgroup_mount: where this host has cgroup2 (a hybrid host: /sys/fs/cgroup/unified).
cgroup_mount() {
    if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
        echo /sys/fs/cgroup
    else
        echo /sys/fs/cgroup/unified
    fi
}

# running ID: create and start ID running `sleep 1000`; CG is its cgroup directory.
running() {
    create_container "$1" sleep 1000
    rung start "$1"
    CG=$(cgroup_mount)$(jq -r .cgroupPath "$ROOT/$1/state.json")
}

# kept_resources ID: the resources state.json keeps after an update ("null" before any).
kept_resources() {
    jq -c .resources "$ROOT/$1/state.json"
}

@test "update: a value it cannot read is one line naming the flag, and nothing changes" {
    require_phase 4
    running bad
    run rung update --memory 12Q bad
    assert_failure
    one_line
    assert_output --partial '--memory: invalid size "12Q"'
    run rung update --cpu-quota lots bad
    assert_failure
    one_line
    assert_output --partial '--cpu-quota: not a number: "lots"'
    run rung update --blkio-weight 5 bad
    assert_failure
    assert_output --partial '--blkio-weight: from 10 to 1000'
    assert_equal "$(kept_resources bad)" null
    assert_equal "$(container_status bad)" running
}

@test "update: an unknown flag, no change at all, and -r with flags are errors" {
    require_phase 4
    running args
    run rung update --bogus 1 args
    assert_failure
    one_line
    assert_output --partial "--bogus"
    run rung update args
    assert_failure
    one_line
    assert_output --partial "nothing to update"
    echo '{"pids": {"limit": 5}}' >"$BATS_TEST_TMPDIR/r.json"
    run rung update -r "$BATS_TEST_TMPDIR/r.json" --memory 1M args
    assert_failure
    one_line
    assert_output --partial "-r gives the resources as a whole"
    run rung update -r - args <<<'{"memory": {"limit": "1G"}}'
    assert_failure
    one_line
    assert_output --partial "standard input: .memory.limit"
    run rung update -r "$BATS_TEST_TMPDIR/missing.json" args
    assert_failure
    one_line
    assert_output --partial "missing.json"
    assert_equal "$(kept_resources args)" null
}

@test "update of a stopped container, or of none, is an error" {
    require_phase 4
    create_container finished true
    rung start finished
    wait_for status_is finished stopped
    run rung update --pids-limit 5 finished
    assert_failure
    one_line
    assert_output --partial 'container "finished" is stopped: update needs a created, running or paused container'
    run rung update --pids-limit 5 nosuch
    assert_failure
    assert_output --partial 'container "nosuch" does not exist'
}

@test "update: a limit whose controller this host's cgroup2 lacks names the controller" {
    require_phase 4
    if grep -qw pids "$(cgroup_mount)/cgroup.controllers"; then
        skip "this host's cgroup2 has the pids controller (tests/vm/04-commands.bats covers it)"
    fi
    running nopids
    run rung update --pids-limit 5 nopids
    assert_failure
    one_line
    assert_output --partial "linux.resources.pids.limit needs the pids controller, which the cgroup v2 hierarchy at $(cgroup_mount)"
    [[ ! -e $CG/pids.max ]]
    assert_equal "$(kept_resources nopids)" null
    assert_equal "$(container_status nopids)" running
}

@test "update writes the live cgroup, and keeps the merged resources for the next one" {
    require_phase 4
    running merge
    # Core cgroup v2 files need no controller, so the unified map works on any host.
    rung update -r - merge <<<'{"unified": {"cgroup.max.depth": "3"}}'
    assert_equal "$(cat "$CG/cgroup.max.depth")" 3
    echo '{"unified": {"cgroup.max.descendants": "5"}}' >"$BATS_TEST_TMPDIR/r.json"
    rung update -r "$BATS_TEST_TMPDIR/r.json" merge
    assert_equal "$(cat "$CG/cgroup.max.descendants")" 5
    assert_equal "$(cat "$CG/cgroup.max.depth")" 3
    run jq -c .resources.unified "$ROOT/merge/state.json"
    assert_output '{"cgroup.max.depth":"3","cgroup.max.descendants":"5"}'
    # The commands that read state.json still do.
    assert_equal "$(container_status merge)" running
    run rung list -q
    assert_output merge
    # A value the kernel refuses is its error, with the file, and the rest is put back.
    run rung update -r - merge <<<'{"unified": {"cgroup.max.depth": "2", "cgroup.max.descendants": "many"}}'
    assert_failure
    one_line
    assert_output --partial "cgroup.max.descendants"
    assert_equal "$(cat "$CG/cgroup.max.depth")" 3
    run jq -c .resources.unified "$ROOT/merge/state.json"
    assert_output '{"cgroup.max.depth":"3","cgroup.max.descendants":"5"}'
}

@test "events --stats prints one stats event in runc's shape" {
    require_phase 4
    running stats
    run rung events --stats stats
    assert_success
    one_line
    run jq -r '[.type, .id, (.data | keys | join(","))] | join(" ")' <<<"$output"
    assert_output "stats stats blkio,cpu,hugetlb,memory,pids"
    run rung events --stats stats
    # cpu.stat is a core file: the cpu usage is there without any controller.
    (($(jq '.data.cpu.usage.total' <<<"$output") > 0))
}

@test "events prints stats every --interval and ends when the container's last process exits" {
    require_phase 4
    create_container brief sleep 2
    rung start brief
    run timeout 20 "$RUNG" --root "$ROOT" events --interval 200ms brief
    assert_success
    ((${#lines[@]} >= 3)) || fail "expected a stats line every 200 ms for 2 s: $output"
    run jq -r .type <<<"$output"
    refute_output --partial oom
    assert_line stats
}

@test "events: a bad --interval, or a stopped container, is one clear line" {
    require_phase 4
    running ev
    run rung events --interval 5 ev
    assert_failure
    one_line
    assert_output --partial '--interval: invalid duration "5": missing unit'
    run rung events --interval 0s ev
    assert_failure
    one_line
    assert_output --partial "--interval: must be greater than 0"
    rung kill ev KILL
    wait_for status_is ev stopped
    run rung events --stats ev
    assert_failure
    one_line
    assert_output --partial 'container "ev" is not running'
}

@test "exec runs in the container's cgroup, and --cgroup in a sub-cgroup of it" {
    require_phase 4
    running cg
    local cgpath pid
    cgpath=$(jq -r .cgroupPath "$ROOT/cg/state.json")
    rung exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" cg sleep 1000
    pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
    # The v2 line (a hybrid host has v1 lines too).
    run grep '^0::' "/proc/$pid/cgroup"
    assert_output "0::$cgpath"
    grep -qx "$pid" "$CG/cgroup.procs"

    mkdir "$CG/sub"
    rung exec -d --pid-file "$BATS_TEST_TMPDIR/sub.pid" --cgroup sub cg sleep 1000
    pid=$(cat "$BATS_TEST_TMPDIR/sub.pid")
    run grep '^0::' "/proc/$pid/cgroup"
    assert_output "0::$cgpath/sub"
    # The foreground kind, too: its status is the process's.
    run rung exec --cgroup /sub cg sh -c 'exit 3'
    assert_failure 3
}

@test "exec --cgroup: a missing sub-cgroup, cgroup v1's form and .. are errors naming the flag" {
    require_phase 4
    running sub
    run rung exec --cgroup nosuch sub true
    assert_failure
    one_line
    assert_output --partial '--cgroup "nosuch": there is no cgroup'
    run rung exec --cgroup cpu:sub sub true
    assert_failure
    one_line
    assert_output --partial 'a "controller:" prefix names a cgroup v1 hierarchy'
    run rung exec --cgroup ../../escape sub true
    assert_failure
    one_line
    assert_output --partial "would leave the container's cgroup"
}
