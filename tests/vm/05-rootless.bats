#!/usr/bin/env bats
# Phase 5: rootless rung in a cgroup delegated to its user, with controllers (the host's cgroup2
# has none: tests/oci/05-rootless.bats tests the core files there). The user and its delegated
# cgroup are made as on the host (tests/oci/rootless.bash); here the delegated cgroup gets the
# memory and pids controllers, and not io. One test: every process costs about a second here.

load helpers
load ../oci/bundle
load ../oci/rootless

setup() {
    require_guest
    require_phase 5
    setup_bundle
    rootless_user
    delegate_cgroup memory pids
}

teardown() {
    rootless_cleanup
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

@test "rootless: with memory and pids delegated the user's container gets its limits; io is refused" {
    cgroup_has_controllers "$RL_CG" memory pids
    as_user spec --rootless --bundle "$BUNDLE"
    # A limit whose controller is not delegated: one line, and nothing left.
    update_config '.process.terminal = false | .process.args = ["sleep", "1000"]
        | .linux.resources = {blockIO: {weight: 100}}'
    run_to_file as_user_in_cgroup create --bundle "$BUNDLE" io
    assert_failure
    one_line
    assert_output --partial "the io controller is not delegated: \"$RL_CGTOP\" does not enable it for its children (cgroup.subtree_control: \"memory pids\"), and only its owner may"
    assert_clean io
    update_config '.linux.resources = {memory: {limit: 33554432}, pids: {limit: 20}}'
    as_user_in_cgroup create --bundle "$BUNDLE" rl >"$BATS_TEST_TMPDIR/create.out" 2>&1 </dev/null ||
        fail "create: $(cat "$BATS_TEST_TMPDIR/create.out")"
    assert_equal "$(cat "$RL_CGDIR/rl/memory.max" "$RL_CGDIR/rl/pids.max")" "33554432
20"
    # rung enabled them in the delegated cgroup's subtree_control, the user's to write.
    assert_equal "$(cat "$RL_CGDIR/cgroup.subtree_control")" "memory pids"
    as_user_in_cgroup update --memory 64M rl
    assert_equal "$(cat "$RL_CGDIR/rl/memory.max")" 67108864
    run as_user events --stats rl
    assert_success
    assert_equal "$(jq .data.memory.usage.limit <<<"$output")" 67108864
    as_user delete --force rl
    [[ ! -e $RL_CGDIR/rl ]] || fail "delete --force left $RL_CGDIR/rl"
}
