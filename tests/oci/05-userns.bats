#!/usr/bin/env bats
# Phase 5: user namespaces (config-linux.md, "Namespaces" user, and "User namespace mappings").
# The runtime writes init's uid_map and gid_map before "go"; init becomes root of the namespace,
# which the host sees as the hostID that containerID 0 maps to.

load helpers
load bundle

# The host ids the container's ids start at.
HOST_UID=100000
HOST_GID=100000

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

# with_userns [SIZE]: a new user namespace mapping the container's 0..SIZE-1 (default 65536) to
# HOST_UID.. and HOST_GID... The rootfs becomes the mapped root's (the runtime changes no
# ownership: config-linux.md), and every directory above the bundle searchable by it, as runc
# requires: bats makes its run directory 0700.
with_userns() {
    local size=${1:-65536}
    update_config --argjson u $HOST_UID --argjson g $HOST_GID --argjson s "$size" '
        .linux.namespaces += [{type: "user"}]
        | .linux.uidMappings = [{containerID: 0, hostID: $u, size: $s}]
        | .linux.gidMappings = [{containerID: 0, hostID: $g, size: $s}]'
    chown -R "$HOST_UID:$HOST_GID" "$ROOTFS"
    searchable_above "$BUNDLE"
}

# searchable_above DIR: o+x on DIR and each directory above it that lacks it.
searchable_above() {
    local d=$1
    while [[ $d != / ]]; do
        [[ $(stat -c %A "$d") == *x ]] || chmod o+x "$d"
        d=$(dirname "$d")
    done
}

# started ID CMD...: create and start a container running CMD; prints nothing.
started() {
    local id=$1
    shift
    create_container "$id" "$@"
    rung start "$id"
}

@test "userns: uid_map and gid_map read back inside, and the process is root there" {
    require_phase 5
    with_userns
    run run_container sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'
    assert_success
    assert_equal "$(awk 'NR <= 2 {print $1, $2, $3}' <<<"$output")" "0 $HOST_UID 65536
0 $HOST_GID 65536"
    assert_equal "$(sed -n 3,4p <<<"$output")" "0
0"
}

@test "userns: the host sees the mapped uid of init and of an exec'd process" {
    require_phase 5
    with_userns
    update_config '.process.user = {uid: 1000, gid: 1000}'
    started sleeper sleep 1000
    local pid
    pid=$(rung state sleeper | jq .pid)
    assert_equal "$(ps -o uid= -p "$pid" | tr -d ' ')" $((HOST_UID + 1000))
    assert_equal "$(stat -c '%u %g' "/proc/$pid")" "$((HOST_UID + 1000)) $((HOST_GID + 1000))"
    run rung exec sleeper sh -c 'id -u; cat /proc/self/uid_map'
    assert_success
    assert_equal "${lines[0]}" 1000
    assert_equal "$(awk 'NR == 2 {print $1, $2, $3}' <<<"$output")" "0 $HOST_UID 65536"
}

@test "userns: a file made in a writable bind mount belongs to the mapped host ids" {
    require_phase 5
    with_userns
    mkdir -m 1777 "$BATS_TEST_TMPDIR/shared"
    add_mount /shared bind "$BATS_TEST_TMPDIR/shared" rbind rw
    update_config '.process.user = {uid: 1000, gid: 1000}'
    run run_container sh -c 'touch /shared/by-user && ls -ln /shared/by-user'
    assert_success
    assert_equal "$(stat -c '%u %g' "$BATS_TEST_TMPDIR/shared/by-user")" "$((HOST_UID + 1000)) $((HOST_GID + 1000))"
    # Inside, the same file is the container's uid 1000.
    assert_equal "$(awk '{print $3, $4}' <<<"$output")" "1000 1000"
}

@test "userns: /dev/null and the other default devices are the host's nodes, bound" {
    require_phase 5
    with_userns
    run run_container sh -c 'echo x >/dev/null && echo written; head -c 4 /dev/zero | wc -c; stat -c "%t,%T" /dev/null; grep " /dev/null " /proc/self/mountinfo'
    assert_success
    assert_equal "${lines[0]}" written
    assert_equal "${lines[1]}" 4
    assert_equal "${lines[2]}" 1,3
    # mknod is not allowed in a user namespace: the node is a bind mount of the host's.
    [[ ${lines[3]} == *" /dev/null "* ]] || fail "/dev/null is not a mount: $output"
}

@test "userns: a multi-range map: each range maps its own ids" {
    require_phase 5
    update_config '
        .linux.namespaces += [{type: "user"}]
        | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000}, {containerID: 1000, hostID: 300000, size: 1000}]
        | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1000}, {containerID: 1000, hostID: 300000, size: 1000}]
        | .process.user = {uid: 1500, gid: 1500}'
    chown -R 100000:100000 "$ROOTFS"
    searchable_above "$BUNDLE"
    mkdir -m 1777 "$BATS_TEST_TMPDIR/shared"
    add_mount /shared bind "$BATS_TEST_TMPDIR/shared" rbind rw
    run run_container sh -c 'cat /proc/self/uid_map; touch /shared/f'
    assert_success
    assert_equal "$(awk '{print $1, $2, $3}' <<<"$output")" "0 100000 1000
1000 300000 1000"
    assert_equal "$(stat -c '%u %g' "$BATS_TEST_TMPDIR/shared/f")" "300500 300500"
}

@test "userns: with new network, pid and mount namespaces, in either order" {
    require_phase 5
    with_userns
    local order
    for order in last first; do
        if [[ $order == first ]]; then
            update_config '.linux.namespaces = ([{type: "user"}] + (.linux.namespaces | map(select(.type != "user"))))'
        fi
        [[ $(jq -r ".linux.namespaces | $order | .type" "$BUNDLE/config.json") == user ]] ||
            fail "user is not $order"
        run run_container sh -c 'echo $$; ls /sys/class/net; for n in user net pid mnt; do readlink /proc/self/ns/$n; done'
        assert_success
        assert_equal "${lines[0]}" 1
        assert_equal "${lines[1]}" lo
        local n i=2
        for n in user net pid mnt; do
            [[ ${lines[i]} != "$(readlink /proc/self/ns/$n)" ]] || fail "$order: the $n namespace is the host's"
            i=$((i + 1))
        done
    done
}

@test "userns: without a network namespace of its own, /sys is the host's, bound read-only" {
    require_phase 5
    with_userns
    update_config '.linux.namespaces |= map(select(.type != "network"))'
    run run_container sh -c 'grep " /sys " /proc/self/mountinfo; touch /sys/x 2>&1 || echo refused'
    assert_success
    [[ ${lines[0]} == *" /sys ro,"* ]] || fail "/sys is not read-only: ${lines[0]}"
    assert_equal "${lines[-1]}" refused
}

@test "userns: a container joins another's user namespace by path" {
    require_phase 5
    with_userns
    started owner sleep 1000
    local pid
    pid=$(rung state owner | jq .pid)
    # The maps are the namespace's: given too, they must be its own (runc's rule).
    update_config --arg p "/proc/$pid/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)'
    run run_container sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; echo $$'
    assert_success
    assert_equal "${lines[0]}" "$(readlink "/proc/$pid/ns/user")"
    assert_equal "$(awk 'NR == 2 {print $1, $2, $3}' <<<"$output")" "0 $HOST_UID 65536"
    # Its new pid namespace belongs to the joined user namespace: it is pid 1 there.
    assert_equal "${lines[2]}" 1
    update_config 'del(.linux.uidMappings, .linux.gidMappings)'
    run run_container id -u
    assert_success
    assert_equal "$output" 0
}

@test "userns: the pty of process.terminal belongs to process.user inside" {
    require_phase 5
    with_userns
    update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
    set_args sh -c 'ls -ln "$(tty)"'
    run script -qec "$RUNG --root $ROOT --log $BATS_TEST_TMPDIR/rung.log run --bundle $BUNDLE tty" /dev/null </dev/null
    assert_success
    [[ $(tr -d '\r' <<<"$output" | awk '/pts/ {print $3, $4}') == "1000 1000" ]] || fail "$output"
}

@test "userns: the cgroup is the container user's with a cgroup namespace and a writable cgroup mount" {
    require_phase 5
    with_userns
    local cg=/sys/fs/cgroup
    [[ $(stat -fc %T $cg) == cgroup2fs ]] || cg=/sys/fs/cgroup/unified
    update_config --arg p "/rung-userns-$$-$BATS_TEST_NUMBER" '.linux.cgroupsPath = $p
        | .linux.namespaces += [{type: "cgroup"}] | .process.user = {uid: 1000, gid: 1000}'
    started ro sleep 1000
    assert_equal "$(stat -c %u "$cg/rung-userns-$$-$BATS_TEST_NUMBER")" 0
    rung delete --force ro
    # config-linux.md, "Cgroup ownership": only for a cgroup mount without "ro".
    add_mount /sys/fs/cgroup cgroup cgroup nosuid noexec nodev
    started rw sleep 1000
    local dir=$cg/rung-userns-$$-$BATS_TEST_NUMBER
    assert_equal "$(stat -c %u "$dir" "$dir/cgroup.procs")" "$((HOST_UID + 1000))
$((HOST_UID + 1000))"
    # Only the files the kernel lists as safe to delegate.
    assert_equal "$(stat -c %u "$dir/cgroup.max.depth")" 0
}

@test "userns: maps without a user namespace, or a user namespace without maps, fail in one line" {
    require_phase 5
    set_args true
    update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1}]'
    run_to_file rung create --bundle "$BUNDLE" nouserns
    assert_failure
    one_line
    assert_output --partial '.linux.uidMappings needs a user namespace'
    assert_clean nouserns
    update_config 'del(.linux.uidMappings) | .linux.namespaces += [{type: "user"}]'
    run_to_file rung create --bundle "$BUNDLE" nomaps
    assert_failure
    one_line
    assert_output --partial 'a new user namespace needs uid and gid mappings'
    assert_clean nomaps
}

@test "userns: maps the kernel would refuse fail in one line naming the range" {
    require_phase 5
    with_userns 1000
    set_args true
    local bad
    for bad in \
        '.linux.uidMappings += [{containerID: 500, hostID: 200000, size: 10}]|overlaps [0] on the container side' \
        '.linux.gidMappings += [{containerID: 5000, hostID: 100500, size: 10}]|gidMappings[1]: overlaps [0] on the host side' \
        '.linux.uidMappings[0].size = 0|size 0 maps nothing' \
        '.linux.uidMappings += [{containerID: 4294967290, hostID: 900000, size: 6}]|uidMappings[1]: the range runs past 4294967294' \
        '.linux.uidMappings[0].containerID = 1|uid 0 (the container'"'"'s root) is not mapped' \
        '.process.user.uid = 5000|process.user.uid 5000 is not mapped by .linux.uidMappings'; do
        cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/good.json"
        update_config "${bad%%|*}"
        run_to_file rung create --bundle "$BUNDLE" badmap
        assert_failure
        one_line
        assert_output --partial "${bad#*|}"
        assert_clean badmap
        cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
    done
}

@test "userns: a rootfs the mapped root cannot reach is one clear line" {
    require_phase 5
    with_userns
    chmod 700 "$BUNDLE"
    set_args true
    run_to_file rung create --bundle "$BUNDLE" unreachable
    assert_failure
    one_line
    assert_output --partial "the container's root (host uid $HOST_UID) cannot reach it"
    assert_clean unreachable
}

@test "userns: maps that differ from those of the joined user namespace fail in one line" {
    require_phase 5
    with_userns
    started owner sleep 1000
    local pid
    pid=$(rung state owner | jq .pid)
    update_config --arg p "/proc/$pid/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)
        | .linux.uidMappings[0].hostID = 200000'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" joiner
    assert_failure
    one_line
    assert_output --partial "maps other uids: 0 $HOST_UID 65536"
    assert_clean joiner
}

@test "userns: init's session keyring, _ses.<id>, is searchable by others, and exec joins it" {
    require_phase 5
    local attack=${ATTACK:-$REPO_ROOT/build/tests/tools/attack}
    [[ -x $attack ]] || fail "$attack is not built"
    with_userns
    cp "$attack" "$ROOTFS/bin/attack"
    chown "$HOST_UID:$HOST_GID" "$ROOTFS/bin/attack"
    started ring sh -c '/bin/attack keyring; exec sleep 1000'
    wait_for grep -q . "$BATS_TEST_TMPDIR/ring.out"
    local init_ring perm
    init_ring=$(cat "$BATS_TEST_TMPDIR/ring.out")
    # The container's uids need not be the keyring's user: "other" may search it (KEY_OTH_SEARCH).
    [[ $init_ring == *";_ses.ring" ]] || fail "init's session keyring: $init_ring"
    perm=$(cut -d';' -f4 <<<"$init_ring")
    ((0x$perm & 0x8)) || fail "perm $perm lacks KEY_OTH_SEARCH"
    run -0 rung exec ring /bin/attack keyring
    assert_output "$init_ring"
}
