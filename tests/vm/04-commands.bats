#!/usr/bin/env bats
# Phase 4: runc's `update` and `events` against live limits, in the guest, where cgroup v2 has
# the memory, pids, cpu and cpuset controllers (tests/oci/04-commands.bats has the errors and
# what works on the hybrid host).

load helpers

setup() {
    require_guest
}

# Each test makes its bundle after require_phase: a skipped test then costs no mkbundle run.
teardown() {
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

@test "update changes live limits, from flags, from -r FILE and from -r -" {
    require_phase 4
    setup_bundle
    local id=update-$$ cg
    configure '{"memory": {"limit": 67108864}, "pids": {"limit": 100}}' sleep 100
    start_container "$id"
    cg=$(default_cgroup "$id")
    assert_equal "$(cat "$cg/memory.max")" 67108864
    rung update --memory 32M --pids-limit 10 --cpu-quota 20000 --cpu-period 100000 "$id"
    assert_equal "$(cat "$cg/memory.max")" 33554432
    assert_equal "$(cat "$cg/pids.max")" 10
    assert_equal "$(cat "$cg/cpu.max")" "20000 100000"
    echo '{"memory": {"limit": 16777216}, "pids": {"limit": 7}}' >"$BATS_TEST_TMPDIR/r.json"
    rung update -r "$BATS_TEST_TMPDIR/r.json" "$id"
    assert_equal "$(cat "$cg/memory.max")" 16777216
    assert_equal "$(cat "$cg/pids.max")" 7
    # Merged: the cpu.max of the first update stays.
    assert_equal "$(cat "$cg/cpu.max")" "20000 100000"
    rung update -r - "$id" <<<'{"pids": {"limit": -1}}'
    assert_equal "$(cat "$cg/pids.max")" max
    # runc's rule: --memory -1 with no swap given makes both unlimited.
    rung update --memory -1 "$id"
    assert_equal "$(cat "$cg/memory.max")" max
    # A size update cannot read is one clear error, and changes nothing.
    run rung update --memory 12Q "$id"
    assert_failure
    assert_output --partial '12Q'
    assert_equal "$(cat "$cg/memory.max")" max
    rung delete --force "$id"
}

@test "update: a value the kernel refuses changes nothing, checkBeforeUpdate is honoured" {
    require_phase 4
    setup_bundle
    local id=refuse-$$ cg
    # 8 MiB of page cache in the container's /tmp count in memory.current.
    configure '{"memory": {"limit": 67108864}}' \
        sh -c 'dd if=/dev/zero of=/tmp/fill bs=1M count=8 2>/dev/null; sleep 100'
    start_container "$id"
    cg=$(default_cgroup "$id")
    wait_until test -s "$ROOTFS/tmp/fill"
    # The memory limit is written first, then cpuset.cpus is refused (no cpu 99): memory.max is
    # put back.
    run rung update --memory 32M --cpuset-cpus 99 "$id"
    assert_failure
    assert_output --partial "cpuset.cpus"
    assert_equal "$(cat "$cg/memory.max")" 67108864
    # Below the current usage, with checkBeforeUpdate: refused before any write.
    run rung update -r - "$id" <<<'{"memory": {"limit": 1048576, "checkBeforeUpdate": true}}'
    assert_failure
    assert_output --partial "is below the current usage"
    assert_equal "$(cat "$cg/memory.max")" 67108864
    rung delete --force "$id"
}

@test "events --stats has the memory, pids and cpu numbers of the cgroup" {
    require_phase 4
    setup_bundle
    local id=stats-$$
    configure '{"memory": {"limit": 67108864}, "pids": {"limit": 50}}' \
        sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; sleep 100'
    start_container "$id"
    sleep 1
    run rung events --stats "$id"
    assert_success
    run jq -r '.data | [.memory.usage.limit, (.memory.usage.usage > 0), .pids.limit,
        (.pids.current >= 1), (.cpu.usage.total > 0), (.memory.raw.anon != null)] | map(tostring) | join(" ")' <<<"$output"
    assert_output "67108864 true 50 true true true"
    rung delete --force "$id"
}

@test "events reports an OOM kill, and ends when the container stops" {
    require_phase 4
    setup_bundle
    local id=oom-$$ cg
    # dd's 200 MiB buffer is filled by its first read: 32 MiB of memory, no swap.
    configure '{"memory": {"limit": 33554432, "swap": 33554432}}' \
        sh -c 'sleep 1; dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo "dd exited $?"'
    create_container "$id"
    cg=$(default_cgroup "$id")
    # 3>&-: a background job must not hold bats' TAP output open.
    rung events --interval 1h "$id" >"$BATS_TEST_TMPDIR/events" 2>&1 3>&- &
    local events=$!
    rung start "$id"
    wait_until status_is "$id" stopped
    run cat "$BATS_TEST_TMPDIR/$id.out"
    assert_output "dd exited 137"
    grep -qE '^oom_kill [1-9]' "$cg/memory.events"
    # The stream ends by itself once the cgroup is empty.
    wait_until process_gone "$events"
    run jq -c . "$BATS_TEST_TMPDIR/events"
    assert_output "{\"type\":\"oom\",\"id\":\"$id\"}"
}
