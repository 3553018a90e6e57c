#!/usr/bin/env bats
# Phase 5: the runtime binary (the CVE-2019-5736 class), the runtime's fds and the modes of its
# state. Between clone3 and execve, init is rung itself, and so is `rung exec`'s child: a
# container process that can open /proc/<pid>/exe of one of them must reach only a sealed memfd
# copy, never the host's binary. The attack tests run a COPY of the binary under test, so that a
# failure spoils only that copy.

load helpers
load bundle

setup() {
    setup_bundle
    RECVTTY=${RECVTTY:-$REPO_ROOT/build/tests/tools/recvtty}
    SOCK=$BATS_TEST_TMPDIR/console.sock
}

teardown() {
    [[ -z ${RECV_PID:-} ]] || kill "$RECV_PID" 2>/dev/null || true
    # If an attack test failed, the copy it used is the attacker's script now.
    RUNG=${ORIGINAL_RUNG:-$RUNG}
    teardown_bundle
}

# use_copy_of_rung: RUNG becomes a copy of the binary under test, in this test's temp dir; its
# sha256 is in $RUNG_SHA.
use_copy_of_rung() {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cp "$RUNG" "$BATS_TEST_TMPDIR/bin/rung"
    ORIGINAL_RUNG=$RUNG
    RUNG=$BATS_TEST_TMPDIR/bin/rung
    RUNG_SHA=$(sha256sum <"$RUNG")
}

# The attacker, run by `rung exec -d` in the created container: it holds /proc/1/exe (init is
# rung then; a subshell tries first, as a failed redirection of `exec` would end the shell),
# waits until `rung start` made init exec its program (so no rung runs and the file is not
# busy), then tries for a second to overwrite what it holds. /attack.log says what happened.
write_attacker() {
    write_script "$ROOTFS/attack" \
        'if ! (: </proc/1/exe) 2>/tmp/err; then echo "refused: $(cat /tmp/err)"; exit 0; fi' \
        'exec 3</proc/1/exe' \
        'echo "holding $(readlink /proc/1/exe)"' \
        'while [ "$(cat /proc/1/comm)" != sleep ]; do usleep 10000; done' \
        'i=0' \
        'while [ $i -lt 50 ]; do' \
        '    if { printf "#!/bin/sh\necho pwned\n" >/proc/self/fd/3; } 2>/tmp/err; then echo overwrote; exit 0; fi' \
        '    i=$((i + 1)); usleep 20000' \
        'done' \
        'echo "gave up: $(cat /tmp/err)"'
}

# attack ID: the whole attack on a new container ID; the attacker's report is in $output and
# $lines.
attack() {
    write_attacker
    create_container "$1" sleep 1000 || fail "create: $(cat "$BATS_TEST_TMPDIR/$1.err")"
    rung exec -d "$1" sh -c '/attack >/attack.log 2>&1' </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 ||
        fail "exec: $(cat "$BATS_TEST_TMPDIR/exec.out")"
    wait_for test -s "$ROOTFS/attack.log"
    rung start "$1"
    wait_for grep -q "refused\|overwrote\|gave up" "$ROOTFS/attack.log" ||
        wait_for grep -q "refused\|overwrote\|gave up" "$ROOTFS/attack.log"
    output=$(cat "$ROOTFS/attack.log")
    mapfile -t lines <"$ROOTFS/attack.log"
}

# set_caps [CAP...]: the capabilities of `runc spec` (CAP_AUDIT_WRITE, CAP_KILL,
# CAP_NET_BIND_SERVICE) and CAP... in the bounding, effective and permitted sets.
set_caps() {
    update_config --argjson c "$(json_array CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE "$@")" \
        '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}'
}

# fds_line: the container's `ls /proc/self/fd` output ($output, or a file's) as one line.
fds_line() {
    tr -d '\r' | tr '\n' ' '
}

@test "init runs from a sealed memfd copy of rung, with rung's argv, environment, pid and name" {
    require_phase 5
    set_args sleep 1000
    RUNG_TEST_MARK=kept rung create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" sealed \
        >/dev/null 2>&1 </dev/null
    local pid
    pid=$(rung state sealed | jq .pid)
    assert_equal "$(cat "$BATS_TEST_TMPDIR/pid")" "$pid"
    assert_equal "$(readlink "/proc/$pid/exe")" "/memfd:rung (deleted)"
    assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$RUNG --root $ROOT create --bundle $BUNDLE --pid-file $BATS_TEST_TMPDIR/pid sealed "
    run grep -zx RUNG_TEST_MARK=kept "/proc/$pid/environ"
    assert_success
    assert_equal "$(cat "/proc/$pid/comm")" "$(basename "$RUNG" | cut -c 1-15)"
}

@test "only create, run and exec pay for the copy, once; init and exec's child are not dumpable" {
    require_phase 5
    set_args sleep 1000
    run_to_file rung --debug create --bundle "$BUNDLE" paid
    assert_success
    assert_equal "$(grep -c 'memfd_create("rung", MFD_CLOEXEC|MFD_ALLOW_SEALING' <<<"$output")" 1
    assert_output --partial "[init] prctl(PR_SET_DUMPABLE, 0, 0)"
    run_to_file rung --debug exec paid true
    assert_success
    assert_equal "$(grep -c 'memfd_create' <<<"$output")" 1
    assert_output --partial "[exec] prctl(PR_SET_DUMPABLE, 0, 0)"
    local cmd
    for cmd in "state paid" "list" "ps paid" "start paid"; do
        # shellcheck disable=SC2086 # the command and its ID, as separate words
        run_to_file rung --debug $cmd
        assert_success
        refute_output --partial memfd_create
    done
}

@test "a container cannot overwrite the runtime binary through /proc/<init>/exe" {
    require_phase 5
    use_copy_of_rung
    set_caps
    attack "victim-$$"
    refute_output --partial overwrote
    assert_output --regexp "refused|gave up"
    assert_equal "$(sha256sum <"$RUNG")" "$RUNG_SHA"
    run "$RUNG" --version
    assert_success
    assert_output --partial "rung version"
}

@test "with CAP_SYS_PTRACE the container reaches init's exe, and finds only the sealed copy" {
    require_phase 5
    use_copy_of_rung
    # What a privileged container has: no dumpable flag or capability check stands in the way,
    # the seals alone refuse the write.
    set_caps CAP_SYS_PTRACE
    attack "ptracer-$$"
    assert_line "holding /memfd:rung (deleted)"
    assert_line --partial "gave up:"
    assert_line --partial "Operation not permitted"
    assert_equal "$(sha256sum <"$RUNG")" "$RUNG_SHA"
}

@test "a created container's processes cannot reach init's fds (the state directory, the sync socket)" {
    require_phase 5
    set_caps # no CAP_SYS_PTRACE
    create_container holder sleep 1000
    run rung exec holder sh -c 'ls /proc/1/fd; cat /proc/1/fd/* 2>&1; ls /proc/1/fd/*/ 2>&1'
    assert_output --partial "Permission denied"
    refute_output --partial exec.fifo
    refute_output --partial state.json
}

@test "run: the process holds only stdin, stdout and stderr" {
    require_phase 5
    echo host-secret >"$BATS_TEST_TMPDIR/secret"
    run run_container ls /proc/self/fd 7<"$BATS_TEST_TMPDIR/secret"
    assert_success
    # stdio, and ls's own directory.
    assert_equal "$(fds_line <<<"$output")" "0 1 2 3 "
}

@test "create + start, and exec, with --console-socket: the process holds only the pty's stdio" {
    require_phase 5
    [[ -x $RECVTTY ]] || fail "$RECVTTY is not built (cmake --build build)"
    update_config '.process.terminal = true'
    set_args sh -c 'ls -1 /proc/self/fd; sleep 1000'
    "$RECVTTY" "$SOCK" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" &
    RECV_PID=$!
    wait_for test -S "$SOCK"
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" ttyfds >/dev/null 2>&1 </dev/null 7</dev/null
    rung start ttyfds
    wait_for grep -q 3 "$BATS_TEST_TMPDIR/tty.out"
    assert_equal "$(fds_line <"$BATS_TEST_TMPDIR/tty.out")" "0 1 2 3 "
    kill "$RECV_PID"
    wait "$RECV_PID" || true
    "$RECVTTY" "$SOCK" >"$BATS_TEST_TMPDIR/exec.out" 2>"$BATS_TEST_TMPDIR/exec.err" &
    RECV_PID=$!
    wait_for test -S "$SOCK"
    rung exec --tty --detach --console-socket "$SOCK" ttyfds ls -1 /proc/self/fd 7</dev/null
    wait_for grep -q 3 "$BATS_TEST_TMPDIR/exec.out"
    assert_equal "$(fds_line <"$BATS_TEST_TMPDIR/exec.out")" "0 1 2 3 "
}

@test "the state root and directory are 0700, state.json, config.json and exec.fifo 0600" {
    require_phase 5
    create_container modes sleep 1000
    assert_equal "$(stat -c %a "$ROOT" "$ROOT/modes" | tr '\n' ' ')" "700 700 "
    assert_equal "$(stat -c %a "$ROOT/modes/state.json" "$ROOT/modes/config.json" | tr '\n' ' ')" "600 600 "
    assert_equal "$(stat -c '%a %F' "$ROOT/modes/exec.fifo")" "600 fifo"
}
