#!/usr/bin/env bats
# Phase 3 and on: linux.namespaces (config-linux.md "Namespaces": new, joined by path, or shared
# with the runtime when not listed) and linux.sysctl, which only namespaced keys may use.

load helpers
load bundle

setup() {
    setup_bundle
    NETNS=rung-test-$$-$BATS_TEST_NUMBER
}

teardown() {
    teardown_bundle
    ip netns delete "$NETNS" 2>/dev/null || true
}

@test "a namespace with a path is joined: the network namespace of ip netns" {
    require_phase 3
    ip netns add "$NETNS"
    update_config --arg p "/run/netns/$NETNS" \
        '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
    run run_container readlink /proc/self/ns/net
    assert_success
    assert_output "net:[$(ns_inode "/run/netns/$NETNS")]"
}

@test "a namespace that is not listed is the runtime's" {
    require_phase 3
    update_config '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
    run run_container sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
    assert_success
    assert_line --index 0 "$(readlink /proc/self/ns/net)"
    assert_line --index 1 "$(readlink /proc/self/ns/ipc)"
    # The listed ones are still new.
    [[ ${lines[2]} != "$(readlink /proc/self/ns/uts)" ]]
}

@test "the cgroup namespace: new when listed, its root is the container's cgroup" {
    require_phase 3
    update_config '.linux.namespaces += [{type: "cgroup"}]'
    run run_container sh -c 'readlink /proc/self/ns/cgroup; cut -d: -f3 /proc/self/cgroup | sort -u'
    assert_success
    [[ ${lines[0]} == cgroup:* && ${lines[0]} != "$(readlink /proc/self/ns/cgroup)" ]]
    assert_equal "${lines[1]}" /
    assert_equal "${#lines[@]}" 2
}

@test "uts, ipc and pid namespaces of another container are joined by /proc/PID/ns paths" {
    require_phase 3
    create_container first sleep 1000
    rung start first
    local pid
    pid=$(rung state first | jq .pid)
    update_config --arg p "/proc/$pid/ns" 'del(.hostname) | .linux.namespaces |= map(
        if .type == "uts" or .type == "ipc" or .type == "pid" then .path = $p + "/" + (if .type == "uts" then "uts" elif .type == "ipc" then "ipc" else "pid" end) else . end)'
    run run_container sh -c 'for n in uts ipc pid net; do readlink /proc/self/ns/$n; done; hostname; echo $$'
    assert_success
    assert_line --index 0 "$(readlink "/proc/$pid/ns/uts")"
    assert_line --index 1 "$(readlink "/proc/$pid/ns/ipc")"
    assert_line --index 2 "$(readlink "/proc/$pid/ns/pid")"
    # network is new, not the other container's.
    [[ ${lines[3]} != "$(readlink "/proc/$pid/ns/net")" ]]
    assert_line --index 4 rung
    # Not the first process of that PID namespace: its PID 1 is the other container's.
    ((lines[5] > 1))
}

@test "a namespace path that does not exist fails create with one line naming it" {
    require_phase 3
    update_config '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/rung-no-such" else . end)'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" nopath
    assert_failure
    one_line
    assert_output --partial '"/run/netns/rung-no-such": No such file or directory'
    assert_clean nopath
}

@test "a namespace path of another type fails create" {
    require_phase 3
    update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" wrongtype
    assert_failure
    one_line
    assert_output --partial '"/proc/self/ns/uts"'
    assert_clean wrongtype
}

@test "a duplicate or unknown namespace type is a one-line error" {
    require_phase 3
    set_args true
    update_config '.linux.namespaces += [{type: "pid"}]'
    run_to_file rung create --bundle "$BUNDLE" dup
    assert_failure
    one_line
    assert_output --partial 'duplicate namespace type "pid"'
    assert_clean dup
    update_config '.linux.namespaces |= (.[:-1] + [{type: "bogus"}])'
    run_to_file rung create --bundle "$BUNDLE" unknown
    assert_failure
    one_line
    assert_output --partial 'unknown namespace type "bogus"'
    assert_clean unknown
}

@test "sysctl: namespaced keys are set in the container's own namespaces" {
    require_phase 3
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "net.ipv4.conf.lo.forwarding": "1"}'
    local host_forward host_shmmax
    host_forward=$(cat /proc/sys/net/ipv4/ip_forward)
    host_shmmax=$(cat /proc/sys/kernel/shmmax)
    run run_container cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/net/ipv4/conf/lo/forwarding
    assert_success
    assert_output $'1\n123456789\n1'
    assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_forward"
    assert_equal "$(cat /proc/sys/kernel/shmmax)" "$host_shmmax"
}

@test "sysctl: a key that is not namespaced is a one-line error and changes nothing" {
    require_phase 3
    local before
    before=$(cat /proc/sys/vm/swappiness)
    update_config --arg v $((before == 10 ? 11 : 10)) '.linux.sysctl = {"vm.swappiness": $v}'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" swappy
    assert_failure
    one_line
    assert_output --partial '"vm.swappiness" is not namespaced'
    assert_clean swappy
    assert_equal "$(cat /proc/sys/vm/swappiness)" "$before"
}

@test "sysctl: a namespaced key needs the container's own namespace of that kind" {
    require_phase 3
    update_config '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" hostnet
    assert_failure
    one_line
    assert_output --partial '"net.ipv4.ip_forward" needs a network namespace'
    assert_clean hostnet
}

@test "a user namespace, new or joined, is refused in one line until phase 5 maps it" {
    require_phase 3
    set_args true
    update_config '.linux.namespaces += [{type: "user"}]'
    run_to_file rung create --bundle "$BUNDLE" userns
    assert_failure
    one_line
    # Phase 5 applies user namespaces (05-userns.bats), and still needs the maps of a new one.
    if ((PHASE < 5)); then
        assert_output --partial "a user namespace needs uid and gid mappings"
    else
        assert_output --partial "a new user namespace needs uid and gid mappings"
    fi
    assert_clean userns
    if ((PHASE < 5)); then
        update_config '.linux.namespaces |= map(if .type == "user" then .path = "/proc/1/ns/user" else . end)'
        run_to_file rung create --bundle "$BUNDLE" userns
        assert_failure
        one_line
        assert_clean userns
    else
        # Phase 5 joins one by path: here the test's own, so the container runs as the host's root.
        update_config --arg p "/proc/$$/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)'
        run run_container sh -c 'readlink /proc/self/ns/user; id -u'
        assert_success
        assert_equal "${lines[0]}" "$(readlink /proc/$$/ns/user)"
        assert_equal "${lines[1]}" 0
    fi
}

@test "a time namespace is new when listed" {
    require_phase 3
    update_config '.linux.namespaces += [{type: "time"}]'
    run run_container readlink /proc/self/ns/time
    assert_success
    [[ $output == time:* && $output != "$(readlink /proc/self/ns/time)" ]]
}

# What a config gets without a mount namespace of the container's own: no mounts, and none of the
# rest of the default config that would need one.
no_own_mounts() {
    update_config '.mounts = [] | .root.readonly = false | .process.terminal = false'
}

@test "without a \"mount\" namespace the container shares the runtime's, chrooted into root.path, and mounts nothing" {
    require_phase 3
    # config-linux.md: a namespace that is not listed is the runtime's. All of it runs in a mount
    # namespace of the test's own, so that a rung that mounted or pivoted anyway would change
    # that one only, and the script compares its mount table before and after.
    update_config '.linux.namespaces |= map(select(.type != "mount"))'
    no_own_mounts
    echo image >"$ROOTFS/marker"
    # No proc mount: the container has no /proc, and start still finds the exec FIFO.
    set_args sh -c 'cat /marker; test -e /proc/self || echo no-proc; exec sleep 1000'
    cat >"$BATS_TEST_TMPDIR/shared.sh" <<'EOF'
set -eu
rung() { "$RUNG" --root "$ROOT" "$@"; }
before=$(cat /proc/self/mountinfo)
rung create --bundle "$BUNDLE" shared >"$BATS_TEST_TMPDIR/shared.out" 2>/dev/null </dev/null
pid=$(rung state shared | jq .pid)
[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] && echo "same mount namespace"
echo "root $(readlink "/proc/$pid/root")"
rung exec shared cat /marker
rung start shared
for _ in $(seq 50); do grep -q no-proc "$BATS_TEST_TMPDIR/shared.out" && break; sleep 0.1; done
rung delete --force shared
[ "$(cat /proc/self/mountinfo)" = "$before" ] && echo "mount table unchanged"
EOF
    run timeout 60 env RUNG="$RUNG" ROOT="$ROOT" BUNDLE="$BUNDLE" BATS_TEST_TMPDIR="$BATS_TEST_TMPDIR" \
        unshare -m --propagation private bash "$BATS_TEST_TMPDIR/shared.sh"
    assert_success
    assert_output "$(printf '%s\n' "same mount namespace" "root $(realpath "$ROOTFS")" image "mount table unchanged")"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/shared.out")" $'image\nno-proc'
    assert_clean shared
}

@test "without a mount namespace of its own, what would need one is refused in one line" {
    require_phase 3
    set_args true
    update_config '.linux.namespaces |= map(select(.type != "mount"))'
    # The default config has mounts (and a read-only rootfs): the first refusal.
    run_to_file timeout 20 unshare -m --propagation private "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" nomount
    assert_failure
    assert_output "rung: create: config.json: .mounts needs a mount namespace of the container's own (linux.namespaces has no new \"mount\")"
    assert_clean nomount
    no_own_mounts
    local edit
    for edit in '.root.readonly = true' '.process.terminal = true' '.linux.rootfsPropagation = "private"'; do
        cp "$BUNDLE/config.json" "$BUNDLE/config.json.orig"
        update_config "$edit"
        run_to_file timeout 20 unshare -m --propagation private "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" nomount
        assert_failure
        one_line
        assert_output --partial "config.json: ${edit%% =*}"
        assert_output --partial "needs a mount namespace of the container's own"
        assert_clean nomount
        mv "$BUNDLE/config.json.orig" "$BUNDLE/config.json"
    done
    run_to_file timeout 20 unshare -m --propagation private "$RUNG" --root "$ROOT" create --no-pivot --bundle "$BUNDLE" nomount
    assert_failure
    one_line
    assert_output --partial "--no-pivot needs a mount namespace of the container's own"
    assert_clean nomount
}

@test "a mount namespace given by path is joined: the rootfs is root.path as that namespace sees it" {
    require_phase 3
    # Another namespace's view: a tmpfs on the rootfs's /mnt that only it has.
    touch "$BATS_TEST_TMPDIR/holder"
    unshare -m --propagation private tail -f "$BATS_TEST_TMPDIR/holder" >/dev/null 2>&1 &
    local holder=$!
    # A function, so that each try reads the links again (a $(...) in wait_for's arguments would
    # be read once, before unshare may have run).
    in_own_mount_ns() { [[ $(readlink "/proc/$1/ns/mnt" 2>/dev/null) != "$(readlink /proc/self/ns/mnt)" ]]; }
    wait_for in_own_mount_ns "$holder"
    mkdir -p "$ROOTFS/mnt"
    nsenter -t "$holder" -m sh -c 'mount -t tmpfs joined "$1" && echo theirs >"$1/only-there"' sh "$ROOTFS/mnt"
    local before
    before=$(cat "/proc/$holder/mountinfo")
    update_config --arg p "/proc/$holder/ns/mnt" \
        '.linux.namespaces |= map(if .type == "mount" then {type: "mount", path: $p} else . end)'
    no_own_mounts
    create_container joined sh -c 'cat /mnt/only-there; exec sleep 1000'
    local pid
    pid=$(rung state joined | jq .pid)
    assert_equal "$(readlink "/proc/$pid/ns/mnt")" "$(readlink "/proc/$holder/ns/mnt")"
    run rung exec joined cat /mnt/only-there
    assert_success
    assert_output theirs
    rung start joined
    wait_for grep -q theirs "$BATS_TEST_TMPDIR/joined.out"
    rung delete --force joined
    # Nothing was mounted, moved or made shared in their namespace, nor in ours.
    assert_equal "$(cat "/proc/$holder/mountinfo")" "$before"
    [[ ! -e $ROOTFS/mnt/only-there ]]
    kill "$holder"
    assert_clean joined
}
