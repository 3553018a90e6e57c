#!/usr/bin/env bats
# Phase 5: linux.seccomp. Each action read back from what the program sees (an errno in busybox's
# message, a SIGSYS in the exit status), rules with args, the errors create gives for a profile
# it cannot load, `rung spec`'s default profile, and SCMP_ACT_NOTIFY with an agent.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    [[ -z ${AGENT_PID:-} ]] || kill "$AGENT_PID" 2>/dev/null || true
    teardown_bundle
}

# seccomp JSON: make it the bundle's linux.seccomp.
set_seccomp() {
    update_config --argjson s "$1" '.linux.seccomp = $s'
}

# deny ACTION [ERRNO]: everything allowed but mkdir (and mkdirat, which a C library may call
# instead), which takes ACTION, with errnoRet ERRNO if given.
deny_mkdir() {
    local rule
    rule=$(jq -nc --arg a "$1" --arg e "${2:-}" \
        '{names: ["mkdir", "mkdirat"], action: $a} + (if $e == "" then {} else {errnoRet: ($e | tonumber)} end)')
    set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [$rule]}"
}

@test "seccomp: SCMP_ACT_ERRNO fails the call with EPERM, or with errnoRet" {
    require_phase 5
    deny_mkdir SCMP_ACT_ERRNO
    run run_container mkdir /tmp/d
    assert_failure 1
    assert_output --partial "Operation not permitted"
    deny_mkdir SCMP_ACT_ERRNO 13
    run run_container mkdir /tmp/d
    assert_failure 1
    assert_output --partial "Permission denied"
    [[ ! -e $ROOTFS/tmp/d ]] || fail "mkdir ran"
    # Without the rule the same command works: the test can fail.
    update_config 'del(.linux.seccomp)'
    run run_container mkdir /tmp/d
    assert_success
    [[ -d $ROOTFS/tmp/d ]]
}

@test "seccomp: SCMP_ACT_KILL and SCMP_ACT_KILL_PROCESS kill with SIGSYS (exit status 159)" {
    require_phase 5
    local action
    for action in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD; do
        deny_mkdir "$action"
        run run_container sh -c 'mkdir /tmp/d; echo "mkdir: $?"'
        assert_success
        assert_line "mkdir: 159" # the shell also says "Bad system call"
    done
}

@test "seccomp: SCMP_ACT_TRAP sends a SIGSYS the process can catch; KILL cannot be caught" {
    require_phase 5
    # umask is a shell builtin: the shell itself makes the call and gets the signal.
    local script='trap "echo caught SIGSYS" SYS; umask 077; echo after'
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"], "action": "SCMP_ACT_TRAP"}]}'
    run run_container sh -c "$script"
    assert_success
    assert_line "caught SIGSYS"
    assert_line after
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
    run run_container sh -c "$script"
    assert_failure 159
    refute_output --partial after
}

@test "seccomp: SCMP_ACT_TRACE without a tracer fails the call with ENOSYS" {
    require_phase 5
    # seccomp(2): with no tracer attached the call is not run and returns ENOSYS.
    deny_mkdir SCMP_ACT_TRACE 13
    run run_container mkdir /tmp/d
    assert_failure 1
    assert_output --partial "Function not implemented"
    [[ ! -e $ROOTFS/tmp/d ]] || fail "mkdir ran"
}

@test "seccomp: flags TSYNC, LOG and SPEC_ALLOW are accepted and the filter holds" {
    require_phase 5
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
    run run_container mkdir /tmp/d
    assert_failure 1
    assert_output --partial "Operation not permitted"
}

@test "seccomp: SCMP_ACT_LOG lets the call through (the log is the kernel's)" {
    require_phase 5
    deny_mkdir SCMP_ACT_LOG
    run run_container sh -c 'mkdir /tmp/d && echo made'
    assert_success
    assert_output made
    [[ -d $ROOTFS/tmp/d ]]
}

@test "seccomp: args: personality(PER_LINUX32) denied, other personalities allowed" {
    require_phase 5
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
        "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
    run run_container sh -c 'linux64 uname -m; linux32 uname -m'
    assert_failure
    assert_line --index 0 x86_64
    assert_output --partial "Operation not permitted"
    refute_line i686
}

@test "seccomp: args: SCMP_CMP_MASKED_EQ on chmod's mode, and two conditions on one arg are OR" {
    require_phase 5
    # Deny making a file private to its owner: chmod(path, mode) with (mode & 077) == 0.
    # chmod's mode is argument 1, fchmodat's argument 2.
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 63, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 63, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
    run run_container sh -c 'chmod 0755 /tmp && echo open; chmod 0700 /tmp && echo closed'
    assert_line open
    refute_line closed
    assert_output --partial "Operation not permitted"
    # personality(8) or personality(0x20008): one argument twice, so either matches.
    set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
        "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                                             {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
    run run_container sh -c 'linux32 true || echo no32; linux64 true || echo no64'
    assert_line no32
    assert_line no64
}

@test "seccomp: defaultAction with defaultErrnoRet" {
    require_phase 5
    # Only what busybox needs to start and write is allowed: hostname's sethostname gets ENOSYS.
    local spec=$BATS_TEST_TMPDIR/spec
    mkdir "$spec"
    "$RUNG" spec --bundle "$spec"
    set_seccomp "$(jq -c '.linux.seccomp | .defaultErrnoRet = 38' "$spec/config.json")"
    update_config '.hostname = "rung"'
    run run_container sh -c 'hostname other; hostname'
    assert_output --partial "Function not implemented"
    assert_line rung
}

@test "seccomp: a profile rung cannot load fails create in one line, nothing left behind" {
    require_phase 5
    local bad
    for bad in \
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid", "mkdri"], "action": "SCMP_ACT_ERRNO"}]}|.linux.seccomp.syscalls[0].names[1]: unknown system call "mkdri"' \
        '{"defaultAction": "SCMP_ACT_ERRNOO"}|seccomp action' \
        '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_46"]}|seccomp architecture' \
        '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNCH"]}|seccomp flag' \
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}|SCMP_ACT_NOTIFY needs listenerPath' \
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}|does not return an errno'; do
        set_seccomp "${bad%%|*}"
        run_to_file rung create --bundle "$BUNDLE" bad
        assert_failure
        one_line
        assert_output --partial "config.json"
        assert_output --partial "${bad#*|}"
        assert_clean bad
    done
}

@test "seccomp: the filter is in force: Seccomp: 2 in /proc/self/status, and for exec too" {
    require_phase 5
    run run_container grep Seccomp: /proc/self/status
    assert_output $'Seccomp:\t0'
    deny_mkdir SCMP_ACT_ERRNO 13
    run run_container grep Seccomp: /proc/self/status
    assert_output $'Seccomp:\t2'
    # rung exec: the container's linux.seccomp holds for its new processes.
    create_container sec sleep 100
    rung start sec
    run rung exec sec sh -c 'grep Seccomp: /proc/self/status; mkdir /tmp/e'
    assert_failure 1
    assert_line $'Seccomp:\t2'
    assert_output --partial "Permission denied"
    rung kill sec KILL
}

@test "seccomp: without noNewPrivileges the filter goes on while init is root, for any user" {
    require_phase 5
    # seccomp(2) refuses a filter to a process with neither no_new_privs nor CAP_SYS_ADMIN: uid
    # 1000 has neither, so the filter must be loaded before the user changes.
    deny_mkdir SCMP_ACT_ERRNO 38 # ENOSYS: no file system says that
    update_config '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}'
    run run_container sh -c 'id -u; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/u'
    assert_line 1000
    assert_line $'Seccomp:\t2'
    assert_line $'NoNewPrivs:\t0'
    assert_output --partial "Function not implemented"
}

@test "seccomp: rung spec's default profile refuses mount and unshare even with CAP_SYS_ADMIN, and busybox runs" {
    require_phase 5
    local spec=$BATS_TEST_TMPDIR/spec
    mkdir "$spec"
    "$RUNG" spec --bundle "$spec"
    jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$spec/config.json" >/dev/null
    set_seccomp "$(jq -c .linux.seccomp "$spec/config.json")"
    # CAP_SYS_ADMIN, so that only seccomp stands in the way of mount and unshare.
    local caps='["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]'
    update_config --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}'
    # One line: run_container passes each line of an argument as an argument of its own.
    local script='ls /bin >/dev/null && cat /etc/passwd >/dev/null && ps >/dev/null && echo busybox-ok;'
    script+=' mount -t tmpfs none /tmp && echo mounted; unshare -m true && echo unshared;'
    script+=' sh -c "echo child-ok" | cat'
    run run_container sh -c "$script"
    assert_line busybox-ok
    assert_line child-ok
    refute_line mounted
    refute_line unshared
    assert_output --partial "Operation not permitted"
    # The same without the profile: the calls go through, so the test can fail.
    update_config 'del(.linux.seccomp)'
    run run_container sh -c "$script"
    assert_line mounted
    assert_line unshared
}

@test "seccomp: SCMP_ACT_NOTIFY sends the notify fd and the container process state to listenerPath" {
    require_phase 5
    local agent=${SECCOMP_AGENT:-$REPO_ROOT/build/tests/tools/seccomp_agent}
    local sock=$BATS_TEST_TMPDIR/agent.sock state=$BATS_TEST_TMPDIR/agent.state
    [[ -x $agent ]] || fail "$agent is not built"
    # The agent answers every notified mkdir with success, without making the directory.
    "$agent" "$sock" "$state" 0 2>"$BATS_TEST_TMPDIR/agent.err" &
    AGENT_PID=$!
    wait_for test -S "$sock"
    set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
        \"listenerMetadata\": \"mkdir-says-yes\",
        \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
    run run_container sh -c 'mkdir /tmp/n && echo "mkdir says yes"; ls -d /tmp/n'
    assert_line "mkdir says yes"
    assert_output --partial "No such file or directory"
    wait_for process_gone "$AGENT_PID"
    run head -1 "$state"
    jq -e '.fds == ["seccompFd"] and .metadata == "mkdir-says-yes" and .pid > 0
        and (.state.id | startswith("ctr-")) and .state.bundle != null' <<<"$output" >/dev/null ||
        fail "container process state: $output"
    run grep -c '^notified mkdir' "$state"
    assert_output 1
}

@test "seccomp: SCMP_ACT_NOTIFY with nobody at listenerPath fails create in one line" {
    require_phase 5
    set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BATS_TEST_TMPDIR/none.sock\",
        \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
    run_to_file rung create --bundle "$BUNDLE" nobody
    assert_failure
    one_line
    assert_output --partial "listenerPath"
    assert_output --partial "none.sock"
    assert_clean nobody
}

# The files of the seccomp cache in the state root (seccomp_cache.cpp), one a line.
cache_entries() {
    ls -A "$ROOT/.seccomp" 2>/dev/null || true
}

# debug_run ID SCRIPT: run SCRIPT in a container ID with --debug; its output and the narration.
debug_run() {
    update_config --arg s "$2" '.process.args = ["sh", "-c", $s]'
    rung --debug run --bundle "$BUNDLE" "$1" 2>&1 </dev/null
}

@test "seccomp cache: compiled once per root, then reused by run and exec, and the filter still blocks" {
    require_phase 5
    local spec=$BATS_TEST_TMPDIR/spec
    mkdir "$spec"
    "$RUNG" spec --bundle "$spec"
    set_seccomp "$(jq -c .linux.seccomp "$spec/config.json")"
    # CAP_SYS_ADMIN, so that only seccomp stands in the way of mount.
    local caps='["CAP_KILL", "CAP_SYS_ADMIN"]'
    update_config --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}'
    local script='mount -t tmpfs none /tmp && echo mounted; echo ran'
    local cached='hit ".*/[.]seccomp/[0-9a-f]{16}": the same key, byte for byte'

    run debug_run c1 "$script"
    assert_success
    assert_line ran
    refute_line mounted
    assert_line --partial "mount: permission denied"
    assert_output --regexp 'miss .*/[.]seccomp/[0-9a-f]{16}": no entry; compile the profile'
    run cache_entries
    assert_equal "${#lines[@]}" 1
    local entry=$ROOT/.seccomp/${lines[0]}
    [[ $(stat -c %a "$ROOT/.seccomp") == 700 && $(stat -c %a "$entry") == 600 ]]

    # Second run: from the cache, not compiled, and mount still refused.
    run debug_run c2 "$script"
    assert_line ran
    refute_line mounted
    assert_line --partial "mount: permission denied"
    assert_output --regexp "$cached"
    refute_output --partial "seccomp_rule_add"
    run cache_entries
    assert_equal "${#lines[@]}" 1

    # rung exec takes the container's filter from the same cache.
    update_config '.process.args = ["sleep", "100"]'
    rung create --bundle "$BUNDLE" ex >/dev/null 2>&1 </dev/null
    rung start ex
    run rung --debug exec ex sh -c "$script"
    assert_line ran
    refute_line mounted
    assert_output --regexp "$cached"

    # list shows containers, not the cache; delete of every container leaves the cache alone.
    run rung list -q
    assert_output ex
    run rung list
    refute_output --partial seccomp
    rung delete --force ex
    run ls -A "$ROOT"
    assert_output .seccomp
    run cache_entries
    assert_equal "${#lines[@]}" 1
}

@test "seccomp cache: an entry keyed for another profile is not used; a changed profile adds one" {
    require_phase 5
    local spec=$BATS_TEST_TMPDIR/spec
    mkdir "$spec"
    "$RUNG" spec --bundle "$spec"
    local strict allow='{"defaultAction": "SCMP_ACT_ALLOW"}'
    strict=$(jq -c .linux.seccomp "$spec/config.json")
    local caps='["CAP_KILL", "CAP_SYS_ADMIN"]'
    update_config --argjson c "$caps" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}'
    local script='mount -t tmpfs none /tmp && echo mounted; echo ran'

    set_seccomp "$strict"
    run debug_run s1 "$script"
    refute_line mounted
    local strict_entry
    strict_entry=$ROOT/.seccomp/$(cache_entries)
    # A changed profile: a second entry, and its filter lets mount through.
    set_seccomp "$allow"
    run debug_run a1 "$script"
    assert_line mounted
    assert_output --partial "miss"
    run cache_entries
    assert_equal "${#lines[@]}" 2
    local allow_entry
    allow_entry=$(for e in $(cache_entries); do [[ $ROOT/.seccomp/$e == "$strict_entry" ]] || echo "$ROOT/.seccomp/$e"; done)

    # What a colliding hash would do: the strict profile's file holds the allow-all profile's
    # key and program. The key bytes differ, so it is a miss: the strict filter is compiled,
    # mount is still refused, and the entry is rewritten.
    cp "$allow_entry" "$strict_entry"
    set_seccomp "$strict"
    run debug_run s2 "$script"
    assert_line ran
    refute_line mounted
    assert_line --partial "mount: permission denied"
    assert_output --partial "an entry of another key or corrupt; compile the profile"
    run cmp -s "$allow_entry" "$strict_entry"
    assert_failure
    # A tampered byte in the key: a miss too.
    perl -0777 -pi -e 's/"defaultAction":"SCMP_ACT_ERRNO"/"defaultAction":"SCMP_ACT_ALLOX"/' "$strict_entry"
    grep -q SCMP_ACT_ALLOX "$strict_entry"
    run debug_run s3 "$script"
    refute_line mounted
    assert_output --partial "an entry of another key or corrupt"
    # Rewritten: the next run hits.
    run debug_run s4 "$script"
    refute_line mounted
    assert_output --partial "the same key, byte for byte"
    run cache_entries
    assert_equal "${#lines[@]}" 2
}
