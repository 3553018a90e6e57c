#!/usr/bin/env bats
# Phase 2 and on: rung as the engines call it. containerd-shim-runc-v2 (through go-runc) and
# podman (through conmon) drive the runtime binary with runc's command line, every call with
# --root and --log FILE --log-format json, and then rely on a few conventions: what the pid file
# holds, the exit status, that the log file exists and holds JSON lines, that the last error
# entry in it says why a call failed (the shim reports that one), that `ps --format json` prints
# nothing but the array (go-runc reads stdout and stderr as one), that a container gets exactly
# the stdio it was given and none of the caller's other fds (the shim's socket is its fd 3).
#
# One test per call, each run exactly as the engine runs it; then one per convention. The
# interop suites (tests/interop) run the engines themselves against phase 5.

load helpers
load bundle

setup() {
    setup_bundle
    LOG=$BATS_TEST_TMPDIR/log.json
    PIPE_PIDS=()
    RECVTTY=${RECVTTY:-$REPO_ROOT/build/tests/tools/recvtty}
    SOCK=$BATS_TEST_TMPDIR/console.sock
}

teardown() {
    [[ -z ${RECV_PID:-} ]] || kill "$RECV_PID" 2>/dev/null || true
    ((${#PIPE_PIDS[@]} == 0)) || kill "${PIPE_PIDS[@]}" 2>/dev/null || true
    teardown_bundle
}

# shim ARGS...: rung as containerd-shim-runc-v2 calls it (go-runc: `--log-format json`).
shim() {
    "$RUNG" --root "$ROOT" --log "$LOG" --log-format json "$@"
}

# podman ARGS...: rung as podman and conmon call it (`--log-format=json`).
podman() {
    "$RUNG" --root="$ROOT" --log "$LOG" --log-format=json "$@"
}

# log_is_json: the log file exists and each of its lines is one JSON object with a string level,
# msg and time, as the engines parse it.
log_is_json() {
    [[ -f $LOG ]] || fail "the --log file $LOG was not created"
    local line
    while IFS= read -r line; do
        jq -e '(.level | type) == "string" and (.msg | type) == "string" and
               (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' <<<"$line" >/dev/null ||
            fail "not a JSON log entry: $line"
    done <"$LOG"
}

# no_error_logged: the calls so far left a valid log with no error entry.
no_error_logged() {
    log_is_json
    run jq -r 'select(.level == "error") | .msg' "$LOG"
    assert_output ""
}

# last_error: the msg of the log's last error entry, which the shim reports for a failed call.
last_error() {
    jq -r 'select(.level == "error") | .msg' "$LOG" | tail -n 1
}

# created ID [CMD ARGS...]: `create --bundle --pid-file` as the shim calls it, the container's
# stdio being files (it holds them until it exits: never a pipe `run` reads to EOF).
created() {
    local id=$1
    shift
    (($# == 0)) || set_args "$@"
    shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/$id.pid" "$id" \
        </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err"
}

# running ID [CMD ARGS...]: created, then `start`. INIT is its host pid.
running() {
    created "$@"
    shim start "$1"
    INIT=$(cat "$BATS_TEST_TMPDIR/$1.pid")
}

# process_file PATH CMD ARGS...: the config's process with CMD ARGS, as the shim writes it for
# `exec --process`.
process_file() {
    local path=$1
    shift
    jq --argjson a "$(json_array "$@")" '.process | .args = $a' "$BUNDLE/config.json" >"$path"
}

# exec_detached ID CMD ARGS...: `exec --process --detach --pid-file` as the shim calls it, the
# process's stdio being /dev/null. EXEC_PID is its pid.
exec_detached() {
    local id=$1
    shift
    process_file "$BATS_TEST_TMPDIR/process.json" "$@"
    shim exec --process "$BATS_TEST_TMPDIR/process.json" --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$id" \
        </dev/null >/dev/null 2>&1
    EXEC_PID=$(cat "$BATS_TEST_TMPDIR/exec.pid")
}

# start_recvtty: conmon's and the shim's end of --console-socket, in the background.
start_recvtty() {
    [[ -x $RECVTTY ]] || fail "$RECVTTY is not built (cmake --build build)"
    "$RECVTTY" "$SOCK" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" &
    RECV_PID=$!
    wait_for listening "$SOCK"
}

listening() {
    [[ -n $(ss -xlH src "$1") ]]
}

# fds_of PID: the fds a process holds, as one line "0 1 2 ".
fds_of() {
    find "/proc/$1/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' '
}

# Trap TERM: as PID 1 of its namespace the shell would ignore it otherwise.
TERMINABLE='trap "exit 0" TERM; while :; do sleep 0.1; done'

@test "engine: create --bundle --pid-file: created, the pid file holds init's pid, a log" {
    require_phase 2
    created cp sleep 1000
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/cp.pid")
    # runc writes the bare number, no newline: go-runc's ReadPidFile takes it as it is.
    [[ $pid =~ ^[0-9]+$ ]] || fail "pid file holds \"$pid\""
    assert_equal "$(rung state cp | jq -r .pid)" "$pid"
    assert_equal "$(container_status cp)" created
    kill -0 "$pid"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/cp.out")" ""
    no_error_logged
}

@test "engine: create --console-socket: the pty master goes to the socket" {
    require_phase 3
    update_config '.process.terminal = true'
    set_args sh -c 'tty; sleep 1000'
    start_recvtty
    podman create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/tty.pid" --console-socket "$SOCK" \
        tty </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1
    assert_equal "$(container_status tty)" created
    assert_equal "$(cat "$BATS_TEST_TMPDIR/tty.pid")" "$(rung state tty | jq -r .pid)"
    podman start tty
    wait_for grep -q /dev/pts/ "$BATS_TEST_TMPDIR/tty.out"
    no_error_logged
}

@test "engine: start: running; a second start is an error in the log" {
    require_phase 2
    running st sleep 1000
    assert_equal "$(container_status st)" running
    assert_equal "$(rung state st | jq -r .pid)" "$INIT"
    no_error_logged
    run -1 shim start st
    assert_equal "$(last_error)" 'start: container "st" is running: only a created container can be started'
    assert_output "rung: $(last_error)"
    log_is_json
}

@test "engine: exec --process --detach --pid-file: the process runs in the container" {
    require_phase 3
    running ex sleep 1000
    process_file "$BATS_TEST_TMPDIR/process.json" sleep 999
    shim exec --process "$BATS_TEST_TMPDIR/process.json" --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" ex \
        </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
    [[ $pid =~ ^[0-9]+$ ]] || fail "pid file holds \"$pid\""
    assert_equal "$(cat "/proc/$pid/comm")" sleep
    assert_equal "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$INIT/ns/pid")"
    assert_equal "$(readlink "/proc/$pid/ns/mnt")" "$(readlink "/proc/$INIT/ns/mnt")"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/exec.out")" ""
    no_error_logged
}

@test "engine: exec --tty --console-socket --detach: the process has a pty of its own" {
    require_phase 3
    running ext sleep 1000
    process_file "$BATS_TEST_TMPDIR/process.json" sh -c 'tty; sleep 1000'
    jq '.terminal = true' "$BATS_TEST_TMPDIR/process.json" >"$BATS_TEST_TMPDIR/tty.json"
    start_recvtty
    podman exec --process "$BATS_TEST_TMPDIR/tty.json" --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" \
        --tty --console-socket "$SOCK" ext </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1
    wait_for grep -q /dev/pts/ "$BATS_TEST_TMPDIR/tty.out"
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
    assert_equal "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$INIT/ns/pid")"
    [[ $(readlink "/proc/$pid/fd/0") == /dev/pts/* ]] || fail "stdin is $(readlink "/proc/$pid/fd/0")"
    no_error_logged
}

@test "engine: exec --preserve-fds N: fds 3 to 3+N-1 reach the process, no more" {
    require_phase 3
    running pf sleep 1000
    echo three >"$BATS_TEST_TMPDIR/three"
    echo four >"$BATS_TEST_TMPDIR/four"
    process_file "$BATS_TEST_TMPDIR/process.json" sh -c 'cat <&3; cat <&4; test -e /proc/self/fd/5 || echo no-5'
    run -0 podman exec --process "$BATS_TEST_TMPDIR/process.json" --preserve-fds 2 pf \
        3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four" 5<"$BATS_TEST_TMPDIR/four"
    assert_output $'three\nfour\nno-5'
    no_error_logged
}

@test "engine: kill ID 15: the container stops" {
    require_phase 2
    running k15 sh -c "$TERMINABLE"
    shim kill k15 15
    wait_for status_is k15 stopped
    wait_for process_gone "$INIT"
    no_error_logged
}

@test "engine: kill ID 9: the container stops, and a stopped one cannot be signalled" {
    require_phase 2
    running k9 sleep 1000
    shim kill k9 9
    wait_for status_is k9 stopped
    run -1 shim kill k9 9
    assert_equal "$(last_error)" "kill: container \"k9\" is stopped: only a created or running one can be signalled (container not running)"
    log_is_json
}

@test "engine: kill --all ID 9: every process of the container goes" {
    require_phase 4
    running ka sleep 1000
    exec_detached ka sleep 999
    shim kill --all ka 9
    wait_for process_gone "$INIT"
    wait_for process_gone "$EXEC_PID"
    wait_for status_is ka stopped
    no_error_logged
}

@test "engine: pause and resume: paused, then running again" {
    require_phase 4
    running pr sleep 1000
    shim pause pr
    assert_equal "$(container_status pr)" paused
    wait_for grep -q 'frozen 1' "$(cgroup2_dir pr)/cgroup.events"
    shim resume pr
    assert_equal "$(container_status pr)" running
    wait_for grep -q 'frozen 0' "$(cgroup2_dir pr)/cgroup.events"
    no_error_logged
}

# cgroup2_dir ID: the container's cgroup directory on this host.
cgroup2_dir() {
    local mnt=/sys/fs/cgroup
    [[ $(stat -fc %T $mnt) == cgroup2fs ]] || mnt=/sys/fs/cgroup/unified
    echo "$mnt$(jq -r .cgroupPath "$ROOT/$1/state.json")"
}

@test "engine: ps --format json: the pids as a JSON array on stdout, nothing on stderr" {
    require_phase 3
    running ps sleep 1000
    exec_detached ps sleep 999
    shim ps --format json ps >"$BATS_TEST_TMPDIR/ps.out" 2>"$BATS_TEST_TMPDIR/ps.err"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/ps.err")" ""
    output=$(cat "$BATS_TEST_TMPDIR/ps.out")
    # go-runc parses stdout and stderr together as one []int.
    assert_equal "$(jq -c 'sort' <<<"$output")" "$(jq -c -n --argjson a "$INIT" --argjson b "$EXEC_PID" '[$a, $b] | sort')"
    no_error_logged
}

@test "engine: update -r - and --resources=-: the resources from stdin reach the cgroup" {
    require_phase 4
    running up sleep 1000
    # Core cgroup v2 files need no controller: the unified map works on any host.
    shim update -r - up <<<'{"unified": {"cgroup.max.depth": "3"}}'
    assert_equal "$(cat "$(cgroup2_dir up)/cgroup.max.depth")" 3
    # go-runc's own spelling.
    shim update --resources=- up <<<'{"unified": {"cgroup.max.depth": "4"}}'
    assert_equal "$(cat "$(cgroup2_dir up)/cgroup.max.depth")" 4
    no_error_logged
    run -1 shim update --resources=- up <<<'{"unified": {"cgroup.max.depth": "many"}}'
    [[ $(last_error) == *cgroup.max.depth* ]] || fail "last error: $(last_error)"
}

@test "engine: delete: a stopped container and its state go" {
    require_phase 2
    running del true
    wait_for status_is del stopped
    shim delete del
    [[ ! -e $ROOT/del ]]
    run -1 rung state del
    no_error_logged
}

@test "engine: delete --force: a running container is killed and deleted" {
    require_phase 2
    running delf sleep 1000
    shim delete --force delf
    [[ ! -e $ROOT/delf ]]
    wait_for process_gone "$INIT"
    no_error_logged
}

@test "engine: --version: rung's and the spec's version, as go-runc parses them" {
    require_phase 1
    "$RUNG" --log "$LOG" --log-format json --version >"$BATS_TEST_TMPDIR/v.out" 2>"$BATS_TEST_TMPDIR/v.err"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/v.err")" ""
    output=$(cat "$BATS_TEST_TMPDIR/v.out")
    mapfile -t lines <<<"$output"
    assert_line --index 0 --regexp '^rung version [0-9]+\.[0-9]+\.[0-9]+$'
    assert_line --regexp '^spec: 1\.[0-9]+\.[0-9]+$'
}

@test "engine: features: JSON only on stdout, nothing on stderr" {
    require_phase 5
    shim features >"$BATS_TEST_TMPDIR/f.out" 2>"$BATS_TEST_TMPDIR/f.err"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/f.err")" ""
    output=$(cat "$BATS_TEST_TMPDIR/f.out")
    jq -e '.ociVersionMin and .ociVersionMax and (.linux.namespaces | length > 0)' <<<"$output" >/dev/null
    no_error_logged
}

@test "engine: create --no-pivot: the container runs in its rootfs" {
    require_phase 3
    touch "$ROOTFS/marker"
    set_args sh -c 'test -e /marker && echo in-rootfs; sleep 1000'
    shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/np.pid" --no-pivot np \
        </dev/null >"$BATS_TEST_TMPDIR/np.out" 2>&1
    assert_equal "$(container_status np)" created
    shim start np
    wait_for grep -q in-rootfs "$BATS_TEST_TMPDIR/np.out"
    no_error_logged
}

# keyring_of ID [FLAG...]: create ID (with FLAGs) and start it running /bin/attack keyring, then
# exec the same; INIT_RING and EXEC_RING are what each printed: "serial description" of its
# session keyring (tests/tools/attack.cpp; busybox has no keyctl).
keyring_of() {
    local id=$1
    shift
    [[ -x $ATTACK ]] || fail "$ATTACK is not built"
    cp "$ATTACK" "$ROOTFS/bin/attack"
    set_args sh -c '/bin/attack keyring; exec sleep 1000'
    shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/$id.pid" "$@" "$id" \
        </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>&1
    shim start "$id"
    wait_for grep -q . "$BATS_TEST_TMPDIR/$id.out"
    INIT_RING=$(cat "$BATS_TEST_TMPDIR/$id.out")
    process_file "$BATS_TEST_TMPDIR/process.json" /bin/attack keyring
    EXEC_RING=$(shim exec --process "$BATS_TEST_TMPDIR/process.json" "$id")
}

@test "engine: create gives the container a session keyring of its own, --no-new-keyring the caller's" {
    require_phase 5
    ATTACK=${ATTACK:-$REPO_ROOT/build/tests/tools/attack}
    local caller
    caller=$("$ATTACK" keyring)
    # runc's: a new session keyring named _ses.<id>, which its user may search (KEY_USR_SEARCH),
    # so that exec finds it by name and joins it too.
    keyring_of own
    [[ $INIT_RING == *";_ses.own" ]] || fail "init's session keyring: $INIT_RING"
    [[ $INIT_RING != "$caller" ]]
    local perm
    perm=$(cut -d';' -f4 <<<"$INIT_RING")
    ((0x$perm & 0x00080000)) || fail "perm $perm lacks KEY_USR_SEARCH"
    assert_equal "$EXEC_RING" "$INIT_RING"
    # --no-new-keyring: init and exec's process hold the caller's session keyring.
    keyring_of kept --no-new-keyring
    assert_equal "$INIT_RING" "$caller"
    assert_equal "$EXEC_RING" "$caller"
    no_error_logged
}

# ---- the conventions the shim relies on ----

@test "engine: delete --force of a missing container exits 0 and logs no error" {
    require_phase 2
    run -0 shim delete --force nothing-here
    assert_output ""
    no_error_logged
}

@test "engine: the --log file is created even by a call that logs nothing" {
    require_phase 2
    run -0 shim list
    [[ -f $LOG ]] || fail "no $LOG"
    assert_equal "$(wc -c <"$LOG")" 0
}

@test "engine: every failure appends a JSON error entry: the last one says why" {
    require_phase 2
    # A missing container, for each call that names one.
    local cmd
    for cmd in start "kill" delete state; do
        run -1 shim $cmd ghost
        assert_equal "$(last_error)" "$cmd: container \"ghost\" does not exist"
        assert_output "rung: $(last_error)"
    done
    # A bad signal.
    running sig sleep 1000
    run -1 shim kill sig FOO
    assert_equal "$(last_error)" 'kill: unknown signal "FOO"'
    # A bad config.
    echo '{"ociVersion": ' >"$BUNDLE/config.json"
    run -1 shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/bad.pid" bad
    [[ $(last_error) == "create: "*config.json* ]] || fail "last error: $(last_error)"
    [[ ! -e $BATS_TEST_TMPDIR/bad.pid && ! -e $ROOT/bad ]]
    # A mistake in the command line itself.
    run -1 shim kill --bogus sig 9
    assert_equal "$(last_error)" 'kill: unknown flag "--bogus"'
    assert_output 'rung: kill: unknown flag "--bogus"'
    run -1 shim create --bundle
    assert_equal "$(last_error)" 'create: --bundle: 1 required TEXT missing'
    log_is_json
    (($(jq -s 'map(select(.level == "error")) | length' "$LOG") == 8))
}

@test "engine: a failed hook is the last error entry, and create leaves nothing" {
    require_phase 3
    update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
    run -1 shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/hook.pid" hook </dev/null
    assert_equal "$(last_error)" 'create: createRuntime hook[0] "/bin/sh": exit status 3'
    [[ ! -e $ROOT/hook && ! -e $BATS_TEST_TMPDIR/hook.pid ]]
    log_is_json
}

@test "engine: no fd the caller left open (the shim's socket, fd 3) reaches the container" {
    require_phase 2
    # The shim's ttrpc socket is its fd 3, inherited by rung (no O_CLOEXEC): a stand-in.
    set_args sleep 1000
    shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/fd.pid" fd \
        </dev/null >"$BATS_TEST_TMPDIR/fd.out" 2>&1 3>"$BATS_TEST_TMPDIR/shim-socket" 4<"$BUNDLE/config.json"
    shim start fd 3>"$BATS_TEST_TMPDIR/shim-socket"
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/fd.pid")
    wait_for comm_is "$pid" sleep
    assert_equal "$(fds_of "$pid")" "0 1 2 "
    if ((PHASE >= 3)); then
        exec_detached fd sleep 999 3>"$BATS_TEST_TMPDIR/shim-socket"
        assert_equal "$(fds_of "$EXEC_PID")" "0 1 2 "
    fi
}

@test "engine: a non-tty container's stdio are the very pipes the runtime was given" {
    require_phase 2
    # The shim hands create three pipes (os.Pipe) for the container's stdin, stdout and stderr.
    local in out err
    # (The writer of stdin's pipe exits at once: the container reads EOF, as from an empty one.)
    exec {in}< <(:)
    exec {out}> >(cat >"$BATS_TEST_TMPDIR/stdout")
    PIPE_PIDS+=("$!")
    exec {err}> >(cat >"$BATS_TEST_TMPDIR/stderr")
    PIPE_PIDS+=("$!")
    set_args sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 1000'
    shim create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/io.pid" io <&$in >&$out 2>&$err
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/io.pid")
    assert_equal "$(readlink "/proc/$pid/fd/0")" "$(readlink "/proc/$$/fd/$in")"
    assert_equal "$(readlink "/proc/$pid/fd/1")" "$(readlink "/proc/$$/fd/$out")"
    assert_equal "$(readlink "/proc/$pid/fd/2")" "$(readlink "/proc/$$/fd/$err")"
    [[ $(readlink "/proc/$pid/fd/1") == pipe:* ]]
    exec {in}<&- {out}>&- {err}>&-
    shim start io
    wait_for grep -qx to-stdout "$BATS_TEST_TMPDIR/stdout"
    wait_for grep -qx to-stderr "$BATS_TEST_TMPDIR/stderr"
    no_error_logged
}
