#!/usr/bin/env bats
# Phase 3 and on: process.terminal. With a console socket (command-line-interface.md, create
# --console-socket) the pty master goes to whoever listens there: tests/tools/recvtty plays
# conmon. In the foreground, `rung run` relays the pty itself: util-linux script(1) gives it a
# terminal to relay to.

load helpers
load bundle

setup() {
    setup_bundle
    RECVTTY=${RECVTTY:-$REPO_ROOT/build/tests/tools/recvtty}
    [[ -x $RECVTTY ]] || fail "$RECVTTY is not built (cmake --build build)"
    SOCK=$BATS_TEST_TMPDIR/console.sock
    update_config '.process.terminal = true'
}

teardown() {
    [[ -z ${RECV_PID:-} ]] || kill "$RECV_PID" 2>/dev/null || true
    teardown_bundle
}

# start_recvtty [INPUT]: listen on $SOCK in the background; the terminal's output goes to
# $BATS_TEST_TMPDIR/tty.out, recvtty's messages to tty.err.
start_recvtty() {
    "$RECVTTY" "$SOCK" "$@" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" &
    RECV_PID=$!
    # The socket file exists from bind(2), but a connect fails until listen(2): wait for that.
    wait_for listening "$SOCK"
}

# listening PATH: a unix socket at PATH accepts connections.
listening() {
    [[ -n $(ss -xlH src "$1") ]]
}

# wait_recvtty: recvtty exits once the last holder of the pty's slave side closes it.
wait_recvtty() {
    wait_for process_gone "$RECV_PID" || fail "recvtty still waits for the terminal to close"
    wait "$RECV_PID"
    RECV_PID=
}

# from_script: what a process printed on a pty relayed through script(1), without the pty's
# \r. script(1) sends the session an end-of-file character when its own stdin (not a terminal
# here) ends, and the container's pty echoes it ("^D\b\b", or "^@" when the terminal is raw):
# that echo is the harness's, not the container's, so it goes too.
from_script() {
    tr -d '\r\b' <<<"$output" | sed -e 's/\^[@D]//g' -e '/^$/d'
}

@test "create --console-socket: the process runs on a pty whose master went to the socket" {
    require_phase 3
    update_config '.process.consoleSize = {height: 40, width: 100}'
    set_args sh -c 'tty; test -t 0 && test -t 1 && test -t 2 && echo stdio-on-the-tty; stty size; test "$(cut -d" " -f7 /proc/self/stat)" != 0 && echo controlling-tty'
    start_recvtty
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" tty >"$BATS_TEST_TMPDIR/create.out" 2>&1 </dev/null
    rung start tty
    wait_recvtty
    local out
    out=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
    assert_equal "$out" $'/dev/pts/0\nstdio-on-the-tty\n40 100\ncontrolling-tty'
    # The request that came with the fd names the container.
    run cat "$BATS_TEST_TMPDIR/tty.err"
    assert_output --partial '"container":"tty"'
    assert_output --partial '"type":"terminal"'
    # create itself printed nothing (the terminal is the container's).
    assert_equal "$(cat "$BATS_TEST_TMPDIR/create.out")" ""
}

@test "/dev/console is the process's pty, bind mounted" {
    require_phase 3
    set_args sh -c 'stat -c %t:%T /dev/console $(tty); echo via-console >/dev/console; cat /proc/self/mountinfo'
    start_recvtty
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" console >/dev/null 2>&1 </dev/null
    rung start console
    wait_recvtty
    run tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
    # The same device twice: /dev/console and /dev/pts/0.
    [[ ${lines[0]} == "${lines[1]}" && ${lines[0]} != 5:1 ]] || fail "$output"
    assert_line via-console
    [[ $(mount_fstype /dev/console) == devpts ]]
}

@test "what is typed on the console reaches the process" {
    require_phase 3
    set_args sh
    start_recvtty $'echo typed-$((20 + 22))\nexit 0\n'
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" typing >/dev/null 2>&1 </dev/null
    rung start typing
    wait_recvtty
    run tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
    assert_line typed-42
}

@test "terminal: true without --console-socket fails create with one line" {
    require_phase 3
    set_args true
    run_to_file rung create --bundle "$BUNDLE" nosock
    assert_failure
    one_line
    assert_output --partial "create needs --console-socket"
    assert_clean nosock
}

@test "a console socket nobody listens on fails create and leaves nothing" {
    require_phase 3
    set_args true
    run_to_file rung create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" deaf
    assert_failure
    one_line
    assert_output --partial "\"$BATS_TEST_TMPDIR/nobody.sock\""
    assert_clean deaf
}

@test "a console socket that is no socket fails create with one line and leaves nothing" {
    require_phase 3
    set_args true
    touch "$BATS_TEST_TMPDIR/plain"
    run_to_file rung create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/plain" notsock
    assert_failure
    one_line
    assert_output --partial "console socket \"$BATS_TEST_TMPDIR/plain\": not a unix socket"
    assert_clean notsock
}

@test "run in the foreground relays the pty to its own terminal, and the exit status back" {
    require_phase 3
    command -v script >/dev/null || skip "needs script(1) from util-linux to give rung a terminal"
    set_args sh -c 'tty; test -t 0 && echo stdin-is-a-tty; exit 3'
    run timeout 20 script -qec "$RUNG --root $ROOT run --bundle $BUNDLE fg" /dev/null </dev/null
    assert_failure 3
    run from_script
    assert_output $'/dev/pts/0\nstdin-is-a-tty'
    run rung list -q
    assert_output ""
}

@test "exec --tty --console-socket gives the new process a pty of its own" {
    require_phase 3
    update_config '.process.terminal = false'
    create_container ttyexec sleep 1000
    rung start ttyexec
    start_recvtty
    run rung exec --tty --detach --console-socket "$SOCK" ttyexec sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
    assert_success
    wait_recvtty
    assert_equal "$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")" $'/dev/pts/0\nstdin-is-a-tty'
}

@test "exec --tty in the foreground relays the pty" {
    require_phase 3
    command -v script >/dev/null || skip "needs script(1) from util-linux to give rung a terminal"
    update_config '.process.terminal = false'
    create_container fgexec sleep 1000
    rung start fgexec
    run timeout 20 script -qec "$RUNG --root $ROOT exec --tty fgexec sh -c 'tty; exit 4'" /dev/null </dev/null
    assert_failure 4
    assert_equal "$(from_script)" /dev/pts/0
}

@test "run --detach with a terminal needs a console socket, and uses one" {
    require_phase 3
    set_args sh -c 'tty'
    run_to_file rung run --detach --bundle "$BUNDLE" detached
    assert_failure
    one_line
    assert_output --partial "needs --console-socket"
    assert_clean detached
    start_recvtty
    rung run --detach --console-socket "$SOCK" --bundle "$BUNDLE" detached >/dev/null 2>&1 </dev/null
    wait_recvtty
    assert_equal "$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")" /dev/pts/0
    wait_for status_is detached stopped
}

@test "run and exec in the foreground give the pty the size of rung's own terminal" {
    require_phase 3
    command -v script >/dev/null || skip "needs script(1) from util-linux to give rung a terminal"
    set_args stty size
    run timeout 20 script -qec "stty rows 33 cols 77; $RUNG --root $ROOT run --bundle $BUNDLE sized" /dev/null </dev/null
    assert_success
    assert_equal "$(from_script)" "33 77"
    # Resized while it runs: SIGWINCH reaches rung, which resizes the container's pty.
    set_args sh -c 'for i in $(seq 50); do s=$(stty size); [ "$s" != "33 77" ] && break; sleep 0.1; done; echo "$s"'
    run timeout 20 script -qec "stty rows 33 cols 77; (sleep 0.3; stty -F /dev/tty rows 50 cols 60) & $RUNG --root $ROOT run --bundle $BUNDLE resized" /dev/null </dev/null
    assert_success
    assert_equal "$(from_script)" "50 60"
    update_config '.process.terminal = false'
    create_container sizedexec sleep 1000
    rung start sizedexec
    run timeout 20 script -qec "stty rows 44 cols 88; $RUNG --root $ROOT exec --tty sizedexec stty size" /dev/null </dev/null
    assert_success
    assert_equal "$(from_script)" "44 88"
}

@test "the terminal belongs to process.user, with the group devpts gives it (gid=5)" {
    require_phase 3
    update_config '.process.user = {uid: 1000, gid: 1000}'
    set_args sh -c 'stat -c %u:%g $(tty)'
    start_recvtty
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" owned >/dev/null 2>&1 </dev/null
    rung start owned
    wait_recvtty
    assert_equal "$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")" 1000:1000
    rung delete owned
    # devpts mounted with gid=5, as `rung spec` and the spec's example mount it.
    update_config '(.mounts[] | select(.destination == "/dev/pts") | .options) += ["gid=5"]'
    start_recvtty
    rung create --bundle "$BUNDLE" --console-socket "$SOCK" owned5 >/dev/null 2>&1 </dev/null
    rung start owned5
    wait_recvtty
    assert_equal "$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")" 1000:5
}
