#!/usr/bin/env bats
# Phase 3 and on: `rung exec` runs another process in a container's namespaces; `rung ps` lists
# the container's processes.

load helpers
load bundle

setup() {
    setup_bundle
    # Every namespace exec joins is a new one, so that "joined" cannot pass by sharing the host's.
    update_config '.linux.namespaces += [{type: "cgroup"}]'
}

teardown() {
    teardown_bundle
}

# running ID: create and start ID with `sleep 1000` as its process; INIT is its host pid.
running() {
    create_container "$1" sleep 1000
    rung start "$1"
    INIT=$(rung state "$1" | jq .pid)
}

@test "exec joins every namespace of the container's init" {
    require_phase 3
    running ns
    run rung exec ns sh -c 'for n in ipc uts net pid mnt cgroup; do echo "$n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n)"; done'
    assert_success
    assert_equal "${#lines[@]}" 6
    local n theirs mine host
    while read -r n mine theirs; do
        assert_equal "$mine" "$theirs"
        assert_equal "$mine" "$(readlink "/proc/$INIT/ns/$n")"
        host=$(readlink "/proc/self/ns/$n")
        [[ $mine != "$host" ]] || fail "$n is the host's"
    done <<<"$output"
}

@test "exec sees the container's root, hostname and process tree" {
    require_phase 3
    echo inside >"$ROOTFS/marker"
    running view
    run rung exec view sh -c 'cat /marker; hostname; cat /proc/1/comm'
    assert_success
    assert_output $'inside\nrung\nsleep'
}

@test "exec's exit status is the process's; a missing command is 127 and named" {
    require_phase 3
    running status
    run rung exec status sh -c 'exit 7'
    assert_failure 7
    run -127 rung exec status no-such-command
    one_line
    assert_output --partial '"no-such-command"'
    run rung exec status sh -c 'kill -TERM $$'
    assert_failure $((128 + 15))
    # "--" ends rung's options; it is not the command.
    run rung exec status -- echo -n separated
    assert_success
    assert_output separated
}

@test "exec takes the config's process, with --env, --cwd and --user on top" {
    require_phase 3
    update_config '.process.env = ["PATH=/bin:/usr/bin", "FROM_CONFIG=1", "OVERRIDE=old"]'
    running flags
    run rung exec flags env
    assert_success
    assert_equal "$(sort <<<"$output")" $'FROM_CONFIG=1\nOVERRIDE=old\nPATH=/bin:/usr/bin'
    run rung exec --env OVERRIDE=new -e ADDED=yes --cwd /tmp --user 1000:1001 flags sh -c 'echo "$OVERRIDE $ADDED $FROM_CONFIG"; pwd; id -u; id -g'
    assert_success
    assert_output $'new yes 1\n/tmp\n1000\n1001'
}

@test "exec --process FILE runs the process described there" {
    require_phase 3
    running procfile
    jq -n '{args: ["sh", "-c", "echo $WHO; pwd; id -u; grep Umask /proc/self/status"], env: ["PATH=/bin:/usr/bin", "WHO=from-file"],
            cwd: "/etc", user: {uid: 1234, gid: 1234, umask: 63}}' >"$BATS_TEST_TMPDIR/process.json"
    run rung exec --process "$BATS_TEST_TMPDIR/process.json" procfile
    assert_success
    assert_output $'from-file\n/etc\n1234\nUmask:\t0077'
    echo '{"args": ["true"]}' >"$BATS_TEST_TMPDIR/bad.json"
    run rung exec --process "$BATS_TEST_TMPDIR/bad.json" procfile
    assert_failure
    one_line
    assert_output --partial "cwd"
}

@test "exec --detach --pid-file: the process keeps running in the container" {
    require_phase 3
    running detach
    local pidfile=$BATS_TEST_TMPDIR/exec.pid
    # The detached process keeps the stdio it is given, as with runc: not a pipe `run` reads.
    rung exec --detach --pid-file "$pidfile" detach sleep 999 >"$BATS_TEST_TMPDIR/exec.out" 2>&1 </dev/null
    assert_equal "$(cat "$BATS_TEST_TMPDIR/exec.out")" ""
    local pid
    pid=$(cat "$pidfile")
    kill -0 "$pid"
    assert_equal "$(cat "/proc/$pid/comm")" sleep
    assert_equal "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$INIT/ns/pid")"
    assert_equal "$(readlink "/proc/$pid/ns/mnt")" "$(readlink "/proc/$INIT/ns/mnt")"
}

@test "exec into a stopped container is an error" {
    require_phase 3
    create_container gone true
    rung start gone
    wait_for status_is gone stopped
    run rung exec gone true
    assert_failure
    one_line
    assert_output 'rung: exec: container "gone" is stopped: exec needs a created or running container'
    run rung exec nosuch true
    assert_failure
    assert_output 'rung: exec: container "nosuch" does not exist'
}

@test "exec into a container started with --no-pivot sees its rootfs" {
    require_phase 3
    echo inside >"$ROOTFS/marker"
    set_args sleep 1000
    rung run --detach --no-pivot --bundle "$BUNDLE" nopivot >/dev/null 2>&1 </dev/null
    run rung exec nopivot cat /marker
    assert_success
    assert_output inside
}

@test "ps: the container's processes, init and exec'd, and nothing else" {
    require_phase 3
    running ps
    rung exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" ps sleep 999 >/dev/null 2>&1 </dev/null
    local exec_pid
    exec_pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
    run rung ps --format json ps
    assert_success
    assert_equal "$(jq -c 'sort' <<<"$output")" "$(jq -c -n --argjson a "$INIT" --argjson b "$exec_pid" '[$a, $b] | sort')"
    run rung ps ps
    assert_success
    assert_equal "${#lines[@]}" 3
    [[ ${lines[0]} == *PID* ]]
    assert_equal "$(tail -n +2 <<<"$output" | awk '{print $2}' | sort -n | tr '\n' ' ')" "$(printf '%s\n' "$INIT" "$exec_pid" | sort -n | tr '\n' ' ')"
    # ps(1) options pass through.
    run rung ps ps -- -o pid,comm
    assert_success
    assert_equal "$(tail -n +2 <<<"$output" | awk '{print $2}' | sort | tr '\n' ' ')" "sleep sleep "
}

@test "ps of a stopped container is an error" {
    require_phase 3
    create_container stopped true
    rung start stopped
    wait_for status_is stopped stopped
    run rung ps stopped
    assert_failure
    one_line
    # From phase 4 a paused container is listed too.
    local states="created or running"
    ((PHASE < 4)) || states="created, running or paused"
    assert_output "rung: ps: container \"stopped\" is stopped: ps needs a $states container"
}

@test "ps fails when ps(1) fails, and prints none of its rows" {
    require_phase 3
    running psfail
    run -1 rung ps psfail -- --no-such-ps-option
    assert_line --index -1 "rung: ps: \"ps '--no-such-ps-option'\" failed (exit status 1)"
    refute_line --partial PID
}

@test "ps keeps a line longer than 4096 bytes whole" {
    require_phase 3
    running pslong
    local marker
    marker=$(printf 'x%.0s' {1..5000})
    rung exec --detach pslong sh -c "sleep 998; : $marker" >/dev/null 2>&1 </dev/null
    wait_for pgrep -f "sleep 998; : x"
    run rung ps pslong
    assert_success
    # The header, init, the shell whose command line holds the marker, in one line, and its sleep.
    assert_equal "${#lines[@]}" 4
    assert_line --partial "sleep 998; : $marker"
}

@test "exec -u takes decimal ids that fit a uint32, nothing else" {
    require_phase 3
    running users
    run rung exec -u 1000:5 users sh -c 'id -u; id -g'
    assert_success
    assert_output $'1000\n5'
    local bad
    for bad in 4294967296 1000abc:5x -1 1000: :5 0x10 ' 1' 1000:4294967296; do
        run -1 rung exec -u "$bad" users true
        assert_output "rung: exec: --user \"$bad\": expected UID[:GID] (numbers)"
    done
    # (uid_t)-1 fits, but setuid(2) takes it as "no change": refused before anything runs.
    run -1 rung exec -u 4294967295 users true
    assert_output 'rung: exec: process.user.uid: 4294967295 is -1 to the kernel, not an ID'
    run -1 rung exec -u 0:4294967295 users true
    assert_output 'rung: exec: process.user.gid: 4294967295 is -1 to the kernel, not an ID'
}

@test "exec --additional-gids, -g: repeated or a comma list, as runc takes it" {
    require_phase 3
    running groups
    run rung exec --additional-gids 10,20 -g 30 groups grep Groups /proc/self/status
    assert_success
    assert_output --regexp $'^Groups:\t10 20 30 ?$'
    run -1 rung exec -g 10,x groups true
    assert_output 'rung: exec: --additional-gids "10,x": expected GID[,GID...] (numbers)'
    run -1 rung exec -g 4294967295 groups true
    assert_output 'rung: exec: process.user.additionalGids[0]: 4294967295 is -1 to the kernel, not an ID'
}

@test "exec --preserve-fds N passes fds 3 to 3+N-1 on; without it they are closed" {
    require_phase 3
    running fds
    echo three >"$BATS_TEST_TMPDIR/three"
    echo four >"$BATS_TEST_TMPDIR/four"
    run rung exec --preserve-fds 2 fds sh -c 'cat <&3; cat <&4' 3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four"
    assert_success
    assert_output $'three\nfour'
    run rung exec --preserve-fds 1 fds sh -c 'cat <&3; ls /proc/self/fd/4' 3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four"
    assert_failure
    assert_line --index 0 three
    run rung exec fds sh -c 'ls /proc/self/fd/3' 3<"$BATS_TEST_TMPDIR/three"
    assert_failure
    run -1 rung exec --preserve-fds -1 fds true
    one_line
    assert_output --partial -- '--preserve-fds'
}

@test "exec --cwd /proc/self/fd/N of a host directory is refused, as it would start outside" {
    require_phase 3
    # The fd is the caller's, passed on by --preserve-fds: a directory of the host. chdir(2) to
    # its magic link succeeds; getcwd(3) then finds no path from the container's root.
    running hostfd
    run -1 rung exec --preserve-fds 1 --cwd /proc/self/fd/3 hostfd ls .. 3<"$BATS_TEST_TMPDIR"
    assert_output 'rung: exec: process.cwd "/proc/self/fd/3" is a directory outside the container'"'"'s root (a /proc/self/fd link?)'
    run rung exec --preserve-fds 1 --cwd /tmp hostfd pwd 3<"$BATS_TEST_TMPDIR"
    assert_success
    assert_output /tmp
}

@test "in the host's PID namespace, ps lists init and its descendants, delete --force kills them all" {
    require_phase 3
    update_config '.linux.namespaces |= map(select(.type != "pid"))'
    local n=$((30000000 + $$ % 1000000))
    create_container hostpid sh -c "sleep $n & sleep $((n + 1)) & wait"
    rung start hostpid
    wait_for pgrep -f "sleep $((n + 1))"
    local init children
    init=$(rung state hostpid | jq .pid)
    mapfile -t children < <(pgrep -P "$init" | sort -n)
    assert_equal "${#children[@]}" 2
    run rung ps --format json hostpid
    assert_success
    assert_equal "$(jq -r 'sort | map(tostring) | join(" ")' <<<"$output") " "$(printf '%s\n' "$init" "${children[@]}" | sort -n | tr '\n' ' ')"
    run rung delete --force hostpid
    assert_success
    # Nothing of the container is left running, not even the reparented children.
    wait_for process_gone "$init"
    local pid
    for pid in "${children[@]}"; do
        wait_for process_gone "$pid" || fail "$pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) outlived delete --force"
    done
}

@test "an exec'd process holds none of rung's other file descriptors" {
    require_phase 3
    running fds
    echo host-secret >"$BATS_TEST_TMPDIR/secret"
    # fd 7 is open on a host file, without close-on-exec, when rung exec starts.
    run bash -c 'exec 7<"$1"; shift; "$@" ls /proc/self/fd' _ "$BATS_TEST_TMPDIR/secret" "$RUNG" --root "$ROOT" exec fds
    assert_success
    # stdio, and ls's own directory.
    assert_equal "$(tr '\n' ' ' <<<"$output")" "0 1 2 3 "
}
