#!/usr/bin/env bats
# Phase 2 and on: a runtime killed at any step (issue 7 §2). Create is a transaction: init waits
# for "committed" and exits on EOF, so a create killed before that leaves no running process;
# whatever a killed create, run or delete leaves, `list` shows it and `delete --force` removes
# it, and the ID can be used again.
#
# strace kills the runtime (only it: no -f, so init is not traced) at the Nth call of one syscall,
# which marks one step: mknodat (the FIFO), clone3, sendto (the sync frames), rename (config.json,
# state.json), unlink (start removes the FIFO), pidfd_send_signal, unlinkat and rmdir (delete).

load helpers

setup() {
    setup_bundle
    # The container's program, a sleep no other test (or run of this suite) has.
    NAP=42$$
    command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh installs it)"
}

teardown() {
    teardown_bundle
}

# killed_at SYSCALL N CMD...: run CMD under strace, SIGKILLed at the Nth call of SYSCALL. True if
# it was killed there (137), false if it finished first (the syscall was not called N times).
# The steps of run and delete below are always reached, so there killed_at must succeed.
# With -P PATH after N, only the calls of SYSCALL on PATH count.
killed_at() {
    local syscall=$1 n=$2 only=()
    shift 2
    if [[ ${1:-} == -P ]]; then
        only=(-P "$2")
        shift 2
    fi
    local status=0
    timeout 60 strace -o /dev/null "${only[@]}" -e trace="$syscall" \
        -e inject="$syscall":signal=KILL:when="$n" "$@" >/dev/null 2>&1 </dev/null || status=$?
    ((status == 137))
}

# no_process_of ID: neither the container's init (before execve a copy of rung, whose command
# line ends in the ID) nor its program (sleep $NAP) is running. The brackets keep the pattern
# from matching a command line that contains the pattern itself.
no_process_of() {
    if pgrep -f -- "[-]-root $ROOT .* $1\$|[s]leep $NAP\$" >/dev/null; then
        return 1
    fi
}

# assert_recovered ID: list shows ID (or nothing, if it died before mkdir), delete --force
# removes it, and then no state, process or mount of it is left and the ID can be created again.
assert_recovered() {
    local id=$1
    run rung list -q
    assert_success
    if [[ -d $ROOT/$id ]]; then
        assert_line "$id"
    fi
    run rung delete --force "$id"
    assert_success
    [[ ! -e $ROOT/$id ]]
    # The container's processes exit by themselves when they read EOF, or were killed.
    wait_for no_process_of "$id"
    assert_equal "$(mounts_below_tmpdir)" 0
    create_container "$id"
    assert_equal "$(container_status "$id")" created
    rung delete --force "$id"
}

@test "a create killed at any step is recovered by delete --force" {
    require_phase 2
    set_args sleep "$NAP"
    local step killed=0
    # The FIFO, clone, the frames go (resume, committed), config.json and state.json: the kill
    # lands as each syscall is entered, before it runs.
    for step in mknodat:1 clone3:1 sendto:1 sendto:2 sendto:3 rename:1 rename:2; do
        killed_at "${step%:*}" "${step#*:}" "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" c ||
            { rung delete --force c; continue; }
        killed=$((killed + 1))
        assert_recovered c
    done
    # Phase 2 sends no "resume" and keeps no config.json.
    ((killed == (PHASE == 2 ? 5 : 7)))
}

@test "a create killed at its cgroup steps leaves no cgroup after delete --force" {
    require_phase 4
    set_args sleep "$NAP"
    local id=cg-$$ cg step
    cg=/sys/fs/cgroup/unified/rung/$id
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || cg=/sys/fs/cgroup/rung/$id
    # The state that names the cgroup is written (rename:1) before the cgroup's mkdir; clone3
    # runs with the cgroup made; the first frame ("go") with init in it.
    for step in rename:1 mkdir:1 clone3:1 sendto:1; do
        local where=()
        [[ $step != mkdir:* ]] || where=(-P "$cg")
        killed_at "${step%:*}" "${step#*:}" "${where[@]}" "$RUNG" --root "$ROOT" create \
            --bundle "$BUNDLE" "$id" || fail "create was not killed at $step"
        run rung list -q
        assert_line "$id"
        rung delete --force "$id"
        [[ ! -e $cg ]] || fail "killed at $step, delete --force left $cg"
        [[ ! -e $ROOT/$id ]]
        wait_for no_process_of "$id"
    done
    create_container "$id"
    rung delete --force "$id"
}

@test "a run killed at any step is recovered by delete --force" {
    require_phase 2
    set_args sleep "$NAP"
    local step
    # create's steps, then start's: the FIFO is unlinked once init is past the point of no return.
    for step in clone3:1 sendto:1 sendto:2 rename:1 unlink:1; do
        killed_at "${step%:*}" "${step#*:}" "$RUNG" --root "$ROOT" run --bundle "$BUNDLE" r ||
            fail "run was not killed at $step"
        assert_recovered r
    done
}

@test "a delete killed at any step is finished by delete --force" {
    require_phase 2
    set_args sleep "$NAP"
    local step steps=(pidfd_send_signal:1 unlinkat:1 rmdir:1) kill_file=""
    # The SIGKILL, the files, the directory. From phase 4 on: the open of the cgroup's
    # cgroup.kill, the cgroup's rmdir, the files, the state directory's rmdir (or first the
    # rmdir of /rung, if create made it).
    if ((PHASE >= 4)); then
        steps=(openat:1 rmdir:1 unlinkat:1 rmdir:2)
        kill_file=/sys/fs/cgroup/unified/rung/d/cgroup.kill
        [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || kill_file=/sys/fs/cgroup/rung/d/cgroup.kill
    fi
    for step in "${steps[@]}"; do
        create_container d
        rung start d
        local only=()
        [[ $step != openat:* ]] || only=(-P "$kill_file")
        killed_at "${step%:*}" "${step#*:}" "${only[@]}" "$RUNG" --root "$ROOT" delete --force d ||
            fail "delete was not killed at $step"
        assert_recovered d
    done
}

@test "delete --force of a container that does not exist succeeds; delete without it does not" {
    require_phase 2
    run rung delete --force nothing-here
    assert_success
    assert_output ""
    run rung delete nothing-here
    assert_failure
    assert_output 'rung: delete: container "nothing-here" does not exist'
}

@test "a corrupt state.json is listed with a warning, and delete --force removes it" {
    require_phase 2
    create_container bad sleep "$NAP"
    local pid
    pid=$(rung state bad | jq -r .pid)
    echo '{"ociVersion": ' >"$ROOT/bad/state.json"
    run rung list -q
    assert_success
    assert_line bad
    assert_output --partial 'warning: container "bad": state.json'
    run rung delete bad
    assert_failure
    run rung delete --force bad
    assert_success
    [[ ! -e $ROOT/bad ]]
    # Its pid is unknown to rung now: kill it here.
    kill -KILL "$pid"
}
