#!/usr/bin/env bats
# Phase 2 and on: the OCI lifecycle. create/start/state/kill/delete/list/run, the state
# directory under --root, and the exec FIFO that keeps the program from running before start.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

@test "create, start, kill, delete: the state at every step" {
    require_phase 2
    local id=cycle
    # Marks that it ran; as PID 1 it needs the trap to die of the default SIGTERM.
    create_container $id sh -c "trap 'exit 0' TERM; touch /tmp/ran.$id; while :; do sleep 0.1; done"
    run rung state $id
    assert_success
    [[ $(jq -r .ociVersion <<<"$output") == 1.* ]]
    assert_equal "$(jq -r .id <<<"$output")" "$id"
    assert_equal "$(jq -r .status <<<"$output")" created
    assert_equal "$(jq -r .bundle <<<"$output")" "$(realpath "$BUNDLE")"
    local pid
    pid=$(jq -r .pid <<<"$output")
    ((pid > 0))
    kill -0 "$pid"
    # The program must not run before start: give it the chance, then look for its mark.
    sleep 0.2
    [[ ! -e $ROOTFS/tmp/ran.$id ]]
    [[ -p $ROOT/$id/exec.fifo ]]

    run rung start $id
    assert_success
    wait_for test -e "$ROOTFS/tmp/ran.$id"
    assert_equal "$(container_status $id)" running
    assert_equal "$(rung state $id | jq -r .pid)" "$pid"
    [[ ! -e $ROOT/$id/exec.fifo ]]

    run rung kill $id
    assert_success
    wait_for status_is $id stopped
    assert_equal "$(rung state $id | jq -r .pid)" 0

    run rung delete $id
    assert_success
    run rung state $id
    assert_failure
    assert_output "rung: state: container \"$id\" does not exist"
    [[ ! -e $ROOT/$id ]]
}

@test "run exits with the container's status and deletes the container" {
    require_phase 2
    set_args sh -c 'echo out; echo err >&2; exit 7'
    run rung run --bundle "$BUNDLE" runner
    assert_failure 7
    assert_line out
    assert_line err
    run rung list -q
    assert_success
    assert_output ""
    [[ ! -e $ROOT/runner ]]
}

@test "kill takes KILL, SIGKILL, 9 and --signal, and refuses an unknown signal" {
    require_phase 2
    local sig id
    for sig in KILL SIGKILL 9; do
        id=k-$sig
        create_container $id sleep 1000
        rung start $id
        assert_equal "$(container_status $id)" running
        run rung kill $id "$sig"
        assert_success
        wait_for status_is $id stopped
    done
    # The OCI command line's spelling.
    create_container k-opt sleep 1000
    rung start k-opt
    run rung kill k-opt --signal KILL
    assert_success
    wait_for status_is k-opt stopped
    create_container k-bad sleep 1000
    rung start k-bad
    run rung kill k-bad NOSUCH
    assert_failure
    assert_output 'rung: kill: unknown signal "NOSUCH"'
    assert_equal "$(container_status k-bad)" running
}

@test "kill of a stopped container is an error and changes nothing" {
    require_phase 2
    create_container gone true
    rung start gone
    wait_for status_is gone stopped
    run rung kill gone KILL
    assert_failure
    # "container not running" as runc says it: containerd's shim reads it as "already exited".
    assert_output 'rung: kill: container "gone" is stopped: only a created or running one can be signalled (container not running)'
    assert_equal "$(container_status gone)" stopped
}

@test "a second create with the same ID fails and leaves the first alone" {
    require_phase 2
    create_container dup sleep 1000
    local pid
    pid=$(rung state dup | jq .pid)
    run rung create --bundle "$BUNDLE" dup
    assert_failure
    assert_output 'rung: create: container "dup" already exists'
    assert_equal "$(rung state dup | jq .pid)" "$pid"
    assert_equal "$(container_status dup)" created
    kill -0 "$pid"
}

@test "invalid IDs are refused before anything is written" {
    require_phase 2
    local long id
    # An ID names a directory: 256 bytes is one more than a file name can hold (NAME_MAX).
    long=$(printf 'a%.0s' {1..256})
    for id in "" / .. ../escape a/b . .hidden -dash "a b" $'a\nb' $'tab\there' 'caf\xc3\xa9' "$long"; do
        run rung create --bundle "$BUNDLE" -- "$id"
        assert_failure
        assert_output --regexp '^rung: create: container ID '
        [[ ${#lines[@]} -eq 1 ]]
        run rung state -- "$id"
        assert_failure
        assert_output --partial 'container ID'
    done
    [[ ! -e $ROOT ]]
}

@test "an ID of 255 bytes, the most a file name holds, is a container like any other" {
    require_phase 2
    local id
    id=$(printf 'a%.0s' {1..255})
    set_args sleep 1000
    rung create --bundle "$BUNDLE" "$id" >/dev/null 2>&1 </dev/null
    assert_equal "$(rung list -q)" "$id"
    assert_equal "$(container_status "$id")" created
    rung delete --force "$id"
    assert_equal "$(rung list -q)" ""
}

@test "an empty --root is refused in one line, and nothing is written to /" {
    require_phase 2
    local id=emptyroot-$$
    run -1 "$RUNG" --root '' create --bundle "$BUNDLE" "$id"
    assert_output 'rung: --root: must not be empty'
    [[ ! -e /$id ]]
}

@test "args and env too big for execve(2) fail create, not start, and leave nothing" {
    require_phase 2
    # One string over MAX_ARG_STRLEN (128 KiB), then 3 MiB in all, over ARG_MAX (2 MiB with the
    # default 8 MiB stack). jq reads the value from a file: it cannot take it as an argument.
    head -c 200000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
    update_config --rawfile v "$BATS_TEST_TMPDIR/big" '.process.env += ["BIG=" + $v]'
    run_to_file rung create --bundle "$BUNDLE" big
    assert_failure
    one_line
    assert_output --regexp '^rung: create: config.json: process.env\[[0-9]+\] is 200005 bytes: execve\(2\) takes at most 131072$'
    assert_clean big
    head -c 100000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
    update_config --rawfile v "$BATS_TEST_TMPDIR/big" '.process.env = [range(30) | "V\(.)=" + $v]'
    run_to_file rung create --bundle "$BUNDLE" big
    assert_failure
    one_line
    assert_output --regexp '^rung: create: config.json: process: args and env take [0-9]+ bytes: execve\(2\) takes at most [0-9]+$'
    assert_clean big
}

@test "run --keep leaves the stopped container, for state and delete" {
    require_phase 2
    set_args sh -c 'exit 3'
    run -3 rung --log "$BATS_TEST_TMPDIR/rung.log" run --keep --bundle "$BUNDLE" kept
    assert_equal "$(container_status kept)" stopped
    assert_equal "$(rung list -q)" kept
    rung delete kept
    assert_equal "$(rung list -q)" ""
}

@test "start twice: the second fails and changes nothing" {
    require_phase 2
    create_container twice sleep 1000
    rung start twice
    local pid
    pid=$(rung state twice | jq .pid)
    run rung start twice
    assert_failure
    assert_output 'rung: start: container "twice" is running: only a created container can be started'
    assert_equal "$(container_status twice)" running
    assert_equal "$(rung state twice | jq .pid)" "$pid"
}

@test "a created container whose process died is stopped, and cannot be started" {
    require_phase 2
    create_container crashed sleep 1000
    local pid
    pid=$(rung state crashed | jq .pid)
    kill -KILL "$pid"
    wait_for process_gone "$pid"
    assert_equal "$(container_status crashed)" stopped
    run rung start crashed
    assert_failure
    assert_output --partial 'container "crashed" is stopped'
    run rung delete crashed
    assert_success
    [[ ! -e $ROOT/crashed ]]
}

@test "delete refuses a created or running container without --force; --force kills it" {
    require_phase 2
    create_container made sleep 1000
    create_container busy sleep 1000
    rung start busy
    local made_pid busy_pid
    made_pid=$(rung state made | jq .pid)
    busy_pid=$(rung state busy | jq .pid)
    run rung delete made
    assert_failure
    assert_output 'rung: delete: container "made" is created: stop it first, or use delete --force'
    run rung delete busy
    assert_failure
    assert_output --partial 'container "busy" is running'
    kill -0 "$made_pid"
    kill -0 "$busy_pid"

    run rung delete --force made
    assert_success
    run rung delete -f busy
    assert_success
    process_gone "$made_pid"
    process_gone "$busy_pid"
    [[ ! -e $ROOT/made && ! -e $ROOT/busy ]]
}

@test "--pid-file receives the container's host pid" {
    require_phase 2
    set_args sleep 1000
    rung create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pidfile" pf >/dev/null 2>&1
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/pidfile")
    assert_equal "$pid" "$(rung state pf | jq .pid)"
    [[ $(cat "/proc/$pid/comm") == rung ]] # init, waiting for start
    rung start pf
    wait_for comm_is "$pid" sleep
    # Written atomically: no temporary file is left next to it.
    run ls "$BATS_TEST_TMPDIR"
    refute_output --partial 'pidfile.tmp'
}

@test "--root keeps two sets of containers apart" {
    require_phase 2
    create_container same sleep 1000
    local other=$BATS_TEST_TMPDIR/other-root
    run "$RUNG" --root "$other" list -q
    assert_success
    assert_output ""
    run "$RUNG" --root "$other" state same
    assert_failure
    assert_output --partial 'container "same" does not exist'
    # The same ID may live under the other root. From phase 4 on, its default cgroup, /rung/<id>,
    # is the same whatever the root (runc's /<id> is too), and holds the first one: the second
    # needs a cgroupsPath of its own.
    ((PHASE < 4)) || update_config --arg p "/rung-other-$$/same" '.linux.cgroupsPath = $p'
    "$RUNG" --root "$other" create --bundle "$BUNDLE" same >/dev/null 2>&1
    run "$RUNG" --root "$other" list -q
    assert_output same
    "$RUNG" --root "$other" delete --force same
    run rung list -q
    assert_output same
    assert_equal "$(container_status same)" created
}

@test "list: a table, JSON, and bare IDs" {
    require_phase 2
    create_container one sleep 1000
    create_container two sleep 1000
    rung start two
    run rung list
    assert_success
    assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER$'
    assert_line --index 1 --regexp "^one +[0-9]+ +created +$BUNDLE "
    assert_line --index 2 --regexp "^two +[0-9]+ +running +$BUNDLE "
    [[ ${#lines[@]} -eq 3 ]]

    run rung list --format json
    assert_success
    assert_equal "$(jq -r 'map(.id + "=" + .status) | join(" ")' <<<"$output")" "one=created two=running"
    assert_equal "$(jq -r '.[1].pid' <<<"$output")" "$(rung state two | jq .pid)"
    # runc's fields, in runc's order.
    assert_equal "$(jq -c '.[0] | keys_unsorted' <<<"$output")" \
        '["ociVersion","id","pid","status","bundle","rootfs","created","annotations","owner"]'
    assert_equal "$(jq -r '.[0].rootfs' <<<"$output")" "$ROOTFS"

    run rung list -q
    assert_success
    assert_output $'one\ntwo'

    rung delete --force one
    rung delete --force two
    run rung list --format json
    assert_output "[]"
    run rung list
    assert_output --regexp '^ID +PID +STATUS'
    [[ ${#lines[@]} -eq 1 ]]
}

@test "--log FILE --log-format json: one JSON object per line, with level, msg and time" {
    require_phase 2
    local log=$BATS_TEST_TMPDIR/rung.log
    set_args sleep 1000
    "$RUNG" --root "$ROOT" --log "$log" --log-format json --debug create --bundle "$BUNDLE" j \
        >/dev/null 2>&1
    "$RUNG" --root "$ROOT" --log "$log" --log-format json --debug start j
    run "$RUNG" --root "$ROOT" --log "$log" --log-format json start j
    assert_failure
    # The error still reaches the terminal, as text.
    assert_output --partial 'rung: start: container "j" is running'
    "$RUNG" --root "$ROOT" --log "$log" --log-format json --debug delete --force j

    [[ $(wc -l <"$log") -gt 10 ]]
    run jq -e -c 'select((.level | type) != "string" or (.msg | type) != "string" or
                         (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) | not)' "$log"
    assert_output ""
    # Every line parsed (jq fails on the first that is not JSON), and the key steps are there.
    jq -e . "$log" >/dev/null
    grep -q '"level":"debug".*mkfifo' "$log"
    grep -q '"level":"debug".*execve' "$log"
    grep -q '"level":"error".*is running' "$log"
    # mkbundle.sh's mounts are phase 3's: until then, create warns about them.
    ((PHASE >= 3)) || grep -q '"level":"warning".*not applied by phase' "$log"
}

@test "20 creates of one ID at once: exactly one wins, the rest leave nothing" {
    require_phase 2
    set_args sleep 1000
    local i
    for i in $(seq 20); do
        (
            rc=0
            rung create --bundle "$BUNDLE" race >"$BATS_TEST_TMPDIR/race.$i" 2>&1 </dev/null || rc=$?
            echo "$rc" >"$BATS_TEST_TMPDIR/race.rc.$i"
        ) &
    done
    wait
    local wins=0 losses=0
    for i in $(seq 20); do
        if [[ $(cat "$BATS_TEST_TMPDIR/race.rc.$i") == 0 ]]; then
            wins=$((wins + 1))
        else
            losses=$((losses + 1))
            assert_equal "$(cat "$BATS_TEST_TMPDIR/race.$i")" 'rung: create: container "race" already exists'
        fi
    done
    assert_equal "$wins" 1
    assert_equal "$losses" 19
    run ls -A "$ROOT"
    assert_output race
    assert_equal "$(container_status race)" created
    # One init waits for start, not twenty.
    run pgrep -f -- "--root $ROOT create"
    [[ ${#lines[@]} -eq 1 ]]
}

@test "50 containers created, started and deleted leave no state, process or mount" {
    require_phase 2
    local i mounts_before
    mounts_before=$(wc -l </proc/self/mountinfo)
    set_args sleep 1000
    for i in $(seq 50); do
        rung create --bundle "$BUNDLE" "many-$i" >/dev/null 2>&1 </dev/null
    done
    [[ $(rung list -q | wc -l) -eq 50 ]]
    for i in $(seq 50); do
        rung start "many-$i"
    done
    [[ $(rung list --format json | jq '[.[] | select(.status == "running")] | length') -eq 50 ]]
    local pids
    pids=$(rung list --format json | jq -r '.[].pid')
    for i in $(seq 50); do
        rung delete --force "many-$i"
    done
    run ls -A "$ROOT"
    assert_output ""
    local pid
    for pid in $pids; do
        process_gone "$pid"
    done
    run pgrep -f -- "$ROOT"
    assert_failure
    [[ $(wc -l </proc/self/mountinfo) -eq $mounts_before ]]
    [[ $(mounts_below_tmpdir) -eq 0 ]]
}

@test "a failed create leaves no state directory and no process" {
    require_phase 2
    # Before the state directory exists: bad config.json.
    echo '{"ociVersion": "1.2.0", "process": ' >"$BUNDLE/config.json"
    run rung create --bundle "$BUNDLE" broken
    assert_failure
    assert_output --regexp '^rung: create: config.json: parse error'
    [[ ${#lines[@]} -eq 1 ]]

    # After clone: init fails inside the container, create must undo everything.
    setup_bundle
    local marker=/no-such-dir-$BATS_TEST_NUMBER-$$
    update_config --arg c "$marker" '.process.cwd = $c'
    run rung create --bundle "$BUNDLE" badcwd
    assert_failure
    assert_output "rung: create: init: chdir \"$marker\": No such file or directory"
    set_args no-such-command
    update_config '.process.cwd = "/"'
    run -127 rung create --bundle "$BUNDLE" notfound
    assert_output --partial 'exec "no-such-command": executable file not found'
    # A path is not searched, but it must still name a program: a directory fails create (126).
    set_args /bin
    run -126 rung create --bundle "$BUNDLE" isdir
    assert_output 'rung: create: init: exec "/bin": Permission denied'
    run ls -A "$ROOT"
    assert_output ""
    run pgrep -f -- "--root $ROOT create"
    assert_failure
}

@test "config.json errors are one line naming the file and the field" {
    require_phase 2
    # The exact words may change as later phases grow the model; the file and field may not.
    update_config 'del(.process.args)'
    run rung create --bundle "$BUNDLE" noargs
    assert_failure
    assert_output --regexp '^rung: create: config.json: .*process.args'
    [[ ${#lines[@]} -eq 1 ]]
    update_config '.process.args = []'
    run rung create --bundle "$BUNDLE" emptyargs
    assert_failure
    assert_output --regexp '^rung: create: config.json: .*process.args'
    [[ ${#lines[@]} -eq 1 ]]
    update_config '.process.args = ["sh"] | .process.cwd = "relative"'
    run rung create --bundle "$BUNDLE" relcwd
    assert_failure
    assert_output --regexp '^rung: create: config.json: .*process.cwd.*relative'
    [[ ${#lines[@]} -eq 1 ]]
    rm "$BUNDLE/config.json"
    run rung create --bundle "$BUNDLE" noconfig
    assert_failure
    assert_output --regexp '^rung: create: config.json: cannot read ".*/config.json": No such file'
    run rung create --bundle "$BATS_TEST_TMPDIR/no-bundle" nobundle
    assert_failure
    assert_output --partial 'no-bundle'
    [[ ! -e $ROOT ]] || [[ -z $(ls -A "$ROOT") ]]
}

@test "what a later phase applies is named in one warning, with that phase" {
    require_phase 2
    update_config '.linux.resources = {"unified": {"cgroup.max.depth": "3"}}
                 | .process.capabilities = {"bounding": ["CAP_KILL"]}
                 | .["com.example.unknown"] = {"ignored": true}'
    set_args true
    rung create --bundle "$BUNDLE" warned >/dev/null 2>"$BATS_TEST_TMPDIR/err"
    local later=()
    ((PHASE >= 3)) || later+=("mounts, linux.namespaces (phase 3)")
    ((PHASE >= 4)) || later+=("linux.resources (phase 4)")
    ((PHASE >= 5)) || later+=("process.capabilities (phase 5)")
    # The spec lets a runtime log unknown properties, so other lines may come; this one is ours.
    run grep 'not applied' "$BATS_TEST_TMPDIR/err"
    if ((${#later[@]} == 0)); then
        assert_failure
    else
        local expected
        expected="rung: warning: config.json: not applied by phase $PHASE: $(printf '%s; ' "${later[@]}")"
        assert_output "${expected%; }"
        # `run` warns as well, on stderr, before the container's output.
        run rung run --bundle "$BUNDLE" warned-run
        assert_success
        assert_line --index 0 "${expected%; }"
    fi
}

@test "process.env is exactly config.json's, and process.cwd is the working directory" {
    require_phase 2
    update_config '.process.env = ["PATH=/bin:/usr/bin", "ONLY=this", "EQ=a=b"] | .process.cwd = "/tmp"'
    set_args sh -c 'pwd; env | sort'
    SECRET=from-the-runtime run rung --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" envy
    assert_success
    assert_line --index 0 /tmp
    assert_line EQ=a=b
    assert_line ONLY=this
    assert_line PATH=/bin:/usr/bin
    refute_output --partial SECRET
    refute_output --partial TERM=
}

@test "a created container holds none of its caller's other file descriptors" {
    require_phase 2
    set_args sleep 1000
    rung create --bundle "$BUNDLE" fds >/dev/null 2>&1 </dev/null 7>"$BATS_TEST_TMPDIR/held"
    local pid
    pid=$(rung state fds | jq .pid)
    [[ ! -e /proc/$pid/fd/7 ]]
    rung start fds
    wait_for comm_is "$pid" sleep
    # After exec, only stdin, stdout and stderr.
    run ls "/proc/$pid/fd"
    assert_output $'0\n1\n2'
}

@test "--console-socket is refused until phase 3 brings terminals" {
    require_phase 2
    ((PHASE == 2)) || skip "phase $PHASE supports terminals"
    run rung create --bundle "$BUNDLE" --console-socket /tmp/sock tty
    assert_failure
    assert_output --partial 'phase 3'
    [[ ! -e $ROOT ]]
}

@test "conformance calls: create --pid-file, start, state, kill KILL, kill TERM, delete --force" {
    require_phase 2
    set_args sleep 1000
    local id=oci-$$ pidfile=$BATS_TEST_TMPDIR/oci.pid
    # From another directory, as the runtime-tools suite runs it.
    (cd / && rung create --pid-file "$pidfile" --bundle "$BUNDLE" "$id" >/dev/null 2>&1)
    run rung state "$id"
    assert_success
    jq -e --arg id "$id" --arg b "$(realpath "$BUNDLE")" --argjson pid "$(cat "$pidfile")" \
        '.ociVersion and .id == $id and .status == "created" and .pid == $pid and .bundle == $b' \
        <<<"$output"
    # TERM to a created container is sent (its init has no handler, so nothing happens).
    run rung kill "$id" TERM
    assert_success
    run rung start "$id"
    assert_success
    run rung state "$id"
    assert_equal "$(jq -r .status <<<"$output")" running
    run rung kill "$id" KILL
    assert_success
    wait_for status_is "$id" stopped
    run rung kill "$id" TERM
    assert_failure
    assert_output --partial 'is stopped'
    run rung delete --force "$id"
    assert_success
    run rung state "$id"
    assert_failure
}
