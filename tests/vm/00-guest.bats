#!/usr/bin/env bats
# The test environment itself: the guest is pure cgroup v2 with every controller phase 4 uses,
# and a container of the newest phase runs in it.

load helpers

setup() {
    require_guest
}

teardown() {
    # Only the container test has a bundle: the others need none of its cleanup (every process
    # a helper starts costs about a second in the guest).
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

@test "the guest has cgroup v2 alone on /sys/fs/cgroup" {
    require_phase 4
    run stat -fc %T /sys/fs/cgroup
    assert_output cgroup2fs
    # cgroup_no_v1=all: no v1 hierarchy is mounted anywhere.
    run awk '$3 == "cgroup" {print $2}' /proc/self/mounts
    assert_output ""
    run cat /proc/self/cgroup
    assert_output "0::/"
}

@test "memory, pids, cpu, cpuset and io are available and enabled for children of the root" {
    require_phase 4
    cgroup_has_controllers / memory pids cpu cpuset io
    run cat "$CGROUP_ROOT/cgroup.subtree_control"
    local c
    for c in memory pids cpu cpuset io; do
        [[ " $output " == *" $c "* ]] || fail "root cgroup.subtree_control lacks $c: $output"
    done
}

@test "a busybox container runs in the guest" {
    require_phase 4
    setup_bundle
    run run_container sh -c 'echo "pid $$ on $(hostname)"; cat /proc/self/cgroup'
    assert_success
    assert_line "pid 1 on rung"
    # mkbundle.sh's config has no cgroup namespace: the container sees its host cgroup path.
    assert_line --regexp '^0::/'
}
