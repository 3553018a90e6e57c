# rootless.bash: an unprivileged user of the test's own, for the rootless tests of the OCI suite
# (05-rootless.bats) and of the VM suite (tests/vm/05-rootless.bats).
#
# rootless_user makes the user, with a subuid/subgid range of its own and an XDG_RUNTIME_DIR in
# the test's temp dir; delegate_cgroup gives it a cgroup as systemd gives user@UID.service:
# the directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads are the user's,
# and the user's shell runs in a child of it (systemd's scopes), so that rung, which makes a
# rootless container's cgroup beside the caller's own, makes it inside the delegated one.
# rootless_cleanup (from teardown) removes all of it.

# rootless_user: RL_USER, RL_UID, RL_GID, RL_SUB (its subordinate range), XDG and ROOT (its state).
rootless_user() {
    # A user of this test alone: useradd picks a free uid, and /etc/subuid gets a range we choose.
    RL_USER=rungrl$$t$BATS_TEST_NUMBER
    useradd -M -d /nonexistent -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER"
    RL_UID=$(id -u "$RL_USER")
    RL_GID=$(id -g "$RL_USER")
    RL_SUB=$((400000 + BATS_TEST_NUMBER * 70000))
    echo "$RL_USER:$RL_SUB:65536" >>/etc/subuid
    echo "$RL_USER:$RL_SUB:65536" >>/etc/subgid
    XDG=$BATS_TEST_TMPDIR/xdg
    # shellcheck disable=SC2034 # ROOT is where assert_clean looks for a state directory left
    ROOT=$XDG/rung
    mkdir -p "$XDG"
    rm -f "$BUNDLE/config.json"
    chown -R "$RL_UID:$RL_GID" "$BUNDLE" "$XDG"
    local d=$BUNDLE
    while [[ $d != / ]]; do
        [[ $(stat -c %A "$d") == *x ]] || chmod o+x "$d"
        d=$(dirname "$d")
    done
}

# as_user ARGS...: rung ARGS as the test's user, with its own XDG_RUNTIME_DIR and no --root.
as_user() {
    setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
        env XDG_RUNTIME_DIR="$XDG" "$RUNG" --log "$XDG/rung.log" "$@"
}

# rootless_spec CMD...: `spec --rootless` as the user, without a terminal, running CMD.
rootless_spec() {
    as_user spec --rootless --bundle "$BUNDLE"
    local args
    args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
    update_config --argjson a "$args" '.process.terminal = false | .process.args = $a'
}

# cgroup2_mount: where cgroup2 is (/sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a
# hybrid one), or a failure with the reason.
cgroup2_mount() {
    local m
    for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        if [[ $(stat -fc %T "$m" 2>/dev/null) == cgroup2fs ]]; then
            echo "$m"
            return
        fi
    done
    echo "no cgroup2fs at /sys/fs/cgroup or /sys/fs/cgroup/unified" >&2
    return 1
}

# delegate_cgroup [CONTROLLER...]: a cgroup delegated to the user, laid out as systemd lays out
# user.slice/user-UID.slice/user@UID.service: a top-level cgroup of root's (RL_CGTOP), whose
# subtree_control enables CONTROLLERs for its child, and that child, the user's (RL_CG, its path
# from the hierarchy's root, and RL_CGDIR, its directory), with RL_CGDIR/shell, where
# in_user_cgroup runs the user's commands.
delegate_cgroup() {
    local m c
    m=$(cgroup2_mount) || return 1
    RL_CGTOP=$m/rungrl$$-$BATS_TEST_NUMBER
    RL_CG=/rungrl$$-$BATS_TEST_NUMBER/user
    RL_CGDIR=$m$RL_CG
    mkdir "$RL_CGTOP"
    for c in "$@"; do
        echo "+$c" >"$RL_CGTOP/cgroup.subtree_control"
    done
    mkdir "$RL_CGDIR" "$RL_CGDIR/shell"
    chown "$RL_UID" "$RL_CGDIR" "$RL_CGDIR"/cgroup.{procs,subtree_control,threads}
    chown -R "$RL_UID" "$RL_CGDIR/shell"
}

# in_user_cgroup CMD...: CMD as the user, in a shell that root first moves into RL_CGDIR/shell
# (moving a process needs write access to the cgroup.procs of the common ancestor of both
# cgroups, which the user lacks: systemd moves it the same way), with USER and XDG_RUNTIME_DIR.
in_user_cgroup() {
    # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
    sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$RL_CGDIR/shell" \
        setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
        env USER="$RL_USER" XDG_RUNTIME_DIR="$XDG" "$@"
}

# as_user_in_cgroup ARGS...: rung ARGS as the user, from inside its delegated cgroup.
as_user_in_cgroup() {
    in_user_cgroup "$RUNG" --log "$XDG/rung.log" "$@"
}

# rootless_cleanup: the user's containers, its delegated cgroup, its ranges and the user go.
rootless_cleanup() {
    [[ -n ${RL_USER:-} ]] || return 0
    local id
    for id in $(as_user list -q 2>/dev/null); do
        as_user delete --force "$id" >/dev/null 2>&1 || true
    done
    if [[ -n ${RL_CGTOP:-} && -d $RL_CGTOP ]]; then
        # Whatever a failed test left running there is killed, then every cgroup removed.
        echo 1 >"$RL_CGTOP/cgroup.kill" 2>/dev/null || true
        wait_for grep -q '^populated 0' "$RL_CGTOP/cgroup.events" || true
        find "$RL_CGTOP" -depth -type d -exec rmdir {} + 2>/dev/null || true
    fi
    sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
    userdel "$RL_USER" 2>/dev/null || true
}
