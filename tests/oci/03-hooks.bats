#!/usr/bin/env bats
# Phase 3 and on: hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle"). Each stage
# runs at its point of the lifecycle, in the runtime's namespaces or the container's, with the
# state on stdin. A failing hook of any stage but poststop is an error that stops the container
# and goes on at lifecycle step 12 (destroy, then poststop); a failing poststop hook is a warning.

load helpers
load bundle

setup() {
    setup_bundle
    # hook.sh STAGE LOG: append a line for STAGE to LOG and keep the state from stdin next to it.
    # The host's copy serves the hooks whose path resolves in the runtime's mount namespace; the
    # rootfs's copy the startContainer hook, which resolves in the container's.
    local script=(
        'stage=$1 log=$2'
        'cat >"$(dirname "$log")/state.$stage.json"'
        'echo "$stage mnt=$(readlink /proc/self/ns/mnt) host=$(hostname) mark=$HOOK_MARK leak=$RUNG_TEST_MARKER" >>"$log"'
    )
    write_script "$BATS_TEST_TMPDIR/hook.sh" "${script[@]}"
    write_script "$ROOTFS/hook.sh" "${script[@]}"
    LOG=$ROOTFS/hooks.log
}

teardown() {
    teardown_bundle
}

# hook_entry STAGE ARGS...: a hook object that runs hook.sh with HOOK_MARK=mark-STAGE.
hook_entry() {
    local stage=$1 path=$BATS_TEST_TMPDIR/hook.sh
    shift
    [[ $stage == startContainer ]] && path=/hook.sh
    jq -n -c --arg p "$path" --arg m "HOOK_MARK=mark-$stage" --argjson a "$(json_array "$path" "$@")" \
        '{path: $p, args: $a, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", $m]}'
}

# set_hook STAGE HOOK_JSON: make HOOK_JSON the only hook of STAGE.
set_hook() {
    update_config --arg s "$1" --argjson h "$2" '.hooks[$s] = [$h]'
}

# The stages of the log so far, one word per line.
logged_stages() {
    awk '{print $1}' "$LOG" 2>/dev/null | tr '\n' ' '
}

@test "every stage runs at its point of the lifecycle, in the right namespaces, with the state" {
    require_phase 3
    local stage
    for stage in prestart createRuntime createContainer poststart poststop; do
        set_hook $stage "$(hook_entry $stage $stage "$LOG")"
    done
    set_hook startContainer "$(hook_entry startContainer startContainer /hooks.log)"
    update_config '.annotations = {"org.example.test": "hooks"}'
    # In rung's environment, never in a hook's: a hook's environment is its env, exactly.
    export RUNG_TEST_MARKER=leak-$$
    create_container hooked sh -c 'echo program >>/hooks.log; exec sleep 1000'
    local pid host_mnt ctr_mnt bundle
    pid=$(rung state hooked | jq .pid)
    host_mnt=$(readlink /proc/self/ns/mnt)
    ctr_mnt=$(readlink "/proc/$pid/ns/mnt")
    bundle=$(realpath "$BUNDLE")
    [[ $host_mnt != "$ctr_mnt" ]]

    # create ran the three create-time hooks, in order, and not the program.
    assert_equal "$(logged_stages)" "prestart createRuntime createContainer "
    run rung start hooked
    assert_success
    wait_for grep -q program "$LOG"
    wait_for grep -q poststart "$LOG"
    # startContainer ran before the program; the program and poststart race.
    [[ $(logged_stages) == "prestart createRuntime createContainer startContainer "* ]]
    rung delete --force hooked
    [[ $(logged_stages) == *" poststop " ]]
    assert_equal "$(wc -l <"$LOG")" 7

    # Where each ran: the container's mount and UTS namespaces for createContainer and
    # startContainer, the runtime's for the others.
    local line
    for stage in prestart createRuntime poststart poststop; do
        line=$(grep "^$stage " "$LOG")
        [[ $line == *" mnt=$host_mnt host=$(hostname) "* ]] || fail "$line"
    done
    for stage in createContainer startContainer; do
        line=$(grep "^$stage " "$LOG")
        [[ $line == *" mnt=$ctr_mnt host=rung "* ]] || fail "$line"
    done
    # args and env as given, and nothing of rung's environment.
    for stage in prestart createRuntime createContainer startContainer poststart poststop; do
        grep -q "^$stage .* mark=mark-$stage leak=$" "$LOG" || fail "$stage: $(grep "^$stage " "$LOG")"
    done

    # The state on stdin: the status each stage sees, and the rest as `state` shows it.
    local expect=(prestart:creating createRuntime:creating createContainer:creating
        startContainer:created poststart:running poststop:stopped)
    local e json
    for e in "${expect[@]}"; do
        json=$ROOTFS/state.${e%%:*}.json
        assert_equal "$(jq -r .status "$json")" "${e#*:}"
        assert_equal "$(jq -r .id "$json")" hooked
        assert_equal "$(jq -r .bundle "$json")" "$bundle"
        assert_equal "$(jq -r '.annotations["org.example.test"]' "$json")" hooks
        [[ ${e%%:*} == poststop ]] || assert_equal "$(jq -r .pid "$json")" "$pid"
    done
}

@test "a hook that outlives its timeout is killed and fails create" {
    require_phase 3
    local stage n=$((40000000 + $$ % 1000000))
    write_script "$BATS_TEST_TMPDIR/hang.sh" "exec sleep $n"
    for stage in createRuntime createContainer; do
        update_config 'del(.hooks)'
        update_config --arg s $stage --arg p "$BATS_TEST_TMPDIR/hang.sh" '.hooks[$s] = [{path: $p, timeout: 1}]'
        set_args true
        SECONDS=0
        run_to_file timeout 20 "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" slow
        assert_failure 1
        one_line
        assert_output --partial "$stage hook[0] \"$BATS_TEST_TMPDIR/hang.sh\": timed out after 1s"
        ((SECONDS < 5))
        assert_clean slow
        run pgrep -f "sleep $n"
        assert_failure
    done
}

@test "a hook killed by its timeout takes what it started in the background with it" {
    require_phase 3
    local n=$((42000000 + $$ % 1000000))
    write_script "$BATS_TEST_TMPDIR/spawner.sh" "sleep $n &" "sleep $((n + 1))"
    update_config --arg p "$BATS_TEST_TMPDIR/spawner.sh" '.hooks.createRuntime = [{path: $p, timeout: 1}]'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" spawner
    assert_failure 1
    one_line
    assert_output --partial 'timed out after 1s'
    assert_clean spawner
    # The hook's group was killed: its background child too, not only the hook.
    run pgrep -f "sleep $n"
    assert_failure
    run pgrep -f "sleep $((n + 1))"
    assert_failure
}

@test "a failing prestart, createRuntime or createContainer hook fails create, naming it; the container is destroyed and poststop runs" {
    require_phase 3
    write_script "$BATS_TEST_TMPDIR/fail.sh" 'echo "hook failing" >&2' 'exit 3'
    write_script "$BATS_TEST_TMPDIR/poststop.sh" 'cat >"$0.state"'
    local stage
    set_args true
    for stage in prestart createRuntime createContainer; do
        rm -f "$BATS_TEST_TMPDIR/poststop.sh.state"
        update_config 'del(.hooks)'
        update_config --arg s $stage --arg p "$BATS_TEST_TMPDIR/fail.sh" --arg pp "$BATS_TEST_TMPDIR/poststop.sh" \
            '.hooks[$s] = [{path: $p}] | .hooks.poststop = [{path: $pp}]'
        run_to_file rung create --bundle "$BUNDLE" failing
        assert_failure
        # One line, ending in the hook's stderr, as runc's error does.
        one_line
        assert_output --regexp "^rung: create: .*$stage hook\\[0\\] \"$BATS_TEST_TMPDIR/fail.sh\": exit status 3, stderr: \"hook failing\"$"
        assert_clean failing
        # runtime.md: "stop the container, and continue the lifecycle at step 12": destroyed,
        # then the poststop hooks.
        assert_equal "$(jq -r '.id + " " + .status' "$BATS_TEST_TMPDIR/poststop.sh.state")" "failing stopped"
    done
    # A create that fails before any hook ran has nothing for poststop to undo.
    rm -f "$BATS_TEST_TMPDIR/poststop.sh.state"
    update_config 'del(.hooks.prestart, .hooks.createRuntime, .hooks.createContainer)'
    add_mount /mnt/x none "$BATS_TEST_TMPDIR/missing" bind
    run_to_file rung create --bundle "$BUNDLE" early
    assert_failure
    assert_clean early
    [[ ! -e $BATS_TEST_TMPDIR/poststop.sh.state ]]
}

@test "a hook that cannot be run fails create, naming the hook and the execve error" {
    require_phase 3
    # The hook's child reports its execve error as a framed message (rung/sync.hpp), as init
    # does; the line names the stage, the hook's index and path, and the kernel's reason.
    local dir=$BATS_TEST_TMPDIR
    printf 'not a program\n' >"$dir/not-executable"
    printf '\x7fELF garbage\n' >"$dir/bad-format"
    chmod 0644 "$dir/not-executable"
    chmod 0755 "$dir/bad-format"
    write_script "$dir/ok.sh" 'exit 0'
    set_args true
    local hook reason
    for hook in "no-such-hook:No such file or directory" "not-executable:Permission denied" \
        "bad-format:Exec format error"; do
        reason=${hook#*:} hook=$dir/${hook%%:*}
        update_config --arg ok "$dir/ok.sh" --arg p "$hook" '.hooks.createRuntime = [{path: $ok}, {path: $p}]'
        run_to_file rung create --bundle "$BUNDLE" nohook
        assert_failure
        one_line
        assert_output --regexp "^rung: create: .*createRuntime hook\\[1\\] \"$hook\": "
        assert_output --partial "exec \"$hook\": $reason"
        assert_clean nohook
    done
    # startContainer hooks run in init, after start: the same frame reaches `rung start`.
    update_config 'del(.hooks) | .hooks.startContainer = [{path: "/etc/passwd"}]'
    create_container startnohook true
    run rung start startnohook
    assert_failure
    one_line
    assert_output --regexp '^rung: start: .*startContainer hook\[0\] "/etc/passwd": exec "/etc/passwd": Permission denied$'
}

@test "a failing startContainer hook fails start and stops the container" {
    require_phase 3
    write_script "$ROOTFS/fail.sh" 'exit 4'
    update_config '.hooks.startContainer = [{path: "/fail.sh"}]'
    create_container startfail sh -c 'touch /ran; sleep 1000'
    run rung start startfail
    assert_failure
    one_line
    assert_output --regexp '^rung: start: .*startContainer hook\[0\] "/fail.sh": exit status 4$'
    wait_for status_is startfail stopped
    [[ ! -e $ROOTFS/ran ]]
}

@test "a failing poststart hook fails start and stops the container; delete then runs poststop" {
    require_phase 3
    write_script "$BATS_TEST_TMPDIR/fail.sh" 'exit 5'
    write_script "$BATS_TEST_TMPDIR/poststop.sh" 'cat >"$0.state"'
    update_config --arg p "$BATS_TEST_TMPDIR/fail.sh" --arg pp "$BATS_TEST_TMPDIR/poststop.sh" \
        '.hooks.poststart = [{path: $p}] | .hooks.poststop = [{path: $pp}]'
    create_container poststart sleep 1000
    local pid
    pid=$(rung state poststart | jq .pid)
    # runtime.md, lifecycle step 9: an error, and the container is stopped.
    run rung start poststart
    assert_failure
    one_line
    assert_output "rung: start: poststart hook[0] \"$BATS_TEST_TMPDIR/fail.sh\": exit status 5"
    assert_equal "$(container_status poststart)" stopped
    process_gone "$pid"
    run rung delete poststart
    assert_success
    assert_equal "$(jq -r .status "$BATS_TEST_TMPDIR/poststop.sh.state")" stopped
}

@test "a hook's output is kept: dropped when it succeeds, its tail ends the error when it fails" {
    require_phase 3
    # runc's rule (libcontainer's hook Command.Run): stdout and stderr are buffered, dropped on
    # success, and appended to the error of a failure, which is the line an engine shows.
    write_script "$BATS_TEST_TMPDIR/chatty.sh" 'echo "said on stdout"' 'echo "said on stderr" >&2'
    write_script "$BATS_TEST_TMPDIR/fail.sh" 'echo "first"' 'echo "second"' \
        'head -c 10000 /dev/zero | tr "\\0" x >&2' 'echo "the reason" >&2' 'exit 7'
    update_config --arg p "$BATS_TEST_TMPDIR/chatty.sh" '.hooks.createRuntime = [{path: $p}]'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" quiet
    assert_success
    assert_output ""
    rung delete --force quiet
    update_config --arg p "$BATS_TEST_TMPDIR/fail.sh" '.hooks.createRuntime += [{path: $p}]'
    run_to_file rung create --bundle "$BUNDLE" loud
    assert_failure
    one_line
    # Both outputs, quoted (a newline is \x0a: it cannot start a line of its own), stdout
    # first; of 10 KB on stderr only the last 4 KiB, which hold the reason.
    assert_output --regexp "createRuntime hook\\[1\\] \"$BATS_TEST_TMPDIR/fail.sh\": exit status 7, stdout: \"first\\\\x0asecond\", stderr: \"x+the reason\"$"
    local stderr=${output#*stderr: \"}
    assert [ "${#stderr}" -lt 4200 ]
    assert_clean loud
    # A hook killed by its timeout says what it wrote before it was.
    write_script "$BATS_TEST_TMPDIR/hang.sh" 'echo "waiting for the network" >&2' 'exec sleep 1000'
    update_config --arg p "$BATS_TEST_TMPDIR/hang.sh" '.hooks.createRuntime = [{path: $p, timeout: 1}]'
    run_to_file rung create --bundle "$BUNDLE" slow
    assert_failure
    one_line
    assert_output --partial 'timed out after 1s, stderr: "waiting for the network"'
    assert_clean slow
}

@test "a failing poststop hook is a warning; delete succeeds and the next hook still runs" {
    require_phase 3
    write_script "$BATS_TEST_TMPDIR/fail.sh" 'echo "cannot reach the network" >&2' 'exit 5'
    write_script "$BATS_TEST_TMPDIR/ok.sh" 'touch "$0.ran"'
    update_config --arg p "$BATS_TEST_TMPDIR/fail.sh" --arg q "$BATS_TEST_TMPDIR/ok.sh" \
        '.hooks.poststop = [{path: $p}, {path: $q}]'
    create_container warned sleep 1000
    rung start warned
    run rung delete --force warned
    assert_success
    one_line
    assert_output "rung: warning: poststop hook[0] \"$BATS_TEST_TMPDIR/fail.sh\": exit status 5, stderr: \"cannot reach the network\""
    [[ ! -e $ROOT/warned ]]
    [[ -e $BATS_TEST_TMPDIR/ok.sh.ran ]]
}

@test "hooks of one stage run in order, and each one's args reach it" {
    require_phase 3
    write_script "$BATS_TEST_TMPDIR/say.sh" 'echo "[$*]" >>"$0.log"'
    update_config --arg p "$BATS_TEST_TMPDIR/say.sh" \
        '.hooks.createRuntime = [{path: $p, args: [$p, "one", "a b"]}, {path: $p, args: [$p, "two"]}, {path: $p}]'
    create_container ordered true
    assert_equal "$(cat "$BATS_TEST_TMPDIR/say.sh.log")" $'[one a b]\n[two]\n[]'
}

@test "a hook need not read its stdin, however large the state" {
    require_phase 3
    write_script "$BATS_TEST_TMPDIR/deaf.sh" 'exit 0'
    # 100 KiB of annotations: more than a pipe holds, so a runtime that writes the state into a
    # pipe would block on, or die of SIGPIPE from, a hook that exits without reading it.
    update_config --arg p "$BATS_TEST_TMPDIR/deaf.sh" --arg big "$(head -c 102400 /dev/zero | tr '\0' x)" \
        '.annotations.big = $big | .hooks.createRuntime = [{path: $p}] | .hooks.createContainer = [{path: $p}]'
    set_args true
    local out=$BATS_TEST_TMPDIR/deaf.out
    timeout 20 "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" deaf >"$out" 2>&1 </dev/null ||
        fail "create failed with $?: $(cat "$out")"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/deaf.out")" ""
    assert_equal "$(container_status deaf)" created
}

@test "run runs every stage, in order, poststop last" {
    require_phase 3
    local stage
    for stage in prestart createRuntime createContainer poststart poststop; do
        set_hook $stage "$(hook_entry $stage $stage "$LOG")"
    done
    set_hook startContainer "$(hook_entry startContainer startContainer /hooks.log)"
    set_args sh -c 'echo program >>/hooks.log'
    run rung run --bundle "$BUNDLE" runhooks
    assert_success
    local stages
    stages=$(logged_stages)
    [[ $stages == "prestart createRuntime createContainer startContainer "* ]] || fail "$stages"
    [[ $stages == *" poststop " ]] || fail "$stages"
    [[ $stages == *" program "* && $stages == *" poststart "* ]] || fail "$stages"
    assert_equal "$(jq -r .status "$ROOTFS/state.poststop.json")" stopped
}
