#!/usr/bin/env bats
# Phase 5: rootless mode. An unprivileged user, made by the test with a subuid/subgid range of its
# own, runs `rung spec --rootless` and `rung run` on it, with state under $XDG_RUNTIME_DIR/rung.

load helpers
load bundle
load rootless

setup() {
    require_phase 5
    setup_bundle
    rootless_user
}

teardown() {
    rootless_cleanup
    teardown_bundle
}

@test "rootless: spec --rootless maps the caller to root, and the user runs it" {
    rootless_spec sh -c 'id -u; cat /proc/self/uid_map; echo x >/dev/null && echo null-ok; ls /sys/kernel >/dev/null && echo sys-ok'
    run jq -c '[.linux.uidMappings, (.linux.namespaces | map(.type) | index("network")), .linux.resources]' "$BUNDLE/config.json"
    assert_output "[[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}],null,null]"
    run as_user run --bundle "$BUNDLE" rl
    assert_success
    assert_equal "${lines[0]}" 0
    assert_equal "$(awk 'NR == 2 {print $1, $2, $3}' <<<"$output")" "0 $RL_UID 1"
    assert_equal "${lines[2]}" null-ok
    assert_equal "${lines[3]}" sys-ok
    # Its state was under $XDG_RUNTIME_DIR/rung, and run removed it.
    [[ -d $XDG/rung && -z $(ls "$XDG/rung") ]] || fail "state left in $XDG/rung: $(ls "$XDG/rung")"
}

@test "rootless: create, start, exec and delete --force as the user" {
    rootless_spec sleep 1000
    as_user create --bundle "$BUNDLE" rl >/dev/null 2>&1 </dev/null
    as_user start rl
    local pid
    pid=$(as_user state rl | jq .pid)
    assert_equal "$(stat -c %u "/proc/$pid")" "$RL_UID"
    run as_user exec rl sh -c 'id -u; echo $$'
    assert_success
    assert_equal "${lines[0]}" 0
    as_user delete --force rl
    wait_for process_gone "$pid" || fail "init $pid outlived delete --force"
    run as_user list -q
    assert_output ""
}

@test "rootless: a map beyond the caller's own id goes through newuidmap and the subuid range" {
    command -v newuidmap >/dev/null || fail "newuidmap is missing: scripts/deps.sh installs uidmap"
    rootless_spec sh -c 'cat /proc/self/uid_map; id -u'
    update_config --argjson u "$RL_UID" --argjson g "$RL_GID" --argjson s "$RL_SUB" '
        .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
        | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
        | .process.user = {uid: 1000, gid: 1000}'
    run as_user run --bundle "$BUNDLE" rl
    assert_success
    assert_equal "$(awk 'NR <= 2 {print $1, $2, $3}' <<<"$output")" "0 $RL_UID 1
1 $RL_SUB 65536"
    assert_equal "${lines[2]}" 1000
    # A range outside the user's own: newuidmap's refusal is one line.
    update_config '.linux.uidMappings[1].hostID = 10000'
    run_to_file as_user create --bundle "$BUNDLE" badrange
    assert_failure
    one_line
    assert_output --regexp 'uidMappings: newuidmap failed \(exit status 1\): newuidmap: uid range .* not allowed'
    assert_clean badrange
}

@test "rootless: what is missing is named in one line" {
    rootless_spec true
    # No XDG_RUNTIME_DIR and no --root.
    run_to_file setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups env -u XDG_RUNTIME_DIR "$RUNG" create --bundle "$BUNDLE" noxdg
    assert_failure
    one_line
    assert_output --partial 'rootless: $XDG_RUNTIME_DIR is not set'
    # No user namespace.
    cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/good.json"
    update_config '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
    run_to_file as_user create --bundle "$BUNDLE" nouserns
    assert_failure
    one_line
    assert_output --partial 'linux.namespaces needs a new "user"'
    assert_clean nouserns
    # No subuid range for a map beyond the caller's own uid.
    cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
    sed -i "/^$RL_USER:/d" /etc/subuid
    update_config '.linux.uidMappings += [{containerID: 1, hostID: 100000, size: 10}]'
    run_to_file as_user create --bundle "$BUNDLE" nosubuid
    assert_failure
    one_line
    assert_output --partial "/etc/subuid has no range for $RL_USER"
    assert_clean nosubuid
}

@test "rootless: in a cgroup delegated to the user, the container's cgroup is a child of it" {
    delegate_cgroup
    rootless_spec sleep 1000
    # A limit with no controller to need (a core cgroup v2 file) is applied there too.
    update_config '.linux.resources = {unified: {"cgroup.max.descendants": "7"}}'
    as_user_in_cgroup create --bundle "$BUNDLE" rl >/dev/null 2>&1 </dev/null
    as_user_in_cgroup start rl
    local pid
    pid=$(as_user state rl | jq .pid)
    # Beside the caller's own cgroup (RL_CG/shell), as runc places a rootless container.
    assert_equal "$(grep '^0::' "/proc/$pid/cgroup")" "0::$RL_CG/rl"
    assert_equal "$(stat -c %u "$RL_CGDIR/rl")" "$RL_UID"
    assert_equal "$(cat "$RL_CGDIR/rl/cgroup.max.descendants")" 7
    # cgroup.freeze is core: pause and resume work without a controller.
    as_user_in_cgroup pause rl
    assert_equal "$(as_user state rl | jq -r .status)" paused
    assert_equal "$(cat "$RL_CGDIR/rl/cgroup.freeze")" 1
    as_user_in_cgroup resume rl
    assert_equal "$(as_user state rl | jq -r .status)" running
    as_user_in_cgroup exec --detach rl sleep 1001
    run as_user ps --format json rl
    assert_success
    assert_equal "$(jq length <<<"$output")" 2
    assert_equal "$(jq --argjson p "$pid" 'index($p) != null' <<<"$output")" true
    as_user kill --all rl KILL
    wait_for process_gone "$pid" || fail "init $pid outlived kill --all"
    assert_equal "$(cat "$RL_CGDIR/rl/cgroup.procs")" ""
    as_user delete rl
    [[ ! -e $RL_CGDIR/rl ]] || fail "delete left $RL_CGDIR/rl"
    # The caller's own cgroup is left as it was.
    [[ -d $RL_CGDIR/shell ]] || fail "delete removed the caller's cgroup"
    # doctor.sh, from the same place, finds the cgroup delegated.
    run in_user_cgroup "$REPO_ROOT/scripts/doctor.sh"
    assert_success
    assert_line --regexp "^ok    cgroup_delegated: $RL_CGDIR is $RL_USER's, controllers: "
}

@test "rootless: an absolute cgroupsPath inside the delegated cgroup is used, and run removes it" {
    delegate_cgroup
    rootless_spec sh -c 'grep ^0:: /proc/self/cgroup'
    # Without a cgroup namespace, the container sees where it is on the host's hierarchy.
    update_config --arg p "$RL_CG/abs" '.linux.cgroupsPath = $p
        | .linux.namespaces |= map(select(.type != "cgroup"))'
    run as_user_in_cgroup run --bundle "$BUNDLE" rl
    assert_success
    assert_output "0::$RL_CG/abs"
    [[ ! -e $RL_CGDIR/abs ]] || fail "run left $RL_CGDIR/abs"
}

@test "rootless: with no cgroup delegated, a limit is an error, and pause, ps, update and events say why" {
    rootless_spec sleep 1000
    update_config '.linux.resources = {unified: {"cgroup.max.descendants": "7"}}'
    run_to_file as_user create --bundle "$BUNDLE" lim
    assert_failure
    one_line
    assert_output --regexp "^rung: create: rootless: linux\.resources\.unified\.cgroup\.max\.descendants needs a cgroup, and none is delegated to $RL_USER \(.*\): .*Permission denied$"
    assert_clean lim
    # Without limits the container runs, with no cgroup of its own.
    update_config 'del(.linux.resources)'
    as_user create --bundle "$BUNDLE" rl >/dev/null 2>&1 </dev/null
    local cmd
    for cmd in pause ps "events --stats" "update --pids-limit 10"; do
        # shellcheck disable=SC2086 # cmd is a command and its flags
        run as_user $cmd rl
        assert_failure
        one_line
        assert_output "rung: ${cmd%% *}: container \"rl\" runs rootless without a cgroup (none was delegated to $RL_USER): there is none to freeze, list, update or watch"
    done
    # kill --all and delete --force signal its init instead.
    local pid
    pid=$(as_user state rl | jq .pid)
    as_user kill --all rl KILL
    wait_for process_gone "$pid" || fail "init $pid outlived kill --all"
    as_user delete rl
    run as_user list -q
    assert_output ""
}

# doctor USER ARGS...: scripts/doctor.sh as USER's own check, with its own XDG_RUNTIME_DIR.
doctor_as_user() {
    setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
        env USER="$RL_USER" XDG_RUNTIME_DIR="$XDG" "$REPO_ROOT/scripts/doctor.sh" "$@"
}

@test "doctor: root and the user pass every required check, a line each" {
    run "$REPO_ROOT/scripts/doctor.sh" root
    assert_success
    refute_output --partial FAIL
    assert_line --regexp '^ok    subuid: root maps any id'
    assert_line --regexp '^ok    newuidmap: .*/newuidmap is setuid root$'
    assert_line --regexp '^ok    cgroup2: cgroup2 at /sys/fs/cgroup'
    # One line per check, in CHECKS' order.
    assert_equal "$(awk '{sub(/:$/, "", $2); print $2}' <<<"$output" | tr '\n' ' ')" \
        "userns subuid subgid newuidmap newgidmap runtime_dir cgroup2 cgroup_delegated busybox kernel namespaces chroot initramfs engine seccomp lsm "
    run doctor_as_user
    assert_success
    refute_output --partial FAIL
    assert_line "ok    subuid: $RL_USER has 65536 ids from $RL_SUB in /etc/subuid"
    assert_line "ok    subgid: $RL_USER has 65536 ids from $RL_SUB in /etc/subgid"
    assert_line "ok    runtime_dir: XDG_RUNTIME_DIR=$XDG is writable: state in $XDG/rung"
    # The user's shell is in no cgroup of its own here: a warning, and still exit 0.
    assert_line --regexp "^warn  cgroup_delegated: .* is not delegated to $RL_USER: .*; fix: "
}

@test "doctor: a missing subuid range and no XDG_RUNTIME_DIR each FAIL, with the fix" {
    sed -i "/^$RL_USER:/d" /etc/subuid
    run setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
        env -u XDG_RUNTIME_DIR USER="$RL_USER" "$REPO_ROOT/scripts/doctor.sh"
    assert_failure 1
    assert_line "FAIL  subuid: /etc/subuid has no range for $RL_USER; fix: as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $RL_USER"
    assert_line "ok    subgid: $RL_USER has 65536 ids from $RL_SUB in /etc/subgid"
    assert_line --regexp '^FAIL  runtime_dir: XDG_RUNTIME_DIR is not set; fix: '
    # Root checking the user finds the same range missing, and no /run/user/UID of the user's.
    run "$REPO_ROOT/scripts/doctor.sh" "$RL_USER"
    assert_failure 1
    assert_line --regexp "^FAIL  subuid: /etc/subuid has no range for $RL_USER"
    assert_line --regexp "^FAIL  runtime_dir: /run/user/$RL_UID does not exist or is not $RL_USER's"
}
