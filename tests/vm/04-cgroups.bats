#!/usr/bin/env bats
# Phase 4: linux.resources applied in the container's own cgroup v2, seen through the kernel's
# own accounting (memory.events, pids, cpu.stat), nested and relative cgroupsPath, and pause and
# resume. These need the memory, pids, cpu, cpuset and io controllers, which only the guest has.
# update and events are in 04-commands.bats.

load helpers

setup() {
    require_guest
}

# Each test makes its bundle after require_phase: a skipped test then costs no mkbundle run,
# which takes seconds in the guest.
teardown() {
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

@test "a process past memory.max is OOM-killed, and memory.events counts it" {
    require_phase 4
    setup_bundle
    local id=oom-$$ cg
    # dd's 200 MiB buffer is filled by its first read: 32 MiB of memory, no swap.
    configure '{"memory": {"limit": 33554432, "swap": 33554432}}' \
        sh -c 'dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo "dd exited $?"'
    create_container "$id"
    cg=$(default_cgroup "$id")
    [[ $(cat "$cg/memory.max") == 33554432 ]]
    rung start "$id"
    # Reclaim before the OOM kill is slow under emulation.
    WAIT_SECONDS=180 wait_until status_is "$id" stopped
    # 137: SIGKILL, from the OOM killer, which counts it.
    run cat "$BATS_TEST_TMPDIR/$id.out"
    assert_output "dd exited 137"
    grep -qE '^oom_kill [1-9]' "$cg/memory.events"
    rung delete "$id"
    [[ ! -e $cg ]]
}

@test "fork fails past pids.max" {
    require_phase 4
    setup_bundle
    # sh is 1, four sleeps make 5: the fifth fork fails, and busybox sh does not retry it.
    configure '{"pids": {"limit": 5}}' \
        sh -c 'for i in 1 2 3 4 5 6; do sleep 30 & done; echo "all forked"'
    run run_bundle
    assert_failure
    assert_output --partial "can't fork"
    refute_output --partial "all forked"
}

@test "cpu.max throttles a busy loop" {
    require_phase 4
    setup_bundle
    local id=cpu-$$ cg
    configure '{"cpu": {"quota": 10000, "period": 100000}}' sh -c 'while :; do :; done'
    start_container "$id"
    cg=$(default_cgroup "$id")
    assert_equal "$(cat "$cg/cpu.max")" "10000 100000"
    sleep 2
    local throttled
    throttled=$(awk '$1 == "nr_throttled" {print $2}' "$cg/cpu.stat")
    ((throttled > 0)) || fail "nr_throttled is $throttled after 2 s at 10% of a cpu"
    rung delete --force "$id"
}

@test "cpuset, io.weight and io.max hold the values set" {
    require_phase 4
    setup_bundle
    local id=files-$$ cg dev
    dev=$(vda_device)
    configure "$(jq -n -c --argjson maj "${dev%:*}" --argjson min "${dev#*:}" '{
        cpu: {cpus: "0", mems: "0", shares: 1024},
        blockIO: {weight: 500, throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 2097152}],
                  throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 100}]}}')" sleep 100
    start_container "$id"
    cg=$(default_cgroup "$id")
    assert_equal "$(cat "$cg/cpuset.cpus")" 0
    assert_equal "$(cat "$cg/cpuset.mems")" 0
    # shares 1024 -> 1 + (1022 * 9999) / 262142; blkio 500 -> 1 + (490 * 9999) / 990.
    assert_equal "$(cat "$cg/cpu.weight")" 39
    run cat "$cg/io.weight"
    assert_line "default 4950"
    run cat "$cg/io.max"
    assert_output "$dev rbps=2097152 wbps=max riops=max wiops=100"
    rung delete --force "$id"
}

@test "hugepageLimits and the unified map hold the values set" {
    require_phase 4
    setup_bundle
    local id=huge-$$ cg
    # 2 MiB pages: x86_64's default huge page size, whose hugetlb files every such kernel has.
    configure '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
                "unified": {"memory.high": "67108864", "pids.max": "42"}}' sleep 100
    start_container "$id"
    cg=$(default_cgroup "$id")
    assert_equal "$(cat "$cg/hugetlb.2MB.max")" 4194304
    assert_equal "$(cat "$cg/memory.high")" 67108864
    assert_equal "$(cat "$cg/pids.max")" 42
    rung delete --force "$id"
}

@test "nested absolute and relative cgroupsPath" {
    require_phase 4
    setup_bundle
    local id=nest-$$ top=$CGROUP_ROOT/vmtest-$$
    update_config --arg p "/vmtest-$$/a/b/$id" \
        '.linux.cgroupsPath = $p | .linux.resources = {pids: {limit: 9}} | .process.args = ["cat", "/proc/self/cgroup"]'
    run run_bundle
    assert_success
    assert_output "0::/vmtest-$$/a/b/$id"
    [[ ! -e $top/a/b/$id ]] || fail "delete left $top/a/b/$id"

    # Relative: under the parent of rung's own cgroup. Run rung from $top/runner, so the
    # container lands in $top/rel/ID.
    mkdir -p "$top/runner"
    update_config '.linux.cgroupsPath = "rel/'"$id"'"'
    run sh -c "echo \$\$ >$top/runner/cgroup.procs && exec \"\$0\" \"\$@\"" \
        "$RUNG" --root "$ROOT" run --bundle "$BUNDLE" "$id"
    assert_success
    assert_output "0::/vmtest-$$/rel/$id"
    # rung removed the cgroups it made, and only those: $top and its runner are the test's.
    [[ ! -e $top/a && ! -e $top/rel ]] || fail "delete left $(find "$top" -mindepth 1 -type d)"
    rmdir "$top/runner" "$top"
}

# changed FILE VALUE: FILE holds something else than VALUE now.
changed() {
    [[ $(cat "$1") != "$2" ]]
}

@test "pause freezes every process, resume thaws them" {
    require_phase 4
    setup_bundle
    local id=pause-$$ cg
    # Two loops, each counting into its own file in the rootfs.
    configure '{}' sh -c 'for n in a b; do (i=0; while :; do i=$((i + 1)); echo $i >/tmp/$n; sleep 0.2; done) & done; wait'
    start_container "$id"
    cg=$(default_cgroup "$id")
    wait_until test -s "$ROOTFS/tmp/b"
    rung pause "$id"
    assert_equal "$(container_status "$id")" paused
    run rung list
    assert_output --regexp "$id +[0-9]+ +paused"
    grep -qx 'frozen 1' "$cg/cgroup.events"
    local a b
    a=$(cat "$ROOTFS/tmp/a") b=$(cat "$ROOTFS/tmp/b")
    sleep 1
    assert_equal "$(cat "$ROOTFS/tmp/a") $(cat "$ROOTFS/tmp/b")" "$a $b"
    rung resume "$id"
    assert_equal "$(container_status "$id")" running
    wait_until changed "$ROOTFS/tmp/a" "$a"
    wait_until changed "$ROOTFS/tmp/b" "$b"
    # delete --force kills a paused container too (thaw, then cgroup.kill).
    rung pause "$id"
    rung delete --force "$id"
    [[ ! -e $cg ]]
}

@test "a resource cgroup v2 cannot apply fails create and leaves nothing behind" {
    require_phase 4
    setup_bundle
    local id=bad-$$
    configure '{"memory": {"disableOOMKiller": true}}' true
    run create_container "$id"
    assert_failure
    run cat "$BATS_TEST_TMPDIR/$id.err"
    assert_output --partial "disableOOMKiller"
    run rung list -q
    assert_output ""
    [[ ! -e $(default_cgroup "$id") ]]
}

@test "nothing is left under /sys/fs/cgroup after delete" {
    require_phase 4
    setup_bundle
    local id=gone-$$
    configure '{"memory": {"limit": 67108864}}' sleep 100
    start_container "$id"
    [[ -d $(default_cgroup "$id") ]]
    rung delete --force "$id"
    # Every test before this one has deleted its containers: the guest's root cgroup has no
    # child left (the guest has no systemd to make any).
    run find "$CGROUP_ROOT" -mindepth 1 -type d
    assert_output ""
}
