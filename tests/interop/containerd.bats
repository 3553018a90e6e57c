#!/usr/bin/env bats
# Interop: containerd drives rung (phase 5) through containerd-shim-runc-v2 (issue 11, item 2).
#
# A private containerd (tests/interop/containerd.bash: root, state, temp dir and sockets under
# one temp dir), a busybox image built here as an OCI layout and imported with
# `ctr images import` (no registry), and
#   ctr run --runtime io.containerd.runc.v2 --runc-binary RUNG --runc-root DIR/rung/ctr
# so the shim calls rung exactly as it calls runc. The shim adds the namespace to the root it is
# given: rung's state is in DIR/rung/ctr/default/ID.
# scripts/test.sh runs it once, against phase 5, after `scripts/deps.sh --interop`.
#
# Two settings every container gets, because of this host:
# - --cpu-shares 0: ctr asks for cpu.shares 1024 unless told otherwise. The cgroup v2 hierarchy
#   of a hybrid host (/sys/fs/cgroup/unified) has no cpu controller, and rung, which uses only
#   cgroup v2, refuses a resource it cannot apply (runc falls back to cgroup v1's cpu). The last
#   test but one shows that refusal reaching ctr.
# - --cgroup /rung-ctrd-PID/ID: each container's cgroup under one parent of this file's own, so
#   stop_containerd can remove what is left, and nothing lands in containerd's default /default.
# ctr's default spec asks for RLIMIT_NOFILE 1024:1024, under this host's hard limit (20000).

bats_require_minimum_version 1.5.0
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

: "${RUNG:?set RUNG to the phase 5 rung binary, build/phase5-security/rung}"
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export REPO_ROOT
export ROOTFS_CACHE=${ROOTFS_CACHE:-$REPO_ROOT/build/rootfs}
load containerd
IMAGE=localhost/rung-busybox:latest

setup_file() {
    [[ -z $(containerd_skip_reason) ]] || return 0 # each test skips with the reason
    CT_DIR=$(mktemp -d /tmp/rung-ctrd.XXXXXX)
    CT_CGROUP=/rung-ctrd-$$
    export CT_DIR CT_CGROUP
    start_containerd "$CT_DIR"
    echo "${CT_CGROUP#/}" >>"$CT_DIR/cgroups"
    import_image "$CT_DIR" default "$IMAGE"
}

teardown_file() {
    [[ -n ${CT_DIR:-} ]] && stop_containerd "$CT_DIR"
    return 0
}

setup() {
    local reason
    reason=$(containerd_skip_reason)
    [[ -z $reason ]] || skip "$reason"
    [[ -d ${CT_DIR:-} ]] || skip "containerd was stopped by the test before"
}

# Each test's tasks and containers go with it, whatever it asserted.
teardown() {
    [[ -S ${CT_DIR:-}/containerd.sock ]] && containerd_remove_all "$CT_DIR"
    return 0
}

# rung's state directory, where the shim's rung keeps namespace default's containers.
rung_root() { echo "$CT_DIR/rung/ctr/default"; }

# ctr_run ID ARGS...: ctr run with the shim driving rung and this file's settings (see above).
ctr_run() {
    local id=$1
    shift
    ctr_ "$CT_DIR" run --runtime io.containerd.runc.v2 --runc-binary "$RUNG" \
        --runc-root "$CT_DIR/rung/ctr" --fifo-dir "$CT_DIR/fifo" --cpu-shares 0 \
        --cgroup "$CT_CGROUP/$id" "$@"
}

# ctr_string: the ctr command, as one shell string, for on_tty.
ctr_string() { printf '%q ' ctr --address "$CT_DIR/containerd.sock"; }

# on_tty CMD: CMD (one shell string) with a terminal on its stdin and stdout, through script(1),
# which exits with CMD's status (-e).
on_tty() {
    script -qec "$1" /dev/null </dev/null
}

# task_status ID: RUNNING, PAUSED, STOPPED ... as `ctr task ls` shows it.
task_status() {
    ctr_ "$CT_DIR" task ls | awk -v id="$1" '$1 == id {print $3}'
}

# wait_status ID STATUS: up to 5 s for the task to reach STATUS.
wait_status() {
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(task_status "$1") == "$2" ]] && return 0
        sleep 0.1
    done
    fail "task $1 is $(task_status "$1"), not $2, after 5 s"
}

# The container's cgroup directory on this host.
cgroup_of() { echo "$(containerd_cgroup2_mount)$CT_CGROUP/$1"; }

# A container that ends at SIGTERM with status 7 (a shell as pid 1 has no default action for
# it), with one child, so that its process list is stable: sh and sleep.
LONG=(sh -c 'trap "exit 7" TERM; sleep 1000 & wait')

@test "ctr run --rm: the output, and exit codes 0 and 3 passed through; nothing left" {
    run ctr_run t-rm --rm "$IMAGE" t-rm echo hello from rung
    assert_success
    assert_output "hello from rung"
    run ctr_run t-rm --rm "$IMAGE" t-rm sh -c 'exit 3'
    assert_equal "$status" 3
    run ctr_ "$CT_DIR" containers ls -q
    assert_output ""
    [[ ! -e $(rung_root)/t-rm ]] || fail "rung's state $(rung_root)/t-rm is left"
    [[ ! -e $(cgroup_of t-rm) ]] || fail "the cgroup $(cgroup_of t-rm) is left"
}

@test "ctr run -d runs under rung; task exec: exit code, -t; task ps; kill TERM" {
    ctr_run t-d -d "$IMAGE" t-d "${LONG[@]}"
    # It is rung's container: its state is in the root the shim gave rung.
    run "$RUNG" --root "$(rung_root)" state t-d
    assert_success
    assert_output --partial '"status": "running"'
    run ctr_ "$CT_DIR" task exec --exec-id e1 t-d sh -c 'echo in the container; exit 5'
    assert_equal "$status" 5
    assert_output "in the container"
    run on_tty "$(ctr_string) task exec -t --exec-id e2 t-d sh -c 'tty; exit 4'"
    assert_equal "$status" 4
    assert_output --partial "/dev/pts/"
    run ctr_ "$CT_DIR" task exec --exec-id e3 t-d tty
    assert_failure
    assert_output --partial "not a tty"
    # task ps: the pids rung's `ps --format json` gave the shim, which are the cgroup's.
    run ctr_ "$CT_DIR" task ps t-d
    assert_success
    assert_equal "$(awk 'NR > 1 {print $1}' <<<"$output" | sort -n | xargs)" \
        "$(sort -n "$(cgroup_of t-d)/cgroup.procs" | xargs)"
    assert_equal "$(awk 'NR > 1' <<<"$output" | wc -l)" 2
    # kill TERM (the shim's `rung kill ID 15`) reaches pid 1, which exits 7 on it.
    ctr_ "$CT_DIR" task kill -s TERM t-d
    wait_status t-d STOPPED
    run ctr_ "$CT_DIR" task rm t-d
    assert_output --partial "exit code 7"
    ctr_ "$CT_DIR" containers rm t-d
    [[ ! -e $(rung_root)/t-d ]] || fail "rung's state $(rung_root)/t-d is left"
    [[ ! -e $(cgroup_of t-d) ]] || fail "the cgroup $(cgroup_of t-d) is left"
}

@test "ctr task pause and resume: the status and the cgroup's freeze follow; kill KILL, twice" {
    ctr_run t-pause -d "$IMAGE" t-pause "${LONG[@]}"
    ctr_ "$CT_DIR" task pause t-pause
    assert_equal "$(task_status t-pause)" PAUSED
    assert_equal "$(cat "$(cgroup_of t-pause)/cgroup.freeze")" 1
    run "$RUNG" --root "$(rung_root)" state t-pause
    assert_output --partial '"status": "paused"'
    ctr_ "$CT_DIR" task resume t-pause
    assert_equal "$(task_status t-pause)" RUNNING
    assert_equal "$(cat "$(cgroup_of t-pause)/cgroup.freeze")" 0
    run ctr_ "$CT_DIR" task exec --exec-id e1 t-pause echo awake
    assert_success
    assert_output "awake"
    # KILL, sent from outside its pid namespace, ends pid 1 whatever its handlers.
    ctr_ "$CT_DIR" task kill -s KILL t-pause
    wait_status t-pause STOPPED
    # A second kill: the shim reads rung's "container not running" as a process already gone
    # (not found, which the CRI's StopContainer accepts), and kill --all of it succeeds, as with
    # runc.
    run ctr_ "$CT_DIR" task kill -s KILL t-pause
    assert_failure
    assert_output "ctr: process already finished: not found"
    run ctr_ "$CT_DIR" task kill --all -s KILL t-pause
    assert_success
    run ctr_ "$CT_DIR" task rm t-pause
    assert_output --partial "exit code 137"
}

@test "ctr task kill --all: every process of the container gets the signal" {
    # pid 1 ignores TERM (it has no handler and is pid 1 of its namespace); its children have
    # the default action. When both are gone, its wait returns and it exits 0.
    ctr_run t-all -d "$IMAGE" t-all sh -c 'sleep 1000 & sleep 1001 & wait'
    local cg i
    cg=$(cgroup_of t-all)
    for ((i = 0; i < 50; i++)); do
        (($(wc -l <"$cg/cgroup.procs") == 3)) && break
        sleep 0.1
    done
    assert_equal "$(wc -l <"$cg/cgroup.procs")" 3
    # Without --all, TERM reaches pid 1 only, which ignores it.
    ctr_ "$CT_DIR" task kill -s TERM t-all
    sleep 0.5
    assert_equal "$(task_status t-all)" RUNNING
    assert_equal "$(wc -l <"$cg/cgroup.procs")" 3
    # With --all (the shim's `rung kill --all ID 15`), the children get it too.
    ctr_ "$CT_DIR" task kill --all -s TERM t-all
    wait_status t-all STOPPED
    assert_equal "$(cat "$cg/cgroup.procs")" ""
    run ctr_ "$CT_DIR" task rm t-all
    assert_success
    refute_output --partial "exit code"
}

@test "ctr task rm -f of a running task, then container rm: nothing left" {
    ctr_run t-force -d "$IMAGE" t-force "${LONG[@]}"
    assert_equal "$(task_status t-force)" RUNNING
    run ctr_ "$CT_DIR" task rm -f t-force
    assert_success
    assert_equal "$(task_status t-force)" ""
    [[ ! -e $(rung_root)/t-force ]] || fail "rung's state $(rung_root)/t-force is left"
    [[ ! -e $(cgroup_of t-force) ]] || fail "the cgroup $(cgroup_of t-force) is left"
    run ctr_ "$CT_DIR" containers rm t-force
    assert_success
    run ctr_ "$CT_DIR" containers ls -q
    assert_output ""
}

@test "ctr run -t gives the container a terminal, and its exit code" {
    run on_tty "$(ctr_string) run --rm -t --runtime io.containerd.runc.v2 \
        --runc-binary $(printf %q "$RUNG") --runc-root $CT_DIR/rung/ctr --fifo-dir $CT_DIR/fifo \
        --cpu-shares 0 --cgroup $CT_CGROUP/t-tty $IMAGE t-tty sh -c 'tty; exit 6'"
    assert_equal "$status" 6
    assert_output --partial "/dev/pts/0"
}

@test "a failing create: rung's error reaches ctr, and nothing is left" {
    run ctr_run t-fail --rm "$IMAGE" t-fail no-such-program
    assert_failure
    assert_output --partial 'OCI runtime create failed: create: init: exec "no-such-program": executable file not found in $PATH'
    run ctr_ "$CT_DIR" containers ls -q
    assert_output ""
    [[ ! -e $(rung_root)/t-fail ]] || fail "rung's state $(rung_root)/t-fail is left"
    [[ ! -e $(cgroup_of t-fail) ]] || fail "the cgroup $(cgroup_of t-fail) is left"
}

@test "ctr's default cpu shares without a cpu controller: rung refuses them, and says why" {
    local cg2
    cg2=$(containerd_cgroup2_mount)
    if grep -qw cpu "$cg2/cgroup.controllers"; then
        skip "this host's cgroup v2 has the cpu controller: ctr's default cpu shares apply"
    fi
    # ctr_run without --cpu-shares 0: ctr's default, cpu.shares 1024.
    run ctr_ "$CT_DIR" run --rm --runtime io.containerd.runc.v2 --runc-binary "$RUNG" \
        --runc-root "$CT_DIR/rung/ctr" --fifo-dir "$CT_DIR/fifo" --cgroup "$CT_CGROUP/t-cpu" \
        "$IMAGE" t-cpu true
    assert_failure
    assert_output --partial "linux.resources.cpu.shares needs the cpu controller"
    [[ ! -e $(rung_root)/t-cpu ]] || fail "rung's state $(rung_root)/t-cpu is left"
}

@test "stop_containerd leaves no process, mount, cgroup, directory or socket" {
    ctr_run t-left -d "$IMAGE" t-left "${LONG[@]}"
    local pid shims cg2 sock p
    pid=$(cat "$CT_DIR/containerd.pid")
    # containerd 1.6 puts the shim's socket in /run/containerd/s, whatever the config says.
    sock=$(<"$CT_DIR/state/io.containerd.runtime.v2.task/default/t-left/address")
    sock=${sock#unix://}
    [[ -S $sock ]] || fail "the shim's socket $sock is not there"
    mapfile -t shims < <(containerd_shim_pids "$CT_DIR")
    ((${#shims[@]})) || fail "no shim found for $CT_DIR"
    cg2=$(containerd_cgroup2_mount)
    stop_containerd "$CT_DIR"
    run containerd_pid_alive "$pid"
    assert_failure
    for p in "${shims[@]}"; do
        run containerd_pid_alive "$p"
        assert_failure
    done
    run grep -F " $CT_DIR/" /proc/self/mountinfo
    assert_output ""
    [[ ! -e $cg2$CT_CGROUP ]] || fail "the cgroup $cg2$CT_CGROUP is left"
    [[ ! -e $CT_DIR ]] || fail "$CT_DIR is left"
    [[ ! -e $sock ]] || fail "the shim's socket $sock is left"
}
