# helpers.bash: shared by every file of the OCI suite.
#
# The suite runs once per phase. scripts/test.sh sets:
#   RUNG   the binary under test (build/phaseN-<name>/rung)
#   PHASE  its phase number
# Each test states the first phase that must pass it with `require_phase N`.

bats_require_minimum_version 1.5.0
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

: "${RUNG:?set RUNG to the rung binary under test}"
: "${PHASE:?set PHASE to the phase number of RUNG}"
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export ROOTFS_CACHE=${ROOTFS_CACHE:-$REPO_ROOT/build/rootfs}

# Skip (with the reason printed by the runner) when RUNG is older than the phase that adds the
# feature under test.
require_phase() {
    if ((PHASE < $1)); then
        skip "needs phase $1 (this is phase $PHASE)"
    fi
}

# A fresh bundle per test in $BATS_TEST_TMPDIR, and a private state root, so tests never see
# each other's containers. BUNDLE, ROOTFS and ROOT are set for the test.
setup_bundle() {
    BUNDLE=$BATS_TEST_TMPDIR/bundle
    ROOTFS=$BUNDLE/rootfs
    ROOT=$BATS_TEST_TMPDIR/state
    "$REPO_ROOT/scripts/mkbundle.sh" "$BUNDLE" >/dev/null
}

# update_config 'jq expression': edit the bundle's config.json in place.
update_config() {
    local tmp=$BUNDLE/config.json.tmp
    jq "$@" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# rung ARGS...: the runtime under test with this test's private --root (phase 2 on).
rung() {
    if ((PHASE >= 2)); then
        "$RUNG" --root "$ROOT" "$@"
    else
        "$RUNG" "$@"
    fi
}

# no_lsan CMD...: CMD with LeakSanitizer off in a sanitizer build's rung (make test-asan), for a
# rung run under strace: LSan checks for leaks at exit by ptrace-attaching to the process, which
# a traced process refuses, and fails the run. A plain build ignores ASAN_OPTIONS.
no_lsan() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@"
}

# run_container [--hostname NAME] CMD ARGS...: run CMD to completion in a new container, in the
# way each phase offers: `run --rootfs` in phase 1, `run --bundle ID` from config.json after.
run_container() {
    local hostname=""
    if [[ ${1:-} == --hostname ]]; then
        hostname=$2
        shift 2
    fi
    if ((PHASE == 1)); then
        rung run --rootfs "$ROOTFS" ${hostname:+--hostname "$hostname"} -- "$@"
    else
        local args
        args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
        update_config --argjson a "$args" '.process.args = $a'
        [[ -n $hostname ]] && update_config --arg h "$hostname" '.hostname = $h'
        # Warnings (what this phase does not apply yet) go to the log, so that the output is
        # the container's alone; errors still reach stderr as well.
        rung --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" "ctr-$BATS_TEST_NUMBER-$$"
    fi
}

# Remove what a test may have left: containers in its root, then any mount below its temp dir.
teardown_bundle() {
    if ((PHASE >= 2)) && [[ -d ${ROOT:-} ]]; then
        local id
        for id in $("$RUNG" --root "$ROOT" list -q 2>/dev/null); do
            "$RUNG" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
        done
    fi
    # A failed test may leave `rung run` in the foreground: kill it and its container.
    local pid
    for pid in $(pgrep -f -- "$BATS_TEST_TMPDIR" || true); do
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    local m
    awk -v t="$BATS_TEST_TMPDIR" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do
            umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
}

# The number of host mounts whose path lies below this test's temp dir.
mounts_below_tmpdir() {
    awk -v t="$BATS_TEST_TMPDIR" 'index($5, t) == 1' /proc/self/mountinfo | wc -l
}

# wait_for CMD...: retry CMD for up to 5 s.
wait_for() {
    local i
    for ((i = 0; i < 50; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# comm_is PID NAME: the process runs NAME now (/proc/PID/comm). For wait_for, which runs its
# command again on each try: `wait_for test "$(cat ...)"` would read the file only once.
comm_is() {
    [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]
}

# set_args CMD ARGS...: make CMD ARGS the bundle's process.args.
set_args() {
    local args
    args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
    update_config --argjson a "$args" '.process.args = $a'
}

# create_container ID [CMD ARGS...] (phase 2 on): `rung create ID` from $BUNDLE, after setting
# process.args to CMD ARGS when given. The container inherits create's stdout and stderr and keeps
# them open until it exits, so they go to $BATS_TEST_TMPDIR/ID.out and ID.err, never to a pipe
# that `run` would read until EOF.
create_container() {
    local id=$1
    shift
    (($# == 0)) || set_args "$@"
    rung create --bundle "$BUNDLE" "$id" \
        >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" </dev/null
}

# container_status ID: the status `rung state` reports (created, running, stopped).
container_status() {
    rung state "$1" | jq -r .status
}

# status_is ID STATUS: for wait_for.
status_is() {
    [[ $(container_status "$1") == "$2" ]]
}

# process_gone PID: true once PID has exited: no such process, or a zombie not yet reaped.
process_gone() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    [[ ${stat##*) } == Z* ]]
}

# fit_pids_limit_to_host: from phase 4 on linux.resources is applied, and a limit whose controller
# the host's cgroup v2 lacks fails create (04-cgroups.bats tests that). A config.json borrowed
# from an engine (podman's sets pids.limit) loses its pids limit on such a host, as the engine
# would not set one there.
fit_pids_limit_to_host() {
    local cg=/sys/fs/cgroup
    [[ $(stat -fc %T $cg) == cgroup2fs ]] || cg=/sys/fs/cgroup/unified
    if ((PHASE >= 4)) && ! grep -qw pids "$cg/cgroup.controllers" 2>/dev/null; then
        update_config 'del(.linux.resources.pids)'
    fi
}
