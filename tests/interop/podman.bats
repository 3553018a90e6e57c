#!/usr/bin/env bats
# Interop: podman drives rung (phase 5), as root and as an unprivileged user (issue 10, item 5).
#
# podman --runtime RUNG, with a containers.conf of the test's own (CONTAINERS_CONF) that names
# rung under [engine.runtimes] and lists it in runtime_supports_json (so podman passes
# --log-format=json and reads rung's errors from its log), a private storage root and runroot
# (driver vfs), and a busybox image made with `podman import` from scripts/mkrootfs.sh's rootfs:
# no registry, and nothing of the host's podman state is read or written.
# scripts/test.sh runs it once, against phase 5, after `scripts/deps.sh --interop`.
#
# Every container gets --network none (no flow here needs a network) and
#   --ulimit nofile=1024:1024 --ulimit nproc=4096:4096
# because podman asks by default for RLIMIT_NOFILE 1048576 and this kind of host's hard limit is
# 20000: rung lacks CAP_SYS_RESOURCE and refuses a limit above it (as the kernel would).

bats_require_minimum_version 1.5.0
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

: "${RUNG:?set RUNG to the phase 5 rung binary, build/phase5-security/rung}"
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export ROOTFS_CACHE=${ROOTFS_CACHE:-$REPO_ROOT/build/rootfs}
IMAGE=localhost/rung-busybox
LIMITS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# write_conf DIR: DIR/containers.conf and DIR/storage.conf, everything of podman's under DIR.
write_conf() {
    local d=$1
    cat >"$d/containers.conf" <<EOF
[containers]
# podman's default pids limit (2048) needs the pids controller, which a hybrid host's cgroup v2
# hierarchy may not have: rung refuses a limit it cannot apply.
pids_limit = 0
[engine]
runtime = "rung"
runtime_supports_json = ["rung"]
events_logger = "file"
tmp_dir = "$d/tmp"
[engine.runtimes]
rung = ["$RUNG"]
[network]
network_config_dir = "$d/net"
EOF
    cat >"$d/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$d/runroot"
graphroot = "$d/root"
EOF
    mkdir -p "$d/tmp" "$d/net"
}

setup_file() {
    if ! command -v podman >/dev/null; then
        return 0 # each test skips with the reason
    fi
    PM_DIR=$(mktemp -d /tmp/rung-podman.XXXXXX)
    # The rootless tests' user, made by the first of them; teardown_file removes it.
    RL_USER=rungpm$$
    export PM_DIR RL_USER
    chmod 755 "$PM_DIR"
    mkdir -p "$PM_DIR/root-podman"
    write_conf "$PM_DIR/root-podman"
    "$REPO_ROOT/scripts/mkrootfs.sh" "$ROOTFS_CACHE"
    tar -C "$ROOTFS_CACHE" -cf "$PM_DIR/rootfs.tar" .
    pm import "$PM_DIR/rootfs.tar" "$IMAGE" >/dev/null
}

teardown_file() {
    [[ -n ${PM_DIR:-} && -d $PM_DIR ]] || return 0
    pm rm -af -t 0 >/dev/null 2>&1 || true
    if [[ -n ${RL_USER:-} ]] && id "$RL_USER" >/dev/null 2>&1; then
        RL_UID=$(id -u "$RL_USER")
        RL_GID=$(id -g "$RL_USER")
        as_user rm -af -t 0 >/dev/null 2>&1 || true
        pkill -KILL -U "$RL_USER" 2>/dev/null || true
        sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
        userdel "$RL_USER" 2>/dev/null || true
    fi
    awk -v t="$PM_DIR" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    rm -rf "$PM_DIR"
}

setup() {
    command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh --interop)"
}

# pm ARGS...: podman as root with the test's configuration and storage, driving rung.
pm() {
    local d=$PM_DIR/root-podman
    CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf \
        podman --root "$d/root" --runroot "$d/runroot" --storage-driver vfs --runtime "$RUNG" "$@"
}

# pm_string: the command pm runs, as one shell string, for on_tty.
pm_string() {
    local d=$PM_DIR/root-podman
    printf '%q ' env CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf" \
        podman --root "$d/root" --runroot "$d/runroot" --storage-driver vfs --runtime "$RUNG"
}

# on_tty CMD: CMD (one shell string) with a terminal on its stdin and stdout, through script(1),
# which exits with CMD's status (-e).
on_tty() {
    script -qec "$1" /dev/null </dev/null
}

# The pid of a container's init on the host.
pid_of() {
    pm inspect -f '{{.State.Pid}}' "$1"
}

# A container that ends at SIGTERM with status 7 (a shell as pid 1 has no default action for it).
LONG=(sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done')

@test "podman (root): run --rm echo, and the exit code is passed through" {
    run pm run --rm "${LIMITS[@]}" "$IMAGE" echo hello from rung
    assert_success
    assert_output "hello from rung"
    run pm run --rm "${LIMITS[@]}" "$IMAGE" sh -c 'exit 3'
    assert_equal "$status" 3
    run pm ps -aq
    assert_output ""
}

@test "podman (root): run -d, exec (exit code, -t), stop" {
    pm run -d --name long "${LIMITS[@]}" "$IMAGE" "${LONG[@]}" >/dev/null
    run pm exec long sh -c 'echo in $(hostname); exit 5'
    assert_equal "$status" 5
    assert_output --partial "in "
    run on_tty "$(pm_string) exec -t long sh -c 'tty; exit 4'"
    assert_equal "$status" 4
    assert_output --partial "/dev/pts/"
    run pm exec long tty
    assert_failure
    assert_output --partial "not a tty"
    # stop: SIGTERM (rung kill ID 15) reaches the container, which exits 7 on it, well before
    # the timeout at which podman would send SIGKILL.
    SECONDS=0
    run pm stop -t 20 long
    assert_success
    ((SECONDS < 10)) || fail "stop took ${SECONDS}s: SIGTERM did not end the container"
    run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' long
    assert_output "exited 7"
    pm rm long >/dev/null
}

@test "podman (root): run -t gives the container a terminal" {
    run on_tty "$(pm_string) run --rm -t ${LIMITS[*]} $IMAGE sh -c 'tty; exit 6'"
    assert_equal "$status" 6
    assert_output --partial "/dev/pts/0"
}

@test "podman (root): pause freezes the container, unpause thaws it; top lists its processes" {
    pm run -d --name counter "${LIMITS[@]}" "$IMAGE" \
        sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.05; done' >/dev/null
    local pid
    pid=$(pid_of counter)
    sleep 0.3
    run pm pause counter
    assert_success
    assert_equal "$(pm inspect -f '{{.State.Status}}' counter)" paused
    local a b
    a=$(cat "/proc/$pid/root/tmp/n")
    sleep 0.5
    b=$(cat "/proc/$pid/root/tmp/n")
    assert_equal "$b" "$a"
    run pm unpause counter
    assert_success
    assert_equal "$(pm inspect -f '{{.State.Status}}' counter)" running
    sleep 0.5
    b=$(cat "/proc/$pid/root/tmp/n")
    ((b > a)) || fail "the counter did not move after unpause ($a, then $b)"
    run pm top counter
    assert_success
    assert_line --partial "sh -c i=0"
    pm rm -f -t 0 counter >/dev/null
}

@test "podman (root): rm -f removes a running container, and rung's state with it" {
    local id pid cgroup
    id=$(pm run -d --name victim "${LIMITS[@]}" "$IMAGE" "${LONG[@]}")
    pid=$(pid_of victim)
    [[ -d /run/rung/$id ]] || fail "no rung state at /run/rung/$id"
    # podman names the cgroup (cgroupsPath /libpod_parent/libpod-ID); rung made it, on the host's
    # cgroup v2 hierarchy.
    cgroup=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)$(jq -r .cgroupPath "/run/rung/$id/state.json")
    [[ -d $cgroup ]] || fail "no cgroup $cgroup"
    run pm rm -f victim
    assert_success
    run pm ps -aq
    assert_output ""
    [[ ! -e /run/rung/$id ]] || fail "rung's state /run/rung/$id is left"
    [[ ! -e /proc/$pid ]] || fail "the container's init (pid $pid) still runs"
    [[ ! -e $cgroup ]] || fail "the container's cgroup $cgroup is left"
}

@test "podman (root): rung's refusal of a create reaches podman's output" {
    # A seccomp profile with a misspelt syscall: podman passes it on, rung refuses it.
    printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdirr"],"action":"SCMP_ACT_ERRNO"}]}' \
        >"$BATS_TEST_TMPDIR/seccomp.json"
    run pm run --name refused "${LIMITS[@]}" --security-opt "seccomp=$BATS_TEST_TMPDIR/seccomp.json" \
        "$IMAGE" true
    assert_failure
    assert_output --partial 'unknown system call "mkdirr"'
    local id
    id=$(pm inspect -f '{{.Id}}' refused)
    [[ ! -e /run/rung/$id ]] || fail "a refused create left rung's state /run/rung/$id"
    pm rm refused >/dev/null
}

# ---- rootless: podman as an unprivileged user, who runs rung as root of podman's namespace ----

# as_user ARGS...: podman as the test's user, with its own HOME, XDG_RUNTIME_DIR and storage.
as_user() {
    local d=$PM_DIR/user
    setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d/home" USER="$RL_USER" \
        XDG_RUNTIME_DIR="$d/xdg" XDG_CONFIG_HOME="$d/home/.config" \
        CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf" \
        podman --root "$d/root" --runroot "$d/runroot" --storage-driver vfs --runtime "$RUNG" "$@"
}

# setup_rootless: a user of this file alone (made once), with a subuid/subgid range we choose, and
# the image imported into its storage. Skips when rootless podman cannot start here at all.
setup_rootless() {
    if ! id "$RL_USER" >/dev/null 2>&1; then
        useradd -M -d /nonexistent -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER"
        echo "$RL_USER:1300000:65536" >>/etc/subuid
        echo "$RL_USER:1300000:65536" >>/etc/subgid
    fi
    RL_UID=$(id -u "$RL_USER")
    RL_GID=$(id -g "$RL_USER")
    local d=$PM_DIR/user
    if [[ ! -d $d ]]; then
        mkdir -p "$d/home" "$d/xdg"
        chmod 700 "$d/xdg"
        write_conf "$d"
        chown -R "$RL_UID:$RL_GID" "$d"
    fi
    # Rung must be reachable by the user: every directory above it searchable.
    local p
    p=$(dirname "$RUNG")
    while [[ $p != / ]]; do
        [[ $(stat -c %A "$p") == *x ]] || skip "rootless: $p is not searchable by other users"
        p=$(dirname "$p")
    done
    local out
    out=$(as_user unshare true 2>&1) || skip "rootless podman cannot start here: $out"
    if ! as_user image exists "$IMAGE"; then
        as_user import "$PM_DIR/rootfs.tar" "$IMAGE" >/dev/null
    fi
}

@test "podman (rootless): run --rm echo as an unprivileged user" {
    setup_rootless
    run as_user run --rm "${LIMITS[@]}" "$IMAGE" sh -c 'echo hello; id -u; cat /proc/self/uid_map'
    assert_success
    assert_line --index 0 hello
    assert_line --index 1 0
    # Root of the container is the user itself: podman's namespace maps 0 to its uid.
    assert_equal "$(awk 'NR == 3 {print $1, $2, $3}' <<<"$output")" "0 $RL_UID 1"
    run as_user run --rm "${LIMITS[@]}" "$IMAGE" sh -c 'exit 3'
    assert_equal "$status" 3
}

@test "podman (rootless): run -d, exec and rm -f as an unprivileged user" {
    setup_rootless
    local id pid
    id=$(as_user run -d --name rl "${LIMITS[@]}" "$IMAGE" "${LONG[@]}")
    pid=$(as_user inspect -f '{{.State.Pid}}' rl)
    assert_equal "$(stat -c %u "/proc/$pid")" "$RL_UID"
    # rung ran as root of podman's user namespace: its state is under $XDG_RUNTIME_DIR/rung.
    [[ -d $PM_DIR/user/xdg/rung/$id ]] || fail "no rung state in \$XDG_RUNTIME_DIR/rung/$id"
    run as_user exec rl sh -c 'echo in; exit 4'
    assert_equal "$status" 4
    assert_output in
    run as_user rm -f rl
    assert_success
    run as_user ps -aq
    assert_output ""
    [[ ! -e $PM_DIR/user/xdg/rung/$id ]] || fail "rung's state is left in \$XDG_RUNTIME_DIR/rung"
    [[ ! -e /proc/$pid ]] || fail "the container's init (pid $pid) still runs"
}
