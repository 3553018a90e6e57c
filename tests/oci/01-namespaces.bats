#!/usr/bin/env bats
# Phase 1 and on: a container lives in its own UTS, PID, mount, IPC and network namespaces.

load helpers

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

@test "the hostname is the container's, not the host's" {
    require_phase 1
    run run_container --hostname rung-test-host hostname
    assert_success
    assert_output "rung-test-host"
    [[ $(hostname) != rung-test-host ]]
}

@test "the command is PID 1 and ps sees only the container's processes" {
    require_phase 1
    # `; true` keeps sh alive: busybox sh execs a lone last command in place of itself.
    run run_container sh -c 'echo "pid=$$"; ps -o pid,comm; true'
    assert_success
    assert_line "pid=1"
    # Header, sh (1) and ps itself: nothing of the host's.
    assert_line --regexp '^ +1 +sh$'
    [[ $(printf '%s\n' "$output" | grep -cE '^ +[0-9]+ ') -eq 2 ]]
}

@test "/proc is the container's own" {
    require_phase 1
    run run_container sh -c 'readlink /proc/self/ns/pid; ls /proc | grep -cE "^[0-9]+$"; cat /proc/1/comm; true'
    assert_success
    [[ ${lines[0]} != "$(readlink /proc/self/ns/pid)" ]]
    # sh, ls and grep at most: a host /proc would list hundreds.
    ((lines[1] <= 4))
    assert_equal "${lines[2]}" "sh"
}

@test "the network namespace holds only lo" {
    require_phase 1
    run run_container sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    assert_success
    assert_output "lo"
}

@test "IPC, UTS, mount and network namespaces are new" {
    require_phase 1
    run run_container sh -c 'for ns in ipc uts mnt net; do readlink /proc/self/ns/$ns; done'
    assert_success
    local i=0 ns
    for ns in ipc uts mnt net; do
        [[ ${lines[$i]} == "$ns:["* ]]
        [[ ${lines[$i]} != "$(readlink /proc/self/ns/$ns)" ]]
        i=$((i + 1))
    done
}

@test "the exit status propagates" {
    require_phase 1
    run run_container sh -c 'exit 42'
    assert_failure 42
    run run_container true
    assert_success
}

@test "death by signal N exits 128+N" {
    require_phase 1
    local seconds=31$BATS_TEST_NUMBER$$
    local marker="sleep $seconds"
    run_container sleep "$seconds" 3>&- &
    local runtime=$!
    wait_for pgrep -f "^$marker\$"
    pkill -KILL -f "^$marker\$"
    local rc=0
    wait "$runtime" || rc=$?
    assert_equal "$rc" 137
}

@test "SIGTERM sent to rung reaches the container" {
    require_phase 1
    run_container sh -c 'trap "exit 42" TERM; touch /tmp/ready; while :; do sleep 0.1; done' 3>&- &
    local runtime=$!
    wait_for test -e "$ROOTFS/tmp/ready"
    # $! is the subshell running the helper; signal the rung process inside it.
    kill -TERM "$(pgrep -P "$runtime" -x rung)"
    local rc=0
    wait "$runtime" || rc=$?
    assert_equal "$rc" 42
}

@test "a command that is not found exits 127 and names the command" {
    require_phase 1
    run -127 run_container no-such-command
    assert_failure 127
    assert_output --partial '"no-such-command"'
    assert_output --partial 'not found'
    [[ ${#lines[@]} -eq 1 ]]
}

@test "a missing rootfs is a one-line error naming the path" {
    require_phase 1
    if ((PHASE == 1)); then
        run rung run --rootfs "$BATS_TEST_TMPDIR/no-such-rootfs" -- true
    else
        update_config --arg p "$BATS_TEST_TMPDIR/no-such-rootfs" '.root.path = $p'
        run rung run --bundle "$BUNDLE" missing-rootfs
    fi
    assert_failure
    assert_output --partial "no-such-rootfs"
    assert_output --partial "No such file or directory"
    [[ ${#lines[@]} -eq 1 ]]
}

@test "a missing command is a one-line error" {
    require_phase 1
    if ((PHASE == 1)); then
        run rung run --rootfs "$ROOTFS"
        assert_output --partial "no command given"
    else
        update_config 'del(.process.args)'
        run rung run --bundle "$BUNDLE" missing-args
        assert_output --partial "process.args"
    fi
    assert_failure
    [[ ${#lines[@]} -eq 1 ]]
}

@test "after a run no mount and no process remains on the host" {
    require_phase 1
    local before marker="sleep 0.0$BATS_TEST_NUMBER$$"
    before=$(wc -l </proc/self/mountinfo)
    run run_container sh -c "$marker; echo done"
    assert_success
    assert_output "done"
    [[ $(wc -l </proc/self/mountinfo) -eq $before ]]
    [[ $(mounts_below_tmpdir) -eq 0 ]]
    run pgrep -f "$marker"
    assert_failure
}

@test "--debug narrates clone, hostname, the new root, /proc and exec in order" {
    require_phase 1
    if ((PHASE == 1)); then
        run "$RUNG" --debug run --rootfs "$ROOTFS" --hostname narrated -- true
    else
        update_config '.hostname = "narrated" | .process.args = ["true"]'
        run "$RUNG" --debug --root "$ROOT" run --bundle "$BUNDLE" narrated
    fi
    assert_success
    local clone host root proc exec
    clone=$(grep -nE 'clone3?\(.*CLONE_NEWPID' <<<"$output" | head -1 | cut -d: -f1)
    host=$(grep -n 'sethostname("narrated")' <<<"$output" | head -1 | cut -d: -f1)
    # The call itself, after the actor: a rule may cite "pivot_root(2)" too.
    root=$(grep -nE '\] (chroot|pivot_root)\(' <<<"$output" | head -1 | cut -d: -f1)
    # The target: a path ending in proc, or (phase 5) the fd the lookup in the rootfs returned.
    proc=$(grep -nE 'mount\("proc", "(.*proc|/proc/self/fd/[0-9]+)", "proc"' <<<"$output" | head -1 | cut -d: -f1)
    exec=$(grep -n 'execve(' <<<"$output" | head -1 | cut -d: -f1)
    [[ -n $clone && -n $host && -n $root && -n $proc && -n $exec ]]
    ((clone < host && host < root && root < exec && clone < proc && proc < exec))
    # Phase 1 mounts /proc after chroot; from phase 3 mounts happen before pivot_root.
    if ((PHASE == 1)); then ((root < proc)); fi
    # Each step cites the rule it serves.
    assert_line --partial 'sethostname("narrated")   # config.md: hostname'
}
