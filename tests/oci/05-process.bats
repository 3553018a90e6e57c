#!/usr/bin/env bats
# Phase 5 and on: process.capabilities, process.rlimits and process.noNewPrivileges, read back
# from inside the container, the errors for what cannot be applied, and the escapes they stop:
# ptrace, mount and unshare without their capabilities, a setuid gain under no_new_privs.
# Each escape has its twin with the capability (or without no_new_privs), so the test can fail.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

ATTACK=${ATTACK:-$REPO_ROOT/build/tests/tools/attack}

# caps '{"bounding": [...], ...}': set process.capabilities.
caps() {
    update_config --argjson c "$1" '.process.capabilities = $c'
}

# as_user UID: run the process as UID (gid the same).
as_user() {
    update_config --argjson u "$1" '.process.user = {uid: $u, gid: $u}'
}

# status_field NAME: the field NAME of /proc/self/status in the last `run` output.
status_field() {
    grep "^$1:" <<<"$output" | cut -f2
}

# install_attack [PATH]: copy the attack helper into the rootfs (default /bin/attack).
install_attack() {
    [[ -x $ATTACK ]] || fail "$ATTACK is not built"
    cp "$ATTACK" "$ROOTFS${1:-/bin/attack}"
}

# Capability numbers (capabilities(7)): CHOWN 0, KILL 5, NET_BIND_SERVICE 10, NET_RAW 13,
# SYS_CHROOT 18, SYS_PTRACE 19, SYS_ADMIN 21, AUDIT_WRITE 29.

@test "caps: uid 0 gets its bounding set as permitted and effective at execve, nothing inheritable" {
    require_phase 5
    caps '{"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    run run_container cat /proc/self/status
    assert_success
    # capabilities(7), "Capabilities and execution of programs by root": for uid 0 execve
    # grants the whole bounding set, as with runc.
    assert_equal "$(status_field CapBnd)" 0000000000000021
    assert_equal "$(status_field CapPrm)" 0000000000000021
    assert_equal "$(status_field CapEff)" 0000000000000021
    assert_equal "$(status_field CapInh)" 0000000000000000
    assert_equal "$(status_field CapAmb)" 0000000000000000
}

@test "caps: a non-root user keeps exactly its five sets (ambient makes them survive execve)" {
    require_phase 5
    as_user 1000
    caps '{"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "ambient": ["CAP_NET_BIND_SERVICE"]}'
    run run_container cat /proc/self/status
    assert_success
    assert_equal "$(status_field Uid | cut -f1)" 1000
    assert_equal "$(status_field CapBnd)" 0000000000000421
    assert_equal "$(status_field CapInh)" 0000000000000420
    assert_equal "$(status_field CapAmb)" 0000000000000400
    assert_equal "$(status_field CapPrm)" 0000000000000400
    assert_equal "$(status_field CapEff)" 0000000000000400
}

@test "caps: no capabilities object means no capability at all, as with runc" {
    require_phase 5
    update_config 'del(.process.capabilities)'
    run run_container cat /proc/self/status
    assert_success
    for set in CapBnd CapPrm CapEff CapInh CapAmb; do
        assert_equal "$(status_field $set)" 0000000000000000
    done
}

@test "caps: an unknown name is one line naming it, before anything is created" {
    require_phase 5
    caps '{"bounding": ["CAP_KILL", "CAP_BOGUS"]}'
    run_to_file rung create --bundle "$BUNDLE" bogus
    assert_failure
    one_line
    assert_output 'rung: create: config.json: process.capabilities.bounding[1]: unknown capability "CAP_BOGUS"'
    assert_clean bogus
}

@test "caps: an effective capability that is not permitted is refused at create" {
    require_phase 5
    caps '{"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": []}'
    run_to_file rung create --bundle "$BUNDLE" noperm
    assert_failure
    one_line
    assert_output --partial 'config.json: process.capabilities.effective[0]: CAP_KILL is not in permitted'
    assert_clean noperm
}

@test "caps: one the runtime has not got is a warning, and the rest is applied" {
    require_phase 5
    # This host's bounding set lacks CAP_SYS_RESOURCE (COMMON.md); elsewhere pick another.
    capsh --decode="$(awk '/^CapBnd/ {print $2}' /proc/self/status)" | grep -qi cap_sys_resource &&
        skip "this host's bounding set has CAP_SYS_RESOURCE: nothing to refuse"
    caps '{"bounding": ["CAP_SYS_RESOURCE", "CAP_KILL"]}'
    set_args cat /proc/self/status
    run rung run --bundle "$BUNDLE" missing
    assert_success
    assert_line 'rung: warning: config.json: process.capabilities.bounding[0]: CAP_SYS_RESOURCE cannot be granted (the runtime'"'"'s own bounding set lacks it)'
    assert_equal "$(status_field CapBnd)" 0000000000000020
}

@test "noNewPrivileges: read back as NoNewPrivs 1, and 0 without it" {
    require_phase 5
    update_config '.process.noNewPrivileges = true'
    run run_container grep NoNewPrivs /proc/self/status
    assert_success
    assert_output $'NoNewPrivs:\t1'
    update_config '.process.noNewPrivileges = false'
    run run_container grep NoNewPrivs /proc/self/status
    assert_output $'NoNewPrivs:\t0'
}

@test "rlimits: soft and hard read back from /proc/self/limits and ulimit" {
    require_phase 5
    update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 200},
                                       {type: "RLIMIT_CORE", soft: 0, hard: 4096},
                                       {type: "RLIMIT_NPROC", soft: 300, hard: 300}]'
    run run_container sh -c 'grep -E "^Max (open files|core file size|processes)" /proc/self/limits; ulimit -n; ulimit -Hn'
    assert_success
    assert_line --regexp '^Max open files +100 +200 +files'
    assert_line --regexp '^Max core file size +0 +4096 +bytes'
    assert_line --regexp '^Max processes +300 +300 +processes'
    assert_line 100
    assert_line 200
}

@test "rlimits: an unknown type, soft above hard, a hard limit above the host's: one line each" {
    require_phase 5
    local host_hard
    host_hard=$(ulimit -Hn)
    local -a cases=(
        '[{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
        '[{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100}, {"type": "RLIMIT_CORE", "soft": 9, "hard": 8}]'
        "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((host_hard + 10000))}]"
    )
    local -a want=(
        'rung: create: config.json: process.rlimits[0]: unknown rlimit type "RLIMIT_BOGUS"'
        'rung: create: config.json: process.rlimits[1]: RLIMIT_CORE soft 9 is above hard 8'
        "rung: create: config.json: process.rlimits[0]: RLIMIT_NOFILE hard $((host_hard + 10000)) is above this host's hard limit $host_hard and rung lacks CAP_SYS_RESOURCE"
    )
    capsh --decode="$(awk '/^CapEff/ {print $2}' /proc/self/status)" | grep -qi cap_sys_resource &&
        unset 'cases[2]' 'want[2]'
    local i
    for i in "${!cases[@]}"; do
        update_config --argjson r "${cases[$i]}" '.process.rlimits = $r'
        run_to_file rung create --bundle "$BUNDLE" "lim$i"
        assert_failure
        one_line
        assert_output "${want[$i]}"
        assert_clean "lim$i"
    done
}

@test "exec: --cap adds a capability and --no-new-privs sets no_new_privs, as runc's" {
    require_phase 5
    caps '{"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    local id=capexec-$$ # the cgroup /rung/ID is the host's: an ID of our own
    create_container "$id" sleep 1000
    rung start "$id"
    run rung exec "$id" grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status
    assert_success
    assert_line $'CapBnd:\t0000000000000020'
    assert_line $'NoNewPrivs:\t0'
    run rung exec --cap CAP_NET_RAW --no-new-privs "$id" grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status
    assert_success
    assert_line $'CapBnd:\t0000000000002020'
    assert_line $'NoNewPrivs:\t1'
    run rung exec --cap CAP_NOPE "$id" true
    assert_failure
    assert_output --partial 'process.capabilities.bounding[1]: unknown capability "CAP_NOPE"'
}

@test "spec: rung spec's capabilities, no_new_privs and rlimits run busybox" {
    require_phase 5
    rm "$BUNDLE/config.json"
    (cd "$BUNDLE" && "$RUNG" spec)
    update_config '.process.terminal = false | .root.readonly = false'
    run run_container sh -c 'grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status; ulimit -n; echo ok'
    assert_success
    # CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
    assert_line $'CapBnd:\t0000000020000420'
    assert_line $'CapEff:\t0000000020000420'
    assert_line $'NoNewPrivs:\t1'
    assert_line 1024
    assert_line ok
}

# ---- escapes ----

@test "escape: ptrace of another user's process fails without CAP_SYS_PTRACE, works with it" {
    require_phase 5
    install_attack
    caps '{"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    as_user 1000
    local id=victim-$$ # the cgroup /rung/ID is the host's: an ID of our own
    create_container "$id" sleep 1000
    rung start "$id"
    # The attacker is root in the container, the victim (pid 1) uid 1000: ptrace(2) needs
    # CAP_SYS_PTRACE for a process of another user.
    run rung exec -u 0 "$id" /bin/attack ptrace 1
    assert_failure
    assert_output 'ptrace 1: Operation not permitted'
    run rung exec -u 0 --cap CAP_SYS_PTRACE "$id" /bin/attack ptrace 1
    assert_success
    assert_output 'attached 1'
}

@test "escape: mount and unshare -m fail without CAP_SYS_ADMIN, work with it" {
    require_phase 5
    caps '{"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    run run_container sh -c 'mount -t tmpfs none /tmp && echo mounted; unshare -m true && echo unshared; exit 0'
    assert_success
    assert_line 'mount: permission denied (are you root?)'
    assert_line 'unshare: unshare(0x20000): Operation not permitted'
    refute_line mounted
    refute_line unshared
    caps '{"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]}'
    run run_container sh -c 'mount -t tmpfs none /tmp && echo mounted; unshare -m true && echo unshared; exit 0'
    assert_success
    assert_line mounted
    assert_line unshared
}

@test "escape: a setuid-root program gives uid 1000 no euid 0 under noNewPrivileges" {
    require_phase 5
    install_attack /bin/attack-suid
    chown 0:0 "$ROOTFS/bin/attack-suid"
    chmod 4755 "$ROOTFS/bin/attack-suid"
    as_user 1000
    update_config '.process.noNewPrivileges = true'
    run run_container /bin/attack-suid euid
    assert_failure
    assert_output 'euid 1000'
    # The twin: without no_new_privs the setuid bit works, so the test above can fail.
    update_config '.process.noNewPrivileges = false'
    run run_container /bin/attack-suid euid
    assert_success
    assert_output 'euid 0'
}

@test "lsm: a label for an LSM this host has not got is one line at create, nothing left" {
    require_phase 5
    [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) != Y ]] ||
        skip "this host has AppArmor (tests/vm/05-lsm.bats applies a profile)"
    update_config '.process.apparmorProfile = "rung-test"'
    run_to_file rung create --bundle "$BUNDLE" aa
    assert_failure
    one_line
    assert_output 'rung: create: config.json: process.apparmorProfile "rung-test": AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y)'
    assert_clean aa
    [[ ! -e /sys/fs/selinux/enforce ]] || skip "this host has SELinux"
    update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
    run_to_file rung create --bundle "$BUNDLE" se
    assert_failure
    one_line
    assert_output 'rung: create: config.json: process.selinuxLabel "system_u:system_r:container_t:s0": SELinux is not enabled on this host (no /sys/fs/selinux)'
    assert_clean se
    update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
    run_to_file rung create --bundle "$BUNDLE" ml
    assert_failure
    one_line
    assert_output 'rung: create: config.json: linux.mountLabel "system_u:object_r:container_file_t:s0": SELinux is not enabled on this host (no /sys/fs/selinux)'
    assert_clean ml
}
